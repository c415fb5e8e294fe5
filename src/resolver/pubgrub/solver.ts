import { PavedError } from '../../errors.js';
import type { Version } from '../../standards/version.js';
import { VersionRange } from '../../standards/versionRange.js';
import { Incompatibility, type IncompatibilityCause } from './incompatibility.js';
import { PartialSolution } from './partialSolution.js';
import { differenceTerms, isEmptyTerm, negate, negativeTerm, positiveTerm, type Term } from './term.js';

/** What the solver chose for one package: a version, or why none in the range will do. */
export type Choice = { readonly version: Version } | { readonly none: IncompatibilityCause };

/**
 * Where the solver learns about packages. Package keys are opaque to the
 * solver (the Python layer uses `name` and `name[extra]`).
 */
export interface SolverSource {
  /**
   * Called once when a package first becomes required, before any choice
   * for it; returns the facts known up front (e.g. versions the target
   * Python cannot use).
   */
  prepare(pkg: string): Promise<Incompatibility[]>;
  /** How many candidate versions lie in `range` (for "fewest versions first"). */
  countCandidates(pkg: string, range: VersionRange): number;
  choose(pkg: string, range: VersionRange): Choice;
  /** Incompatibilities saying what `pkg` at `version` depends on. */
  dependencies(pkg: string, version: Version): Promise<Incompatibility[]>;
}

/** What the solver reports while it works (for `--verbose`). */
export type SolverEvent =
  | { readonly type: 'decision'; readonly pkg: string; readonly version: Version; readonly level: number }
  | { readonly type: 'conflict'; readonly incompatibility: Incompatibility }
  | { readonly type: 'backtrack'; readonly fromLevel: number; readonly toLevel: number; readonly learnt: Incompatibility };

export interface SolverStats {
  decisions: number;
  conflicts: number;
  backtracks: number;
}

/**
 * PubGrub: unit propagation over incompatibilities, decisions on the most
 * constrained package, and conflict-driven backjumping that learns a new
 * incompatibility from every conflict. Returns the decided versions, root
 * included, or throws `fail(incompatibility)` when no solution exists.
 */
