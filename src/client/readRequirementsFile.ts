/**
 * Reads pip requirements files (`requirements.txt`) far enough to know which project versions
 * they install: PEP 508 requirements, pins with `==`/`===`, comments, `\` line continuations,
 * `-r`/`-c` includes relative to the including file, `${NAME}` environment variables, UTF-16
 * files with a byte-order mark, and the option lines pip understands (recorded; an unknown one is
 * a fatal warning). Not a pip replacement: markers are kept, not evaluated.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { PavedError } from '../errors.js';
import { normalizeName } from '../standards/names.js';
import { markerToString } from '../standards/markers.js';
import { parseRequirement } from '../standards/requirement.js';

/** One requirement line of a requirements file. */
export interface RequirementsEntry {
  /** The project name as written; compare with `normalizeName`. */
  name: string;
  /** The whole PEP 508 requirement as the line gives it (specifiers, extras, marker; variables expanded, options removed). */
  text: string;
  /** The pinned version (`==1.2.3` or `===1.2.3`), or null when the line does not pin one. */
  version: string | null;
  /** 1-based line where the requirement starts. */
  line: number;
  /** The file it came from, as given (top file) or resolved (includes). */
  file: string;
  extras: string[];
  /** The environment marker, canonical text, or null. */
  marker: string | null;
  /** `--hash=algo:digest` options of the line. */
  hashes: string[];
  /** True for lines of a `-c` constraints file: they limit versions but install nothing. */
  constraint: boolean;
}

/** Something in a requirements file that paved could not use. */
export interface RequirementsWarning {
  file: string;
  line: number;
  message: string;
  /**
   * Set when the line means something paved did not do (a requirement it cannot read, an
   * option it does not know, an include it cannot follow): an install must stop on it, as pip
   * does, where an audit only reports it.
   */
  fatal?: true;
}

/** What a requirements file and its includes hold. */
export interface RequirementsFileContents {
  requirements: RequirementsEntry[];
  /** Index options (`--index-url`, `--extra-index-url`, `--find-links`, …) in order, with their values. */
  options: { name: string; value: string | null; file: string; line: number }[];
  warnings: RequirementsWarning[];
  /** Lines that are a bare path or URL (`./dist/x-1.0-py3-none-any.whl`), which installs can use; `text` is without options. */
  references: { text: string; file: string; line: number; hashes: string[]; constraint: boolean }[];
  /** `-e`/`--editable` lines: the target as written (a path, which pip reads relative to the working directory, or a URL). */
  editables: { value: string; file: string; line: number }[];
}

/** Deeper include chains than this are refused (pip has no limit; a real project needs three or four). */
export const MAX_INCLUDE_DEPTH = 16;
const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Options that take a value (`--index-url URL` or `--index-url=URL`); the rest are flags. */
const OPTIONS_WITH_VALUE = new Set([
  '-i', '--index-url', '--extra-index-url', '-f', '--find-links', '--trusted-host', '--no-binary', '--only-binary',
  '--use-feature', '--config-settings', '--global-option', '--install-option', '--hash',
]);
/** The options pip accepts on a line of their own; any other is an error, as pip's "no such option". */
const FILE_OPTIONS = new Set([
  '-i', '--index-url', '--extra-index-url', '--no-index', '-f', '--find-links', '--pre', '--require-hashes', '--trusted-host',
  '--no-binary', '--only-binary', '--prefer-binary', '--use-feature', '--config-settings', '--global-option',
]);
/** The options pip accepts after a requirement on its line. */
const REQUIREMENT_OPTIONS = new Set(['--hash', '--config-settings', '--global-option', '--install-option']);

/**
 * pip's environment variables in requirement files: `${NAME}` (upper-case letters, digits and
 * `_`) becomes the variable's value; one that is not set stays as written.
 */
function expandVariables(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => env[name] ?? whole);
}
const INCLUDE_OPTIONS = new Map([['-r', false], ['--requirement', false], ['-c', true], ['--constraint', true]]);

interface Line {
  text: string;
  number: number;
}

