/**
 * Makes a virtual environment hold exactly a given set of distributions: plans what to install,
 * upgrade, remove and keep from what is installed, then carries the plan out with bounded
 * parallelism. Every wheel is unpacked and checked before the environment is touched, and each
 * distribution is installed atomically (see `installWheel`), so a failure leaves every
 * distribution either fully installed or absent.
 */
import { PavedError } from '../errors.js';
import { normalizeName } from '../standards/names.js';
import { normalizeVersion } from '../standards/version.js';
import { createBytecodeCompiler } from './bytecodeCompiler.js';
import type { Venv } from './createVenv.js';
import { installWheel, uninstallDistInfo, type DirectUrl, type LinkMode } from './installWheel.js';
import { readInstalledDistributions, type InstalledDistribution } from './readInstalledDistributions.js';
import type { UnpackedWheel, WheelCache } from './wheelCache.js';
import { runBounded } from './runBounded.js';

/** One distribution the environment should hold. */
export interface WantedDistribution {
  name: string;
  version: string;
  /** The wheel file; optional when `sha256` names a wheel already in the cache. */
  wheelPath?: string;
  /** Expected sha256 (hex) of the wheel: verified, and enough on its own when cached. */
  sha256?: string;
  /** PEP 610 origin when the wheel came from a URL rather than an index. */
  directUrl?: DirectUrl;
  /** Mark as requested by the user (`REQUESTED`). */
  requested?: boolean;
}

/** What syncing will do to one distribution. */
export type SyncStep =
  | { action: 'install'; name: string; version: string; wanted: WantedDistribution }
  | { action: 'upgrade'; name: string; from: string; version: string; wanted: WantedDistribution }
  | { action: 'remove'; name: string; version: string; path: string }
  | { action: 'keep'; name: string; version: string };

/** The whole plan, steps sorted by name within each action. */
export interface SyncPlan {
  install: Extract<SyncStep, { action: 'install' }>[];
  upgrade: Extract<SyncStep, { action: 'upgrade' }>[];
  remove: Extract<SyncStep, { action: 'remove' }>[];
  keep: Extract<SyncStep, { action: 'keep' }>[];
}

/** Progress reported while syncing; the CLI's reporter renders these. */
export type SyncEvent =
  | { type: 'plan'; plan: SyncPlan }
  | { type: 'unpacked'; name: string; version: string; sha256: string }
  | { type: 'removed'; name: string; version: string; files: number }
  | { type: 'installed'; name: string; version: string; files: number; linked: number; upgradedFrom?: string }
  | { type: 'warning'; message: string };

/** Options for `syncVenv`. */
export interface SyncOptions {
  cache: WheelCache;
  /** Distributions worked on at once; default 8. */
  concurrency?: number;
  onEvent?: (event: SyncEvent) => void;
  compile?: boolean;
  linkMode?: LinkMode;
  /** Names never removed even when not wanted (e.g. `pip` in an environment made by `python -m venv`). */
  keep?: string[];
  /** Plan only. */
  dryRun?: boolean;
  /** Install these again even when the same version is installed (true: every wanted distribution). */
  reinstall?: boolean | readonly string[];
  /** What is installed, when the caller has read it since the environment last changed (else it is read here). */
  installed?: readonly InstalledDistribution[];
}

/** What a sync did. */
export interface SyncResult {
  plan: SyncPlan;
  installed: string[];
  upgraded: string[];
  removed: string[];
  kept: string[];
  /**
   * Every distribution the environment holds afterwards, with its requirements, known without
   * reading the environment again: what was there minus what was removed or replaced, plus what
   * was installed (its requirements from the wheel cache). Null on a dry run, and when a wheel
   * came from a cache entry too old to record its requirements.
   */
  environment: InstalledDistribution[] | null;
}

function sameVersion(a: string, b: string): boolean {
  try {
    return normalizeVersion(a) === normalizeVersion(b);
  } catch {
    return a === b;
  }
}

const byName = <T extends { name: string }>(a: T, b: T): number => (normalizeName(a.name) < normalizeName(b.name) ? -1 : normalizeName(a.name) > normalizeName(b.name) ? 1 : 0);

