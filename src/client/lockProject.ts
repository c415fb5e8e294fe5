/**
 * `paved lock`: the project's inputs in, a PEP 751 lock out. Resolves universally (every
 * Python the project's Requires-Python admits, every platform or those `environments` names),
 * then records each package with the index it came from, every file that can serve it (wheels
 * for the platforms and Pythons in range, and the sdist) with hashes, and the marker that says
 * where it is needed. Pins of the previous lock are kept unless an upgrade is asked for, and the
 * output is deterministic, so locking twice without changes gives the same bytes.
 *
 * Releases published only as an sdist are locked too (with their `sdist` entry and no wheels)
 * when `build` is given: their dependencies come from the sdist's PKG-INFO when PEP 643 makes it
 * static, else from the back-end's `prepare_metadata_for_build_wheel`, run on ONE interpreter
 * found for the lock's requires-python. As uv does, paved assumes that metadata built on one
 * interpreter holds for every Python and platform of the lock (a setup.py that computes its
 * dependencies per platform would be locked with the build machine's answer). With
 * `build.noBuild`, or without `build`, such releases stay unavailable to the resolver.
 *
 * Error codes: PAVED_E_NO_SOLUTION, PAVED_E_NO_HASH, the build errors of `buildSdist.ts`, and
 * whatever the index client and interpreter discovery throw.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PavedError, isPavedError } from '../errors.js';
import { findInterpreter, type PythonInterpreter } from '../installer/interpreter.js';
import { resolveUniversal, type UniversalEvent, type UniversalResolution } from '../resolver/universal.js';
import { lockRoots } from '../project/lockInputs.js';
import type { LockedFile, LockedPackage, PavedLockInputs, Pylock } from '../project/pylockModel.js';
import type { CoreMetadata } from '../standards/coreMetadata.js';
import { createMarkerAlgebra, DNF_TRUE, type Dnf, type MarkerAlgebra } from '../standards/markerAlgebra.js';
import { parseMarker } from '../standards/markers.js';
import { parseSpecifierSet } from '../standards/specifier.js';
import { redactUrl } from '../standards/urls.js';
import { wheelMarker } from '../standards/wheelEnvironments.js';
import { compareVersions, tryParseVersion, type Version } from '../standards/version.js';
import type { IndexClient, IndexFile } from './indexClient/indexClient.js';
import { createIndexPackageProvider, notFoundNote, type IndexPackageProvider } from './indexPackageProvider.js';
import { createSdistBuilder, type SdistBuildEvent, type SdistBuilder, type SdistBuildSettings } from './buildSdist.js';

/** What locking reports while it works. */
export type LockEvent =
  | UniversalEvent
  | { type: 'locked'; packages: number; forks: string[] }
  | { type: 'hashing'; filename: string }
  /**
   * These releases of `name` have no wheel (nor a buildable sdist) for a required environment
   * where the package is needed, so the lock is resolved again without them.
   */
  | { type: 'uncovered'; name: string; versions: string[]; environment: string }
  /** Learning an sdist-only release's metadata (`sdist-metadata` says from where). */
  | { type: 'build'; event: SdistBuildEvent };

/** How `lockProject` learns the metadata of releases that have only an sdist. */
export interface LockBuildSettings extends SdistBuildSettings {
  /** Where sdists, learned metadata and build environments are cached. */
  cacheDir: string;
  /** The interpreter the back-ends run on; default one found for the lock's requires-python (and `python`). */
  interpreter?: PythonInterpreter;
  /** A version prefix or interpreter path to look for when `interpreter` is absent. */
  python?: string;
}

/** Options of `lockProject`. */
export interface LockProjectOptions {
  inputs: PavedLockInputs;
  /** The project's own name (a group may name it to mean its extras), or null for a project without `[project]`. */
  projectName: string | null;
  /** Used when the project declares no Requires-Python (e.g. `>=3.11`, from the interpreter at hand). */
  defaultRequiresPython: string;
  defaultGroups: readonly string[];
  client: IndexClient;
  /** The lock being replaced: its pins are kept where they still fit. */
  previous?: Pylock | null;
  /** true: re-resolve everything; names: re-resolve those projects. */
  upgrade?: boolean | readonly string[];
  /** Lock sdist-only releases by learning their metadata (see the module comment); absent or `noBuild`: they are unavailable. */
  build?: LockBuildSettings;
  onEvent?: (event: LockEvent) => void;
}

