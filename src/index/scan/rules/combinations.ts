/**
 * Signals that mean little alone and a lot together, within one file: a download next to an
 * exec or a process start is a dropper; a credential read or an environment dump next to a
 * network call or a webhook is exfiltration.
 */
import { describeContext, IMPORT_TIME_WINDOW, nearestPair, type RuleHit, type SeverityByContext, type SourceUnderScan } from './ruleTypes.js';
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

function linesOf(hits: RuleHit[], rules: readonly string[]): number[] {
  return hits.filter((h) => rules.includes(h.rule)).map((h) => h.line);
}

/**
 * The lines tying two signals together: anywhere in an install-time file (setup.py is one short
 * script), within a few lines of each other in import-time code, never in library modules.
 */
function tie(file: SourceUnderScan, a: number[], b: number[]): [number, number] | null {
  if (a.length === 0 || b.length === 0 || file.context === 'module') return null;
  if (file.context === 'install') return [Math.min(...a), Math.min(...b)];
  return nearestPair(a, b, IMPORT_TIME_WINDOW);
}

/** The combined findings of one file, from the hits of every other family. */
export function combineHits(file: SourceUnderScan, hits: RuleHit[]): RuleHit[] {
  const combined: RuleHit[] = [];
  const where = describeContext(file.context);
  const downloads = linesOf(hits, [NETWORK_RULES.download, NETWORK_RULES.shellDownload]);
  const runs = linesOf(hits, [DECODE_EXEC_RULES.dynamicExec, PROCESS_RULES.spawn, DROPPED_BINARY_RULES.dropsExecutable]);
  const dropper = tie(file, downloads, runs);
  const dropperSeverity = DROPPER_SEVERITY[file.context];
  if (dropper !== null && dropperSeverity !== null) {
    combined.push({ rule: COMBINATION_RULES.downloadAndExecute, severity: dropperSeverity, line: dropper[0], message: `downloads and then runs code or a program (line ${dropper[1]}) ${where}` });
  }
  const secrets = linesOf(hits, [CREDENTIAL_RULES.access, CREDENTIAL_RULES.environmentDump]);
  const webhooks = linesOf(hits, [HOST_RULES.exfiltrationHost, HOST_RULES.rawIp]);
  const sends = linesOf(hits, [NETWORK_RULES.download]);
  // A credential next to a webhook or paste site is exfiltration wherever it is; next to an ordinary network call, only in install/import code.
  const toWebhook: [number, number] | null = file.context === 'module' ? (secrets.length > 0 && webhooks.length > 0 ? [Math.min(...secrets), Math.min(...webhooks)] : null) : tie(file, secrets, webhooks);
  const toNetwork = tie(file, secrets, sends);
  const hostSeverity = EXFIL_HOST_SEVERITY[file.context];
  const sendSeverity = EXFIL_SEVERITY[file.context];
  if (toWebhook !== null && hostSeverity !== null) {
    combined.push({
      rule: COMBINATION_RULES.credentialExfiltration,
      severity: hostSeverity,
      line: toWebhook[0],
      message: `reads credentials or the environment and refers to a paste/webhook site or raw IP (line ${toWebhook[1]}) ${where}`,
    });
  } else if (toNetwork !== null && sendSeverity !== null) {
    combined.push({ rule: COMBINATION_RULES.credentialExfiltration, severity: sendSeverity, line: toNetwork[0], message: `reads credentials or the environment and makes network calls (line ${toNetwork[1]}) ${where}` });
  }
  return combined;
}
