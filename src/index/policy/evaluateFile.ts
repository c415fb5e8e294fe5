/**
 * The rules engine: facts about one file (or one project) plus the policy and the admins'
 * approvals in, a verdict out. Pure — no clock, no I/O: the caller passes `now`, the advisories
 * that affect the version, the scanner's findings and a typosquat detector, so the same facts
 * always give the same verdict and a verdict can be re-computed whenever the policy, the
 * advisory data or the time changes.
 *
 * Precedence, strongest first (docs/policy.md explains why):
 *  1. an admin's block approval
 *  2. the deny list
 *  3. an admin's allow approval (overrides everything below, never the deny list)
 *  4. allow-only: a project or version not on the allow list is blocked
 *  5. vulnerabilities and malware at their block thresholds (and licence/typosquatting set to block)
 *  6. quarantine rules: release age (until a time), vulnerabilities, malware, typosquatting, licence
 *  7. allow
 * Whatever decides, `findings` lists every rule that fired, so an explanation shows the whole story.
 */
import type { CoreMetadata } from '../../standards/coreMetadata.js';
import { normalizeName } from '../../standards/names.js';
import type { Advisory } from '../../standards/osv.js';
import { parseSpecifierSet } from '../../standards/specifier.js';
import { compareVersions, tryParseVersion } from '../../standards/version.js';
import type { Finding } from '../scan/findings.js';
import { ADVISORY_SEVERITIES, FINDING_SEVERITIES, type FileSource, type PackageRule, type Policy, type VerdictAction } from './policy.js';
import { licenseOf, licenseVerdict } from './spdx.js';
import type { TyposquatDetector } from './typosquatting.js';

/** The policy rules a finding can come from. */
export type PolicyRuleId = 'approval' | 'deny' | 'allow-only' | 'release-age' | 'vulnerability' | 'malware' | 'typosquatting' | 'license';

/** The parts of an OSV advisory the engine reads. */
export type AdvisoryFacts = Pick<Advisory, 'id' | 'aliases' | 'summary' | 'severity' | 'withdrawn'>;

/** Everything known about one file when it is judged. */
export interface FileFacts {
  /** PEP 503 normalised project name. */
  project: string;
  version: string;
  filename: string;
  source: FileSource;
  /** ISO 8601 upload time (upstream's PEP 700 upload-time, or ours for uploads); null when unknown. */
  uploadTime: string | null;
  /** Core metadata; null when not known yet (the file was not fetched). */
  metadata: CoreMetadata | null;
  /** Advisories that affect this version (withdrawn ones are ignored here). */
  advisories: readonly AdvisoryFacts[];
  /** Scanner findings; null when the file was not scanned yet. */
  scan: readonly Finding[] | null;
}

/** An admin's decision about a project, a version or one file, with who, why and when. */
export interface Approval {
  project: string;
  /** null: every version. */
  version: string | null;
  /** null: every file of the version(s). */
  filename: string | null;
  action: 'allow' | 'block';
  by: string;
  reason: string;
  /** ISO 8601 time of the decision. */
  at: string;
}

/** One rule that fired. `action` is what that rule asked for; 'allow' marks a fact worth showing that did not hold the file. */
export interface PolicyFinding {
  rule: PolicyRuleId;
  action: VerdictAction;
  message: string;
  /** What the rule matched: advisory id, scanner rule id, deny entry, typosquat target, licence expression, approver. */
  ref: string | null;
  /** For scanner findings: the member of the archive and the 1-based line. */
  file: string | null;
  line: number | null;
  /** For release age: when the hold ends by itself. */
  until: string | null;
}

/** The outcome for one file. */
export interface Verdict {
  action: VerdictAction;
  /** For a quarantine that only time holds: the instant it ends by itself. null otherwise. */
  until: string | null;
  findings: PolicyFinding[];
  /** The admin whose approval decided the verdict, or null. */
  approvedBy: string | null;
  /**
   * Rules that could not be judged because a fact is missing (`malware` before the scan,
   * `license` before the metadata). The verdict is provisional until they are: evaluate again
   * once the file has been fetched and scanned.
   */
  pending: PolicyRuleId[];
}

/** What the engine needs besides the policy and the facts. */
export interface EvaluationContext {
  now: Date;
  approvals: readonly Approval[];
  /** Built once from the popular list (createTyposquatDetector); null skips the typosquatting rule. */
  typosquat: TyposquatDetector | null;
}

