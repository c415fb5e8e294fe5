import { VersionRange } from '../../standards/versionRange.js';

/**
 * A statement about one package: "its version is in `range`" (positive) or
 * "it is not selected in `range`" (negative — the package may also be absent).
 * Read as a set of possible outcomes, a positive term is `range` and a
 * negative term is the complement of `range` plus "not selected at all".
 */
export interface Term {
  readonly pkg: string;
  readonly positive: boolean;
  readonly range: VersionRange;
}

/** The term that says nothing: any version, or none. */
export function anyTerm(pkg: string): Term {
  return { pkg, positive: false, range: VersionRange.empty() };
}

export function positiveTerm(pkg: string, range: VersionRange): Term {
  return { pkg, positive: true, range };
}

export function negativeTerm(pkg: string, range: VersionRange): Term {
  return { pkg, positive: false, range };
}

/** The outcomes `t` rules out. */
export function negate(t: Term): Term {
  return { pkg: t.pkg, positive: !t.positive, range: t.range };
}

/** Outcomes both terms allow (same package). */
export function intersectTerms(a: Term, b: Term): Term {
  if (a.positive && b.positive) return positiveTerm(a.pkg, a.range.intersect(b.range));
  if (a.positive) return positiveTerm(a.pkg, a.range.difference(b.range));
  if (b.positive) return positiveTerm(a.pkg, b.range.difference(a.range));
  return negativeTerm(a.pkg, a.range.union(b.range));
}

/** Outcomes `a` allows and `b` does not. */
export function differenceTerms(a: Term, b: Term): Term {
  return intersectTerms(a, negate(b));
}

/** Only a positive term over no versions allows nothing (a negative one still allows "absent"). */
export function isEmptyTerm(t: Term): boolean {
  return t.positive && t.range.isEmpty;
}

/** Every outcome `a` allows is one `b` allows. */
export function termSatisfies(a: Term, b: Term): boolean {
  if (a.positive && b.positive) return a.range.isSubsetOf(b.range);
  if (a.positive) return a.range.isDisjoint(b.range);
  if (b.positive) return false;
  return b.range.isSubsetOf(a.range);
}

/** How a known term `known` relates to `t`: it implies t, excludes t, or neither. */
export type TermRelation = 'satisfied' | 'contradicted' | 'inconclusive';

export function relateTerms(known: Term, t: Term): TermRelation {
  if (termSatisfies(known, t)) return 'satisfied';
  if (isEmptyTerm(intersectTerms(known, t))) return 'contradicted';
  return 'inconclusive';
}
