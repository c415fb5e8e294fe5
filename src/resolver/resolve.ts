import { PavedError, isPavedError } from '../errors.js';
import { markerToString, type MarkerEnvironment } from '../standards/markers.js';
import { normalizeName } from '../standards/names.js';
import type { Version } from '../standards/version.js';
import type { VersionRange } from '../standards/versionRange.js';
import { createCachingProvider } from './cachingProvider.js';
import { ROOT_KEY, splitKey } from './packageKey.js';
import type { Incompatibility } from './pubgrub/incompatibility.js';
import { describeIncompatibility, renderDerivation, type ReportNames } from './pubgrub/report.js';
import { solve } from './pubgrub/solver.js';
import type { PackageProvider } from './provider.js';
import { createPythonSource, environmentTarget, type PrereleasePolicy, type ResolveTarget } from './pythonSource.js';
import type { Requirement } from '../standards/requirement.js';
import { simplifiedRangeText } from './rangeText.js';

export type { PrereleasePolicy, ResolveTarget } from './pythonSource.js';
export { environmentTarget } from './pythonSource.js';

/** What the resolver reports while it works; `--verbose` renders these. */
export type ResolverEvent =
  | { readonly type: 'decision'; readonly package: string; readonly version: Version }
  | { readonly type: 'conflict'; readonly message: string }
  | { readonly type: 'backtrack'; readonly toLevel: number; readonly learnt: string };

export interface ResolveOptions {
  /** The target platform and interpreter markers are evaluated for (unless `target` is given). */
  environment?: MarkerEnvironment;
  /** The target interpreter's full version (e.g. `3.11.7`), checked against Requires-Python (unless `target` is given). */
  pythonVersion?: string;
  /** A target other than one interpreter (the universal lock); replaces `environment` and `pythonVersion`. */
  target?: ResolveTarget;
  /** Versions to keep when they still fit (existing lock pins), by project name. */
  preferred?: ReadonlyMap<string, Version>;
  /** true: ignore every preferred version; a list: ignore them for these projects. */
  upgrade?: boolean | readonly string[];
  /** `-c` lines: limit versions of a project if it is needed, never add it. */
  constraints?: readonly string[];
  /** Default 'if-necessary-or-explicit' (PEP 440). */
  prereleases?: PrereleasePolicy;
  onEvent?: (event: ResolverEvent) => void;
}

/** One selected project. */
export interface ResolvedPackage {
  /** Normalised project name. */
  name: string;
  version: Version;
  /** Extras that something requested, normalised and sorted. */
  extras: string[];
  /** Normalised names of the projects this one depends on here (markers and extras applied), sorted. */
  dependencies: string[];
}

/**
 * `details` of the `PAVED_E_NO_SOLUTION` that `resolve` throws: what the explanation rests on,
 * so a caller (the universal lock) can tell whether splitting the target by platform could help.
 */
export interface NoSolutionDetails {
  /** Normalised names of the projects the explanation involves. */
  packages: string[];
  /** Markers (PEP 508 text, sorted) of the applied requirement lines between those projects, or from the root to them. */
  markers: string[];
}

/** The `NoSolutionDetails` of a `PAVED_E_NO_SOLUTION` from `resolve`, or null for another error. */
export function noSolutionDetails(error: unknown): NoSolutionDetails | null {
  if (!isPavedError(error, 'PAVED_E_NO_SOLUTION')) return null;
  const details = error.details;
  if (details === undefined || !Array.isArray(details['packages']) || !Array.isArray(details['markers'])) return null;
  return details as unknown as NoSolutionDetails;
}

/** Walks a failure's derivation: the package keys in it, and those whose releases were unusable. */
function derivationFacts(failure: Incompatibility): { keys: Set<string>; unusable: Set<string> } {
  const keys = new Set<string>();
  const unusable = new Set<string>();
  const seen = new Set<Incompatibility>();
  const stack = [failure];
  for (let incompat = stack.pop(); incompat !== undefined; incompat = stack.pop()) {
    if (seen.has(incompat)) continue;
    seen.add(incompat);
    for (const term of incompat.terms) keys.add(term.pkg);
    const cause = incompat.cause;
    if (cause.kind === 'derived') stack.push(cause.left, cause.right);
    else if (cause.kind === 'unusable') for (const term of incompat.terms) unusable.add(term.pkg);
  }
  return { keys, unusable };
}