const PLATFORM_OF: [RegExp, string][] = [
  [/^win/, 'win32'],
  [/^macosx/, 'darwin'],
  [/^(many|musl)?linux/, 'linux'],
];

/** The `sys_platform` a wheel's platform tag runs on, or null for `any` and unknown tags. */
function sysPlatformOf(platform: string): string | null {
  for (const [pattern, name] of PLATFORM_OF) if (pattern.test(platform)) return name;
  return null;
}

/**
 * Whether some tag of a wheel can serve a Python of the range and a platform where the entry
 * applies (the lock's environments and the package's marker); wheels only for older CPythons
 * (cp38 in a >=3.11 lock) or for platforms the entry leaves out would only make the lock longer.
 */
function wheelFitsLock(file: IndexFile, lowestMinor: number, platformPossible: (sysPlatform: string) => boolean): boolean {
  if (file.parsed.kind !== 'wheel') return true;
  return file.parsed.tags.some((tag) => {
    const platform = sysPlatformOf(tag.platform);
    if (platform !== null && !platformPossible(platform)) return false;
    const cp = /^cp3(\d+)$/.exec(tag.interpreter);
    if (cp !== null && tag.abi !== 'abi3' && tag.abi !== 'none') return Number(cp[1]) >= lowestMinor;
    return true;
  });
}

function lockedFile(file: IndexFile, sha256: string): LockedFile {
  const hashes: Record<string, string> = { sha256 };
  return { name: file.filename, url: file.url, path: null, uploadTime: file.uploadTime, size: file.size, hashes };
}

