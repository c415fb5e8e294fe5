import { PavedError } from '../errors.js';
import { findControlCharacter, markerToString, parseMarkerAt, pep508SyntaxError, type Marker } from './markers.js';
import { MAX_NAME_LENGTH, isValidName, normalizeExtra } from './names.js';
import { parseSpecifier, parseSpecifierSet, type SpecifierSet } from './specifier.js';

/**
 * PEP 508 dependency specifiers (`requests[socks]>=2.31; python_version >= "3.8"`),
 * as found in `Requires-Dist`, `pyproject.toml` and requirements files.
 */

/** A parsed PEP 508 requirement. */
export interface Requirement {
  /** The project name as written; compare with `normalizeName`. */
  name: string;
  /** Requested extras, normalised (PEP 685), sorted and unique. */
  extras: string[];
  /** Version constraints; empty for a URL requirement or a bare name. */
  specifier: SpecifierSet;
  /** Direct reference (`name @ URL`), or null. */
  url: string | null;
  /** Environment marker after `;`, or null when the requirement always applies. */
  marker: Marker | null;
}

const CODE = 'PAVED_E_INVALID_REQUIREMENT';
const SUBJECT = 'requirement';
const VERSION_OPERATORS = ['===', '==', '!=', '<=', '>=', '~=', '<', '>'] as const;

function isNameChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9._-]/.test(c);
}

function isVersionChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_.*+!-]/.test(c);
}

function isWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

class RequirementParser {
  pos = 0;

  constructor(private readonly text: string) {}

  fail(problem: string, position: number = this.pos, hint?: string): PavedError {
    return pep508SyntaxError(CODE, SUBJECT, this.text, position, problem, hint);
  }

  skipWhitespace(): void {
    while (isWhitespace(this.text[this.pos])) this.pos++;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  /** A name or extra: the core-metadata name rule, checked where it starts. */
  readName(what: 'project name' | 'extra name', expected: string): string {
    const start = this.pos;
    while (isNameChar(this.text[this.pos])) this.pos++;
    const name = this.text.slice(start, this.pos);
    if (name.length === 0) throw this.fail(expected, start);
    if (!isValidName(name)) {
      throw this.fail(`invalid ${what} '${shorten(name)}'`, start, 'Names use ASCII letters, digits, ".", "_" and "-", and start and end with a letter or digit.');
    }
    if (name.length > MAX_NAME_LENGTH) throw this.fail(`${what} longer than ${MAX_NAME_LENGTH} characters`, start);
    return name;
  }

  readExtras(): string[] {
    const open = this.pos;
    this.pos++; // '['
    this.skipWhitespace();
    const extras = new Set<string>();
    if (this.peek() === ']') {
      this.pos++;
      return [];
    }
    let expected = "expected an extra name after '['";
    for (;;) {
      extras.add(normalizeExtra(this.readName('extra name', expected)));
      this.skipWhitespace();
      const c = this.peek();
      if (c === ',') {
        this.pos++;
        this.skipWhitespace();
        expected = "expected an extra name after ','";
        continue;
      }
      if (c === ']') {
        this.pos++;
        return [...extras].sort();
      }
      if (isNameChar(c)) throw this.fail("expected ',' between extra names");
      throw this.fail(`expected ',' or ']' to close the '[' at column ${open}`);
    }
  }

  /** `version_many`: comma-separated clauses; each is checked alone so errors point at it. */
  readSpecifiers(closing: ')' | null): string[] {
    const clauses: string[] = [];
    for (;;) {
      this.skipWhitespace();
      const start = this.pos;
      const operator = VERSION_OPERATORS.find((op) => this.text.startsWith(op, start));
      if (operator === undefined) {
        // Tolerate one trailing comma, as the reference implementation does.
        if (clauses.length > 0 && (this.pos >= this.text.length || this.peek() === ';' || this.peek() === closing)) return clauses;
        const hint = this.peek() === '=' ? "Use '==' to pin a version." : undefined;
        throw this.fail(clauses.length === 0 ? 'expected a version operator (==, !=, <, <=, >, >=, ~=, ===)' : "expected a version specifier after ','", start, hint);
      }
      this.pos += operator.length;
      this.skipWhitespace();
      const versionStart = this.pos;
      if (operator === '===') {
        // Arbitrary equality takes any string; stop at what ends a clause.
        while (this.pos < this.text.length && !/[\s,;)]/.test(this.text[this.pos] ?? '')) this.pos++;
      } else {
        while (isVersionChar(this.text[this.pos])) this.pos++;
      }
      const version = this.text.slice(versionStart, this.pos);
      if (version.length === 0) throw this.fail(`expected a version after '${operator}'`, versionStart);
      const clause = `${operator}${version}`;
      try {
        parseSpecifier(clause);
      } catch (error) {
        if (!(error instanceof PavedError)) throw error;
        throw this.fail((error.message.split('\n')[0] ?? '').replace(/\.$/, ''), start, error.hint);
      }
      clauses.push(clause);
      this.skipWhitespace();
      if (this.peek() !== ',') return clauses;
      this.pos++;
    }
  }

