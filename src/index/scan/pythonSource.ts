/**
 * Just enough of Python's tokenizer for the scanner to read code the way the interpreter will:
 * comments are dropped, string literals are lifted out of the code (so a docstring that mentions
 * `exec(` is not a call to exec, and a URL inside a string is found as a string), and physical
 * lines are joined into logical lines across brackets and backslash continuations (so
 * `Popen(\n cmd,\n shell=True)` is one statement), while every match still maps back to the
 * physical line it came from.
 *
 * Not a full tokenizer: f-string replacement fields stay inside the string, and malformed source
 * (an unterminated string) simply ends the literal at the end of the line or file.
 */

/** One string literal, its escapes decoded (for raw strings, as written). */
export interface StringLiteral {
  value: string;
  /** The body as written in the source, escapes included. */
  raw: string;
  /** 1-based physical line where the literal starts. */
  line: number;
}

/** One logical line of Python: a statement, possibly spanning several physical lines. */
export interface LogicalLine {
  /**
   * The statement's code, character for character where it is code: comments are blanked to
   * spaces and each string literal to `""` followed by spaces (its newlines kept), so offsets in
   * `code` are offsets in the file and every match maps back to its physical line.
   */
  code: string;
  /** 1-based physical line where the statement starts. */
  firstLine: number;
  /** Offset of `code` in the file. */
  start: number;
  /** Offsets of every newline in the file (shared by all statements of a file). */
  newlines: readonly number[];
  strings: StringLiteral[];
}

/** A Python source file split for the rules. */
export interface PythonSource {
  /** Physical lines, for excerpts. */
  lines: string[];
  logical: LogicalLine[];
}

/** The physical line of an offset in a logical line's `code`. */
export function lineOfOffset(logical: LogicalLine, offset: number): number {
  const position = logical.start + offset;
  const newlines = logical.newlines;
  let low = 0;
  let high = newlines.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((newlines[mid] as number) < position) low = mid + 1;
    else high = mid;
  }
  return low + 1;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"' };

/** Decodes the escapes malware uses to hide text (`\x68\x74\x74\x70` is `http`). */
function decodeEscapes(raw: string): string {
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|\n|.)/g, (whole, esc: string) => {
    const head = esc[0] as string;
    if (head === 'x' || head === 'u' || head === 'U') {
      const code = Number.parseInt(esc.slice(1), 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    if (/[0-7]/.test(head)) return String.fromCharCode(Number.parseInt(esc, 8));
    if (head === '\n') return '';
    return SIMPLE_ESCAPES[head] ?? whole;
  });
}

function isIdentifierChar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f || code > 0x7f;
}

/** How many characters before `quote` form a string prefix (r, b, f, u, rb, br, fr, rf…), or 0. */
function prefixLength(text: string, quote: number): { length: number; raw: boolean } {
  let start = quote;
  while (start > 0 && quote - start < 2 && /[rRbBuUfF]/.test(text[start - 1] as string)) start--;
  if (start === quote) return { length: 0, raw: false };
  if (start > 0 && isIdentifierChar(text.charCodeAt(start - 1))) return { length: 0, raw: false };
  const prefix = text.slice(start, quote);
  return { length: prefix.length, raw: /[rR]/.test(prefix) };
}

const SPECIAL = new Uint8Array(128);
for (const ch of '\n\\#\'"()[]{}') SPECIAL[ch.charCodeAt(0)] = 1;

function blankToken(token: string): string {
  const blank = token.length >= 2 ? `""${' '.repeat(token.length - 2)}` : ' '.repeat(token.length);
  if (!token.includes('\n')) return blank;
  // Keep the newlines where they are, so line numbers after the string stay right.
  let out = '';
  for (let k = 0; k < token.length; k++) out += token[k] === '\n' ? '\n' : k < 2 ? '"' : ' ';
  return out;
}

/** Splits Python source into logical lines with comments gone and string literals lifted out. */
export function readPythonSource(text: string): PythonSource {
  const src = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  const lines = src.split('\n');
  const newlines: number[] = [];
  const parts: string[] = [];
  const statements: { start: number; end: number; firstLine: number; strings: StringLiteral[] }[] = [];
  let copied = 0;
  let strings: StringLiteral[] = [];
  let statementStart = 0;
  let firstLine = 1;
  let line = 1;
  let depth = 0;

  const n = src.length;
  let i = 0;
  while (i < n) {
    const c = src.charCodeAt(i);
    // Everything but these few characters is code as written.
    if (c >= 128 || SPECIAL[c] === 0) {
      i++;
      continue;
    }
    if (c === 0x0a) {
      newlines.push(i);
      line++;
      if (depth === 0) {
        statements.push({ start: statementStart, end: i, firstLine, strings });
        strings = [];
        statementStart = i + 1;
        firstLine = line;
      }
      i++;
    } else if (c === 0x5c) {
      if (src.charCodeAt(i + 1) === 0x0a) {
        // A continuation: the backslash becomes a space, the newline stays inside the statement.
        parts.push(src.slice(copied, i), ' ');
        copied = i + 1;
        newlines.push(i + 1);
        line++;
      }
      i += 2;
    } else if (c === 0x23) {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      parts.push(src.slice(copied, i), ' '.repeat(stop - i));
      copied = stop;
      i = stop;
    } else if (c === 0x22 || c === 0x27) {
      const { length: prefix, raw } = prefixLength(src, i);
      const startLine = line;
      const tokenStart = i - prefix;
      const triple = src.charCodeAt(i + 1) === c && src.charCodeAt(i + 2) === c;
      const open = triple ? 3 : 1;
      let j = i + open;
      let end = -1;
      let bodyEnd = n;
      while (j < n) {
        const d = src.charCodeAt(j);
        if (d === 0x5c) {
          if (src.charCodeAt(j + 1) === 0x0a) {
            newlines.push(j + 1);
            line++;
          }
          j += 2;
          continue;
        }
        if (d === 0x0a) {
          if (!triple) {
            bodyEnd = j;
            end = j;
            break;
          }
          newlines.push(j);
          line++;
        } else if (d === c && (!triple || (src.charCodeAt(j + 1) === c && src.charCodeAt(j + 2) === c))) {
          bodyEnd = j;
          end = j + open;
          break;
        }
        j++;
      }
      if (end === -1) end = n;
      const body = src.slice(i + open, Math.min(bodyEnd, n));
      strings.push({ value: raw ? body : decodeEscapes(body), raw: body, line: startLine });
      parts.push(src.slice(copied, tokenStart), blankToken(src.slice(tokenStart, end)));
      copied = end;
      i = end;
    } else {
      if (c === 0x28 || c === 0x5b || c === 0x7b) depth++;
      else if (depth > 0) depth--;
      i++;
    }
  }
  parts.push(src.slice(copied));
  statements.push({ start: statementStart, end: n, firstLine, strings });
  const blanked = parts.join('');
  const logical: LogicalLine[] = [];
  for (const statement of statements) {
    const code = blanked.slice(statement.start, statement.end);
    if (statement.strings.length > 0 || /\S/.test(code)) logical.push({ code, firstLine: statement.firstLine, start: statement.start, newlines, strings: statement.strings });
  }
  return { lines, logical };
}