/** The sha256 of a file: the index's when it gave one, else computed by downloading it. */
async function sha256Of(client: IndexClient, file: IndexFile, emit: (event: LockEvent) => void): Promise<string> {
  if (file.sha256 !== null && /^[0-9a-f]{64}$/.test(file.sha256)) return file.sha256;
  emit({ type: 'hashing', filename: file.filename });
  const dir = await mkdtemp(join(tmpdir(), 'paved-lock-hash-'));
  try {
    return (await client.download(file, join(dir, 'file'), { expectedSha256: null })).sha256;
  } catch (error) {
    throw new PavedError('PAVED_E_NO_HASH', `${file.filename} has no sha256 on the index and could not be downloaded to compute one`, {
      hint: 'A lock records a hash for every file; make the file reachable, or use an index that publishes hashes.',
      cause: error,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The previous lock's pins with their markers: with several entries of a name (forks), each fork keeps the one that applies there. */
function previousPins(previous: Pylock | null | undefined): { name: string; version: Version; marker: string | null }[] {
  const pins: { name: string; version: Version; marker: string | null }[] = [];
  for (const pkg of previous?.packages ?? []) {
    const version = pkg.version === null ? null : tryParseVersion(pkg.version);
    if (version !== null) pins.push({ name: pkg.name, version, marker: pkg.marker });
  }
  return pins;
}

/**
 * The provider's `buildMetadata` callback, or undefined when building is off. The builder (and the
 * interpreter search) is made on first use, so a lock without sdist-only releases needs no Python.
 */
function metadataBuilder(options: LockProjectOptions, requiresPython: string, emit: (event: LockEvent) => void): ((sdist: IndexFile) => Promise<CoreMetadata>) | undefined {
  const build = options.build;
  if (build === undefined || build.noBuild === true) return undefined;
  let builder: Promise<SdistBuilder> | null = null;
  const make = async (): Promise<SdistBuilder> => {
    const interpreter =
      build.interpreter ??
      (await findInterpreter({ ...(build.python === undefined ? {} : { python: build.python }), requiresPython, inspect: { cacheDir: build.cacheDir } }));
    return createSdistBuilder({
      client: options.client,
      interpreter,
      cacheDir: build.cacheDir,
      ...(build.timeoutMs === undefined ? {} : { timeoutMs: build.timeoutMs }),
      ...(build.parents === undefined ? {} : { parents: build.parents }),
      onEvent: (event) => emit({ type: 'build', event }),
    });
  };
  return async (sdist) => {
    if (builder === null) {
      builder = make();
      builder.catch(() => {
        builder = null;
      });
    }
    return (await builder).metadata(sdist);
  };
}

/** Releases a lock leaves out for required environments: by package, by version, the environments it fails. */
type LeftOut = Map<string, Map<string, Set<string>>>;

/** One required environment, as written and as a set. */
interface RequiredEnvironment {
  text: string;
  dnf: Dnf;
}

/**
 * Whether a release may be locked for a required environment (`[tool.paved]
 * required-environments`): yes when the package is not needed there (its marker cannot hold
 * within it), when one of its wheels serves some part of it (`wheelMarker`), or when it has an
 * sdist and building is allowed (it can be built there).
 */
function coverageChecker(algebra: MarkerAlgebra, provider: IndexPackageProvider, buildAllowed: boolean): (name: string, version: Version, packageDnf: Dnf, environment: RequiredEnvironment) => Promise<boolean> {
  const wheelDnfs = new Map<string, Dnf>();
  const servedBy = (file: IndexFile): Dnf => {
    let d = wheelDnfs.get(file.filename);
    if (d === undefined) {
      const marker = file.parsed.kind === 'wheel' ? wheelMarker(file.parsed.tags) : null;
      d = marker === null ? DNF_TRUE : algebra.fromMarker(parseMarker(marker));
      wheelDnfs.set(file.filename, d);
    }
    return d;
  };
  return async (name, version, packageDnf, environment) => {
    const region = algebra.and(packageDnf, environment.dnf);
    if (!algebra.possible(region)) return true;
    const { files } = await provider.releaseFiles(name, version);
    const offered = files.length > 0 ? files : [await provider.bestSdist(name, version)].filter((f): f is IndexFile => f !== null);
    return offered.some((file) => (file.parsed.kind === 'wheel' ? algebra.possible(algebra.and(region, servedBy(file))) : buildAllowed));
  };
}

/**
 * One universal resolution of the lock's roots, without the releases in `leftOut`. When it has
 * no solution, the error also says which releases were not considered: sdist-only ones while
 * building is off, and those left out for a required environment.
 */
async function resolveForLock(
  provider: IndexPackageProvider,
  options: LockProjectOptions,
  requiresPython: string,
  environments: string[] | null,
  leftOut: LeftOut,
  emit: (event: LockEvent) => void,
): Promise<UniversalResolution> {
  const constraints = [...leftOut].map(([name, versions]) => `${name}${[...versions.keys()].map((v) => `!=${v}`).join(',')}`);
  try {
    return await resolveUniversal(lockRoots(options.inputs, options.projectName), provider, {
      requiresPython,
      environments,
      preferredEntries: previousPins(options.previous),
      ...(options.upgrade === undefined ? {} : { upgrade: options.upgrade }),
      ...(constraints.length === 0 ? {} : { constraints }),
      onEvent: emit,
    });
  } catch (error) {
    if (!isPavedError(error, 'PAVED_E_NO_SOLUTION')) throw error;
    const notes: string[] = [];
    const hints: string[] = [];
    const list = (items: string[]): string => `${items.slice(0, 12).join(', ')}${items.length > 12 ? `, and ${items.length - 12} more` : ''}`;
    const missing = notFoundNote(provider.notFound());
    if (missing !== null) {
      notes.push(missing.note.trimStart());
      hints.push(missing.hint);
    }
    const sdistOnly = provider.skipped().filter((s) => s.reason === 'sdist-only');
    if (sdistOnly.length > 0) {
      // Say which releases building would have made available.
      notes.push(`Not considered, because they are published only as sdists and building is off${options.build?.noBuild === true ? ' (--no-build)' : ''}: ${list(sdistOnly.map((s) => `${s.name} ${s.version}`))}.`);
      hints.push('Drop --no-build to lock these releases from their sdists, or publish wheels of them.');
    }
    if (leftOut.size > 0) {
      // By package, newest first, releases that fail the same environments together: `lib 2.1, 2.0 (sys_platform == "win32")`.
      const shown: string[] = [];
      for (const [name, versions] of leftOut) {
        const byEnvironments = new Map<string, string[]>();
        for (const [version, where] of [...versions].sort((a, b) => compareVersions(b[0], a[0]))) {
          const key = [...where].join('; ');
          byEnvironments.set(key, [...(byEnvironments.get(key) ?? []), version]);
        }
        for (const [where, failing] of byEnvironments) shown.push(`${name} ${failing.join(', ')} (${where})`);
      }
      notes.push(`Left out, because they have no wheel for a required environment ([tool.paved] required-environments): ${list(shown)}.`);
      hints.push('Publish wheels (or an sdist) for those environments, or take them out of required-environments.');
    }
    if (notes.length === 0) throw error;
    throw new PavedError('PAVED_E_NO_SOLUTION', `${error.message}\n${notes.join('\n')}`, {
      hint: hints.join(' '),
      details: { ...error.details, notFound: provider.notFound(), sdistOnly: sdistOnly.map((s) => ({ name: s.name, version: s.version })), leftOut: Object.fromEntries([...leftOut].map(([name, versions]) => [name, Object.fromEntries([...versions].map(([v, where]) => [v, [...where]]))])) },
      cause: error,
    });
  }
}

/** Resolves and builds the lock. Nothing is written; see `serializePylock`. */
export async function lockProject(options: LockProjectOptions): Promise<{ lock: Pylock; resolution: UniversalResolution }> {
  const emit = options.onEvent ?? ((): void => {});
  const inputs = options.inputs;
  const requiresPython = inputs.requiresPython ?? options.defaultRequiresPython;
  const environments = inputs.environments.length > 0 ? inputs.environments : null;
  const buildMetadata = metadataBuilder(options, requiresPython, emit);
  const provider = createIndexPackageProvider(options.client, { tags: null, ...(buildMetadata === undefined ? {} : { buildMetadata }) });
  const algebra = createMarkerAlgebra({ requiresPython: parseSpecifierSet(requiresPython), environments: environments === null ? null : environments.map((m) => parseMarker(m)) });
  const required: RequiredEnvironment[] = (inputs.requiredEnvironments ?? []).map((text) => ({ text, dnf: algebra.fromMarker(parseMarker(text)) }));
  for (const environment of required) {
    if (!algebra.possible(environment.dnf)) {
      throw new PavedError('PAVED_E_INVALID_PYPROJECT', `required-environments names ${JSON.stringify(environment.text)}, which this lock does not cover (requires-python ${requiresPython}${environments === null ? '' : `, environments ${environments.map((m) => JSON.stringify(m)).join(', ')}`})`, {
        hint: 'Name an environment inside requires-python and [tool.paved] environments, or widen those.',
      });
    }
  }
  const covers = coverageChecker(algebra, provider, buildMetadata !== undefined);
  // Releases left out for a required environment, by package, and the environments they fail.
  const leftOut: LeftOut = new Map();
  const leftOutCount = (): number => [...leftOut.values()].reduce((n, versions) => n + [...versions.values()].reduce((m, where) => m + where.size, 0), 0);
  let resolution: UniversalResolution;
  for (;;) {
    resolution = await resolveForLock(provider, options, requiresPython, environments, leftOut, emit);
    const before = leftOutCount();
    for (const pkg of resolution.packages) {
      const packageDnf = pkg.marker === null ? DNF_TRUE : algebra.fromMarker(parseMarker(pkg.marker));
      for (const environment of required) {
        if (await covers(pkg.name, pkg.version, packageDnf, environment)) continue;
        // This release fails there: leave out every release of the package that fails there too.
        const entry = leftOut.get(pkg.name) ?? new Map<string, Set<string>>();
        leftOut.set(pkg.name, entry);
        const added: string[] = [];
        for (const candidate of await provider.listVersions(pkg.name)) {
          const version = candidate.version.toString();
          if (entry.get(version)?.has(environment.text) === true || (await covers(pkg.name, candidate.version, packageDnf, environment))) continue;
          entry.set(version, (entry.get(version) ?? new Set<string>()).add(environment.text));
          added.push(version);
        }
        emit({ type: 'uncovered', name: pkg.name, versions: added, environment: environment.text });
      }
    }
    // Every pass leaves out at least the release that failed (for that environment), so this ends.
    if (leftOutCount() === before) break;
  }

  const onPlatform = new Map<string, Dnf>();
  const platformDnf = (sysPlatform: string): Dnf => {
    let d = onPlatform.get(sysPlatform);
    if (d === undefined) onPlatform.set(sysPlatform, (d = algebra.fromMarker(parseMarker(`sys_platform == "${sysPlatform}"`))));
    return d;
  };
  const platformPossible = (sysPlatform: string): boolean => algebra.possible(platformDnf(sysPlatform));
  let lowestMinor = 0;
  for (let m = 0; m <= 40; m++) {
    if (algebra.possible(algebra.fromMarker(parseMarker(`python_version == "3.${m}"`)))) {
      lowestMinor = m;
      break;
    }
  }

  const packages: LockedPackage[] = [];
  for (const pkg of resolution.packages) {
    // A wheel for a platform where the package's own marker never holds (a win32 wheel of an
    // entry for `sys_platform != "win32"`) could never be installed from this entry.
    const packageDnf = pkg.marker === null ? null : algebra.fromMarker(parseMarker(pkg.marker));
    const possibleHere = packageDnf === null ? platformPossible : (sysPlatform: string): boolean => algebra.possible(algebra.and(packageDnf, platformDnf(sysPlatform)));
    const release = await provider.releaseFiles(pkg.name, pkg.version);
    const index = release.index;
    // A release offered through its sdist alone has no wheel the provider kept: lock that sdist.
    const sdistOnly = release.files.length === 0 ? await provider.bestSdist(pkg.name, pkg.version) : null;
    const files = sdistOnly === null ? release.files : [sdistOnly];
    const wheels: LockedFile[] = [];
    let sdist: LockedFile | null = null;
    const sorted = [...files].sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
    for (const file of sorted) {
      if (file.yanked !== false && sorted.some((f) => f.yanked === false)) continue;
      if (file.parsed.kind === 'wheel') {
        if (!wheelFitsLock(file, lowestMinor, possibleHere)) continue;
        wheels.push(lockedFile(file, await sha256Of(options.client, file, emit)));
      } else if (sdist === null || (file.filename.endsWith('.tar.gz') && !(sdist.name ?? '').endsWith('.tar.gz'))) {
        sdist = lockedFile(file, await sha256Of(options.client, file, emit));
      }
    }
    const requiresPythonOfRelease = files.find((f) => f.requiresPython !== null)?.requiresPython ?? null;
    packages.push({
      name: pkg.name,
      version: pkg.version.toString(),
      marker: pkg.marker,
      requiresPython: requiresPythonOfRelease,
      index: index === null ? null : redactUrl(index),
      dependencies: pkg.dependencies,
      wheels,
      sdist,
      otherSource: null,
      tool: {},
    });
  }
  emit({ type: 'locked', packages: packages.length, forks: resolution.forks });

  const lock: Pylock = {
    lockVersion: '1.0',
    environments,
    requiresPython,
    extras: Object.keys(inputs.optionalDependencies).sort(),
    dependencyGroups: Object.keys(inputs.dependencyGroups).sort(),
    defaultGroups: [...options.defaultGroups].filter((g) => g in inputs.dependencyGroups).sort(),
    createdBy: 'paved',
    packages,
    pavedInputs: inputs,
    tool: {},
  };
  return { lock, resolution };
}
