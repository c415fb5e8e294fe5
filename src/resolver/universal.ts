/**
 * The universal resolution behind `paved lock`: one set of pins that serves every Python
 * version the project's Requires-Python admits and every platform (or those `environments`
 * names), with a marker on each package saying where it is needed.
 *
 * How: resolve once for the whole range, where a requirement line applies when its marker can
 * hold somewhere in the range and a release fits when its Requires-Python admits the range's
 * lowest Python (upper bounds are not held against it, as uv does, or nothing would support
 * "every future Python"). When that has no solution, the range forks, and a fork that still has
 * none forks again where it can:
 *
 * - by platform, when the requirement lines the failure rests on have markers on
 *   `sys_platform`, `platform_system` or `os_name` (or, when none of those, `platform_machine`):
 *   one fork per combination of those comparisons that a real platform can meet, within what
 *   `environments` admits. `lib>=2; sys_platform == "linux"` and `lib<2; sys_platform ==
 *   "win32"` give three forks: linux, win32, and every other platform;
 * - otherwise by Python: one fork per minor version.
 *
 * Platform goes first because it makes few forks; a platform fork is split per Python only when
 * it still has no solution, so Python × platform forks appear only where both are needed. A
 * fork resolves with its environment fixed: a line applies there only when its marker can hold
 * within the fork. Each package's marker is then the disjunction, over the forks that picked
 * that version and the paths that reach it there, of the markers along the path within the
 * fork, so forks that agree merge again when simplified (see `standards/markerAlgebra.ts`).
 * Without a fork nothing of this shows: the lock is the one resolution's.
 */
import { PavedError, isPavedError } from '../errors.js';
import { createMarkerAlgebra, DNF_FALSE, DNF_TRUE, lowestAdmittedPython, type Dnf, type MarkerAlgebra } from '../standards/markerAlgebra.js';
import { markerToString, parseMarker, type Marker, type MarkerExpression } from '../standards/markers.js';
import { normalizeName } from '../standards/names.js';
import { parseSpecifierSet, SpecifierSet } from '../standards/specifier.js';
import { parseVersion, type Version } from '../standards/version.js';
import { ROOT_KEY, extraKey, splitKey } from './packageKey.js';
import type { PackageProvider } from './provider.js';
import type { ResolveTarget } from './pythonSource.js';
import { noSolutionDetails, resolve, type PrereleasePolicy, type Resolution, type ResolverEvent } from './resolve.js';
import type { CandidateVersion } from './provider.js';

/** Options of `resolveUniversal`. */
export interface UniversalResolveOptions {
  /** The project's Requires-Python (required: it bounds the lock). */
  requiresPython: string;
  /** Markers of the environments the lock is for (`[tool.paved] environments`); null for all. */
  environments?: readonly string[] | null;
  /** Versions to keep when they still fit (existing lock pins), by project name. */
  preferred?: ReadonlyMap<string, Version>;
  /**
   * The previous lock's entries with their markers: each fork prefers, over `preferred`, the
   * version of the entry whose marker can hold there (the newest when several can), so the win32
   * fork keeps its older pin when a newer one sits in the linux fork.
   */
  preferredEntries?: readonly { name: string; version: Version; marker: string | null }[];
  upgrade?: boolean | readonly string[];
  constraints?: readonly string[];
  prereleases?: PrereleasePolicy;
  /** The newest Python minor version the forks name; the last fork is open-ended above it. Default `3.14`. */
  newestPython?: string;
  onEvent?: (event: UniversalEvent) => void;
}

/** Progress of a universal resolution. */
export type UniversalEvent =
  /**
   * The resolution for `within` had no solution (`reason`: the first line of why), so it is
   * resolved again as `forks`, split by Python minor version or by platform.
   */
  | { type: 'fork'; by: 'python' | 'platform'; within: string; forks: string[]; reason: string }
  | { type: 'resolver'; fork: string; event: ResolverEvent };

