/**
 * Building sdists into wheels, as pip and uv do when no wheel of a release fits: the sdist is
 * downloaded (verified by sha256), unpacked safely, and its PEP 517 back-end runs in an isolated
 * build environment whose requirements (`[build-system] requires`, then whatever
 * `get_requires_for_build_wheel` adds) are installed by `installRequirements` from the same index
 * client, so a build sees only what the indexes offer, never the user's environment.
 *
 * Everything is cached under the cache directory:
 * - `archives-v1/<sha[:2]>/<sha>/<sdist>`: the downloaded sdist (as wheels are);
 * - `built-v1/<sha[:2]>/<sha>/<interpreter tag>/`: the built wheel and its METADATA, keyed by the
 *   sdist's sha256 and the interpreter's best tag, so a second install builds nothing;
 * - `built-v1/<sha[:2]>/<sha>/<interpreter tag>.metadata`: metadata learned without a full build;
 * - `build-envs-v1/<hash>/`: build environments, keyed by the hash of their requirement set and
 *   the interpreter; a `.paved-build-env` file, written last, marks one complete.
 *
 * Metadata comes from the sdist's PKG-INFO when it is Metadata-Version 2.2 or later and does not
 * list Requires-Dist as Dynamic (PEP 643: then it is what any build would say), which avoids a
 * build; otherwise from `prepare_metadata_for_build_wheel`.
 *
 * Error codes: PAVED_E_BUILD_CYCLE (building X needs X, directly or through other builds),
 * PAVED_E_BUILD_FAILED (also: a wheel or metadata for another name or version than the sdist's),
 * plus those of `unpackSdist`, `buildBackend`, the index client and `installRequirements`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PavedError } from '../errors.js';
import { buildEditableWithBackend, buildMetadataWithBackend, buildWheelWithBackend, getRequiresForBuildEditable, getRequiresForBuildWheel, readBuildSystem, readBuiltWheelMetadata, type BuildBackendEvent, type BuildHookOptions } from '../installer/buildBackend.js';
import { createVenv, openVenv, type Venv } from '../installer/createVenv.js';
import type { PythonInterpreter } from '../installer/interpreter.js';
import { sha256File } from '../installer/wheelCache.js';
import { writeAtomically } from '../installer/writeAtomically.js';
import { parseCoreMetadata, type CoreMetadata } from '../standards/coreMetadata.js';
import { normalizeName } from '../standards/names.js';
import { tagToString } from '../standards/tags.js';
import { tryParseVersion } from '../standards/version.js';
import { parseWheelFilename } from '../standards/wheelFilename.js';
import type { IndexClient, IndexFile } from './indexClient/indexClient.js';
import { installRequirements, type InstallEvent } from './installRequirements.js';

/**
 * The sdist unpacker (and the tar library behind it), loaded only when an sdist is built: most
 * installs find wheels for everything and should not pay for parsing it at start-up.
 */
async function loadUnpackSdist(): Promise<typeof import('../installer/unpackSdist.js').unpackSdist> {
  return (await import('../installer/unpackSdist.js')).unpackSdist;
}

/** How sdists may be built; part of the options of every command that installs. */
export interface SdistBuildSettings {
  /** Never build: releases without a fitting wheel stay unavailable (pip's `--only-binary :all:`). */
  noBuild?: boolean;
  /** A PEP 517 hook running longer is stopped (PAVED_E_BUILD_TIMEOUT). Default 30 min. */
  timeoutMs?: number;
  /** Normalized names of the sdists being built further up; paved sets it for nested build environments. */
  parents?: readonly string[];
}

/** What building reports. */
export type SdistBuildEvent =
  | { type: 'build-started'; sdist: string }
  | { type: 'build-env'; sdist: string; requirements: string[]; cached: boolean }
  | { type: 'build-env-install'; sdist: string; event: InstallEvent }
  | { type: 'backend'; event: BuildBackendEvent }
  | { type: 'built'; sdist: string; wheel: string; cached: boolean }
  | { type: 'sdist-metadata'; sdist: string; from: 'pkg-info' | 'backend' | 'cache' };

/** Options for `createSdistBuilder`. */
export interface SdistBuilderOptions extends SdistBuildSettings {
  /** Where sdists and build requirements come from. */
  client: IndexClient;
  /** The interpreter the wheels are for (a base interpreter or a venv's). */
  interpreter: PythonInterpreter;
  cacheDir: string;
  onEvent?: (event: SdistBuildEvent) => void;
}