export async function solve(
  root: string,
  rootVersion: Version,
  source: SolverSource,
  options: { onEvent?: (event: SolverEvent) => void; fail: (incompatibility: Incompatibility) => Error; maxSteps?: number },
): Promise<{ decisions: Map<string, Version>; stats: SolverStats }> {
  const solution = new PartialSolution();
  const byPackage = new Map<string, Incompatibility[]>();
  const prepared = new Set<string>();
  const stats: SolverStats = { decisions: 0, conflicts: 0, backtracks: 0 };
  const emit = options.onEvent ?? (() => {});
  const maxSteps = options.maxSteps ?? 1_000_000;

  const add = (incompat: Incompatibility): void => {
    for (const term of incompat.terms) {
      let list = byPackage.get(term.pkg);
      if (list === undefined) byPackage.set(term.pkg, (list = []));
      list.push(incompat);
    }
  };

  /** Derives what `incompat` forces: 'conflict', the package it narrowed, or null. */
  const propagateOne = (incompat: Incompatibility): 'conflict' | string | null => {
    let unsatisfied: Term | null = null;
    for (const term of incompat.terms) {
      const relation = solution.relation(term);
      if (relation === 'contradicted') return null;
      if (relation === 'inconclusive') {
        if (unsatisfied !== null) return null;
        unsatisfied = term;
      }
    }
    if (unsatisfied === null) return 'conflict';
    solution.derive(negate(unsatisfied), incompat);
    return unsatisfied.pkg;
  };

  const resolveConflict = (conflict: Incompatibility): Incompatibility => {
    stats.conflicts++;
    emit({ type: 'conflict', incompatibility: conflict });
    let incompat = conflict;
    let learnt = false;
    while (!incompat.isFailure(root)) {
      const { satisfier, term, previousLevel } = solution.findSatisfier(incompat);
      if (satisfier.cause === null || previousLevel !== satisfier.decisionLevel) {
        if (learnt) add(incompat);
        stats.backtracks++;
        emit({ type: 'backtrack', fromLevel: solution.decisionLevel, toLevel: previousLevel, learnt: incompat });
        solution.backtrack(previousLevel);
        return incompat;
      }
      const terms: Term[] = [
        ...incompat.terms.filter((t) => t.pkg !== satisfier.term.pkg),
        ...satisfier.cause.terms.filter((t) => t.pkg !== satisfier.term.pkg),
      ];
      // The satisfier allowed more than the term: what it allowed beyond must still be ruled out.
      const beyond = differenceTerms(satisfier.term, term);
      if (!isEmptyTerm(beyond)) terms.push(negate(beyond));
      incompat = new Incompatibility(terms, { kind: 'derived', left: incompat, right: satisfier.cause });
      learnt = true;
    }
    throw options.fail(incompat);
  };

  const propagate = (changed: Set<string>): void => {
    const queue = [...changed];
    while (queue.length > 0) {
      const pkg = queue.pop() as string;
      const list = byPackage.get(pkg) ?? [];
      // Newest first: learnt incompatibilities are the most informative.
      for (let i = list.length - 1; i >= 0; i--) {
        const result = propagateOne(list[i] as Incompatibility);
        if (result === 'conflict') {
          const learnt = resolveConflict(list[i] as Incompatibility);
          const next = propagateOne(learnt);
          if (next === 'conflict' || next === null) throw new Error('internal: learnt incompatibility does not propagate');
          queue.length = 0;
          queue.push(next);
          break;
        }
        if (result !== null && !queue.includes(result)) queue.push(result);
      }
    }
  };

  add(new Incompatibility([negativeTerm(root, VersionRange.exactly(rootVersion))], { kind: 'root' }));
  let changed = new Set([root]);
  for (let step = 0; ; step++) {
    if (step > maxSteps) throw new PavedError('PAVED_E_RESOLUTION_TOO_COMPLEX', `Gave up resolving after ${maxSteps} steps.`);
    propagate(changed);
    const pending = solution.undecided();
    if (pending.length === 0) break;

    const fresh = pending.filter((pkg) => !prepared.has(pkg));
    if (fresh.length > 0) {
      for (const pkg of fresh) prepared.add(pkg);
      const learnt = await Promise.all(fresh.map((pkg) => source.prepare(pkg)));
      changed = new Set();
      for (const list of learnt) {
        for (const incompat of list) {
          add(incompat);
          for (const t of incompat.terms) changed.add(t.pkg);
        }
      }
      if (changed.size > 0) continue;
    }

    const pkg = pickPackage(pending, solution, source);
    const range = solution.termFor(pkg).range;
    const choice = source.choose(pkg, range);
    if ('none' in choice) {
      add(new Incompatibility([positiveTerm(pkg, range)], choice.none));
      changed = new Set([pkg]);
      continue;
    }
    const deps = await source.dependencies(pkg, choice.version);
    let conflicting = false;
    for (const incompat of deps) {
      add(incompat);
      // Deciding would satisfy this at once; let propagation find the conflict instead.
      conflicting ||= incompat.terms.every((t) => t.pkg === pkg || solution.satisfies(t));
    }
    if (!conflicting) {
      solution.decide(pkg, choice.version);
      stats.decisions++;
      emit({ type: 'decision', pkg, version: choice.version, level: solution.decisionLevel });
    }
    changed = new Set([pkg]);
  }
  return { decisions: solution.decisions(), stats };
}

/* Single versions first (nothing to choose), then the fewest candidates; ties keep first-required order. */
function pickPackage(pending: readonly string[], solution: PartialSolution, source: SolverSource): string {
  let best = pending[0] as string;
  let bestCount = Infinity;
  for (const pkg of pending) {
    const range = solution.termFor(pkg).range;
    const count = range.isSingleVersion ? 0 : source.countCandidates(pkg, range);
    if (count < bestCount) {
      best = pkg;
      bestCount = count;
      if (count === 0) break;
    }
  }
  return best;
}
