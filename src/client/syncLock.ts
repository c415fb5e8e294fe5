/**
 * `paved sync`: makes a virtual environment hold exactly what a PEP 751 lock selects for its
 * interpreter. Like `uv sync`, anything installed that the lock does not select is removed —
 * `pip` and `setuptools` included, unless the lock has them — so the environment is the lock
 * and nothing else (paved's own environments have no pip; use `python3 -m pip --python`).
 *
 * Order of work, so that a failure changes nothing: pick the interpreter, select the packages
 * and files, download every missing file and check it against the LOCK's sha256 (never the
 * index's), and only then create the environment (when missing) and sync it; `syncVenv` unpacks
 * and checks every wheel before it touches the environment.
 *
 * A package the lock serves here only by its sdist is built (see `buildSdist.ts`): the sdist is
 * fetched and checked against the lock's sha256 like any file, built through its PEP 517
 * back-end for the environment's interpreter, and the built wheel installed. Built wheels are
 * cached by the sdist's sha256 and the interpreter's tag, so a second environment builds nothing.
 * Builds run before the environment is created or changed, so a failed build changes nothing.
 *
 * Two syncs of one environment started together (two `paved sync`, or `paved run` in two
 * terminals) would both find it missing and both create it, or both install into it: all the
 * work, from reading what the environment holds to the last file installed, is done under an
 * inter-process lock on it (`<venv>.lock` beside it, see `directoryLock.ts`). The second sync
 * waits, then finds the environment current and changes nothing. A dry run takes no lock.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PavedError } from '../errors.js';
import type { IndexClient } from './indexClient/indexClient.js';
import { createSdistBuilder, type SdistBuildEvent, type SdistBuilder, type SdistBuildSettings } from './buildSdist.js';
import { fetchToCache } from './fetchToCache.js';
import { locateLockedFile, lockedSha256, verifiedAgainstLock } from './fetchLockedFile.js';
import { createVenv, openVenv, type Venv } from '../installer/createVenv.js';
import { acquireDirectoryLock, type DirectoryLockEvent, type DirectoryLockOptions } from '../installer/directoryLock.js';
import { findInterpreter, interpreterMismatch, pythonAdmits, type PythonInterpreter } from '../installer/interpreter.js';
import type { KnownEnvironment } from '../installer/checkEnvironment.js';
import { readInstalledDistributions } from '../installer/readInstalledDistributions.js';
import { runBounded } from '../installer/runBounded.js';
import { readDirectUrl } from '../installer/installWheel.js';
import { syncVenv, type SyncEvent, type SyncPlan, type WantedDistribution } from '../installer/syncVenv.js';
import { withInstallingWheelCache, type WheelCache } from '../installer/wheelCache.js';
import { writeAtomically } from '../installer/writeAtomically.js';
import { buildInputsDigest, DEFAULT_BUILD_INPUTS } from '../project/buildInputs.js';
import type { Pylock } from '../project/pylockModel.js';
import { selectPackagesForEnvironment, type SelectedPackage } from '../project/selectLockedPackages.js';
import { normalizeName } from '../standards/names.js';
import { parseRequirement } from '../standards/requirement.js';
import { tagToString } from '../standards/tags.js';
import { normalizeVersion } from '../standards/version.js';
import { parseWheelFilename } from '../standards/wheelFilename.js';

/** What syncing a lock reports while it works; the CLI's reporter renders these. */
export type SyncLockEvent =
  | { type: 'interpreter'; python: string; pythonVersion: string; venvExists: boolean }
  | { type: 'selected'; packages: number }
  /** `cached`: wheels already in the global cache or already installed at the locked version. */
  | { type: 'fetch-plan'; total: number; cached: number }
  | { type: 'fetched'; name: string; filename: string; bytes: number; done: number; total: number }
  | { type: 'venv-created'; path: string; python: string; pythonVersion: string }
  /** The existing environment runs another Python than the one wanted: it is made again (on a dry run: would be). */
  | { type: 'venv-replaced'; path: string; reason: string; python: string; pythonVersion: string; dryRun: boolean }
  /** Waiting for, breaking or taking the lock on the environment (another paved may be syncing it). */
  | { type: 'lock'; event: DirectoryLockEvent }
  | { type: 'sync'; event: SyncEvent }
  | { type: 'build'; event: SdistBuildEvent };

