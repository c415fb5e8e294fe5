/**
 * The resolution memo: what `paved install` (and `paved download`) resolved last time, reused
 * when nothing it depended on has changed. A resolution is a pure function of its inputs (the
 * requirements, constraints and options, the interpreter's markers and tags, the versions already
 * installed) and of every project page the resolver read; each release's metadata is fixed by its
 * file's sha256, which the page carries. So when the inputs are the same and every page it read
 * still lists the same files, the answer is the same, and reading the cached metadata of every
 * release and solving again (most of a warm install's resolving time) can be skipped.
 *
 * Each page is still asked of its index (revalidated with its ETag, as a full resolution would),
 * so a new release, a yank or a changed file is seen as at once as without the memo: any
 * difference, in any page, and the resolution is made in full again. Nothing here decides what
 * is installed; a hit returns exactly what the last full resolution returned.
 *
 * Kept in `<cache>/resolutions-v1/<key>.json`, one small file per distinct set of inputs.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomically } from '../installer/writeAtomically.js';
import type { IndexClient, IndexFile, ProjectFiles } from './indexClient/indexClient.js';

const MEMO_VERSION = 1;

/** One resolved release as the memo keeps it: its wheel named by filename and sha256. */
export interface MemoWheel {
  name: string;
  version: string;
  filename: string;
  sha256: string;
  requested: boolean;
  allowedSha256: string[];
}

/** What a memo file holds. */
interface MemoRecord<Extra> {
  memoVersion: number;
  /** Every project the resolution read, with the digest of what its page listed. */
  projects: Record<string, string>;
  wheels: MemoWheel[];
  /** Whatever else the caller needs back (the skipped releases, for messages). */
  extra: Extra;
}

/** A wheel recalled from the memo, with its file as the index lists it now. */
export interface RecalledWheel extends MemoWheel {
  file: IndexFile;
}

/** The memo's key: a digest of every input of a resolution other than the pages it reads. */
export function resolutionMemoKey(inputs: unknown): string {
  return createHash('sha256').update(JSON.stringify([MEMO_VERSION, inputs])).digest('hex');
}

/** A digest of everything a project's page told the resolver: the index that had it, every file and its attributes. */
export function projectDigest(project: ProjectFiles): string {
  return createHash('sha256').update(JSON.stringify(project)).digest('base64url');
}

function memoPath(cacheDir: string, key: string): string {
  return join(cacheDir, 'resolutions-v1', `${key}.json`);
}

/**
 * An index client that notes every project asked of it (the resolver's reads), for
 * `rememberResolution`. Asking is passed on unchanged.
 */
export function recordingClient(client: IndexClient): { client: IndexClient; projects: () => Promise<ProjectFiles[]> } {
  const asked = new Map<string, Promise<ProjectFiles>>();
  return {
    client: {
      ...client,
      getProject(name: string): Promise<ProjectFiles> {
        const page = client.getProject(name);
        if (!asked.has(name)) asked.set(name, page);
        return page;
      },
    },
    projects: () => Promise.all(asked.values()),
  };
}

/**
 * The memo for `key` when every project it read still lists what it listed then, with each
 * wheel's file as the index lists it now; null when there is none, it cannot be read, or
 * anything differs (the caller then resolves in full, and meets any error itself).
 */
export async function recallResolution<Extra>(cacheDir: string, key: string, client: IndexClient): Promise<{ wheels: RecalledWheel[]; extra: Extra; pages: number } | null> {
  let record: MemoRecord<Extra>;
  try {
    record = JSON.parse(await readFile(memoPath(cacheDir, key), 'utf8')) as MemoRecord<Extra>;
  } catch {
    return null;
  }
  if (record.memoVersion !== MEMO_VERSION || typeof record.projects !== 'object' || record.projects === null || !Array.isArray(record.wheels)) return null;
  const names = Object.keys(record.projects);
  let pages: ProjectFiles[];
  try {
    pages = await Promise.all(names.map((name) => client.getProject(name)));
  } catch {
    return null;
  }
  const byName = new Map<string, ProjectFiles>();
  for (const [i, name] of names.entries()) {
    const page = pages[i] as ProjectFiles;
    if (projectDigest(page) !== record.projects[name]) return null;
    byName.set(page.name, page);
  }
  const wheels: RecalledWheel[] = [];
  for (const wheel of record.wheels) {
    const file = byName.get(wheel.name)?.files.find((f) => f.filename === wheel.filename && f.sha256 === wheel.sha256);
    if (file === undefined) return null;
    wheels.push({ ...wheel, file });
  }
  return { wheels, extra: record.extra, pages: names.length };
}

/**
 * Keeps a resolution for `key`: the wheels chosen and the digest of every project page read
 * (`projects`, from `recordingClient`). A failure to write only costs the next run a full resolution.
 */
export async function rememberResolution<Extra>(cacheDir: string, key: string, projects: readonly ProjectFiles[], wheels: readonly MemoWheel[], extra: Extra): Promise<void> {
  const record: MemoRecord<Extra> = {
    memoVersion: MEMO_VERSION,
    projects: Object.fromEntries(projects.map((p) => [p.name, projectDigest(p)])),
    wheels: wheels.map(({ name, version, filename, sha256, requested, allowedSha256 }) => ({ name, version, filename, sha256, requested, allowedSha256 })),
    extra,
  };
  try {
    await mkdir(join(cacheDir, 'resolutions-v1'), { recursive: true });
    await writeAtomically(memoPath(cacheDir, key), JSON.stringify(record));
  } catch {
    // A read-only or full cache: the next run resolves in full.
  }
}
