/**
 * `pyproject.toml` as paved reads it: the PEP 621 `[project]` table, PEP 735
 * `[dependency-groups]`, PEP 518 `[build-system]` and paved's own `[tool.paved]`.
 *
 * Everything is validated at this edge (names, PEP 440 specifiers, PEP 508 requirements and
 * markers), so the resolver and lock writer downstream can trust what they get. A problem is a
 * `PAVED_E_INVALID_PYPROJECT` naming the file, the key path (`project.dependencies[3]`) and, for
 * TOML syntax errors, the line and column. Requirements are kept as written (already validated)
 * so `paved add`/`remove` and lock inputs can show them the user's way.
 *
 * `parsePyproject` is pure; `readPyproject` and `findProjectRoot` touch the file system.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { PavedError } from '../errors.js';
import { parseMarker } from '../standards/markers.js';
import { isValidName, MAX_NAME_LENGTH, normalizeExtra, normalizeName } from '../standards/names.js';
import { parseRequirement } from '../standards/requirement.js';
import { parseSpecifierSet } from '../standards/specifier.js';
import { parseVersion } from '../standards/version.js';

/** Largest pyproject.toml (or paved config file) read; real ones are a few kB. */
export const MAX_PYPROJECT_BYTES = 16 * 1024 * 1024;

const CODE = 'PAVED_E_INVALID_PYPROJECT';

/** The PEP 621 `[project]` table, as far as locking and installing need it. */
export interface ProjectTable {
  /** The name as written. */
  name: string;
  /** PEP 503 normalised name. */
  normalizedName: string;
  /** Null when absent or listed in `dynamic`. */
  version: string | null;
  /** `requires-python` as written, validated as a PEP 440 specifier set; null when absent. */
  requiresPython: string | null;
  /** `dependencies`: PEP 508 requirement strings as written (each validated). */
  dependencies: string[];
  /** `optional-dependencies` by PEP 685-normalised extra name. */
  optionalDependencies: Record<string, string[]>;
  /** `dynamic` field names as written. */
  dynamic: string[];
}

/** One entry of a PEP 735 dependency group: a requirement string or an include. */
export type DependencyGroupItem = { kind: 'requirement'; requirement: string } | { kind: 'include'; group: string };

/** The PEP 518 `[build-system]` table. */
export interface BuildSystemTable {
  requires: string[];
  buildBackend: string | null;
  backendPath: string[];
}

/** One `[[tool.paved.index]]` entry. */
export interface NamedIndex {
  name: string | null;
  url: string;
  /** True: this is the default index (it replaces `index-url`). */
  default: boolean;
}

/** `keyring-provider`: `subprocess` runs the `keyring` command like pip and uv; `disabled` never does. */
export type KeyringProvider = 'subprocess' | 'disabled';

/**
 * paved's client settings as one file gives them: `[tool.paved]` of a pyproject.toml, or the
 * top level of the user config file. A field is null (or empty) when that file does not set it;
 * `resolveClientConfig` layers files, environment and flags.
 */
export interface PavedSettings {
  indexUrl: string | null;
  extraIndexUrls: string[];
  indexes: NamedIndex[];
  findLinks: string[];
  /** PEP 508 markers limiting a universal lock (each validated). */
  environments: string[] | null;
  /** PEP 508 markers of environments every locked package must have a wheel (or an sdist) for (each validated). */
  requiredEnvironments: string[] | null;
  /** Group names (normalised), or `all`; null when not set. */
  defaultGroups: string[] | 'all' | null;
  python: string | null;
  offline: boolean | null;
  cacheDir: string | null;
  keyringProvider: KeyringProvider | null;
  keyringCommand: string[] | null;
  /** `timeout`: the HTTP timeout, given in seconds, here in milliseconds. */
  timeoutMs: number | null;
}

