/**
 * Reading and writing PEP 751 lockfiles (`pylock.toml`). The reader validates everything an
 * installer will later trust (names, versions, markers, file names, paths, hashes) and names
 * the exact key path of what is wrong (`packages[3].wheels[0].hashes`); the writer is
 * deterministic so a lock that did not change is byte-identical, which keeps diffs quiet.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, TomlDate, TomlError } from 'smol-toml';
import { PavedError } from '../errors.js';
import { parseMarker } from '../standards/markers.js';
import { isValidName, normalizeName } from '../standards/names.js';
import { checkSafeFilename } from '../standards/safeFilename.js';
import { parseSpecifierSet } from '../standards/specifier.js';
import { parseVersion, tryParseVersion, type Version } from '../standards/version.js';
import type { LockedDependency, LockedFile, LockedPackage, PavedLockInputs, Pylock } from './pylockModel.js';

/** Locks larger than this are refused before parsing (a real lock of thousands of packages is a few MB). */
export const MAX_LOCK_BYTES = 64 * 1024 * 1024;

const CODE = 'PAVED_E_INVALID_LOCKFILE';
const REGENERATE = 'Regenerate the lockfile (paved lock) or fix the named key by hand.';
const HEX = /^[0-9a-fA-F]+$/;
const HASH_LENGTHS: Record<string, number> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128, blake2b: 128, blake2s: 64, sha3_256: 64, sha3_512: 128 };
const PACKAGE_SOURCES = ['vcs', 'directory', 'archive'] as const;

