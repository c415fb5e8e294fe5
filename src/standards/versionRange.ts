import { PavedError } from '../errors.js';
import type { Specifier, SpecifierSet } from './specifier.js';
import { compareReleases, Version } from './version.js';

/*
 * The model. PEP 440 versions are totally ordered, and no version has an
 * immediate successor (between 1.0 and anything above it sits some 1.0+x).
 * So a set of versions bounded by specifiers is best described by *cuts*:
 * positions between versions. An interval is the versions strictly between a
 * lower and an upper cut; it holds a version exactly when lower < upper, and
 * two intervals that meet at a cut leave nothing between them. Every bound is
 * then "exclusive", and equal sets have equal cuts — no inclusive/exclusive
 * bookkeeping, no ±epsilon.
 *
 * Cut kinds:
 *   below(v)       just before v: the cut "<v" and ">=v" share.
 *   above(v)       just after v, before v's local versions (for == / != with a local label).
 *   afterRelease   after every version of one release (epoch + release, trailing
 *                  zeros ignored), e.g. after 1.0 and all its post-releases and
 *                  local versions. `>1.0` starts there. Not expressible as below(v):
 *                  1.0 has no "next" release (1.0.0.0.1 < 1.0.0.1 < 1.0.1 ...).
 * Everything else (after v's local versions, after 1.0rc1's post-releases, the
 * first version of a release) is below(some real version), e.g. `<=1.0` ends at
 * below(1.0.post0.dev0) and `<1.0` at below(1.0.dev0).
 */
type Cut =
  | { readonly kind: 'negInf' }
  | { readonly kind: 'posInf' }
  | { readonly kind: 'below'; readonly version: Version }
  | { readonly kind: 'above'; readonly version: Version }
  | { readonly kind: 'afterRelease'; readonly version: Version };

interface Interval {
  readonly lower: Cut;
  readonly upper: Cut;
}

const NEG_INF: Cut = { kind: 'negInf' };
const POS_INF: Cut = { kind: 'posInf' };

function isLowestVersion(v: Version): boolean {
  return (
    v.epoch === 0 && v.release.every((n) => n === 0) && v.pre === null && v.post === null && v.dev === 0 && v.local === null
  );
}

/* below(0.dev0) is the very start of the line: make it -inf so the cut stays canonical. */
function below(v: Version): Cut {
  return isLowestVersion(v) ? NEG_INF : { kind: 'below', version: v };
}

function above(v: Version): Cut {
  return { kind: 'above', version: v };
}

function afterRelease(v: Version): Cut {
  return { kind: 'afterRelease', version: v };
}

function compareEpochRelease(a: Version, b: Version): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return compareReleases(a.release, b.release);
}

/** Where a cut sits relative to a version: -1 before it, 1 after it (never 0). */
function cutVersusVersion(cut: Cut, x: Version): -1 | 1 {
  switch (cut.kind) {
    case 'negInf':
      return -1;
    case 'posInf':
      return 1;
    case 'below':
      return cut.version.compare(x) <= 0 ? -1 : 1;
    case 'above':
      return cut.version.compare(x) < 0 ? -1 : 1;
    case 'afterRelease':
      return compareEpochRelease(cut.version, x) < 0 ? -1 : 1;
  }
}

/** Total order on cuts. */
function compareCuts(a: Cut, b: Cut): number {
  if (a.kind === 'negInf') return b.kind === 'negInf' ? 0 : -1;
  if (b.kind === 'negInf') return 1;
  if (a.kind === 'posInf') return b.kind === 'posInf' ? 0 : 1;
  if (b.kind === 'posInf') return -1;
  if (a.kind === 'afterRelease' && b.kind === 'afterRelease') return compareEpochRelease(a.version, b.version);
  // A version lies between afterRelease and any below/above cut of another release, so the cut's side of that version decides.
  if (a.kind === 'afterRelease') return cutVersusVersion(a, b.version);
  if (b.kind === 'afterRelease') return -cutVersusVersion(b, a.version);
  const order = a.version.compare(b.version);
  if (order !== 0) return order < 0 ? -1 : 1;
  if (a.kind === b.kind) return 0;
  return a.kind === 'below' ? -1 : 1;
}

function maxCut(a: Cut, b: Cut): Cut {
  return compareCuts(a, b) >= 0 ? a : b;
}

function minCut(a: Cut, b: Cut): Cut {
  return compareCuts(a, b) <= 0 ? a : b;
}

