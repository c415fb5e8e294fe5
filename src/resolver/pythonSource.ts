import { PavedError } from '../errors.js';
import { evaluateMarker, type Marker, type MarkerEnvironment } from '../standards/markers.js';
import { normalizeName } from '../standards/names.js';
import { parseRequirement, type Requirement } from '../standards/requirement.js';
import { parseSpecifierSet, type SpecifierSet } from '../standards/specifier.js';
import { parseVersion, type Version } from '../standards/version.js';
import { VersionRange } from '../standards/versionRange.js';
import type { CachingProvider } from './cachingProvider.js';
import { ROOT_KEY, extraKey, splitKey } from './packageKey.js';
import { Incompatibility, dependencyIncompatibility, type ExcludedVersion } from './pubgrub/incompatibility.js';
import type { Choice, SolverSource } from './pubgrub/solver.js';
import type { CandidateVersion } from './provider.js';

/** When pre-releases (and dev releases) are candidates. */
export type PrereleasePolicy =
  /** Always. */
  | 'allow'
  /** Only for a package none of whose final releases fits. */
  | 'if-necessary'
  /** PEP 440's default: as 'if-necessary', and also when some requirement on the package names a pre-release. */
  | 'if-necessary-or-explicit'
  /** Never. */
  | 'disallow';

/**
 * What the resolution is for: one interpreter on one platform (markers evaluated), or a
 * set of environments at once (the universal lock: a line applies when its marker can
 * hold somewhere in the set).
 */
export interface ResolveTarget {
  /** Whether a requirement line with `marker` applies, read for the base package (`extra` null) or for one of its extras. */
  applies(marker: Marker | null, extra: string | null): boolean;
  /** Whether a release with this Requires-Python can be used. */
  pythonCompatible(requiresPython: SpecifierSet): boolean;
  /** The target's Python as explanations name it (`3.11.7`, `>=3.9`). */
  readonly pythonDescription: string;
}

/** The target of one interpreter: its marker environment and its full Python version. */
export function environmentTarget(environment: MarkerEnvironment, pythonVersion: string): ResolveTarget {
  const python = parseVersion(pythonVersion);
  return {
    applies(marker, extra) {
      if (marker === null) return extra === null;
      const base = evaluateMarker(marker, environment, { extras: [] });
      // An extra brings the lines its marker turns on; the rest already belong to the base package.
      return extra === null ? base : !base && evaluateMarker(marker, environment, { extras: [extra] });
    },
    pythonCompatible: (requiresPython) => requiresPython.contains(python, { prereleases: true }),
    pythonDescription: pythonVersion,
  };
}

/** Everything the Python layer needs to answer the solver's questions. */
export interface PythonSourceOptions {
  readonly roots: readonly string[];
  readonly constraints: readonly string[];
  readonly target: ResolveTarget;
  readonly prereleases: PrereleasePolicy;
  readonly preferred: ReadonlyMap<string, Version>;
  readonly upgrade: boolean | readonly string[];
}

/** A Python-aware {@link SolverSource}, plus what it learnt that the resolution reports. */
export interface PythonSource extends SolverSource {
  readonly rootVersion: Version;
  /** The normalised names `key` at `version` depends on (after markers), once fetched. */
  dependencyNames(key: string, version: Version): string[];
  /** The requirement lines of `key` at `version` that applied to the target (markers kept), once fetched. */
  appliedRequirements(key: string, version: Version): Requirement[];
  /** The requirement lines that applied for every version of `key` fetched so far (for explaining a failure). */
  requirementsRead(key: string): Requirement[];
}

interface Dependency {
  readonly key: string;
  range: VersionRange;
  /** The requirement texts that make up `range`, for explanations. */
  texts: Set<string>;
}

const ROOT_VERSION = parseVersion('0');
/** Projects (and extras) speculation may look at ahead of the solver in one resolution. */
const MAX_SPECULATED = 5000;

/**
 * Builds the solver's view of Python packages: markers evaluated for the
 * target, extras as virtual packages, Requires-Python, yanked releases and
 * the pre-release policy applied to candidates, constraints as
 * incompatibilities, and preferred (locked) versions tried first.
 * Parses roots and constraints at once, so bad input fails before any I/O.
 */
