/**
 * The two ways rules look at a Python file: regular expressions over each logical line's code
 * (comments and string bodies gone), and predicates over its string literals. Both report the
 * physical line of what they found.
 */
import { lineOfOffset, type LogicalLine, type StringLiteral } from '../pythonSource.js';
import type { SourceUnderScan } from './ruleTypes.js';

/** A match of a code pattern: the statement it is in and the physical line of the match. */
export interface CodeMatch {
  logical: LogicalLine;
  line: number;
  text: string;
}

/** Every match of `pattern` (which must have the `g` flag) in the code of the file's statements. */
export function findInCode(file: SourceUnderScan, pattern: RegExp): CodeMatch[] {
  const found: CodeMatch[] = [];
  for (const logical of file.source.logical) {
    pattern.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(logical.code)) !== null) {
      found.push({ logical, line: lineOfOffset(logical, match.index), text: match[0] });
      if (match[0] === '') pattern.lastIndex++;
    }
  }
  return found;
}

/** The first match of `pattern` (no `g` flag) in one statement's code, with its physical line. */
export function firstInStatement(logical: LogicalLine, pattern: RegExp): CodeMatch | null {
  const match = pattern.exec(logical.code);
  return match === null ? null : { logical, line: lineOfOffset(logical, match.index), text: match[0] };
}

/** A string literal that satisfied a predicate, with the statement it belongs to. */
export interface StringMatch {
  logical: LogicalLine;
  literal: StringLiteral;
  line: number;
}

/** Every string literal of the file for which `test` holds. */
export function findInStrings(file: SourceUnderScan, test: (value: string) => boolean): StringMatch[] {
  const found: StringMatch[] = [];
  for (const logical of file.source.logical) {
    for (const literal of logical.strings) {
      if (test(literal.value)) found.push({ logical, literal, line: literal.line });
    }
  }
  return found;
}

/** Whether a statement has a string literal for which `test` holds. */
export function statementHasString(logical: LogicalLine, test: (value: string) => boolean): boolean {
  return logical.strings.some((literal) => test(literal.value));
}