/** A parsed pyproject.toml. */
export interface PyprojectFile {
  /** How the file is named in messages (usually its path). */
  shown: string;
  /** Null when the file has no `[project]` table (a virtual project: only groups and tool settings). */
  project: ProjectTable | null;
  /** `[dependency-groups]` as written, by normalised group name. */
  dependencyGroups: Record<string, DependencyGroupItem[]>;
  /** Groups with includes expanded, by normalised name (see `expandDependencyGroups`). */
  expandedGroups: Record<string, string[]>;
  buildSystem: BuildSystemTable | null;
  /** `[tool.paved]`. */
  paved: PavedSettings;
  /**
   * The groups installed unless asked otherwise: `tool.paved.default-groups`, else `["dev"]`
   * when a `dev` group exists (as uv does), else none. Normalised names.
   */
  defaultGroups: string[];
  /**
   * Files (relative to the project) besides pyproject.toml, setup.py and setup.cfg whose content
   * the build back-end's answer depends on: `[tool.paved] cache-keys`, then the files
   * `[tool.setuptools.dynamic]` reads (`dependencies = { file = ["requirements.in"] }`), which
   * paved can see for itself. Dynamic dependencies are recomputed, and the editable install
   * rebuilt, only when one of these (or the defaults) changes.
   */
  cacheKeys: string[];
  /** Non-fatal problems, e.g. unknown keys in `[tool.paved]`. */
  warnings: string[];
}

type Table = Record<string, unknown>;

/** Where a value came from, for messages: the file and the key path inside it. */
export interface SettingsContext {
  shown: string;
  /** The error code for this kind of file. */
  code: string;
  /** Key path prefix, e.g. `tool.paved` (empty for a config file's top level). */
  prefix: string;
}