/** A built wheel, ready for `syncVenv`. */
export interface BuiltWheel {
  path: string;
  sha256: string;
  size: number;
  /** True when it came from the built-wheel cache (nothing was built). */
  cached: boolean;
}

/** Builds sdists of one target interpreter, each at most once per process and once per cache. */
export interface SdistBuilder {
  /** The core metadata of a release's sdist: PKG-INFO when PEP 643 makes it reliable, else the back-end's. */
  metadata(file: IndexFile): Promise<CoreMetadata>;
  /** The wheel built from the sdist (from the cache when built before); `allowedSha256` pins the sdist's hash. */
  wheel(file: IndexFile, options?: { allowedSha256?: readonly string[] }): Promise<BuiltWheel>;
  /**
   * PEP 660: an editable wheel of the project at `projectDir`, built now in an isolated build
   * environment; never cached. With `name` (its pyproject.toml's), a wheel for another name is
   * refused. The caller removes the wheel's folder when it is installed.
   */
  editable(projectDir: string, name?: string): Promise<BuiltWheel>;
  /**
   * The core metadata of the project at `projectDir` from its back-end's
   * `prepare_metadata_for_build_wheel` (a wheel build when it lacks the hook), in an isolated
   * build environment; never cached. For a pyproject.toml whose dependencies are `dynamic`.
   */
  projectMetadata(projectDir: string, name: string): Promise<CoreMetadata>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const ENV_MARKER = '.paved-build-env';
/** A build environment left incomplete this long ago belongs to a crashed run and is remade. */
const STALE_ENV_MS = 60 * 60 * 1000;

/**
 * True when an sdist's PKG-INFO can stand for the built wheel's metadata (PEP 643):
 * Metadata-Version 2.2 or later and neither Requires-Dist nor Requires-Python marked Dynamic.
 */
export function isStaticSdistMetadata(metadata: CoreMetadata): boolean {
  const [major = 0, minor = 0] = metadata.metadataVersion.split('.').map((p) => Number.parseInt(p, 10));
  if (!(major > 2 || (major === 2 && minor >= 2))) return false;
  const dynamic = new Set(metadata.dynamic.map((d) => d.trim().toLowerCase()));
  return !dynamic.has('requires-dist') && !dynamic.has('requires-python');
}

function sameVersion(a: string, b: string): boolean {
  const va = tryParseVersion(a);
  const vb = tryParseVersion(b);
  return va !== null && vb !== null ? va.toString() === vb.toString() : a === b;
}

function cycleError(name: string, parents: readonly string[]): PavedError {
  const chain = [...parents.slice(parents.indexOf(name)), name].join(' → ');
  const message = parents[parents.length - 1] === name
    ? `building ${name} needs ${name} itself (its build requirements include it): ${chain}`
    : `building ${name} needs ${name} already built, through other builds: ${chain}`;
  return new PavedError('PAVED_E_BUILD_CYCLE', message, {
    hint: 'A build cycle can only be broken by a wheel: publish a wheel of one of these projects to the index.',
    details: { chain: [...parents, name] },
  });
}

/** Creates a builder for `options.interpreter`; it shares pages and downloads through `options.client`. */
export function createSdistBuilder(options: SdistBuilderOptions): SdistBuilder {
  const emit = options.onEvent ?? ((): void => {});
  const parents = options.parents ?? [];
  const cacheDir = options.cacheDir;
  const interpreter = options.interpreter;
  const interpreterKey = tagToString(interpreter.tags[0] ?? { interpreter: `py${interpreter.versionInfo[0]}${interpreter.versionInfo[1]}`, abi: 'none', platform: 'any' });
  const builtRoot = join(cacheDir, 'built-v1');
  const tmpRoot = join(builtRoot, '.tmp');
  const envRoot = join(cacheDir, 'build-envs-v1');
  const sdists = new Map<string, Promise<{ path: string; sha256: string }>>();
  const envs = new Map<string, Promise<{ venv: Venv; temporary: boolean }>>();
  const wheels = new Map<string, Promise<BuiltWheel>>();
  const metadatas = new Map<string, Promise<CoreMetadata>>();

  const builtDir = (sha: string): string => join(builtRoot, sha.slice(0, 2), sha, interpreterKey);

  const cachedWheel = async (sha: string): Promise<BuiltWheel | null> => {
    const dir = builtDir(sha);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return null;
    }
    const wheel = names.find((n) => n.endsWith('.whl'));
    if (wheel === undefined) return null;
    const path = join(dir, wheel);
    return { path, sha256: await sha256File(path), size: (await stat(path)).size, cached: true };
  };