export function createPythonSource(provider: CachingProvider, options: PythonSourceOptions): PythonSource {
  const target = options.target;
  const explicitPrerelease = new Set<string>();
  const pythonCompatible = new Map<string, boolean>();
  const dependencyNames = new Map<string, string[]>();
  const applied = new Map<string, Requirement[]>();
  const appliedByKey = new Map<string, Requirement[]>();
  const noteApplied = (key: string, version: Version, requirements: Requirement[]): void => {
    applied.set(`${key}@${version.toString()}`, requirements);
    const read = appliedByKey.get(key);
    if (read === undefined) appliedByKey.set(key, [...requirements]);
    else read.push(...requirements);
  };
  const sharedDependents = new Map<string, VersionRange>();
  const upgradeAll = options.upgrade === true;
  const upgradeNames = new Set(Array.isArray(options.upgrade) ? options.upgrade.map(normalizeName) : []);
  const preferred = new Map([...options.preferred].map(([name, version]) => [normalizeName(name), version]));

  const noteRequirement = (req: Requirement): void => {
    if (req.specifier.allowsPrereleases) explicitPrerelease.add(normalizeName(req.name));
  };

  const rootRequirements: Requirement[] = [];
  for (const line of options.roots) {
    const req = parseRequirement(line);
    if (req.url !== null) throw urlRequirementError(line, 'requirement');
    if (req.marker !== null && !target.applies(req.marker, null)) continue;
    noteRequirement(req);
    rootRequirements.push(req);
  }

  const constraints = new Map<string, { range: VersionRange; text: string }[]>();
  for (const line of options.constraints) {
    const req = parseRequirement(line);
    if (req.url !== null) throw urlRequirementError(line, 'constraint');
    if (req.marker !== null && !target.applies(req.marker, null)) continue;
    noteRequirement(req);
    const name = normalizeName(req.name);
    const list = constraints.get(name) ?? [];
    list.push({ range: VersionRange.fromSpecifierSet(req.specifier), text: `${name}${req.specifier.toString()}` });
    constraints.set(name, list);
  }

  const isPythonCompatible = (requiresPython: string | null): boolean => {
    if (requiresPython === null || requiresPython.trim() === '') return true;
    let ok = pythonCompatible.get(requiresPython);
    if (ok === undefined) {
      try {
        ok = target.pythonCompatible(parseSpecifierSet(requiresPython));
      } catch {
        ok = true; // An unreadable Requires-Python is ignored, as installers do.
      }
      pythonCompatible.set(requiresPython, ok);
    }
    return ok;
  };

  const sortedVersions = new Map<string, Version[]>();
  /*
   * The versions that behave like `version`: it and the gaps up to its listed
   * neighbours, where no release exists. Stating facts over slots instead of
   * single versions spares the solver from visiting each empty gap and keeps
   * explanations to ranges such as a>=2.0.
   */
  const slot = (name: string, version: Version): VersionRange => {
    let sorted = sortedVersions.get(name);
    if (sorted === undefined) {
      sorted = (provider.knownVersions(name) ?? []).map((c) => c.version).sort((a, b) => a.compare(b));
      sortedVersions.set(name, sorted);
    }
    const at = sorted.findIndex((v) => v.equals(version));
    if (at === -1) return VersionRange.exactly(version);
    const previous = sorted[at - 1];
    const next = sorted[at + 1];
    const lower = previous === undefined ? VersionRange.full() : VersionRange.below(previous).union(VersionRange.exactly(previous)).complement();
    const upper = next === undefined ? VersionRange.full() : VersionRange.below(next);
    return lower.intersect(upper);
  };

  const knownVersions = (key: string): CandidateVersion[] => {
    if (key === ROOT_KEY) return [{ version: ROOT_VERSION, yanked: false, requiresPython: null }];
    return provider.knownVersions(splitKey(key).name) ?? [];
  };

  const candidates = (key: string, range: VersionRange): { usable: Version[]; excluded: ExcludedVersion[] } => {
    const name = splitKey(key).name;
    const usable: Version[] = [];
    const excluded: ExcludedVersion[] = [];
    for (const c of knownVersions(key)) {
      if (!range.contains(c.version)) continue;
      if (!isPythonCompatible(c.requiresPython)) {
        excluded.push({ version: c.version, reason: 'requires-python', detail: c.requiresPython ?? '' });
      } else if (c.yanked !== false && !range.isSubsetOf(VersionRange.exactly(c.version))) {
        // Only an exact pin may select a yanked release (PEP 592).
        excluded.push({ version: c.version, reason: 'yanked', ...(typeof c.yanked === 'string' && c.yanked !== '' ? { detail: c.yanked } : {}) });
      } else {
        usable.push(c.version);
      }
    }
    usable.sort((a, b) => b.compare(a));
    const policy = options.prereleases;
    const keepPrereleases =
      policy === 'allow' ||
      (policy === 'if-necessary-or-explicit' && explicitPrerelease.has(name)) ||
      (policy !== 'disallow' && !usable.some((v) => !v.isPrerelease));
    if (keepPrereleases) return { usable, excluded };
    for (const v of usable) if (v.isPrerelease) excluded.push({ version: v, reason: 'prerelease' });
    return { usable: usable.filter((v) => !v.isPrerelease), excluded };
  };

  /** Requirements that apply, grouped by package key, ranges intersected. */
  const collect = (owner: string, requirements: readonly Requirement[]): Dependency[] => {
    const byKey = new Map<string, Dependency>();
    const addDep = (key: string, range: VersionRange, text: string): void => {
      if (key === owner) return;
      const existing = byKey.get(key);
      if (existing === undefined) byKey.set(key, { key, range, texts: new Set([text]) });
      else {
        existing.range = existing.range.intersect(range);
        existing.texts.add(text);
      }
    };
    for (const req of requirements) {
      noteRequirement(req);
      const name = normalizeName(req.name);
      const range = VersionRange.fromSpecifierSet(req.specifier);
      const text = `${name}${req.specifier.toString()}`;
      addDep(name, range, text);
      for (const extra of req.extras) addDep(extraKey(name, extra), range, text);
    }
    return [...byKey.values()];
  };

  const toIncompatibilities = (key: string, version: Version, deps: readonly Dependency[]): Incompatibility[] => {
    // Two lines that no version meets together (a>=2 and a<2) make this release unusable; as a
    // dependency on an empty range, PubGrub would have nothing to blame.
    const impossible = deps.find((d) => d.range.isEmpty);
    if (impossible !== undefined) {
      const lines = [...impossible.texts].join(' and ');
      return unusable(key, version, `it requires ${lines}, which no version of ${splitKey(impossible.key).name} meets at once`);
    }
    dependencyNames.set(`${key}@${version.toString()}`, [...new Set(deps.map((d) => splitKey(d.key).name))].filter((n) => n !== splitKey(key).name));
    for (const dep of deps) {
      const { name, extra } = splitKey(dep.key);
      speculate(name, extra);
    }
    return deps.map((dep) => {
      // Releases that depend on the same thing share one incompatibility, so explanations read "a>=2 depends on b<1".
      const shareKey = `${key}|${dep.key}|${dep.range.toString()}`;
      const versions = key === ROOT_KEY ? VersionRange.full() : (sharedDependents.get(shareKey) ?? VersionRange.empty()).union(slot(splitKey(key).name, version));
      sharedDependents.set(shareKey, versions);
      return dependencyIncompatibility(key, versions, dep.key, dep.range);
    });
  };

  /** The release to try among `usable` (newest first): the preferred (locked or installed) one unless upgrading, else the newest. */
  const pick = (name: string, usable: readonly Version[]): Version | undefined => {
    const pin = upgradeAll || upgradeNames.has(name) ? undefined : preferred.get(name);
    return (pin !== undefined && usable.find((v) => v.equals(pin))) || usable[0];
  };

  // Requires-Dist lines repeat across releases and are read twice (speculation, then the solver): parsed once each.
  const parsedLines = new Map<string, Requirement | Error>();
  const parseLine = (line: string): Requirement => {
    let parsed = parsedLines.get(line);
    if (parsed === undefined) {
      try {
        parsed = parseRequirement(line);
      } catch (error) {
        parsed = error instanceof Error ? error : new Error(String(error));
      }
      parsedLines.set(line, parsed);
    }
    if (parsed instanceof Error) throw parsed;
    return parsed;
  };

  /*
   * Speculation: ahead of the solver, walk the closure it will most likely pick (each project's
   * preferred or newest usable release, then what that release requires, and so on), so version
   * lists and metadata arrive one dependency level per round trip. Left alone, the solver learns
   * of a project only when it decides on a release that needs it: one round trip per decision.
   * Only requests are started; the solver still decides everything from what arrives.
   */
  const speculated = new Set<string>();
  const speculate = (name: string, extra: string | null = null): void => {
    const key = extra === null ? name : extraKey(name, extra);
    if (speculated.has(key) || speculated.size >= MAX_SPECULATED) return;
    speculated.add(key);
    provider
      .listVersions(name)
      .then(async () => {
        const best = pick(name, candidates(name, VersionRange.full()).usable);
        if (best === undefined) return;
        provider.warmDependencies(name, [best]);
        for (const line of await provider.getDependencies(name, best)) {
          try {
            const req = parseLine(line);
            if (req.url !== null || !target.applies(req.marker, extra)) continue;
            speculateRequirement(req);
          } catch {
            // The solver meets this line itself and says what is wrong with it.
          }
        }
      })
      .catch(() => {});
  };
  const speculateRequirement = (req: Requirement): void => {
    const name = normalizeName(req.name);
    speculate(name);
    for (const extra of req.extras) speculate(name, extra);
  };
  for (const req of rootRequirements) speculateRequirement(req);

  const unusable = (key: string, version: Version, reason: string): Incompatibility[] => [
    new Incompatibility([{ pkg: key, positive: true, range: slot(splitKey(key).name, version) }], { kind: 'unusable', reason }),
  ];

  return {
    rootVersion: ROOT_VERSION,

    async prepare(key) {
      if (key === ROOT_KEY) return [];
      const { name, extra } = splitKey(key);
      const list = await provider.listVersions(name);
      speculate(name, extra);
      if (extra !== null) return [];
      const learnt: Incompatibility[] = [];
      const byRequiresPython = new Map<string, VersionRange>();
      for (const c of list) {
        if (c.requiresPython === null || isPythonCompatible(c.requiresPython)) continue;
        const spec = c.requiresPython.trim();
        byRequiresPython.set(spec, (byRequiresPython.get(spec) ?? VersionRange.empty()).union(slot(name, c.version)));
      }
      for (const [spec, range] of byRequiresPython) {
        learnt.push(
          new Incompatibility([{ pkg: name, positive: true, range }], { kind: 'requires-python', requiresPython: spec, pythonVersion: target.pythonDescription }),
        );
      }
      for (const constraint of constraints.get(name) ?? []) {
        learnt.push(
          new Incompatibility([{ pkg: name, positive: true, range: constraint.range.complement() }], { kind: 'constraint', constraint: constraint.text }),
        );
      }
      return learnt;
    },

    countCandidates(key, range) {
      return candidates(key, range).usable.length;
    },

    choose(key, range): Choice {
      const { usable, excluded } = candidates(key, range);
      if (usable.length === 0) return { none: { kind: 'no-versions', excluded } };
      return { version: pick(splitKey(key).name, usable) as Version };
    },

    async dependencies(key, version) {
      if (key === ROOT_KEY) {
        noteApplied(key, version, rootRequirements);
        return toIncompatibilities(key, version, collect(key, rootRequirements));
      }
      const { name, extra } = splitKey(key);
      const lines = await provider.getDependencies(name, version);
      const applying: Requirement[] = [];
      for (const line of lines) {
        let req: Requirement;
        let applies: boolean;
        try {
          req = parseLine(line);
          applies = target.applies(req.marker, extra);
        } catch (error) {
          if (extra !== null) continue;
          const problem = error instanceof Error ? error.message : String(error);
          return unusable(key, version, `its metadata has an invalid requirement ${JSON.stringify(line)} (${problem})`);
        }
        if (!applies) continue;
        if (req.url !== null) {
          return unusable(key, version, `it depends on ${req.name} by direct URL (${req.url}), which the resolver does not support yet`);
        }
        applying.push(req);
      }
      noteApplied(key, version, applying);
      const deps = collect(key, applying);
      if (extra !== null) deps.push({ key: name, range: VersionRange.exactly(version), texts: new Set([`${name}==${version.toString()}`]) });
      return toIncompatibilities(key, version, deps);
    },

    dependencyNames(key, version) {
      return dependencyNames.get(`${key}@${version.toString()}`) ?? [];
    },

    appliedRequirements(key, version) {
      return applied.get(`${key}@${version.toString()}`) ?? [];
    },

    requirementsRead(key) {
      return appliedByKey.get(key) ?? [];
    },
  };
}

function urlRequirementError(line: string, what: string): PavedError {
  return new PavedError('PAVED_E_URL_REQUIREMENT', `The ${what} ${JSON.stringify(line)} names a direct URL, which the resolver does not support yet.`, {
    hint: 'Require the project by name and version from an index instead, or install the file directly.',
  });
}
