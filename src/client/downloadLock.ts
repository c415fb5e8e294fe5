/**
 * `paved download --lock`: copies the files a lock needs into one folder, each verified
 * against the lock's sha256, so the folder can be carried into an air-gapped network and used
 * there as find-links (`paved install --find-links DIR --offline`, or `syncLock` with a
 * find-links-only client and `indexUrlOverride`).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import type { IndexClient } from './indexClient/indexClient.js';
import { locateLockedFile, lockedSha256, verifiedAgainstLock } from './fetchLockedFile.js';
import type { PythonInterpreter } from '../installer/interpreter.js';
import { runBounded } from '../installer/runBounded.js';
import { sha256File } from '../installer/wheelCache.js';
import type { LockedFile, Pylock } from '../project/pylockModel.js';
import { lockedFileName, selectPackagesForEnvironment, type SelectedPackage } from '../project/selectLockedPackages.js';

/** Options for `downloadLock`. */
export interface DownloadLockOptions {
  lock: Pylock;
  /** Directory of the lockfile (`path` entries are relative to it); default the working directory. */
  lockDir?: string;
  /** The folder the files go to (created when missing). */
  dest: string;
  client: IndexClient;
  /** Only the one file per package this interpreter would install; default every wheel and sdist of every package. */
  interpreter?: PythonInterpreter;
  /** With `interpreter`: the extras and groups to select for. */
  extras?: readonly string[];
  groups?: readonly string[];
  /** Look files up by name on `client` instead of the lock's URLs (see `syncLock`). */
  indexUrlOverride?: boolean;
  concurrency?: number;
  onEvent?: (event: DownloadLockEvent) => void;
}

/** Progress of `downloadLock`. */
export type DownloadLockEvent =
  | { type: 'download-plan'; total: number; present: number }
  | { type: 'downloaded'; name: string; filename: string; bytes: number; done: number; total: number }
  /** Entries from vcs, directory or archive sources: nothing to download. */
  | { type: 'skipped'; name: string; reason: string };

/** One file in the folder. */
export interface DownloadedLockFile {
  name: string;
  version: string;
  filename: string;
  path: string;
  sha256: string;
  /** False when a verified copy was already in the folder. */
  downloaded: boolean;
}

function everyFile(lock: Pylock, emit: (event: DownloadLockEvent) => void): SelectedPackage[] {
  const out: SelectedPackage[] = [];
  for (const pkg of lock.packages) {
    if (pkg.otherSource !== null) {
      emit({ type: 'skipped', name: pkg.name, reason: `locked from a ${pkg.otherSource} source` });
      continue;
    }
    const files: [LockedFile, 'wheel' | 'sdist'][] = [...pkg.wheels.map((w): [LockedFile, 'wheel'] => [w, 'wheel']), ...(pkg.sdist === null ? [] : [[pkg.sdist, 'sdist'] as [LockedFile, 'sdist']])];
    for (const [file, kind] of files) out.push({ package: pkg, file, filename: lockedFileName(file), kind });
  }
  return out;
}

/**
 * Downloads into `dest` every file the lock needs (or, with `interpreter`, the one each selected
 * package installs there), verified against the lock's sha256; a verified copy already present is
 * kept. Throws `PAVED_E_HASH_MISMATCH`, `PAVED_E_HASH_REQUIRED`, `PAVED_E_FILE_NOT_FOUND` and the
 * client's errors; a failed file leaves nothing under its name.
 */
export async function downloadLock(options: DownloadLockOptions): Promise<{ files: DownloadedLockFile[] }> {
  const emit = options.onEvent ?? ((): void => {});
  const dest = resolvePath(options.dest);
  const lockDir = resolvePath(options.lockDir ?? '.');
  const wanted =
    options.interpreter === undefined
      ? everyFile(options.lock, emit)
      : selectPackagesForEnvironment(options.lock, {
          environment: options.interpreter.markerEnvironment,
          tags: options.interpreter.tags,
          pythonVersion: options.interpreter.version,
          ...(options.extras === undefined ? {} : { extras: options.extras }),
          ...(options.groups === undefined ? {} : { dependencyGroups: options.groups }),
        });
  for (const s of wanted) lockedSha256(s);
  await mkdir(dest, { recursive: true });

  const files: DownloadedLockFile[] = [];
  const missing: SelectedPackage[] = [];
  for (const s of wanted) {
    const path = join(dest, s.filename);
    const sha256 = lockedSha256(s);
    const entry: DownloadedLockFile = { name: s.package.name, version: s.package.version ?? '', filename: s.filename, path, sha256, downloaded: false };
    files.push(entry);
    if (existsSync(path) && (await sha256File(path).catch(() => null)) === sha256) continue;
    entry.downloaded = true;
    missing.push(s);
  }
  emit({ type: 'download-plan', total: wanted.length, present: wanted.length - missing.length });
  let done = wanted.length - missing.length;
  await runBounded(missing, options.concurrency ?? 16, async (s) => {
    const file = await locateLockedFile(s, { client: options.client, lockDir, byFilename: options.indexUrlOverride ?? false });
    const result = await verifiedAgainstLock(s, () => options.client.download(file, join(dest, s.filename), { expectedSha256: lockedSha256(s) }));
    done++;
    emit({ type: 'downloaded', name: s.package.name, filename: s.filename, bytes: result.size, done, total: wanted.length });
  });
  return { files: files.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0)) };
}
