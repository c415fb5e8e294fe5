/**
 * What a project's build back-end reads, and what paved remembers of its answers. Asking the
 * back-end for dynamic dependencies (`prepare_metadata_for_build_wheel` in an isolated build
 * environment) costs a second or two, on every lock, sync and run; its answer can only change
 * when a file it reads changes, or the interpreter. So the answer is kept in the global cache,
 * keyed by a digest of those files — pyproject.toml, setup.py, setup.cfg and the project's
 * `cacheKeys` (`[tool.paved] cache-keys` and the files `[tool.setuptools.dynamic]` names), as
 * uv's `tool.uv.cache-keys` — and the interpreter. A file the back-end reads that is in none of
 * these (setup.py opening requirements.txt) must be listed in cache-keys, or its changes go
 * unseen until another input changes.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { writeAtomically } from '../installer/writeAtomically.js';
import type { PyprojectFile } from './pyproject.js';

/** The files every build back-end may read: a change to any of them may change what it says. */
export const DEFAULT_BUILD_INPUTS: readonly string[] = ['pyproject.toml', 'setup.py', 'setup.cfg'];

/** The project's build inputs: the defaults, then its cache keys. Paths relative to the project. */
export function buildInputFiles(pyproject: Pick<PyprojectFile, 'cacheKeys'>): string[] {
  return [...new Set([...DEFAULT_BUILD_INPUTS, ...pyproject.cacheKeys])];
}

/** A digest of the content of `files` (relative to `dir`); a missing or unreadable file counts as such, so creating it changes the digest. */
export async function buildInputsDigest(dir: string, files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const name of files) {
    hash.update(`${name}\0`);
    try {
      hash.update(await readFile(resolve(dir, name)));
    } catch {
      hash.update('\0missing');
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** `[project] dependencies` and `optional-dependencies` as the back-end gave them. */
export interface DynamicDependencies {
  dependencies: string[];
  optionalDependencies: Record<string, string[]>;
}

/** What the cached answer depends on besides the files: the project, the fields asked, the interpreter. */
export interface DynamicDependenciesKey {
  /** The project's directory (absolute). */
  root: string;
  name: string;
  fields: readonly string[];
  /** `buildInputsDigest` of the project's build inputs. */
  inputs: string;
  interpreter: { implementation: string; version: string; sysPlatform: string; machine: string };
}

const LAYOUT = 1;

function entryPath(cacheDir: string, key: DynamicDependenciesKey): string {
  const { root, name, fields, inputs, interpreter } = key;
  const digest = createHash('sha256')
    .update(JSON.stringify({ layout: LAYOUT, root, name, fields: [...fields].sort(), inputs, interpreter: [interpreter.implementation, interpreter.version, interpreter.sysPlatform, interpreter.machine] }))
    .digest('hex');
  return join(resolve(cacheDir), 'dynamic-metadata-v1', digest.slice(0, 2), `${digest}.json`);
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/** The remembered answer for `key`, or null (never asked, or an entry that does not read back: asked again). */
export async function readCachedDynamicDependencies(cacheDir: string, key: DynamicDependenciesKey): Promise<DynamicDependencies | null> {
  try {
    const entry = JSON.parse(await readFile(entryPath(cacheDir, key), 'utf8')) as Partial<DynamicDependencies>;
    const { dependencies, optionalDependencies } = entry;
    if (!isStringArray(dependencies) || typeof optionalDependencies !== 'object' || optionalDependencies === null) return null;
    if (!Object.values(optionalDependencies).every(isStringArray)) return null;
    return { dependencies, optionalDependencies };
  } catch {
    return null;
  }
}

/** Remembers the back-end's answer for `key` (written whole or not at all; a cache that cannot be written only costs the next run a back-end call). */
export async function writeCachedDynamicDependencies(cacheDir: string, key: DynamicDependenciesKey, value: DynamicDependencies): Promise<void> {
  const path = entryPath(cacheDir, key);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeAtomically(path, `${JSON.stringify({ dependencies: value.dependencies, optionalDependencies: value.optionalDependencies })}\n`);
  } catch {
    // Not remembered: the next run asks the back-end again.
  }
}
