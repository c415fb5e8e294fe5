/**
 * Projects whose `[project] dependencies` or `optional-dependencies` are `dynamic` (PEP 621):
 * pyproject.toml does not say what they need, only the build back-end can (setuptools'
 * `[tool.setuptools.dynamic] dependencies = {file = "requirements.in"}`, a setup.py). uv then
 * asks the back-end for the metadata (`prepare_metadata_for_build_wheel`); paved does the same,
 * and this module turns that metadata back into the lists pyproject.toml would have had.
 */
import { PavedError } from '../errors.js';
import type { CoreMetadata } from '../standards/coreMetadata.js';
import { andMarkers, type Marker } from '../standards/markers.js';
import { normalizeExtra } from '../standards/names.js';
import { parseRequirement, requirementToString } from '../standards/requirement.js';
import type { PyprojectFile } from './pyproject.js';

/** The dependency lists of `[project]` left to the back-end. */
export type DynamicDependencyField = 'dependencies' | 'optional-dependencies';

/** Which dependency lists pyproject.toml declares `dynamic` (none for a project without `[project]`). */
export function dynamicDependencyFields(pyproject: PyprojectFile): DynamicDependencyField[] {
  const dynamic = pyproject.project?.dynamic ?? [];
  return (['dependencies', 'optional-dependencies'] as const).filter((field) => dynamic.includes(field));
}

/** The extra a marker is about (`extra == "web"`, alone or and-ed with others), and the rest of it. */
function splitExtra(marker: Marker | null): { extra: string | null; rest: Marker | null } | null {
  if (marker === null) return { extra: null, rest: null };
  if (marker.op === 'compare') {
    const { left, right, operator } = marker;
    const isExtra = (v: typeof left): boolean => v.kind === 'variable' && v.name === 'extra';
    if (operator === '==' && isExtra(left) && right.kind === 'string') return { extra: normalizeExtra(right.value), rest: null };
    if (operator === '==' && isExtra(right) && left.kind === 'string') return { extra: normalizeExtra(left.value), rest: null };
    return isExtra(left) || isExtra(right) ? null : { extra: null, rest: marker };
  }
  const left = splitExtra(marker.left);
  const right = splitExtra(marker.right);
  if (left === null || right === null) return null;
  if (left.extra === null && right.extra === null) return { extra: null, rest: marker };
  // `extra == "a" or …` cannot be one list's entry; `and` of two different extras neither.
  if (marker.op === 'or' || (left.extra !== null && right.extra !== null && left.extra !== right.extra)) return null;
  return { extra: left.extra ?? right.extra, rest: andMarkers(left.rest, right.rest) };
}

/**
 * `[project] dependencies` and `optional-dependencies` as core metadata states them: each
 * Requires-Dist without an `extra` marker is a dependency; one marked `extra == "x"` (possibly
 * and-ed with other conditions, which are kept) belongs to extra x. A marker that mentions an
 * extra in another way cannot be put back into a list, and is an error naming it.
 */
export function dependenciesFromMetadata(metadata: CoreMetadata, shown: string): { dependencies: string[]; optionalDependencies: Record<string, string[]> } {
  const dependencies: string[] = [];
  const optionalDependencies: Record<string, string[]> = Object.fromEntries(metadata.providesExtra.map((extra) => [normalizeExtra(extra), [] as string[]]));
  for (const line of metadata.requiresDist) {
    const requirement = parseRequirement(line);
    const split = splitExtra(requirement.marker);
    if (split === null) {
      throw new PavedError('PAVED_E_DYNAMIC_DEPENDENCIES', `the build back-end of ${shown} says the project requires ${JSON.stringify(line)}, whose marker uses extra in a way paved cannot lock`, {
        hint: 'Write the requirement as `name; extra == "x"` (optionally `and` other conditions), or list the dependencies statically in pyproject.toml.',
      });
    }
    const text = requirementToString({ ...requirement, marker: split.rest });
    if (split.extra === null) dependencies.push(text);
    else (optionalDependencies[split.extra] ??= []).push(text);
  }
  return { dependencies, optionalDependencies };
}

