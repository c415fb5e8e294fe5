/**
 * Signals that mean little alone and a lot together, within one file: a download next to an
 * exec or a process start is a dropper; a credential read or an environment dump next to a
 * network call or a webhook is exfiltration.
 */
import { describeContext, type RuleHit, type SeverityByContext, type SourceUnderScan } from './ruleTypes.js';
import { CREDENTIAL_RULES } from './credentials.js';
import { DECODE_EXEC_RULES } from './decodeExec.js';
import { DROPPED_BINARY_RULES } from './droppedBinaries.js';
import { HOST_RULES } from './hosts.js';
import { NETWORK_RULES } from './network.js';
import { PROCESS_RULES } from './process.js';

/** Rule ids of this family. */
export const COMBINATION_RULES = {
  /** A download and an exec/eval or a process start in the same install- or import-time file. */
  downloadAndExecute: 'download-and-execute',
  /** A credential read or environment dump and a network send in the same file. */
  credentialExfiltration: 'credential-exfiltration',
} as const;

const DROPPER_SEVERITY: SeverityByContext = { install: 'critical', import: 'high', module: null };
const EXFIL_SEVERITY: SeverityByContext = { install: 'critical', import: 'high', module: null };
const EXFIL_HOST_SEVERITY: SeverityByContext = { install: 'critical', import: 'critical', module: 'medium' };

function firstLine(hits: RuleHit[], rules: readonly string[]): number | null {
  const lines = hits.filter((h) => rules.includes(h.rule)).map((h) => h.line);
  return lines.length === 0 ? null : Math.min(...lines);
}

/** The combined findings of one file, from the hits of every other family. */
export function combineHits(file: SourceUnderScan, hits: RuleHit[]): RuleHit[] {
  const combined: RuleHit[] = [];
  const where = describeContext(file.context);
  const download = firstLine(hits, [NETWORK_RULES.download, NETWORK_RULES.shellDownload]);
  const runs = firstLine(hits, [DECODE_EXEC_RULES.dynamicExec, PROCESS_RULES.spawn, DROPPED_BINARY_RULES.dropsExecutable]);
  const severity = DROPPER_SEVERITY[file.context];
  if (download !== null && runs !== null && severity !== null) {
    combined.push({ rule: COMBINATION_RULES.downloadAndExecute, severity, line: download, message: `downloads and then runs code or a program (line ${runs}) ${where}` });
  }
  const secret = firstLine(hits, [CREDENTIAL_RULES.access, CREDENTIAL_RULES.environmentDump]);
  const webhook = firstLine(hits, [HOST_RULES.exfiltrationHost, HOST_RULES.rawIp]);
  const send = firstLine(hits, [NETWORK_RULES.download]);
  if (secret !== null && webhook !== null && EXFIL_HOST_SEVERITY[file.context] !== null) {
    combined.push({
      rule: COMBINATION_RULES.credentialExfiltration,
      severity: EXFIL_HOST_SEVERITY[file.context],
      line: secret,
      message: `reads credentials or the environment and refers to a paste/webhook site or raw IP (line ${webhook}) ${where}`,
    });
  } else if (secret !== null && send !== null && EXFIL_SEVERITY[file.context] !== null) {
    combined.push({ rule: COMBINATION_RULES.credentialExfiltration, severity: EXFIL_SEVERITY[file.context], line: secret, message: `reads credentials or the environment and makes network calls (line ${send}) ${where}` });
  }
  return combined;
}
