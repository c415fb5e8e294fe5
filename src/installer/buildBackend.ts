/**
 * Running a source tree's PEP 517 build back-end in a given (build) environment. Each hook runs
 * in its own Python process through a small driver script, like pip's `pyproject_hooks`: the
 * driver puts `backend-path` first on `sys.path`, imports the back-end object, calls the hook and
 * writes its return value as JSON to a file, so nothing the back-end prints can be mistaken for
 * the answer. Everything it prints is kept (the last lines go into the error when it fails).
 *
 * Without a `[build-system]` table (or without `build-backend`), the back-end is
 * `setuptools.build_meta:__legacy__` and the requirements default to `setuptools>=40.8.0`, as pip
 * does. Error codes: PAVED_E_INVALID_BUILD_SYSTEM, PAVED_E_BUILD_FAILED, PAVED_E_BUILD_TIMEOUT.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { PavedError } from '../errors.js';
import { parseCoreMetadata, type CoreMetadata } from '../standards/coreMetadata.js';
import { parseRequirement } from '../standards/requirement.js';
import { parseWheelFilename } from '../standards/wheelFilename.js';

/** The `[build-system]` of a source tree, with pip's defaults filled in. */
export interface BuildSystem {
  /** PEP 508 requirements of the build environment. */
  requires: string[];
  /** `module.path:object.path`. */
  backend: string;
  /** Absolute directories put first on `sys.path` (`backend-path`), all inside the source tree. */
  backendPath: string[];
  /** False when the back-end is the legacy setuptools default (no `build-backend` given). */
  declared: boolean;
}

/** The PEP 517 hooks paved calls, and the two of PEP 660 for editable installs. */
export type BuildHook = 'get_requires_for_build_wheel' | 'prepare_metadata_for_build_wheel' | 'build_wheel' | 'get_requires_for_build_editable' | 'build_editable';

/** What running hooks reports. */
export type BuildBackendEvent =
  | { type: 'hook-started'; sdist: string; hook: BuildHook }
  | { type: 'hook-output'; sdist: string; hook: BuildHook; line: string }
  | { type: 'hook-finished'; sdist: string; hook: BuildHook; ms: number };

/** Where and how hooks run. */
export interface BuildHookOptions {
  /** The build environment's `bin/python`. */
  python: string;
  /** The unpacked source tree (the hooks' working directory). */
  sourceDir: string;
  buildSystem: BuildSystem;
  /** Names the sdist in events and errors, e.g. `demo-1.0.tar.gz`. */
  sdist: string;
  /** A hook still running after this long is killed (with everything it started). Default 30 min. */
  timeoutMs?: number;
  /** Lines of output shown in a failure's message. Default 40. */
  outputTailLines?: number;
  /** The environment the hooks see; default process.env (minus PYTHONPATH/PYTHONHOME). */
  env?: Record<string, string | undefined>;
  onEvent?: (event: BuildBackendEvent) => void;
}

/** pip's default when a source tree does not say how to build it. */
export const LEGACY_BUILD_SYSTEM: Omit<BuildSystem, 'backendPath'> = {
  requires: ['setuptools>=40.8.0'],
  backend: 'setuptools.build_meta:__legacy__',
  declared: false,
};

const MAX_PYPROJECT_BYTES = 1024 * 1024;
const MAX_METADATA_BYTES = 16 * 1024 * 1024;
const BACKEND_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$/;