/** One package of the universal resolution. */
export interface UniversalPackage {
  name: string;
  version: Version;
  /** Where it is needed (PEP 508, may use `extras` and `dependency_groups`), or null: everywhere. */
  marker: string | null;
  /** Extras of it that something requested. */
  extras: string[];
  /** What it depends on, by name; `version` is set when the resolution holds several versions of that name. */
  dependencies: { name: string; version?: string }[];
}

/** What `resolveUniversal` found. */
export interface UniversalResolution {
  /** Sorted by name, then version. */
  packages: UniversalPackage[];
  /**
   * What was resolved separately, forks whose pins agree joined by ` | ` (one entry, the whole
   * range, when no fork was needed): a Python range (`>=3.9`, `3.9.*`), followed by `; ` and a
   * marker for a platform fork (`>=3.9; sys_platform == "linux"`).
   */
  forks: string[];
  stats: { resolutions: number; decisions: number; backtracks: number };
}

interface Fork {
  /** Lowest Python minor (`3.9`). */
  low: string;
  /** Highest minor, or null for open-ended. */
  high: string | null;
  /** The platforms it is for (a conjunction of platform comparisons), or null: every platform. */
  platform: Dnf | null;
  /** `platform` as PEP 508 text. */
  platformText: string | null;
  /** How many platform splits led to it. */
  depth: number;
}

/** Variables a platform fork splits on, in order of preference: a machine split only when the failure names no OS. */
const PLATFORM_VARIABLE_SETS: readonly ReadonlySet<string>[] = [new Set(['sys_platform', 'platform_system', 'os_name']), new Set(['platform_machine'])];
/** A platform split uses at most this many comparisons (the first, sorted): each can double the forks. */
const MAX_SPLIT_COMPARISONS = 6;
/** How deep platform forks may nest; a guard against metadata that names a new platform at every turn. */
const MAX_PLATFORM_DEPTH = 3;

function minorNumber(minor: string): number {
  return Number(minor.split('.')[1]);
}

function minorsBetween(low: string, high: string): string[] {
  const out: string[] = [];
  for (let m = minorNumber(low); m <= minorNumber(high); m++) out.push(`3.${m}`);
  return out;
}

function pythonText(fork: Fork): string {
  if (fork.high === null) return `>=${fork.low}`;
  if (fork.high === fork.low) return `${fork.low}.*`;
  return `>=${fork.low},<3.${minorNumber(fork.high) + 1}`;
}

function forkText(fork: Fork): string {
  return fork.platformText === null ? pythonText(fork) : `${pythonText(fork)}; ${fork.platformText}`;
}

/** The comparisons of `marker` on one of `variables`. */
function comparisonsOn(marker: Marker, variables: ReadonlySet<string>, out: MarkerExpression[] = []): MarkerExpression[] {
  if (marker.op !== 'compare') {
    comparisonsOn(marker.left, variables, out);
    comparisonsOn(marker.right, variables, out);
  } else if ((marker.left.kind === 'variable' && variables.has(marker.left.name)) || (marker.right.kind === 'variable' && variables.has(marker.right.name))) {
    out.push(marker);
  }
  return out;
}

/**
 * A provider that asks `provider` once per question for all forks together (each resolution
 * caches only its own answers), passing prefetch hints on.
 */
function sharedAnswers(provider: PackageProvider): PackageProvider {
  const versions = new Map<string, Promise<CandidateVersion[]>>();
  const dependencies = new Map<string, Promise<string[]>>();
  const shared: PackageProvider = {
    listVersions(name) {
      let pending = versions.get(name);
      if (pending === undefined) versions.set(name, (pending = provider.listVersions(name)));
      return pending;
    },
    getDependencies(name, version) {
      const key = `${name}@${version.toString()}`;
      let pending = dependencies.get(key);
      if (pending === undefined) dependencies.set(key, (pending = provider.getDependencies(name, version)));
      return pending;
    },
  };
  if (provider.prefetch !== undefined) {
    const prefetch = provider.prefetch.bind(provider);
    shared.prefetch = (name, list) => {
      const fresh = list.filter((v) => !dependencies.has(`${name}@${v.toString()}`));
      if (fresh.length > 0) prefetch(name, fresh);
    };
  }
  return shared;
}