function keyPath(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

function fail(code: string, shown: string, path: string, problem: string, hint?: string, cause?: unknown): PavedError {
  return new PavedError(code, `${shown}: ${path} ${problem}`, { hint, cause, details: { file: shown, key: path } });
}

function invalid(shown: string, path: string, problem: string, hint?: string, cause?: unknown): PavedError {
  return fail(CODE, shown, path, problem, hint, cause);
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a table';
  return `a ${typeof value}`;
}

/** Shows a hostile string safely inside a message. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function stringArray(value: unknown, code: string, shown: string, path: string): string[] {
  if (!Array.isArray(value)) throw fail(code, shown, path, `must be an array of strings, not ${describe(value)}`);
  return value.map((item, i) => {
    if (typeof item !== 'string') throw fail(code, shown, `${path}[${i}]`, `must be a string, not ${describe(item)}`);
    return item;
  });
}

function optionalString(table: Table, key: string, code: string, shown: string, prefix: string): string | null {
  const value = table[key];
  if (value === undefined) return null;
  if (typeof value !== 'string') throw fail(code, shown, keyPath(prefix, key), `must be a string, not ${describe(value)}`);
  return value;
}

function requirementList(value: unknown, shown: string, path: string): string[] {
  return stringArray(value, CODE, shown, path).map((text, i) => checkRequirement(text, shown, `${path}[${i}]`));
}

function checkRequirement(text: string, shown: string, path: string): string {
  try {
    parseRequirement(text);
  } catch (error) {
    if (!(error instanceof PavedError)) throw error;
    throw invalid(shown, path, `is not a valid requirement: ${error.message}`, error.hint, error);
  }
  return text;
}

function parseProjectTable(value: unknown, shown: string): ProjectTable {
  if (!isTable(value)) throw invalid(shown, 'project', `must be a table, not ${describe(value)}`);
  const dynamic = value['dynamic'] === undefined ? [] : stringArray(value['dynamic'], CODE, shown, 'project.dynamic');
  if (dynamic.includes('name')) throw invalid(shown, 'project.dynamic', 'must not list "name" (PEP 621: the name is always static)');

  const name = value['name'];
  if (name === undefined) throw invalid(shown, 'project.name', 'is missing', 'Add name = "your-project" to the [project] table.');
  if (typeof name !== 'string') throw invalid(shown, 'project.name', `must be a string, not ${describe(name)}`);
  if (name.length > MAX_NAME_LENGTH || !isValidName(name)) {
    throw invalid(shown, 'project.name', `is not a valid project name: ${quote(name)}`, 'A name uses ASCII letters, digits, ".", "_" and "-", and starts and ends with a letter or digit.');
  }

  let version: string | null = null;
  if (value['version'] !== undefined) {
    if (dynamic.includes('version')) throw invalid(shown, 'project.version', 'is set but also listed in project.dynamic', 'Remove one of the two.');
    const raw = value['version'];
    if (typeof raw !== 'string') throw invalid(shown, 'project.version', `must be a string, not ${describe(raw)}`);
    try {
      parseVersion(raw);
    } catch (error) {
      throw invalid(shown, 'project.version', `is not a PEP 440 version: ${quote(raw)}`, 'Use a version such as "1.0.0" or "2024.1rc1".', error);
    }
    version = raw;
  }

  let requiresPython: string | null = null;
  if (value['requires-python'] !== undefined) {
    const raw = value['requires-python'];
    if (typeof raw !== 'string') throw invalid(shown, 'project.requires-python', `must be a string, not ${describe(raw)}`);
    try {
      parseSpecifierSet(raw);
    } catch (error) {
      const message = error instanceof PavedError ? error.message : String(error);
      throw invalid(shown, 'project.requires-python', `is not a PEP 440 specifier set: ${message}`, 'Write it like ">=3.10" or ">=3.9,<4".', error);
    }
    requiresPython = raw;
  }

  const dependencies = value['dependencies'] === undefined ? [] : requirementList(value['dependencies'], shown, 'project.dependencies');

  const optionalDependencies: Record<string, string[]> = {};
  const rawOptional = value['optional-dependencies'];
  if (rawOptional !== undefined) {
    if (!isTable(rawOptional)) throw invalid(shown, 'project.optional-dependencies', `must be a table, not ${describe(rawOptional)}`);
    const seen = new Map<string, string>();
    for (const [extra, list] of Object.entries(rawOptional)) {
      const path = `project.optional-dependencies.${extra}`;
      if (extra.length > MAX_NAME_LENGTH || !isValidName(extra)) throw invalid(shown, path, `has an invalid extra name ${quote(extra)}`, 'Extra names follow the project-name rule (letters, digits, ".", "_", "-").');
      const normalized = normalizeExtra(extra);
      const other = seen.get(normalized);
      if (other !== undefined) throw invalid(shown, path, `names the same extra as ${quote(other)} (PEP 685 normalises both to ${quote(normalized)})`, 'Merge the two lists.');
      seen.set(normalized, extra);
      optionalDependencies[normalized] = requirementList(list, shown, path);
    }
  }
  return { name, normalizedName: normalizeName(name), version, requiresPython, dependencies, optionalDependencies, dynamic };
}

function parseDependencyGroups(value: unknown, shown: string): Record<string, DependencyGroupItem[]> {
  if (!isTable(value)) throw invalid(shown, 'dependency-groups', `must be a table, not ${describe(value)}`);
  const groups: Record<string, DependencyGroupItem[]> = {};
  const seen = new Map<string, string>();
  for (const [group, list] of Object.entries(value)) {
    const path = `dependency-groups.${group}`;
    if (group.length > MAX_NAME_LENGTH || !isValidName(group)) throw invalid(shown, path, `has an invalid group name ${quote(group)}`, 'Group names follow the project-name rule (letters, digits, ".", "_", "-").');
    const normalized = normalizeName(group);
    const other = seen.get(normalized);
    if (other !== undefined) throw invalid(shown, path, `names the same group as ${quote(other)} (both normalise to ${quote(normalized)})`, 'Merge the two groups.');
    seen.set(normalized, group);
    if (!Array.isArray(list)) throw invalid(shown, path, `must be an array, not ${describe(list)}`);
    groups[normalized] = list.map((item: unknown, i): DependencyGroupItem => {
      const itemPath = `${path}[${i}]`;
      if (typeof item === 'string') return { kind: 'requirement', requirement: checkRequirement(item, shown, itemPath) };
      if (isTable(item)) {
        const keys = Object.keys(item);
        const include = item['include-group'];
        if (keys.length !== 1 || typeof include !== 'string') {
          throw invalid(shown, itemPath, 'must be a requirement string or a table {include-group = "name"}');
        }
        if (include.length > MAX_NAME_LENGTH || !isValidName(include)) throw invalid(shown, `${itemPath}.include-group`, `is not a valid group name: ${quote(include)}`);
        return { kind: 'include', group: normalizeName(include) };
      }
      throw invalid(shown, itemPath, `must be a requirement string or an {include-group = "…"} table, not ${describe(item)}`);
    });
  }
  return groups;
}

/**
 * Expands PEP 735 `include-group` entries: every group becomes the flat list of requirement
 * strings it stands for, in order, keyed by normalised name. An include of an unknown group or
 * a cycle (`a` includes `b` includes `a`) is `PAVED_E_INVALID_PYPROJECT`, naming the chain.
 */
export function expandDependencyGroups(groups: Record<string, DependencyGroupItem[]>, shown = 'pyproject.toml'): Record<string, string[]> {
  const expanded = new Map<string, string[]>();
  function expand(group: string, chain: string[]): string[] {
    const done = expanded.get(group);
    if (done !== undefined) return done;
    if (chain.includes(group)) {
      throw invalid(shown, `dependency-groups.${chain[0] ?? group}`, `includes itself: ${[...chain.slice(chain.indexOf(group)), group].join(' → ')}`, 'Remove one of the include-group entries to break the cycle.');
    }
    const items = groups[group] ?? [];
    const out: string[] = [];
    for (const item of items) {
      if (item.kind === 'requirement') {
        out.push(item.requirement);
        continue;
      }
      if (!Object.hasOwn(groups, item.group)) {
        const known = Object.keys(groups);
        throw invalid(shown, `dependency-groups.${group}`, `includes the group ${quote(item.group)}, which does not exist`, known.length > 0 ? `Groups defined: ${known.join(', ')}.` : undefined);
      }
      out.push(...expand(item.group, [...chain, group]));
    }
    expanded.set(group, out);
    return out;
  }
  const result: Record<string, string[]> = {};
  for (const group of Object.keys(groups)) result[group] = expand(group, []);
  return result;
}

function parseBuildSystem(value: unknown, shown: string): BuildSystemTable {
  if (!isTable(value)) throw invalid(shown, 'build-system', `must be a table, not ${describe(value)}`);
  const requires = value['requires'] === undefined ? [] : requirementList(value['requires'], shown, 'build-system.requires');
  const buildBackend = optionalString(value, 'build-backend', CODE, shown, 'build-system');
  const backendPath = value['backend-path'] === undefined ? [] : stringArray(value['backend-path'], CODE, shown, 'build-system.backend-path');
  return { requires, buildBackend, backendPath };
}

const PAVED_KEYS = new Set([
  'index-url',
  'extra-index-url',
  'index',
  'find-links',
  'environments',
  'required-environments',
  'default-groups',
  'python',
  'offline',
  'cache-dir',
  'keyring-provider',
  'keyring-command',
  'timeout',
]);

/** Settings nothing set. */
export function emptyPavedSettings(): PavedSettings {
  return {
    indexUrl: null,
    extraIndexUrls: [],
    indexes: [],
    findLinks: [],
    environments: null,
    requiredEnvironments: null,
    defaultGroups: null,
    python: null,
    offline: null,
    cacheDir: null,
    keyringProvider: null,
    keyringCommand: null,
    timeoutMs: null,
  };
}

function indexUrl(value: string, context: SettingsContext, path: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail(context.code, context.shown, path, `is not an absolute URL: ${quote(value.replace(/\/\/[^/@]*@/, '//…@'))}`, 'Give the simple-API root, e.g. "https://pypi.acme.com/simple/".');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'file:') {
    throw fail(context.code, context.shown, path, `must be an http(s) or file URL, not ${quote(url.protocol)}`);
  }
  return value;
}

