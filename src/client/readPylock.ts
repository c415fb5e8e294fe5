/**
 * A minimal reader of PEP 751 lockfiles (`pylock.toml`, `pylock.<name>.toml`): which project
 * versions the lock installs. The full lock model (sources, hashes, markers per environment)
 * belongs to `project/`; this is what `paved audit --lock` needs.
 */
import { readFile, stat } from 'node:fs/promises';
import { parse, TomlError } from 'smol-toml';
import { PavedError } from '../errors.js';

/** One `[[packages]]` entry. */
export interface LockedPackage {
  name: string;
  /** Null for packages locked by a direct URL, directory or VCS source without a version. */
  version: string | null;
  /** Its `marker`, when the lock applies it to some environments only. */
  marker: string | null;
  /** 0-based position in `[[packages]]`, for messages. */
  index: number;
}

/** What `readPylock` found. */
export interface PylockContents {
  lockVersion: string;
  packages: LockedPackage[];
  /** Non-fatal problems, e.g. a lock minor version newer than this reader. */
  warnings: string[];
}

const MAX_LOCK_BYTES = 64 * 1024 * 1024;
const CODE = 'PAVED_E_INVALID_LOCKFILE';

/**
 * Parses the text of a `pylock.toml`. PEP 751 tells readers to refuse an unknown major
 * `lock-version` and warn about a newer minor one; both are done here. Throws
 * `PAVED_E_INVALID_LOCKFILE` naming the field that is wrong.
 */
export function parsePylock(text: string, shown = 'pylock.toml'): PylockContents {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (error) {
    const detail = error instanceof TomlError ? `line ${error.line}, column ${error.column}: ${error.message.split('\n')[0]}` : (error as Error).message;
    throw new PavedError(CODE, `${shown} is not valid TOML (${detail})`, { hint: 'Regenerate the lockfile with the tool that wrote it.' });
  }
  const lockVersion = doc['lock-version'];
  if (typeof lockVersion !== 'string') throw new PavedError(CODE, `${shown} has no lock-version string; is it a PEP 751 lockfile?`);
  const match = /^(\d+)\.(\d+)$/.exec(lockVersion);
  if (match === null || match[1] !== '1') {
    throw new PavedError(CODE, `${shown} has lock-version ${JSON.stringify(lockVersion)}; paved reads lock-version 1.x`, { hint: 'Upgrade paved, or lock again with a tool that writes lock-version 1.0.' });
  }
  const warnings = match[2] !== '0' ? [`${shown} has lock-version ${lockVersion}, newer than 1.0; fields added since are ignored`] : [];
  const raw = doc['packages'];
  if (raw === undefined) return { lockVersion, packages: [], warnings };
  if (!Array.isArray(raw)) throw new PavedError(CODE, `${shown}: packages must be an array of tables ([[packages]])`);
  const packages = raw.map((item: unknown, index): LockedPackage => {
    const where = `${shown}: packages[${index}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new PavedError(CODE, `${where} must be a table`);
    const entry = item as Record<string, unknown>;
    const { name, version, marker } = entry;
    if (typeof name !== 'string' || name === '') throw new PavedError(CODE, `${where}.name must be a non-empty string`);
    if (version !== undefined && typeof version !== 'string') throw new PavedError(CODE, `${where}.version must be a string`);
    if (marker !== undefined && typeof marker !== 'string') throw new PavedError(CODE, `${where}.marker must be a string`);
    return { name, version: version ?? null, marker: marker ?? null, index };
  });
  return { lockVersion, packages, warnings };
}

/** Reads and parses a `pylock.toml` file; `PAVED_E_NOT_FOUND` when it is missing. */
export async function readPylock(path: string): Promise<PylockContents> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new PavedError('PAVED_E_NOT_FOUND', `lockfile ${path} does not exist`, { hint: 'Give the path of a pylock.toml (PEP 751).' });
  }
  if (size > MAX_LOCK_BYTES) throw new PavedError(CODE, `lockfile ${path} is ${size} bytes; the limit is ${MAX_LOCK_BYTES}`);
  const bytes = await readFile(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new PavedError(CODE, `lockfile ${path} is not UTF-8`);
  }
  return parsePylock(text, path);
}
