/**
 * The pip-style install: requirement lines in, a virtual environment that satisfies them out.
 * Resolves for the environment's own interpreter (its markers, its version, its wheel tags),
 * picks the best wheel of each resolved release, fetches the wheels that are not already in the
 * global cache (in parallel, verified by sha256), and syncs the environment while keeping every
 * distribution that is not part of the resolution, as `pip install` never removes unrelated
 * packages. What is installed already is preferred, so nothing is upgraded without need.
 *
 * Direct wheel references (`name @ URL`, a bare wheel path) become fixed candidates whose own
 * metadata gives their dependencies (see `directWheel.ts`); they are installed with PEP 610
 * `direct_url.json`.
 *
 * The same resolve-and-pick step serves `paved download` (see `resolveWheels`).
 * Error codes: PAVED_E_NO_SOLUTION (with a note on releases skipped for lack of a wheel),
 * PAVED_E_HASH_REQUIRED, PAVED_E_HASH_MISMATCH, PAVED_E_NO_WHEEL, and whatever the index client,
 * interpreter discovery and `syncVenv` throw.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PavedError, isPavedError } from '../errors.js';
import type { DownloadResult, IndexClient, IndexFile } from './indexClient/indexClient.js';
import { createIndexPackageProvider, notFoundNote, type SkippedRelease } from './indexPackageProvider.js';
import { sdistBuilderFor, type SdistBuildEvent, type SdistBuilder, type SdistBuildSettings } from './buildSdist.js';
import { fetchDirectWheel, parseDirectRequirement, type DirectRequirement, type DirectWheel } from './directWheel.js';
import { buildInstallationReport, type InstallationReport } from './installationReport.js';
import type { EditableTarget } from './readInstallRequirements.js';
import { resolve, type PrereleasePolicy, type Resolution, type ResolverEvent } from '../resolver/resolve.js';
import { withPinnedCandidates, type PinnedCandidate } from '../resolver/pinnedCandidates.js';
import { splitKey } from '../resolver/packageKey.js';
import type { PackageProvider } from '../resolver/provider.js';
import { evaluateMarker } from '../standards/markers.js';
import { normalizeName } from '../standards/names.js';
import { parseRequirement } from '../standards/requirement.js';
import { parseVersion, type Version } from '../standards/version.js';
import { parseWheelFilename } from '../standards/wheelFilename.js';
import { createVenv, openVenv, type Venv } from '../installer/createVenv.js';
import { findInterpreter, interpreterMismatch, type PythonInterpreter } from '../installer/interpreter.js';
import { readInstalledDistributions } from '../installer/readInstalledDistributions.js';
import type { KnownEnvironment } from '../installer/checkEnvironment.js';
import { planSync, syncVenv, type SyncEvent, type SyncPlan, type WantedDistribution } from '../installer/syncVenv.js';
import { readDirectUrl, type DirectUrl } from '../installer/installWheel.js';
import { withInstallingWheelCache, type WheelCache } from '../installer/wheelCache.js';
import { createLimiter, runBounded } from '../installer/runBounded.js';
import { archivePathFor } from './fetchToCache.js';
import { recallResolution, recordingClient, rememberResolution, resolutionMemoKey } from './resolutionMemo.js';

/** One requirement line: PEP 508 text plus the `--hash` options that came with it. */
export interface InstallRequirement {
  requirement: string;
  /** `sha256:<hex>` values (another algorithm is refused, see `sha256sOf`). */
  hashes?: string[];
  /** Set when `requirement` is the path of an editable wheel built from this project folder (PEP 660): it is installed with that folder as its PEP 610 origin. */
  editable?: string;
}

/** What installing reports while it works; the CLI's reporter renders these. */
export type InstallEvent =
  | { type: 'venv-created'; path: string; python: string; pythonVersion: string }
  | { type: 'resolving'; requirements: number }
  | { type: 'resolver'; event: ResolverEvent }
  /** `reusedPages`: the last resolution of the same inputs was reused, every one of the project pages it read unchanged. */
  | { type: 'resolved'; packages: number; skipped: SkippedRelease[]; reusedPages?: number }
  | { type: 'fetch-plan'; total: number; cached: number }
  | { type: 'fetched'; name: string; filename: string; bytes: number; done: number; total: number }
  /** A yanked release was chosen (only an exact pin selects one, PEP 592): said, as pip says it. */
  | { type: 'yanked'; name: string; version: string; reason: string | null }
  | { type: 'sync'; event: SyncEvent }
  | { type: 'build'; event: SdistBuildEvent };

/** One resolved release and the wheel chosen for it. */
export interface ResolvedWheel {
  name: string;
  version: string;
  file: IndexFile;
  /** True when a root requirement names it (pip's REQUESTED). */
  requested: boolean;
  /** The sha256 the wheel must have: the requirement's pinned hashes, else the index's. */
  allowedSha256: string[];
  /** Set for a wheel named by URL or path: the local file (already verified) and its PEP 610 origin. */
  direct?: { path: string; directUrl: DirectUrl };
}