/**
 * Reads paved's client settings from a table: `[tool.paved]` of a pyproject.toml, or the top
 * level of the user config file (same keys). Unknown keys are warnings (a newer paved may know
 * them), wrong types and invalid values are errors with `context.code`.
 */
export function parsePavedSettings(value: unknown, context: SettingsContext, warnings: string[]): PavedSettings {
  const { shown, code, prefix } = context;
  const settings = emptyPavedSettings();
  if (value === undefined) return settings;
  if (!isTable(value)) throw fail(code, shown, prefix === '' ? '(top level)' : prefix, `must be a table, not ${describe(value)}`);
  for (const key of Object.keys(value)) {
    // cache-keys is about one project (read by parsePyproject), so a user config file's is unknown.
    if (!PAVED_KEYS.has(key) && !(key === 'cache-keys' && prefix === 'tool.paved')) warnings.push(`${shown}: unknown key ${keyPath(prefix, key)} (ignored)`);
  }
  const str = (key: string): string | null => optionalString(value, key, code, shown, prefix);

  const primary = str('index-url');
  settings.indexUrl = primary === null ? null : indexUrl(primary, context, keyPath(prefix, 'index-url'));
  const extra = value['extra-index-url'];
  if (extra !== undefined) {
    const path = keyPath(prefix, 'extra-index-url');
    const list = typeof extra === 'string' ? [extra] : stringArray(extra, code, shown, path);
    settings.extraIndexUrls = list.map((url, i) => indexUrl(url, context, typeof extra === 'string' ? path : `${path}[${i}]`));
  }
  const indexes = value['index'];
  if (indexes !== undefined) {
    const path = keyPath(prefix, 'index');
    if (!Array.isArray(indexes)) throw fail(code, shown, path, `must be an array of tables ([[${path}]]), not ${describe(indexes)}`);
    const names = new Set<string>();
    settings.indexes = indexes.map((entry: unknown, i): NamedIndex => {
      const at = `${path}[${i}]`;
      if (!isTable(entry)) throw fail(code, shown, at, `must be a table with a url, not ${describe(entry)}`);
      for (const key of Object.keys(entry)) {
        if (key !== 'name' && key !== 'url' && key !== 'default') warnings.push(`${shown}: unknown key ${at}.${key} (ignored)`);
      }
      const url = optionalString(entry, 'url', code, shown, at);
      if (url === null) throw fail(code, shown, `${at}.url`, 'is missing', 'Every index needs url = "https://…/simple/".');
      const name = optionalString(entry, 'name', code, shown, at);
      if (name !== null) {
        if (names.has(name)) throw fail(code, shown, `${at}.name`, `repeats the index name ${quote(name)}`);
        names.add(name);
      }
      const isDefault = entry['default'];
      if (isDefault !== undefined && typeof isDefault !== 'boolean') throw fail(code, shown, `${at}.default`, `must be true or false, not ${describe(isDefault)}`);
      return { name, url: indexUrl(url, context, `${at}.url`), default: isDefault === true };
    });
    const defaults = settings.indexes.filter((entry) => entry.default);
    if (defaults.length > 1) throw fail(code, shown, path, 'has more than one index with default = true', 'Mark only one index as the default.');
    if (defaults.length === 1 && settings.indexUrl !== null) {
      throw fail(code, shown, keyPath(prefix, 'index-url'), 'and an index with default = true both name the default index', 'Keep only one of them.');
    }
  }
  const findLinks = value['find-links'];
  if (findLinks !== undefined) {
    settings.findLinks = typeof findLinks === 'string' ? [findLinks] : stringArray(findLinks, code, shown, keyPath(prefix, 'find-links'));
  }
  const markers = (key: string): string[] => {
    const path = keyPath(prefix, key);
    return stringArray(value[key], code, shown, path).map((marker, i) => {
      try {
        parseMarker(marker);
      } catch (error) {
        if (!(error instanceof PavedError)) throw error;
        throw fail(code, shown, `${path}[${i}]`, `is not a valid marker: ${error.message}`, error.hint, error);
      }
      return marker;
    });
  };
  if (value['environments'] !== undefined) settings.environments = markers('environments');
  if (value['required-environments'] !== undefined) settings.requiredEnvironments = markers('required-environments');
  const defaultGroups = value['default-groups'];
  if (defaultGroups !== undefined) {
    const path = keyPath(prefix, 'default-groups');
    if (defaultGroups === 'all') {
      settings.defaultGroups = 'all';
    } else {
      settings.defaultGroups = stringArray(defaultGroups, code, shown, path).map((group, i) => {
        if (group.length > MAX_NAME_LENGTH || !isValidName(group)) throw fail(code, shown, `${path}[${i}]`, `is not a valid group name: ${quote(group)}`);
        return normalizeName(group);
      });
    }
  }
  settings.python = str('python');
  const offline = value['offline'];
  if (offline !== undefined) {
    if (typeof offline !== 'boolean') throw fail(code, shown, keyPath(prefix, 'offline'), `must be true or false, not ${describe(offline)}`);
    settings.offline = offline;
  }
  settings.cacheDir = str('cache-dir');
  const provider = str('keyring-provider');
  if (provider !== null) {
    if (provider !== 'subprocess' && provider !== 'disabled') {
      throw fail(code, shown, keyPath(prefix, 'keyring-provider'), `must be "subprocess" or "disabled", not ${quote(provider)}`);
    }
    settings.keyringProvider = provider;
  }
  const command = value['keyring-command'];
  if (command !== undefined) {
    const path = keyPath(prefix, 'keyring-command');
    const list = typeof command === 'string' ? [command] : stringArray(command, code, shown, path);
    if (list.length === 0 || list[0] === '') throw fail(code, shown, path, 'must name a program', 'For example keyring-command = ["keyring"].');
    settings.keyringCommand = list;
  }
  const timeout = value['timeout'];
  if (timeout !== undefined) {
    const ms = typeof timeout === 'number' ? timeoutMsFromSeconds(timeout) : null;
    if (ms === null) {
      const shownValue = typeof timeout === 'number' ? String(timeout) : typeof timeout === 'string' ? quote(timeout) : describe(timeout);
      throw fail(code, shown, keyPath(prefix, 'timeout'), `must be a positive number of seconds (at most a day), not ${shownValue}`, 'For example timeout = 120 (the default is 30).');
    }
    settings.timeoutMs = ms;
  }
  return settings;
}

