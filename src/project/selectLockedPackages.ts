/**
 * What a PEP 751 lock installs on one target: the lock-level checks (`requires-python`,
 * `environments`, known extras and groups), each package's marker evaluated with the target
 * environment plus the requested `extras` / `dependency_groups`, and one file per package —
 * the wheel whose tags rank best for the target, else the sdist. Pure: no I/O.
 */
import { PavedError } from '../errors.js';
import { evaluateMarker, parseMarker, type MarkerEnvironment } from '../standards/markers.js';
import { normalizeName } from '../standards/names.js';
import { parseSpecifierSet } from '../standards/specifier.js';
import { bestTagRank, tagPriority, tagToString, type Tag } from '../standards/tags.js';
import { parseWheelFilename } from '../standards/wheelFilename.js';
import { tryParseVersion } from '../standards/version.js';
import type { LockedFile, LockedPackage, Pylock } from './pylockModel.js';

/** The target a lock is installed on. */
export interface LockTarget {
  environment: MarkerEnvironment;
  /** Wheel tags the interpreter accepts, best first. */
  tags: Tag[];
  /** `platform.python_version()` of the interpreter. */
  pythonVersion: string;
  /** Extras to install; each must be listed in the lock's `extras`. */
  extras?: readonly string[];
  /** Dependency groups to install; default: the lock's `default-groups`. */
  dependencyGroups?: readonly string[];
}

/** One package to install and the file chosen for it. */
export interface SelectedPackage {
  package: LockedPackage;
  file: LockedFile;
  /** The file's name (given, or the last part of its url or path). */
  filename: string;
  kind: 'wheel' | 'sdist';
}

/** The file name of a locked file: its `name`, else the end of its url or path. */
export function lockedFileName(file: LockedFile): string {
  if (file.name !== null) return file.name;
  if (file.url !== null) return decodeURIComponent(new URL(file.url).pathname.split('/').pop() ?? '');
  return (file.path ?? '').split(/[\\/]/).pop() ?? '';
}

function notForEnvironment(message: string, hint: string, details: Record<string, unknown>): PavedError {
  return new PavedError('PAVED_E_LOCK_NOT_FOR_ENVIRONMENT', message, { hint, details });
}

const describe = (pkg: LockedPackage): string => `${pkg.name} ${pkg.version ?? '(no version)'}`;

function pickWheel(pkg: LockedPackage, priority: (tag: Tag) => number | null): { file: LockedFile; filename: string } | null {
  let best: { file: LockedFile; filename: string; rank: number; build: number } | null = null;
  for (const file of pkg.wheels) {
    const filename = lockedFileName(file);
    let parsed;
    try {
      parsed = parseWheelFilename(filename);
    } catch (error) {
      throw new PavedError('PAVED_E_INVALID_LOCKFILE', `the lock lists ${JSON.stringify(filename.slice(0, 120))} as a wheel of ${describe(pkg)}, which is not a valid wheel file name`, {
        hint: 'Regenerate the lockfile.',
        cause: error,
      });
    }
    const version = pkg.version === null ? null : tryParseVersion(pkg.version);
    if (parsed.normalizedName !== pkg.name || version === null || tryParseVersion(parsed.version)?.compare(version) !== 0) {
      throw new PavedError('PAVED_E_WHEEL_MISMATCH', `the lock lists ${filename} as a wheel of ${describe(pkg)}`, { hint: 'The lock is inconsistent; regenerate it.' });
    }
    const rank = bestTagRank(parsed.tags, priority);
    if (rank === null) continue;
    const build = parsed.buildTag?.number ?? -1;
    // Best tag first; among equal tags the highest build number, as pip does; then the name, for determinism.
    if (best === null || rank < best.rank || (rank === best.rank && (build > best.build || (build === best.build && filename < best.filename)))) {
      best = { file, filename, rank, build };
    }
  }
  return best === null ? null : { file: best.file, filename: best.filename };
}

/**
 * The extras and dependency groups to install, normalised: `groups` defaults to the lock's
 * `default-groups`. Throws `PAVED_E_UNKNOWN_EXTRA` / `PAVED_E_UNKNOWN_GROUP` naming what the lock has.
 */
export function checkExtrasAndGroups(lock: Pylock, requestedExtras: readonly string[] | undefined, requestedGroups: readonly string[] | undefined): { extras: string[]; groups: string[] } {
  const extras = [...new Set((requestedExtras ?? []).map(normalizeName))];
  const unknownExtras = extras.filter((e) => !lock.extras.includes(e));
  if (unknownExtras.length > 0) {
    throw new PavedError('PAVED_E_UNKNOWN_EXTRA', `the lock has no extra ${unknownExtras.join(', ')}; it has ${lock.extras.length === 0 ? 'no extras' : lock.extras.join(', ')}`, {
      hint: 'Choose among the extras listed, or add the extra to pyproject.toml and lock again.',
      details: { unknown: unknownExtras, available: lock.extras },
    });
  }
  const knownGroups = [...new Set([...lock.dependencyGroups, ...lock.defaultGroups])];
  const groups = [...new Set((requestedGroups ?? lock.defaultGroups).map(normalizeName))];
  const unknownGroups = groups.filter((g) => !knownGroups.includes(g));
  if (unknownGroups.length > 0) {
    throw new PavedError('PAVED_E_UNKNOWN_GROUP', `the lock has no dependency group ${unknownGroups.join(', ')}; it has ${knownGroups.length === 0 ? 'no groups' : knownGroups.join(', ')}`, {
      hint: 'Choose among the groups listed, or add the group to pyproject.toml and lock again.',
      details: { unknown: unknownGroups, available: knownGroups },
    });
  }

  return { extras, groups };
}

