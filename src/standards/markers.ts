import { PavedError } from '../errors.js';
import { normalizeExtra, normalizeName } from './names.js';
import { parseSpecifier, type Specifier } from './specifier.js';
import { tryParseVersion } from './version.js';

/**
 * PEP 508 environment markers: a typed AST, a parser with positioned errors, an
 * evaluator and a canonical printer. The AST is plain data so the resolver and the
 * lockfile can build, combine and serialise markers without reparsing text.
 */

/** Every variable a marker may name, in its canonical (PEP 508) spelling. */
export type MarkerVariable =
  | 'os_name'
  | 'sys_platform'
  | 'platform_machine'
  | 'platform_python_implementation'
  | 'platform_release'
  | 'platform_system'
  | 'platform_version'
  | 'python_version'
  | 'python_full_version'
  | 'implementation_name'
  | 'implementation_version'
  /** The extra being installed (core metadata `Requires-Dist`). */
  | 'extra'
  /** PEP 751 lockfiles: the set of extras requested, used as `"name" in extras`. */
  | 'extras'
  /** PEP 751 lockfiles: the set of dependency groups requested. */
  | 'dependency_groups';

/** Comparison operators a marker expression may use. */
export type MarkerOperator = '<' | '<=' | '==' | '!=' | '>=' | '>' | '~=' | '===' | 'in' | 'not in';

/** One side of a comparison: an environment variable or a literal string. */
export type MarkerValue = { kind: 'variable'; name: MarkerVariable } | { kind: 'string'; value: string };

/** A single comparison such as `python_version >= "3.8"`. */
export interface MarkerExpression {
  op: 'compare';
  left: MarkerValue;
  operator: MarkerOperator;
  right: MarkerValue;
}

/** Two markers joined by `and` or `or`. */
export interface MarkerJunction {
  op: 'and' | 'or';
  left: Marker;
  right: Marker;
}

/** A parsed marker. `null` is used by callers for "no marker", which always holds. */
export type Marker = MarkerExpression | MarkerJunction;

/** The values the marker variables take on one target interpreter and platform. */
export interface MarkerEnvironment {
  os_name: string;
  sys_platform: string;
  platform_machine: string;
  platform_python_implementation: string;
  platform_release: string;
  platform_system: string;
  platform_version: string;
  python_version: string;
  python_full_version: string;
  implementation_name: string;
  implementation_version: string;
}

/** What a marker is evaluated for besides the interpreter: the requested extras and groups. */
export interface MarkerEvaluationOptions {
  /** Extras being installed; `extra == "x"` holds when `x` is among them (names compared normalised). */
  extras?: readonly string[];
  /** PEP 751 dependency groups being installed, for `"name" in dependency_groups`. */
  dependencyGroups?: readonly string[];
}

const ENVIRONMENT_VARIABLES: readonly (keyof MarkerEnvironment)[] = [
  'os_name',
  'sys_platform',
  'platform_machine',
  'platform_python_implementation',
  'platform_release',
  'platform_system',
  'platform_version',
  'python_version',
  'python_full_version',
  'implementation_name',
  'implementation_version',
];

/** Canonical names plus the pre-PEP 508 spellings older metadata still carries. */
const VARIABLE_SPELLINGS: ReadonlyMap<string, MarkerVariable> = new Map<string, MarkerVariable>([
  ...ENVIRONMENT_VARIABLES.map((name): [string, MarkerVariable] => [name, name]),
  ['extra', 'extra'],
  ['extras', 'extras'],
  ['dependency_groups', 'dependency_groups'],
  ['os.name', 'os_name'],
  ['sys.platform', 'sys_platform'],
  ['platform.version', 'platform_version'],
  ['platform.machine', 'platform_machine'],
  ['platform.python_implementation', 'platform_python_implementation'],
  ['python_implementation', 'platform_python_implementation'],
]);

/** Deeper nesting than this is not a real marker; refusing it keeps the parser off the stack limit. */
const MAX_NESTING = 100;

/**
 * Builds the PEP 508 syntax error shared by the marker and requirement parsers: the
 * message says what was expected at which column (0-based offset into `text`) and
 * shows the text with a caret under that column.
 */
export function pep508SyntaxError(code: string, subject: string, text: string, position: number, problem: string, hint?: string): PavedError {
  const snippet = caretSnippet(text, position);
  return new PavedError(code, `invalid ${subject}: ${problem} at column ${position}\n${snippet}`, {
    hint: hint ?? `Check the ${subject} against the PEP 508 dependency specifier syntax.`,
    details: { column: position },
  });
}