function invalidBuildSystem(sdist: string, message: string): PavedError {
  return new PavedError('PAVED_E_INVALID_BUILD_SYSTEM', `${sdist}: ${message}`, {
    hint: 'The sdist\'s pyproject.toml [build-system] table is wrong (PEP 517/518); ask its maintainers for a fixed release or a wheel.',
  });
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Reads the `[build-system]` of the source tree at `sourceDir` (pip's defaults when there is no
 * pyproject.toml, no table, or no `build-backend`). Throws PAVED_E_INVALID_BUILD_SYSTEM for bad
 * TOML, a missing or malformed `requires`, a malformed back-end name or a `backend-path` outside
 * the tree.
 */
export async function readBuildSystem(sourceDir: string, sdist: string): Promise<BuildSystem> {
  const path = join(sourceDir, 'pyproject.toml');
  let info;
  try {
    info = await stat(path);
  } catch {
    return { ...LEGACY_BUILD_SYSTEM, requires: [...LEGACY_BUILD_SYSTEM.requires], backendPath: [] };
  }
  if (!info.isFile()) throw invalidBuildSystem(sdist, 'pyproject.toml is not a file');
  if (info.size > MAX_PYPROJECT_BYTES) throw invalidBuildSystem(sdist, `pyproject.toml is ${info.size} bytes; the limit is ${MAX_PYPROJECT_BYTES}`);
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw invalidBuildSystem(sdist, `pyproject.toml is not valid TOML (${first})`);
  }
  const table = doc['build-system'];
  if (table === undefined) return { ...LEGACY_BUILD_SYSTEM, requires: [...LEGACY_BUILD_SYSTEM.requires], backendPath: [] };
  if (typeof table !== 'object' || table === null || Array.isArray(table)) throw invalidBuildSystem(sdist, '[build-system] is not a table');
  const bs = table as Record<string, unknown>;
  const requires = bs['requires'];
  // PEP 518: a [build-system] table must say what it requires.
  if (!Array.isArray(requires) || requires.some((r) => typeof r !== 'string')) throw invalidBuildSystem(sdist, '[build-system] requires must be a list of strings');
  for (const r of requires as string[]) {
    try {
      parseRequirement(r);
    } catch {
      throw invalidBuildSystem(sdist, `[build-system] requires has an invalid requirement ${JSON.stringify(r.slice(0, 200))}`);
    }
  }
  const backend = bs['build-backend'];
  if (backend !== undefined && (typeof backend !== 'string' || !BACKEND_PATTERN.test(backend.replace(/\s+/g, '')))) {
    throw invalidBuildSystem(sdist, `build-backend ${JSON.stringify(backend)} is not a module:object name`);
  }
  const rawPath = bs['backend-path'] ?? [];
  if (!Array.isArray(rawPath) || rawPath.some((p) => typeof p !== 'string')) throw invalidBuildSystem(sdist, 'backend-path must be a list of strings');
  const root = await realpath(sourceDir);
  const backendPath: string[] = [];
  for (const entry of rawPath as string[]) {
    const absolute = resolve(root, entry);
    let real = absolute;
    try {
      real = await realpath(absolute);
    } catch {
      // A missing directory is harmless; it is still checked lexically.
    }
    if (isAbsolute(entry) || !isInside(root, absolute) || !isInside(root, real)) {
      throw invalidBuildSystem(sdist, `backend-path ${JSON.stringify(entry)} points outside the source tree`);
    }
    backendPath.push(absolute);
  }
  if (backend === undefined) return { requires: requires as string[], backend: LEGACY_BUILD_SYSTEM.backend, backendPath, declared: false };
  return { requires: requires as string[], backend: (backend as string).replace(/\s+/g, ''), backendPath, declared: true };
}

/** The in-process side, after pyproject_hooks' `_in_process.py`: argv = [input.json, output.json]. */
const DRIVER = String.raw`
import importlib, json, os, sys, traceback

def write(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f)

def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cfg = json.load(f)
    out = sys.argv[2]
    # The driver's own directory must not shadow anything the back-end imports.
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    backend_path = cfg["backend_path"]
    sys.path[:0] = backend_path
    module_name, _, object_path = cfg["backend"].partition(":")
    try:
        obj = importlib.import_module(module_name)
    except Exception:
        traceback.print_exc()
        write(out, {"error": "backend-unavailable"})
        return 1
    if backend_path:
        # PEP 517: with backend-path, the back-end must be loaded from those directories.
        origin = os.path.abspath(getattr(obj, "__file__", None) or "")
        if not any(origin.startswith(os.path.join(os.path.abspath(p), "")) for p in backend_path):
            write(out, {"error": "backend-outside-path", "origin": origin})
            return 1
    try:
        for part in filter(None, object_path.split(".")):
            obj = getattr(obj, part)
    except AttributeError:
        traceback.print_exc()
        write(out, {"error": "backend-unavailable"})
        return 1
    hook = getattr(obj, cfg["hook"], None)
    if hook is None:
        write(out, {"unsupported": True})
        return 0
    try:
        value = hook(*cfg["args"], **cfg["kwargs"])
    except BaseException:
        traceback.print_exc()
        write(out, {"error": "hook-failed"})
        return 1
    write(out, {"return": value})
    return 0

sys.exit(main())
`;

type HookResult = { return: unknown } | { unsupported: true };

/** Keeps the last `max` lines of a stream of chunks. */
class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';
  constructor(private readonly max: number, private readonly onLine: (line: string) => void) {}
  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    // A runaway line is cut so memory stays bounded.
    if (this.partial.length > 16_384) this.partial = `${this.partial.slice(0, 16_384)}…`;
    for (const line of parts) this.add(line);
  }
  private add(line: string): void {
    const shown = line.length > 2000 ? `${line.slice(0, 2000)}…` : line;
    this.lines.push(shown);
    if (this.lines.length > this.max) this.lines.shift();
    this.onLine(shown);
  }
  finish(): string[] {
    if (this.partial !== '') this.add(this.partial);
    this.partial = '';
    return [...this.lines];
  }
}