/* The smallest version above `v` and all of v's local versions (v has no local label). */
function afterLocals(v: Version): Version {
  if (v.dev !== null) return v.with({ dev: v.dev + 1, local: null });
  if (v.post !== null) return v.with({ post: v.post + 1, dev: 0, local: null });
  return v.with({ post: 0, dev: 0, local: null });
}

/* The first version of a release: 1.2 → 1.2.dev0. */
function releaseStart(epoch: number, release: readonly number[]): Version {
  return Version.fromParts({ epoch, release, dev: 0 });
}

/* The first version after every version with this release prefix: 1.2 → 1.3.dev0. */
function prefixEnd(epoch: number, release: readonly number[]): Version {
  const next = [...release];
  next[next.length - 1] = (next[next.length - 1] ?? 0) + 1;
  return Version.fromParts({ epoch, release: next, dev: 0 });
}

function requireVersion(spec: Specifier): Version {
  if (spec.parsedVersion === null) {
    throw new PavedError('PAVED_E_INVALID_SPECIFIER', `Specifier '${spec.toString()}' has no PEP 440 version to build a range from.`);
  }
  return spec.parsedVersion;
}

/**
 * An immutable set of versions: a union of disjoint, sorted intervals over
 * the PEP 440 order. This is the algebra the resolver works in — unlike a
 * {@link SpecifierSet} it is closed under complement and union.
 *
 * Ranges know nothing of the pre-release policy: `fromSpecifier(<2.0)`
 * contains 1.5rc1. Apply the policy as a filter on candidates.
 */
export class VersionRange {
  readonly #intervals: readonly Interval[];
  static readonly #full = new VersionRange(Object.freeze([{ lower: NEG_INF, upper: POS_INF }]));
  static readonly #empty = new VersionRange(Object.freeze([]));

  private constructor(intervals: readonly Interval[]) {
    this.#intervals = intervals;
  }