/** The lockfile of a project directory (the PEP's default name). */
export function lockPathFor(projectDir: string): string {
  return join(projectDir, 'pylock.toml');
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** A copy with ordinary prototypes (the TOML parser makes null-prototype tables), for tables kept as read. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (isTable(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** Builds the error for one key path. */
function invalid(shown: string, path: string, problem: string, hint: string = REGENERATE): PavedError {
  return new PavedError(CODE, `${shown}: ${path} ${problem}`, { hint, details: { key: path } });
}

/** Validation context: the file shown in messages. */
interface Reader {
  shown: string;
  warnings: string[];
}

function optionalString(r: Reader, table: Table, key: string, path: string): string | null {
  const value = table[key];
  if (value === undefined) return null;
  if (typeof value !== 'string') throw invalid(r.shown, `${path}.${key}`, 'must be a string');
  return value;
}

function stringArray(r: Reader, table: Table, key: string, path: string): string[] | null {
  const value = table[key];
  if (value === undefined) return null;
  if (!Array.isArray(value)) throw invalid(r.shown, `${path}${path === '' ? '' : '.'}${key}`, 'must be an array of strings');
  return value.map((item, index) => {
    if (typeof item !== 'string') throw invalid(r.shown, `${path}${path === '' ? '' : '.'}${key}[${index}]`, 'must be a string');
    return item;
  });
}

function checkMarker(r: Reader, text: string, path: string): void {
  try {
    parseMarker(text);
  } catch (error) {
    throw new PavedError(CODE, `${r.shown}: ${path} is not a valid PEP 508 marker: ${(error as Error).message}`, { hint: REGENERATE, details: { key: path }, cause: error });
  }
}

function checkRequiresPython(r: Reader, text: string, path: string): void {
  try {
    parseSpecifierSet(text);
  } catch (error) {
    throw new PavedError(CODE, `${r.shown}: ${path} is not a valid version specifier: ${(error as Error).message}`, { hint: REGENERATE, details: { key: path }, cause: error });
  }
}

function checkNames(r: Reader, names: string[], path: string): string[] {
  return names.map((name, index) => {
    if (!isValidName(name)) throw invalid(r.shown, `${path}[${index}]`, `is not a valid name: ${JSON.stringify(name.slice(0, 80))}`);
    return normalizeName(name);
  });
}

/** `upload-time` as written by paved: UTC, `Z`, milliseconds only when not zero (TOML parsers keep no more). */
function canonicalTime(date: Date): string {
  // TomlDate overrides toISOString to echo its own offset; a plain Date gives UTC.
  return new Date(date.getTime()).toISOString().replace('.000Z', 'Z');
}

/** An RFC 3339 date-time with offset (PEP 700 `upload-time`), as `serializePylock` writes it. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function uploadTimeOf(r: Reader, value: unknown, path: string): string | null {
  if (value === undefined) return null;
  if (value instanceof TomlDate && value.isDateTime() && !Number.isNaN(value.getTime())) return canonicalTime(value);
  // Some writers quote it; a quoted RFC 3339 time is unambiguous, so accept it.
  if (typeof value === 'string' && RFC3339.test(value) && !Number.isNaN(Date.parse(value))) return canonicalTime(new Date(value));
  throw invalid(r.shown, path, 'must be a TOML date-time with a time zone, e.g. 2024-05-01T12:00:00Z');
}

function checkRelativePath(r: Reader, value: string, path: string): void {
  const parts = value.split(/[\\/]/);
  if (value === '' || value.startsWith('/') || value.startsWith('\\') || /^[A-Za-z]:/.test(value) || parts.includes('..') || /[\0-\x1f]/.test(value)) {
    throw invalid(r.shown, path, `${JSON.stringify(value.slice(0, 120))} must be a relative path inside the lock's directory`, 'Keep files referenced by path next to the lockfile, or use a url.');
  }
}

function checkUrl(r: Reader, value: string, path: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(r.shown, path, `${JSON.stringify(value.slice(0, 120))} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:' && url.protocol !== 'file:') throw invalid(r.shown, path, `has scheme ${url.protocol} (only https, http and file are read)`);
  if (url.username !== '' || url.password !== '') {
    throw invalid(r.shown, path, 'contains credentials', 'Never store credentials in a lockfile; give them through netrc, the environment or a keyring.');
  }
}

function hashesOf(r: Reader, value: unknown, path: string): Record<string, string> {
  if (!isTable(value)) throw invalid(r.shown, path, 'must be a table of algorithm = "hex digest", e.g. { sha256 = "…" }');
  const keys = Object.keys(value);
  if (keys.length === 0) throw invalid(r.shown, path, 'must name at least one hash');
  const hashes: Record<string, string> = {};
  for (const algorithm of keys.sort()) {
    const digest = value[algorithm];
    if (!/^[a-z0-9_]{1,32}$/.test(algorithm)) throw invalid(r.shown, `${path}.${algorithm.slice(0, 40)}`, 'is not a hash algorithm name (lowercase hashlib names such as sha256)');
    if (typeof digest !== 'string' || !HEX.test(digest) || digest.length > 256) throw invalid(r.shown, `${path}.${algorithm}`, 'must be a hexadecimal digest string');
    const length = HASH_LENGTHS[algorithm];
    if (length !== undefined && digest.length !== length) throw invalid(r.shown, `${path}.${algorithm}`, `must be ${length} hex digits, not ${digest.length}`);
    hashes[algorithm] = digest.toLowerCase();
  }
  return hashes;
}

function fileOf(r: Reader, value: unknown, path: string, kind: 'wheel' | 'sdist'): LockedFile {
  if (!isTable(value)) throw invalid(r.shown, path, 'must be a table');
  const name = optionalString(r, value, 'name', path);
  const url = optionalString(r, value, 'url', path);
  const filePath = optionalString(r, value, 'path', path);
  if (name !== null) {
    try {
      checkSafeFilename(name);
    } catch (error) {
      throw new PavedError(CODE, `${r.shown}: ${path}.name is not a safe file name: ${(error as Error).message}`, { hint: REGENERATE, details: { key: `${path}.name` }, cause: error });
    }
    if (kind === 'wheel' && !name.endsWith('.whl')) throw invalid(r.shown, `${path}.name`, `${JSON.stringify(name)} is not a wheel file name (.whl)`);
  }
  if (url === null && filePath === null) throw invalid(r.shown, path, 'needs a url or a path');
  if (url !== null) checkUrl(r, url, `${path}.url`);
  if (filePath !== null) checkRelativePath(r, filePath, `${path}.path`);
  if (name === null) {
    // The name is then the last part of the url or path, which must itself be safe.
    const last = url !== null ? decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') : (filePath as string).split(/[\\/]/).pop() ?? '';
    try {
      checkSafeFilename(last);
    } catch (error) {
      throw new PavedError(CODE, `${r.shown}: ${path} has no name and its ${url !== null ? 'url' : 'path'} does not end in a safe file name`, { hint: REGENERATE, details: { key: path }, cause: error });
    }
  }
  const size = value['size'];
  if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)) throw invalid(r.shown, `${path}.size`, 'must be a non-negative integer');
  if (value['hashes'] === undefined) throw invalid(r.shown, `${path}.hashes`, 'is required (PEP 751)');
  return {
    name,
    url,
    path: filePath,
    uploadTime: uploadTimeOf(r, value['upload-time'], `${path}.upload-time`),
    size: size === undefined ? null : size,
    hashes: hashesOf(r, value['hashes'], `${path}.hashes`),
  };
}

function dependencyOf(r: Reader, value: unknown, path: string): LockedDependency {
  if (!isTable(value)) throw invalid(r.shown, path, 'must be a table such as { name = "x" }');
  const name = value['name'];
  if (typeof name !== 'string' || !isValidName(name)) throw invalid(r.shown, `${path}.name`, 'must be a valid project name');
  const version = optionalString(r, value, 'version', path);
  if (version !== null && tryParseVersion(version) === null) throw invalid(r.shown, `${path}.version`, `${JSON.stringify(version.slice(0, 80))} is not a PEP 440 version`);
  return version === null ? { name: normalizeName(name) } : { name: normalizeName(name), version };
}

function packageOf(r: Reader, value: unknown, path: string): LockedPackage {
  if (!isTable(value)) throw invalid(r.shown, path, 'must be a table');
  const name = value['name'];
  if (typeof name !== 'string' || name === '') throw invalid(r.shown, `${path}.name`, 'must be a non-empty string');
  if (!isValidName(name)) throw invalid(r.shown, `${path}.name`, `${JSON.stringify(name.slice(0, 80))} is not a valid project name`);
  const version = optionalString(r, value, 'version', path);
  if (version !== null && tryParseVersion(version) === null) throw invalid(r.shown, `${path}.version`, `${JSON.stringify(version.slice(0, 80))} is not a PEP 440 version`);
  const marker = optionalString(r, value, 'marker', path);
  if (marker !== null) checkMarker(r, marker, `${path}.marker`);
  const requiresPython = optionalString(r, value, 'requires-python', path);
  if (requiresPython !== null) checkRequiresPython(r, requiresPython, `${path}.requires-python`);
  const index = optionalString(r, value, 'index', path);
  if (index !== null) checkUrl(r, index, `${path}.index`);

  const rawDeps = value['dependencies'];
  if (rawDeps !== undefined && !Array.isArray(rawDeps)) throw invalid(r.shown, `${path}.dependencies`, 'must be an array of tables');
  const dependencies = (rawDeps ?? []).map((d: unknown, i: number) => dependencyOf(r, d, `${path}.dependencies[${i}]`));

  const rawWheels = value['wheels'];
  if (rawWheels !== undefined && !Array.isArray(rawWheels)) throw invalid(r.shown, `${path}.wheels`, 'must be an array of tables');
  const wheels = (rawWheels ?? []).map((w: unknown, i: number) => fileOf(r, w, `${path}.wheels[${i}]`, 'wheel'));
  const seenWheelNames = new Set<string>();
  wheels.forEach((w: LockedFile, i: number) => {
    if (w.name === null) return;
    if (seenWheelNames.has(w.name)) throw invalid(r.shown, `${path}.wheels[${i}].name`, `${JSON.stringify(w.name)} is listed twice`);
    seenWheelNames.add(w.name);
  });
  const sdist = value['sdist'] === undefined ? null : fileOf(r, value['sdist'], `${path}.sdist`, 'sdist');

  const sources = PACKAGE_SOURCES.filter((key) => value[key] !== undefined);
  if (sources.length > 1 || (sources.length === 1 && (wheels.length > 0 || sdist !== null))) {
    throw invalid(r.shown, path, `has more than one source (${[...sources, ...(sdist !== null ? ['sdist'] : []), ...(wheels.length > 0 ? ['wheels'] : [])].join(', ')}); PEP 751 allows one`);
  }
  const otherSource = sources[0] ?? null;
  let otherSourceTable: Record<string, unknown> | undefined;
  if (otherSource !== null) {
    const table = value[otherSource];
    if (!isTable(table)) throw invalid(r.shown, `${path}.${otherSource}`, 'must be a table');
    otherSourceTable = plain(table) as Table;
  } else if (version === null && (wheels.length > 0 || sdist !== null)) {
    throw invalid(r.shown, `${path}.version`, 'is required for a package installed from an index (sdist or wheels)');
  }
  const tool = value['tool'];
  if (tool !== undefined && !isTable(tool)) throw invalid(r.shown, `${path}.tool`, 'must be a table');
  const identities = value['attestation-identities'];
  if (identities !== undefined && (!Array.isArray(identities) || !identities.every(isTable))) throw invalid(r.shown, `${path}.attestation-identities`, 'must be an array of tables');

  const pkg: LockedPackage = {
    name: normalizeName(name),
    version,
    marker,
    requiresPython,
    index,
    dependencies,
    wheels,
    sdist,
    otherSource,
    tool: (plain(tool) as Table | undefined) ?? {},
  };
  if (otherSourceTable !== undefined) pkg.otherSourceTable = otherSourceTable;
  if (identities !== undefined) pkg.attestationIdentities = plain(identities) as Record<string, unknown>[];
  return pkg;
}

function stringListTable(r: Reader, value: unknown, path: string): Record<string, string[]> {
  if (value === undefined) return {};
  if (!isTable(value)) throw invalid(r.shown, path, 'must be a table of string arrays');
  const out: Record<string, string[]> = {};
  for (const [key, list] of Object.entries(value)) {
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) throw invalid(r.shown, `${path}.${key}`, 'must be an array of strings');
    out[key] = list as string[];
  }
  return out;
}

function pavedInputsOf(r: Reader, value: unknown): PavedLockInputs {
  const path = 'tool.paved.inputs';
  if (!isTable(value)) throw invalid(r.shown, path, 'must be a table');
  const requiresPython = optionalString(r, value, 'requires-python', path);
  const required = stringArray(r, value, 'required-environments', path) ?? [];
  required.forEach((m, i) => checkMarker(r, m, `${path}.required-environments[${i}]`));
  return {
    requiresPython,
    environments: stringArray(r, value, 'environments', path) ?? [],
    ...(required.length === 0 ? {} : { requiredEnvironments: required }),
    dependencies: stringArray(r, value, 'dependencies', path) ?? [],
    optionalDependencies: stringListTable(r, value['optional-dependencies'], `${path}.optional-dependencies`),
    dependencyGroups: stringListTable(r, value['dependency-groups'], `${path}.dependency-groups`),
  };
}

function tomlLocation(error: unknown): string {
  if (error instanceof TomlError) return `line ${error.line}, column ${error.column}: ${error.message.split('\n')[0] ?? ''}`;
  return (error as Error).message;
}

/**
 * Parses the text of a `pylock.toml` into a `Pylock`. PEP 751 tells readers to refuse an
 * unknown major `lock-version` and warn about a newer minor one; the warning is returned.
 * Everything else wrong throws `PAVED_E_INVALID_LOCKFILE` naming the key path.
 */
export function parsePylock(text: string, shown = 'pylock.toml'): { lock: Pylock; warnings: string[] } {
  if (text.length > MAX_LOCK_BYTES) throw new PavedError(CODE, `${shown} is larger than the limit of ${MAX_LOCK_BYTES} bytes`, { hint: 'Is this really a lockfile?' });
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (error) {
    throw new PavedError(CODE, `${shown} is not valid TOML (${tomlLocation(error)})`, { hint: REGENERATE, cause: error });
  }
  const r: Reader = { shown, warnings: [] };
  const lockVersion = doc['lock-version'];
  if (typeof lockVersion !== 'string') throw new PavedError(CODE, `${shown} has no lock-version string; is it a PEP 751 lockfile?`, { hint: REGENERATE, details: { key: 'lock-version' } });
  const match = /^(\d+)\.(\d+)$/.exec(lockVersion);
  if (match === null || match[1] !== '1') {
    throw new PavedError(CODE, `${shown} has lock-version ${JSON.stringify(lockVersion.slice(0, 40))}; paved reads lock-version 1.x`, {
      hint: 'Upgrade paved, or lock again with a tool that writes lock-version 1.0.',
      details: { key: 'lock-version' },
    });
  }
  if (match[2] !== '0') r.warnings.push(`${shown} has lock-version ${lockVersion}, newer than 1.0; fields added since are ignored`);
  const createdBy = doc['created-by'];
  if (typeof createdBy !== 'string' || createdBy === '') throw invalid(shown, 'created-by', 'is required (a non-empty string naming the tool that wrote the lock)');

  const environments = stringArray(r, doc, 'environments', '');
  environments?.forEach((m, i) => checkMarker(r, m, `environments[${i}]`));
  const requiresPython = optionalString(r, doc, 'requires-python', '');
  if (requiresPython !== null) checkRequiresPython(r, requiresPython, 'requires-python');
  const extras = checkNames(r, stringArray(r, doc, 'extras', '') ?? [], 'extras');
  const dependencyGroups = checkNames(r, stringArray(r, doc, 'dependency-groups', '') ?? [], 'dependency-groups');
  const defaultGroups = checkNames(r, stringArray(r, doc, 'default-groups', '') ?? [], 'default-groups');

  const rawPackages = doc['packages'];
  if (rawPackages !== undefined && !Array.isArray(rawPackages)) throw invalid(shown, 'packages', 'must be an array of tables ([[packages]])');
  const packages = (rawPackages ?? []).map((p: unknown, i: number) => packageOf(r, p, `packages[${i}]`));
  const seen = new Map<string, { version: Version; index: number }[]>();
  packages.forEach((p: LockedPackage, i: number) => {
    if (p.version === null) return;
    const version = parseVersion(p.version);
    const earlier = seen.get(p.name) ?? [];
    // 1.0 and 1.0.0 are the same release, so compare versions rather than text.
    const first = earlier.find((e) => e.version.compare(version) === 0);
    if (first !== undefined) throw invalid(shown, `packages[${i}]`, `repeats ${p.name} ${p.version} (already packages[${first.index}])`);
    seen.set(p.name, [...earlier, { version, index: i }]);
  });

  const rawTool = doc['tool'];
  if (rawTool !== undefined && !isTable(rawTool)) throw invalid(shown, 'tool', 'must be a table');
  const tool = (plain(rawTool) as Table | undefined) ?? {};
  let pavedInputs: PavedLockInputs | null = null;
  const paved = tool['paved'];
  if (paved !== undefined) {
    if (!isTable(paved)) throw invalid(shown, 'tool.paved', 'must be a table');
    if (paved['inputs'] !== undefined) {
      pavedInputs = pavedInputsOf(r, paved['inputs']);
      const rest = { ...paved };
      delete rest['inputs'];
      if (Object.keys(rest).length > 0) tool['paved'] = rest;
      else delete tool['paved'];
    }
  }
  return {
    lock: { lockVersion, environments, requiresPython, extras, dependencyGroups, defaultGroups, createdBy, packages, pavedInputs, tool },
    warnings: r.warnings,
  };
}

/** Reads and parses a lockfile; `PAVED_E_NOT_FOUND` when missing, `PAVED_E_INVALID_LOCKFILE` when too large, not UTF-8 or invalid. */
export async function readPylock(path: string): Promise<{ lock: Pylock; warnings: string[] }> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new PavedError('PAVED_E_NOT_FOUND', `lockfile ${path} does not exist`, { hint: 'Create it with paved lock, or give the path of a pylock.toml (PEP 751).' });
  }
  if (size > MAX_LOCK_BYTES) throw new PavedError(CODE, `lockfile ${path} is ${size} bytes; the limit is ${MAX_LOCK_BYTES}`, { hint: 'Is this really a lockfile?' });
  const bytes = await readFile(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new PavedError(CODE, `lockfile ${path} is not UTF-8`, { hint: 'TOML files are UTF-8; regenerate the lockfile.' });
  }
  return parsePylock(text, path);
}

// ---------------------------------------------------------------------------------------------
// Writing

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

function tomlString(value: string): string {
  // JSON escapes are TOML basic-string escapes, except that TOML forbids lone surrogates and DEL raw.
  if (/[\uD800-\uDFFF]/.test(value.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) {
    throw new PavedError('PAVED_E_INVALID_LOCKFILE', `cannot write ${JSON.stringify(value.slice(0, 40))} to TOML: it holds a lone surrogate`);
  }
  return JSON.stringify(value).replace(/\x7f/g, '\\u007f');
}

/** A value written inline: tables as `{ k = v }`, keys sorted so equal values give equal text. */
function tomlInline(value: unknown): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return Number.isInteger(value) ? value.toFixed(0) : String(value);
  }
  if (value instanceof TomlDate) return value.toISOString();
  if (value instanceof Date) return canonicalTime(value);
  if (Array.isArray(value)) return `[${value.map(tomlInline).join(', ')}]`;
  if (isTable(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined && value[k] !== null).sort();
    return keys.length === 0 ? '{}' : `{ ${keys.map((k) => `${tomlKey(k)} = ${tomlInline(value[k])}`).join(', ')} }`;
  }
  throw new PavedError('PAVED_E_INVALID_LOCKFILE', `cannot write a ${typeof value} to TOML`);
}