/**
 * Compares what is installed in `venv` with `wanted`. Throws `PAVED_E_DUPLICATE_DISTRIBUTION`
 * when `wanted` names a project twice.
 */
export async function planSync(venv: Venv, wanted: readonly WantedDistribution[], options: { keep?: string[]; reinstall?: boolean | readonly string[]; installed?: readonly InstalledDistribution[] } = {}): Promise<SyncPlan> {
  const wantedByName = new Map<string, WantedDistribution>();
  for (const w of wanted) {
    const key = normalizeName(w.name);
    if (wantedByName.has(key)) throw new PavedError('PAVED_E_DUPLICATE_DISTRIBUTION', `${w.name} is wanted twice`, { hint: 'Give each project once.' });
    wantedByName.set(key, w);
  }
  const installed = options.installed ?? (await readInstalledDistributions(venv.root)).distributions;
  const installedByName = new Map<string, { name: string; version: string; path: string }>();
  for (const d of installed) installedByName.set(normalizeName(d.name), d);
  const keepNames = new Set((options.keep ?? []).map(normalizeName));
  const reinstallNames = new Set(Array.isArray(options.reinstall) ? options.reinstall.map(normalizeName) : []);
  // A reinstall is planned as an upgrade to the same version: the old files go, the wheel's come.
  const reinstall = (key: string): boolean => options.reinstall === true || reinstallNames.has(key);
  const plan: SyncPlan = { install: [], upgrade: [], remove: [], keep: [] };
  for (const [key, w] of wantedByName) {
    const have = installedByName.get(key);
    if (have === undefined) plan.install.push({ action: 'install', name: w.name, version: w.version, wanted: w });
    else if (sameVersion(have.version, w.version) && !reinstall(key)) plan.keep.push({ action: 'keep', name: have.name, version: have.version });
    else plan.upgrade.push({ action: 'upgrade', name: w.name, from: have.version, version: w.version, wanted: w });
  }
  for (const [key, have] of installedByName) {
    if (wantedByName.has(key)) continue;
    if (keepNames.has(key)) plan.keep.push({ action: 'keep', name: have.name, version: have.version });
    else plan.remove.push({ action: 'remove', name: have.name, version: have.version, path: have.path });
  }
  plan.install.sort(byName);
  plan.upgrade.sort(byName);
  plan.remove.sort(byName);
  plan.keep.sort(byName);
  return plan;
}


async function unpackWanted(cache: WheelCache, w: WantedDistribution): Promise<UnpackedWheel> {
  let wheel: UnpackedWheel | null;
  if (w.wheelPath !== undefined) wheel = await cache.unpack(w.wheelPath, w.sha256 === undefined ? {} : { sha256: w.sha256 });
  else if (w.sha256 !== undefined) wheel = await cache.get(w.sha256.toLowerCase());
  else throw new PavedError('PAVED_E_NO_WHEEL', `${w.name} ${w.version} has neither a wheel file nor a sha256`, { hint: 'Download the wheel first.' });
  if (wheel === null) {
    throw new PavedError('PAVED_E_NOT_IN_CACHE', `the wheel of ${w.name} ${w.version} (sha256 ${w.sha256 ?? ''}) is not in the cache`, { hint: 'Download it first, or sync without --offline.' });
  }
  if (normalizeName(wheel.name) !== normalizeName(w.name) || !sameVersion(wheel.version, w.version)) {
    throw new PavedError('PAVED_E_WHEEL_MISMATCH', `the wheel given for ${w.name} ${w.version} is ${wheel.name} ${wheel.version}`, {
      hint: 'The lock and the downloaded file disagree; re-lock or download again.',
    });
  }
  return wheel;
}

/**
 * Makes `venv` hold exactly `wanted` (plus `options.keep`): installs what is missing, upgrades
 * (or downgrades) what differs, removes the rest. Wheels are all unpacked and verified first; a
 * bad wheel fails the sync before the environment changes.
 */