  /* Sorts and merges arbitrary intervals into canonical form. */
  static #of(intervals: Interval[]): VersionRange {
    const nonEmpty = intervals.filter((i) => compareCuts(i.lower, i.upper) < 0);
    nonEmpty.sort((a, b) => compareCuts(a.lower, b.lower));
    const merged: Interval[] = [];
    for (const interval of nonEmpty) {
      const last = merged[merged.length - 1];
      // Touching at a cut leaves no version between, so touching intervals merge.
      if (last !== undefined && compareCuts(interval.lower, last.upper) <= 0) {
        merged[merged.length - 1] = { lower: last.lower, upper: maxCut(last.upper, interval.upper) };
      } else {
        merged.push(interval);
      }
    }
    return new VersionRange(Object.freeze(merged));
  }

  /** Every version. */
  static full(): VersionRange {
    return VersionRange.#full;
  }

  /** No version. */
  static empty(): VersionRange {
    return VersionRange.#empty;
  }

  /**
   * The versions `==v` accepts: v and its local versions when v has no local
   * label (==1.0 accepts 1.0+ubuntu1), otherwise exactly v.
   */
  static exactly(v: Version): VersionRange {
    return VersionRange.#of([{ lower: below(v), upper: v.local === null ? below(afterLocals(v)) : above(v) }]);
  }

  /** v and everything after it. */
  static atLeast(v: Version): VersionRange {
    return VersionRange.#of([{ lower: below(v), upper: POS_INF }]);
  }

  /** Everything strictly before v in the PEP 440 order (no pre-release exclusion; see `fromSpecifier` for `<`). */
  static below(v: Version): VersionRange {
    return VersionRange.#of([{ lower: NEG_INF, upper: below(v) }]);
  }

  /**
   * The versions one clause accepts, ignoring only the pre-release policy:
   * for every version v, `fromSpecifier(s).contains(v) === s.contains(v, { prereleases: true })`.
   * `===` has no ordering meaning; it is taken as exactly its version
   * (without local versions), or nothing when that is not a PEP 440 version.
   */
  static fromSpecifier(spec: Specifier): VersionRange {
    if (spec.operator === '===') {
      const v = spec.parsedVersion;
      return v === null ? VersionRange.#empty : VersionRange.#of([{ lower: below(v), upper: above(v) }]);
    }
    const v = requireVersion(spec);
    if (spec.hasWildcard) {
      const matching = VersionRange.#of([{ lower: below(releaseStart(v.epoch, v.release)), upper: below(prefixEnd(v.epoch, v.release)) }]);
      return spec.operator === '==' ? matching : matching.complement();
    }
    switch (spec.operator) {
      case '==':
        return VersionRange.exactly(v);
      case '!=':
        return VersionRange.exactly(v).complement();
      case '>=':
        return VersionRange.atLeast(v);
      case '<=':
        return VersionRange.#of([{ lower: NEG_INF, upper: below(afterLocals(v)) }]);
      case '<':
        // <1.0 stops before 1.0.dev0 so no pre-release of 1.0 gets in; <1.0.post1 before 1.0.post1.dev0.
        return VersionRange.below(v.isPrerelease ? v : v.with({ dev: 0 }));
      case '>': {
        let lower: Cut;
        if (v.dev !== null || v.post !== null) lower = below(afterLocals(v));
        else if (v.pre !== null) lower = below(v.with({ pre: [v.pre[0], v.pre[1] + 1], dev: 0 }));
        else lower = afterRelease(v);
        return VersionRange.#of([{ lower, upper: POS_INF }]);
      }
      case '~=': {
        const prefix = v.release.slice(0, -1);
        return VersionRange.#of([{ lower: below(v), upper: below(prefixEnd(v.epoch, prefix)) }]);
      }
    }
  }

  /** The versions every clause of the set accepts (an empty set gives the full range). */
  static fromSpecifierSet(set: SpecifierSet): VersionRange {
    let range = VersionRange.#full;
    for (const spec of set.specifiers) range = range.intersect(VersionRange.fromSpecifier(spec));
    return range;
  }

  get isEmpty(): boolean {
    return this.#intervals.length === 0;
  }

  get isFull(): boolean {
    const only = this.#intervals[0];
    return this.#intervals.length === 1 && only !== undefined && only.lower.kind === 'negInf' && only.upper.kind === 'posInf';
  }

  /**
   * The version this range pins, as `==v` would: v with any local label (or
   * exactly v when v has one). Null when the range is anything else.
   */
  get singleVersion(): Version | null {
    const only = this.#intervals[0];
    if (this.#intervals.length !== 1 || only === undefined || only.lower.kind !== 'below') return null;
    const v = only.lower.version;
    if (v.local !== null) return only.upper.kind === 'above' && only.upper.version.equals(v) ? v : null;
    return compareCuts(only.upper, below(afterLocals(v))) === 0 ? v : null;
  }

  /** True when the range is what `==v` accepts for one version v (see {@link singleVersion}). */
  get isSingleVersion(): boolean {
    return this.singleVersion !== null;
  }

  contains(v: Version): boolean {
    // Binary search: the first interval whose upper cut is after v.
    let lo = 0;
    let hi = this.#intervals.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const interval = this.#intervals[mid] as Interval;
      if (cutVersusVersion(interval.upper, v) > 0) hi = mid;
      else lo = mid + 1;
    }
    const interval = this.#intervals[lo];
    return interval !== undefined && cutVersusVersion(interval.lower, v) < 0;
  }

  intersect(other: VersionRange): VersionRange {
    const a = this.#intervals;
    const b = other.#intervals;
    const result: Interval[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const x = a[i] as Interval;
      const y = b[j] as Interval;
      const lower = maxCut(x.lower, y.lower);
      const upper = minCut(x.upper, y.upper);
      if (compareCuts(lower, upper) < 0) result.push({ lower, upper });
      if (compareCuts(x.upper, y.upper) < 0) i++;
      else j++;
    }
    return new VersionRange(Object.freeze(result));
  }

  union(other: VersionRange): VersionRange {
    if (this.isEmpty) return other;
    if (other.isEmpty) return this;
    return VersionRange.#of([...this.#intervals, ...other.#intervals]);
  }

  complement(): VersionRange {
    const result: Interval[] = [];
    let lower: Cut = NEG_INF;
    for (const interval of this.#intervals) {
      if (compareCuts(lower, interval.lower) < 0) result.push({ lower, upper: interval.lower });
      lower = interval.upper;
    }
    if (lower.kind !== 'posInf') result.push({ lower, upper: POS_INF });
    return new VersionRange(Object.freeze(result));
  }

  /** Versions in this range and not in `other`. */
  difference(other: VersionRange): VersionRange {
    return this.intersect(other.complement());
  }

  equals(other: VersionRange): boolean {
    const a = this.#intervals;
    const b = other.#intervals;
    if (a.length !== b.length) return false;
    return a.every((x, i) => {
      const y = b[i] as Interval;
      return compareCuts(x.lower, y.lower) === 0 && compareCuts(x.upper, y.upper) === 0;
    });
  }

  isSubsetOf(other: VersionRange): boolean {
    return this.difference(other).isEmpty;
  }

  isDisjoint(other: VersionRange): boolean {
    return this.intersect(other).isEmpty;
  }

  /**
   * Readable, specifier-like: clauses of an interval joined by ", ",
   * intervals by " || ", e.g. `>=1.0, <2.0 || ==3.1`; `*` for everything,
   * `<none>` for nothing. Meant for people (resolver explanations), not for parsing.
   */
  toString(): string {
    if (this.isEmpty) return '<none>';
    if (this.isFull) return '*';
    return renderIntervals(this.#intervals);
  }
}


