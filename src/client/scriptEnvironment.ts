/**
 * Environments for PEP 723 scripts (`paved run script.py`): one cached virtual environment per
 * distinct (dependencies, requires-python, interpreter), under
 * `<cacheDir>/environments-v1/<hash>/`. The first run builds it with `installRequirements`;
 * later runs of any script declaring the same things reuse it without resolving or touching the
 * network. A marker file written last says the environment is complete, so one left half-built
 * by a crash or a failed install is rebuilt, never reused.
 *
 * Two runs started at the same moment must not both build into the same directory: the build
 * happens under an inter-process lock on the entry (`<hash>.lock` beside it, see
 * `directoryLock.ts`), and a run that waited for it finds the environment complete and reuses it.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { PavedError } from '../errors.js';
import { acquireDirectoryLock, type DirectoryLockEvent, type DirectoryLockOptions } from '../installer/directoryLock.js';
import { findInterpreter, type PythonInterpreter } from '../installer/interpreter.js';
import type { ScriptMetadata } from '../project/scriptMetadata.js';
import type { SdistBuildSettings } from './buildSdist.js';
import type { IndexClient } from './indexClient/indexClient.js';
import { installRequirements, type InstallEvent } from './installRequirements.js';

/** What preparing a script environment reports. */
export type ScriptEnvironmentEvent =
  | { type: 'script-environment-reused'; path: string }
  /** Waiting for, breaking or taking the lock on the environment (another run may be building it). */
  | { type: 'lock'; event: DirectoryLockEvent }
  | { type: 'script-environment-building'; path: string; python: string; pythonVersion: string; requirements: number }
  | { type: 'install'; event: InstallEvent }
  | { type: 'script-environment-ready'; path: string; installed: number };

/** Options for `ensureScriptEnvironment`. */
export interface ScriptEnvironmentOptions {
  /** The script's `# /// script` block (see `readScriptMetadata`). */
  metadata: Pick<ScriptMetadata, 'dependencies' | 'requiresPython'>;
  /** Where dependencies come from; not used when the environment is reused. */
  client: IndexClient;
  /** The global cache; environments live in `<cacheDir>/environments-v1/`. */
  cacheDir: string;
  /** A version prefix or interpreter path; it must also satisfy the script's requires-python. */
  python?: string;
  /** Building sdists when no wheel fits (on unless `noBuild`), as for `paved install`. */
  build?: SdistBuildSettings;
  /** How long to wait for another process building the same environment, and when its lock counts as abandoned. */
  lock?: Pick<DirectoryLockOptions, 'timeoutMs' | 'staleMs'>;
  onEvent?: (event: ScriptEnvironmentEvent) => void;
}

/** A ready environment for a script. */
export interface ScriptEnvironment {
  /** The environment's root directory. */
  venv: string;
  /** `<venv>/bin/python`: run the script with this. */
  python: string;
  /** The interpreter's version, e.g. `3.11.7`. */
  pythonVersion: string;
  /** True when an existing complete environment was used as it was. */
  reused: boolean;
}

const COMPLETE_MARKER = '.paved-environment.json';
const LAYOUT_VERSION = 1;

/** The interpreter facts that make two environments differ. */
function interpreterIdentity(interpreter: PythonInterpreter): string {
  return [interpreter.implementation, interpreter.version, interpreter.baseExecutable, interpreter.sysPlatform, interpreter.machine, interpreter.abiflags].join('\0');
}

/**
 * The key of a script environment: the sorted, trimmed requirements, requires-python and the
 * interpreter identity. Order and duplicates in `dependencies` do not matter.
 */