/** Options shared by every command that resolves wheels for an interpreter. */
export interface ResolveWheelsOptions {
  requirements: readonly InstallRequirement[];
  /** `-c` lines. */
  constraints?: readonly string[];
  client: IndexClient;
  interpreter: PythonInterpreter;
  /** Installed versions to keep when they still fit. */
  preferred?: ReadonlyMap<string, Version>;
  /** Every requirement must pin `==` with a sha256, and the whole closure must be listed (pip's `--require-hashes`). */
  requireHashes?: boolean;
  /** true: ignore every preferred version; a list: ignore them for these projects. */
  upgrade?: boolean | readonly string[];
  /** Resolve the requirements themselves only, none of their dependencies (pip's `--no-deps`). */
  noDeps?: boolean;
  /** When pre-releases are candidates; default PEP 440's (only when named or nothing else fits). pip's `--pre` is `allow`. */
  prereleases?: PrereleasePolicy;
  /** Where wheels named by http(s) URL are downloaded (`<cacheDir>/archives-v1`); default a folder under the system's temporary directory. */
  cacheDir?: string;
  /** Relative wheel paths are read from here; default the working directory. */
  baseDir?: string;
  /** Builds sdists of releases without a fitting wheel (see `buildSdist.ts`); none: such releases are skipped. */
  builder?: SdistBuilder;
  onEvent?: (event: InstallEvent) => void;
  /**
   * Told, while the resolver still works, the wheel of each release it decides on (index wheels
   * with a sha256 the requirements allow), so a caller can fetch it early. A later backtrack can
   * leave such a wheel unused.
   */
  onDecidedWheel?: (name: string, version: Version, file: IndexFile & { sha256: string }) => void;
  /**
   * Reuse the last resolution of the same inputs when every project page it read is unchanged
   * (see `resolutionMemo.ts`); default true when `cacheDir` is given. Off, every resolution is
   * made in full (and `--verbose` can explain its decisions).
   */
  memo?: boolean;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Wheels fetched at once while the resolver works: enough to keep the unpacking workers busy, few enough to leave the resolver connections. */
const EARLY_FETCHES = 4;

/**
 * The sha256 digests among `--hash` values. Another algorithm (pip also takes sha384 and sha512)
 * is refused rather than left unchecked: `PAVED_E_INVALID_REQUIREMENTS`.
 */
function sha256sOf(hashes: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const h of hashes ?? []) {
    const m = /^sha256[:=]([0-9a-fA-F]{64})$/.exec(h.trim());
    if (m !== null) out.push((m[1] as string).toLowerCase());
    else {
      throw new PavedError('PAVED_E_INVALID_REQUIREMENTS', `--hash=${h.trim().slice(0, 80)} is not a sha256 digest; paved checks files by sha256 only and will not leave a hash unchecked`, {
        hint: 'Give the sha256 of each file (paved export, pip-compile --generate-hashes and uv export all write sha256).',
      });
    }
  }
  return out;
}

/** Checks `--require-hashes` rules on the roots and returns the allowed sha256 values by project. */
function hashesByProject(requirements: readonly InstallRequirement[], requireHashes: boolean): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const r of requirements) {
    const parsed = parseRequirement(r.requirement);
    const name = normalizeName(parsed.name);
    const hashes = sha256sOf(r.hashes);
    if (requireHashes) {
      // A wheel named by URL is one exact file, so it is pinned as much as `==` can pin.
      const pinned = parsed.url !== null || parsed.specifier.specifiers.some((s) => (s.operator === '==' && !s.hasWildcard) || s.operator === '===');
      if (!pinned) {
        throw new PavedError('PAVED_E_HASH_REQUIRED', `${r.requirement} is not pinned with ==, which --require-hashes needs`, {
          hint: 'Pin every requirement exactly (name==version --hash=sha256:…), e.g. with `paved export --format requirements`.',
        });
      }
      if (hashes.length === 0) {
        throw new PavedError('PAVED_E_HASH_REQUIRED', `${r.requirement} has no --hash=sha256:…, which --require-hashes needs`, {
          hint: 'Add the sha256 of the wheel to install to the requirement line.',
        });
      }
    }
    if (hashes.length > 0) byName.set(name, [...(byName.get(name) ?? []), ...hashes]);
  }
  return byName;
}

function skippedNote(skipped: readonly SkippedRelease[]): string {
  if (skipped.length === 0) return '';
  const shown = skipped.slice(0, 12).map((s) => `${s.name} ${s.version} (${s.reason === 'sdist-only' ? 'sdist only' : 'no wheel for this interpreter'})`);
  const more = skipped.length > shown.length ? `, and ${skipped.length - shown.length} more` : '';
  return `\nNot considered, because they have no wheel this interpreter can use (and no sdist, or building sdists is off): ${shown.join(', ')}${more}.`;
}

/** Requirements with bare wheel paths rewritten as `name @ file:///…`, and the direct ones by project. */
interface PreparedRequirements {
  requirements: InstallRequirement[];
  direct: Map<string, { requirement: DirectRequirement; hashes: string[]; editable?: string }>;
}

/**
 * Recognises direct wheel references among `requirements`. A `#sha256=` fragment counts as a
 * pinned hash. Throws `PAVED_E_URL_REQUIREMENT` when one project is named by two different URLs.
 */
function prepareRequirements(requirements: readonly InstallRequirement[], baseDir: string): PreparedRequirements {
  const out: PreparedRequirements = { requirements: [], direct: new Map() };
  for (const r of requirements) {
    const direct = parseDirectRequirement(r.requirement, baseDir);
    if (direct === null) {
      out.requirements.push(r);
      continue;
    }
    const hashes = [...(r.hashes ?? []), ...(direct.fragmentSha256 === null ? [] : [`sha256:${direct.fragmentSha256}`])];
    out.requirements.push({ requirement: direct.text, hashes });
    const seen = out.direct.get(direct.name);
    if (seen !== undefined && seen.requirement.url !== direct.url) {
      throw new PavedError('PAVED_E_URL_REQUIREMENT', `${direct.name} is required from two different files: ${seen.requirement.url} and ${direct.url}`, {
        hint: 'Name each project by one URL or path only.',
      });
    }
    out.direct.set(direct.name, { requirement: direct, hashes: [...(seen?.hashes ?? []), ...sha256sOf(hashes)], ...(r.editable === undefined ? {} : { editable: r.editable }) });
  }
  return out;
}

