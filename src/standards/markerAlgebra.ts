import { PavedError } from '../errors.js';
import { evaluateMarker, markerToString, parseMarker, type Marker, type MarkerEnvironment, type MarkerExpression, type MarkerOperator, type MarkerVariable } from './markers.js';
import { normalizeExtra, normalizeName } from './names.js';
import type { SpecifierSet } from './specifier.js';
import { tryParseVersion, type Version } from './version.js';

/**
 * Markers as sets of environments, for the universal lock: which packages a lock needs
 * where. A marker is held in disjunctive normal form over its comparisons ("atoms"), and
 * questions about it (can it hold at all? does it always hold?) are answered by trying
 * every distinct environment the atoms can tell apart: each variable takes the literals the
 * atoms compare it with plus one value equal to none of them, Python versions take every
 * `3.x.0` plus each literal version and its next patch, and each `"name" in extras` /
 * `"name" in dependency_groups` is a yes/no switch. That is exact for the comparisons
 * markers make in practice and small, because a question only involves the variables its
 * own markers mention.
 */

/** One conjunction: sorted, distinct atom texts (`python_version < "3.11"`). Empty means "always". */
export type Conjunction = readonly string[];
/** A disjunction of conjunctions. `[]` never holds; `[[]]` always holds. */
export type Dnf = readonly Conjunction[];

export const DNF_TRUE: Dnf = [[]];
export const DNF_FALSE: Dnf = [];

/** What every environment of interest satisfies: the project's Requires-Python and `environments`. */
export interface MarkerContext {
  requiresPython: SpecifierSet | null;
  /** Markers of which at least one holds (`[tool.paved] environments`), or null for any environment. */
  environments: readonly Marker[] | null;
}

/** Markers as sets, relative to one context. */
export interface MarkerAlgebra {
  /**
   * The DNF of a marker (null: always). `extra` comparisons are decided here: they hold for
   * `extra` (a dependency line read for that extra) and fail otherwise.
   */
  fromMarker(marker: Marker | null, extra?: string | null): Dnf;
  and(a: Dnf, b: Dnf): Dnf;
  or(a: Dnf, b: Dnf): Dnf;
  /** Whether some environment of the context satisfies `d`. */
  possible(d: Dnf): boolean;
  /** Whether every environment of the context satisfies `d`. */
  always(d: Dnf): boolean;
  /** An equivalent (within the context), shorter DNF: impossible terms and implied atoms dropped, absorbed terms removed. */
  simplify(d: Dnf): Dnf;
  /**
   * `simplify`, then also drops an atom from a term when the wider term still lies inside `d`:
   * `sys_platform == "linux" or (sys_platform != "linux" and sys_platform != "win32")` becomes
   * `sys_platform != "win32"`. Slower, and it can reword markers `simplify` leaves alone.
   */
  minimize(d: Dnf): Dnf;
  /** The complement of `d`, or null when one of its atoms has no PEP 508 negation (`~=`, `===`). */
  not(d: Dnf): Dnf | null;
  /** PEP 508 text, or null when `d` always holds. Throws for a DNF that never holds. */
  toMarkerText(d: Dnf): string | null;
  /** The atom DNF of a Python version range `[lowMinor, highMinor]` (`null`: open-ended), e.g. `python_version >= "3.10" and python_version < "3.12"`. */
  pythonMinorRange(low: string, high: string | null): Dnf;
}

/** Each operator's complement; `~=` and `===` have none in PEP 508. */
const NEGATED_OPERATOR: Partial<Record<MarkerOperator, MarkerOperator>> = {
  '==': '!=',
  '!=': '==',
  '<': '>=',
  '>=': '<',
  '>': '<=',
  '<=': '>',
  in: 'not in',
  'not in': 'in',
};

/** Guards the enumeration: beyond this many environments a question is answered conservatively. */
const MAX_ASSIGNMENTS = 200_000;
const OTHER = '\u0000other';
const PYTHON_VARIABLES = new Set<MarkerVariable>(['python_version', 'python_full_version']);

interface Atom {
  text: string;
  expression: MarkerExpression;
  /** The dimension it constrains: `python`, a variable name, or `extras:<name>` / `dependency_groups:<name>`. */
  dimension: string;
}

function variableOf(expression: MarkerExpression): MarkerVariable | null {
  if (expression.left.kind === 'variable') return expression.left.name;
  if (expression.right.kind === 'variable') return expression.right.name;
  return null;
}

