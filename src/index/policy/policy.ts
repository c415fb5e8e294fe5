/**
 * The policy of a vetted index: which files may enter it (from the upstream it mirrors or
 * from uploads), which are held back for review (quarantine) and which never enter (block).
 *
 * A policy is plain data: it is read from a TOML or YAML file (parsePolicy.ts), rendered back
 * (renderPolicy), stored with the index and handed to the pure rules engine (evaluateFile.ts).
 * Every field has a default, so an empty policy file means DEFAULT_POLICY. The file format and
 * the precedence of the rules are documented in docs/policy.md.
 */

import type { FindingSeverity } from '../scan/findings.js';

export type { FindingSeverity };

/** What a policy decides for one file. Quarantined files wait for a time or an admin; blocked ones never enter. */
export type VerdictAction = 'allow' | 'quarantine' | 'block';

/** What a heuristic rule does when it fires. */
export type RuleAction = 'quarantine' | 'block';

/** Advisory severities a threshold can name, least severe first ('unknown' is counted as `unknownSeverity`). */
export const ADVISORY_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
/** An advisory severity a threshold can name. */
export type KnownAdvisorySeverity = (typeof ADVISORY_SEVERITIES)[number];

/** Scanner severities, least severe first. */
export const FINDING_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const satisfies readonly FindingSeverity[];

/** Where a file came from: fetched from the mirrored upstream index, or uploaded to paved. */
export type FileSource = 'upstream' | 'upload';

/** Which files a rule looks at. */
export interface AppliesTo {
  upstream: boolean;
  uploads: boolean;
}

/**
 * A project, optionally narrowed to some versions: `requests` (every version) or
 * `requests<2.20`. Written in a policy file as that string or as a table.
 */
export interface PackageRule {
  /** PEP 503 normalised project name. */
  project: string;
  /** PEP 440 specifier set in canonical form; '' means every version. */
  specifier: string;
  /** Why the rule exists, shown in verdicts and `paved policy explain`. */
  reason: string | null;
}

/** Hold upstream releases until they are `minDays` old, so a hijacked release is caught before anyone installs it. */
export interface ReleaseAgePolicy {
  enabled: boolean;
  /** Days a file must have been public; fractions allowed (0.5 = 12 hours). */
  minDays: number;
  /** Default: upstream only — your own uploads are not "new from the internet". */
  appliesTo: AppliesTo;
  /** Projects (or versions of them) that are never held for age, e.g. `certifi`, `tzdata`. */
  exempt: PackageRule[];
  /** A file whose upload time is not known (e.g. a PEP 503 tree without upload-time): let it through or hold it for review. */
  unknownUploadTime: 'allow' | 'quarantine';
}

/** Known vulnerabilities from the imported OSV data. */
export interface VulnerabilityPolicy {
  enabled: boolean;
  /** Advisories at or above this severity block the file; 'none' blocks nothing. */
  block: KnownAdvisorySeverity | 'none';
  /** Advisories at or above this severity (and below `block`) quarantine the file; 'none' holds nothing. */
  quarantine: KnownAdvisorySeverity | 'none';
  /** How an advisory without a severity is counted. */
  unknownSeverity: KnownAdvisorySeverity;
  /** Advisory ids or aliases (GHSA-…, PYSEC-…, CVE-…) the security team has accepted. */
  ignore: string[];
  appliesTo: AppliesTo;
}

/** Findings of the static malware scanner. */
export interface MalwarePolicy {
  enabled: boolean;
  /** Findings at or above this severity block the file; 'none' blocks nothing. */
  block: FindingSeverity | 'none';
  /** Findings at or above this severity (and below `block`) quarantine the file. */
  quarantine: FindingSeverity | 'none';
  appliesTo: AppliesTo;
}

/** Names that imitate a popular project (`reqeusts`, `python-requests`, `djnago`). */
export interface TyposquattingPolicy {
  enabled: boolean;
  action: RuleAction;
  /** The first N names of the popular list are protected; every listed name (any rank) is itself trusted. */
  popularCount: number;
  /** Largest edit distance counted as a typo; null = by length (1, or 2 for names of 10+ characters). */
  maxDistance: number | null;
  /** Normalised names never flagged (your own lookalikes). */
  exempt: string[];
  appliesTo: AppliesTo;
}

/** Licences, as SPDX ids (from License-Expression, classifiers or the License field). */
export interface LicensePolicy {
  enabled: boolean;
  /** SPDX ids (or `PREFIX-*` patterns) accepted; empty = any licence that is not denied. */
  allow: string[];
  /** SPDX ids (or `PREFIX-*` patterns) refused. */
  deny: string[];
  /** What happens to a file whose licence is not acceptable. */
  action: RuleAction;
  /** What happens to a file whose licence cannot be determined. */
  unknown: VerdictAction;
  appliesTo: AppliesTo;
}

/** A whole policy. See docs/policy.md for the file format and the order in which rules win. */
export interface Policy {
  /** Format version of the policy file; only 1 exists. */
  version: 1;
  /** Locked-down index: only projects (and versions) in `allow` may enter. */
  allowOnly: boolean;
  /** Admission list under `allowOnly`; listed names are also never typosquats. */
  allow: PackageRule[];
  /** Never enter, whatever else says so (only an explicit admin block is stronger, and it agrees). */
  deny: PackageRule[];
  releaseAge: ReleaseAgePolicy;
  vulnerabilities: VulnerabilityPolicy;
  malware: MalwarePolicy;
  typosquatting: TyposquattingPolicy;
  licenses: LicensePolicy;
}

/** The policy of an index that has no policy file: a careful mirror that does not get in the way of uploads. */
export const DEFAULT_POLICY: Policy = deepFreeze({
  version: 1,
  allowOnly: false,
  allow: [],
  deny: [],
  releaseAge: {
    enabled: true,
    minDays: 7,
    appliesTo: { upstream: true, uploads: false },
    exempt: [],
    unknownUploadTime: 'allow',
  },
  vulnerabilities: {
    enabled: true,
    block: 'high',
    quarantine: 'medium',
    unknownSeverity: 'medium',
    ignore: [],
    appliesTo: { upstream: true, uploads: true },
  },
  malware: {
    enabled: true,
    block: 'critical',
    quarantine: 'high',
    appliesTo: { upstream: true, uploads: true },
  },
  typosquatting: {
    enabled: true,
    action: 'quarantine',
    popularCount: 5000,
    maxDistance: null,
    exempt: [],
    appliesTo: { upstream: true, uploads: false },
  },
  licenses: {
    enabled: false,
    allow: [],
    deny: [],
    action: 'quarantine',
    unknown: 'allow',
    appliesTo: { upstream: true, uploads: true },
  },
});

/** A deep, mutable copy of the defaults, for building a policy field by field. */
export function defaultPolicy(): Policy {
  return structuredClone(DEFAULT_POLICY) as Policy;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