/** Parses TOML text into a table, turning syntax errors into `code` errors with line and column. */
export function parseTomlTable(text: string, shown: string, code: string, hint: string): Table {
  if (text.length > MAX_PYPROJECT_BYTES) {
    throw new PavedError(code, `${shown} is larger than ${MAX_PYPROJECT_BYTES / 1024 / 1024} MiB`, { hint, details: { file: shown } });
  }
  try {
    return parseToml(text.startsWith('\uFEFF') ? text.slice(1) : text, { maxDepth: 64, unsafeKeyBehaviour: 'throw' }) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      const first = error.message.split('\n')[0] ?? 'invalid TOML';
      throw new PavedError(code, `${shown} is not valid TOML: line ${error.line}, column ${error.column}: ${first}`, {
        hint,
        details: { file: shown, line: error.line, column: error.column },
      });
    }
    throw new PavedError(code, `${shown} is not valid TOML: ${(error as Error).message.split('\n')[0] ?? ''}`, { hint, details: { file: shown } });
  }
}

/**
 * An HTTP timeout given in seconds, in milliseconds; null unless it is a positive number of at
 * most a day (a longer one is a typo, and node's timers take no more than ~24.8 days anyway).
 * The one range of `timeout =`, `--timeout` and `PAVED_HTTP_TIMEOUT`.
 */
