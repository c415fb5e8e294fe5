/**
 * paved's own `pip check`: does what is installed in an environment meet every installed
 * distribution's requirements? Each `Requires-Dist` is evaluated with the environment
 * interpreter's marker environment; one that applies must name an installed distribution whose
 * version its specifier admits (pre-releases included, as pip checks). A requirement that names
 * extras (`b[socks]`) asks for those extras' requirements of `b` too, and so do the extras a caller
 * knows were requested (`paved install 'b[socks]'`); pip checks neither, which is the one place
 * paved can find a problem pip does not.
 */
import { evaluateMarker, type MarkerEnvironment } from '../standards/markers.js';
import { normalizeExtra, normalizeName } from '../standards/names.js';
import { parseRequirement, type Requirement } from '../standards/requirement.js';
import { readInstalledDistributions } from './readInstalledDistributions.js';

/** One requirement of an installed distribution that what is installed does not meet. */
export type EnvironmentProblem = {
  /** The distribution whose requirement is not met, as its metadata names it. */
  name: string;
  version: string;
  /** The requirement, without its marker (`c>=2`, `d[x]`). */
  requirement: string;
  /** The normalised name of what it requires. */
  dependency: string;
  /** Set when the requirement applies only because this extra of `name` was requested. */
  extra?: string;
} & ({ kind: 'missing' } | { kind: 'wrong-version'; /** The installed version(s) of `dependency`. */ installed: string });

/** An installed distribution as the check needs it. */
export interface DistributionRequirements {
  name: string;
  version: string;
  requiresDist: readonly string[];
}

/** What `findEnvironmentProblems` found. */
export interface EnvironmentProblems {
  problems: EnvironmentProblem[];
  /** Requirements or markers that could not be read (they are skipped, as pip skips them). */
  warnings: string[];
}

/** Options for `findEnvironmentProblems`. */
export interface FindEnvironmentProblemsOptions {
  /** Extras known to have been requested, by project name (any spelling). */
  extras?: ReadonlyMap<string, readonly string[]>;
}

interface ParsedDistribution {
  name: string;
  version: string;
  requirements: { requirement: Requirement; text: string }[];
}

/** The requirement as pip shows it: name, extras and specifier or URL, no marker. */
function shownRequirement(r: Requirement): string {
  const extras = r.extras.length > 0 ? `[${r.extras.join(',')}]` : '';
  if (r.url !== null) return `${r.name}${extras} @ ${r.url}`;
  return `${r.name}${extras}${r.specifier.toString()}`;
}

/**
 * Checks `distributions` against each other for the interpreter whose markers are `environment`
 * (pure: the caller reads the environment). Problems are sorted by distribution, then dependency.
 */