function hookEnv(base: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  // Whatever the caller's shell puts on the path must not leak into an isolated build.
  delete env['PYTHONPATH'];
  delete env['PYTHONHOME'];
  delete env['__PYVENV_LAUNCHER__'];
  env['PYTHONNOUSERSITE'] = '1';
  env['PYTHONIOENCODING'] = 'utf-8';
  return env;
}

function failureMessage(options: BuildHookOptions, hook: BuildHook, what: string, tail: string[]): string {
  const shown = tail.length === 0 ? ' It printed nothing.' : `\nLast ${tail.length} line(s) of its output:\n${tail.map((l) => `  ${l}`).join('\n')}`;
  return `building ${options.sdist} failed: ${hook} of back-end ${options.buildSystem.backend} ${what}.${shown}`;
}

/** Runs one hook and returns what it returned (or that the back-end does not have it). */
async function runHook(options: BuildHookOptions, hook: BuildHook, args: unknown[], kwargs: Record<string, unknown>): Promise<HookResult> {
  const emit = options.onEvent ?? ((): void => {});
  const timeoutMs = options.timeoutMs ?? 30 * 60 * 1000;
  const work = await mkdtemp(join(tmpdir(), 'paved-hook-'));
  const started = Date.now();
  try {
    const driver = join(work, 'paved_pep517_driver.py');
    const input = join(work, 'input.json');
    const output = join(work, 'output.json');
    await writeFile(driver, DRIVER);
    await writeFile(input, JSON.stringify({ backend: options.buildSystem.backend, backend_path: options.buildSystem.backendPath, hook, args, kwargs }));
    emit({ type: 'hook-started', sdist: options.sdist, hook });
    const tail = new OutputTail(options.outputTailLines ?? 40, (line) => emit({ type: 'hook-output', sdist: options.sdist, hook, line }));
    const outcome = await new Promise<{ code: number | null; signal: string | null; timedOut: boolean; spawnError: Error | null }>((done) => {
      // detached: its own process group, so a timeout also ends compilers and helpers it started.
      const child = spawn(options.python, [driver, input, output], { cwd: options.sourceDir, env: hookEnv(options.env ?? process.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => tail.push(chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => tail.push(chunk));
      child.on('error', (error) => {
        clearTimeout(timer);
        done({ code: null, signal: null, timedOut, spawnError: error });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        done({ code, signal, timedOut, spawnError: null });
      });
    });
    const lines = tail.finish();
    emit({ type: 'hook-finished', sdist: options.sdist, hook, ms: Date.now() - started });
    if (outcome.spawnError !== null) {
      throw new PavedError('PAVED_E_BUILD_FAILED', `building ${options.sdist} failed: cannot run ${options.python} (${outcome.spawnError.message})`, {
        hint: 'The build environment\'s interpreter is missing or broken; remove the build environment cache and retry.',
        cause: outcome.spawnError,
      });
    }
    if (outcome.timedOut) {
      throw new PavedError('PAVED_E_BUILD_TIMEOUT', failureMessage(options, hook, `did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped`, lines), {
        hint: 'The build hangs or is very slow; raise the build timeout if it is genuinely slow, or use a wheel.',
        details: { sdist: options.sdist, hook, output: lines },
      });
    }
    let result: Record<string, unknown> | null = null;
    try {
      const text = await readFile(output, 'utf8');
      if (text.length > MAX_METADATA_BYTES) throw new Error('too large');
      result = JSON.parse(text) as Record<string, unknown>;
    } catch {
      result = null;
    }
    const details = { sdist: options.sdist, hook, exitCode: outcome.code, output: lines };
    const hint = 'Read the back-end\'s output above: a missing compiler or system library is the usual cause. A wheel of this release avoids building it.';
    if (result !== null && result['error'] === 'backend-unavailable') {
      throw new PavedError('PAVED_E_BUILD_FAILED', failureMessage(options, hook, 'could not be run: the back-end cannot be imported', lines), {
        hint: 'The build back-end is not among the build requirements, or fails to import.',
        details,
      });
    }
    if (result !== null && result['error'] === 'backend-outside-path') {
      throw new PavedError('PAVED_E_BUILD_FAILED', failureMessage(options, hook, `could not be run: the back-end was loaded from ${String(result['origin'])}, not from its backend-path`, lines), {
        hint: 'PEP 517 requires an in-tree back-end to be loaded from backend-path; the sdist is broken.',
        details,
      });
    }
    if (outcome.code !== 0 || result === null || ('error' in result)) {
      const how = outcome.signal !== null ? `was killed by ${outcome.signal}` : `failed (exit code ${String(outcome.code)})`;
      throw new PavedError('PAVED_E_BUILD_FAILED', failureMessage(options, hook, how, lines), { hint, details });
    }
    if (result['unsupported'] === true) return { unsupported: true };
    return { return: result['return'] };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function badReturn(options: BuildHookOptions, hook: BuildHook, what: string): PavedError {
  return new PavedError('PAVED_E_BUILD_FAILED', `building ${options.sdist} failed: ${hook} of back-end ${options.buildSystem.backend} ${what}`, {
    hint: 'The build back-end is broken; ask the sdist\'s maintainers for a fixed release or a wheel.',
  });
}

/** A plain name the back-end says it wrote into `dir`; anything with a path in it is refused. */
async function returnedEntry(options: BuildHookOptions, hook: BuildHook, value: unknown, dir: string): Promise<string> {
  if (typeof value !== 'string' || value === '' || value !== basename(value) || value === '.' || value === '..' || value.includes('\\') || value.includes('\0')) {
    throw badReturn(options, hook, `returned ${JSON.stringify(value)}, not the name of what it wrote`);
  }
  try {
    await stat(join(dir, value));
  } catch {
    throw badReturn(options, hook, `returned ${JSON.stringify(value)}, which it did not write`);
  }
  return join(dir, value);
}

/** `get_requires_for_build_wheel`: the extra build requirements (none when the back-end lacks the hook). */
export function getRequiresForBuildWheel(options: BuildHookOptions): Promise<string[]> {
  return getRequiresFor(options, 'get_requires_for_build_wheel');
}

/** PEP 660 `get_requires_for_build_editable`: the extra requirements of an editable build (none when the back-end lacks the hook). */
export function getRequiresForBuildEditable(options: BuildHookOptions): Promise<string[]> {
  return getRequiresFor(options, 'get_requires_for_build_editable');
}

async function getRequiresFor(options: BuildHookOptions, hook: 'get_requires_for_build_wheel' | 'get_requires_for_build_editable'): Promise<string[]> {
  const result = await runHook(options, hook, [], { config_settings: null });
  if ('unsupported' in result) return [];
  const value = result.return;
  if (!Array.isArray(value) || value.some((r) => typeof r !== 'string')) throw badReturn(options, hook, 'did not return a list of requirement strings');
  for (const r of value as string[]) {
    try {
      parseRequirement(r);
    } catch {
      throw badReturn(options, hook, `returned an invalid requirement ${JSON.stringify(r.slice(0, 200))}`);
    }
  }
  return value as string[];
}

/** `prepare_metadata_for_build_wheel` into `metadataDir`: the `.dist-info` directory it made, or null when the back-end lacks the hook. */
export async function prepareMetadataForBuildWheel(options: BuildHookOptions, metadataDir: string): Promise<string | null> {
  const hook = 'prepare_metadata_for_build_wheel';
  await mkdir(metadataDir, { recursive: true });
  const result = await runHook(options, hook, [metadataDir], { config_settings: null });
  if ('unsupported' in result) return null;
  const path = await returnedEntry(options, hook, result.return, metadataDir);
  if (!path.endsWith('.dist-info')) throw badReturn(options, hook, `returned ${JSON.stringify(result.return)}, not a .dist-info directory`);
  return path;
}

/** `build_wheel` into `wheelDir`: the path of the wheel it wrote (checked to be a valid wheel filename). */
export async function buildWheelWithBackend(options: BuildHookOptions, wheelDir: string, metadataDirectory: string | null = null): Promise<string> {
  const hook = 'build_wheel';
  await mkdir(wheelDir, { recursive: true });
  const result = await runHook(options, hook, [wheelDir], { config_settings: null, metadata_directory: metadataDirectory });
  if ('unsupported' in result) throw badReturn(options, hook, 'is missing (every PEP 517 back-end must have it)');
  return builtWheelPath(options, hook, result.return, wheelDir);
}

/**
 * PEP 660 `build_editable` into `wheelDir`: the path of the editable wheel it wrote. A back-end
 * without the hook cannot install the tree in editable mode: PAVED_E_BUILD_FAILED saying so.
 */
export async function buildEditableWithBackend(options: BuildHookOptions, wheelDir: string): Promise<string> {
  const hook = 'build_editable';
  await mkdir(wheelDir, { recursive: true });
  const result = await runHook(options, hook, [wheelDir], { config_settings: null, metadata_directory: null });
  if ('unsupported' in result) {
    throw new PavedError('PAVED_E_BUILD_FAILED', `${options.sdist} cannot be installed in editable mode: back-end ${options.buildSystem.backend} has no build_editable hook (PEP 660)`, {
      hint: 'Use a back-end version that supports PEP 660 (setuptools >= 64, hatchling, flit-core >= 3.4, pdm-backend, poetry-core >= 1.0.8), or sync with --no-install-project.',
    });
  }
  return builtWheelPath(options, hook, result.return, wheelDir);
}

/** The wheel a build hook says it wrote into `wheelDir`, checked to be there and to have a wheel's filename. */
async function builtWheelPath(options: BuildHookOptions, hook: BuildHook, value: unknown, wheelDir: string): Promise<string> {
  const path = await returnedEntry(options, hook, value, wheelDir);
  try {
    parseWheelFilename(basename(path));
  } catch {
    throw badReturn(options, hook, `returned ${JSON.stringify(value)}, which is not a wheel filename`);
  }
  return path;
}

function openZip(path: string): Promise<ZipFile> {
  return new Promise((resolveZip, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (error, zip) => (error !== null || zip === undefined ? reject(error ?? new Error('cannot open')) : resolveZip(zip)));
  });
}

/** The `*.dist-info/METADATA` of a built wheel (at most 16 MiB). */
export async function readBuiltWheelMetadata(wheelPath: string): Promise<string> {
  const zip = await openZip(wheelPath);
  try {
    const entry = await new Promise<Entry | null>((found, reject) => {
      zip.on('entry', (e: Entry) => (/^[^/]+\.dist-info\/METADATA$/.test(e.fileName) ? found(e) : zip.readEntry()));
      zip.on('end', () => found(null));
      zip.on('error', reject);
      zip.readEntry();
    });
    if (entry === null || entry.uncompressedSize > MAX_METADATA_BYTES) {
      throw new PavedError('PAVED_E_BUILD_FAILED', `the wheel built as ${basename(wheelPath)} has no readable .dist-info/METADATA`, { hint: 'The build back-end is broken.' });
    }
    const stream = await new Promise<NodeJS.ReadableStream>((ok, reject) => zip.openReadStream(entry, (error, s) => (error !== null || s === undefined ? reject(error ?? new Error('cannot read')) : ok(s))));
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    zip.close();
  }
}

/** What `buildMetadataWithBackend` learned. */
export interface BuiltMetadata {
  metadata: CoreMetadata;
  /** The METADATA text as the back-end wrote it. */
  text: string;
  /** The `.dist-info` directory `prepare_metadata_for_build_wheel` made, or null when it had to build. */
  distInfoDir: string | null;
  /** The wheel built to learn the metadata (the fallback), ready to be installed. */
  wheelPath: string | null;
}

/**
 * The core metadata of the source tree: from `prepare_metadata_for_build_wheel` into
 * `<workDir>/metadata`, or, when the back-end lacks that hook, by building the wheel into
 * `<workDir>/wheel` and reading its METADATA (the wheel is returned so it need not be built twice).
 */
export async function buildMetadataWithBackend(options: BuildHookOptions, workDir: string): Promise<BuiltMetadata> {
  const distInfo = await prepareMetadataForBuildWheel(options, join(workDir, 'metadata'));
  let text: string;
  let wheelPath: string | null = null;
  if (distInfo !== null) {
    const path = join(distInfo, 'METADATA');
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw badReturn(options, 'prepare_metadata_for_build_wheel', `made ${basename(distInfo)} without a METADATA file`);
    }
    if (size > MAX_METADATA_BYTES) throw badReturn(options, 'prepare_metadata_for_build_wheel', `wrote a METADATA of ${size} bytes`);
    text = await readFile(path, 'utf8');
  } else {
    wheelPath = await buildWheelWithBackend(options, join(workDir, 'wheel'));
    text = await readBuiltWheelMetadata(wheelPath);
  }
  let metadata: CoreMetadata;
  try {
    metadata = parseCoreMetadata(text);
  } catch (error) {
    throw new PavedError('PAVED_E_BUILD_FAILED', `building ${options.sdist} gave metadata that cannot be read: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'The build back-end is broken.',
      cause: error,
    });
  }
  return { metadata, text, distInfoDir: distInfo, wheelPath };
}