/** The root line the resolver sees for a requirement: a direct one becomes an exact pin of its wheel's version. */
function rootLine(requirement: string, directWheels: ReadonlyMap<string, DirectWheel>): string {
  const parsed = parseRequirement(requirement);
  if (parsed.url === null) return requirement;
  const wheel = directWheels.get(normalizeName(parsed.name));
  const direct = wheel?.requirement;
  if (wheel === undefined || direct === undefined) return requirement;
  return `${direct.name}${direct.extras.length > 0 ? `[${direct.extras.join(',')}]` : ''}==${wheel.version}${direct.marker === null ? '' : ` ; ${direct.marker}`}`;
}

/**
 * Resolves `requirements` for `interpreter` and picks the wheel of each resolved release.
 * Direct wheel references are fetched first and take part as fixed candidates.
 * Throws `PAVED_E_NO_SOLUTION` with the resolver's derivation (plus the releases skipped for
 * lack of a usable wheel), `PAVED_E_HASH_REQUIRED` / `PAVED_E_HASH_MISMATCH` under
 * `requireHashes`, and what `fetchDirectWheel` throws.
 */
export async function resolveWheels(options: ResolveWheelsOptions): Promise<ResolvedWheels> {
  const emit = options.onEvent ?? ((): void => {});
  const requireHashes = options.requireHashes ?? false;
  const prepared = prepareRequirements(options.requirements, options.baseDir ?? process.cwd());
  const pinnedHashes = hashesByProject(prepared.requirements, requireHashes);

  // Requirements that name a wheel by path or URL are read afresh each time: no memo for them.
  const memo = options.memo !== false && options.cacheDir !== undefined && prepared.direct.size === 0 ? { dir: options.cacheDir, key: resolutionMemoKey(memoInputs(options)) } : null;
  if (memo !== null) {
    const recalled = await recallResolution<{ skipped: SkippedRelease[] }>(memo.dir, memo.key, options.client);
    if (recalled !== null) {
      emit({ type: 'resolving', requirements: prepared.requirements.length });
      const wheels: ResolvedWheel[] = recalled.wheels.map((w) => ({ name: w.name, version: w.version, file: w.file, requested: w.requested, allowedSha256: w.allowedSha256 }));
      return finishResolution(wheels, recalled.extra.skipped, emit, recalled.pages);
    }
  }
  const recording = memo === null ? null : recordingClient(options.client);
  const client = recording?.client ?? options.client;
  const indexProvider = createIndexPackageProvider(client, { tags: options.interpreter.tags, ...(options.builder === undefined ? {} : { buildMetadata: options.builder.metadata }) });

  const directWheels = new Map<string, DirectWheel>();
  // URL requirements whose marker is false here (`torch @ https://…linux.whl ; sys_platform == "linux"`
  // on a Mac): never fetched, and left out of the resolution, as pip ignores them.
  const notHere = new Set<string>();
  const directCache = options.cacheDir ?? join(tmpdir(), 'paved-direct-wheels');
  await Promise.all(
    [...prepared.direct.values()].map(async ({ requirement, hashes, editable }) => {
      const marker = requirement.marker === null ? null : parseRequirement(requirement.text).marker;
      if (marker !== null && !evaluateMarker(marker, options.interpreter.markerEnvironment)) {
        notHere.add(requirement.text);
        return;
      }
      const wheel = await fetchDirectWheel(requirement, { client: options.client, cacheDir: directCache, tags: options.interpreter.tags, hashes });
      // An editable wheel's origin is its project folder, as pip records `pip install -e`.
      directWheels.set(requirement.name, editable === undefined ? wheel : { ...wheel, directUrl: { url: pathToFileURL(editable).href, dir_info: { editable: true } } });
    }),
  );
  const pins = new Map<string, PinnedCandidate>();
  for (const [name, wheel] of directWheels) pins.set(name, { version: parseVersion(wheel.version), requiresPython: wheel.requiresPython, dependencies: wheel.requiresDist });
  const pinned = withPinnedCandidates(indexProvider, pins);
  // --no-deps: every release depends on nothing, so only the requirements themselves are chosen.
  const provider: PackageProvider = options.noDeps === true ? { listVersions: (name) => pinned.listVersions(name), getDependencies: async () => [] } : pinned;

  const told = new Set<string>();
  const tellDecidedWheel = (key: string, version: Version): void => {
    const name = splitKey(key).name;
    const id = `${name} ${version.toString()}`;
    if (directWheels.has(name) || told.has(id)) return;
    told.add(id);
    indexProvider.bestWheel(name, version, pinnedHashes.get(name)).then(
      (file) => {
        const pinned = pinnedHashes.get(name);
        if (file === null || file.sha256 === null || !SHA256_HEX.test(file.sha256) || (pinned !== undefined && !pinned.includes(file.sha256))) return;
        options.onDecidedWheel?.(name, version, { ...file, sha256: file.sha256 });
      },
      // The resolver meets the same failure itself and reports it.
      () => {},
    );
  };

  emit({ type: 'resolving', requirements: prepared.requirements.length });
  let resolution: Resolution;
  try {
    resolution = await resolve(
      prepared.requirements.filter((r) => !notHere.has(r.requirement)).map((r) => rootLine(r.requirement, directWheels)),
      provider,
      {
        environment: options.interpreter.markerEnvironment,
        pythonVersion: options.interpreter.version,
        ...(options.constraints === undefined ? {} : { constraints: options.constraints }),
        ...(options.preferred === undefined ? {} : { preferred: options.preferred }),
        ...(options.upgrade === undefined ? {} : { upgrade: options.upgrade }),
        ...(options.prereleases === undefined ? {} : { prereleases: options.prereleases }),
        onEvent: (event) => {
          if (event.type === 'decision' && options.onDecidedWheel !== undefined) tellDecidedWheel(event.package, event.version);
          emit({ type: 'resolver', event });
        },
      },
    );
  } catch (error) {
    if (isPavedError(error, 'PAVED_E_NO_SOLUTION')) {
      const missing = notFoundNote(indexProvider.notFound());
      const hint = missing?.hint ?? error.hint;
      throw new PavedError('PAVED_E_NO_SOLUTION', `${error.message}${missing?.note ?? ''}${skippedNote(indexProvider.skipped())}`, {
        ...(hint === undefined ? {} : { hint }),
        ...(error.details === undefined ? {} : { details: { ...error.details, notFound: indexProvider.notFound() } }),
        cause: error,
      });
    }
    throw error;
  }
  const roots = new Set(prepared.requirements.map((r) => normalizeName(parseRequirement(r.requirement).name)));
  const wheels: ResolvedWheel[] = [];
  for (const pkg of resolution.packages.values()) {
    const direct = directWheels.get(pkg.name);
    // With a builder, a release with no fitting wheel is installed from its sdist (built when fetched).
    const file = direct !== undefined ? direct.file : ((await indexProvider.bestWheel(pkg.name, pkg.version, pinnedHashes.get(pkg.name))) ?? (await indexProvider.bestSdist(pkg.name, pkg.version)));
    if (file === null) {
      throw new PavedError('PAVED_E_NO_WHEEL', `${pkg.name} ${pkg.version.toString()} has no wheel for Python ${options.interpreter.version}`, {
        hint: 'Use an index that has wheels for this platform, or allow building sdists.',
      });
    }
    const pinned = pinnedHashes.get(pkg.name);
    if (requireHashes && pinned === undefined) {
      throw new PavedError('PAVED_E_HASH_REQUIRED', `${pkg.name} ${pkg.version.toString()} is needed (a dependency) but has no pinned hash, which --require-hashes needs`, {
        hint: 'List the whole closure with == pins and --hash options (e.g. `paved export --format requirements`).',
      });
    }
    let allowed: string[];
    if (pinned !== undefined) {
      if (file.sha256 !== null && SHA256_HEX.test(file.sha256) && !pinned.includes(file.sha256)) {
        throw new PavedError('PAVED_E_HASH_MISMATCH', `${file.filename} has sha256 ${file.sha256}, which is not among the hashes required for ${pkg.name}`, {
          hint: 'The index serves a different file than the requirements pin: check the --hash values, or whether the file was replaced.',
          details: { expected: pinned, actual: file.sha256 },
        });
      }
      allowed = pinned;
    } else {
      allowed = file.sha256 !== null && SHA256_HEX.test(file.sha256) ? [file.sha256] : [];
    }
    wheels.push({
      name: pkg.name,
      version: pkg.version.toString(),
      file,
      requested: roots.has(pkg.name),
      allowedSha256: direct !== undefined ? [direct.sha256] : allowed,
      ...(direct === undefined ? {} : { direct: { path: direct.path, directUrl: direct.directUrl } }),
    });
  }
  const skipped = indexProvider.skipped();
  if (memo !== null && recording !== null && wheels.every((w) => w.file.sha256 !== null && SHA256_HEX.test(w.file.sha256))) {
    const projects = await recording.projects().catch(() => null);
    if (projects !== null) await rememberResolution(memo.dir, memo.key, projects, wheels.map((w) => ({ name: w.name, version: w.version, filename: w.file.filename, sha256: w.file.sha256 as string, requested: w.requested, allowedSha256: w.allowedSha256 })), { skipped });
  }
  return finishResolution(wheels, skipped, emit, null);
}

