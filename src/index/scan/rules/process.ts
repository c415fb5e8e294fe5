/**
 * Processes started by install- or import-time code, and especially ones started so nobody sees
 * them: output thrown away, no console window, detached from the installer, an encoded
 * PowerShell command.
 */
import { describeContext, lacksTriggers, type RuleHit, type SeverityByContext, type SourceRule } from './ruleTypes.js';
import { findInCode, findInStrings, statementHasString } from './matchSource.js';

/** Rule ids of this family. */
export const PROCESS_RULES = {
  /** A process started at install or import (with a shell: more severe). */
  spawn: 'process-spawn',
  /** A process started with its output or window hidden, or detached from the installer. */
  silent: 'silent-process',
  /** `powershell -enc <base64>` and friends. */
  encodedPowershell: 'encoded-powershell',
} as const;

const SHELL_SPAWN_SEVERITY: SeverityByContext = { install: 'medium', import: 'low', module: null };
const SPAWN_SEVERITY: SeverityByContext = { install: 'low', import: null, module: null };
const QUIET_SEVERITY: SeverityByContext = { install: 'medium', import: 'low', module: null };
const HIDDEN_SEVERITY: SeverityByContext = { install: 'high', import: 'medium', module: null };
const POWERSHELL_SEVERITY: SeverityByContext = { install: 'critical', import: 'high', module: 'medium' };

/** A call that starts a process. */
export const SPAWN_CALL =
  /\bsubprocess\s*\.\s*(?:Popen|run|call|check_call|check_output|getoutput|getstatusoutput)\s*\(|\bos\s*\.\s*(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?|startfile|posix_spawnp?)\s*\(|\bpty\s*\.\s*spawn\s*\(|(?<![\w.])(?:Popen|check_output|check_call|getoutput)\s*\(/g;
const SHELL_CALL = /\bos\s*\.\s*(?:system|popen)\s*\(|\bgetoutput\s*\(|\bgetstatusoutput\s*\(|\bshell\s*=\s*True\b/;
/** Discarding output (common and mostly harmless by itself, e.g. `git describe` in setup.py). */
const QUIET = /\bDEVNULL\b/;
/** Hiding a process from the user, or outliving the installer. */
const HIDDEN_CODE = /\b(?:CREATE_NO_WINDOW|DETACHED_PROCESS|CREATE_NEW_CONSOLE|SW_HIDE|STARTF_USESHOWWINDOW)\b|\bstart_new_session\s*=\s*True\b|\bos\s*\.\s*setsid\b|\bos\s*\.\s*fork\s*\(|\bdaemon\s*=\s*True\b/;
const HIDDEN_STRING = /(?:^|[\s;&|'"])(?:nohup|setsid|disown)\b|&>\s*\/dev\/null|>\s*\/dev\/null\s+2>&1\s*&|\s&\s*$|-WindowStyle\s+Hidden|\s-w\s+hidden\b|\bstart\s+\/b\b|\bpythonw(?:\.exe)?\b/i;
const ENCODED_POWERSHELL = /\b(?:powershell|pwsh)(?:\.exe)?\b[\s\S]*\s-(?:e|ec|en|enc|enco|encodedcommand)\s+[A-Za-z0-9+/=]{8,}/i;

const SPAWN_TRIGGERS = /subprocess|system|popen|exec|spawn|startfile|pty|Popen|check_output|check_call|getoutput/;

/** Process starts, hidden processes and encoded PowerShell. */
export const processRule: SourceRule = (file) => {
  const hits: RuleHit[] = [];
  const where = describeContext(file.context);
  if (file.context !== 'module' && !lacksTriggers(file, SPAWN_TRIGGERS)) {
  for (const match of findInCode(file, SPAWN_CALL)) {
    const call = match.text.replace(/[\s(]+$/, '').replace(/\s+/g, '');
    const shell = SHELL_CALL.test(match.logical.code);
    hits.push({
      rule: PROCESS_RULES.spawn,
      severity: (shell ? SHELL_SPAWN_SEVERITY : SPAWN_SEVERITY)[file.context],
      line: match.line,
      message: `\`${call}\` starts a process${shell ? ' through a shell' : ''} ${where}`,
    });
    const hidden = HIDDEN_CODE.test(match.logical.code) || statementHasString(match.logical, (v) => v.length < 4000 && HIDDEN_STRING.test(v));
    if (hidden) {
      hits.push({ rule: PROCESS_RULES.silent, severity: HIDDEN_SEVERITY[file.context], line: match.line, message: `\`${call}\` starts a hidden or detached process ${where}` });
    } else if (QUIET.test(match.logical.code)) {
      hits.push({ rule: PROCESS_RULES.silent, severity: QUIET_SEVERITY[file.context], line: match.line, message: `\`${call}\` discards the process's output ${where}` });
    }
  }
  }
  if (lacksTriggers(file, /powershell|pwsh/i)) return hits;
  for (const match of findInStrings(file, (v) => v.length < 20000 && ENCODED_POWERSHELL.test(v))) {
    hits.push({ rule: PROCESS_RULES.encodedPowershell, severity: POWERSHELL_SEVERITY[file.context], line: match.line, message: `an encoded PowerShell command ${where}` });
  }
  return hits;
};