export function timeoutMsFromSeconds(seconds: number): number | null {
  const ms = Math.round(seconds * 1000);
  return Number.isFinite(ms) && ms >= 1 && ms <= 86_400_000 ? ms : null;
}

/**
 * `[tool.paved] cache-keys`: an array of file paths relative to the project, each a string or a
 * `{ file = "…" }` table (uv's spelling). Globs are refused rather than taken as a literal name
 * that never exists, which would silently key on nothing.
 */
function parseCacheKeys(value: unknown, shown: string): string[] {
  const path = 'tool.paved.cache-keys';
  if (!Array.isArray(value)) throw invalid(shown, path, `must be an array of file paths, not ${describe(value)}`, 'For example cache-keys = ["requirements.in"].');
  return value.map((entry: unknown, i) => {
    const at = `${path}[${i}]`;
    let file: unknown = entry;
    if (isTable(entry)) {
      const keys = Object.keys(entry);
      if (keys.length !== 1 || keys[0] !== 'file') throw invalid(shown, at, `must be a path or { file = "…" }, not a table with ${keys.map(quote).join(', ') || 'no keys'}`, 'paved keys its caches on files only.');
      file = entry['file'];
    }
    if (typeof file !== 'string' || file === '') throw invalid(shown, at, `must be a file path, not ${describe(file)}`);
    if (/[*?[\]{}]/.test(file)) throw invalid(shown, at, `is a glob pattern (${quote(file)}), which paved does not expand`, 'List each file by its path.');
    if (file.includes('\0')) throw invalid(shown, at, 'contains a NUL character');
    return file;
  });
}