/** Options for `syncLock`. */
export interface SyncLockOptions {
  lock: Pylock;
  /** Directory of the lockfile (`path` entries are relative to it). */
  lockDir: string;
  venvDir: string;
  /** For a new environment: a version prefix or an interpreter path; wins over the lock's `requires-python` choice. */
  python?: string;
  /** Downloads go through it (credentials, proxies, find-links, offline, retries). */
  client: IndexClient;
  cacheDir: string;
  extras?: readonly string[];
  /** Default: the lock's `default-groups`. */
  groups?: readonly string[];
  /**
   * Look every file up by its name on `client`'s indexes and find-links instead of the lock's
   * URLs, accepting it only with the lock's sha256. Set it when the user names an index or
   * find-links folder to install from (the lock was made elsewhere) and when offline.
   */
  indexUrlOverride?: boolean;
  /** Plan only: nothing is downloaded, built, created or changed. */
  dryRun?: boolean;
  /** Building the sdists the lock selects where no wheel fits (on unless `noBuild`). */
  build?: SdistBuildSettings;
  /** Compile the installed `.py` files to bytecode. */
  compile?: boolean;
  /** Parallel downloads; default 16. */
  concurrency?: number;
  /** How long to wait for another process syncing the same environment, and when its lock counts as abandoned. */
  venvLock?: Pick<DirectoryLockOptions, 'timeoutMs' | 'staleMs'>;
  /**
   * The project itself, installed in editable mode (PEP 660) besides what the lock selects, as
   * uv and Poetry do for a project with a `[build-system]`. Its editable wheel is built (in an
   * isolated build environment from the same indexes) when it is not installed, was installed
   * some other way, or its build inputs changed since.
   */
  editableProject?: {
    dir: string;
    name: string;
    /** `[project] version`, or null when dynamic; shown by a dry run, which builds nothing. */
    version?: string | null;
    /** The build inputs, relative to `dir` (see `buildInputFiles`); default pyproject.toml, setup.py and setup.cfg. */
    inputs?: readonly string[];
  };
  onEvent?: (event: SyncLockEvent) => void;
}

/** What `syncLock` did (or, on a dry run, would do). */
export interface SyncLockResult {
  venv: string;
  python: string;
  /** The packages the lock selects here, with the file chosen for each. */
  selected: SelectedPackage[];
  plan: SyncPlan;
  /** Files downloaded (the rest were cached or already installed). */
  downloaded: number;
  dryRun: boolean;
  /** What the environment holds afterwards, for the environment check (see `SyncResult.environment`); not on a dry run. */
  environment?: KnownEnvironment;
}

function sameVersion(a: string, b: string): boolean {
  try {
    return normalizeVersion(a) === normalizeVersion(b);
  } catch {
    return a === b;
  }
}

/** Names the project asks for directly (pip's REQUESTED), when paved wrote the lock. */
function requestedNames(lock: Pylock): Set<string> {
  const names = new Set<string>();
  const inputs = lock.pavedInputs;
  if (inputs === null) return names;
  for (const text of [...inputs.dependencies, ...Object.values(inputs.optionalDependencies).flat(), ...Object.values(inputs.dependencyGroups).flat()]) {
    try {
      names.add(normalizeName(parseRequirement(text).name));
    } catch {
      // An input that does not parse marks nothing; the lock itself was validated.
    }
  }
  return names;
}

/** A plan for an environment that does not exist yet: everything is installed. */
function planForNewVenv(wanted: WantedDistribution[]): SyncPlan {
  return { install: wanted.map((w) => ({ action: 'install', name: w.name, version: w.version, wanted: w })), upgrade: [], remove: [], keep: [] };
}

/**
 * Makes the environment at `venvDir` match `lock` for its interpreter (creating it when
 * missing). Throws, with nothing changed: `PAVED_E_LOCK_NOT_FOR_ENVIRONMENT`,
 * `PAVED_E_UNKNOWN_EXTRA` / `PAVED_E_UNKNOWN_GROUP`, `PAVED_E_NO_WHEEL` (a package only an sdist
 * serves while `build.noBuild`), the build errors of `buildSdist.ts`, `PAVED_E_HASH_REQUIRED`, `PAVED_E_HASH_MISMATCH` (bytes
 * or an index's file differ from the lock), `PAVED_E_FILE_NOT_FOUND` (by-filename lookup), the
 * client's network errors, the wheel cache's refusals of hostile wheels, and
 * `PAVED_E_LOCK_TIMEOUT` / `PAVED_E_LOCK_FAILED` when another process syncs the environment for
 * longer than the lock's wait limit or the lock file cannot be made.
 */