/** The lowest `3.m.p` the project's Requires-Python admits within minor `minor` (`3.9`), or null. */
function lowestPointIn(minor: string, requiresPython: SpecifierSet): Version | null {
  return lowestAdmittedPython(minorNumber(minor), requiresPython);
}

/** The minors the Requires-Python admits, from 3.0 up to `newest`, plus whether it admits anything newer. */
function admittedMinors(requiresPython: SpecifierSet, newest: string): { minors: string[]; openEnded: boolean } {
  const minors: string[] = [];
  for (let m = 0; m <= minorNumber(newest); m++) if (lowestPointIn(`3.${m}`, requiresPython) !== null) minors.push(`3.${m}`);
  const openEnded = lowestPointIn(`3.${minorNumber(newest) + 1}`, requiresPython) !== null || lowestPointIn('3.40', requiresPython) !== null;
  return { minors, openEnded };
}

/** Whether the lower bounds of a release's Requires-Python admit `point` (its upper bounds are ignored). */
function lowerBoundsAdmit(requiresPython: SpecifierSet, point: Version): boolean {
  const lower = requiresPython.specifiers.filter((s) => s.operator !== '<' && s.operator !== '<=');
  return new SpecifierSet(lower).contains(point, { prereleases: true });
}

function mentionsExtra(marker: Marker): boolean {
  if (marker.op === 'compare') return (marker.left.kind === 'variable' && marker.left.name === 'extra') || (marker.right.kind === 'variable' && marker.right.name === 'extra');
  return mentionsExtra(marker.left) || mentionsExtra(marker.right);
}

function forkTarget(algebra: MarkerAlgebra, forkDnf: Dnf, point: Version, exactMinor: boolean, description: string): ResolveTarget {
  return {
    applies(marker, extra) {
      if (marker === null) return extra === null;
      if (extra !== null && !mentionsExtra(marker)) return false;
      return algebra.possible(algebra.and(forkDnf, algebra.fromMarker(marker, extra)));
    },
    pythonCompatible: (requiresPython) => (exactMinor ? requiresPython.contains(point, { prereleases: true }) : lowerBoundsAdmit(requiresPython, point)),
    pythonDescription: description,
  };
}

/** Each resolver key's marker (as DNF): the union over the requirement paths that reach it. */
function keyMarkers(algebra: MarkerAlgebra, resolution: Resolution): Map<string, Dnf> {
  const markers = new Map<string, Dnf>([[ROOT_KEY, DNF_TRUE]]);
  const keyText = (d: Dnf): string => JSON.stringify(d);
  for (let round = 0; round < 200; round++) {
    let changed = false;
    for (const [key, requirements] of resolution.requirements) {
      const own = markers.get(key);
      if (own === undefined || own.length === 0) continue;
      const extra = splitKey(key).extra;
      const targets: [string, Dnf][] = [];
      for (const req of requirements) {
        const edge = algebra.and(own, algebra.fromMarker(req.marker, extra));
        const name = normalizeName(req.name);
        targets.push([name, edge]);
        for (const e of req.extras) targets.push([extraKey(name, e), edge]);
      }
      // `name[extra]` needs `name` itself wherever it is needed.
      if (extra !== null) targets.push([splitKey(key).name, own]);
      for (const [target, edge] of targets) {
        if (!resolution.requirements.has(target)) continue;
        const before = markers.get(target) ?? DNF_FALSE;
        const after = algebra.or(before, edge);
        if (keyText(after) !== keyText(before)) {
          markers.set(target, after);
          changed = true;
        }
      }
    }
    if (!changed) return markers;
  }
  throw new PavedError('PAVED_E_NO_SOLUTION', 'the markers of the resolution did not settle; this is a bug in paved', { hint: 'Report it with the pyproject.toml that caused it.' });
}