function caretSnippet(text: string, position: number): string {
  const width = 80;
  // Long (possibly hostile) input: show a window around the column, not the whole text.
  const start = text.length > width ? Math.max(0, Math.min(position - width / 2, text.length - width)) : 0;
  const end = Math.min(text.length, start + width);
  const prefix = start > 0 ? '…' : '';
  const suffix = end < text.length ? '…' : '';
  // Control characters would break the caret's alignment (or the terminal).
  const shown = text.slice(start, end).replace(/[\u0000-\u001f\u007f]/g, '?');
  return `    ${prefix}${shown}${suffix}\n    ${' '.repeat(prefix.length + position - start)}^`;
}

/** Index of the first character PEP 508 text may never contain, or -1. Tabs are whitespace. */
export function findControlCharacter(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return i;
  }
  return -1;
}

function isIdentifierChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_.]/.test(c);
}

type AtomContext = 'and' | 'or' | '(' | null;

/** Recursive-descent parser over `text` from `pos`; errors carry the offset into the whole text. */
class MarkerParser {
  pos: number;
  private depth = 0;

  constructor(
    private readonly text: string,
    start: number,
    private readonly errorCode: string,
    private readonly subject: string,
  ) {
    this.pos = start;
  }

  fail(problem: string, position: number = this.pos, hint?: string): PavedError {
    return pep508SyntaxError(this.errorCode, this.subject, this.text, position, problem, hint);
  }