/** The outcome for a whole project, whatever its versions. */
export interface ProjectVerdict {
  /**
   * 'block': every file of the project is blocked (no need to fetch anything); 'quarantine':
   * every file is held at least; 'allow': decide file by file.
   */
  action: VerdictAction;
  findings: PolicyFinding[];
  approvedBy: string | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function finding(rule: PolicyRuleId, action: VerdictAction, message: string, extra: Partial<Pick<PolicyFinding, 'ref' | 'file' | 'line' | 'until'>> = {}): PolicyFinding {
  return { rule, action, message, ref: extra.ref ?? null, file: extra.file ?? null, line: extra.line ?? null, until: extra.until ?? null };
}

function sameVersion(a: string, b: string): boolean {
  if (a === b) return true;
  const pa = tryParseVersion(a);
  const pb = tryParseVersion(b);
  // PEP 440 equality: `1.0` and `1.0.0` are one version.
  return pa !== null && pb !== null && compareVersions(pa, pb) === 0;
}

/** Whether a package rule covers this version (every version when it has no specifier; pre-releases included). */
function ruleCovers(rule: PackageRule, version: string | null): boolean {
  if (rule.specifier === '') return true;
  if (version === null) return false;
  return parseSpecifierSet(rule.specifier).contains(version, { prereleases: true });
}

function describeRule(rule: PackageRule): string {
  return `${rule.project}${rule.specifier}`;
}

function withReason(text: string, reason: string | null): string {
  return reason === null || reason === '' ? text : `${text} (${reason})`;
}

/** The approval that applies to a file: the most specific (file, then version, then project), then the latest. */
function pickApproval(approvals: readonly Approval[], project: string, version: string | null, filename: string | null): Approval | null {
  let best: Approval | null = null;
  let bestScore = -1;
  for (const approval of approvals) {
    if (normalizeName(approval.project) !== project) continue;
    if (approval.version !== null && (version === null || !sameVersion(approval.version, version))) continue;
    if (approval.filename !== null && approval.filename !== filename) continue;
    const score = (approval.filename !== null ? 2 : 0) + (approval.version !== null ? 1 : 0);
    if (score > bestScore || (score === bestScore && best !== null && Date.parse(approval.at) > Date.parse(best.at))) {
      best = approval;
      bestScore = score;
    }
  }
  return best;
}

function approvalFinding(approval: Approval): PolicyFinding {
  const verb = approval.action === 'allow' ? 'approved' : 'blocked';
  return finding('approval', approval.action, `${verb} by ${approval.by} at ${approval.at}: ${approval.reason}`, { ref: approval.by });
}

function denyFindings(policy: Policy, project: string, version: string | null): PolicyFinding[] {
  return policy.deny
    .filter((rule) => rule.project === project && ruleCovers(rule, version))
    .map((rule) => finding('deny', 'block', withReason(`denied by the policy's deny list: ${describeRule(rule)}`, rule.reason), { ref: describeRule(rule) }));
}

function allowOnlyFindings(policy: Policy, project: string, version: string | null): PolicyFinding[] {
  if (!policy.allowOnly) return [];
  const entries = policy.allow.filter((rule) => rule.project === project);
  if (entries.length === 0) {
    return [finding('allow-only', 'block', `${project} is not on the allow list of this locked-down index`)];
  }
  if (version !== null && !entries.some((rule) => ruleCovers(rule, version))) {
    return [finding('allow-only', 'block', `${project} ${version} is outside the allowed versions (${entries.map(describeRule).join(', ')})`)];
  }
  return [];
}

function typosquatFindings(policy: Policy, project: string, source: FileSource, detector: TyposquatDetector | null): PolicyFinding[] {
  const rule = policy.typosquatting;
  if (!rule.enabled || !appliesTo(rule.appliesTo, source) || detector === null) return [];
  if (rule.exempt.includes(project) || policy.allow.some((entry) => entry.project === project)) return [];
  const match = detector(project);
  if (match === null) return [];
  return [
    finding('typosquatting', rule.action, `"${project}" looks like the popular project "${match.target}" (${match.technique}, edit distance ${match.distance})`, {
      ref: match.target,
    }),
  ];
}

function appliesTo(target: { upstream: boolean; uploads: boolean }, source: FileSource): boolean {
  return source === 'upstream' ? target.upstream : target.uploads;
}

function releaseAgeFindings(policy: Policy, facts: FileFacts, now: Date): PolicyFinding[] {
  const rule = policy.releaseAge;
  if (!rule.enabled || !appliesTo(rule.appliesTo, facts.source)) return [];
  if (rule.exempt.some((entry) => entry.project === facts.project && ruleCovers(entry, facts.version))) return [];
  const uploaded = facts.uploadTime === null ? Number.NaN : Date.parse(facts.uploadTime);
  if (Number.isNaN(uploaded)) {
    return rule.unknownUploadTime === 'quarantine' ? [finding('release-age', 'quarantine', 'the upload time is not known, so the release age cannot be checked')] : [];
  }
  const until = uploaded + rule.minDays * DAY_MS;
  if (now.getTime() >= until) return [];
  const untilIso = new Date(until).toISOString();
  return [finding('release-age', 'quarantine', `released ${new Date(uploaded).toISOString()}, younger than ${rule.minDays} days: held until ${untilIso}`, { until: untilIso })];
}

function severityRank<T extends string>(order: readonly T[], severity: string): number {
  return (order as readonly string[]).indexOf(severity);
}

function vulnerabilityFindings(policy: Policy, facts: FileFacts): PolicyFinding[] {
  const rule = policy.vulnerabilities;
  if (!rule.enabled || !appliesTo(rule.appliesTo, facts.source)) return [];
  const ignored = new Set(rule.ignore.map((id) => id.toUpperCase()));
  const out: PolicyFinding[] = [];
  for (const advisory of facts.advisories) {
    if (advisory.withdrawn !== null && advisory.withdrawn !== '') continue;
    const names = [advisory.id, ...advisory.aliases];
    const summary = advisory.summary === '' ? '' : `: ${advisory.summary}`;
    const ignoredAs = names.find((name) => ignored.has(name.toUpperCase()));
    if (ignoredAs !== undefined) {
      out.push(finding('vulnerability', 'allow', `${advisory.id}${summary} — accepted by the policy (ignore ${ignoredAs})`, { ref: advisory.id }));
      continue;
    }
    const counted = severityRank(ADVISORY_SEVERITIES, advisory.severity) >= 0 ? advisory.severity : rule.unknownSeverity;
    const rank = severityRank(ADVISORY_SEVERITIES, counted);
    const action: VerdictAction =
      rule.block !== 'none' && rank >= severityRank(ADVISORY_SEVERITIES, rule.block)
        ? 'block'
        : rule.quarantine !== 'none' && rank >= severityRank(ADVISORY_SEVERITIES, rule.quarantine)
          ? 'quarantine'
          : 'allow';
    const severityText = advisory.severity === counted ? counted : `${advisory.severity}, counted as ${counted}`;
    out.push(finding('vulnerability', action, `known vulnerability ${advisory.id} (${severityText})${summary}`, { ref: advisory.id }));
  }
  return out;
}

function malwareFindings(policy: Policy, facts: FileFacts, pending: PolicyRuleId[]): PolicyFinding[] {
  const rule = policy.malware;
  if (!rule.enabled || !appliesTo(rule.appliesTo, facts.source)) return [];
  if (facts.scan === null) {
    pending.push('malware');
    return [];
  }
  const out: PolicyFinding[] = [];
  for (const scanned of facts.scan) {
    const rank = severityRank(FINDING_SEVERITIES, scanned.severity);
    // Findings below the quarantine threshold did not make the rule fire; the scan report keeps them.
    const action: VerdictAction =
      rule.block !== 'none' && rank >= severityRank(FINDING_SEVERITIES, rule.block)
        ? 'block'
        : rule.quarantine !== 'none' && rank >= severityRank(FINDING_SEVERITIES, rule.quarantine)
          ? 'quarantine'
          : 'allow';
    if (action === 'allow') continue;
    const where = scanned.line === null ? scanned.file : `${scanned.file}:${scanned.line}`;
    out.push(finding('malware', action, `${scanned.rule} (${scanned.severity}) at ${where}: ${scanned.message}`, { ref: scanned.rule, file: scanned.file, line: scanned.line }));
  }
  return out;
}

function licenseFindings(policy: Policy, facts: FileFacts, pending: PolicyRuleId[]): PolicyFinding[] {
  const rule = policy.licenses;
  if (!rule.enabled || !appliesTo(rule.appliesTo, facts.source)) return [];
  if (facts.metadata === null) {
    pending.push('license');
    return [];
  }
  const license = licenseOf(facts.metadata);
  const decision = licenseVerdict(rule, license);
  if (decision.action === 'allow') return [];
  const from = license.source === 'none' ? '' : ` (from ${license.source})`;
  return [finding('license', decision.action, `${decision.message}${from}`, { ref: license.expression })];
}

/** Puts the strongest rule first so lists read in order of importance. */
function byStrength(findings: PolicyFinding[]): PolicyFinding[] {
  const weight = { block: 0, quarantine: 1, allow: 2 } as const;
  return findings.map((f, i) => ({ f, i })).sort((a, b) => weight[a.f.action] - weight[b.f.action] || a.i - b.i).map(({ f }) => f);
}

/** Applies the precedence to the findings of the non-approval rules. */
function decide(approval: Approval | null, deny: PolicyFinding[], others: PolicyFinding[], pending: PolicyRuleId[]): Verdict {
  const findings = byStrength([...(approval === null ? [] : [approvalFinding(approval)]), ...deny, ...others]);
  if (approval?.action === 'block') return { action: 'block', until: null, findings, approvedBy: approval.by, pending };
  if (deny.length > 0) return { action: 'block', until: null, findings, approvedBy: null, pending };
  if (approval?.action === 'allow') return { action: 'allow', until: null, findings, approvedBy: approval.by, pending };
  if (others.some((f) => f.action === 'block')) return { action: 'block', until: null, findings, approvedBy: null, pending };
  const holds = others.filter((f) => f.action === 'quarantine');
  if (holds.length > 0) {
    // Only a hold that time alone ends (release age) has an end; any other hold waits for an admin.
    const ends = holds.map((f) => f.until);
    const until = ends.every((end): end is string => end !== null) ? ends.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b)) : null;
    return { action: 'quarantine', until, findings, approvedBy: null, pending };
  }
  return { action: 'allow', until: null, findings, approvedBy: null, pending };
}