/**
 * The packages `lock` installs on `target`, sorted by name, each with its one file. Throws
 * `PAVED_E_LOCK_NOT_FOR_ENVIRONMENT` when the lock's `requires-python` or `environments` (or an
 * applying package's `requires-python`) exclude the target; `PAVED_E_UNKNOWN_EXTRA` /
 * `PAVED_E_UNKNOWN_GROUP` for extras or groups the lock does not cover;
 * `PAVED_E_DUPLICATE_DISTRIBUTION` when two entries of one name both apply;
 * `PAVED_E_UNSUPPORTED_SOURCE` for an applying vcs/directory/archive entry; `PAVED_E_NO_WHEEL`
 * when a package has neither a compatible wheel nor an sdist.
 */
export function selectPackagesForEnvironment(lock: Pylock, target: LockTarget): SelectedPackage[] {
  const python = tryParseVersion(target.pythonVersion);
  if (python === null) throw new PavedError('PAVED_E_INVALID_VERSION', `Python version ${JSON.stringify(target.pythonVersion)} is not a PEP 440 version`);
  if (lock.requiresPython !== null && !parseSpecifierSet(lock.requiresPython).contains(python, { prereleases: true })) {
    throw notForEnvironment(`the lock requires Python ${lock.requiresPython}, and the target is Python ${target.pythonVersion}`, 'Use an interpreter the lock admits (--python), or lock again for this one.', {
      requiresPython: lock.requiresPython,
      python: target.pythonVersion,
    });
  }
  if (lock.environments !== null && lock.environments.length > 0 && !lock.environments.some((m) => evaluateMarker(parseMarker(m), target.environment))) {
    throw notForEnvironment(
      `the lock is for the environments ${lock.environments.map((m) => JSON.stringify(m)).join(', ')}, and none matches the target (${target.environment.sys_platform}, ${target.environment.platform_machine}, Python ${target.pythonVersion})`,
      'Add this environment to [tool.paved] environments and lock again, or install on a matching machine.',
      { environments: lock.environments },
    );
  }
  const { extras, groups } = checkExtrasAndGroups(lock, target.extras, target.dependencyGroups);
  const priority = tagPriority(target.tags);
  const chosen = new Map<string, SelectedPackage>();
  for (const pkg of lock.packages) {
    if (pkg.marker !== null && !evaluateMarker(parseMarker(pkg.marker), target.environment, { extras, dependencyGroups: groups })) continue;
    const earlier = chosen.get(pkg.name);
    if (earlier !== undefined) {
      throw new PavedError('PAVED_E_DUPLICATE_DISTRIBUTION', `the lock has two entries of ${pkg.name} that both apply here: ${earlier.package.version ?? '(no version)'} and ${pkg.version ?? '(no version)'}`, {
        hint: 'Their markers overlap for this environment; regenerate the lock.',
      });
    }
    if (pkg.requiresPython !== null && !parseSpecifierSet(pkg.requiresPython).contains(python, { prereleases: true })) {
      throw notForEnvironment(`${describe(pkg)} requires Python ${pkg.requiresPython}, and the target is Python ${target.pythonVersion}`, 'Lock again for this interpreter, or use one the package supports.', {
        package: pkg.name,
        requiresPython: pkg.requiresPython,
      });
    }
    if (pkg.otherSource !== null) {
      throw new PavedError('PAVED_E_UNSUPPORTED_SOURCE', `${pkg.name} is locked from a ${pkg.otherSource} source, which paved cannot install from a lock yet`, {
        hint: 'Publish it to an index and lock again.',
      });
    }
    const wheel = pickWheel(pkg, priority);
    if (wheel !== null) {
      chosen.set(pkg.name, { package: pkg, file: wheel.file, filename: wheel.filename, kind: 'wheel' });
    } else if (pkg.sdist !== null) {
      chosen.set(pkg.name, { package: pkg, file: pkg.sdist, filename: lockedFileName(pkg.sdist), kind: 'sdist' });
    } else {
      const best = target.tags[0] === undefined ? 'none' : tagToString(target.tags[0]);
      throw new PavedError('PAVED_E_NO_WHEEL', `${describe(pkg)} has no wheel for this interpreter (best tag ${best}) and no sdist in the lock`, {
        hint: `The lock has ${pkg.wheels.length === 0 ? 'no wheels' : pkg.wheels.map(lockedFileName).join(', ')}; lock again for this platform.`,
        details: { package: pkg.name, version: pkg.version, bestTag: best },
      });
    }
  }
  return [...chosen.values()].sort((a, b) => (a.package.name < b.package.name ? -1 : a.package.name > b.package.name ? 1 : 0));
}
