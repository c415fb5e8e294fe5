/**
 * Decode-and-execute chains: code that turns an opaque blob into code and runs it
 * (`exec(base64.b64decode(…))`, `exec(zlib.decompress(…))`, `marshal.loads` into a function…).
 * Real packages almost never need this, and malware almost always does, because it hides the
 * payload from a reviewer reading the source.
 */
import type { LogicalLine } from '../pythonSource.js';
import { describeContext, lacksTriggers, type RuleHit, type SeverityByContext, type SourceRule } from './ruleTypes.js';
import { firstInStatement, statementHasString } from './matchSource.js';

/** Rule ids of this family. */
export const DECODE_EXEC_RULES = {
  /** exec/eval/compile fed by a decoder, in one statement or through a variable. */
  decodeAndExecute: 'decode-and-execute',
  /** exec/eval and a decoder in the same install-time file, not visibly linked. */
  execWithDecoder: 'exec-with-decoder',
  /** A long base64 or hex literal in install- or import-time code. */
  encodedPayload: 'encoded-payload',
  /** exec/eval of something other than a literal (a signal for other rules). */
  dynamicExec: 'dynamic-exec',
} as const;

const CHAIN_SEVERITY: SeverityByContext = { install: 'critical', import: 'critical', module: 'high' };
// In a library module, decoding a function argument and running it is a deserialiser (keras
// rebuilding a marshalled lambda); decoding a blob shipped in the file is a hidden payload.
const ARGUMENT_CHAIN_SEVERITY: SeverityByContext = { install: 'critical', import: 'critical', module: 'medium' };
const SHIPPED_BLOB = 40;
const LOOSE_SEVERITY: SeverityByContext = { install: 'high', import: 'medium', module: null };
const PAYLOAD_SEVERITY: SeverityByContext = { install: 'high', import: 'medium', module: null };