/** The files `[tool.setuptools.dynamic]` reads: every `file = "…"` or `file = […]`, one or two tables deep (`optional-dependencies.<extra>`). */
function setuptoolsDynamicFiles(tool: Table | undefined): string[] {
  const setuptools = tool?.['setuptools'];
  const dynamic = isTable(setuptools) ? setuptools['dynamic'] : undefined;
  if (!isTable(dynamic)) return [];
  const files: string[] = [];
  const visit = (table: Table, depth: number): void => {
    const file = table['file'];
    for (const f of typeof file === 'string' ? [file] : Array.isArray(file) ? file : []) if (typeof f === 'string' && f !== '') files.push(f);
    if (depth < 2) for (const v of Object.values(table)) if (isTable(v)) visit(v, depth + 1);
  };
  visit(dynamic, 0);
  return files;
}

/**
 * Parses the text of a pyproject.toml. Pure. `shown` names the file in messages. Throws
 * `PAVED_E_INVALID_PYPROJECT` with the key path of the first problem.
 */
export function parsePyproject(text: string, shown = 'pyproject.toml'): PyprojectFile {
  const doc = parseTomlTable(text, shown, CODE, 'Fix the TOML syntax at that position.');
  const warnings: string[] = [];
  const project = doc['project'] === undefined ? null : parseProjectTable(doc['project'], shown);
  const dependencyGroups = doc['dependency-groups'] === undefined ? {} : parseDependencyGroups(doc['dependency-groups'], shown);
  const expandedGroups = expandDependencyGroups(dependencyGroups, shown);
  const buildSystem = doc['build-system'] === undefined ? null : parseBuildSystem(doc['build-system'], shown);

  const tool = doc['tool'];
  if (tool !== undefined && !isTable(tool)) throw invalid(shown, 'tool', `must be a table, not ${describe(tool)}`);
  const paved = parsePavedSettings(tool === undefined ? undefined : (tool as Table)['paved'], { shown, code: CODE, prefix: 'tool.paved' }, warnings);

  let defaultGroups: string[];
  if (paved.defaultGroups === 'all') {
    defaultGroups = Object.keys(dependencyGroups);
  } else if (paved.defaultGroups !== null) {
    for (const [i, group] of paved.defaultGroups.entries()) {
      if (!Object.hasOwn(dependencyGroups, group)) {
        const known = Object.keys(dependencyGroups);
        throw invalid(shown, `tool.paved.default-groups[${i}]`, `names the group ${quote(group)}, which [dependency-groups] does not define`, known.length > 0 ? `Groups defined: ${known.join(', ')}.` : 'Define it under [dependency-groups].');
      }
    }
    defaultGroups = paved.defaultGroups;
  } else {
    defaultGroups = Object.hasOwn(dependencyGroups, 'dev') ? ['dev'] : [];
  }
  const pavedTable = tool === undefined ? undefined : (tool as Table)['paved'];
  const ownKeys = isTable(pavedTable) && pavedTable['cache-keys'] !== undefined ? parseCacheKeys(pavedTable['cache-keys'], shown) : [];
  const cacheKeys = [...new Set([...ownKeys, ...setuptoolsDynamicFiles(tool as Table | undefined)])];
  return { shown, project, dependencyGroups, expandedGroups, buildSystem, paved, defaultGroups, cacheKeys, warnings };
}