  readUrl(): string {
    this.pos++; // '@'
    this.skipWhitespace();
    const start = this.pos;
    while (this.pos < this.text.length && !isWhitespace(this.text[this.pos])) this.pos++;
    const url = this.text.slice(start, this.pos);
    if (url.length === 0) throw this.fail("expected a URL after '@'", start);
    // PEP 508 makes ';' part of a URL unless whitespace precedes it; say so when the
    // user evidently meant a marker rather than silently fetching a mangled URL.
    const semicolon = url.indexOf(';');
    if (semicolon >= 0 && looksLikeMarker(url.slice(semicolon + 1))) {
      throw this.fail("a ';' after a URL must have whitespace before it", start + semicolon, `Write "… ${shorten(url.slice(0, semicolon))} ; <marker>".`);
    }
    return url;
  }
}

function looksLikeMarker(text: string): boolean {
  try {
    parseMarkerAt(text, 0, CODE, SUBJECT);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses a PEP 508 requirement: `name`, optional `[extras]`, then either version
 * specifiers (optionally in legacy parentheses, `name (>=1.0,<2)`) or `@ URL`, then an
 * optional `; marker` (after a URL, whitespace must precede the `;`). Throws
 * `PAVED_E_INVALID_REQUIREMENT` saying what was expected at which column.
 */
export function parseRequirement(text: string): Requirement {
  const bad = findControlCharacter(text);
  if (bad >= 0) throw pep508SyntaxError(CODE, SUBJECT, text, bad, 'control character not allowed');
  const parser = new RequirementParser(text);
  parser.skipWhitespace();
  const name = parser.readName('project name', 'expected a project name');
  parser.skipWhitespace();
  const extras = parser.peek() === '[' ? parser.readExtras() : [];
  parser.skipWhitespace();

  let clauses: string[] = [];
  let url: string | null = null;
  const c = parser.peek();
  if (c === '@') {
    url = parser.readUrl();
    const urlEnd = parser.pos;
    parser.skipWhitespace();
    if (parser.pos < text.length && !(parser.peek() === ';' && parser.pos > urlEnd)) {
      throw parser.fail("expected ' ;' and a marker, or the end of the requirement, after the URL");
    }
  } else if (c === '(') {
    const open = parser.pos;
    parser.pos++;
    parser.skipWhitespace();
    if (parser.peek() !== ')') clauses = parser.readSpecifiers(')');
    parser.skipWhitespace();
    if (parser.peek() !== ')') throw parser.fail(`expected ',' or ')' to close the '(' at column ${open}`);
    parser.pos++;
  } else if (c !== undefined && '<>=!~'.includes(c)) {
    clauses = parser.readSpecifiers(null);
  }

  parser.skipWhitespace();
  let marker: Marker | null = null;
  if (parser.peek() === ';') {
    marker = parseMarkerAt(text, parser.pos + 1, CODE, SUBJECT);
  } else if (parser.pos < text.length) {
    const problem =
      clauses.length > 0
        ? "expected ',', ';' or the end of the requirement"
        : url === null && extras.length === 0 && parser.peek() !== '['
          ? "expected '[', a version specifier, '@ URL', ';' or the end of the requirement"
          : "expected a version specifier, '@ URL', ';' or the end of the requirement";
    const hint = /^[0-9]/.test(parser.peek() ?? '') ? `Put an operator before the version, e.g. ${shorten(name)}==${shorten(text.slice(parser.pos).split(/[\s;]/)[0] ?? '')}.` : undefined;
    throw parser.fail(problem, parser.pos, hint);
  }

  let specifier: SpecifierSet;
  try {
    specifier = parseSpecifierSet(clauses.join(','));
  } catch (error) {
    if (!(error instanceof PavedError)) throw error;
    throw new PavedError(CODE, `invalid requirement: ${error.message}`, { hint: error.hint, cause: error });
  }
  return { name, extras, specifier, url, marker };
}

/**
 * Canonical PEP 508 text: `name[a,b]>=1,<2; marker` or `name[a] @ URL ; marker`
 * (extras normalised and sorted, specifiers and marker in their canonical forms).
 */
export function requirementToString(req: Requirement): string {
  const extras = [...new Set(req.extras.map(normalizeExtra))].sort();
  let text = req.name + (extras.length > 0 ? `[${extras.join(',')}]` : '');
  if (req.url !== null) {
    if (!req.specifier.isEmpty) {
      throw new PavedError(CODE, `requirement ${req.name} has both a URL and version specifiers, which PEP 508 cannot express`);
    }
    text += ` @ ${req.url}`;
    if (req.marker !== null) text += ` ; ${markerToString(req.marker)}`;
    return text;
  }
  text += req.specifier.toString();
  if (req.marker !== null) text += `; ${markerToString(req.marker)}`;
  return text;
}
