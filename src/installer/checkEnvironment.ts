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

/** An environment's distributions and its interpreter's markers, as an installer that just changed it knows them. */
export interface KnownEnvironment {
  distributions: readonly DistributionRequirements[];
  markerEnvironment: MarkerEnvironment;
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

/** One Requires-Dist line, parsed only when it may apply. */
interface RequirementEntry {
  text: string;
  /** For a line whose whole marker is `extra == "name"` (most lines with markers): that extra, normalised. */
  onlyForExtra: string | null;
  /** undefined until parsed; null when it does not parse. */
  parsed?: Requirement | null;
}

interface InstalledEntry {
  name: string;
  key: string;
  version: string;
  requirements: RequirementEntry[];
}

/** `…; extra == "name"` (either quote) and nothing else in the marker. */
const EXTRA_ONLY_MARKER = /;\s*extra\s*==\s*(?:"([^"]*)"|'([^']*)')\s*$/;

/** The requirement as pip shows it: name, extras and specifier or URL, no marker. */
function shownRequirement(r: Requirement): string {
  const extras = r.extras.length > 0 ? `[${r.extras.join(',')}]` : '';
  if (r.url !== null) return `${r.name}${extras} @ ${r.url}`;
  return `${r.name}${extras}${r.specifier.toString()}`;
}

const firstLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

/**
 * Checks `distributions` against each other for the interpreter whose markers are `environment`
 * (pure: the caller reads the environment). Problems are sorted by distribution, then dependency.
 */
export function findEnvironmentProblems(distributions: readonly DistributionRequirements[], environment: MarkerEnvironment, options: FindEnvironmentProblemsOptions = {}): EnvironmentProblems {
  const warnings: string[] = [];
  const entries: InstalledEntry[] = distributions.map((d) => ({
    name: d.name,
    key: normalizeName(d.name),
    version: d.version,
    requirements: d.requiresDist.map((text) => {
      const extra = EXTRA_ONLY_MARKER.exec(text);
      return { text, onlyForExtra: extra === null ? null : normalizeExtra(extra[1] ?? extra[2] ?? '') };
    }),
  }));
  const installed = new Map<string, InstalledEntry[]>();
  for (const d of entries) installed.set(d.key, [...(installed.get(d.key) ?? []), d]);

  const requested = new Map<string, Set<string>>();
  for (const [name, extras] of options.extras ?? []) {
    const key = normalizeName(name);
    if (installed.has(key)) requested.set(key, new Set([...(requested.get(key) ?? []), ...extras.map(normalizeExtra)]));
  }

  const ignore = (d: InstalledEntry, entry: RequirementEntry, error: unknown): null => {
    warnings.push(`${d.name} ${d.version}: ignoring the requirement ${JSON.stringify(entry.text.slice(0, 200))}: ${firstLine(error)}`);
    return null;
  };
  // Parsing is most of the check's time, and most lines with a marker serve an extra nobody asked for.
  const parse = (d: InstalledEntry, entry: RequirementEntry): Requirement | null => {
    if (entry.parsed === undefined) {
      try {
        entry.parsed = parseRequirement(entry.text);
      } catch (error) {
        entry.parsed = ignore(d, entry, error);
      }
    }
    return entry.parsed;
  };
  const warnedMarkers = new Set<RequirementEntry>();
  /** Under which extra a requirement applies: '' without any, null when it does not apply (or does not parse). */
  const appliesUnder = (d: InstalledEntry, entry: RequirementEntry): string | null => {
    const extras = requested.get(d.key);
    if (entry.onlyForExtra !== null && !(extras?.has(entry.onlyForExtra) ?? false)) return null;
    const marker = parse(d, entry)?.marker;
    if (marker === undefined) return null;
    if (marker === null) return '';
    try {
      if (evaluateMarker(marker, environment)) return '';
      for (const extra of extras ?? []) if (evaluateMarker(marker, environment, { extras: [extra] })) return extra;
    } catch (error) {
      if (!warnedMarkers.has(entry)) {
        warnedMarkers.add(entry);
        ignore(d, entry, error);
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
        // Cheap test first: only a requirement naming extras can ask for more.
        if (!entry.text.includes('[') || appliesUnder(d, entry) === null) continue;
        const r = entry.parsed as Requirement;
        const target = normalizeName(r.name);
        if (r.extras.length === 0 || !installed.has(target)) continue;
        const set = requested.get(target) ?? new Set<string>();
        const before = set.size;
        for (const extra of r.extras) set.add(normalizeExtra(extra));
        requested.set(target, set);
        if (set.size > before) queue.push(target);
      }
    }
  }

  const problems: EnvironmentProblem[] = [];
  for (const d of entries) {
    const seen = new Set<string>();
    for (const entry of d.requirements) {
      const under = appliesUnder(d, entry);
      if (under === null) continue;
      const r = entry.parsed as Requirement;
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
