import { PavedError } from '../../errors.js';

/**
 * Index paths are `owner/name`, each part lowercased and matching this
 * pattern. They appear in URLs (`/{owner}/{name}/simple/`), so the alphabet
 * is URL-safe and never `.`/`..`-only; names that would collide with fixed
 * routes are reserved.
 */
const INDEX_PART = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Route words an owner or index name may not take (`+…` names are already outside the pattern). */
export const RESERVED_INDEX_NAMES: ReadonlySet<string> = new Set(['simple', 'files']);

/** A validated, lowercased `owner/name`. */
export interface IndexPath {
  owner: string;
  name: string;
  /** `owner/name` */
  path: string;
}

/** Lowercases and validates one part of an index path; throws PAVED_E_INVALID_INDEX_NAME. */
export function normalizeIndexPart(part: string, role: 'owner' | 'name'): string {
  const lowered = typeof part === 'string' ? part.toLowerCase() : '';
  if (!INDEX_PART.test(lowered) || RESERVED_INDEX_NAMES.has(lowered)) {
    const shown = typeof part === 'string' ? JSON.stringify(part.slice(0, 80)) : String(part);
    throw new PavedError('PAVED_E_INVALID_INDEX_NAME', `Invalid index ${role}: ${shown}`, {
      hint: `An index ${role} is 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit, and not one of: ${[...RESERVED_INDEX_NAMES].join(', ')}.`,
    });
  }
  return lowered;
}

/** Validates `owner` and `name` and joins them; throws PAVED_E_INVALID_INDEX_NAME. */
export function makeIndexPath(owner: string, name: string): IndexPath {
  const o = normalizeIndexPart(owner, 'owner');
  const n = normalizeIndexPart(name, 'name');
  return { owner: o, name: n, path: `${o}/${n}` };
}

/** Parses `owner/name` (any case); null for anything else, so a URL segment can be looked up safely. */
export function parseIndexPath(text: string): IndexPath | null {
  if (typeof text !== 'string' || text.length > 129) return null;
  const parts = text.split('/');
  if (parts.length !== 2) return null;
  try {
    return makeIndexPath(parts[0] as string, parts[1] as string);
  } catch {
    return null;
  }
}
