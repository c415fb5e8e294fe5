/**
 * What the malware scanner reports: findings, each naming the rule that fired, where (archive
 * member and line) and how bad it is. The policy engine decides what a severity means (by default
 * it quarantines on `high` and above); the scanner only describes.
 */

/** How strongly a finding suggests the file is malicious. */
export type FindingSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** One thing the scanner noticed about a distribution file. */
export interface Finding {
  /** Stable rule id, e.g. `install-time-download`. */
  rule: string;
  severity: FindingSeverity;
  /** Member path inside the archive, or `METADATA` for the core metadata. */
  file: string;
  /** 1-based line in `file`, or null when the finding is about the file as a whole. */
  line: number | null;
  message: string;
  /** The offending source line, at most 160 characters, control characters escaped. */
  excerpt: string | null;
}

const RANK: Record<FindingSeverity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** Severities from least to most severe. */
export const SEVERITIES: readonly FindingSeverity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** Orders severities: negative when `a` is less severe than `b`. */
export function compareSeverity(a: FindingSeverity, b: FindingSeverity): number {
  return RANK[a] - RANK[b];
}

/** Whether `severity` is at least `threshold` (e.g. `atLeast(f.severity, 'high')`). */
export function atLeast(severity: FindingSeverity, threshold: FindingSeverity): boolean {
  return RANK[severity] >= RANK[threshold];
}

/** The severity one step up (critical stays critical): for signals that reinforce each other. */
export function raiseSeverity(severity: FindingSeverity): FindingSeverity {
  return SEVERITIES[Math.min(RANK[severity] + 1, SEVERITIES.length - 1)] as FindingSeverity;
}

const EXCERPT_LIMIT = 160;

/** A source line made safe to show: trimmed, clipped to 160 characters, control characters escaped. */
export function makeExcerpt(text: string): string {
  // Escape first, so the clip counts the characters a reader will actually see.
  // eslint-disable-next-line no-control-regex
  const escaped = text.trim().replace(/[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\t\n]/g, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
  return escaped.length > EXCERPT_LIMIT ? `${escaped.slice(0, EXCERPT_LIMIT - 1)}…` : escaped;
}