/** Joins `\` continuations and drops comments, keeping the number of each logical line's first physical line. */
function logicalLines(content: string): Line[] {
  const physical = content.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const lines: Line[] = [];
  let pending: Line | null = null;
  physical.forEach((raw, i) => {
    // pip: a comment starts at '#' at the line start or after whitespace (a URL fragment '#egg=' is not one).
    const text = raw.replace(/(^|\s)#.*$/, '$1');
    const current: Line = pending === null ? { text, number: i + 1 } : { text: pending.text + text, number: pending.number };
    if (/\\$/.test(current.text)) {
      pending = { text: current.text.slice(0, -1), number: current.number };
      return;
    }
    pending = null;
    if (current.text.trim() !== '') lines.push({ text: current.text.trim(), number: current.number });
  });
  if (pending !== null && (pending as Line).text.trim() !== '') lines.push({ text: (pending as Line).text.trim(), number: (pending as Line).number });
  return lines;
}

/** Splits `text` at the first whitespace-preceded `-option`: pip's per-requirement options. */
function splitOptions(text: string): { requirement: string; options: string[] } {
  const match = /\s-{1,2}[A-Za-z]/.exec(text);
  if (match === null) return { requirement: text, options: [] };
  return { requirement: text.slice(0, match.index).trim(), options: text.slice(match.index).trim().split(/\s+/) };
}

/** Reads `name value`, `name=value` and `-xvalue` option spellings from a token list. */
function readOption(tokens: string[]): { name: string; value: string | null; rest: string[] } {
  const first = tokens[0] ?? '';
  const eq = first.indexOf('=');
  if (first.startsWith('--') && eq > 0) return { name: first.slice(0, eq), value: first.slice(eq + 1), rest: tokens.slice(1) };
  if (!first.startsWith('--') && first.length > 2) {
    const short = first.slice(0, 2);
    if (OPTIONS_WITH_VALUE.has(short) || INCLUDE_OPTIONS.has(short)) return { name: short, value: first.slice(2), rest: tokens.slice(1) };
  }
  if (OPTIONS_WITH_VALUE.has(first) || INCLUDE_OPTIONS.has(first) || first === '-e' || first === '--editable') {
    return { name: first, value: tokens[1] ?? null, rest: tokens.slice(2) };
  }
  return { name: first, value: null, rest: tokens.slice(1) };
}

/** The version a requirement pins exactly, or null. `==1.*` and ranges do not pin. */
function pinnedVersion(clauses: readonly { operator: string; version: string; hasWildcard: boolean }[]): string | null {
  const pin = clauses.find((c) => (c.operator === '==' && !c.hasWildcard) || c.operator === '===');
  return pin?.version ?? null;
}

/**
 * Reads a requirements file and every file it includes. Throws `PAVED_E_NOT_FOUND` when a file
 * is missing and `PAVED_E_INVALID_REQUIREMENTS` for includes nested deeper than
 * {@link MAX_INCLUDE_DEPTH}; everything else it cannot use becomes a warning: a `fatal` one for
 * what an install must stop on (an unparsable line, an unknown option, an include by URL), a
 * plain one for what only an audit misses (an unpinned requirement, an include cycle, an
 * editable or URL requirement). `${NAME}` is replaced by the environment variable, as pip does.
 */
export async function readRequirementsFile(path: string, options: { env?: NodeJS.ProcessEnv } = {}): Promise<RequirementsFileContents> {
  const env = options.env ?? process.env;
  const result: RequirementsFileContents = { requirements: [], options: [], warnings: [], references: [], editables: [] };
  const active = new Set<string>();
  const done = new Set<string>();

  const readOne = async (file: string, shown: string, constraint: boolean, depth: number, from: { file: string; line: number } | null): Promise<void> => {
    const absolute = resolve(file);
    if (active.has(absolute)) {
      result.warnings.push({ file: from?.file ?? shown, line: from?.line ?? 0, message: `${shown} includes itself (through ${[...active].length} files); not read again` });
      return;
    }
    if (done.has(`${absolute}\0${constraint}`)) return;
    if (depth > MAX_INCLUDE_DEPTH) {
      throw new PavedError('PAVED_E_INVALID_REQUIREMENTS', `requirements files are nested more than ${MAX_INCLUDE_DEPTH} deep at ${shown}`, {
        hint: 'Flatten the -r/-c includes.',
      });
    }
    const content = await readText(absolute, shown, from);
    active.add(absolute);
    try {
      for (const line of logicalLines(content)) await readLine({ text: expandVariables(line.text, env), number: line.number }, shown, absolute, constraint, depth);
    } finally {
      active.delete(absolute);
      done.add(`${absolute}\0${constraint}`);
    }
  };

  const readLine = async (line: Line, file: string, absolute: string, constraint: boolean, depth: number): Promise<void> => {
    const warn = (message: string): void => {
      result.warnings.push({ file, line: line.number, message });
    };
    const fail = (message: string): void => {
      result.warnings.push({ file, line: line.number, message, fatal: true });
    };
    if (line.text.startsWith('-')) {
      const { name, value } = readOption(line.text.split(/\s+/));
      const include = INCLUDE_OPTIONS.get(name);
      if (include !== undefined) {
        if (value === null || value === '') return fail(`${name} needs a file name`);
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return fail(`${name} ${value}: including a file by URL is not supported; download it and include the copy`);
        const target = resolve(dirname(absolute), value);
        const targetShown = relative(process.cwd(), target) || target;
        return readOne(target, targetShown.startsWith('..') ? target : targetShown, constraint || include, depth + 1, { file, line: line.number });
      }
      if (name === '-e' || name === '--editable') {
        if (value !== null && value !== '') result.editables.push({ value, file, line: line.number });
        return warn(`editable requirement ${value ?? ''} has no version to check; not audited`.replace('  ', ' '));
      }
      if (!FILE_OPTIONS.has(name)) return fail(`${name} is not an option a requirements file may give`);
      // As pip: a relative find-links folder that exists beside the file is that one.
      if ((name === '-f' || name === '--find-links') && value !== null && !isAbsolute(value) && !/^[a-z][a-z0-9+.-]*:/i.test(value) && existsSync(resolve(dirname(absolute), value))) {
        result.options.push({ name, value: resolve(dirname(absolute), value), file, line: line.number });
        return;
      }
      result.options.push({ name, value, file, line: line.number });
      return;
    }
    const { requirement, options } = splitOptions(line.text);
    const hashes: string[] = [];
    for (let rest = options; rest.length > 0; ) {
      const option = readOption(rest);
      if (!REQUIREMENT_OPTIONS.has(option.name)) return fail(`${option.name} is not an option a requirement line may give`);
      if (option.name === '--hash') {
        if (option.value === null || !/^[a-z0-9]+:[0-9a-fA-F]+$/.test(option.value)) return fail(`--hash needs ALGORITHM:HEXDIGEST, not ${JSON.stringify(option.value ?? '')}`);
        hashes.push(option.value);
      }
      rest = option.rest;
    }
    let parsed;
    try {
      parsed = parseRequirement(requirement);
    } catch (error) {
      if (!(error instanceof PavedError)) throw error;
      const looksLikePath = /^(\.|\/|[a-z][a-z0-9+.-]*:\/\/)|\.(whl|zip|tar\.gz)$/i.test(requirement);
      if (looksLikePath) result.references.push({ text: requirement, file, line: line.number, hashes, constraint });
      if (looksLikePath) return warn(`${requirement} is a path or URL without a project name and version; not audited`);
      return fail(`cannot read requirement: ${error.message.split('\n')[0]}`);
    }
    const version = parsed.url === null ? pinnedVersion(parsed.specifier.specifiers) : null;
    result.requirements.push({
      name: parsed.name,
      text: requirement,
      version,
      line: line.number,
      file,
      extras: parsed.extras,
      marker: parsed.marker === null ? null : markerToString(parsed.marker),
      hashes,
      constraint,
    });
    if (version === null && !constraint) {
      warn(parsed.url !== null ? `${parsed.name} comes from a URL, not a pinned version; not audited` : `${parsed.name} is not pinned with == (${parsed.specifier.toString() || 'any version'}); not audited`);
    }
  };

  await readOne(path, path, false, 0, null);
  return result;
}

async function readText(absolute: string, shown: string, from: { file: string; line: number } | null): Promise<string> {
  const where = from === null ? '' : ` (included from ${from.file}:${from.line})`;
  let size: number;
  try {
    const info = await stat(absolute);
    if (!info.isFile()) throw new PavedError('PAVED_E_NOT_FOUND', `${shown} is not a file${where}`);
    size = info.size;
  } catch (error) {
    if (error instanceof PavedError) throw error;
    throw new PavedError('PAVED_E_NOT_FOUND', `requirements file ${shown} does not exist${where}`, { hint: 'Check the path; -r paths are relative to the file that includes them.' });
  }
  if (size > MAX_FILE_BYTES) throw new PavedError('PAVED_E_INVALID_REQUIREMENTS', `requirements file ${shown} is ${size} bytes; the limit is ${MAX_FILE_BYTES}`);
  const bytes = await readFile(absolute);
  // A UTF-16 file with its byte-order mark (what some Windows editors save) is read as pip reads it.
  const encoding = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : 'utf-8';
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    throw new PavedError('PAVED_E_INVALID_REQUIREMENTS', `requirements file ${shown} is not UTF-8${where}`, { hint: 'Save it as UTF-8.' });
  }
}

/**
 * The pinned requirements to audit: requirement lines with a version, plus unpinned ones whose
 * version a `-c` constraint pins. Keyed by normalised name, first pin wins.
 */
export function pinnedRequirements(contents: RequirementsFileContents): RequirementsEntry[] {
  const constraintPins = new Map<string, RequirementsEntry>();
  for (const entry of contents.requirements) {
    if (entry.constraint && entry.version !== null && !constraintPins.has(normalizeName(entry.name))) constraintPins.set(normalizeName(entry.name), entry);
  }
  const out: RequirementsEntry[] = [];
  for (const entry of contents.requirements) {
    if (entry.constraint) continue;
    if (entry.version !== null) out.push(entry);
    else {
      const pin = constraintPins.get(normalizeName(entry.name));
      if (pin !== undefined) out.push({ ...entry, version: pin.version });
    }
  }
  return out;
}