/** What `resolveWheels` chose. */
export interface ResolvedWheels {
  wheels: ResolvedWheel[];
  skipped: SkippedRelease[];
  /** True when the last resolution of the same inputs was reused (see `ResolveWheelsOptions.memo`). */
  reused: boolean;
}

/** Says what was resolved (and any yanked release chosen), as every resolution ends. */
function finishResolution(wheels: ResolvedWheel[], skipped: SkippedRelease[], emit: (event: InstallEvent) => void, reusedPages: number | null): ResolvedWheels {
  emit({ type: 'resolved', packages: wheels.length, skipped, ...(reusedPages === null ? {} : { reusedPages }) });
  for (const w of wheels) if (w.direct === undefined && w.file.yanked !== false) emit({ type: 'yanked', name: w.name, version: w.version, reason: typeof w.file.yanked === 'string' && w.file.yanked !== '' ? w.file.yanked : null });
  return { wheels, skipped, reused: reusedPages !== null };
}

/**
 * Every input of a resolution except the pages it reads (for the memo's key): the requirement
 * lines with their hashes, constraints, the interpreter's version, markers and tags, the versions
 * installed, and each option that changes what is chosen.
 */
function memoInputs(options: ResolveWheelsOptions): unknown {
  return {
    requirements: options.requirements.map((r) => [r.requirement, r.hashes ?? null, r.editable ?? null]),
    constraints: options.constraints ?? null,
    python: options.interpreter.version,
    markers: options.interpreter.markerEnvironment,
    tags: options.interpreter.tags,
    preferred: options.preferred === undefined ? null : [...options.preferred].map(([name, version]) => [name, version.toString()]).sort(),
    requireHashes: options.requireHashes ?? false,
    upgrade: options.upgrade ?? null,
    noDeps: options.noDeps ?? false,
    prereleases: options.prereleases ?? null,
    builds: options.builder !== undefined,
  };
}

