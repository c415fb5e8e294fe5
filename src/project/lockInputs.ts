/**
 * What a lock is made from, read from pyproject.toml in one normal form: the requirements of
 * `[project]`, its extras and its dependency groups, Requires-Python and the `environments`
 * the lock is for. `paved lock` records it in `[tool.paved.inputs]`; `paved sync --frozen` and
 * `paved lock --check` compare it with the pyproject.toml of today.
 */
import { PavedError } from '../errors.js';
import { andMarkers, parseMarker, type Marker } from '../standards/markers.js';
import { normalizeExtra, normalizeName } from '../standards/names.js';
import { parseRequirement, requirementToString } from '../standards/requirement.js';
import type { PyprojectFile } from './pyproject.js';
import type { PavedLockInputs, Pylock } from './pylockModel.js';

function normalized(lines: readonly string[]): string[] {
  return lines.map((line) => requirementToString(parseRequirement(line)));
}

function sortedRecord(record: Record<string, string[]>, key: (k: string) => string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(record).map(key).sort()) {
    const original = Object.keys(record).find((k) => key(k) === name) as string;
    out[name] = normalized(record[original] as string[]);
  }
  return out;
}

/**
 * The lock inputs of a pyproject.toml. `environments` comes from the resolved configuration
 * (flags and `[tool.paved]`); a project without `[project]` (only dependency groups) locks
 * its groups alone.
 */
export function lockInputsFromPyproject(pyproject: PyprojectFile, environments: readonly string[] | null): PavedLockInputs {
  const project = pyproject.project;
  return {
    requiresPython: project?.requiresPython ?? null,
    environments: [...(environments ?? [])],
    ...(pyproject.paved.requiredEnvironments === null || pyproject.paved.requiredEnvironments.length === 0 ? {} : { requiredEnvironments: [...pyproject.paved.requiredEnvironments] }),
    dependencies: normalized(project?.dependencies ?? []),
    optionalDependencies: sortedRecord(project?.optionalDependencies ?? {}, normalizeExtra),
    dependencyGroups: sortedRecord(pyproject.expandedGroups, normalizeName),
  };
}

/** Whether `lock` was made from exactly these inputs (false for a lock paved did not write). */
export function lockMatchesInputs(lock: Pylock, inputs: PavedLockInputs): boolean {
  return lock.pavedInputs !== null && JSON.stringify(canonical(lock.pavedInputs)) === JSON.stringify(canonical(inputs));
}

function canonical(inputs: PavedLockInputs): PavedLockInputs {
  return {
    requiresPython: inputs.requiresPython,
    environments: [...inputs.environments],
    requiredEnvironments: [...(inputs.requiredEnvironments ?? [])],
    dependencies: [...inputs.dependencies].sort(),
    optionalDependencies: Object.fromEntries(Object.entries(inputs.optionalDependencies).map(([k, v]) => [k, [...v].sort()]).sort()),
    dependencyGroups: Object.fromEntries(Object.entries(inputs.dependencyGroups).map(([k, v]) => [k, [...v].sort()]).sort()),
  };
}

/** Lines that differ between a lock's recorded inputs and today's, for the `--frozen` error. */
export function describeInputChanges(lock: Pylock, inputs: PavedLockInputs): string[] {
  const before = lock.pavedInputs;
  if (before === null) return ['the lock was not written by paved (it has no [tool.paved.inputs])'];
  const out: string[] = [];
  if (before.requiresPython !== inputs.requiresPython) out.push(`requires-python: ${before.requiresPython ?? '(none)'} → ${inputs.requiresPython ?? '(none)'}`);
  if (JSON.stringify(before.environments) !== JSON.stringify(inputs.environments)) out.push('environments changed');
  if (JSON.stringify(before.requiredEnvironments ?? []) !== JSON.stringify(inputs.requiredEnvironments ?? [])) out.push('required-environments changed');
  const diff = (what: string, a: readonly string[], b: readonly string[]): void => {
    for (const x of b) if (!a.includes(x)) out.push(`${what}: + ${x}`);
    for (const x of a) if (!b.includes(x)) out.push(`${what}: - ${x}`);
  };
  diff('dependencies', before.dependencies, inputs.dependencies);
  for (const extra of new Set([...Object.keys(before.optionalDependencies), ...Object.keys(inputs.optionalDependencies)])) {
    diff(`optional-dependencies.${extra}`, before.optionalDependencies[extra] ?? [], inputs.optionalDependencies[extra] ?? []);
  }
  for (const group of new Set([...Object.keys(before.dependencyGroups), ...Object.keys(inputs.dependencyGroups)])) {
    diff(`dependency-groups.${group}`, before.dependencyGroups[group] ?? [], inputs.dependencyGroups[group] ?? []);
  }
  return out;
}

/**
 * The root requirement lines of a universal resolution: the dependencies as they are, each
 * extra's lines with `"x" in extras` and each group's with `"g" in dependency_groups` added to
 * their markers. A line naming the project itself (`myproj[test]` in a group) stands for the
 * lines of those extras. Throws `PAVED_E_INVALID_PYPROJECT` for an extra of the project that
 * does not exist.
 */
export function lockRoots(inputs: PavedLockInputs, projectName: string | null): string[] {
  const self = projectName === null ? null : normalizeName(projectName);
  const roots: string[] = [];
  const add = (line: string, condition: Marker | null, seen: Set<string>): void => {
    const req = parseRequirement(line);
    const marker = andMarkers(condition, req.marker);
    if (self !== null && normalizeName(req.name) === self) {
      for (const extra of req.extras.map(normalizeExtra)) {
        const lines = inputs.optionalDependencies[extra];
        if (lines === undefined) {
          throw new PavedError('PAVED_E_INVALID_PYPROJECT', `${line} names extra "${extra}" of the project, which [project.optional-dependencies] does not define`);
        }
        if (seen.has(extra)) continue;
        for (const inner of lines) add(inner, marker, new Set([...seen, extra]));
      }
      return;
    }
    roots.push(requirementToString({ ...req, marker }));
  };
  for (const line of inputs.dependencies) add(line, null, new Set());
  for (const [extra, lines] of Object.entries(inputs.optionalDependencies)) for (const line of lines) add(line, parseMarker(`"${extra}" in extras`), new Set([extra]));
  for (const [group, lines] of Object.entries(inputs.dependencyGroups)) for (const line of lines) add(line, parseMarker(`"${group}" in dependency_groups`), new Set());
  return roots;
}
