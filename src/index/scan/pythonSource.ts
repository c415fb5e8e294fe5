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
  /** The code with comments removed and every string literal replaced by `""`. */
  code: string;
  /** 1-based physical line where the statement starts. */
  firstLine: number;
  /** Offsets in `code` where each following physical line begins (`breaks[i]` starts line firstLine + i + 1). */
  breaks: number[];
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
  let line = logical.firstLine;
  for (const start of logical.breaks) {
    if (start > offset) break;
    line++;
  }
  return line;
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

/** Splits Python source into logical lines with comments gone and string literals lifted out. */
export function readPythonSource(text: string): PythonSource {
  const src = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  const lines = src.split('\n');
  const logical: LogicalLine[] = [];
  let code = '';
  let breaks: number[] = [];
  let strings: StringLiteral[] = [];
  let firstLine = 1;
  let line = 1;
  let depth = 0;
  let segmentStart = 0;

  const finish = (nextLine: number): void => {
    if (code.trim() !== '' || strings.length > 0) logical.push({ code, firstLine, breaks, strings });
    code = '';
    breaks = [];
    strings = [];
    firstLine = nextLine;
  };

  let i = 0;
  const n = src.length;
  // Jump from one character that matters to the next; everything else is copied in slices.
  const special = /[\n\\#'"()[\]{}]/g;
  while (i < n) {
    special.lastIndex = i;
    const found = special.exec(src);
    if (found === null) break;
    i = found.index;
    const c = src.charCodeAt(i);
    if (c === 0x5c && src.charCodeAt(i + 1) !== 0x0a) {
      i += 2;
      continue;
    }
    if (c === 0x0a) {
      // newline
      code += src.slice(segmentStart, i);
      line++;
      if (depth > 0) {
        code += ' ';
        breaks.push(code.length);
      } else {
        finish(line);
      }
      i++;
      segmentStart = i;
      continue;
    }
    if (c === 0x5c && src.charCodeAt(i + 1) === 0x0a) {
      // backslash continuation
      code += `${src.slice(segmentStart, i)} `;
      line++;
      breaks.push(code.length);
      i += 2;
      segmentStart = i;
      continue;
    }
    if (c === 0x23) {
      // comment: up to the newline
      code += src.slice(segmentStart, i);
      const end = src.indexOf('\n', i);
      i = end === -1 ? n : end;
      segmentStart = i;
      continue;
    }
    if (c === 0x28 || c === 0x5b || c === 0x7b) depth++;
    else if ((c === 0x29 || c === 0x5d || c === 0x7d) && depth > 0) depth--;
    else if (c === 0x22 || c === 0x27) {
      const { length: prefix, raw } = prefixLength(src, i);
      code += src.slice(segmentStart, i - prefix);
      const quote = src[i] as string;
      const triple = src.startsWith(quote + quote + quote, i);
      const open = triple ? 3 : 1;
      let j = i + open;
      let end = -1;
      let bodyEnd = n;
      let newlines = 0;
      while (j < n) {
        const d = src.charCodeAt(j);
        if (d === 0x5c) {
          if (src.charCodeAt(j + 1) === 0x0a) newlines++;
          j += 2;
          continue;
        }
        if (d === 0x0a) {
          if (!triple) {
            bodyEnd = j;
            end = j;
            break;
          }
          newlines++;
        } else if (d === c && (!triple || (src.charCodeAt(j + 1) === c && src.charCodeAt(j + 2) === c))) {
          bodyEnd = j;
          end = j + open;
          break;
        }
        j++;
      }
      if (end === -1) end = n;
      const body = src.slice(i + open, Math.min(bodyEnd, n));
      strings.push({ value: raw ? body : decodeEscapes(body), raw: body, line });
      code += '""';
      // A multi-line string keeps its statement on the line it started; later lines still count.
      for (let k = 0; k < newlines; k++) {
        line++;
        breaks.push(code.length);
      }
      i = end;
      segmentStart = i;
      continue;
    }
    i++;
  }
  code += src.slice(segmentStart, n);
  finish(line);
  return { lines, logical };
}
