import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { PavedError, isPavedError } from '../errors.js';
import { requireIndex } from './admin/adminOperations.js';
import type { Storage } from './dataDir.js';
import { publishDistribution } from './publishDistribution.js';
import { createVetting } from './vetting.js';
import type { ArchiveLimits } from './upload/archiveLimits.js';

const DISTRIBUTION_SUFFIXES = ['.whl', '.tar.gz', '.zip', '.tar.bz2', '.tgz', '.tar.xz'];

/** How one file of an import ended. */
export type ImportOutcome =
  | { filename: string; path: string; status: 'added' | 'identical' | 'held' }
  | { filename: string; path: string; status: 'refused'; code: string; message: string };

export interface ImportSummary {
  index: string;
  total: number;
  added: number;
  /** Stored but quarantined by the index policy (listed in `paved policy queue`). */
  held: number;
  identical: number;
  refused: Extract<ImportOutcome, { status: 'refused' }>[];
  /** Files in the given folders that are not distributions (not counted in total). */
  ignored: number;
}

/**
 * Finds distribution files under the given paths (files, or folders walked
 * recursively without following symlinks): a pypiserver directory, a
 * `pip download` folder, a PEP 503 `files/` tree.
 */
export async function collectDistributionFiles(paths: string[]): Promise<{ files: string[]; ignored: number }> {
  const files: string[] = [];
  let ignored = 0;
  const walk = async (p: string, top: boolean): Promise<void> => {
    let info;
    try {
      info = await lstat(p);
    } catch {
      if (top) throw new PavedError('PAVED_E_NOT_FOUND', `no such file or folder: ${p}`);
      return;
    }
    if (info.isDirectory()) {
      const entries = await readdir(p);
      entries.sort();
      for (const entry of entries) await walk(join(p, entry), false);
    } else if (info.isFile() || (top && info.isSymbolicLink())) {
      if (DISTRIBUTION_SUFFIXES.some((s) => p.endsWith(s))) files.push(resolve(p));
      else ignored += 1;
    }
  };
  for (const p of paths) await walk(p, true);
  return { files, ignored };
}

/**
 * Returns a function that imports one file into a private index with
 * exactly the checks of an upload. Refusals throw PavedError.
 */
export async function createLocalImporter(
  storage: Storage,
  indexPath: string,
  options: { uploader?: string | null; limits?: Partial<ArchiveLimits> } = {},
): Promise<(path: string) => Promise<'added' | 'identical' | 'held'>> {
  const index = await requireIndex(storage.catalog, indexPath);
  if (index.kind !== 'private' || index.readOnly) {
    throw new PavedError('PAVED_E_INDEX_NOT_WRITABLE', `index '${index.path}' does not take uploads (${index.kind === 'private' ? 'read-only' : 'mirror'})`);
  }
  const vetting = createVetting(storage, storage.advisories);
  return async (path) => {
    const staged = await storage.blobs.stage(createReadStream(path), { blake2b: false });
    const result = await publishDistribution(storage, { index, filename: basename(path), staged, uploader: options.uploader ?? null, vetting, ...(options.limits === undefined ? {} : { limits: options.limits }) });
    return result.held !== null ? 'held' : result.status;
  };
}

/**
 * Runs `importOne` over the files, `jobs` at a time. A refused file
 * (PavedError) never stops the import: it is listed in the summary with its
 * reason. Other errors (bugs, a lost connection) stop it.
 */
export async function importFiles(
  index: string,
  files: string[],
  importOne: (path: string) => Promise<'added' | 'identical' | 'held'>,
  options: { jobs?: number; onOutcome?: (outcome: ImportOutcome, done: number, total: number) => void; isFatal?: (error: PavedError) => boolean } = {},
): Promise<Omit<ImportSummary, 'ignored'>> {
  const summary: Omit<ImportSummary, 'ignored'> = { index, total: files.length, added: 0, held: 0, identical: 0, refused: [] };
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < files.length) {
      const path = files[next++]!;
      const filename = basename(path);
      let outcome: ImportOutcome;
      try {
        outcome = { filename, path, status: await importOne(path) };
      } catch (error) {
        if (!isPavedError(error) || options.isFatal?.(error) === true) throw error;
        outcome = { filename, path, status: 'refused', code: error.code, message: error.message };
      }
      if (outcome.status === 'refused') summary.refused.push(outcome);
      else if (outcome.status === 'added') summary.added += 1;
      else if (outcome.status === 'held') summary.held += 1;
      else summary.identical += 1;
      done += 1;
      options.onOutcome?.(outcome, done, files.length);
    }
  };
  const jobs = Math.max(1, Math.min(options.jobs ?? 4, 64));
  await Promise.all(Array.from({ length: jobs }, worker));
  summary.refused.sort((a, b) => (a.filename < b.filename ? -1 : 1));
  return summary;
}