function literalOf(expression: MarkerExpression): string | null {
  if (expression.left.kind === 'string') return expression.left.value;
  if (expression.right.kind === 'string') return expression.right.value;
  return null;
}

/** Dimension of an atom: `python`, an environment variable, or `extras:<name>` / `dependency_groups:<name>`. */
function dimensionOf(expression: MarkerExpression): string {
  const variable = variableOf(expression);
  if (variable === null) return 'none';
  if (PYTHON_VARIABLES.has(variable)) return 'python';
  if (variable === 'extras') return `extras:${normalizeExtra(literalOf(expression) ?? '')}`;
  if (variable === 'dependency_groups') return `dependency_groups:${normalizeName(literalOf(expression) ?? '')}`;
  return variable;
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

function conjunctionKey(c: Conjunction): string {
  return c.join('\u0001');
}

/** Removes duplicate terms and terms that contain another term (absorption). */
function absorb(terms: readonly Conjunction[]): Dnf {
  const unique = new Map<string, Conjunction>();
  for (const t of terms) unique.set(conjunctionKey(t), t);
  const list = [...unique.values()].sort((a, b) => a.length - b.length || (conjunctionKey(a) < conjunctionKey(b) ? -1 : 1));
  const kept: Conjunction[] = [];
  for (const term of list) {
    if (kept.some((k) => k.every((atom) => term.includes(atom)))) continue;
    kept.push(term);
  }
  return kept.sort((a, b) => (conjunctionKey(a) < conjunctionKey(b) ? -1 : conjunctionKey(a) > conjunctionKey(b) ? 1 : 0));
}

function nextPatch(version: string): string | null {
  const parsed = tryParseVersion(version);
  if (parsed === null) return null;
  const release = [...parsed.release];
  while (release.length < 3) release.push(0);
  release[release.length - 1] = (release[release.length - 1] as number) + 1;
  return release.join('.');
}

const BASE_ENVIRONMENT: MarkerEnvironment = {
  os_name: OTHER,
  sys_platform: OTHER,
  platform_machine: OTHER,
  platform_python_implementation: OTHER,
  platform_release: OTHER,
  platform_system: OTHER,
  platform_version: OTHER,
  python_version: '3.0',
  python_full_version: '3.0.0',
  implementation_name: OTHER,
  implementation_version: OTHER,
};

/** Creates the algebra for one context. Atom values are cached per environment, so repeated questions are cheap. */
export function createMarkerAlgebra(context: MarkerContext): MarkerAlgebra {
  const atoms = new Map<string, Atom>();

  const register = (expression: MarkerExpression): string => {
    const text = markerToString(expression);
    if (!atoms.has(text)) atoms.set(text, { text, expression, dimension: dimensionOf(expression) });
    return text;
  };

  const toDnf = (marker: Marker, extra: string | null | undefined): Dnf => {
    if (marker.op === 'compare') {
      const variable = variableOf(marker);
      if (variable === 'extra' && extra !== undefined) {
        const holds = evaluateMarker(marker, BASE_ENVIRONMENT, { extras: extra === null ? [] : [extra] });
        return holds ? DNF_TRUE : DNF_FALSE;
      }
      return [[register(marker)]];
    }
    const left = toDnf(marker.left, extra);
    const right = toDnf(marker.right, extra);
    return marker.op === 'and' ? and(left, right) : or(left, right);
  };

  function and(a: Dnf, b: Dnf): Dnf {
    const out: Conjunction[] = [];
    for (const x of a) for (const y of b) out.push(sortedUnique([...x, ...y]));
    return absorb(out);
  }
  function or(a: Dnf, b: Dnf): Dnf {
    return absorb([...a, ...b]);
  }

  // The context as DNF over its own atoms, so its variables join each question's enumeration.
  const environmentsDnf: Dnf = context.environments === null ? DNF_TRUE : context.environments.reduce<Dnf>((acc, m) => or(acc, toDnf(m, null)), DNF_FALSE);

  /** Every distinct environment the given atoms (plus the context's) can tell apart, as assignments of dimension values. */
  const enumerate = (atomTexts: readonly string[], visit: (env: MarkerEnvironment, extras: string[], groups: string[]) => boolean): boolean | null => {
    const involved = new Set<string>(atomTexts);
    for (const term of environmentsDnf) for (const a of term) involved.add(a);
    const dims = new Map<string, Set<string>>();
    const add = (dim: string, value: string): void => {
      let set = dims.get(dim);
      if (set === undefined) {
        set = new Set();
        dims.set(dim, set);
      }
      set.add(value);
    };
    for (const text of involved) {
      const atom = atoms.get(text) as Atom;
      const dim = atom.dimension;
      if (dim === 'none') continue;
      if (dim === 'python') continue;
      if (dim.startsWith('extras:') || dim.startsWith('dependency_groups:')) {
        add(dim, 'yes');
        add(dim, 'no');
        continue;
      }
      add(dim, literalOf(atom.expression) ?? OTHER);
      add(dim, OTHER);
    }
    // Python points: every minor's .0, each literal and its next patch; filtered by Requires-Python.
    const pythonPoints = new Set<string>();
    for (let minor = 0; minor <= 20; minor++) pythonPoints.add(`3.${minor}.0`);
    pythonPoints.add('2.7.0');
    for (const text of involved) {
      const atom = atoms.get(text) as Atom;
      if (atom.dimension !== 'python') continue;
      const literal = literalOf(atom.expression);
      if (literal === null) continue;
      const parsed = tryParseVersion(literal.replace(/\.\*$/, ''));
      if (parsed === null) continue;
      const release = [...parsed.release];
      while (release.length < 3) release.push(0);
      pythonPoints.add(release.join('.'));
      const next = nextPatch(release.join('.'));
      if (next !== null) pythonPoints.add(next);
      if (release.length >= 2) pythonPoints.add(`${release[0]}.${(release[1] as number) + 1}.0`);
    }
    const points = [...pythonPoints].filter((p) => {
      if (context.requiresPython === null) return true;
      const v = tryParseVersion(p);
      return v !== null && context.requiresPython.contains(v, { prereleases: true });
    });
    const dimList = [...dims.entries()].map(([name, values]) => ({ name, values: [...values] }));
    let total = points.length;
    for (const d of dimList) total *= d.values.length;
    if (total > MAX_ASSIGNMENTS) return null;
    if (points.length === 0) return false;

    const indices = dimList.map(() => 0);
    for (;;) {
      for (const point of points) {
        const env: MarkerEnvironment = { ...BASE_ENVIRONMENT, python_full_version: point, python_version: point.split('.').slice(0, 2).join('.') };
        const extras: string[] = [];
        const groups: string[] = [];
        dimList.forEach((d, i) => {
          const value = d.values[indices[i] as number] as string;
          if (d.name.startsWith('extras:')) {
            if (value === 'yes') extras.push(d.name.slice('extras:'.length));
          } else if (d.name.startsWith('dependency_groups:')) {
            if (value === 'yes') groups.push(d.name.slice('dependency_groups:'.length));
          } else {
            (env as unknown as Record<string, string>)[d.name] = value;
          }
        });
        if (platformConsistent(env, dims) && visit(env, extras, groups)) return true;
      }
      let i = 0;
      while (i < dimList.length) {
        indices[i] = (indices[i] as number) + 1;
        if ((indices[i] as number) < (dimList[i] as { values: string[] }).values.length) break;
        indices[i] = 0;
        i++;
      }
      if (i === dimList.length) return false;
    }
  };

  const holds = (d: Dnf, env: MarkerEnvironment, extras: string[], groups: string[]): boolean =>
    d.some((term) => term.every((text) => safeEvaluate((atoms.get(text) as Atom).expression, env, extras, groups)));

  const inContext = (env: MarkerEnvironment, extras: string[], groups: string[]): boolean => holds(environmentsDnf, env, extras, groups);

  const atomsOfAll = (...ds: Dnf[]): string[] => sortedUnique(ds.flatMap((d) => d.flat()));

  const possible = (d: Dnf): boolean => {
    if (d.length === 0) return false;
    const found = enumerate(atomsOfAll(d), (env, extras, groups) => inContext(env, extras, groups) && holds(d, env, extras, groups));
    return found === null ? true : found;
  };

  const always = (d: Dnf): boolean => {
    if (d.some((t) => t.length === 0)) return true;
    const counterexample = enumerate(atomsOfAll(d), (env, extras, groups) => inContext(env, extras, groups) && !holds(d, env, extras, groups));
    return counterexample === false;
  };

  // The Python minors the context admits, in order: 3.20 stands for "3.20 and later".
  const pythonDomain: number[] = [];
  for (let minor = 0; minor <= 20; minor++) {
    if (context.requiresPython === null || lowestAdmittedPython(minor, context.requiresPython) !== null) pythonDomain.push(minor);
  }
  const isMinorAtom = (text: string): boolean => {
    const atom = atoms.get(text) as Atom;
    return atom.dimension === 'python' && variableOf(atom.expression) === 'python_version';
  };
  const minorEnvironment = (minor: number): MarkerEnvironment => ({ ...BASE_ENVIRONMENT, python_version: `3.${minor}`, python_full_version: `3.${minor}.0` });

  /**
   * Terms that differ only in `python_version` comparisons become one term per run of
   * consecutive minors: `python_version == "3.9" or python_version >= "3.10"` is no marker at
   * all within >=3.9, and per-fork pieces read as one range again.
   */
  const mergePythonRanges = (terms: readonly Conjunction[]): Conjunction[] => {
    const out: Conjunction[] = [];
    const groups = new Map<string, { rest: string[]; parts: string[][] }>();
    for (const term of terms) {
      if (term.some((a) => (atoms.get(a) as Atom).dimension === 'python' && !isMinorAtom(a))) {
        out.push(term);
        continue;
      }
      const rest = term.filter((a) => !isMinorAtom(a));
      const key = conjunctionKey(rest);
      const group = groups.get(key) ?? { rest, parts: [] };
      group.parts.push(term.filter(isMinorAtom));
      groups.set(key, group);
    }
    for (const { rest, parts } of groups.values()) {
      const admitted = new Set(pythonDomain.filter((m) => parts.some((part) => part.every((a) => safeEvaluate((atoms.get(a) as Atom).expression, minorEnvironment(m), [], [])))));
      let runStart: number | null = null;
      for (let i = 0; i <= pythonDomain.length; i++) {
        const minor = pythonDomain[i];
        const inside = minor !== undefined && admitted.has(minor);
        if (inside && runStart === null) runStart = i;
        if (!inside && runStart !== null) {
          const low = pythonDomain[runStart] as number;
          const high = pythonDomain[i - 1] as number;
          const range: string[] = [];
          const hasLow = runStart > 0;
          const hasHigh = i < pythonDomain.length;
          if (hasLow && hasHigh && low === high) range.push(register(parseMarker(`python_version == "3.${low}"`) as MarkerExpression));
          else {
            if (hasLow) range.push(register(parseMarker(`python_version >= "3.${low}"`) as MarkerExpression));
            if (hasHigh) range.push(register(parseMarker(`python_version < "3.${high + 1}"`) as MarkerExpression));
          }
          out.push(sortedUnique([...rest, ...range]));
          runStart = null;
        }
      }
    }
    return out;
  };

  const simplify = (d: Dnf): Dnf => {
    let terms = d.filter((t) => possible([t]));
    terms = terms.map((term) => {
      let current = [...term];
      for (const atom of term) {
        const rest = current.filter((a) => a !== atom);
        // Drop the atom when the rest of the term (within the context) already implies it.
        const counter = enumerate(atomsOfAll([current]), (env, extras, groups) => {
          if (!inContext(env, extras, groups)) return false;
          if (!rest.every((a) => safeEvaluate((atoms.get(a) as Atom).expression, env, extras, groups))) return false;
          return !safeEvaluate((atoms.get(atom) as Atom).expression, env, extras, groups);
        });
        if (counter === false) current = rest;
      }
      return current;
    });
    const result = absorb(mergePythonRanges(terms));
    if (result.length > 0 && always(result)) return DNF_TRUE;
    // A term implied by the others adds nothing.
    const kept = [...result];
    for (const term of result) {
      const others = kept.filter((t) => t !== term);
      if (others.length === 0) continue;
      const counter = enumerate(atomsOfAll(result), (env, extras, groups) => inContext(env, extras, groups) && holds([term], env, extras, groups) && !holds(others, env, extras, groups));
      if (counter === false) kept.splice(kept.indexOf(term), 1);
    }
    return kept;
  };

  const minimize = (d: Dnf): Dnf => {
    let current = simplify(d);
    if (current.length <= 1) return current;
    const original = current;
    const within = (candidate: Dnf): boolean =>
      enumerate(atomsOfAll(candidate, original), (env, extras, groups) => inContext(env, extras, groups) && holds(candidate, env, extras, groups) && !holds(original, env, extras, groups)) === false;
    for (let i = 0; i < current.length; i++) {
      let term = [...(current[i] as Conjunction)];
      for (const atom of [...term]) {
        const wider = term.filter((a) => a !== atom);
        if (within([wider])) term = wider;
      }
      current = current.map((t, j) => (j === i ? term : t));
    }
    return simplify(absorb(current));
  };

  const negateAtom = (text: string): string | null => {
    const expression = (atoms.get(text) as Atom).expression;
    const operator = NEGATED_OPERATOR[expression.operator];
    if (operator === undefined) return null;
    return register({ ...expression, operator });
  };

  const not = (d: Dnf): Dnf | null => {
    let result: Dnf = DNF_TRUE;
    for (const term of d) {
      const negated: Conjunction[] = [];
      for (const atom of term) {
        const n = negateAtom(atom);
        if (n === null) return null;
        negated.push([n]);
      }
      result = and(result, negated);
    }
    return result;
  };

  const toMarkerText = (d: Dnf): string | null => {
    if (d.length === 0) throw new PavedError('PAVED_E_INVALID_MARKER', 'a marker that never holds has no PEP 508 text');
    if (d.some((t) => t.length === 0)) return null;
    const ordered = (t: Conjunction): string[] => [...t].sort((a, b) => printOrder(a) - printOrder(b) || (a < b ? -1 : a > b ? 1 : 0));
    const terms = d.map((t) => (t.length > 1 && d.length > 1 ? `(${ordered(t).join(' and ')})` : ordered(t).join(' and ')));
    return terms.join(' or ');
  };

  const pythonMinorRange = (low: string, high: string | null): Dnf => {
    const lowAtom = register(parseMarker(`python_version >= "${low}"`) as MarkerExpression);
    if (high === null) return [[lowAtom]];
    if (high === low) return [[register(parseMarker(`python_version == "${low}"`) as MarkerExpression)]];
    const [major, minor] = high.split('.').map(Number) as [number, number];
    const highAtom = register(parseMarker(`python_version < "${major}.${minor + 1}"`) as MarkerExpression);
    return [sortedUnique([lowAtom, highAtom])];
  };

  return {
    fromMarker: (marker, extra) => (marker === null ? DNF_TRUE : toDnf(marker, extra ?? null)),
    and,
    or,
    possible,
    always,
    simplify,
    minimize,
    not,
    toMarkerText,
    pythonMinorRange,
  };
}

/** The lowest `3.<minor>.<patch>` (patch up to 40) that `requiresPython` admits, or null when it admits none of that minor. */
export function lowestAdmittedPython(minor: number, requiresPython: SpecifierSet): Version | null {
  for (let patch = 0; patch <= 40; patch++) {
    const v = tryParseVersion(`3.${minor}.${patch}`);
    if (v !== null && requiresPython.contains(v, { prereleases: true })) return v;
  }
  return null;
}

/** The values `sys_platform`, `platform_system` and `os_name` take together on the common platforms. */
const PLATFORMS: readonly Record<'sys_platform' | 'platform_system' | 'os_name', string>[] = [
  { sys_platform: 'linux', platform_system: 'Linux', os_name: 'posix' },
  { sys_platform: 'darwin', platform_system: 'Darwin', os_name: 'posix' },
  { sys_platform: 'win32', platform_system: 'Windows', os_name: 'nt' },
];

/**
 * Whether an enumerated environment could exist: `sys_platform == "linux"` with
 * `platform_system == "Darwin"` cannot, so a lock for Linux leaves out what only macOS needs
 * however the dependency spells the platform. A variable's "none of the literals" value is
 * consistent unless the platform's own value is among the literals.
 */
function platformConsistent(env: MarkerEnvironment, dims: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  for (const platform of PLATFORMS) {
    const names = Object.keys(platform) as (keyof typeof platform)[];
    // os_name (posix) is shared by several platforms, so only the other two name one.
    if (!(['sys_platform', 'platform_system'] as const).some((n) => dims.has(n) && env[n] === platform[n])) continue;
    for (const n of names) {
      const candidates = dims.get(n);
      if (candidates === undefined) continue;
      const expected = candidates.has(platform[n]) ? platform[n] : OTHER;
      if (env[n] !== expected) return false;
    }
  }
  return true;
}

/** Lower bounds before upper ones when a term names a range (`python_version >= "3.10" and python_version < "3.12"`). */
function printOrder(atomText: string): number {
  if (/ (>=|>) /.test(atomText)) return 0;
  if (/ (<=|<) /.test(atomText)) return 1;
  return 0;
}

/** Evaluates one atom; one that cannot be evaluated (e.g. `~=` on a non-version) counts as holding, so nothing is dropped for it. */
function safeEvaluate(expression: MarkerExpression, env: MarkerEnvironment, extras: string[], groups: string[]): boolean {
  try {
    return evaluateMarker(expression, env, { extras, dependencyGroups: groups });
  } catch {
    return true;
  }
}