export function findEnvironmentProblems(distributions: readonly DistributionRequirements[], environment: MarkerEnvironment, options: FindEnvironmentProblemsOptions = {}): EnvironmentProblems {
  const warnings: string[] = [];
  const parsed: ParsedDistribution[] = distributions.map((d) => ({
    name: d.name,
    version: d.version,
    requirements: d.requiresDist.flatMap((text) => {
      try {
        return [{ requirement: parseRequirement(text), text }];
      } catch (error) {
        warnings.push(`${d.name} ${d.version}: ignoring the requirement ${JSON.stringify(text.slice(0, 200))}: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
        return [];
      }
    }),
  }));
  const installed = new Map<string, ParsedDistribution[]>();
  for (const d of parsed) installed.set(normalizeName(d.name), [...(installed.get(normalizeName(d.name)) ?? []), d]);

  const requested = new Map<string, Set<string>>();
  for (const [name, extras] of options.extras ?? []) {
    const key = normalizeName(name);
    if (installed.has(key)) requested.set(key, new Set([...(requested.get(key) ?? []), ...extras.map(normalizeExtra)]));
  }

  const warned = new Set<string>();
  /** Under which extra a requirement applies: '' without any, null when it does not apply. */
  const appliesUnder = (d: ParsedDistribution, entry: ParsedDistribution['requirements'][number]): string | null => {
    const marker = entry.requirement.marker;
    if (marker === null) return '';
    try {
      if (evaluateMarker(marker, environment)) return '';
      for (const extra of requested.get(normalizeName(d.name)) ?? []) if (evaluateMarker(marker, environment, { extras: [extra] })) return extra;
    } catch (error) {
      const key = `${d.name}\0${entry.text}`;
      if (!warned.has(key)) {
        warned.add(key);
        warnings.push(`${d.name} ${d.version}: ignoring the requirement ${JSON.stringify(entry.text.slice(0, 200))}: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
      }
    }
    return null;
  };

  // The extras asked of each distribution, by the caller and by the requirements that apply,
  // until nothing new is asked (each round only adds, and there are finitely many names).
  const queue = [...installed.keys()];
  while (queue.length > 0) {
    const key = queue.pop() as string;
    for (const d of installed.get(key) ?? []) {
      for (const entry of d.requirements) {
        if (entry.requirement.extras.length === 0 || appliesUnder(d, entry) === null) continue;
        const target = normalizeName(entry.requirement.name);
        if (!installed.has(target)) continue;
        const set = requested.get(target) ?? new Set<string>();
        const before = set.size;
        for (const extra of entry.requirement.extras) set.add(normalizeExtra(extra));
        requested.set(target, set);
        if (set.size > before) queue.push(target);
      }
    }
  }

  const problems: EnvironmentProblem[] = [];
  for (const d of parsed) {
    const seen = new Set<string>();
    for (const entry of d.requirements) {
      const under = appliesUnder(d, entry);
      if (under === null) continue;
      const r = entry.requirement;
      const dependency = normalizeName(r.name);
      const requirement = shownRequirement(r);
      if (seen.has(requirement)) continue;
      seen.add(requirement);
      const base = { name: d.name, version: d.version, requirement, dependency, ...(under === '' ? {} : { extra: under }) };
      const candidates = installed.get(dependency);
      if (candidates === undefined) {
        problems.push({ ...base, kind: 'missing' });
        continue;
      }
      // A URL requirement, or one without a specifier, is met by any installed version.
      if (r.specifier.isEmpty) continue;
      if (candidates.some((c) => r.specifier.contains(c.version, { prereleases: true }))) continue;
      problems.push({ ...base, kind: 'wrong-version', installed: candidates.map((c) => c.version).join(', ') });
    }
  }
  const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  problems.sort((a, b) => order(normalizeName(a.name), normalizeName(b.name)) || order(a.dependency, b.dependency) || order(a.requirement, b.requirement));
  return { problems, warnings };
}

/** Options for `checkEnvironment`. */
export interface CheckEnvironmentOptions {
  /** The environment's root (the directory with `pyvenv.cfg`). */
  root: string;
  /** The marker environment of the environment's own interpreter (`openVenv(root).interpreter.markerEnvironment`). */
  markerEnvironment: MarkerEnvironment;
  /** Extras known to have been requested, by project name. */
  extras?: ReadonlyMap<string, readonly string[]>;
}

/** What `checkEnvironment` found. */
export interface EnvironmentCheck {
  root: string;
  /** How many installed distributions were checked. */
  checked: number;
  problems: EnvironmentProblem[];
  /** Metadata, requirements or markers that could not be read. */
  warnings: string[];
}

/**
 * Reads what is installed at `root` and checks every distribution's requirements against it
 * (see `findEnvironmentProblems`). Throws `PAVED_E_NOT_FOUND` when `root` has no site-packages.
 */
export async function checkEnvironment(options: CheckEnvironmentOptions): Promise<EnvironmentCheck> {
  const read = await readInstalledDistributions(options.root);
  const found = findEnvironmentProblems(read.distributions, options.markerEnvironment, options.extras === undefined ? {} : { extras: options.extras });
  return {
    root: options.root,
    checked: read.distributions.length,
    problems: found.problems,
    warnings: [...read.warnings.map((w) => w.message), ...found.warnings],
  };
}

/** A problem as one line, in pip check's words. */
export function describeEnvironmentProblem(p: EnvironmentProblem): string {
  const who = `${p.name} ${p.version}${p.extra === undefined ? '' : ` (extra ${p.extra})`}`;
  return p.kind === 'missing' ? `${who} requires ${p.requirement}, which is not installed` : `${who} has requirement ${p.requirement}, but you have ${p.dependency} ${p.installed}`;
}
