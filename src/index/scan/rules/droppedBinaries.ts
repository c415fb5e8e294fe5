/**
 * Install code that drops an executable and runs it: writes bytes to a file, marks it
 * executable, starts it. Also recognises executable formats (ELF, PE, Mach-O) by their magic
 * numbers, for the members that install code refers to.
 */
import { describeContext, IMPORT_TIME_WINDOW, nearestPair, type RuleHit, type SeverityByContext, type SourceRule } from './ruleTypes.js';
import { findInCode, findInStrings, firstInStatement, statementHasString } from './matchSource.js';
import { NETWORK_CALL } from './network.js';
import { SPAWN_CALL } from './process.js';

/** Rule ids of this family. */
export const DROPPED_BINARY_RULES = {
  /** Install code that makes a file executable and runs a program. */
  dropsExecutable: 'install-drops-executable',
  /** An executable binary in an sdist outside any package, or one that install code names. */
  bundledBinary: 'bundled-binary',
} as const;

const DROP_SEVERITY: SeverityByContext = { install: 'high', import: 'medium', module: null };
const DROP_AND_WRITE_SEVERITY: SeverityByContext = { install: 'critical', import: 'high', module: null };

const CHMOD_CALL = /\b(?:os\s*\.\s*)?(?:chmod|fchmod)\s*\([^)]*(?:0o?[0-7]?[157][0-7]{2}\b|S_IX(?:USR|GRP|OTH)|S_IEXEC|S_IRWXU|\b(?:511|493|448|365)\b)/g;
const CHMOD_STRING = /(?:^|[\s;&|])chmod\s+(?:-\S+\s+)*(?:[ugoa]*\+[rw]*x|0?[0-7]?[157][0-7]{2})\b/;
const WRITE_BINARY = /\bopen\s*\([^)]*""[^)]*\)|\.write_bytes\s*\(/;
const EXEC_PROGRAM = new RegExp(`${SPAWN_CALL.source}|\\bos\\s*\\.\\s*exec\\w*\\s*\\(`);

/** The executable format a file starts with, or null. */
export function executableFormat(head: Buffer): 'ELF' | 'PE' | 'Mach-O' | null {
  if (head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46) return 'ELF';
  if (head.length >= 2 && head[0] === 0x4d && head[1] === 0x5a) return 'PE';
  if (head.length >= 4) {
    const magic = head.readUInt32BE(0);
    if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)) {
      // 0xcafebabe is also a Java class file; a fat Mach-O has a small architecture count after it.
      if (magic !== 0xcafebabe || (head.length >= 8 && head.readUInt32BE(4) < 20)) return 'Mach-O';
    }
  }
  return null;
}

/** Install code that chmods +x and starts a program (critical when it also writes or downloads the file). */
export const droppedBinaryRule: SourceRule = (file) => {
  if (file.context === 'module') return [];
  const chmods = [
    ...findInCode(file, CHMOD_CALL).map((m) => m.line),
    ...findInStrings(file, (v) => v.length < 4000 && CHMOD_STRING.test(v)).map((m) => m.line),
  ];
  if (chmods.length === 0) return [];
  const runs = file.source.logical.map((l) => firstInStatement(l, EXEC_PROGRAM)?.line).filter((m) => m !== undefined);
  if (runs.length === 0) return [];
  // In import-time code the chmod, the run (and the write or download) must sit together to count as one act.
  const pair = file.context === 'install' ? [Math.min(...chmods), Math.min(...runs)] : nearestPair(chmods, runs, IMPORT_TIME_WINDOW);
  if (pair === null) return [];
  const [line] = pair as [number, number];
  const close = (l: { firstLine: number }): boolean => file.context === 'install' || Math.abs(l.firstLine - line) <= IMPORT_TIME_WINDOW;
  const writes = file.source.logical.some(
    (l) => close(l) && ((WRITE_BINARY.test(l.code) && statementHasString(l, (v) => /^[rwax+]*b[rwax+]*$/.test(v) && /[wa]/.test(v))) || /\.write_bytes\s*\(/.test(l.code)),
  );
  const downloads = file.source.logical.some((l) => {
    NETWORK_CALL.lastIndex = 0;
    return close(l) && (NETWORK_CALL.test(l.code) || statementHasString(l, (v) => /\b(?:curl|wget)\b/.test(v)));
  });
  const severity = (writes || downloads ? DROP_AND_WRITE_SEVERITY : DROP_SEVERITY)[file.context];
  const message = `makes a file executable and runs a program${writes ? ' after writing binary data' : ''}${downloads ? ' it downloads' : ''} ${describeContext(file.context)}`;
  const hit: RuleHit = { rule: DROPPED_BINARY_RULES.dropsExecutable, severity, line, message };
  return [hit];
};
