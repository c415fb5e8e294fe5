/**
 * Getting one file a lock names. The lock's hash is the only one trusted: by default the file
 * comes from the lock's own `url` (or `path`, relative to the lock); with `byFilename` it is
 * looked up by file name on the client's indexes and find-links instead, which is how a lock
 * made at a desk installs from a mirror in an air-gapped network — accepted only when the bytes
 * (and the index's own sha256, when it gives one) equal the lock's.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PavedError, isPavedError } from '../errors.js';
import type { DownloadResult, IndexClient, IndexFile, ProjectFiles } from './indexClient/indexClient.js';
import { redactUrl } from './redactUrl.js';
import type { LockedPackage } from '../project/pylockModel.js';
import type { SelectedPackage } from '../project/selectLockedPackages.js';
import { parseDistributionFilename } from '../standards/distributionFilename.js';

/** How to find a locked file. */
export interface LockedFileSource {
  client: IndexClient;
  /** The directory of the lockfile: `path` entries are relative to it. */
  lockDir: string;
  /** Look files up by name on `client`'s indexes and find-links instead of the lock's URLs. */
  byFilename?: boolean;
}

/** The sha256 a locked file must have; `PAVED_E_HASH_REQUIRED` when the lock gives none. */
export function lockedSha256(selected: SelectedPackage): string {
  const sha = selected.file.hashes['sha256'];
  if (sha === undefined) {
    throw new PavedError('PAVED_E_HASH_REQUIRED', `the lock gives ${selected.filename} (${selected.package.name} ${selected.package.version ?? ''}) no sha256, which paved needs to verify it`, {
      hint: 'Lock again with paved, which records sha256 for every file.',
    });
  }
  return sha;
}

function fromLock(selected: SelectedPackage, lockDir: string, sha256: string): IndexFile {
  let url: string;
  if (selected.file.url !== null) url = selected.file.url;
  else {
    const root = resolve(lockDir);
    const path = resolve(root, selected.file.path as string);
    const inside = relative(root, path);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      throw new PavedError('PAVED_E_INVALID_LOCKFILE', `${selected.filename}: path ${selected.file.path ?? ''} leaves the lock's directory`, { hint: 'Keep files referenced by path next to the lockfile.' });
    }
    url = pathToFileURL(path).href;
  }
  const parsed = parseDistributionFilename(selected.filename, selected.package.name);
  return {
    filename: selected.filename,
    url,
    parsed,
    version: parsed.version,
    hashes: { sha256 },
    sha256,
    requiresPython: selected.package.requiresPython,
    yanked: false,
    coreMetadata: false,
    size: selected.file.size,
    uploadTime: selected.file.uploadTime,
    source: url,
    sourceKind: 'index',
  };
}

/** Why no file of the name was found, naming the place that was asked. */
function whereNotFound(project: ProjectFiles): string {
  if (project.index !== null) return `is not offered by ${redactUrl(project.index)}`;
  const indexes = project.searched?.indexes ?? [];
  const folders = project.searched?.findLinks ?? [];
  // No index had the name at all: that, not the find-links folders, is the news (a mirror
  // without the project is the usual cause).
  const noProject =
    indexes.length === 1 ? `the index ${redactUrl(indexes[0] as string)} has no project ${project.name}` : indexes.length > 1 ? `none of the indexes ${indexes.map((url) => redactUrl(url)).join(', ')} has a project ${project.name}` : null;
  if (noProject === null) return folders.length > 0 ? 'is not offered by the find-links folders' : 'is not offered anywhere: no index or find-links folder is configured';
  return `cannot be found: ${noProject}${folders.length > 0 ? ', and the find-links folders do not have the file' : ''}`;
}

async function fromIndex(client: IndexClient, pkg: LockedPackage, filename: string, sha256: string): Promise<IndexFile> {
  const project = await client.getProject(pkg.name);
  const file = project.files.find((f) => f.filename === filename);
  if (file === undefined) {
    throw new PavedError('PAVED_E_FILE_NOT_FOUND', `${filename} (locked for ${pkg.name} ${pkg.version ?? ''}) ${whereNotFound(project)}`, {
      hint: 'Mirror the locked files to that index (paved download --lock), or install from the URLs in the lock.',
    });
  }
  if (file.sha256 !== null && file.sha256.toLowerCase() !== sha256) {
    throw new PavedError('PAVED_E_HASH_MISMATCH', `${filename} on ${redactUrl(file.source)} has sha256 ${file.sha256}, but the lock requires ${sha256}`, {
      hint: 'The index holds a different file under the locked name; nothing was installed. Check where that file came from, or lock again against this index.',
      details: { expected: sha256, actual: file.sha256, filename },
    });
  }
  return file;
}

/**
 * The index file to download for a selected locked file. Throws `PAVED_E_FILE_NOT_FOUND` /
 * `PAVED_E_HASH_MISMATCH` for a by-filename lookup that finds nothing or another file, and
 * whatever the client throws for an unreadable index.
 */
export async function locateLockedFile(selected: SelectedPackage, source: LockedFileSource): Promise<IndexFile> {
  const sha256 = lockedSha256(selected);
  return source.byFilename === true ? fromIndex(source.client, selected.package, selected.filename, sha256) : fromLock(selected, source.lockDir, sha256);
}

/**
 * Runs a download of a locked file, turning the client's digest error into
 * `PAVED_E_HASH_MISMATCH` against the lock (the lock, not the index, says what the bytes must be).
 */
export async function verifiedAgainstLock<T extends DownloadResult>(selected: SelectedPackage, download: () => Promise<T>): Promise<T> {
  try {
    return await download();
  } catch (error) {
    if (isPavedError(error, 'PAVED_E_DIGEST_MISMATCH')) {
      const details = error.details ?? {};
      throw new PavedError('PAVED_E_HASH_MISMATCH', `${selected.filename} (${selected.package.name} ${selected.package.version ?? ''}) does not match the sha256 in the lock (expected ${String(details['expected'])}, got ${String(details['actual'])})`, {
        hint: 'The file served is not the one locked (replaced, corrupted or tampered with); nothing was installed. Lock again only if the change is expected.',
        details,
        cause: error,
      });
    }
    throw error;
  }
}