/**
 * Downloads `wheel` to `dest`, accepting it only with one of its allowed sha256 values (the
 * transfer itself is checked against the first; several pinned hashes are checked afterwards).
 */
export async function fetchWheel(client: IndexClient, wheel: ResolvedWheel, dest: string): Promise<{ path: string; sha256: string; size: number }> {
  const expected = wheel.allowedSha256.length === 1 ? (wheel.allowedSha256[0] as string) : null;
  const result = await client.download(wheel.file, dest, { expectedSha256: expected });
  if (wheel.allowedSha256.length > 1 && !wheel.allowedSha256.includes(result.sha256)) {
    await rm(result.path, { force: true });
    throw new PavedError('PAVED_E_HASH_MISMATCH', `${wheel.file.filename} has sha256 ${result.sha256}, which is not among the hashes required for ${wheel.name}`, {
      hint: 'Check the --hash values of the requirement.',
    });
  }
  return result;
}

/** Options for `installRequirements`. */
export interface InstallRequirementsOptions {
  requirements: readonly InstallRequirement[];
  /**
   * Project folders to install in editable mode (pip's `-e DIR`): each is built with its
   * back-end's PEP 660 `build_editable` and takes part in the resolution as a fixed release;
   * it is always reinstalled, as pip does.
   */
  editables?: readonly EditableTarget[];
  constraints?: readonly string[];
  client: IndexClient;
  /** The environment to install into; created when it does not exist. */
  venvDir: string;
  /** For a new environment: a version prefix or an interpreter path (default: the newest found). */
  python?: string;
  /** For a new environment: the interpreter's version must satisfy this specifier set (a script's `requires-python`). */
  requiresPython?: string;
  /** The global cache (wheels downloaded and unpacked). */
  cacheDir: string;
  requireHashes?: boolean;
  /** pip's `-U`: the requested projects do not keep their installed versions (their dependencies do, unless needed). */
  upgrade?: boolean;
  /** pip's `--upgrade-package`: these projects do not keep their installed versions. */
  upgradePackages?: readonly string[];
  /** Install the requirements only, none of their dependencies (hashes are still verified). */
  noDeps?: boolean;
  /** When pre-releases are candidates (see `ResolveWheelsOptions.prereleases`). */
  prereleases?: PrereleasePolicy;
  /** Resolve and plan only: nothing is downloaded (except wheels named by URL, to read them), installed or created. */
  dryRun?: boolean;
  /** Install again even when the same version is there: true for every resolved project, or these names. */
  reinstall?: boolean | readonly string[];
  /** Compile the installed `.py` files to bytecode (failures to compile are not errors, as with pip). */
  compile?: boolean;
  /** Fill `InstallResult.report` (pip's installation report), reading each installed release's metadata. */
  report?: boolean;
  /** Parallel downloads; default 16. */
  concurrency?: number;
  /** Reuse the last resolution of the same inputs while the pages it read are unchanged (default true; see `ResolveWheelsOptions.memo`). */
  memo?: boolean;
  /** Building sdists when no wheel fits (on unless `noBuild`). */
  build?: SdistBuildSettings;
  onEvent?: (event: InstallEvent) => void;
}

/** What `installRequirements` did (or, on a dry run, would do). */
export interface InstallResult {
  venv: string;
  python: string;
  /** True when nothing was changed (`dryRun`). */
  dryRun: boolean;
  /** Newly installed, upgraded/downgraded or reinstalled distributions. */
  installed: { name: string; version: string; upgradedFrom?: string; reinstalled?: boolean }[];
  /** Versions replaced by an upgrade or downgrade. */
  removed: { name: string; version: string }[];
  /** Distributions left as they were (already right, or not part of the request). */
  kept: number;
  /** Wheels that had to be downloaded (the rest came from the cache or a local path). */
  downloaded: number;
  /** True when the last resolution of the same inputs was reused: every project page it read was unchanged. */
  resolutionReused: boolean;
  /** pip's installation report of `installed`, when `report` was asked for. */
  report?: InstallationReport;
  /**
   * What the environment holds afterwards and its interpreter's markers, for the environment
   * check to use instead of reading it again (see `SyncResult.environment`); not on a dry run.
   */
  environment?: KnownEnvironment;
}

