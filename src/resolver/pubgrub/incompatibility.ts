import type { Version } from '../../standards/version.js';
import type { VersionRange } from '../../standards/versionRange.js';
import { intersectTerms, type Term } from './term.js';

/**
 * Why an incompatibility holds. External causes are facts taken from the
 * requirements and the index; `derived` ones were learnt by conflict
 * resolution from two others and form the derivation tree of an error.
 */
export type IncompatibilityCause =
  | { readonly kind: 'root' }
  /** The first term's versions depend on the second term's package in its range. */
  | { readonly kind: 'dependency' }
  /** No usable version in the range; `excluded` says what was skipped there and why. */
  | { readonly kind: 'no-versions'; readonly excluded: readonly ExcludedVersion[] }
  /** These versions declare a Requires-Python the target interpreter does not meet. */
  | { readonly kind: 'requires-python'; readonly requiresPython: string; readonly pythonVersion: string }
  /** A `-c` constraint forbids these versions. */
  | { readonly kind: 'constraint'; readonly constraint: string }
  /** This version cannot be used at all (broken metadata, a direct URL dependency…). */
  | { readonly kind: 'unusable'; readonly reason: string }
  | { readonly kind: 'derived'; readonly left: Incompatibility; readonly right: Incompatibility };

/** A version inside a range that was not a candidate, and why. */
export interface ExcludedVersion {
  readonly version: Version;
  readonly reason: 'yanked' | 'prerelease' | 'requires-python';
  readonly detail?: string;
}

/**
 * A set of terms that cannot all be true at once. Terms on the same
 * package are merged (their intersection must not hold).
 */
export class Incompatibility {
  readonly terms: readonly Term[];
  readonly cause: IncompatibilityCause;

  constructor(terms: readonly Term[], cause: IncompatibilityCause) {
    const byPackage = new Map<string, Term>();
    for (const term of terms) {
      const previous = byPackage.get(term.pkg);
      byPackage.set(term.pkg, previous === undefined ? term : intersectTerms(previous, term));
    }
    this.terms = [...byPackage.values()];
    this.cause = cause;
  }

  termFor(pkg: string): Term | undefined {
    return this.terms.find((t) => t.pkg === pkg);
  }

  get isDerived(): boolean {
    return this.cause.kind === 'derived';
  }

  /** Version solving has failed when nothing, or only "root is selected", remains. */
  isFailure(root: string): boolean {
    if (this.terms.length === 0) return true;
    const only = this.terms[0];
    return this.terms.length === 1 && only !== undefined && only.pkg === root && only.positive;
  }
}

/** `pkg` in `versions` depends on `dep` in `depRange`. */
export function dependencyIncompatibility(pkg: string, versions: VersionRange, dep: string, depRange: VersionRange): Incompatibility {
  return new Incompatibility(
    [
      { pkg, positive: true, range: versions },
      { pkg: dep, positive: false, range: depRange },
    ],
    { kind: 'dependency' },
  );
}