function isReleaseStart(v: Version): boolean {
  return v.pre === null && v.post === null && v.dev === 0 && v.local === null;
}

/* below(w) where w is afterLocals(x) for some x: returns that x (the version "<=x" ends after). */
function beforeAfterLocals(w: Version): Version | null {
  if (w.local !== null || w.dev !== 0 || w.post === null) return null;
  return w.post === 0 ? w.with({ post: null, dev: null }) : w.with({ post: w.post - 1, dev: null });
}

function renderLower(cut: Cut): string | null {
  switch (cut.kind) {
    case 'negInf':
      return null;
    case 'below':
      return `>=${cut.version.toString()}`;
    case 'above':
      return `>${cut.version.toString()}`;
    case 'afterRelease':
      return `>${cut.version.baseVersion}`;
    case 'posInf':
      throw new Error('unreachable: +inf lower bound');
  }
}

function renderUpper(cut: Cut): string | null {
  switch (cut.kind) {
    case 'posInf':
      return null;
    case 'below': {
      const w = cut.version;
      // <1.0 and <1.0.dev0 are the same set; the first reads better.
      if (isReleaseStart(w)) return `<${w.baseVersion}`;
      const x = beforeAfterLocals(w);
      return x === null ? `<${w.toString()}` : `<=${x.toString()}`;
    }
    case 'above':
      return `<=${cut.version.toString()}`;
    case 'afterRelease':
      // Up to and including every post-release and local version of this release.
      return `<=${cut.version.baseVersion}.post*`;
    case 'negInf':
      throw new Error('unreachable: -inf upper bound');
  }
}

/*
 * A gap between two intervals that is exactly what `==x` or `==x.*` accepts
 * reads best as `!=x` inside one group: `>=1.0, <2.0, !=1.5`.
 */
function renderHole(gap: Interval): string | null {
  if (gap.lower.kind !== 'below' || gap.upper.kind === 'negInf' || gap.upper.kind === 'posInf') return null;
  const single = renderInterval(gap);
  return single.startsWith('==') && !single.includes(',') ? `!=${single.slice(2)}` : null;
}

function renderIntervals(intervals: readonly Interval[]): string {
  const groups: string[] = [];
  let i = 0;
  while (i < intervals.length) {
    const first = intervals[i] as Interval;
    let last = first;
    const holes: string[] = [];
    while (i + 1 < intervals.length) {
      const next = intervals[i + 1] as Interval;
      const hole = renderHole({ lower: last.upper, upper: next.lower });
      if (hole === null) break;
      holes.push(hole);
      last = next;
      i++;
    }
    i++;
    if (holes.length === 0) {
      groups.push(renderInterval(first));
    } else {
      const bounds = [renderLower(first.lower), renderUpper(last.upper)].filter((part) => part !== null);
      groups.push([...bounds, ...holes].join(', '));
    }
  }
  return groups.join(' || ');
}

function renderInterval(interval: Interval): string {
  const { lower, upper } = interval;
  if (lower.kind === 'below') {
    const v = lower.version;
    // ==v (with its local versions) and ==v+local.
    if (v.local === null && upper.kind === 'below' && compareCuts(upper, below(afterLocals(v))) === 0) return `==${v.toString()}`;
    if (upper.kind === 'above' && upper.version.equals(v)) return `==${v.toString()}`;
    // ==1.2.* is [1.2.dev0, 1.3.dev0).
    if (isReleaseStart(v) && upper.kind === 'below' && isReleaseStart(upper.version)) {
      const end = upper.version;
      const expected = prefixEnd(v.epoch, v.release);
      if (end.epoch === expected.epoch && end.release.length === expected.release.length && end.release.every((n, i) => n === expected.release[i])) {
        return `==${v.baseVersion}.*`;
      }
    }
  }
  return [renderLower(lower), renderUpper(upper)].filter((part) => part !== null).join(', ');
}
