/**
 * Red flags in the core metadata, judged together with what the install-time code does:
 * a throwaway package (no description, placeholder version) that runs code at install is the
 * usual shape of a malicious upload; a real project rarely looks like that.
 */
import type { CoreMetadata } from '../../../standards/coreMetadata.js';
import type { FindingSeverity } from '../findings.js';

/** Rule ids of this family. */
export const METADATA_RULES = {
  emptyDescription: 'empty-description-with-install-hooks',
  placeholderVersion: 'placeholder-version-with-install-hooks',
  throwawayEmail: 'throwaway-author-email',
} as const;

/** What the scan learned about the distribution's install-time code. */
export interface InstallHooks {
  /** Whether any code runs at install (a setup.py that overrides install commands, a `.pth` import line…). */
  present: boolean;
  /** Where, for messages (e.g. `setup.py`). */
  where: string | null;
  /** Whether that code also does something risky (a finding of medium or more). */
  risky: boolean;
}

/** One metadata finding, before it is given a file. */
export interface MetadataHit {
  rule: string;
  severity: FindingSeverity;
  message: string;
}

const PLACEHOLDER_VERSIONS = new Set(['0', '0.0', '0.0.0', '0.0.1', '0.0.0.0']);
const THROWAWAY_DOMAINS =
  /@(?:mailinator\.com|guerrillamail\.\w+|sharklasers\.com|10minutemail\.\w+|temp-mail\.org|tempmail\.\w+|yopmail\.com|trashmail\.\w+|getnada\.com|dispostable\.com|maildrop\.cc|mohmal\.com|emailondeck\.com|mailnesia\.com|burnermail\.io)\b/i;

function blank(value: string | null): boolean {
  return value === null || value.trim() === '' || value.trim().toUpperCase() === 'UNKNOWN';
}

/** Metadata red flags, given the install-time facts. */
export function metadataRule(metadata: CoreMetadata, hooks: InstallHooks): MetadataHit[] {
  const hits: MetadataHit[] = [];
  const hookText = hooks.where === null ? 'install-time code' : `install-time code (${hooks.where})`;
  if (hooks.present && blank(metadata.summary) && blank(metadata.description)) {
    hits.push({
      rule: METADATA_RULES.emptyDescription,
      severity: hooks.risky ? 'high' : 'medium',
      message: `no summary and no description, and ${hookText}${hooks.risky ? ' that does risky things' : ''}`,
    });
  }
  if (hooks.present && PLACEHOLDER_VERSIONS.has(metadata.version.trim())) {
    hits.push({
      rule: METADATA_RULES.placeholderVersion,
      severity: hooks.risky ? 'high' : 'low',
      message: `placeholder version ${metadata.version.trim()} with ${hookText}${hooks.risky ? ' that does risky things' : ''}`,
    });
  }
  const emails = [metadata.authorEmail, metadata.maintainerEmail].filter((e): e is string => e !== null);
  const throwaway = emails.map((e) => THROWAWAY_DOMAINS.exec(e)?.[0]).find((d) => d !== undefined);
  if (throwaway !== undefined) {
    hits.push({ rule: METADATA_RULES.throwawayEmail, severity: hooks.risky ? 'medium' : 'low', message: `author email at a throwaway domain (${throwaway.slice(1)})` });
  }
  return hits;
}
