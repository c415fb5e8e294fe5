/**
 * Code written not to be read: minified lines thousands of characters long, strings made of
 * `\x..` escapes, text assembled from `chr()` calls, builtins reached through `getattr`,
 * machine-generated identifier soup (`O0O0OO0`, `lIlIlI`, `_0x3fa2`), and lambda golf around
 * exec.
 */
import type { LogicalLine } from '../pythonSource.js';
import { describeContext, type RuleHit, type SeverityByContext, type SourceRule } from './ruleTypes.js';
import { EXEC_CALL } from './decodeExec.js';

/** Rule ids of this family. */
export const OBFUSCATION_RULES = {
  /** Obfuscated code. */
  obfuscated: 'obfuscated-code',
  /** Obfuscated code that feeds exec/eval. */
  obfuscatedExec: 'obfuscated-exec',
} as const;

const OBFUSCATED_SEVERITY: SeverityByContext = { install: 'high', import: 'medium', module: 'low' };
const OBFUSCATED_EXEC_SEVERITY: SeverityByContext = { install: 'critical', import: 'high', module: 'high' };

const LONG_LINE = 2000;
const CHR_CHAIN = 8;
const BUILTINS_ACCESS = /\bgetattr\s*\(\s*(?:__builtins__|builtins|__import__\s*\(\s*""\s*\))|\b__builtins__\s*(?:\.\s*__dict__|\[)|\bglobals\s*\(\s*\)\s*\[\s*""\s*\]\s*\(/;
const LAMBDA_EXEC = /\blambda\b[^:]*:[\s\S]*(?<![\w.])(?:exec|eval)\s*\(/;
const SOUP_TRIGGER = /\b(?:[IlO_][Il1O0_]{7,}|_0x[0-9a-fA-F]{4,})\b/;
const SOUP = /\b(?:[IlO_][Il1O0_]{7,}|_0x[0-9a-fA-F]{4,})\b/g;

/** The longest physical line of the statement's code, string bodies and comments not counted. */
function longestPhysicalSegment(logical: LogicalLine): number {
  let longest = 0;
  for (const segment of logical.code.split('\n')) {
    if (segment.length <= LONG_LINE) continue;
    longest = Math.max(longest, segment.replace(/\s{2,}/g, ' ').length);
  }
  return longest;
}

function escapeHeavy(raw: string): boolean {
  if (raw.length < 200) return false;
  const escapes = raw.match(/\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[0-7]{3})/g)?.length ?? 0;
  return escapes >= 50 && (escapes * 4) / raw.length > 0.6;
}

function countMatches(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

function soupScore(code: string): number {
  const names = new Set<string>();
  for (const name of code.match(SOUP) ?? []) {
    // Mixed look-alike characters, not a constant like `_OOOOOOO` or `__IIIII__`.
    if (/[Il1]/.test(name) && /[O0]/.test(name)) names.add(name);
    else if (/[Il]/.test(name) && /1/.test(name)) names.add(name);
    else if (/^_0x/.test(name)) names.add(name);
  }
  return names.size;
}

/** Why a statement looks obfuscated, or null. */
function obfuscationIn(logical: LogicalLine): string | null {
  if (longestPhysicalSegment(logical) > LONG_LINE) return `a ${longestPhysicalSegment(logical)}-character line of code`;
  if (countMatches(logical.code, /(?<![\w.])chr\s*\(/g) >= CHR_CHAIN) return 'text assembled from chr() calls';
  if (BUILTINS_ACCESS.test(logical.code)) return 'builtins reached indirectly (getattr/__builtins__/globals())';
  if (logical.strings.some((s) => escapeHeavy(s.raw))) return 'a string written as \\x escapes';
  if (soupScore(logical.code) >= 4) return 'machine-generated identifier names';
  return null;
}

/** Obfuscated statements, and obfuscation that feeds exec/eval. */
export const obfuscationRule: SourceRule = (file) => {
  const hits: RuleHit[] = [];
  const text = file.text;
  const suspect =
    text.includes('chr') ||
    text.includes('builtins') ||
    text.includes('globals') ||
    text.includes('\\x') ||
    text.includes('\\u') ||
    /\\[0-7]{3}/.test(text) ||
    (text.includes('lambda') && EXEC_CALL.test(text)) ||
    SOUP_TRIGGER.test(text) ||
    file.source.lines.some((l) => l.length > LONG_LINE);
  if (!suspect) return hits;
  const where = describeContext(file.context);
  let reported = 0;
  for (const logical of file.source.logical) {
    const why = obfuscationIn(logical);
    const execs = EXEC_CALL.test(logical.code);
    if (why === null) {
      if (execs && LAMBDA_EXEC.test(logical.code) && logical.code.length > 120) {
        hits.push({ rule: OBFUSCATION_RULES.obfuscatedExec, severity: OBFUSCATED_EXEC_SEVERITY[file.context], line: logical.firstLine, message: `lambda golf around exec/eval ${where}` });
      }
      continue;
    }
    if (execs) {
      hits.push({ rule: OBFUSCATION_RULES.obfuscatedExec, severity: OBFUSCATED_EXEC_SEVERITY[file.context], line: logical.firstLine, message: `exec/eval of ${why} ${where}` });
    } else if (reported < 3) {
      // A generated table trips the same check on every line; three findings say enough.
      reported++;
      hits.push({ rule: OBFUSCATION_RULES.obfuscated, severity: OBFUSCATED_SEVERITY[file.context], line: logical.firstLine, message: `obfuscated code: ${why} ${where}` });
    }
  }
  return hits;
};