  const fetchSdist = (file: IndexFile, allowed: readonly string[]): Promise<{ path: string; sha256: string }> => {
    const key = `${file.url}\n${allowed.join(',')}`;
    let pending = sdists.get(key);
    if (pending === undefined) {
      pending = (async () => {
        const known = file.sha256 !== null && SHA256_HEX.test(file.sha256) ? file.sha256 : null;
        const expected = allowed.length === 1 ? (allowed[0] as string) : known;
        if (expected !== null) {
          const path = join(cacheDir, 'archives-v1', expected.slice(0, 2), expected, file.filename);
          if (existsSync(path) && (await sha256File(path)) === expected) return { path, sha256: expected };
        }
        const folder = expected !== null ? join(cacheDir, 'archives-v1', expected.slice(0, 2), expected) : join(cacheDir, 'archives-v1', 'unhashed', randomBytes(8).toString('hex'));
        const result = await options.client.download(file, join(folder, file.filename), { expectedSha256: expected });
        if (allowed.length > 1 && !allowed.includes(result.sha256)) {
          await rm(result.path, { force: true });
          throw new PavedError('PAVED_E_HASH_MISMATCH', `${file.filename} has sha256 ${result.sha256}, which is not among the hashes required for ${file.parsed.name}`, {
            hint: 'Check the --hash values of the requirement.',
          });
        }
        return { path: result.path, sha256: result.sha256 };
      })();
      sdists.set(key, pending);
      pending.catch(() => sdists.delete(key));
    }
    return pending;
  };