/** A call that runs code given as data. */
export const EXEC_CALL = /(?<![\w.])(?:exec|eval|compile|execfile)\s*\(|\bbuiltins\s*\.\s*(?:exec|eval)\s*\(|\bFunctionType\s*\(/;
const DECODER_CALL =
  /\b(?:b64decode|b32decode|b16decode|a85decode|b85decode|decodebytes|decodestring|unhexlify|a2b_base64|a2b_hex)\s*\(|\b(?:zlib|gzip|bz2|lzma)\s*\.\s*decompress\s*\(|\bmarshal\s*\.\s*loads\s*\(|\bbytes\s*\.\s*fromhex\s*\(|\.decode\s*\(\s*""\s*\)\s*/;
const CODECS_DECODE = /\bcodecs\s*\.\s*decode\s*\(/;
const DYNAMIC_IMPORT = /\b(?:__import__|import_module)\s*\(\s*""/;
const DECODER_MODULES = new Set(['base64', 'zlib', 'marshal', 'codecs', 'binascii', 'lzma', 'bz2', 'gzip']);
const ENCODING_NAMES = /^(?:rot[-_]?13|hex|hex_codec|base64|base64_codec|zlib|zlib_codec|bz2|bz2_codec|uu)$/i;

/** Whether a statement decodes an opaque blob (base64, hex, zlib, marshal, rot13, a chr() chain…). */
export function hasDecoder(logical: LogicalLine): boolean {
  // Text assembled from a run of chr() calls is decoding by hand.
  if ((logical.code.match(/(?<![\w.])chr\s*\(/g)?.length ?? 0) >= 8) return true;
  if (DECODER_CALL.test(logical.code)) {
    // `.decode("…")` counts only with a py2-style codec name; `.decode("utf-8")` is ordinary.
    if (!/\.decode\s*\(\s*""\s*\)/.test(logical.code) || /\b(?:b64decode|b32decode|b16decode|a85decode|b85decode|decodebytes|decodestring|unhexlify|a2b_base64|a2b_hex|decompress|loads|fromhex)\b/.test(logical.code)) {
      return true;
    }
    return statementHasString(logical, (v) => ENCODING_NAMES.test(v));
  }
  if (CODECS_DECODE.test(logical.code) && statementHasString(logical, (v) => ENCODING_NAMES.test(v))) return true;
  if (DYNAMIC_IMPORT.test(logical.code) && statementHasString(logical, (v) => DECODER_MODULES.has(v))) return true;
  return false;
}

const ASSIGNED_NAMES = /^\s*([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)\s*(?::[^=]*)?=(?!=)/;

function assignedNames(code: string): string[] {
  const match = ASSIGNED_NAMES.exec(code);
  return match === null ? [] : (match[1] as string).split(',').map((n) => n.trim());
}

function mentions(code: string, names: Set<string>): boolean {
  if (names.size === 0) return false;
  for (const word of code.match(/[A-Za-z_]\w*/g) ?? []) if (names.has(word)) return true;
  return false;
}

/** Whether `exec("literal")`: running a constant string is not hiding anything. */
function execsOnlyLiteral(logical: LogicalLine): boolean {
  return /(?<![\w.])(?:exec|eval)\s*\(\s*""\s*[,)]/.test(logical.code) && !/(?<![\w.])(?:exec|eval)\s*\(\s*[^"\s]/.test(logical.code);
}

const BASE64_BODY = /^[A-Za-z0-9+/=_-]+$/;
const HEX_BODY = /^(?:[0-9a-fA-F]{2})+$/;

/** Whether a string literal looks like an encoded payload: > 200 characters of base64 or hex. */
export function isEncodedPayload(value: string): boolean {
  if (value.length <= 200) return false;
  const compact = value.replace(/\s+/g, '');
  if (compact.length <= 200 || compact.length < value.length * 0.97) return false;
  if (HEX_BODY.test(compact)) return true;
  if (!BASE64_BODY.test(compact)) return false;
  // Long identifiers, repeated characters and alphabet tables are not payloads; base64 of real data mixes all classes.
  return /[0-9]/.test(compact) && /[a-z]/.test(compact) && /[A-Z]/.test(compact) && new Set(compact).size > 20;
}

/** Decoder-to-exec chains, loose exec + decoder pairs, and encoded payload literals. */
export const decodeExecRule: SourceRule = (file) => {
  const hits: RuleHit[] = [];
  // Payload literals matter only where code runs unasked; chains need something that executes.
  if (file.context === 'module' && lacksTriggers(file, /exec|eval|compile|FunctionType/)) return hits;
  const where = describeContext(file.context);
  const tainted = new Set<string>();
  const shipped = new Set<string>();
  let firstDecoder: number | null = null;
  let firstExec: number | null = null;
  let chained = false;
  for (const logical of file.source.logical) {
    const decoder = hasDecoder(logical);
    const exec = firstInStatement(logical, EXEC_CALL);
    if (decoder && firstDecoder === null) firstDecoder = logical.firstLine;
    if (exec !== null && !execsOnlyLiteral(logical)) {
      firstExec ??= exec.line;
      hits.push({ rule: DECODE_EXEC_RULES.dynamicExec, severity: null, line: exec.line, message: `dynamic code execution ${where}` });
      const args = logical.code.slice(logical.code.search(EXEC_CALL));
      if (decoder || mentions(args, tainted)) {
        chained = true;
        const blob = (decoder && logical.strings.some((s) => s.value.length >= SHIPPED_BLOB)) || mentions(args, shipped);
        hits.push({
          rule: DECODE_EXEC_RULES.decodeAndExecute,
          severity: (blob ? CHAIN_SEVERITY : ARGUMENT_CHAIN_SEVERITY)[file.context],
          line: exec.line,
          message: `\`${exec.text.replace(/[\s(]+$/, '')}\` runs decoded data (base64/zlib/marshal/hex/rot13) ${where}`,
        });
      }
    }
    const names = assignedNames(logical.code);
    if (names.length > 0) {
      const value = logical.code.slice(logical.code.indexOf('=') + 1);
      if (decoder || mentions(value, tainted)) for (const name of names) tainted.add(name);
      // A name bound to a long literal, or to something computed from one, carries a shipped blob.
      if (logical.strings.some((s) => s.value.length >= SHIPPED_BLOB) || mentions(value, shipped)) for (const name of names) shipped.add(name);
    }
    if (file.context === 'module') continue;
    for (const literal of logical.strings) {
      if (isEncodedPayload(literal.value)) {
        hits.push({ rule: DECODE_EXEC_RULES.encodedPayload, severity: PAYLOAD_SEVERITY[file.context], line: literal.line, message: `a ${literal.value.length}-character base64/hex literal ${where}` });
      }
    }
  }
  if (!chained && firstDecoder !== null && firstExec !== null) {
    hits.push({ rule: DECODE_EXEC_RULES.execWithDecoder, severity: LOOSE_SEVERITY[file.context], line: firstExec, message: `exec/eval next to a decoder (line ${firstDecoder}) ${where}` });
  }
  return hits;
};
