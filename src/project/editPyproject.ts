/**
 * Format-preserving edits of a pyproject.toml's dependency lists, for `paved add` and
 * `paved remove`.
 *
 * The TOML is never re-serialised: a small scanner finds where each table header and
 * `key = value` statement sits in the text, and where each element of the target array starts
 * and ends, then only the bytes of that array change (plus, when the list does not exist yet,
 * the lines that create it). Comments, blank lines, key order, quoting, indentation and
 * trailing-comma conventions everywhere else stay byte-identical.
 *
 * The model of an edit:
 * - adding a requirement whose normalised name is already listed replaces that entry in place
 *   (the one with the same marker when several entries share the name; when several do and none
 *   has the same marker, the new one is appended, since they are per-environment variants);
 * - a new entry is appended after the last element, in the array's style: multi-line arrays get
 *   one entry per line at the last element's indentation, with a trailing comma when the last
 *   element had one; single-line arrays stay on one line; the quote character follows the
 *   first string element (switching when the requirement contains that quote);
 * - removing deletes an element's whole line (with its trailing comment) when it stands alone
 *   on its line, otherwise just the element and its comma;
 * - a missing list is created: `dependencies = [...]` at the end of `[project]`, a
 *   `[project.optional-dependencies]` table after `[project]`, a `[dependency-groups]` table
 *   before the first `[tool.*]` table (or at the end of the file).
 *
 * Every result is parsed again with `parsePyproject`, and the edited list is compared with what
 * the edit meant to produce; a mismatch is an error (`PAVED_E_PYPROJECT_EDIT`) rather than a
 * silently wrong file. Lists written as inline tables or dotted keys paved cannot place
 * (`project = { … }`) are refused with the same code.
 */
import { parse as parseToml } from 'smol-toml';
import { PavedError } from '../errors.js';
import { markerToString } from '../standards/markers.js';
import { isValidName, normalizeName, parseProjectName } from '../standards/names.js';
import { parseRequirement } from '../standards/requirement.js';
import { parsePyproject, type PyprojectFile } from './pyproject.js';

/** Which dependency list an edit changes. */
export type DependencyTarget = { kind: 'project' } | { kind: 'optional'; extra: string } | { kind: 'group'; group: string };

/** What `addRequirements` did. */
export interface AddResult {
  text: string;
  /** Requirements appended as new entries. */
  added: string[];
  /** Entries replaced in place: the text that was there and what replaced it. */
  replaced: { from: string; to: string }[];
}

/** What `removeRequirements` did. */
export interface RemoveResult {
  text: string;
  /** The entries removed, as they were written. */
  removed: string[];
}

const EDIT_CODE = 'PAVED_E_PYPROJECT_EDIT';

// ---------------------------------------------------------------------------------------------
// Scanning

interface Statement {
  /** Table path of the header above it plus the key path: ['project', 'dependencies']. */
  fullKey: string[];
  /** The header table path it sits under. */
  table: string[];
  lineStart: number;
  valueStart: number;
  valueEnd: number;
  /** Just after the statement's line (after its newline, or the end of the text). */
  lineEnd: number;
}

interface Header {
  path: string[];
  arrayOfTables: boolean;
  lineStart: number;
  lineEnd: number;
}

interface Layout {
  statements: Statement[];
  headers: Header[];
}

class ScanError extends Error {}

function isBareKeyChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_-]/.test(c);
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  peek(offset = 0): string | undefined {
    return this.text[this.pos + offset];
  }

  skipSpaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  skipComment(): void {
    if (this.peek() === '#') {
      while (this.pos < this.text.length && this.peek() !== '\n') this.pos++;
    }
  }

  /** Skips whitespace, newlines and comments (inside arrays, between statements). */
  skipBlank(): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || (c === '\uFEFF' && this.pos === 0)) this.pos++;
      else if (c === '#') this.skipComment();
      else return;
    }
  }

  /** After a statement: spaces, an optional comment, then the newline (consumed) or the end. */
  endOfLine(): number {
    this.skipSpaces();
    this.skipComment();
    if (this.peek() === '\r') this.pos++;
    if (this.peek() === '\n') this.pos++;
    else if (this.pos < this.text.length) throw new ScanError(`unexpected text at offset ${this.pos}`);
    return this.pos;
  }

  skipString(): void {
    const quote = this.peek();
    const triple = this.text.startsWith(quote === '"' ? '"""' : "'''", this.pos);
    if (triple) {
      const close = quote === '"' ? '"""' : "'''";
      this.pos += 3;
      for (;;) {
        if (this.pos >= this.text.length) throw new ScanError('unterminated string');
        if (quote === '"' && this.peek() === '\\') {
          this.pos += 2;
          continue;
        }
        if (this.text.startsWith(close, this.pos)) {
          this.pos += 3;
          // A closing delimiter may be followed by up to two more quotes that belong to the content.
          while (this.peek() === quote) this.pos++;
          return;
        }
        this.pos++;
      }
    }
    this.pos++;
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '\n') throw new ScanError('unterminated string');
      if (quote === '"' && c === '\\') {
        this.pos += 2;
        continue;
      }
      this.pos++;
      if (c === quote) return;
    }
  }

  /** Skips one value of any kind and returns its end. */
  skipValue(): number {
    const c = this.peek();
    if (c === '"' || c === "'") {
      this.skipString();
    } else if (c === '[' || c === '{') {
      const close = c === '[' ? ']' : '}';
      this.pos++;
      for (;;) {
        this.skipBlank();
        const d = this.peek();
        if (d === undefined) throw new ScanError('unterminated array or inline table');
        if (d === close) {
          this.pos++;
          break;
        }
        if (d === ',') {
          this.pos++;
          continue;
        }
        if (c === '{' && d !== '"' && d !== "'" && d !== '[' && d !== '{') {
          // `key = value` inside an inline table.
          this.readKeyPath();
          this.skipSpaces();
          if (this.peek() !== '=') throw new ScanError('expected = in inline table');
          this.pos++;
          this.skipSpaces();
        }
        this.skipValue();
      }
    } else {
      // Numbers, booleans, dates: up to a delimiter.
      while (this.pos < this.text.length && !/[\s,\]}#]/.test(this.peek() ?? '')) this.pos++;
    }
    return this.pos;
  }

  readKeyPart(): string {
    const c = this.peek();
    if (c === '"' || c === "'") {
      const start = this.pos;
      this.skipString();
      return decodeTomlValue(this.text.slice(start, this.pos)) as string;
    }
    const start = this.pos;
    while (isBareKeyChar(this.peek())) this.pos++;
    if (start === this.pos) throw new ScanError(`expected a key at offset ${this.pos}`);
    return this.text.slice(start, this.pos);
  }

  readKeyPath(): string[] {
    const parts = [this.readKeyPart()];
    for (;;) {
      this.skipSpaces();
      if (this.peek() !== '.') return parts;
      this.pos++;
      this.skipSpaces();
      parts.push(this.readKeyPart());
    }
  }
}

function decodeTomlValue(source: string): unknown {
  return (parseToml(`v = ${source}`) as { v: unknown }).v;
}

/** Where every header and top-level statement sits. The text must already be valid TOML. */
function scanLayout(text: string): Layout {
  const s = new Scanner(text);
  const statements: Statement[] = [];
  const headers: Header[] = [];
  let table: string[] = [];
  for (;;) {
    s.skipBlank();
    if (s.pos >= text.length) break;
    const lineStart = text.lastIndexOf('\n', s.pos - 1) + 1;
    if (s.peek() === '[') {
      const arrayOfTables = s.peek(1) === '[';
      s.pos += arrayOfTables ? 2 : 1;
      s.skipSpaces();
      const path = s.readKeyPath();
      s.skipSpaces();
      if (s.peek() !== ']' || (arrayOfTables && s.peek(1) !== ']')) throw new ScanError('bad table header');
      s.pos += arrayOfTables ? 2 : 1;
      headers.push({ path, arrayOfTables, lineStart, lineEnd: s.endOfLine() });
      table = arrayOfTables ? [...path, '[]'] : path;
      continue;
    }
    const key = s.readKeyPath();
    s.skipSpaces();
    if (s.peek() !== '=') throw new ScanError('expected =');
    s.pos++;
    s.skipSpaces();
    const valueStart = s.pos;
    const valueEnd = s.skipValue();
    statements.push({ fullKey: [...table, ...key], table, lineStart, valueStart, valueEnd, lineEnd: s.endOfLine() });
  }
  return { statements, headers };
}