/**
 * The verdict for one file. Same facts, policy, approvals and `now` → same verdict; a release-age
 * hold ends at `until`, after which the same facts evaluate to allow.
 */
export function evaluateFile(policy: Policy, facts: FileFacts, context: EvaluationContext): Verdict {
  const project = normalizeName(facts.project);
  const normalized: FileFacts = project === facts.project ? facts : { ...facts, project };
  const pending: PolicyRuleId[] = [];
  const approval = pickApproval(context.approvals, project, facts.version, facts.filename);
  const deny = denyFindings(policy, project, facts.version);
  const others = [
    ...allowOnlyFindings(policy, project, facts.version),
    ...vulnerabilityFindings(policy, normalized),
    ...malwareFindings(policy, normalized, pending),
    ...typosquatFindings(policy, project, facts.source, context.typosquat),
    ...licenseFindings(policy, normalized, pending),
    ...releaseAgeFindings(policy, normalized, context.now),
  ];
  return decide(approval, deny, others, pending);
}

/**
 * The project-level rules (deny without a specifier, allow-only, typosquatting) and project-level
 * approvals, so a server can refuse a whole project before fetching anything. When an admin has
 * allowed some version or file of the project, the answer is 'allow' (decide file by file) unless
 * the deny list blocks the project outright.
 */