  /** A build environment holding `requirements`, made once and cached by their hash. */
  const buildEnv = (sdist: string, name: string, requirements: readonly string[]): Promise<{ venv: Venv; temporary: boolean }> => {
    const sorted = [...new Set(requirements.map((r) => r.trim()))].sort();
    const key = createHash('sha256')
      .update(JSON.stringify({ requirements: sorted, python: interpreter.baseExecutable, version: interpreter.version, tag: interpreterKey }))
      .digest('hex')
      .slice(0, 32);
    let pending = envs.get(key);
    if (pending === undefined) {
      pending = (async () => {
        const dir = join(envRoot, key);
        if (existsSync(join(dir, ENV_MARKER))) {
          emit({ type: 'build-env', sdist, requirements: sorted, cached: true });
          return { venv: await openVenv(dir, { cacheDir }), temporary: false };
        }
        let target = dir;
        let temporary = false;
        if (existsSync(dir)) {
          const age = Date.now() - (await stat(dir)).mtimeMs;
          if (age > STALE_ENV_MS) await rm(dir, { recursive: true, force: true });
          else {
            // Another run is making it right now: build in a private environment instead of racing it.
            target = join(envRoot, `.tmp-${key}-${randomBytes(6).toString('hex')}`);
            temporary = true;
          }
        }
        await mkdir(envRoot, { recursive: true });
        let venv: Venv;
        try {
          venv = await createVenv(target, interpreter);
        } catch (error) {
          if (target !== dir || !existsSync(dir)) throw error;
          target = join(envRoot, `.tmp-${key}-${randomBytes(6).toString('hex')}`);
          temporary = true;
          venv = await createVenv(target, interpreter);
        }
        emit({ type: 'build-env', sdist, requirements: sorted, cached: false });
        try {
          if (sorted.length > 0) {
            await installRequirements({
              requirements: sorted.map((requirement) => ({ requirement })),
              client: options.client,
              venvDir: venv.root,
              cacheDir,
              build: { ...(options.noBuild === undefined ? {} : { noBuild: options.noBuild }), ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }), parents: [...parents, name] },
              // The sdists being built further up are not built again here, which the resolution
              // memo's key does not cover; build environments are cached whole by their requirements anyway.
              memo: false,
              onEvent: (event) => emit({ type: 'build-env-install', sdist, event }),
            });
          }
          if (!temporary) await writeFile(join(venv.root, ENV_MARKER), `${JSON.stringify({ requirements: sorted, python: interpreter.baseExecutable })}\n`);
        } catch (error) {
          await rm(venv.root, { recursive: true, force: true });
          throw error;
        }
        return { venv, temporary };
      })();
      envs.set(key, pending);
      pending.catch(() => envs.delete(key));
    }
    return pending;
  };

  /**
   * Prepares the full build environment of the source tree at `sourceDir` (`[build-system]
   * requires`, then what the `get_requires_for_build_*` hook of `kind` adds) and runs `work`
   * with hook options; a private environment made to avoid racing another run is removed after.
   */
  const inBuildEnvironment = async <T>(sourceDir: string, label: string, name: string, kind: 'wheel' | 'editable', work: (hooks: BuildHookOptions) => Promise<T>): Promise<T> => {
    const temporaryEnvs: Venv[] = [];
    try {
      const buildSystem = await readBuildSystem(sourceDir, label);
      const hooksIn = (venv: Venv): BuildHookOptions => ({
        python: venv.python,
        sourceDir,
        buildSystem,
        sdist: label,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        // The build environment's scripts (cython, cmake, …) come first, as pip puts them.
        env: { ...process.env, PATH: `${join(venv.root, 'bin')}:${process.env['PATH'] ?? ''}` },
        onEvent: (event) => emit({ type: 'backend', event }),
      });
      const first = await buildEnv(label, name, buildSystem.requires);
      if (first.temporary) temporaryEnvs.push(first.venv);
      const extra = kind === 'wheel' ? await getRequiresForBuildWheel(hooksIn(first.venv)) : await getRequiresForBuildEditable(hooksIn(first.venv));
      let env = first;
      if (extra.length > 0) {
        env = await buildEnv(label, name, [...buildSystem.requires, ...extra]);
        if (env.temporary) temporaryEnvs.push(env.venv);
      }
      return await work(hooksIn(env.venv));
    } finally {
      for (const venv of temporaryEnvs) await rm(venv.root, { recursive: true, force: true });
    }
  };

  /** Unpacks the sdist, prepares its full build environment and runs `work` with hook options; cleans up after. */
  const withBuildTree = async <T>(file: IndexFile, sdistPath: string, work: (hooks: BuildHookOptions, scratch: string) => Promise<T>): Promise<T> => {
    const scratch = join(tmpRoot, randomBytes(8).toString('hex'));
    try {
      await mkdir(scratch, { recursive: true });
      const { sourceDir } = await (await loadUnpackSdist())(sdistPath, join(scratch, 'src'), { sdist: file.filename });
      return await inBuildEnvironment(sourceDir, file.filename, normalizeName(file.parsed.name), 'wheel', (hooks) => work(hooks, scratch));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  };

  /** PEP 660: an editable wheel of the project at `projectDir`, written to a new folder under `built-v1/.tmp` that the caller removes. */
  const editable = async (projectDir: string, projectName?: string): Promise<BuiltWheel> => {
    const name = normalizeName(projectName ?? basename(projectDir));
    const label = `${projectName === undefined ? basename(projectDir) : name} (editable, ${projectDir})`;
    if (projectName !== undefined && parents.includes(name)) throw cycleError(name, parents);
    emit({ type: 'build-started', sdist: label });
    const out = join(tmpRoot, `editable-${randomBytes(8).toString('hex')}`);
    try {
      const path = await inBuildEnvironment(projectDir, label, name, 'editable', (hooks) => buildEditableWithBackend(hooks, out));
      const parsed = parseWheelFilename(basename(path));
      if (projectName !== undefined && normalizeName(parsed.name) !== name) {
        throw new PavedError('PAVED_E_BUILD_FAILED', `the editable build of ${projectDir} gave a wheel for ${parsed.name}, not ${projectName}`, {
          hint: 'The build back-end names the project differently from [project] name in pyproject.toml; make them agree.',
        });
      }
      emit({ type: 'built', sdist: label, wheel: path, cached: false });
      return { path, sha256: await sha256File(path), size: (await stat(path)).size, cached: false };
    } catch (error) {
      await rm(out, { recursive: true, force: true });
      throw error;
    }
  };

  const projectMetadata = async (projectDir: string, projectName: string): Promise<CoreMetadata> => {
    const name = normalizeName(projectName);
    if (parents.includes(name)) throw cycleError(name, parents);
    const label = `${name} (metadata, ${projectDir})`;
    emit({ type: 'build-started', sdist: label });
    const scratch = join(tmpRoot, `project-${randomBytes(8).toString('hex')}`);
    try {
      await mkdir(scratch, { recursive: true });
      const result = await inBuildEnvironment(projectDir, label, name, 'wheel', (hooks) => buildMetadataWithBackend(hooks, scratch));
      if (normalizeName(result.metadata.name) !== name) {
        throw new PavedError('PAVED_E_BUILD_FAILED', `the back-end of ${projectDir} gave metadata for ${result.metadata.name}, not ${projectName}`, {
          hint: 'The build back-end names the project differently from [project] name in pyproject.toml; make them agree.',
        });
      }
      emit({ type: 'sdist-metadata', sdist: label, from: 'backend' });
      return result.metadata;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  };

  const checkIdentity = (file: IndexFile, what: string, name: string, version: string): void => {
    if (normalizeName(name) !== normalizeName(file.parsed.name) || !sameVersion(version, file.version)) {
      throw new PavedError('PAVED_E_BUILD_FAILED', `building ${file.filename} gave ${what} for ${name} ${version}, not ${file.parsed.name} ${file.version}`, {
        hint: 'The sdist is not the release it claims to be; ask its maintainers for a fixed release.',
      });
    }
  };

  /** Moves a freshly built wheel (and its METADATA) into the cache; a concurrent winner is kept. */
  const storeWheel = async (sha: string, wheelPath: string, file: IndexFile): Promise<BuiltWheel> => {
    const parsed = parseWheelFilename(basename(wheelPath));
    checkIdentity(file, 'a wheel', parsed.name, parsed.version);
    const text = await readBuiltWheelMetadata(wheelPath);
    const staged = join(tmpRoot, `out-${randomBytes(8).toString('hex')}`);
    await mkdir(staged, { recursive: true });
    await rename(wheelPath, join(staged, basename(wheelPath)));
    await writeFile(join(staged, 'METADATA'), text);
    const dir = builtDir(sha);
    await mkdir(join(dir, '..'), { recursive: true });
    try {
      await rename(staged, dir);
    } catch {
      await rm(staged, { recursive: true, force: true });
    }
    const stored = await cachedWheel(sha);
    if (stored === null) throw new PavedError('PAVED_E_BUILD_FAILED', `the wheel built from ${file.filename} could not be stored in ${dir}`, { hint: 'Check the cache directory\'s permissions and free space.' });
    return { ...stored, cached: false };
  };

  const guard = (file: IndexFile): void => {
    const name = normalizeName(file.parsed.name);
    if (parents.includes(name)) throw cycleError(name, parents);
  };

  const wheel = (file: IndexFile, wheelOptions: { allowedSha256?: readonly string[] } = {}): Promise<BuiltWheel> => {
    const allowed = wheelOptions.allowedSha256 ?? [];
    const key = `${file.url}\n${allowed.join(',')}`;
    let pending = wheels.get(key);
    if (pending === undefined) {
      pending = (async () => {
        const known = allowed.length === 1 ? (allowed[0] as string) : file.sha256 !== null && SHA256_HEX.test(file.sha256) && (allowed.length === 0 || allowed.includes(file.sha256)) ? file.sha256 : null;
        if (known !== null) {
          const hit = await cachedWheel(known);
          if (hit !== null) {
            emit({ type: 'built', sdist: file.filename, wheel: hit.path, cached: true });
            return hit;
          }
        }
        guard(file);
        const sdist = await fetchSdist(file, allowed);
        const hit = await cachedWheel(sdist.sha256);
        if (hit !== null) {
          emit({ type: 'built', sdist: file.filename, wheel: hit.path, cached: true });
          return hit;
        }
        emit({ type: 'build-started', sdist: file.filename });
        const built = await withBuildTree(file, sdist.path, async (hooks, scratch) => storeWheel(sdist.sha256, await buildWheelWithBackend(hooks, join(scratch, 'wheel')), file));
        emit({ type: 'built', sdist: file.filename, wheel: built.path, cached: false });
        return built;
      })();
      wheels.set(key, pending);
      pending.catch(() => wheels.delete(key));
    }
    return pending;
  };

  const metadata = (file: IndexFile): Promise<CoreMetadata> => {
    let pending = metadatas.get(file.url);
    if (pending === undefined) {
      pending = (async () => {
        const readCached = async (sha: string): Promise<CoreMetadata | null> => {
          for (const path of [join(builtDir(sha), 'METADATA'), `${builtDir(sha)}.metadata`]) {
            try {
              return parseCoreMetadata(await readFile(path, 'utf8'));
            } catch {
              // Not cached (or unreadable, then learned again).
            }
          }
          return null;
        };
        const known = file.sha256 !== null && SHA256_HEX.test(file.sha256) ? file.sha256 : null;
        if (known !== null) {
          const hit = await readCached(known);
          if (hit !== null) {
            emit({ type: 'sdist-metadata', sdist: file.filename, from: 'cache' });
            return hit;
          }
        }
        const sdist = await fetchSdist(file, []);
        const hit = await readCached(sdist.sha256);
        if (hit !== null) {
          emit({ type: 'sdist-metadata', sdist: file.filename, from: 'cache' });
          return hit;
        }
        const fromPkgInfo = await staticPkgInfo(file, sdist.path);
        if (fromPkgInfo !== null) {
          emit({ type: 'sdist-metadata', sdist: file.filename, from: 'pkg-info' });
          return fromPkgInfo;
        }
        guard(file);
        emit({ type: 'build-started', sdist: file.filename });
        const learned = await withBuildTree(file, sdist.path, async (hooks, scratch) => {
          const result = await buildMetadataWithBackend(hooks, scratch);
          checkIdentity(file, 'metadata', result.metadata.name, result.metadata.version);
          // The fallback built the whole wheel: keep it, so installing does not build it again.
          if (result.wheelPath !== null) await storeWheel(sdist.sha256, result.wheelPath, file);
          else {
            await mkdir(join(builtDir(sdist.sha256), '..'), { recursive: true });
            await writeAtomically(`${builtDir(sdist.sha256)}.metadata`, result.text);
          }
          return result.metadata;
        });
        emit({ type: 'sdist-metadata', sdist: file.filename, from: 'backend' });
        return learned;
      })();
      metadatas.set(file.url, pending);
      pending.catch(() => metadatas.delete(file.url));
    }
    return pending;
  };

  /** PKG-INFO of the sdist when PEP 643 lets it stand for the wheel's metadata, else null. */
  const staticPkgInfo = async (file: IndexFile, sdistPath: string): Promise<CoreMetadata | null> => {
    const scratch = join(tmpRoot, randomBytes(8).toString('hex'));
    try {
      await mkdir(tmpRoot, { recursive: true });
      const { sourceDir } = await (await loadUnpackSdist())(sdistPath, scratch, { sdist: file.filename });
      let text: string;
      try {
        const path = join(sourceDir, 'PKG-INFO');
        if ((await stat(path)).size > 16 * 1024 * 1024) return null;
        text = await readFile(path, 'utf8');
      } catch {
        return null;
      }
      let parsed: CoreMetadata;
      try {
        parsed = parseCoreMetadata(text);
      } catch {
        return null;
      }
      if (!isStaticSdistMetadata(parsed)) return null;
      checkIdentity(file, 'PKG-INFO', parsed.name, parsed.version);
      return parsed;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  };

  return { metadata, wheel, editable, projectMetadata };
}

/**
 * The builder `installRequirements` uses for `interpreter`: its events wrapped as install events,
 * or undefined when `build.noBuild` turns building off.
 */
export function sdistBuilderFor(options: {
  client: IndexClient;
  interpreter: PythonInterpreter;
  cacheDir: string;
  build?: SdistBuildSettings;
  onEvent?: (event: InstallEvent) => void;
}): SdistBuilder | undefined {
  if (options.build?.noBuild === true) return undefined;
  const emit = options.onEvent;
  return createSdistBuilder({
    client: options.client,
    interpreter: options.interpreter,
    cacheDir: options.cacheDir,
    ...(options.build ?? {}),
    ...(emit === undefined ? {} : { onEvent: (event: SdistBuildEvent) => emit({ type: 'build', event }) }),
  });
}