interface Element {
  start: number;
  end: number;
  value: unknown;
  /** Position of the comma after it, or -1. */
  comma: number;
}

interface ArrayLayout {
  open: number;
  /** Position of the closing `]`. */
  close: number;
  elements: Element[];
}

function scanArray(text: string, open: number): ArrayLayout {
  const s = new Scanner(text);
  s.pos = open + 1;
  const elements: Element[] = [];
  for (;;) {
    s.skipBlank();
    if (s.peek() === ']') return { open, close: s.pos, elements };
    const start = s.pos;
    const end = s.skipValue();
    const element: Element = { start, end, value: decodeTomlValue(text.slice(start, end)), comma: -1 };
    elements.push(element);
    s.skipBlank();
    if (s.peek() === ',') {
      element.comma = s.pos;
      s.pos++;
    } else if (s.peek() !== ']') {
      throw new ScanError('expected , or ]');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function sameKey(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}

function describeTarget(target: DependencyTarget): string {
  if (target.kind === 'project') return 'project.dependencies';
  if (target.kind === 'optional') return `project.optional-dependencies.${target.extra}`;
  return `dependency-groups.${target.group}`;
}

function targetLabel(target: DependencyTarget): string {
  if (target.kind === 'project') return 'the project dependencies';
  if (target.kind === 'optional') return `the extra ${JSON.stringify(target.extra)}`;
  return `the dependency group ${JSON.stringify(target.group)}`;
}

/** Does a statement's key name the target list? Extras and groups compare normalised. */
function isTargetKey(key: string[], target: DependencyTarget): boolean {
  if (target.kind === 'project') return sameKey(key, ['project', 'dependencies']);
  if (target.kind === 'optional') {
    return key.length === 3 && key[0] === 'project' && key[1] === 'optional-dependencies' && normalizeName(key[2] ?? '') === normalizeName(target.extra);
  }
  return key.length === 2 && key[0] === 'dependency-groups' && normalizeName(key[1] ?? '') === normalizeName(target.group);
}

/** The target list as the parsed file has it, in a comparable form; null when it does not exist. */
function parsedList(file: PyprojectFile, target: DependencyTarget): unknown[] | null {
  if (target.kind === 'project') return file.project === null ? null : file.project.dependencies;
  if (target.kind === 'optional') return file.project?.optionalDependencies[normalizeName(target.extra)] ?? null;
  const items = file.dependencyGroups[normalizeName(target.group)];
  return items === undefined ? null : items.map((item) => (item.kind === 'requirement' ? item.requirement : { include: item.group }));
}

/** Whether the TOML defines the target list at all (in any form). */
function hasList(text: string, target: DependencyTarget): boolean {
  const doc = parseToml(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
  const table = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
  if (target.kind === 'project') return table(doc['project'])['dependencies'] !== undefined;
  const parent = target.kind === 'optional' ? table(table(doc['project'])['optional-dependencies']) : table(doc['dependency-groups']);
  const wanted = normalizeName(target.kind === 'optional' ? target.extra : target.group);
  return Object.keys(parent).some((key) => normalizeName(key) === wanted);
}

function comparable(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && 'include-group' in value) {
    return { include: normalizeName(String((value as Record<string, unknown>)['include-group'])) };
  }
  return value;
}

function requirementName(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    return normalizeName(parseRequirement(value).name);
  } catch {
    return null;
  }
}

function requirementMarker(value: string): string | null {
  const marker = parseRequirement(value).marker;
  return marker === null ? null : markerToString(marker);
}

/** A TOML string for `value`, in the quote style `preferred` when the value allows it. */
function quoteString(value: string, preferred: '"' | "'"): string {
  const literalOk = !value.includes("'");
  if (preferred === "'" && literalOk) return `'${value}'`;
  if (value.includes('"') && literalOk) return `'${value}'`;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function quoteKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : `"${key}"`;
}

function newlineOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function lineStartOf(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

/** The whitespace before `pos` on its line when nothing else precedes it there, else null. */
function leadingIndent(text: string, pos: number): string | null {
  const prefix = text.slice(lineStartOf(text, pos), pos);
  return /^[ \t]*$/.test(prefix) ? prefix : null;
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

function editError(shown: string, target: DependencyTarget, problem: string, hint?: string): PavedError {
  return new PavedError(EDIT_CODE, `${shown}: cannot edit ${describeTarget(target)}: ${problem}`, { hint, details: { file: shown, key: describeTarget(target) } });
}

function parseOrFail(text: string, shown: string): PyprojectFile {
  return parsePyproject(text, shown);
}

function layoutOf(text: string, shown: string, target: DependencyTarget): Layout {
  try {
    return scanLayout(text);
  } catch (error) {
    throw editError(shown, target, `paved could not follow the file's layout (${(error as Error).message})`, 'Edit the list by hand, or report the file to the paved maintainers.');
  }
}

function findTargetArray(text: string, layout: Layout, shown: string, target: DependencyTarget): ArrayLayout | null {
  const statement = layout.statements.find((entry) => isTargetKey(entry.fullKey, target));
  if (statement === undefined) return null;
  if (text[statement.valueStart] !== '[') throw editError(shown, target, 'it is not an array');
  try {
    return scanArray(text, statement.valueStart);
  } catch (error) {
    throw editError(shown, target, `paved could not follow the array (${(error as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Adding

function preferredQuote(text: string, elements: Element[]): '"' | "'" {
  const first = elements.find((element) => typeof element.value === 'string');
  return first !== undefined && text[first.start] === "'" ? "'" : '"';
}

/** Appends one element to an array, in its style. */
function appendElement(text: string, array: ArrayLayout, value: string): string {
  const nl = newlineOf(text);
  const quoted = quoteString(value, preferredQuote(text, array.elements));
  const multiLine = text.slice(array.open, array.close).includes('\n');
  const last = array.elements.at(-1);
  if (last === undefined) {
    if (!multiLine) return splice(text, array.open + 1, array.close, quoted);
    // An empty multi-line array (maybe holding comments): a line before the closing bracket.
    const closeIndent = leadingIndent(text, array.close);
    const commentLine = /\n([ \t]*)#/.exec(text.slice(array.open, array.close));
    const indent = commentLine?.[1] ?? `${closeIndent ?? ''}    `;
    if (closeIndent !== null) {
      const at = lineStartOf(text, array.close);
      return splice(text, at, at, `${indent}${quoted},${nl}`);
    }
    return splice(text, array.close, array.close, `${nl}${indent}${quoted},${nl}`);
  }
  const hasComma = last.comma >= 0;
  if (!multiLine) {
    const spaced = array.elements.some((element) => element.comma >= 0 && text[element.comma + 1] === ' ') || array.elements.length === 1;
    const space = spaced ? ' ' : '';
    if (hasComma) return splice(text, last.comma + 1, last.comma + 1, `${space}${quoted},`);
    return splice(text, last.end, last.end, `,${space}${quoted}`);
  }
  const indent = leadingIndent(text, last.start) ?? ' '.repeat(last.start - lineStartOf(text, last.start));
  const afterLast = hasComma ? last.comma + 1 : last.end;
  // Past spaces and a comment on the last element's line, to the line break (before a CRLF's CR).
  let pos = afterLast;
  while (text[pos] === ' ' || text[pos] === '\t') pos++;
  if (text[pos] === '#') while (pos < text.length && text[pos] !== '\n') pos++;
  if (text[pos] === '\n' && text[pos - 1] === '\r') pos--;
  const entry = `${nl}${indent}${quoted}${hasComma ? ',' : ''}`;
  if (text[pos] === '\n' || text[pos] === '\r') {
    const withEntry = splice(text, pos, pos, entry);
    return hasComma ? withEntry : splice(withEntry, last.end, last.end, ',');
  }
  // The closing bracket shares the last element's line: the entry goes right before it.
  return splice(text, afterLast, afterLast, `${hasComma ? '' : ','}${entry}`);
}

/** The position just after a table's last statement line (or after its header when it has none). */
function endOfTable(layout: Layout, path: string[]): { at: number; indent: string } | null {
  const header = layout.headers.find((entry) => !entry.arrayOfTables && sameKey(entry.path, path));
  if (header === undefined) return null;
  const inTable = layout.statements.filter((entry) => sameKey(entry.table, path));
  const last = inTable.at(-1);
  return last === undefined ? { at: header.lineEnd, indent: '' } : { at: last.lineEnd, indent: '' };
}

function ensureNewlineBefore(text: string, at: number, nl: string): { text: string; at: number } {
  if (at > 0 && text[at - 1] !== '\n') return { text: splice(text, at, at, nl), at: at + nl.length };
  return { text, at };
}

function newArray(key: string, value: string, nl: string): string {
  return `${quoteKey(key)} = [${nl}    ${quoteString(value, '"')},${nl}]${nl}`;
}

/** Creates the target list holding `value`. */
function createList(text: string, layout: Layout, file: PyprojectFile, shown: string, target: DependencyTarget, value: string): string {
  const nl = newlineOf(text);
  if (target.kind === 'project' || target.kind === 'optional') {
    if (file.project === null) {
      throw editError(shown, target, 'the file has no [project] table', target.kind === 'project' ? 'Add a [project] table with a name, or add the requirement to a dependency group.' : 'Add a [project] table first.');
    }
    const projectEnd = endOfTable(layout, ['project']);
    if (projectEnd === null) throw editError(shown, target, 'its [project] table is not written as a [project] header', 'Edit the list by hand.');
    if (target.kind === 'project') {
      const place = ensureNewlineBefore(text, projectEnd.at, nl);
      return splice(place.text, place.at, place.at, newArray('dependencies', value, nl));
    }
    const extrasTable = endOfTable(layout, ['project', 'optional-dependencies']);
    if (extrasTable !== null) {
      const place = ensureNewlineBefore(text, extrasTable.at, nl);
      return splice(place.text, place.at, place.at, newArray(target.extra, value, nl));
    }
    if (layout.statements.some((entry) => entry.fullKey[0] === 'project' && entry.fullKey[1] === 'optional-dependencies')) {
      throw editError(shown, target, 'optional-dependencies is written inline or with dotted keys', 'Move it to a [project.optional-dependencies] table, or edit it by hand.');
    }
    const place = ensureNewlineBefore(text, projectEnd.at, nl);
    return splice(place.text, place.at, place.at, `${nl}[project.optional-dependencies]${nl}${newArray(target.extra, value, nl)}`);
  }
  const groupsTable = endOfTable(layout, ['dependency-groups']);
  if (groupsTable !== null) {
    const place = ensureNewlineBefore(text, groupsTable.at, nl);
    return splice(place.text, place.at, place.at, newArray(target.group, value, nl));
  }
  if (layout.statements.some((entry) => entry.fullKey[0] === 'dependency-groups')) {
    throw editError(shown, target, 'dependency-groups is written inline or with dotted keys', 'Move it to a [dependency-groups] table, or edit it by hand.');
  }
  const block = `[dependency-groups]${nl}${newArray(target.group, value, nl)}`;
  const toolHeader = layout.headers.find((entry) => entry.path[0] === 'tool');
  if (toolHeader !== undefined) {
    // Before the tool tables, and before the comment lines that introduce the first of them.
    let at = toolHeader.lineStart;
    for (;;) {
      const previousStart = lineStartOf(text, at - 1);
      if (at === 0 || !/^[ \t]*#/.test(text.slice(previousStart, at))) break;
      at = previousStart;
    }
    return splice(text, at, at, `${block}${nl}`);
  }
  if (text.length === 0) return block;
  const ending = text.endsWith(`${nl}${nl}`) || text.endsWith('\n\n') ? '' : text.endsWith('\n') ? nl : `${nl}${nl}`;
  return `${text}${ending}${block}`;
}

function verify(text: string, shown: string, target: DependencyTarget, expected: unknown[]): void {
  let file: PyprojectFile;
  try {
    file = parseOrFail(text, shown);
  } catch (error) {
    throw new PavedError(EDIT_CODE, `${shown}: editing ${describeTarget(target)} would leave an invalid file: ${(error as Error).message}`, {
      hint: 'Nothing was written. Edit the list by hand, or report the file to the paved maintainers.',
      cause: error,
    });
  }
  const actual = parsedList(file, target);
  const expectedComparable = expected.map(comparable);
  if (actual === null || JSON.stringify(actual) !== JSON.stringify(expectedComparable)) {
    throw new PavedError(EDIT_CODE, `${shown}: editing ${describeTarget(target)} did not give the intended list`, {
      hint: 'Nothing was written. Edit the list by hand, or report the file to the paved maintainers.',
    });
  }
}

function checkTarget(target: DependencyTarget): void {
  const name = target.kind === 'optional' ? target.extra : target.kind === 'group' ? target.group : null;
  if (name !== null && !isValidName(name)) {
    throw new PavedError('PAVED_E_INVALID_NAME', `invalid ${target.kind === 'optional' ? 'extra' : 'group'} name ${JSON.stringify(name.slice(0, 80))}`, {
      hint: 'Names use ASCII letters, digits, ".", "_" and "-", and start and end with a letter or digit.',
    });
  }
}

function addOne(text: string, shown: string, target: DependencyTarget, requirement: string, result: AddResult): string {
  const file = parseOrFail(text, shown);
  const layout = layoutOf(text, shown, target);
  const array = findTargetArray(text, layout, shown, target);
  if (array === null) {
    if (hasList(text, target)) {
      throw editError(shown, target, 'the list is written inline or with dotted keys paved does not edit', 'Edit the list by hand.');
    }
    const edited = createList(text, layout, file, shown, target, requirement);
    verify(edited, shown, target, [requirement]);
    result.added.push(requirement);
    return edited;
  }
  const name = normalizeName(parseRequirement(requirement).name);
  const marker = requirementMarker(requirement);
  const same = array.elements.filter((element) => requirementName(element.value) === name);
  const sameMarker = same.find((element) => requirementMarker(element.value as string) === marker);
  const replace = sameMarker ?? (same.length === 1 ? same[0] : undefined);
  const values = array.elements.map((element) => element.value);
  let edited: string;
  if (replace !== undefined) {
    const quote = text[replace.start] === "'" ? "'" : '"';
    edited = splice(text, replace.start, replace.end, quoteString(requirement, quote));
    values[array.elements.indexOf(replace)] = requirement;
    result.replaced.push({ from: replace.value as string, to: requirement });
  } else {
    edited = appendElement(text, array, requirement);
    values.push(requirement);
    result.added.push(requirement);
  }
  verify(edited, shown, target, values);
  return edited;
}

/**
 * Adds requirements to a dependency list of a pyproject.toml's text, in order; each is a PEP 508
 * string (invalid → `PAVED_E_INVALID_REQUIREMENT`). See the module comment for where entries go
 * and how the style is kept. `shown` names the file in messages.
 */
export function addRequirements(text: string, requirements: string[], target: DependencyTarget, shown = 'pyproject.toml'): AddResult {
  checkTarget(target);
  for (const requirement of requirements) parseRequirement(requirement);
  const result: AddResult = { text, added: [], replaced: [] };
  for (const requirement of requirements) result.text = addOne(result.text, shown, target, requirement.trim(), result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Removing

/** Deletes one element: its whole line when it stands alone there, else the element and a comma. */
function deleteElement(text: string, array: ArrayLayout, index: number): string {
  const element = array.elements[index];
  if (element === undefined) return text;
  const previous = array.elements[index - 1];
  const isLast = index === array.elements.length - 1;
  const afterElement = element.comma >= 0 ? element.comma + 1 : element.end;
  let lineEnd = afterElement;
  while (text[lineEnd] === ' ' || text[lineEnd] === '\t') lineEnd++;
  if (text[lineEnd] === '#') while (lineEnd < text.length && text[lineEnd] !== '\n') lineEnd++;
  if (text[lineEnd] === '\r') lineEnd++;
  const alone = leadingIndent(text, element.start) !== null && text[lineEnd] === '\n';
  let edited: string;
  if (alone) {
    edited = splice(text, lineStartOf(text, element.start), lineEnd + 1, '');
    // The previous element keeps the array's trailing-comma convention.
    if (isLast && element.comma < 0 && previous !== undefined && previous.comma >= 0) edited = splice(edited, previous.comma, previous.comma + 1, '');
    return edited;
  }
  if (element.comma >= 0) {
    let end = element.comma + 1;
    while (text[end] === ' ' || text[end] === '\t') end++;
    if (isLast && previous !== undefined && previous.comma >= 0) {
      // `"a", "b",]` → `"a",]`: drop from after the previous comma.
      return splice(text, previous.comma + 1, end, '');
    }
    return splice(text, element.start, end, '');
  }
  if (previous !== undefined) return splice(text, previous.comma >= 0 ? previous.comma : previous.end, element.end, '');
  return splice(text, element.start, element.end, '');
}

/**
 * Removes every entry of each named project from a dependency list of a pyproject.toml's text.
 * A name the list does not have is `PAVED_E_NOT_A_DEPENDENCY` (nothing is removed then), with a
 * hint listing what the file has, before any of the names was taken out.
 */
export function removeRequirements(text: string, names: string[], target: DependencyTarget, shown = 'pyproject.toml'): RemoveResult {
  checkTarget(target);
  const normalized = names.map((name) => parseProjectName(name));
  // Checked against the file as it is, so the error and its hint describe what the user sees.
  parseOrFail(text, shown);
  const original = findTargetArray(text, layoutOf(text, shown, target), shown, target);
  const listed = original === null ? [] : original.elements.map((element) => requirementName(element.value)).filter((entry): entry is string => entry !== null);
  const missing = normalized.flatMap((name, i) => (listed.includes(name) ? [] : [names[i] ?? name]));
  if (missing.length > 0) {
    const unique = [...new Set(missing)];
    throw new PavedError('PAVED_E_NOT_A_DEPENDENCY', `${unique.join(', ')} ${unique.length === 1 ? 'is' : 'are'} not in ${targetLabel(target)} of ${shown}`, {
      hint: listed.length > 0 ? `${describeTarget(target)} lists: ${[...new Set(listed)].join(', ')}.` : `${describeTarget(target)} is empty or missing.`,
      details: { file: shown, key: describeTarget(target), name: parseProjectName(unique[0] as string), names: unique.map((name) => parseProjectName(name)) },
    });
  }
  const result: RemoveResult = { text, removed: [] };
  // A name given twice is removed once.
  for (const name of new Set(normalized)) {
    parseOrFail(result.text, shown);
    const layout = layoutOf(result.text, shown, target);
    const array = findTargetArray(result.text, layout, shown, target);
    const indexes = array === null ? [] : array.elements.flatMap((element, index) => (requirementName(element.value) === name ? [index] : []));
    if (array === null || indexes.length === 0) continue;
    const values = array.elements.map((element) => element.value);
    let edited = result.text;
    // From the end, so earlier positions stay valid.
    for (const index of [...indexes].reverse()) edited = deleteElement(edited, scanArray(edited, array.open), index);
    result.removed.push(...indexes.map((index) => values[index] as string));
    verify(edited, shown, target, values.filter((_, index) => !indexes.includes(index)));
    result.text = edited;
  }
  return result;
}
