/**
 * The sync stamp: `<venv>/.paved-sync`, written after every sync that left a project's
 * environment matching its lock, and read by `paved run` to skip syncing (and loading the
 * resolver and installer at all) when nothing a sync depends on has changed since.
 *
 * What it covers, as a digest: the lock's bytes; the project's build inputs (pyproject.toml,
 * setup.py, setup.cfg and its cache keys, which decide the project's dynamic dependencies and its
 * editable install); what the command selects (extras, groups, whether the project itself is
 * installed, the interpreter asked for); and the environment itself: its pyvenv.cfg, its
 * interpreter, and the modification times of its site-packages and bin folders, which change
 * whenever anything (paved, pip, uv) installs or removes a distribution or a script there.
 * Any difference, a missing lock or an unreadable environment, and the caller syncs as always.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildInputsDigest } from './buildInputs.js';

/** Bumped when what a sync guarantees changes, so that older stamps no longer match. */
const STAMP_VERSION = 1;
const STAMP_FILE = '.paved-sync';

/** What a sync of a project's environment depended on. */
export interface SyncStampInputs {
  projectRoot: string;
  lockPath: string;
  venvDir: string;
  /** The project's build inputs, relative to `projectRoot` (see `buildInputFiles`). */
  buildInputs: readonly string[];
  /** The command's selection (extras, groups, options): anything JSON that changes what a sync does. */
  selection: unknown;
}

async function mtime(path: string): Promise<string> {
  return (await stat(path, { bigint: true })).mtimeNs.toString();
}

/** The digest of everything a sync depended on, or null when something is missing (no lock, no environment). */
export async function syncStampKey(inputs: SyncStampInputs): Promise<string | null> {
  try {
    const venv = inputs.venvDir;
    const libs = (await readdir(join(venv, 'lib'))).filter((entry) => entry.startsWith('python')).sort();
    const state = {
      stamp: STAMP_VERSION,
      lock: createHash('sha256').update(await readFile(inputs.lockPath)).digest('hex'),
      buildInputs: await buildInputsDigest(inputs.projectRoot, inputs.buildInputs),
      selection: inputs.selection,
      pyvenv: await readFile(join(venv, 'pyvenv.cfg'), 'utf8'),
      // The interpreter the environment runs (stat follows the bin/python link to it).
      python: await mtime(join(venv, 'bin', 'python')),
      bin: await mtime(join(venv, 'bin')),
      sitePackages: await Promise.all(libs.map(async (lib) => [lib, await mtime(join(venv, 'lib', lib, 'site-packages'))])),
    };
    return createHash('sha256').update(JSON.stringify(state)).digest('hex');
  } catch {
    return null;
  }
}

/** True when the environment's stamp says nothing a sync depends on changed since the last one. */
export async function syncIsCurrent(inputs: SyncStampInputs): Promise<boolean> {
  const key = await syncStampKey(inputs);
  if (key === null) return false;
  try {
    return (await readFile(join(inputs.venvDir, STAMP_FILE), 'utf8')).trim() === key;
  } catch {
    return false;
  }
}

/** Records that the environment matches the lock now. A failure to write only costs the next run a sync. */
export async function writeSyncStamp(inputs: SyncStampInputs): Promise<void> {
  const key = await syncStampKey(inputs);
  try {
    if (key === null) await rm(join(inputs.venvDir, STAMP_FILE), { force: true });
    else await writeFile(join(inputs.venvDir, STAMP_FILE), `${key}\n`);
  } catch {
    // A read-only environment: `paved run` syncs each time, as it did before stamps.
  }
}