  skipWhitespace(): void {
    while (this.pos < this.text.length && (this.text[this.pos] === ' ' || this.text[this.pos] === '\t')) this.pos++;
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** True when the keyword starts at `pos` and is not the start of a longer identifier. */
  private atKeyword(keyword: string, at: number = this.pos): boolean {
    return this.text.startsWith(keyword, at) && !isIdentifierChar(this.text[at + keyword.length]);
  }

  /** `after` names what precedes the first operand, for the error when it is missing. */
  parseOr(after: AtomContext): Marker {
    let left = this.parseAnd(after);
    for (;;) {
      const save = this.pos;
      this.skipWhitespace();
      if (!this.atKeyword('or')) {
        this.pos = save;
        return left;
      }
      this.pos += 2;
      left = { op: 'or', left, right: this.parseAnd('or') };
    }
  }

  private parseAnd(after: AtomContext): Marker {
    let left = this.parseAtom(after);
    for (;;) {
      const save = this.pos;
      this.skipWhitespace();
      if (!this.atKeyword('and')) {
        this.pos = save;
        return left;
      }
      this.pos += 3;
      left = { op: 'and', left, right: this.parseAtom('and') };
    }
  }

  private parseAtom(after: AtomContext): Marker {
    this.skipWhitespace();
    if (this.text[this.pos] === '(') {
      const open = this.pos;
      if (++this.depth > MAX_NESTING) throw this.fail(`parentheses nested more than ${MAX_NESTING} deep`);
      this.pos++;
      const inner = this.parseOr('(');
      this.skipWhitespace();
      if (this.text[this.pos] !== ')') {
        throw this.fail(`expected 'and', 'or' or ')' (the '(' is at column ${open})`);
      }
      this.pos++;
      this.depth--;
      return inner;
    }
    const left = this.parseValue(after === null ? 'expected a marker' : `expected a marker after '${after}'`);
    this.skipWhitespace();
    const operator = this.parseOperator(left);
    const right = this.parseValue(`expected a variable or quoted string after '${operator}'`);
    return { op: 'compare', left, operator, right };
  }

  private parseValue(expected: string): MarkerValue {
    this.skipWhitespace();
    const start = this.pos;
    const quote = this.text[start];
    if (quote === '"' || quote === "'") {
      const close = this.text.indexOf(quote, start + 1);
      if (close < 0) throw this.fail(`unterminated string (no closing ${quote})`, start);
      this.pos = close + 1;
      return { kind: 'string', value: this.text.slice(start + 1, close) };
    }
    if (start < this.text.length && /[A-Za-z_]/.test(this.text[start] ?? '')) {
      let end = start;
      while (isIdentifierChar(this.text[end])) end++;
      const word = this.text.slice(start, end);
      const name = VARIABLE_SPELLINGS.get(word);
      if (name === undefined) {
        throw this.fail(`unknown marker variable '${word.length > 40 ? `${word.slice(0, 40)}…` : word}'`, start, `Marker variables are: ${[...ENVIRONMENT_VARIABLES, 'extra'].join(', ')}; literal values must be quoted.`);
      }
      this.pos = end;
      return { kind: 'variable', name };
    }
    throw this.fail(expected, start, 'A marker compares a variable such as python_version with a quoted string, e.g. python_version >= "3.8".');
  }

  private parseOperator(left: MarkerValue): MarkerOperator {
    const at = this.pos;
    for (const op of ['===', '==', '!=', '<=', '>=', '~=', '<', '>'] as const) {
      if (this.text.startsWith(op, at)) {
        this.pos += op.length;
        return op;
      }
    }
    if (this.atKeyword('in')) {
      this.pos += 2;
      return 'in';
    }
    if (this.atKeyword('not')) {
      let p = at + 3;
      while (this.text[p] === ' ' || this.text[p] === '\t') p++;
      if (p > at + 3 && this.atKeyword('in', p)) {
        this.pos = p + 2;
        return 'not in';
      }
      throw this.fail("expected 'in' after 'not'", p);
    }
    const shownLeft = left.kind === 'variable' ? left.name : JSON.stringify(left.value.length > 40 ? `${left.value.slice(0, 40)}…` : left.value);
    const hint = this.text[at] === '=' ? "Use '==' to test equality." : undefined;
    throw this.fail(`expected a comparison operator (==, !=, <, <=, >, >=, ~=, ===, in, not in) after ${shownLeft}`, at, hint);
  }
}

/**
 * Parses a marker that runs from `start` to the end of `text`, reporting errors with
 * `errorCode` and offsets into the whole of `text`. The requirement parser uses this
 * so a bad marker points into the requirement the user wrote.
 */
export function parseMarkerAt(text: string, start: number, errorCode: string, subject: string): Marker {
  const parser = new MarkerParser(text, start, errorCode, subject);
  parser.skipWhitespace();
  if (parser.atEnd()) throw parser.fail('expected a marker, found the end of the text');
  const marker = parser.parseOr(null);
  parser.skipWhitespace();
  if (!parser.atEnd()) {
    const c = text[parser.pos];
    if (c === ')') throw parser.fail("unbalanced ')' with no matching '('");
    throw parser.fail("expected 'and', 'or' or the end of the marker");
  }
  return marker;
}

/**
 * Parses a PEP 508 environment marker (`python_version >= "3.8" and os_name == "nt"`).
 * Legacy variable spellings (`os.name`, `python_implementation`, …) are accepted and
 * mapped to their canonical names. Throws `PAVED_E_INVALID_MARKER` with the column.
 */
export function parseMarker(text: string): Marker {
  const bad = findControlCharacter(text);
  if (bad >= 0) throw pep508SyntaxError('PAVED_E_INVALID_MARKER', 'marker', text, bad, 'control character not allowed');
  return parseMarkerAt(text, 0, 'PAVED_E_INVALID_MARKER', 'marker');
}

/**
 * The operands of a chain of one operator, left to right: `a and (b and c)` gives
 * [a, b, c]. Iterative so long machine-built chains never hit the stack limit.
 */
function flattenJunction(marker: Marker, op: 'and' | 'or'): Marker[] {
  const out: Marker[] = [];
  const stack: Marker[] = [marker];
  while (stack.length > 0) {
    const node = stack.pop() as Marker;
    if (node.op === op) {
      stack.push(node.right, node.left);
    } else {
      out.push(node);
    }
  }
  return out;
}

/** Python's `str` ordering: by code point, which differs from JS's UTF-16 order above U+FFFF. */
function compareCodePoints(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done === true) return y.done === true ? 0 : -1;
    if (y.done === true) return 1;
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

function tryParseSpecifier(text: string): Specifier | null {
  try {
    return parseSpecifier(text);
  } catch (error) {
    if (error instanceof PavedError) return null;
    throw error;
  }
}

function undefinedComparison(lhs: string, operator: MarkerOperator, rhs: string): PavedError {
  return new PavedError('PAVED_E_INVALID_MARKER', `marker compares ${JSON.stringify(lhs)} ${operator} ${JSON.stringify(rhs)}, which is undefined: '${operator}' needs PEP 440 versions on both sides`, {
    hint: "Use '==' or '!=' for values that are not versions.",
  });
}

function compareStrings(lhs: string, operator: MarkerOperator, rhs: string): boolean {
  switch (operator) {
    case '==':
      return lhs === rhs;
    case '!=':
      return lhs !== rhs;
    case '<':
      return compareCodePoints(lhs, rhs) < 0;
    case '<=':
      return compareCodePoints(lhs, rhs) <= 0;
    case '>':
      return compareCodePoints(lhs, rhs) > 0;
    case '>=':
      return compareCodePoints(lhs, rhs) >= 0;
    case 'in':
      return rhs.includes(lhs);
    case 'not in':
      return !rhs.includes(lhs);
    case '~=':
    case '===':
      throw undefinedComparison(lhs, operator, rhs);
  }
}

/**
 * PEP 508: version operators compare as PEP 440 versions when the left side is a
 * version and `operator + right` is a valid specifier (pre-releases included);
 * otherwise they fall back to Python's string operators.
 */
function compareValues(lhs: string, operator: MarkerOperator, rhs: string): boolean {
  if (operator !== 'in' && operator !== 'not in') {
    const version = tryParseVersion(lhs);
    if (version !== null) {
      const specifier = tryParseSpecifier(`${operator}${rhs}`);
      if (specifier !== null) return specifier.contains(version, { prereleases: true });
    }
  }
  return compareStrings(lhs, operator, rhs);
}

function isSetVariable(value: MarkerValue): boolean {
  return value.kind === 'variable' && (value.name === 'extra' || value.name === 'extras' || value.name === 'dependency_groups');
}

/** `extra`, `extras` and `dependency_groups` are compared as normalised names against sets. */
function evaluateNameSetExpression(expression: MarkerExpression, options: MarkerEvaluationOptions): boolean {
  const { left, operator, right } = expression;
  if (left.kind === 'variable' && left.name === 'extra' && right.kind === 'string') {
    return evaluateExtra(operator, right.value, options, expression);
  }
  if (right.kind === 'variable' && right.name === 'extra' && left.kind === 'string') {
    return evaluateExtra(operator, left.value, options, expression);
  }
  if (left.kind === 'string' && right.kind === 'variable' && (right.name === 'extras' || right.name === 'dependency_groups') && (operator === 'in' || operator === 'not in')) {
    const set = right.name === 'extras' ? (options.extras ?? []).map(normalizeExtra) : (options.dependencyGroups ?? []).map(normalizeName);
    const found = set.includes(normalizeName(left.value));
    return operator === 'in' ? found : !found;
  }
  throw new PavedError('PAVED_E_INVALID_MARKER', `cannot evaluate marker ${markerToString(expression)}`, {
    hint: "Compare 'extra' with == or != and a quoted name; test 'extras' and 'dependency_groups' with \"name\" in extras.",
  });
}

function evaluateExtra(operator: MarkerOperator, name: string, options: MarkerEvaluationOptions, expression: MarkerExpression): boolean {
  const wanted = normalizeExtra(name);
  const found = (options.extras ?? []).some((extra) => normalizeExtra(extra) === wanted);
  if (operator === '==') return found;
  if (operator === '!=') return !found;
  throw new PavedError('PAVED_E_INVALID_MARKER', `cannot evaluate marker ${markerToString(expression)}: 'extra' can only be compared with == or !=`, {
    hint: 'Write extra == "name".',
  });
}

function resolveValue(value: MarkerValue, env: MarkerEnvironment): string {
  if (value.kind === 'string') return value.value;
  const name = value.name;
  if (name === 'extra' || name === 'extras' || name === 'dependency_groups') {
    throw new PavedError('PAVED_E_INVALID_MARKER', `marker variable '${name}' cannot be compared with another variable`);
  }
  const resolved = env[name];
  if (typeof resolved !== 'string') {
    throw new PavedError('PAVED_E_INVALID_MARKER', `the marker environment has no value for '${name}'`, {
      hint: 'Build the environment with markerEnvironmentFor().',
    });
  }
  return resolved;
}

function evaluateExpression(expression: MarkerExpression, env: MarkerEnvironment, options: MarkerEvaluationOptions): boolean {
  if (isSetVariable(expression.left) || isSetVariable(expression.right)) return evaluateNameSetExpression(expression, options);
  return compareValues(resolveValue(expression.left, env), expression.operator, resolveValue(expression.right, env));
}

function evaluateNode(marker: Marker, env: MarkerEnvironment, options: MarkerEvaluationOptions): boolean {
  if (marker.op === 'compare') return evaluateExpression(marker, env, options);
  const operands = flattenJunction(marker, marker.op);
  return marker.op === 'and' ? operands.every((m) => evaluateNode(m, env, options)) : operands.some((m) => evaluateNode(m, env, options));
}

/**
 * Evaluates a marker for one environment. Version operators compare as PEP 440
 * versions when both sides allow it (`"3.10" > "3.9"`), otherwise as Python strings;
 * `extra == "Foo_Bar"` holds when a normalised `foo-bar` is in `options.extras` (so with
 * no extras it is false). Comparisons Python cannot make (`~=` on non-versions) throw
 * `PAVED_E_INVALID_MARKER`.
 */
export function evaluateMarker(marker: Marker, env: MarkerEnvironment, options: MarkerEvaluationOptions = {}): boolean {
  return evaluateNode(marker, env, options);
}

function valueToString(value: MarkerValue): string {
  if (value.kind === 'variable') return value.name;
  if (!value.value.includes('"')) return `"${value.value}"`;
  if (!value.value.includes("'")) return `'${value.value}'`;
  throw new PavedError('PAVED_E_INVALID_MARKER', `marker string ${JSON.stringify(value.value)} contains both quote characters and cannot be written in PEP 508`);
}

/**
 * Canonical text of a marker: canonical variable names, double quotes (single only when
 * the value holds a `"`), single spaces, and parentheses only where `or` sits inside `and`.
 */
export function markerToString(marker: Marker): string {
  if (marker.op === 'compare') return `${valueToString(marker.left)} ${marker.operator} ${valueToString(marker.right)}`;
  const parts = flattenJunction(marker, marker.op).map((operand) => {
    const text = markerToString(operand);
    return marker.op === 'and' && operand.op === 'or' ? `(${text})` : text;
  });
  return parts.join(` ${marker.op} `);
}

function combine(op: 'and' | 'or', markers: readonly Marker[]): Marker | null {
  if (markers.length <= 1) return markers[0] ?? null;
  // Flatten chains of the same operator first so `(a and b) and b` keeps one `b`.
  const seen = new Set<string>();
  let result: Marker | null = null;
  for (const marker of markers) {
    for (const operand of flattenJunction(marker, op)) {
      const key = markerToString(operand);
      if (seen.has(key)) continue;
      seen.add(key);
      result = result === null ? operand : { op, left: result, right: operand };
    }
  }
  return result;
}

/**
 * Conjunction where `null` means "no marker" (always true): `andMarkers(null, m)` is `m`,
 * and the result is `null` only when every input is. Textually identical operands
 * (also inside `and` chains given as input) are kept once.
 */
export function andMarkers(...markers: (Marker | null)[]): Marker | null {
  return combine('and', markers.filter((m): m is Marker => m !== null));
}

/**
 * Disjunction where `null` means "no marker" (always true), so any `null` input makes
 * the result `null`. Textually identical operands are kept once.
 */
export function orMarkers(...markers: (Marker | null)[]): Marker | null {
  if (markers.length === 0 || markers.some((m) => m === null)) return null;
  return combine('or', markers.filter((m): m is Marker => m !== null));
}

/** The facts about a target interpreter and platform that determine its marker environment. */
export interface MarkerEnvironmentInfo {
  implementation: 'cpython' | 'pypy';
  /** `platform.python_version()`, e.g. `3.12.1` or `3.13.0rc1`. */
  pythonFullVersion: string;
  /** `sys.platform`: `linux`, `darwin`, `win32`, … */
  sysPlatform: string;
  /** `platform.machine()`: `x86_64`, `arm64`, `AMD64`, … */
  platformMachine: string;
  /** `platform.system()`: `Linux`, `Darwin`, `Windows`, … */
  platformSystem: string;
  /** `os.name`: `posix` or `nt`. */
  osName: string;
  platformRelease?: string;
  platformVersion?: string;
  /** `sys.implementation.version` formatted like a full version; defaults to the Python version (right for CPython). */
  implementationVersion?: string;
}

/**
 * Builds the marker environment of a described interpreter without running it, e.g.
 * for locking for another platform. Throws `PAVED_E_INVALID_VERSION` when the Python
 * version has no `major.minor`.
 */
export function markerEnvironmentFor(info: MarkerEnvironmentInfo): MarkerEnvironment {
  const match = /^(\d+)\.(\d+)/.exec(info.pythonFullVersion);
  if (match === null) {
    throw new PavedError('PAVED_E_INVALID_VERSION', `python version ${JSON.stringify(info.pythonFullVersion)} has no major.minor`, {
      hint: 'Give the interpreter version as printed by platform.python_version(), e.g. 3.12.1.',
    });
  }
  // Interpreters built from an untagged checkout report "3.13.0+", which is not PEP 440.
  const fullVersion = info.pythonFullVersion.endsWith('+') ? `${info.pythonFullVersion}local` : info.pythonFullVersion;
  return {
    os_name: info.osName,
    sys_platform: info.sysPlatform,
    platform_machine: info.platformMachine,
    platform_python_implementation: info.implementation === 'cpython' ? 'CPython' : 'PyPy',
    platform_release: info.platformRelease ?? '',
    platform_system: info.platformSystem,
    platform_version: info.platformVersion ?? '',
    python_version: `${match[1]}.${match[2]}`,
    python_full_version: fullVersion,
    implementation_name: info.implementation,
    implementation_version: info.implementationVersion ?? fullVersion,
  };
}