export async function syncLock(options: SyncLockOptions): Promise<SyncLockResult> {
  const sync = (): Promise<SyncLockResult> => withInstallingWheelCache(resolvePath(options.cacheDir), (cache) => syncWithCache(options, cache));
  if (options.dryRun === true) return sync();
  const venvDir = resolvePath(options.venvDir);
  const lock = await acquireDirectoryLock(venvDir, {
    ...options.venvLock,
    description: `the environment ${venvDir}`,
    onEvent: (event) => options.onEvent?.({ type: 'lock', event }),
  });
  try {
    return await sync();
  } finally {
    await lock.release();
  }
}

/** 0: the lock installs on `interpreter` from wheels alone; 1: only by building sdists; 2: not at all. */
function lockFitness(lock: Pylock, interpreter: PythonInterpreter, options: Pick<SyncLockOptions, 'extras' | 'groups' | 'build'>): number {
  try {
    const selected = selectPackagesForEnvironment(lock, {
      environment: interpreter.markerEnvironment,
      tags: interpreter.tags,
      pythonVersion: interpreter.version,
      ...(options.extras === undefined ? {} : { extras: options.extras }),
      ...(options.groups === undefined ? {} : { dependencyGroups: options.groups }),
    });
    if (selected.every((s) => s.kind === 'wheel')) return 0;
    return options.build?.noBuild === true ? 2 : 1;
  } catch {
    return 2;
  }
}