/**
 * Resolves `roots` (PEP 508 lines; markers may use `"x" in extras` and `"g" in
 * dependency_groups`) for every environment the options admit, forking by platform and by
 * Python version where one set of pins cannot serve them all. Throws `PAVED_E_NO_SOLUTION`
 * naming the fork (Python version, platform) that has none, and whatever the provider throws.
 */
export async function resolveUniversal(roots: readonly string[], provider: PackageProvider, options: UniversalResolveOptions): Promise<UniversalResolution> {
  const requiresPython = parseSpecifierSet(options.requiresPython);
  const environments = options.environments ?? null;
  const algebra = createMarkerAlgebra({ requiresPython, environments: environments === null ? null : environments.map((m) => parseMarker(m)) });
  const newest = options.newestPython ?? '3.14';
  const { minors, openEnded } = admittedMinors(requiresPython, newest);
  if (minors.length === 0 && !openEnded) {
    throw new PavedError('PAVED_E_INVALID_PYPROJECT', `requires-python ${JSON.stringify(options.requiresPython)} admits no Python 3 version`, {
      hint: 'Write a range such as ">=3.10".',
    });
  }
  const low = minors[0] ?? `3.${minorNumber(newest) + 1}`;
  const high = openEnded ? null : (minors[minors.length - 1] as string);
  const emit = options.onEvent ?? ((): void => {});
  const stats = { resolutions: 0, decisions: 0, backtracks: 0 };
  const answers = sharedAnswers(provider);

  const wholePython = (fork: Fork): boolean => fork.low === low && fork.high === high;
  const pythonDnf = (fork: Fork): Dnf => (wholePython(fork) ? DNF_TRUE : algebra.pythonMinorRange(fork.low, fork.high));
  const forkDnf = (fork: Fork): Dnf => (fork.platform === null ? pythonDnf(fork) : algebra.and(pythonDnf(fork), fork.platform));
  const preferredIn = (fork: Fork): ReadonlyMap<string, Version> | undefined => {
    const entries = options.preferredEntries ?? [];
    if (entries.length === 0) return options.preferred;
    const preferred = new Map(options.preferred ?? []);
    const fromEntries = new Map<string, Version>();
    const within = forkDnf(fork);
    for (const entry of entries) {
      let applies = true;
      try {
        applies = entry.marker === null || algebra.possible(algebra.and(within, algebra.fromMarker(parseMarker(entry.marker))));
      } catch {
        // An unreadable marker of an old lock does not narrow the preference.
      }
      const name = normalizeName(entry.name);
      const have = fromEntries.get(name);
      if (applies && (have === undefined || entry.version.compare(have) > 0)) fromEntries.set(name, entry.version);
    }
    for (const [name, version] of fromEntries) preferred.set(name, version);
    return preferred;
  };
  const solveFork = async (fork: Fork): Promise<Resolution> => {
    const preferred = preferredIn(fork);
    const point = lowestPointIn(fork.low, requiresPython) ?? parseVersion(`${fork.low}.0`);
    const text = forkText(fork);
    const target = forkTarget(algebra, forkDnf(fork), point, fork.high === fork.low, wholePython(fork) ? options.requiresPython : pythonText(fork));
    stats.resolutions++;
    const resolution = await resolve(roots, answers, {
      target,
      ...(preferred === undefined ? {} : { preferred }),
      ...(options.upgrade === undefined ? {} : { upgrade: options.upgrade }),
      ...(options.constraints === undefined ? {} : { constraints: options.constraints }),
      ...(options.prereleases === undefined ? {} : { prereleases: options.prereleases }),
      onEvent: (event) => emit({ type: 'resolver', fork: text, event }),
    });
    stats.decisions += resolution.stats.decisions;
    stats.backtracks += resolution.stats.backtracks;
    return resolution;
  };

  /** One fork per Python minor (the last open-ended when the range is), for a fork over the whole range; else none. */
  const pythonForks = (fork: Fork): Fork[] => {
    if (!wholePython(fork)) return [];
    const forks: Fork[] = [];
    const lastSingle = high ?? newest;
    const within = { platform: fork.platform, platformText: fork.platformText, depth: fork.depth };
    for (const minor of minorsBetween(low, lastSingle)) if (minors.includes(minor)) forks.push({ low: minor, high: minor, ...within });
    if (high === null) forks.push({ low: `3.${minorNumber(newest) + 1}`, high: null, ...within });
    return forks.length > 1 ? forks : [];
  };

  /**
   * The platform forks of `fork` that the failure's markers call for: every combination of their
   * platform comparisons (each holding or not) that some environment of the fork can meet. None
   * when the comparisons do not divide the fork.
   */
  const platformForks = (fork: Fork, markers: readonly Marker[]): Fork[] => {
    if (fork.depth >= MAX_PLATFORM_DEPTH) return [];
    const within = pythonDnf(fork);
    for (const variables of PLATFORM_VARIABLE_SETS) {
      const comparisons = new Map<string, MarkerExpression>();
      for (const marker of markers) for (const c of comparisonsOn(marker, variables)) comparisons.set(markerToString(c), c);
      let cells: Dnf[] = [fork.platform ?? DNF_TRUE];
      for (const text of [...comparisons.keys()].sort().slice(0, MAX_SPLIT_COMPARISONS)) {
        const holds = algebra.fromMarker(comparisons.get(text) as MarkerExpression);
        const fails = algebra.not(holds);
        if (fails === null) continue;
        const next: Dnf[] = [];
        for (const cell of cells) {
          for (const side of [holds, fails]) {
            const narrowed = algebra.and(cell, side);
            if (algebra.possible(algebra.and(within, narrowed))) next.push(narrowed);
          }
        }
        cells = next;
      }
      if (cells.length <= 1) continue;
      return cells.map((cell) => {
        const platform = algebra.simplify(cell);
        return { low: fork.low, high: fork.high, platform, platformText: algebra.toMarkerText(platform), depth: fork.depth + 1 };
      });
    }
    return [];
  };

  interface Failed {
    fork: Fork;
    error: PavedError;
    /** The fork that was split to make this one, and how, or null for the whole range. */
    parent: { failed: Failed; by: 'python' | 'platform' } | null;
  }
  /** The error a fork with no solution (and no split that could help) ends the lock with. */
  const failure = ({ fork, error, parent }: Failed): PavedError => {
    if (wholePython(fork) && fork.platform === null) return error;
    // A Python fork failing for the reason its parent did: Python versions are not what stands in the way.
    if (parent !== null && parent.by === 'python' && error.message === parent.failed.error.message) return failure(parent.failed);
    const where = [wholePython(fork) ? null : `for Python ${pythonText(fork)}`, fork.platformText === null ? null : `where ${fork.platformText}`].filter((p) => p !== null).join(' ');
    const leaveOut = [
      fork.platform === null ? null : 'Leave that platform out with [tool.paved] environments in pyproject.toml',
      wholePython(fork) ? null : `${fork.platform === null ? 'Raise' : 'raise'} requires-python in pyproject.toml to leave that Python out`,
    ].filter((p) => p !== null);
    return new PavedError('PAVED_E_NO_SOLUTION', `No solution ${where} (requires-python is ${options.requiresPython}):\n${error.message}`, {
      hint: `${leaveOut.join(', ')}, or loosen the requirements named above.`,
      ...(error.details === undefined ? {} : { details: error.details }),
      cause: error,
    });
  };

  /** Resolves `fork`, splitting it (by platform first, else by Python) for as long as that can help. */
  const solveRegion = async (fork: Fork, parent: Failed['parent']): Promise<{ fork: Fork; resolution: Resolution }[]> => {
    let failed: Failed;
    try {
      return [{ fork, resolution: await solveFork(fork) }];
    } catch (error) {
      if (!isPavedError(error, 'PAVED_E_NO_SOLUTION')) throw error;
      failed = { fork, error, parent };
    }
    const markers = (noSolutionDetails(failed.error)?.markers ?? []).map((m) => parseMarker(m));
    let by: 'platform' | 'python' = 'platform';
    let forks = platformForks(fork, markers);
    if (forks.length === 0) {
      by = 'python';
      forks = pythonForks(fork);
    }
    if (forks.length === 0) throw failure(failed);
    emit({ type: 'fork', by, within: forkText(fork), forks: forks.map(forkText), reason: failed.error.message.split('\n')[0] ?? '' });
    const solved: { fork: Fork; resolution: Resolution }[] = [];
    for (const child of forks) solved.push(...(await solveRegion(child, { failed, by })));
    return solved;
  };

  const solved = await solveRegion({ low, high, platform: null, platformText: null, depth: 0 }, null);
  const platformForked = solved.some((s) => s.fork.platform !== null);

  // For the report: forks whose pins agree on every project both have are one group.
  const groups: { versions: Map<string, string>; forks: Fork[] }[] = [];
  for (const { fork, resolution } of solved) {
    const versions = new Map([...resolution.packages.values()].map((p) => [p.name, p.version.toString()]));
    const group = groups.find((g) => [...versions].every(([name, v]) => (g.versions.get(name) ?? v) === v));
    if (group === undefined) groups.push({ versions, forks: [fork] });
    else {
      for (const [name, v] of versions) group.versions.set(name, v);
      group.forks.push(fork);
    }
  }

  interface Entry {
    name: string;
    version: Version;
    marker: Dnf;
    extras: Set<string>;
    dependencies: Set<string>;
  }
  const entries = new Map<string, Entry>();
  for (const { fork, resolution } of solved) {
    // A fork's markers hold within its own Python range and platforms; the simplifier joins them again.
    const markers = keyMarkers(algebra, resolution);
    for (const pkg of resolution.packages.values()) {
      const id = `${pkg.name}@${pkg.version.toString()}`;
      const marker = algebra.and(forkDnf(fork), markers.get(pkg.name) ?? DNF_FALSE);
      const entry = entries.get(id) ?? { name: pkg.name, version: pkg.version, marker: DNF_FALSE, extras: new Set<string>(), dependencies: new Set<string>() };
      entry.marker = algebra.or(entry.marker, marker);
      for (const e of pkg.extras) entry.extras.add(e);
      for (const d of pkg.dependencies) entry.dependencies.add(d);
      entries.set(id, entry);
    }
  }

  const versionsByName = new Map<string, Set<string>>();
  for (const e of entries.values()) versionsByName.set(e.name, (versionsByName.get(e.name) ?? new Set()).add(e.version.toString()));
  const packages: UniversalPackage[] = [];
  for (const entry of entries.values()) {
    // Platform forks leave pieces such as `linux or (not linux and not win32)`, which only the
    // slower minimisation reads back as `not win32`; without them `simplify` keeps the old output.
    const simplified = platformForked ? algebra.minimize(entry.marker) : algebra.simplify(entry.marker);
    if (simplified.length === 0) continue;
    const dependencies = [...entry.dependencies].sort().flatMap((name) => {
      const versions = versionsByName.get(name);
      if (versions === undefined) return [];
      if (versions.size === 1) return [{ name }];
      // Several entries of that name: point at each one (their markers tell which applies).
      return [...versions].sort().map((version) => ({ name, version }));
    });
    packages.push({ name: entry.name, version: entry.version, marker: algebra.toMarkerText(simplified), extras: [...entry.extras].sort(), dependencies });
  }
  packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version.compare(b.version)));
  const forks = groups.map((g) => {
    const runs: Fork[] = [];
    for (const fork of g.forks) {
      const last = runs[runs.length - 1];
      if (last !== undefined && last.high !== null && last.platformText === fork.platformText && minorNumber(fork.low) === minorNumber(last.high) + 1) last.high = fork.high;
      else runs.push({ ...fork });
    }
    return runs.map(forkText).join(' | ');
  });
  return { packages, forks, stats };
}
