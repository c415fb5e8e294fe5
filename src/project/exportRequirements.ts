/**
 * Exports a PEP 751 lock as a pip requirements file in `--require-hashes` form, so machines
 * that only have pip install exactly what the lock pins. pip knows no `extras` or
 * `dependency_groups` marker variables, so those parts of each marker are decided here for the
 * chosen extras and groups: entries that cannot apply are dropped, the rest keep only the
 * environment part of their marker.
 */
import { PavedError } from '../errors.js';
import { evaluateMarker, markerToString, parseMarker, type Marker, type MarkerEnvironment } from '../standards/markers.js';
import { tryParseVersion } from '../standards/version.js';
import type { LockedFile, LockedPackage, Pylock } from './pylockModel.js';
import { checkExtrasAndGroups, lockedFileName } from './selectLockedPackages.js';

/** Options for `exportRequirements`. */
export interface ExportRequirementsOptions {
  /** Extras to include; each must be in the lock's `extras`. */
  extras?: readonly string[];
  /** Dependency groups to include; default: the lock's `default-groups`. */
  groups?: readonly string[];
  /** Shown in the header comment, e.g. `pylock.toml`. */
  source?: string;
}

/** Hash algorithms pip accepts with `--hash`, strongest last (sha256 preferred, as every index gives it). */
const PIP_ALGORITHMS = ['sha256', 'sha384', 'sha512'] as const;

type Resolved = Marker | boolean;

const SET_VARIABLES = new Set(['extra', 'extras', 'dependency_groups']);

// Set-membership tests never read the environment, so any environment serves to evaluate them.
const NO_ENVIRONMENT = {} as MarkerEnvironment;

/** Decides the extras/groups parts of `marker` and simplifies: true, false, or what is left for pip. */
function resolveSetVariables(marker: Marker, extras: string[], groups: string[]): Resolved {
  if (marker.op === 'compare') {
    const usesSets = [marker.left, marker.right].some((v) => v.kind === 'variable' && SET_VARIABLES.has(v.name));
    return usesSets ? evaluateMarker(marker, NO_ENVIRONMENT, { extras, dependencyGroups: groups }) : marker;
  }
  const left = resolveSetVariables(marker.left, extras, groups);
  const right = resolveSetVariables(marker.right, extras, groups);
  if (marker.op === 'and') {
    if (left === false || right === false) return false;
    if (left === true) return right;
    if (right === true) return left;
  } else {
    if (left === true || right === true) return true;
    if (left === false) return right;
    if (right === false) return left;
  }
  return { op: marker.op, left, right };
}

function hashOptions(pkg: LockedPackage, files: LockedFile[]): string[] {
  if (files.length === 0) {
    throw new PavedError('PAVED_E_HASH_REQUIRED', `${pkg.name} ${pkg.version ?? ''} has no files in the lock, so no hash to pin`, { hint: 'Lock again; every package installed from an index needs a wheel or an sdist.' });
  }
  const out: string[] = [];
  for (const file of files) {
    const algorithm = PIP_ALGORITHMS.find((a) => file.hashes[a] !== undefined);
    if (algorithm === undefined) {
      throw new PavedError('PAVED_E_HASH_REQUIRED', `${lockedFileName(file)} of ${pkg.name} ${pkg.version ?? ''} has no sha256, sha384 or sha512 in the lock, which pip's --require-hashes needs`, {
        hint: 'Lock again with paved, which records sha256 for every file.',
      });
    }
    const option = `--hash=${algorithm}:${file.hashes[algorithm] as string}`;
    if (!out.includes(option)) out.push(option);
  }
  return out;
}

const byName = (a: LockedFile, b: LockedFile): number => {
  const x = lockedFileName(a);
  const y = lockedFileName(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * The requirements.txt text for `lock` with the chosen extras and groups: one
 * `name==version ; marker` line per entry that can apply, followed by a `--hash` for every
 * wheel and the sdist, sorted by name and version. Throws `PAVED_E_UNKNOWN_EXTRA` /
 * `PAVED_E_UNKNOWN_GROUP`, `PAVED_E_UNSUPPORTED_SOURCE` for a vcs/directory/archive entry that
 * can apply, `PAVED_E_HASH_REQUIRED` for a file without a hash pip accepts.
 */
export function exportRequirements(lock: Pylock, options: ExportRequirementsOptions = {}): string {
  const { extras, groups } = checkExtrasAndGroups(lock, options.extras, options.groups);
  const entries: { pkg: LockedPackage; marker: string | null }[] = [];
  for (const pkg of lock.packages) {
    const resolved = pkg.marker === null ? true : resolveSetVariables(parseMarker(pkg.marker), extras, groups);
    if (resolved === false) continue;
    if (pkg.otherSource !== null || pkg.version === null) {
      throw new PavedError('PAVED_E_UNSUPPORTED_SOURCE', `${pkg.name} is locked from a ${pkg.otherSource ?? 'versionless'} source, which a hashed requirements file cannot express`, {
        hint: 'Publish it to an index and lock again.',
      });
    }
    entries.push({ pkg, marker: resolved === true ? null : markerToString(resolved) });
  }
  entries.sort((a, b) => {
    if (a.pkg.name !== b.pkg.name) return a.pkg.name < b.pkg.name ? -1 : 1;
    const va = tryParseVersion(a.pkg.version as string);
    const vb = tryParseVersion(b.pkg.version as string);
    return va !== null && vb !== null ? va.compare(vb) : 0;
  });
  const chosen = [extras.length > 0 ? `extras: ${extras.join(', ')}` : 'no extras', groups.length > 0 ? `groups: ${groups.join(', ')}` : 'no dependency groups'].join('; ');
  const lines = [
    `# This file was generated by paved from ${options.source ?? 'pylock.toml'} (${chosen}); do not edit it by hand.`,
    '# Install with: pip install --require-hashes --no-deps -r <this file>',
  ];
  for (const { pkg, marker } of entries) {
    const files = [...[...pkg.wheels].sort(byName), ...(pkg.sdist === null ? [] : [pkg.sdist])];
    const hashes = hashOptions(pkg, files);
    const head = `${pkg.name}==${pkg.version as string}${marker === null ? '' : ` ; ${marker}`}`;
    lines.push(hashes.length === 0 ? head : `${head} \\`, ...hashes.map((h, i) => `    ${h}${i < hashes.length - 1 ? ' \\' : ''}`));
  }
  return `${lines.join('\n')}\n`;
}