async function syncWithCache(options: SyncLockOptions, cache: WheelCache): Promise<SyncLockResult> {
  const emit = options.onEvent ?? ((): void => {});
  const cacheDir = resolvePath(options.cacheDir);
  const venvDir = resolvePath(options.venvDir);
  const dryRun = options.dryRun ?? false;

  let venv: Venv | null = null;
  let interpreter: PythonInterpreter | null = null;
  /** Why the existing environment is made again (another Python was asked for, or the lock no longer admits its Python), or null. */
  let replacing: string | null = null;
  if (existsSync(join(venvDir, 'pyvenv.cfg'))) {
    const existing = await openVenv(venvDir, { cacheDir });
    replacing = options.python === undefined ? null : await interpreterMismatch(existing.interpreter, options.python, { cacheDir });
    if (replacing === null && !pythonAdmits(options.lock.requiresPython, existing.interpreter)) {
      replacing = `its Python ${existing.interpreter.version} is outside the lock's requires-python ${options.lock.requiresPython}`;
    }
    if (replacing === null) {
      venv = existing;
      interpreter = existing.interpreter;
    }
  }
  if (interpreter === null) {
    interpreter = await findInterpreter({
      ...(options.python === undefined ? {} : { python: options.python }),
      // An explicit --python is checked against requires-python by the selection below, with the lock's own message.
      ...(options.python === undefined && options.lock.requiresPython !== null ? { requiresPython: options.lock.requiresPython } : {}),
      // The newest Python the lock installs on with wheels alone, else with builds, else the newest:
      // a lock made on an index with wheels for some Pythons only still syncs when one of those is here.
      rank: (candidate) => lockFitness(options.lock, candidate, options),
      inspect: { cacheDir },
    });
  }
  emit({ type: 'interpreter', python: interpreter.path, pythonVersion: interpreter.version, venvExists: venv !== null });
  if (replacing !== null) emit({ type: 'venv-replaced', path: venvDir, reason: replacing, python: interpreter.path, pythonVersion: interpreter.version, dryRun });

  const selected = selectPackagesForEnvironment(options.lock, {
    environment: interpreter.markerEnvironment,
    tags: interpreter.tags,
    pythonVersion: interpreter.version,
    ...(options.extras === undefined ? {} : { extras: options.extras }),
    ...(options.groups === undefined ? {} : { dependencyGroups: options.groups }),
  });
  const sdistOnly = selected.find((s) => s.kind === 'sdist');
  if (sdistOnly !== undefined && options.build?.noBuild === true) {
    const best = interpreter.tags[0] === undefined ? 'none' : tagToString(interpreter.tags[0]);
    throw new PavedError('PAVED_E_NO_WHEEL', `${sdistOnly.package.name} ${sdistOnly.package.version ?? ''} has no wheel in the lock for this interpreter (Python ${interpreter.version}, best tag ${best}), only the sdist ${sdistOnly.filename}, and --no-build forbids building it`, {
      hint: 'Drop --no-build to build the sdist, or lock on an index that has wheels for this platform.',
      details: { package: sdistOnly.package.name, version: sdistOnly.package.version, bestTag: best },
    });
  }
  for (const s of selected) lockedSha256(s);
  emit({ type: 'selected', packages: selected.length });

  const installed = venv === null ? [] : (await readInstalledDistributions(venv.root)).distributions;
  const installedVersions = new Map(installed.map((d) => [normalizeName(d.name), d.version]));
  const requested = requestedNames(options.lock);
  const wanted = new Map<string, WantedDistribution>();
  const toFetch: SelectedPackage[] = [];
  // Which locked wheels are unpacked in the cache already, asked all at once.
  const inCache = new Set<string>();
  await Promise.all(selected.map(async (s) => ((await cache.get(lockedSha256(s))) !== null ? inCache.add(lockedSha256(s)) : undefined)));
  for (const s of selected) {
    const sha256 = lockedSha256(s);
    const base: WantedDistribution = { name: s.package.name, version: s.package.version as string, requested: requested.has(s.package.name) };
    const have = installedVersions.get(s.package.name);
    if (have !== undefined && sameVersion(have, base.version)) wanted.set(s.package.name, base);
    else if (inCache.has(sha256)) wanted.set(s.package.name, { ...base, sha256 });
    else {
      wanted.set(s.package.name, { ...base, sha256 });
      toFetch.push(s);
    }
  }
  emit({ type: 'fetch-plan', total: selected.length, cached: selected.length - toFetch.length });

  // The project itself: kept while its editable install is current, else rebuilt below.
  const project = options.editableProject === undefined ? null : { ...options.editableProject, name: normalizeName(options.editableProject.name), dir: resolvePath(options.editableProject.dir) };
  let projectStamp: string | null = null;
  if (project !== null) {
    if (wanted.has(project.name)) {
      throw new PavedError('PAVED_E_INVALID_PYPROJECT', `the lock selects a package named ${project.name}, the project's own name`, {
        hint: 'A project cannot depend on itself; rename it or remove the requirement, then lock again.',
      });
    }
    projectStamp = await buildInputsDigest(project.dir, project.inputs ?? DEFAULT_BUILD_INPUTS);
    const have = installed.find((d) => normalizeName(d.name) === project.name);
    if (have !== undefined && venv !== null && (await isCurrentEditable(venv.root, have.path, project, projectStamp))) {
      wanted.set(project.name, { name: project.name, version: have.version, requested: true });
      projectStamp = null;
    } else if (dryRun) {
      // Not built on a dry run: planned at the version pyproject.toml states (a dynamic one shows as such).
      wanted.set(project.name, { name: project.name, version: project.version ?? '(dynamic)', requested: true });
    }
  }

  if (dryRun) {
    // A stale editable install is planned as a reinstall, even at the same version.
    const rebuild = project !== null && projectStamp !== null ? { reinstall: [project.name] } : {};
    const plan = venv === null ? planForNewVenv([...wanted.values()]) : (await syncVenv(venv, [...wanted.values()], { cache, keep: [], dryRun: true, installed, ...rebuild })).plan;
    return { venv: venvDir, python: interpreter.version, selected, plan, downloaded: 0, dryRun };
  }

  // Locate everything first: a by-filename lookup that fails should fail before any download.
  const sources = new Map<string, Awaited<ReturnType<typeof locateLockedFile>>>();
  for (const s of toFetch) {
    sources.set(s.package.name, await locateLockedFile(s, { client: options.client, lockDir: options.lockDir, byFilename: options.indexUrlOverride ?? false }));
  }
  // Made when something needs building: a locked sdist, or the project's editable wheel.
  let made: SdistBuilder | null = null;
  const builder = (): SdistBuilder =>
    (made ??= createSdistBuilder({
      client: options.client,
      interpreter,
      cacheDir,
      ...(options.build?.timeoutMs === undefined ? {} : { timeoutMs: options.build.timeoutMs }),
      onEvent: (event) => emit({ type: 'build', event }),
    }));
  let done = selected.length - toFetch.length;
  await runBounded(toFetch, options.concurrency ?? 16, async (s) => {
    const sha256 = lockedSha256(s);
    const file = sources.get(s.package.name);
    if (file === undefined) throw new Error(`no source for ${s.package.name}`);
    // An sdist is checked against the lock's sha256 as it is fetched, then built; the wheel is what gets installed.
    const fetched =
      s.kind === 'sdist'
        ? await verifiedAgainstLock(s, () => builder().wheel({ ...file, sha256, hashes: { sha256 } }, { allowedSha256: [sha256] }))
        : await verifiedAgainstLock(s, () => fetchToCache(options.client, file, { cacheDir, sha256 }));
    wanted.set(s.package.name, { ...(wanted.get(s.package.name) as WantedDistribution), wheelPath: fetched.path, sha256: fetched.sha256 });
    done++;
    emit({ type: 'fetched', name: s.package.name, filename: s.filename, bytes: fetched.size, done, total: selected.length });
    // Unpacked while the other downloads go on (the sync below finds it in the cache).
    await cache.unpack(fetched.path, { sha256: fetched.sha256 });
  });

  let editableWheel: string | null = null;
  try {
    if (project !== null && projectStamp !== null) {
      const built = await builder().editable(project.dir, project.name);
      editableWheel = built.path;
      wanted.set(project.name, {
        name: project.name,
        version: parseWheelFilename(basename(built.path)).version,
        wheelPath: built.path,
        sha256: built.sha256,
        requested: true,
        directUrl: { url: pathToFileURL(project.dir).href, dir_info: { editable: true } },
      });
    }

    let created = false;
    if (venv === null) {
      // Made only now, so a failed download or build leaves no empty environment behind.
      // An environment of the wrong Python is replaced only now, when everything it needs is at hand.
      venv = await createVenv(venvDir, interpreter, { clear: replacing !== null });
      created = true;
      emit({ type: 'venv-created', path: venv.root, python: interpreter.path, pythonVersion: interpreter.version });
    }
    const result = await syncVenv(venv, [...wanted.values()], {
      cache,
      keep: [],
      // Read before downloading (nothing for a new environment); downloading changed nothing in it.
      installed,
      // A rebuilt editable install replaces the old one even at the same version.
      ...(project !== null && editableWheel !== null ? { reinstall: [project.name] } : {}),
      ...(options.compile === undefined ? {} : { compile: options.compile }),
      onEvent: (event) => emit({ type: 'sync', event }),
    }).catch(async (error: unknown) => {
      // An environment made for this sync goes with it: a failed sync leaves no half-filled venv.
      if (created) await rm(venvDir, { recursive: true, force: true });
      throw error;
    });
    if (project !== null && projectStamp !== null) await writeEditableState(venv.root, project, projectStamp);
    return {
      venv: venv.root,
      python: interpreter.version,
      selected,
      plan: result.plan,
      downloaded: toFetch.length,
      dryRun,
      ...(result.environment === null ? {} : { environment: { distributions: result.environment, markerEnvironment: venv.interpreter.markerEnvironment } }),
    };
  } finally {
    if (editableWheel !== null) await rm(dirname(editableWheel), { recursive: true, force: true });
  }
}

/** Where a venv remembers which build inputs its editable project install was built from. */
const EDITABLE_STATE = '.paved-editable.json';
/** True when the installed distribution at `distInfo` is this project's editable install, built from today's inputs. */
async function isCurrentEditable(venvRoot: string, distInfo: string, project: { dir: string; name: string }, stamp: string): Promise<boolean> {
  try {
    const state = JSON.parse(await readFile(join(venvRoot, EDITABLE_STATE), 'utf8')) as { name?: unknown; dir?: unknown; stamp?: unknown };
    if (state.name !== project.name || state.dir !== project.dir || state.stamp !== stamp) return false;
    const origin = await readDirectUrl(distInfo);
    return origin?.url === pathToFileURL(project.dir).href && origin.dir_info?.editable === true;
  } catch {
    return false;
  }
}

function writeEditableState(venvRoot: string, project: { dir: string; name: string }, stamp: string): Promise<void> {
  return writeAtomically(join(venvRoot, EDITABLE_STATE), `${JSON.stringify({ name: project.name, dir: project.dir, stamp })}\n`);
}