export interface Resolution {
  /** By normalised name, in name order. */
  packages: Map<string, ResolvedPackage>;
  /**
   * The requirement lines that applied, by resolver key: the root (`ROOT_KEY`), a project, or a
   * project with one extra (`name[extra]`, whose lines are those the extra turns on). Markers kept.
   */
  requirements: Map<string, Requirement[]>;
  stats: { decisions: number; conflicts: number; backtracks: number; providerCalls: number };
}

/**
 * Finds one version of every project the root requirements need, for one
 * target environment, with PubGrub. Throws `PAVED_E_NO_SOLUTION` with a
 * readable derivation when none exists, `PAVED_E_URL_REQUIREMENT` for direct
 * URL roots or constraints, and whatever the provider throws.
 */
export async function resolve(roots: readonly string[], provider: PackageProvider, options: ResolveOptions): Promise<Resolution> {
  const cache = createCachingProvider(provider);
  let target = options.target;
  if (target === undefined) {
    if (options.environment === undefined || options.pythonVersion === undefined) {
      throw new PavedError('PAVED_E_INVALID_ARGUMENT', 'resolve needs a target: an environment and a Python version, or a target');
    }
    target = environmentTarget(options.environment, options.pythonVersion);
  }
  const source = createPythonSource(cache, {
    roots,
    constraints: options.constraints ?? [],
    target,
    prereleases: options.prereleases ?? 'if-necessary-or-explicit',
    preferred: options.preferred ?? new Map(),
    upgrade: options.upgrade ?? false,
  });
  const names: ReportNames = {
    root: ROOT_KEY,
    rangeText: (pkg: string, range: VersionRange, known: boolean) => {
      const { name } = splitKey(pkg);
      const text = known ? simplifiedRangeText(range, (cache.knownVersions(name) ?? []).map((c) => c.version)) : range.isFull ? '' : range.toString();
      const compact = text.replaceAll(', ', ',');
      return compact.includes(' || ') ? ` (${compact})` : compact;
    },
  };
  const emit = options.onEvent;
  const describe = (incompat: Incompatibility): string => describeIncompatibility(incompat, names);

  const { decisions, stats } = await solve(ROOT_KEY, source.rootVersion, source, {
    onEvent:
      emit === undefined
        ? undefined
        : (event) => {
            if (event.type === 'decision') {
              if (event.pkg !== ROOT_KEY) emit({ type: 'decision', package: event.pkg, version: event.version });
            } else if (event.type === 'conflict') {
              emit({ type: 'conflict', message: describe(event.incompatibility) });
            } else {
              emit({ type: 'backtrack', toLevel: event.toLevel, learnt: describe(event.learnt) });
            }
          },
    fail: (incompat) => {
      const facts = derivationFacts(incompat);
      const packages = new Set([...facts.keys].filter((k) => k !== ROOT_KEY).map((k) => splitKey(k).name));
      const markers = new Set<string>();
      for (const key of facts.keys) {
        for (const req of source.requirementsRead(key)) {
          // An unusable release (two of its lines no version meets at once) involves whatever its lines name.
          if (req.marker !== null && (facts.unusable.has(key) || packages.has(normalizeName(req.name)))) markers.add(markerToString(req.marker));
        }
      }
      const details: NoSolutionDetails = { packages: [...packages].sort(), markers: [...markers].sort() };
      return new PavedError('PAVED_E_NO_SOLUTION', renderDerivation(incompat, names), {
        hint: 'Loosen one of the requirements or constraints named above, or check that the index has the versions you expect.',
        details: { ...details },
      });
    },
  });

  const packages = new Map<string, ResolvedPackage>();
  const requirements = new Map<string, Requirement[]>();
  for (const [key, version] of decisions) requirements.set(key, source.appliedRequirements(key, version));
  const entries = [...decisions].filter(([key]) => key !== ROOT_KEY);
  for (const [key, version] of entries) {
    const { name, extra } = splitKey(key);
    if (extra !== null) continue;
    packages.set(name, { name, version, extras: [], dependencies: source.dependencyNames(key, version) });
  }
  for (const [key, version] of entries) {
    const { name, extra } = splitKey(key);
    const base = packages.get(name);
    if (extra === null || base === undefined) continue;
    base.extras.push(extra);
    base.dependencies.push(...source.dependencyNames(key, version));
  }
  const sorted = new Map([...packages].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  for (const pkg of sorted.values()) {
    pkg.extras.sort();
    pkg.dependencies = [...new Set(pkg.dependencies)].sort();
  }
  return { packages: sorted, requirements, stats: { ...stats, decisions: stats.decisions - 1, providerCalls: cache.calls } };
}
