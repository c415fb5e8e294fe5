import type { Version } from '../../standards/version.js';
import { VersionRange } from '../../standards/versionRange.js';
import type { Incompatibility } from './incompatibility.js';
import { anyTerm, differenceTerms, intersectTerms, negate, positiveTerm, relateTerms, termSatisfies, type Term, type TermRelation } from './term.js';

/** One step of the partial solution: a decision (no cause) or a derivation. */
export interface Assignment {
  readonly term: Term;
  readonly decisionLevel: number;
  /** Position in the whole solution; orders assignments across packages. */
  readonly index: number;
  /** The incompatibility that forced it; null for a decision. */
  readonly cause: Incompatibility | null;
  readonly version: Version | null;
}

interface PackageState {
  assignments: Assignment[];
  /** Intersection of every assignment's term. */
  term: Term;
  decided: Version | null;
}

/**
 * The assignments made so far, in order, each at a decision level. Keeps,
 * per package, the intersection of its terms so relations are cheap.
 */
export class PartialSolution {
  readonly #assignments: Assignment[] = [];
  readonly #packages = new Map<string, PackageState>();
  #decisionLevel = 0;

  get decisionLevel(): number {
    return this.#decisionLevel;
  }

  #state(pkg: string): PackageState {
    let state = this.#packages.get(pkg);
    if (state === undefined) {
      state = { assignments: [], term: anyTerm(pkg), decided: null };
      this.#packages.set(pkg, state);
    }
    return state;
  }

  #push(term: Term, cause: Incompatibility | null, version: Version | null): void {
    const state = this.#state(term.pkg);
    const assignment: Assignment = { term, decisionLevel: this.#decisionLevel, index: this.#assignments.length, cause, version };
    this.#assignments.push(assignment);
    state.assignments.push(assignment);
    state.term = intersectTerms(state.term, term);
    if (version !== null) state.decided = version;
  }

  decide(pkg: string, version: Version): void {
    this.#decisionLevel++;
    this.#push(positiveTerm(pkg, VersionRange.exactly(version)), null, version);
  }

  derive(term: Term, cause: Incompatibility): void {
    this.#push(term, cause, null);
  }

  /** Drops every assignment made above `level`. */
  backtrack(level: number): void {
    while (this.#assignments.length > 0) {
      const last = this.#assignments[this.#assignments.length - 1] as Assignment;
      if (last.decisionLevel <= level) break;
      this.#assignments.pop();
    }
    this.#decisionLevel = level;
    for (const [pkg, state] of this.#packages) {
      const kept = state.assignments.filter((a) => a.decisionLevel <= level);
      if (kept.length === state.assignments.length) continue;
      if (kept.length === 0) {
        this.#packages.delete(pkg);
        continue;
      }
      state.assignments = kept;
      state.term = kept.reduce((acc, a) => intersectTerms(acc, a.term), anyTerm(pkg));
      state.decided = kept.find((a) => a.version !== null)?.version ?? null;
    }
  }

  /** What is known about `pkg` (the term allowing anything when nothing is). */
  termFor(pkg: string): Term {
    return this.#packages.get(pkg)?.term ?? anyTerm(pkg);
  }

  decidedVersion(pkg: string): Version | null {
    return this.#packages.get(pkg)?.decided ?? null;
  }

  relation(t: Term): TermRelation {
    return relateTerms(this.termFor(t.pkg), t);
  }

  satisfies(t: Term): boolean {
    return termSatisfies(this.termFor(t.pkg), t);
  }

  /** Packages that must be selected but have no version decided yet, in the order they became required. */
  undecided(): string[] {
    const result: string[] = [];
    for (const [pkg, state] of this.#packages) {
      if (state.decided === null && state.term.positive) result.push(pkg);
    }
    return result;
  }

  /** Every decision: the solution once nothing is left undecided. */
  decisions(): Map<string, Version> {
    const result = new Map<string, Version>();
    for (const [pkg, state] of this.#packages) if (state.decided !== null) result.set(pkg, state.decided);
    return result;
  }

  /** The earliest assignment after which the solution satisfies `t`. */
  satisfier(t: Term): Assignment {
    const state = this.#packages.get(t.pkg);
    let accumulated = anyTerm(t.pkg);
    for (const assignment of state?.assignments ?? []) {
      accumulated = intersectTerms(accumulated, assignment.term);
      if (termSatisfies(accumulated, t)) return assignment;
    }
    throw new Error(`internal: no satisfier for ${t.pkg}`);
  }

  /**
   * For conflict resolution: the most recent satisfier among `incompat`'s
   * terms, and the decision level the solution must go back to so that the
   * incompatibility is no longer satisfied but almost (one term undetermined).
   */
  findSatisfier(incompat: Incompatibility): { satisfier: Assignment; term: Term; previousLevel: number } {
    let satisfier: Assignment | null = null;
    let satisfied: Term | null = null;
    const found: Assignment[] = [];
    for (const term of incompat.terms) {
      const s = this.satisfier(term);
      found.push(s);
      if (satisfier === null || s.index > satisfier.index) {
        satisfier = s;
        satisfied = term;
      }
    }
    if (satisfier === null || satisfied === null) throw new Error('internal: empty incompatibility in conflict resolution');
    let previousLevel = 1;
    for (const s of found) if (s !== satisfier) previousLevel = Math.max(previousLevel, s.decisionLevel);
    // A partial satisfier: the earlier assignments of its package must rule out what it allows beyond the term.
    const beyond = differenceTerms(satisfier.term, satisfied);
    if (!(beyond.positive && beyond.range.isEmpty)) {
      const earlier = this.#satisfierBefore(negate(beyond), satisfier.index);
      if (earlier !== null) previousLevel = Math.max(previousLevel, earlier.decisionLevel);
    }
    return { satisfier, term: satisfied, previousLevel };
  }

  #satisfierBefore(t: Term, before: number): Assignment | null {
    const state = this.#packages.get(t.pkg);
    let accumulated = anyTerm(t.pkg);
    for (const assignment of state?.assignments ?? []) {
      if (assignment.index >= before) break;
      accumulated = intersectTerms(accumulated, assignment.term);
      if (termSatisfies(accumulated, t)) return assignment;
    }
    return null;
  }
}