/**
 * Reads a file as UTF-8 text with a size limit, the way every paved config file is read.
 * Missing → null. Too large or not UTF-8 → `code`.
 */
export async function readConfigText(path: string, code: string): Promise<string | null> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    const errno = (error as { code?: unknown }).code;
    if (errno === 'ENOENT' || errno === 'ENOTDIR') return null;
    throw new PavedError(code, `cannot read ${path}: ${typeof errno === 'string' ? errno : 'stat failed'}`, { details: { file: path } });
  }
  if (size > MAX_PYPROJECT_BYTES) {
    throw new PavedError(code, `${path} is ${size} bytes, larger than the ${MAX_PYPROJECT_BYTES / 1024 / 1024} MiB paved reads`, { details: { file: path } });
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const errno = (error as { code?: unknown }).code;
    if (errno === 'ENOENT') return null;
    throw new PavedError(code, `cannot read ${path}: ${typeof errno === 'string' ? errno : 'read failed'}`, {
      hint: errno === 'EISDIR' ? 'It is a directory; a file is expected here.' : 'Check its permissions.',
      details: { file: path },
    });
  }
  if (bytes.length > MAX_PYPROJECT_BYTES) throw new PavedError(code, `${path} is larger than ${MAX_PYPROJECT_BYTES / 1024 / 1024} MiB`, { details: { file: path } });
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new PavedError(code, `${path} is not UTF-8 text`, { hint: 'TOML files must be UTF-8; re-save it with UTF-8 encoding.', details: { file: path } });
  }
}

/**
 * Reads and parses a pyproject.toml. A missing file is `PAVED_E_NO_PROJECT`.
 */
export async function readPyproject(path: string): Promise<PyprojectFile> {
  const text = await readConfigText(path, CODE);
  if (text === null) {
    throw new PavedError('PAVED_E_NO_PROJECT', `no pyproject.toml at ${path}`, {
      hint: 'Create a pyproject.toml with a [project] table (name, version, dependencies) in the project directory, or run the command from inside a project.',
      details: { file: path },
    });
  }
  return parsePyproject(text, path);
}

/**
 * The nearest directory at or above `startDir` holding a pyproject.toml (as uv finds the
 * project), or null when none does up to the file-system root.
 */
export async function findProjectRoot(startDir: string): Promise<string | null> {
  let dir = resolve(startDir);
  for (;;) {
    try {
      if ((await stat(join(dir, 'pyproject.toml'))).isFile()) return dir;
    } catch {
      // Missing or unreadable: keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