/** The existing environment, or the interpreter a new one will get (made only once resolving and downloading succeeded). */
async function existingVenvOrInterpreter(dir: string, python: string | undefined, requiresPython: string | undefined, cacheDir: string): Promise<{ venv: Venv } | { interpreter: PythonInterpreter }> {
  if (existsSync(join(dir, 'pyvenv.cfg'))) {
    const venv = await openVenv(dir, { cacheDir });
    // pip-style installs never replace an environment: one of another Python than asked for is an error, not ignored.
    const mismatch = python === undefined ? null : await interpreterMismatch(venv.interpreter, python, { cacheDir });
    if (mismatch !== null) {
      throw new PavedError('PAVED_E_INTERPRETER_MISMATCH', `the environment ${dir} does not run the Python asked for: ${mismatch}`, {
        hint: 'Leave out --python to install into it as it is, choose another --target-venv, or remove the environment to make it again.',
      });
    }
    return { venv };
  }
  return {
    interpreter: await findInterpreter({ ...(python === undefined ? {} : { python }), ...(requiresPython === undefined ? {} : { requiresPython }), inspect: { cacheDir } }),
  };
}

/** The plan when there is no environment yet: everything is a new install. */
function planForNewVenv(wanted: readonly WantedDistribution[]): SyncPlan {
  return { install: wanted.map((w) => ({ action: 'install' as const, name: w.name, version: w.version, wanted: w })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), upgrade: [], remove: [], keep: [] };
}

/**
 * Installs `requirements` into the environment at `venvDir` (creating it first when missing).
 * Nothing in the environment changes unless resolution, every download and every hash check
 * succeeded; see `syncVenv` for how installing itself stays atomic per distribution.
 */
export function installRequirements(options: InstallRequirementsOptions): Promise<InstallResult> {
  return withInstallingWheelCache(resolvePath(options.cacheDir), (cache) => installWithCache(options, cache));
}

/**
 * Builds the editable wheel of each project folder in `targets` (a folder named twice is built
 * once, with the extras of both) and returns them as requirements (the wheel's path, or `name[extras]
 * @ file:…`, marked with its folder) plus their names; the caller removes `folders` after.
 */
async function buildEditables(targets: readonly EditableTarget[], builder: SdistBuilder | undefined, requireHashes: boolean): Promise<{ requirements: InstallRequirement[]; names: string[]; folders: string[] }> {
  const out: { requirements: InstallRequirement[]; names: string[]; folders: string[] } = { requirements: [], names: [], folders: [] };
  if (targets.length === 0) return out;
  if (requireHashes) {
    throw new PavedError('PAVED_E_HASH_REQUIRED', `an editable install (-e ${(targets[0] as EditableTarget).dir}) has no hash to check, which --require-hashes needs`, {
      hint: 'Install the project without --require-hashes, or build a wheel of it and pin that wheel\'s sha256.',
    });
  }
  if (builder === undefined) {
    throw new PavedError('PAVED_E_NO_WHEEL', `an editable install (-e ${(targets[0] as EditableTarget).dir}) is built through the project's back-end, which --no-build forbids`, {
      hint: 'Drop --no-build to install the project in editable mode.',
    });
  }
  const extrasByDir = new Map<string, Set<string>>();
  for (const { dir, extras } of targets) extrasByDir.set(dir, new Set([...(extrasByDir.get(dir) ?? []), ...extras]));
  try {
    for (const [dir, extraSet] of extrasByDir) {
      const extras = [...extraSet];
      if (!existsSync(join(dir, 'pyproject.toml')) && !existsSync(join(dir, 'setup.py'))) {
        throw new PavedError('PAVED_E_NOT_FOUND', `-e ${dir}: the folder has neither pyproject.toml nor setup.py`, { hint: 'Point -e at a project folder.' });
      }
      const built = await builder.editable(dir);
      out.folders.push(dirname(built.path));
      const name = normalizeName(parseWheelFilename(basename(built.path)).name);
      // `name[extras] @ file:…` so that the extras' requirements join the resolution.
      const requirement = extras.length === 0 ? built.path : `${name}[${extras.join(',')}] @ ${pathToFileURL(built.path).href}`;
      out.requirements.push({ requirement, editable: dir });
      out.names.push(name);
    }
    return out;
  } catch (error) {
    for (const folder of out.folders) await rm(folder, { recursive: true, force: true });
    throw error;
  }
}

