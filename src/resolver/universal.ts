/**
 * The universal resolution behind `paved lock`: one set of pins that serves every Python
 * version the project's Requires-Python admits and every platform (or those `environments`
 * names), with a marker on each package saying where it is needed.
 *
 * How: resolve once for the whole range, where a requirement line applies when its marker can
 * hold somewhere in the range and a release fits when its Requires-Python admits the range's
 * lowest Python (upper bounds are not held against it, as uv does, or nothing would support
 * "every future Python"). When that has no solution, the range is forked into one resolution
 * per Python minor version, and forks that agree are merged again. Each package's marker is
 * then the disjunction, over the paths that reach it, of the markers along the path, within
 * its fork's Python range; see `standards/markerAlgebra.ts` for how those are simplified.
 */
import { PavedError, isPavedError } from '../errors.js';
import { createMarkerAlgebra, DNF_FALSE, DNF_TRUE, lowestAdmittedPython, type Dnf, type MarkerAlgebra } from '../standards/markerAlgebra.js';
import { parseMarker, type Marker } from '../standards/markers.js';
import { normalizeName } from '../standards/names.js';
import { parseSpecifierSet, SpecifierSet } from '../standards/specifier.js';
import { parseVersion, type Version } from '../standards/version.js';
import { ROOT_KEY, extraKey, splitKey } from './packageKey.js';
import type { PackageProvider } from './provider.js';
import type { ResolveTarget } from './pythonSource.js';
import { resolve, type PrereleasePolicy, type Resolution, type ResolverEvent } from './resolve.js';

/** Options of `resolveUniversal`. */
export interface UniversalResolveOptions {
  /** The project's Requires-Python (required: it bounds the lock). */
  requiresPython: string;
  /** Markers of the environments the lock is for (`[tool.paved] environments`); null for all. */
  environments?: readonly string[] | null;
  preferred?: ReadonlyMap<string, Version>;
  upgrade?: boolean | readonly string[];
  constraints?: readonly string[];
  prereleases?: PrereleasePolicy;
  /** The newest Python minor version the forks name; the last fork is open-ended above it. Default `3.14`. */
  newestPython?: string;
  onEvent?: (event: UniversalEvent) => void;
}

/** Progress of a universal resolution. */
export type UniversalEvent =
  | { type: 'fork'; python: string; reason: string }
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
  /** The Python ranges resolved separately (one entry, the whole range, when no fork was needed). */
  forks: string[];
  stats: { resolutions: number; decisions: number; backtracks: number };
}

interface Fork {
  /** Lowest Python minor (`3.9`). */
  low: string;
  /** Highest minor, or null for open-ended. */
  high: string | null;
}

function minorNumber(minor: string): number {
  return Number(minor.split('.')[1]);
}

function minorsBetween(low: string, high: string): string[] {
  const out: string[] = [];
  for (let m = minorNumber(low); m <= minorNumber(high); m++) out.push(`3.${m}`);
  return out;
}

function forkText(fork: Fork): string {
  if (fork.high === null) return `>=${fork.low}`;
  if (fork.high === fork.low) return `${fork.low}.*`;
  return `>=${fork.low},<3.${minorNumber(fork.high) + 1}`;
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
 * dependency_groups`) for every environment the options admit. Throws `PAVED_E_NO_SOLUTION`
 * naming the Python version that has none, and whatever the provider throws.
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

  const forkDnf = (fork: Fork): Dnf => (fork.low === low && fork.high === high ? DNF_TRUE : algebra.pythonMinorRange(fork.low, fork.high));
  const solveFork = async (fork: Fork): Promise<Resolution> => {
    const point = lowestPointIn(fork.low, requiresPython) ?? parseVersion(`${fork.low}.0`);
    const text = forkText(fork);
    const target = forkTarget(algebra, forkDnf(fork), point, fork.high === fork.low, fork.low === low && fork.high === high ? options.requiresPython : text);
    stats.resolutions++;
    const resolution = await resolve(roots, provider, {
      target,
      ...(options.preferred === undefined ? {} : { preferred: options.preferred }),
      ...(options.upgrade === undefined ? {} : { upgrade: options.upgrade }),
      ...(options.constraints === undefined ? {} : { constraints: options.constraints }),
      ...(options.prereleases === undefined ? {} : { prereleases: options.prereleases }),
      onEvent: (event) => emit({ type: 'resolver', fork: text, event }),
    });
    stats.decisions += resolution.stats.decisions;
    stats.backtracks += resolution.stats.backtracks;
    return resolution;
  };

  const whole: Fork = { low, high };
  let solved: { fork: Fork; resolution: Resolution }[];
  try {
    solved = [{ fork: whole, resolution: await solveFork(whole) }];
  } catch (error) {
    if (!isPavedError(error, 'PAVED_E_NO_SOLUTION') || (whole.high !== null && whole.high === whole.low)) throw error;
    // One set of pins cannot serve every Python of the range: try each minor on its own.
    const forks: Fork[] = [];
    const lastSingle = high ?? newest;
    for (const minor of minorsBetween(low, lastSingle)) if (minors.includes(minor)) forks.push({ low: minor, high: minor });
    if (high === null) forks.push({ low: `3.${minorNumber(newest) + 1}`, high: null });
    emit({ type: 'fork', python: forks.map(forkText).join(' | '), reason: error.message.split('\n')[0] ?? '' });
    solved = [];
    for (const fork of forks) {
      try {
        solved.push({ fork, resolution: await solveFork(fork) });
      } catch (forkError) {
        if (!isPavedError(forkError, 'PAVED_E_NO_SOLUTION')) throw forkError;
        // The same reason as for the whole range: Python versions are not what stands in the way.
        if (forkError.message === error.message) throw error;
        throw new PavedError('PAVED_E_NO_SOLUTION', `No solution for Python ${forkText(fork)} (requires-python is ${options.requiresPython}):\n${forkError.message}`, {
          hint: 'Raise requires-python in pyproject.toml to leave that Python out, or loosen the requirements named above.',
          cause: forkError,
        });
      }
    }
  }

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
    {
      // A fork's markers hold within its own Python range; the simplifier joins the ranges again.
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
  }

  const versionsByName = new Map<string, Set<string>>();
  for (const e of entries.values()) versionsByName.set(e.name, (versionsByName.get(e.name) ?? new Set()).add(e.version.toString()));
  const packages: UniversalPackage[] = [];
  for (const entry of entries.values()) {
    const simplified = algebra.simplify(entry.marker);
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
      if (last !== undefined && last.high !== null && minorNumber(fork.low) === minorNumber(last.high) + 1) last.high = fork.high;
      else runs.push({ ...fork });
    }
    return runs.map(forkText).join(' | ');
  });
  return { packages, forks, stats };
}