export function scriptEnvironmentKey(metadata: Pick<ScriptMetadata, 'dependencies' | 'requiresPython'>, interpreter: PythonInterpreter): string {
  const requirements = [...new Set(metadata.dependencies.map((d) => d.trim()))].sort();
  const text = JSON.stringify({ layout: LAYOUT_VERSION, requirements, requiresPython: metadata.requiresPython?.trim() ?? null, interpreter: interpreterIdentity(interpreter) });
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

async function isComplete(dir: string, key: string): Promise<boolean> {
  if (!existsSync(join(dir, 'bin', 'python'))) return false;
  try {
    const marker = JSON.parse(await readFile(join(dir, COMPLETE_MARKER), 'utf8')) as { key?: unknown };
    return marker.key === key;
  } catch {
    return false;
  }
}

/**
 * Returns an environment holding the script's dependencies for an interpreter that satisfies
 * its requires-python (and `python`, when given), building it when no complete one exists.
 * Throws `PAVED_E_NO_INTERPRETER` when no interpreter fits, `PAVED_E_LOCK_TIMEOUT` when another
 * process builds the same environment for longer than the lock's wait limit, and what
 * `installRequirements` throws (a failed build leaves no environment that a later call would reuse).
 *
 * Usage (`paved run script.py`):
 * ```ts
 * const metadata = (await readScriptMetadata(script)) ?? { dependencies: [], requiresPython: null };
 * const env = await ensureScriptEnvironment({ metadata, client, cacheDir, python, onEvent });
 * spawn(env.python, [script, ...args], { stdio: 'inherit' });
 * ```
 */
export async function ensureScriptEnvironment(options: ScriptEnvironmentOptions): Promise<ScriptEnvironment> {
  const emit = options.onEvent ?? ((): void => {});
  const cacheDir = resolvePath(options.cacheDir);
  const requiresPython = options.metadata.requiresPython ?? undefined;
  const interpreter = await findInterpreter({
    ...(options.python === undefined ? {} : { python: options.python }),
    ...(requiresPython === undefined ? {} : { requiresPython }),
    inspect: { cacheDir },
  });
  const key = scriptEnvironmentKey(options.metadata, interpreter);
  const dir = join(cacheDir, 'environments-v1', key);
  const python = join(dir, 'bin', 'python');
  const reused = (): ScriptEnvironment => {
    emit({ type: 'script-environment-reused', path: dir });
    return { venv: dir, python, pythonVersion: interpreter.version, reused: true };
  };
  // A complete environment never changes again, so reading it needs no lock.
  if (await isComplete(dir, key)) return reused();

  await mkdir(join(cacheDir, 'environments-v1'), { recursive: true });
  const lock = await acquireDirectoryLock(dir, {
    ...options.lock,
    description: `the script environment ${dir}`,
    onEvent: (event) => emit({ type: 'lock', event }),
  });
  try {
    // Another run may have built it while this one waited for the lock.
    if (await isComplete(dir, key)) return reused();
    return await buildEnvironment(options, { dir, key, python, interpreter, cacheDir, emit });
  } finally {
    await lock.release();
  }
}

/** Builds the environment into `dir`; the caller holds its lock. */
async function buildEnvironment(
  options: ScriptEnvironmentOptions,
  target: { dir: string; key: string; python: string; interpreter: PythonInterpreter; cacheDir: string; emit: (event: ScriptEnvironmentEvent) => void },
): Promise<ScriptEnvironment> {
  const { dir, key, python, interpreter, cacheDir, emit } = target;
  const requiresPython = options.metadata.requiresPython ?? undefined;
  // Whatever is there is a half-built leftover: start again.
  await rm(dir, { recursive: true, force: true });
  const requirements = [...new Set(options.metadata.dependencies.map((d) => d.trim()))].sort();
  emit({ type: 'script-environment-building', path: dir, python: interpreter.path, pythonVersion: interpreter.version, requirements: requirements.length });
  let installed: number;
  try {
    const result = await installRequirements({
      requirements: requirements.map((requirement) => ({ requirement })),
      client: options.client,
      venvDir: dir,
      python: interpreter.path,
      ...(requiresPython === undefined ? {} : { requiresPython }),
      cacheDir,
      ...(options.build === undefined ? {} : { build: options.build }),
      onEvent: (event) => emit({ type: 'install', event }),
    });
    installed = result.installed.length;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  if (!existsSync(python)) {
    throw new PavedError('PAVED_E_VENV', `the script environment ${dir} was not created`, { hint: 'Check that the cache directory is writable.' });
  }
  // Written last (and atomically): only a finished environment is ever reused.
  const marker = { key, requirements, requiresPython: requiresPython ?? null, python: interpreter.path, pythonVersion: interpreter.version, created: new Date().toISOString() };
  const temporary = join(dir, `${COMPLETE_MARKER}.tmp`);
  await writeFile(temporary, `${JSON.stringify(marker, null, 2)}\n`);
  await rename(temporary, join(dir, COMPLETE_MARKER));
  emit({ type: 'script-environment-ready', path: dir, installed });
  return { venv: dir, python, pythonVersion: interpreter.version, reused: false };
}