function fileInline(file: LockedFile): string {
  const parts: string[] = [];
  if (file.name !== null) parts.push(`name = ${tomlString(file.name)}`);
  if (file.uploadTime !== null) {
    const time = new Date(file.uploadTime);
    if (!RFC3339.test(file.uploadTime) || Number.isNaN(time.getTime())) throw new PavedError('PAVED_E_INVALID_LOCKFILE', `upload time ${JSON.stringify(file.uploadTime)} is not an RFC 3339 date-time`);
    parts.push(`upload-time = ${canonicalTime(time)}`);
  }
  if (file.url !== null) parts.push(`url = ${tomlString(file.url)}`);
  if (file.path !== null) parts.push(`path = ${tomlString(file.path)}`);
  if (file.size !== null) parts.push(`size = ${file.size.toFixed(0)}`);
  parts.push(`hashes = ${tomlInline(file.hashes)}`);
  return `{ ${parts.join(', ')} }`;
}

function fileSortKey(file: LockedFile): string {
  return file.name ?? (file.url ?? file.path ?? '').split('/').pop() ?? '';
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compareLockVersions(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const va = tryParseVersion(a);
  const vb = tryParseVersion(b);
  if (va !== null && vb !== null) {
    const c = va.compare(vb);
    if (c !== 0) return c;
  }
  return compareText(a, b);
}

function stringArrayLine(key: string, values: readonly string[]): string {
  return `${key} = [${values.map(tomlString).join(', ')}]`;
}

/** Multi-line array of inline values, one per line, like uv writes `wheels`. */
function multiline(key: string, items: readonly string[]): string {
  if (items.length === 0) return `${key} = []`;
  if (items.length === 1) return `${key} = [${items[0] as string}]`;
  return `${key} = [\n${items.map((item) => `    ${item},`).join('\n')}\n]`;
}

/** Writes a table's keys below a header; nested tables become inline tables. */
function tableSection(header: string, table: Table): string[] {
  const keys = Object.keys(table).filter((k) => table[k] !== undefined && table[k] !== null).sort();
  return [`[${header}]`, ...keys.map((k) => `${tomlKey(k)} = ${tomlInline(table[k])}`)];
}

function packageLines(pkg: LockedPackage): string[] {
  const lines = ['[[packages]]', `name = ${tomlString(pkg.name)}`];
  if (pkg.version !== null) lines.push(`version = ${tomlString(pkg.version)}`);
  if (pkg.marker !== null) lines.push(`marker = ${tomlString(pkg.marker)}`);
  if (pkg.requiresPython !== null) lines.push(`requires-python = ${tomlString(pkg.requiresPython)}`);
  if (pkg.dependencies.length > 0) {
    const deps = [...pkg.dependencies].sort((a, b) => compareText(a.name, b.name) || compareLockVersions(a.version ?? null, b.version ?? null));
    lines.push(multiline('dependencies', deps.map((d) => (d.version === undefined ? `{ name = ${tomlString(d.name)} }` : `{ name = ${tomlString(d.name)}, version = ${tomlString(d.version)} }`))));
  }
  if (pkg.otherSource !== null) lines.push(`${pkg.otherSource} = ${tomlInline(pkg.otherSourceTable ?? {})}`);
  if (pkg.index !== null) lines.push(`index = ${tomlString(pkg.index)}`);
  if (pkg.sdist !== null) lines.push(`sdist = ${fileInline(pkg.sdist)}`);
  if (pkg.wheels.length > 0) {
    const wheels = [...pkg.wheels].sort((a, b) => compareText(fileSortKey(a), fileSortKey(b)));
    lines.push(multiline('wheels', wheels.map(fileInline)));
  }
  if (pkg.attestationIdentities !== undefined) lines.push(multiline('attestation-identities', pkg.attestationIdentities.map(tomlInline)));
  if (Object.keys(pkg.tool).length > 0) lines.push('', ...tableSection('packages.tool', pkg.tool));
  return lines;
}

function inputsLines(inputs: PavedLockInputs): string[] {
  const lines = ['[tool.paved.inputs]'];
  if (inputs.requiresPython !== null) lines.push(`requires-python = ${tomlString(inputs.requiresPython)}`);
  lines.push(stringArrayLine('environments', inputs.environments));
  // Written only when set, so locks made without it keep their bytes.
  if ((inputs.requiredEnvironments ?? []).length > 0) lines.push(stringArrayLine('required-environments', inputs.requiredEnvironments ?? []));
  lines.push(multiline('dependencies', inputs.dependencies.map(tomlString)));
  // Empty tables stay inline; the others get their own section, which must come after every plain key.
  const sections: string[] = [];
  for (const [key, table] of [['optional-dependencies', inputs.optionalDependencies], ['dependency-groups', inputs.dependencyGroups]] as const) {
    const names = Object.keys(table).sort();
    if (names.length === 0) lines.push(`${key} = {}`);
    else sections.push('', `[tool.paved.inputs.${key}]`, ...names.map((n) => multiline(tomlKey(n), (table[n] as string[]).map(tomlString))));
  }
  return [...lines, ...sections];
}

/**
 * Writes a lock as TOML, deterministically: keys in the PEP's order, packages sorted by name
 * then version, wheels by file name, dependencies by name, `hashes` inline, `upload-time` as a
 * TOML date-time in UTC, `[tool.paved.inputs]` from `pavedInputs`. `parsePylock` of the result
 * gives the lock back (with upload times at millisecond precision in UTC and the sort applied).
 */
export function serializePylock(lock: Pylock): string {
  const head: string[] = [`lock-version = ${tomlString(lock.lockVersion)}`];
  if (lock.environments !== null) head.push(multiline('environments', lock.environments.map(tomlString)));
  if (lock.requiresPython !== null) head.push(`requires-python = ${tomlString(lock.requiresPython)}`);
  if (lock.extras.length > 0) head.push(stringArrayLine('extras', lock.extras));
  if (lock.dependencyGroups.length > 0) head.push(stringArrayLine('dependency-groups', lock.dependencyGroups));
  if (lock.defaultGroups.length > 0) head.push(stringArrayLine('default-groups', lock.defaultGroups));
  head.push(`created-by = ${tomlString(lock.createdBy)}`);
  const blocks: string[][] = [head];
  const packages = [...lock.packages].sort((a, b) => compareText(a.name, b.name) || compareLockVersions(a.version, b.version));
  for (const pkg of packages) blocks.push(packageLines(pkg));
  // Plain values directly under [tool] come first, in one section: TOML allows a table once.
  const plain = Object.keys(lock.tool).filter((k) => !isTable(lock.tool[k]) && lock.tool[k] !== undefined && lock.tool[k] !== null).sort();
  if (plain.length > 0) blocks.push(['[tool]', ...plain.map((k) => `${tomlKey(k)} = ${tomlInline(lock.tool[k])}`)]);
  const toolNames = new Set(Object.keys(lock.tool).filter((k) => isTable(lock.tool[k])));
  if (lock.pavedInputs !== null) toolNames.add('paved');
  for (const name of [...toolNames].sort()) {
    const table = lock.tool[name];
    if (name === 'paved') {
      const rest = isTable(table) ? table : {};
      if (Object.keys(rest).length > 0) blocks.push(tableSection('tool.paved', rest));
      if (lock.pavedInputs !== null) blocks.push(inputsLines(lock.pavedInputs));
      continue;
    }
    blocks.push(tableSection(`tool.${tomlKey(name)}`, table as Table));
  }
  return `${blocks.map((b) => b.join('\n')).join('\n\n')}\n`;
}