export function evaluateProject(policy: Policy, project: string, context: Omit<EvaluationContext, 'now'> & { source?: FileSource }): ProjectVerdict {
  const name = normalizeName(project);
  const source = context.source ?? 'upstream';
  const projectApprovals = context.approvals.filter((a) => a.version === null && a.filename === null);
  const approval = pickApproval(projectApprovals, name, null, null);
  const narrowerAllow = context.approvals.some(
    (a) => a.action === 'allow' && (a.version !== null || a.filename !== null) && normalizeName(a.project) === name,
  );
  const deny = denyFindings(policy, name, null);
  const others = [...allowOnlyFindings(policy, name, null), ...typosquatFindings(policy, name, source, context.typosquat)];
  const verdict = decide(approval, deny, others, []);
  const overridable = verdict.action !== 'allow' && deny.length === 0 && narrowerAllow;
  return { action: overridable ? 'allow' : verdict.action, findings: verdict.findings, approvedBy: verdict.approvedBy };
}

/** PEP 792 project status for a project whose files are all held. */
export interface ProjectStatus {
  status: 'quarantined';
  reason: string;
}

/**
 * `quarantined` (PEP 792, simple API 1.4) when there are files and every one is held
 * (quarantined or blocked), with a reason clients can show; null when anything is installable.
 */
export function summarizeProjectStatus(verdicts: readonly Verdict[]): ProjectStatus | null {
  if (verdicts.length === 0 || verdicts.some((v) => v.action === 'allow')) return null;
  const rules: string[] = [];
  for (const verdict of verdicts) {
    for (const f of verdict.findings) {
      if (f.action !== 'allow' && !rules.includes(f.rule)) rules.push(f.rule);
    }
  }
  const blocked = verdicts.filter((v) => v.action === 'block').length;
  const count = verdicts.length === 1 ? 'the only file' : `all ${verdicts.length} files`;
  const state = blocked === verdicts.length ? 'blocked' : blocked === 0 ? 'quarantined' : 'quarantined or blocked';
  let reason = `${count} of this project ${verdicts.length === 1 ? 'is' : 'are'} ${state} by the index policy (${rules.join(', ')})`;
  const ends = verdicts.map((v) => v.until).filter((u): u is string => u !== null);
  if (ends.length > 0) {
    const earliest = ends.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
    reason += `; the first release-age hold ends at ${earliest}`;
  }
  return { status: 'quarantined', reason };
}