export async function syncVenv(venv: Venv, wanted: readonly WantedDistribution[], options: SyncOptions): Promise<SyncResult> {
  const emit = options.onEvent ?? ((): void => {});
  const concurrency = options.concurrency ?? 8;
  const before = options.installed ?? (await readInstalledDistributions(venv.root)).distributions;
  const plan = await planSync(venv, wanted, {
    ...(options.keep === undefined ? {} : { keep: options.keep }),
    ...(options.reinstall === undefined ? {} : { reinstall: options.reinstall }),
    installed: before,
  });
  emit({ type: 'plan', plan });
  const result: SyncResult = { plan, installed: [], upgraded: [], removed: [], kept: plan.keep.map((k) => k.name), environment: null };
  if (options.dryRun === true) return result;

  const toInstall = [...plan.install, ...plan.upgrade];
  const unpacked = new Map<string, UnpackedWheel>();
  const unpack = async (step: (typeof toInstall)[number]): Promise<UnpackedWheel> => {
    const wheel = await unpackWanted(options.cache, step.wanted);
    unpacked.set(normalizeName(step.name), wheel);
    emit({ type: 'unpacked', name: step.name, version: step.version, sha256: wheel.sha256 });
    return wheel;
  };
  // One set of compiling processes for every wheel (closed below, however the sync ends).
  const compiler = options.compile === true && toInstall.length > 0 ? createBytecodeCompiler(venv.python) : null;
  const placed: InstalledDistribution[] = [];
  const install = async (step: (typeof toInstall)[number], wheel: UnpackedWheel): Promise<void> => {
    const installed = await installWheel(venv, wheel, {
      ...(compiler === null ? {} : { compile: true, compiler }),
      ...(options.linkMode === undefined ? {} : { linkMode: options.linkMode }),
      ...(step.wanted.directUrl === undefined ? {} : { directUrl: step.wanted.directUrl }),
      ...(step.wanted.requested === undefined ? {} : { requested: step.wanted.requested }),
      // The plan read every installed .dist-info: a new project has none to replace.
      ...(step.action === 'install' ? { installedDistInfos: [] } : {}),
    });
    placed.push({ name: wheel.name, version: wheel.version, path: installed.distInfo, requiresDist: wheel.requiresDist ?? [] });
    if (step.action === 'upgrade') {
      result.upgraded.push(step.name);
      emit({ type: 'installed', name: step.name, version: step.version, files: installed.files.length, linked: installed.linked, upgradedFrom: step.from });
    } else {
      result.installed.push(step.name);
      emit({ type: 'installed', name: step.name, version: step.version, files: installed.files.length, linked: installed.linked });
    }
  };

  const removedPaths = new Set<string>();
  const removeAll = (): Promise<void> =>
    runBounded(plan.remove, concurrency, async (step) => {
      if (!step.path.endsWith('.dist-info')) {
        emit({ type: 'warning', message: `${step.name} ${step.version} was installed without a RECORD (${step.path}); left in place` });
        return;
      }
      const files = await uninstallDistInfo(venv, step.path);
      removedPaths.add(step.path);
      result.removed.push(step.name);
      emit({ type: 'removed', name: step.name, version: step.version, files: files.length });
    });

  try {
    await runBounded(toInstall, concurrency, async (step) => void (await unpack(step)));
    await removeAll();
    await runBounded(toInstall, concurrency, (step) => install(step, unpacked.get(normalizeName(step.name)) as UnpackedWheel));
  } finally {
    await compiler?.close();
  }
  result.installed.sort();
  result.upgraded.sort();
  result.removed.sort();
  if (toInstall.every((step) => unpacked.get(normalizeName(step.name))?.requiresDist !== undefined)) {
    // Installing a wheel replaced every .dist-info of its name (an .egg-info stays, as with pip).
    const replaced = new Set(toInstall.map((step) => normalizeName(step.name)));
    const left = before.filter((d) => !removedPaths.has(d.path) && !(d.path.endsWith('.dist-info') && replaced.has(normalizeName(d.name))));
    result.environment = [...left, ...placed];
  }
  return result;
}