async function installWithCache(options: InstallRequirementsOptions, cache: WheelCache): Promise<InstallResult> {
  const emit = options.onEvent ?? ((): void => {});
  const cacheDir = resolvePath(options.cacheDir);
  const venvDir = resolvePath(options.venvDir);
  // Check the requirements and the hash rules before anything is created or fetched.
  const prepared = prepareRequirements(options.requirements, process.cwd());
  hashesByProject(prepared.requirements, options.requireHashes ?? false);
  // The requested projects' pages are asked for while the interpreter is found (inspecting one
  // runs Python); the client keeps the answers, and a failure surfaces when the resolver asks.
  for (const r of prepared.requirements) {
    let name: string;
    try {
      const parsed = parseRequirement(r.requirement);
      if (parsed.url !== null) continue;
      name = normalizeName(parsed.name);
    } catch {
      continue;
    }
    options.client.getProject(name).catch(() => {});
  }
  const target = await existingVenvOrInterpreter(venvDir, options.python, options.requiresPython, cacheDir);
  const interpreter = 'venv' in target ? target.venv.interpreter : target.interpreter;

  const installed = 'venv' in target ? await readInstalledDistributions(target.venv.root) : { distributions: [] };
  const preferred = new Map<string, Version>();
  for (const d of installed.distributions) {
    try {
      preferred.set(normalizeName(d.name), parseVersion(d.version));
    } catch {
      // An unparsable installed version is simply not preferred.
    }
  }
  const requestedNames = prepared.requirements.map((r) => normalizeName(parseRequirement(r.requirement).name));
  const upgrade = [...(options.upgrade === true ? requestedNames : []), ...(options.upgradePackages ?? []).map(normalizeName)];
  const builder = sdistBuilderFor({ client: options.client, interpreter, cacheDir, ...(options.build === undefined ? {} : { build: options.build }), onEvent: emit });
  const editables = await buildEditables(options.editables ?? [], builder, options.requireHashes ?? false);
  const installedByName = new Map(installed.distributions.map((d) => [normalizeName(d.name), d]));
  /** True when `name` is installed at `version` (normalised); an unparsable installed version matches nothing. */
  const installedAt = (name: string, version: string): boolean => {
    const have = installedByName.get(name);
    if (have === undefined) return false;
    try {
      return parseVersion(have.version).toString() === version;
    } catch {
      return false;
    }
  };

  // Wheels the resolver decides on are fetched and unpacked into the cache while it goes on
  // working (the unpacking workers use the cores resolving leaves idle). Only the cache changes,
  // so a wheel a backtrack leaves unused costs one download; a failure here is met again, and
  // reported, by the fetch after resolving.
  const reinstalling = (name: string): boolean => options.reinstall === true || (Array.isArray(options.reinstall) && options.reinstall.some((n) => normalizeName(n) === name));
  const isKept = (name: string, version: Version): boolean => installedAt(name, version.toString()) && !reinstalling(name);
  const concurrency = options.concurrency ?? 16;
  const early = new Map<string, Promise<DownloadResult | null>>();
  const downloadedEarly = new Set<string>();
  const earlySlot = createLimiter(EARLY_FETCHES);
  const fetchEarly = (name: string, version: Version, file: IndexFile & { sha256: string }): void => {
    if (options.dryRun === true || early.has(file.sha256)) return;
    if (isKept(name, version)) return;
    const task = (async () => {
      if ((await cache.get(file.sha256)) !== null) return null;
      cache.expectUnpacking();
      downloadedEarly.add(file.sha256);
      const fetched = await earlySlot.run(() => options.client.download(file, archivePathFor(cacheDir, file.sha256, file.filename), { expectedSha256: file.sha256 }));
      await cache.unpack(fetched.path, { sha256: fetched.sha256 });
      return fetched;
    })();
    early.set(file.sha256, task.catch(() => null));
  };
  try {
    return await installResolved();
  } finally {
    // Nothing fetched early is left running when the install ends, however it ends.
    await Promise.all(early.values());
    for (const folder of editables.folders) await rm(folder, { recursive: true, force: true });
  }

  async function installResolved(): Promise<InstallResult> {
    const { wheels, reused } = await resolveWheels({
      requirements: [...options.requirements, ...editables.requirements],
      ...(options.constraints === undefined ? {} : { constraints: options.constraints }),
      client: options.client,
      interpreter,
      preferred,
      ...(upgrade.length === 0 ? {} : { upgrade }),
      ...(options.requireHashes === undefined ? {} : { requireHashes: options.requireHashes }),
      ...(options.noDeps === undefined ? {} : { noDeps: options.noDeps }),
      ...(options.prereleases === undefined ? {} : { prereleases: options.prereleases }),
      cacheDir,
      ...(builder === undefined ? {} : { builder }),
      onEvent: emit,
      onDecidedWheel: fetchEarly,
      ...(options.memo === undefined ? {} : { memo: options.memo }),
    });
    // The resolver needs no connections any more: what waits to be fetched early goes at full width.
    earlySlot.setLimit(concurrency);

    const reinstall = new Set(Array.isArray(options.reinstall) ? options.reinstall.map(normalizeName) : options.reinstall === true ? wheels.map((w) => w.name) : []);
    // An editable install is made again each time, as pip does.
    for (const name of editables.names) reinstall.add(name);
    const wanted = new Map<string, WantedDistribution>();
    const toFetch: ResolvedWheel[] = [];
    // Which resolved wheels are unpacked in the cache already, asked all at once.
    const inCache = new Set<string>();
    await Promise.all(
      wheels.map(async (wheel) => {
        const known = wheel.allowedSha256.find((sha) => SHA256_HEX.test(sha));
        // A wheel downloaded early is counted as downloaded (below), not as found in the cache.
        if (wheel.direct === undefined && known !== undefined && wheel.allowedSha256.length === 1 && !downloadedEarly.has(known) && (await cache.get(known)) !== null) inCache.add(known);
      }),
    );
    for (const wheel of wheels) {
      const base: WantedDistribution = { name: wheel.name, version: wheel.version, requested: wheel.requested };
      const have = installedByName.get(wheel.name);
      const sameAsInstalled = installedAt(wheel.name, wheel.version);
      // The same version from another file (an index release, or another URL) is replaced by the wheel named by URL.
      if (sameAsInstalled && have !== undefined && wheel.direct !== undefined && (await readDirectUrl(have.path))?.url !== wheel.direct.directUrl.url) reinstall.add(wheel.name);
      const known = wheel.allowedSha256.find((sha) => SHA256_HEX.test(sha));
      if (wheel.direct !== undefined) {
        wanted.set(wheel.name, { ...base, wheelPath: wheel.direct.path, sha256: wheel.direct.directUrl.archive_info?.hashes?.['sha256'] ?? (known as string), directUrl: wheel.direct.directUrl });
      } else if (sameAsInstalled && !reinstall.has(wheel.name)) {
        wanted.set(wheel.name, base);
      } else if (known !== undefined && inCache.has(known)) {
        wanted.set(wheel.name, { ...base, sha256: known });
      } else {
        toFetch.push(wheel);
        // Planned now, fetched below (not at all on a dry run).
        wanted.set(wheel.name, base);
      }
    }

    const keep = installed.distributions.map((d) => d.name);
    const result = (plan: SyncPlan, downloaded: number, venvRoot: string, python: string): InstallResult => {
      const byName = new Map(wheels.map((w) => [w.name, w]));
      const items: InstallResult['installed'] = [
        ...plan.install.map((s) => ({ name: s.name, version: s.version })),
        ...plan.upgrade.map((s) => {
          const version = byName.get(normalizeName(s.name))?.version ?? s.version;
          return s.from === version ? { name: s.name, version, reinstalled: true } : { name: s.name, version, upgradedFrom: s.from };
        }),
      ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return {
        venv: venvRoot,
        python,
        dryRun: options.dryRun === true,
        installed: items,
        removed: plan.upgrade.filter((s) => s.from !== (byName.get(normalizeName(s.name))?.version ?? s.version)).map((s) => ({ name: s.name, version: s.from })),
        kept: plan.keep.length,
        downloaded,
        resolutionReused: reused,
      };
    };
    const withReport = async (out: InstallResult): Promise<InstallResult> => {
      if (options.report !== true) return out;
      const byName = new Map(wheels.map((w) => [w.name, w]));
      const items = await Promise.all(
        out.installed.map(async (item) => {
          const wheel = byName.get(normalizeName(item.name)) as ResolvedWheel;
          const metadata = wheel.direct !== undefined || wheel.file.sourceKind === 'index' || wheel.file.coreMetadata !== false ? await options.client.getMetadata(wheel.file).catch(() => null) : null;
          return {
            name: metadata?.name ?? item.name,
            version: item.version,
            url: wheel.direct?.directUrl.url ?? wheel.file.url,
            sha256: wheel.allowedSha256[0] ?? wheel.file.sha256,
            direct: wheel.direct !== undefined,
            yanked: wheel.file.yanked !== false,
            requested: wheel.requested,
            ...(metadata === null ? {} : { metadata }),
          };
        }),
      );
      return { ...out, report: buildInstallationReport(items, interpreter.markerEnvironment) };
    };

    if (options.dryRun === true) {
      const plan = 'venv' in target ? await planSync(target.venv, [...wanted.values()], { keep, reinstall: [...reinstall], installed: installed.distributions }) : planForNewVenv([...wanted.values()]);
      emit({ type: 'sync', event: { type: 'plan', plan } });
      return withReport(result(plan, 0, venvDir, interpreter.version));
    }

    const cached = wheels.length - toFetch.length;
    emit({ type: 'fetch-plan', total: wheels.length, cached });
    let done = cached;
    await runBounded(toFetch, concurrency, async (wheel) => {
      const known = wheel.allowedSha256.length === 1 ? (wheel.allowedSha256[0] as string) : null;
      const path = known !== null ? archivePathFor(cacheDir, known, wheel.file.filename) : join(cacheDir, 'archives-v1', 'unhashed', randomBytes(8).toString('hex'), wheel.file.filename);
      const ahead = known === null ? null : ((await early.get(known)) ?? null);
      const fetched =
        ahead !== null ? ahead : wheel.file.parsed.kind === 'sdist' && builder !== undefined ? await builder.wheel(wheel.file, { allowedSha256: wheel.allowedSha256 }) : await fetchWheel(options.client, wheel, path);
      wanted.set(wheel.name, { name: wheel.name, version: wheel.version, requested: wheel.requested, wheelPath: fetched.path, sha256: fetched.sha256 });
      done++;
      emit({ type: 'fetched', name: wheel.name, filename: wheel.file.filename, bytes: fetched.size, done, total: wheels.length });
      // Unpacked while the other downloads go on (the sync below finds it in the cache); a bad
      // wheel still fails the install before the environment changes.
      await cache.unpack(fetched.path, { sha256: fetched.sha256 });
    });

    let venv: Venv;
    if ('venv' in target) venv = target.venv;
    else {
      // Made only now, so a failed resolution or download leaves no empty environment behind.
      venv = await createVenv(venvDir, target.interpreter);
      emit({ type: 'venv-created', path: venv.root, python: target.interpreter.path, pythonVersion: target.interpreter.version });
    }
    // pip install never removes what it was not asked about.
    const synced = await syncVenv(venv, [...wanted.values()], {
      cache,
      keep,
      // Read before resolving; resolving and downloading changed nothing in the environment.
      installed: installed.distributions,
      reinstall: [...reinstall],
      ...(options.compile === undefined ? {} : { compile: options.compile }),
      onEvent: (event) => emit({ type: 'sync', event }),
    }).catch(async (error: unknown) => {
      // An environment made for this install goes with it: a failed install leaves no half-filled venv.
      if (!('venv' in target)) await rm(venv.root, { recursive: true, force: true });
      throw error;
    });
    const out = result(synced.plan, toFetch.length, venv.root, venv.interpreter.version);
    if (synced.environment !== null) out.environment = { distributions: synced.environment, markerEnvironment: venv.interpreter.markerEnvironment };
    return withReport(out);
  }
}
