/**
 * Finds CPython interpreters (PATH, pyenv-style `versions/*` trees, a venv's own) and learns
 * what each one is by running it once with a tiny script: version, platform, C library, install
 * scheme. From those facts the standards layer derives its marker environment and the wheel tags
 * it accepts. Results are cached by (path, mtime) so a second look costs one `stat`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { PavedError } from '../errors.js';
import { markerEnvironmentFor, type MarkerEnvironment } from '../standards/markers.js';
import { linuxPlatforms } from '../standards/platformTags.js';
import { parseSpecifierSet } from '../standards/specifier.js';
import { supportedTags, type Tag } from '../standards/tags.js';
import { compareVersions, tryParseVersion } from '../standards/version.js';

/** An install scheme: where each kind of file of a distribution goes. */
export interface InstallScheme {
  purelib: string;
  platlib: string;
  scripts: string;
  data: string;
  include: string;
}

/** Everything paved needs to know about one interpreter. */
export interface PythonInterpreter {
  /** The path it was inspected through (may be a symlink or a venv's `bin/python`). */
  path: string;
  /** `sys.executable`. */
  executable: string;
  /** The interpreter a venv should point at (`sys._base_executable`, else `sys.executable`). */
  baseExecutable: string;
  prefix: string;
  basePrefix: string;
  /** True when this interpreter runs inside a virtual environment. */
  isVenv: boolean;
  /** `platform.python_version()`, e.g. `3.11.7`. */
  version: string;
  versionInfo: [number, number, number];
  implementation: 'cpython' | 'pypy';
  sysPlatform: string;
  machine: string;
  /** glibc version the interpreter runs on, when it links glibc. */
  glibc: [number, number] | null;
  /** musl version, when it links musl. */
  musl: [number, number] | null;
  abiflags: string;
  /** 64 or 32: a 64-bit POSIX venv gets a `lib64` link like `python -m venv` makes. */
  pointerBits: 64 | 32;
  /** `sys.platlibdir` (`lib`, or `lib64` on some distributions). */
  platlibdir: string;
  /** `sys.implementation.cache_tag`, e.g. `cpython-311`: names bytecode files. */
  cacheTag: string;
  /** The interpreter's own scheme (`sysconfig.get_paths()`). */
  paths: InstallScheme;
  /** The scheme a venv made from this interpreter gets, relative to the venv's root. */
  venvScheme: InstallScheme;
  markerEnvironment: MarkerEnvironment;
  /** Wheel tags it accepts, best first. */
  tags: Tag[];
}

/** Options for `inspectInterpreter`. */
export interface InspectOptions {
  /** Killed after this long; default 10 s. */
  timeoutMs?: number;
  /** In-process cache shared between calls (see `createInterpreterCache`). */
  cache?: InterpreterCache;
  /** Directory for a cache that survives the process (`<dir>/interpreters-v1/`). */
  cacheDir?: string;
}

/** An in-process cache of inspections, keyed by path and modification time. */
export type InterpreterCache = Map<string, PythonInterpreter>;

/** A fresh in-process inspection cache. */
export function createInterpreterCache(): InterpreterCache {
  return new Map();
}

// Printed as one JSON line. Stays valid on every Python 3 paved supports (3.7+).
const INSPECT_SCRIPT = `
import json, os, platform, sys, sysconfig, glob, subprocess, re
def libc():
    try:
        g = os.confstr('CS_GNU_LIBC_VERSION')
    except (AttributeError, ValueError, OSError):
        g = None
    if g:
        return g.split()[-1], None
    for loader in glob.glob('/lib/ld-musl-*.so.1'):
        try:
            out = subprocess.run([loader], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, timeout=5).stderr.decode('utf-8', 'replace')
        except Exception:
            continue
        m = re.search(r'Version (\\d+\\.\\d+)', out)
        if m:
            return None, m.group(1)
    return None, None
scheme = 'venv' if 'venv' in sysconfig.get_scheme_names() else ('nt' if os.name == 'nt' else 'posix_prefix')
base = '/@PAVED_VENV@'
venv_paths = sysconfig.get_paths(scheme, vars={'base': base, 'platbase': base, 'installed_base': base, 'installed_platbase': base})
g, m = libc()
print(json.dumps({
    'executable': sys.executable,
    'base_executable': getattr(sys, '_base_executable', None) or sys.executable,
    'prefix': sys.prefix,
    'base_prefix': getattr(sys, 'base_prefix', sys.prefix),
    'version': platform.python_version(),
    'version_info': list(sys.version_info[:3]),
    'implementation': sys.implementation.name,
    'implementation_version': '%d.%d.%d' % sys.implementation.version[:3],
    'cache_tag': sys.implementation.cache_tag,
    'sys_platform': sys.platform,
    'machine': platform.machine(),
    'system': platform.system(),
    'release': platform.release(),
    'platform_version': platform.version(),
    'os_name': os.name,
    'glibc': g,
    'musl': m,
    'abiflags': getattr(sys, 'abiflags', ''),
    'platlibdir': getattr(sys, 'platlibdir', 'lib'),
    'pointer_bits': 64 if sys.maxsize > 2**32 else 32,
    'paths': sysconfig.get_paths(),
    'venv_paths': venv_paths,
}))
`;

interface RawInspection {
  executable: string;
  base_executable: string;
  prefix: string;
  base_prefix: string;
  version: string;
  version_info: [number, number, number];
  implementation: string;
  implementation_version: string;
  cache_tag: string | null;
  sys_platform: string;
  machine: string;
  system: string;
  release: string;
  platform_version: string;
  os_name: string;
  glibc: string | null;
  musl: string | null;
  abiflags: string;
  platlibdir: string;
  pointer_bits: number;
  paths: Record<string, string>;
  venv_paths: Record<string, string>;
}

/**
 * Whether Python at `path` runs as a virtual environment: site.py looks for `pyvenv.cfg` beside
 * the executable or one level up (the path as given, not the link's target).
 */
function looksLikeVenvPython(path: string): boolean {
  const dir = dirname(path);
  return existsSync(join(dir, 'pyvenv.cfg')) || existsSync(join(dirname(dir), 'pyvenv.cfg'));
}

function runPython(path: string, timeoutMs: number): Promise<string> {
  // Outside a venv the inspection does not need site.py (it only moves sys.prefix into a venv),
  // and without it Python starts in a third of the time: .pth files in site-packages may import
  // whole libraries (certifi's, on this machine, costs 40 ms).
  const flags = looksLikeVenvPython(path) ? ['-I'] : ['-I', '-S'];
  return new Promise((resolve, reject) => {
    execFile(
      path,
      [...flags, '-c', INSPECT_SCRIPT],
      { timeout: timeoutMs, maxBuffer: 1024 * 1024, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8' } },
      (error, stdout, stderr) => {
        if (error !== null) {
          const detail = String(stderr).trim().split('\n').slice(-1)[0] ?? error.message;
          reject(
            new PavedError('PAVED_E_INTERPRETER', `cannot inspect the Python interpreter ${path}: ${detail || error.message}`, {
              hint: 'Check that the path is a working Python 3 interpreter (run it with --version).',
              cause: error,
            }),
          );
          return;
        }
        resolve(String(stdout));
      },
    );
  });
}

function majorMinor(text: string | null): [number, number] | null {
  if (text === null) return null;
  const match = /^(\d+)\.(\d+)/.exec(text);
  return match === null ? null : [Number(match[1]), Number(match[2])];
}

function toScheme(paths: Record<string, string>, strip?: string): InstallScheme {
  const pick = (key: string): string => {
    const value = paths[key];
    if (typeof value !== 'string') throw new PavedError('PAVED_E_INTERPRETER', `the interpreter reported no "${key}" install path`);
    if (strip === undefined) return value;
    if (value === strip) return '.';
    return value.startsWith(`${strip}/`) ? value.slice(strip.length + 1) : value;
  };
  return { purelib: pick('purelib'), platlib: pick('platlib'), scripts: pick('scripts'), data: pick('data'), include: pick('include') };
}

function platformsFor(raw: RawInspection, glibc: [number, number] | null, musl: [number, number] | null): string[] {
  if (raw.sys_platform.startsWith('linux')) {
    let arch = raw.machine;
    // A 32-bit interpreter on a 64-bit kernel runs 32-bit wheels (what pip does too).
    if (raw.pointer_bits === 32 && arch === 'x86_64') arch = 'i686';
    if (raw.pointer_bits === 32 && arch === 'aarch64') arch = 'armv8l';
    return linuxPlatforms({ arch, ...(glibc === null ? {} : { glibc }), ...(musl === null ? {} : { musl }) });
  }
  // Other platforms: only pure wheels until their platform tags are wired in.
  return [];
}

function fromRaw(path: string, raw: RawInspection): PythonInterpreter {
  if (raw.implementation !== 'cpython' && raw.implementation !== 'pypy') {
    throw new PavedError('PAVED_E_INTERPRETER', `${path} is ${raw.implementation}, not CPython or PyPy`, { hint: 'Choose a CPython interpreter.' });
  }
  const implementation = raw.implementation;
  const glibc = majorMinor(raw.glibc);
  const musl = majorMinor(raw.musl);
  const [major, minor] = raw.version_info;
  const markerEnvironment = markerEnvironmentFor({
    implementation,
    pythonFullVersion: raw.version,
    sysPlatform: raw.sys_platform,
    platformMachine: raw.machine,
    platformSystem: raw.system,
    osName: raw.os_name,
    platformRelease: raw.release,
    platformVersion: raw.platform_version,
    implementationVersion: raw.implementation_version,
  });
  const abis = implementation === 'cpython' ? [`cp${major}${minor}${raw.abiflags.includes('t') ? 't' : ''}${major === 3 && minor < 8 ? raw.abiflags : ''}`] : undefined;
  const tags = supportedTags({
    implementation: implementation === 'cpython' ? 'cp' : 'pp',
    pythonVersion: [major, minor],
    ...(abis === undefined ? {} : { abis }),
    platforms: platformsFor(raw, glibc, musl),
  });
  return {
    path,
    executable: raw.executable,
    baseExecutable: raw.base_executable,
    prefix: raw.prefix,
    basePrefix: raw.base_prefix,
    isVenv: raw.prefix !== raw.base_prefix,
    version: raw.version,
    versionInfo: raw.version_info,
    implementation,
    sysPlatform: raw.sys_platform,
    machine: raw.machine,
    glibc,
    musl,
    abiflags: raw.abiflags,
    pointerBits: raw.pointer_bits === 32 ? 32 : 64,
    platlibdir: raw.platlibdir,
    cacheTag: raw.cache_tag ?? `${implementation}-${major}${minor}`,
    paths: toScheme(raw.paths),
    venvScheme: toScheme(raw.venv_paths, '/@PAVED_VENV@'),
    markerEnvironment,
    tags,
  };
}

function diskCachePath(cacheDir: string, key: string): string {
  return join(cacheDir, 'interpreters-v1', `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
}

/**
 * Runs the interpreter at `path` once and describes it. Throws `PAVED_E_INTERPRETER` when it
 * does not run, times out or is not CPython/PyPy.
 */
export async function inspectInterpreter(path: string, options: InspectOptions = {}): Promise<PythonInterpreter> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new PavedError('PAVED_E_INTERPRETER', `no Python interpreter at ${path}`, { hint: 'Give the path of a python executable or a version such as 3.12.', cause: error });
  }
  // mtime of the real file (stat follows links) plus size: a reinstalled Python changes both.
  const key = `${path}\0${info.mtimeMs}\0${info.size}\0${info.ino}`;
  const cached = options.cache?.get(key);
  if (cached !== undefined) return cached;
  if (options.cacheDir !== undefined) {
    try {
      const stored = JSON.parse(await readFile(diskCachePath(options.cacheDir, key), 'utf8')) as { key: string; raw: RawInspection };
      if (stored.key === key) {
        const result = fromRaw(path, stored.raw);
        options.cache?.set(key, result);
        return result;
      }
    } catch {
      // absent or unreadable: inspect again
    }
  }
  const stdout = await runPython(path, options.timeoutMs ?? 10_000);
  let raw: RawInspection;
  try {
    raw = JSON.parse(stdout.trim().split('\n').slice(-1)[0] ?? '') as RawInspection;
  } catch (error) {
    throw new PavedError('PAVED_E_INTERPRETER', `${path} printed something that is not an inspection report`, { hint: 'Check that it is a Python 3 interpreter.', cause: error });
  }
  const result = fromRaw(path, raw);
  options.cache?.set(key, result);
  if (options.cacheDir !== undefined) {
    const file = diskCachePath(options.cacheDir, key);
    try {
      await mkdir(join(options.cacheDir, 'interpreters-v1'), { recursive: true });
      const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(temp, JSON.stringify({ key, raw }));
      await rename(temp, file);
    } catch {
      // A read-only cache only costs speed.
    }
  }
  return result;
}

/** Where `findInterpreters` looks. */
export interface FindInterpretersOptions {
  /** PATH-style list of directories; default `process.env.PATH`. */
  path?: string;
  /** Trees shaped like `<root>/versions/<v>/bin/python3`; default `$PYENV_ROOT` or `~/.pyenv`. */
  pyenvRoots?: string[];
  /** A virtual environment whose own `bin/python` is a candidate (preferred first). */
  venv?: string;
  inspect?: InspectOptions;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    return info.isFile() && (info.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Candidate interpreter paths, in discovery order (venv, PATH, pyenv trees), not yet run. */
export async function listInterpreterCandidates(options: FindInterpretersOptions = {}): Promise<string[]> {
  const candidates: string[] = [];
  if (options.venv !== undefined) candidates.push(join(options.venv, 'bin', 'python'));
  const pathDirs = (options.path ?? process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '');
  for (const dir of pathDirs) {
    // pyenv shims pick a version by the working directory; the versions tree below lists them all.
    if (dir.endsWith('/.pyenv/shims') || dir.endsWith('/pyenv/shims')) continue;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (/^python3(\.\d+)?$/.test(name)) candidates.push(join(dir, name));
    }
  }
  const pyenvRoot = process.env['PYENV_ROOT'];
  const roots = options.pyenvRoots ?? [pyenvRoot !== undefined && pyenvRoot !== '' ? pyenvRoot : join(homedir(), '.pyenv')];
  for (const root of roots) {
    let versions: string[];
    try {
      versions = await readdir(join(root, 'versions'));
    } catch {
      continue;
    }
    for (const version of versions.sort()) candidates.push(join(root, 'versions', version, 'bin', 'python3'));
  }
  const existing: string[] = [];
  const seen = new Set<string>();
  for (const [index, candidate] of candidates.entries()) {
    if (!(await isExecutableFile(candidate))) continue;
    // /bin/python3, /usr/bin/python3 and /usr/bin/python3.11 are often one file; a venv's own
    // python (always first) links to its base but is a different interpreter.
    const real = await realpath(candidate);
    if (index > 0 || options.venv === undefined) {
      if (seen.has(real)) continue;
      seen.add(real);
    }
    existing.push(candidate);
  }
  return existing;
}

/**
 * Every working CPython/PyPy 3 interpreter found, one per real executable, newest first
 * (a venv's own interpreter first). Interpreters that fail to run are skipped.
 */
export async function findInterpreters(options: FindInterpretersOptions = {}): Promise<PythonInterpreter[]> {
  return inspectCandidates(await listInterpreterCandidates(options), options);
}

async function inspectCandidates(candidates: readonly string[], options: FindInterpretersOptions): Promise<PythonInterpreter[]> {
  const inspected = await Promise.all(candidates.map((path) => inspectInterpreter(path, options.inspect).catch(() => null)));
  const seen = new Set<string>();
  const found: PythonInterpreter[] = [];
  inspected.forEach((interpreter) => {
    if (interpreter === null || interpreter.versionInfo[0] !== 3) return;
    // A venv's python and its base are different interpreters (different prefix).
    const identity = `${interpreter.executable}\0${interpreter.prefix}`;
    if (seen.has(identity)) return;
    seen.add(identity);
    found.push(interpreter);
  });
  const venvPython = options.venv === undefined ? null : join(options.venv, 'bin', 'python');
  return found.sort((a, b) => {
    if (venvPython !== null && (a.path === venvPython) !== (b.path === venvPython)) return a.path === venvPython ? -1 : 1;
    return compareVersions(b.version, a.version);
  });
}

/** What `findInterpreter` should choose. */
export interface FindInterpreterOptions extends FindInterpretersOptions {
  /** A version prefix (`3`, `3.12`, `3.12.1`) or the path of an interpreter. */
  python?: string;
  /** A PEP 440 specifier set the interpreter's version must satisfy (`requires-python`). */
  requiresPython?: string;
  /**
   * How well a matching interpreter suits the caller, lower is better (e.g. 0 when a lock has a
   * wheel of every package for it): the newest of the best-ranked is chosen. Not asked of a path.
   */
  rank?: (interpreter: PythonInterpreter) => number;
}

function matchesVersionRequest(interpreter: PythonInterpreter, request: string): boolean {
  const wanted = request.replace(/^(python|cpython|py)/i, '').split('.');
  const have = interpreter.version.split('.');
  return wanted.every((part, index) => part === have[index]);
}

/** The version a candidate's path names (`…/versions/3.12.1/bin/python3`, `…/python3.12`), or null. */
function versionNamedByPath(path: string): string | null {
  return (/\/versions\/(\d+\.\d+(?:\.\d+)?)\/bin\/python3$/.exec(path) ?? /\/python(\d+\.\d+)$/.exec(path))?.[1] ?? null;
}

/** True when two dotted versions agree on every part both have (`3.11` and `3.11.7`). */
function versionPartsAgree(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  return x.slice(0, Math.min(x.length, y.length)).every((part, index) => part === y[index]);
}

/**
 * Why `have` (an environment's interpreter) is not the one `request` (a version prefix or a
 * path, as `--python` takes) asks for, or null when it is: a version must agree with its version
 * on every part given, a path must lead to the same interpreter or the environment's own base.
 */
export async function interpreterMismatch(have: PythonInterpreter, request: string, inspect?: InspectOptions): Promise<string | null> {
  const trimmed = request.trim();
  if (trimmed === '') return null;
  if (!trimmed.includes('/')) return matchesVersionRequest(have, trimmed) ? null : `it is Python ${have.version}, not ${trimmed}`;
  const asked = await inspectInterpreter(trimmed, inspect);
  if (asked.prefix === have.prefix) return null;
  const real = (path: string): string => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  };
  return real(asked.baseExecutable) === real(have.baseExecutable) ? null : `it runs ${have.baseExecutable} (Python ${have.version}), not ${trimmed} (Python ${asked.version})`;
}

/** True when a `requires-python` specifier set (none or empty: anything) admits the interpreter's version, pre-releases included. */
export function pythonAdmits(requiresPython: string | null, interpreter: PythonInterpreter): boolean {
  if (requiresPython === null || requiresPython.trim() === '') return true;
  const version = tryParseVersion(interpreter.version);
  return version !== null && parseSpecifierSet(requiresPython).contains(version, { prereleases: true });
}

/**
 * The newest interpreter matching `python` (a version prefix or a path) and `requiresPython`
 * (the best by `rank` first, when given). Throws `PAVED_E_NO_INTERPRETER` naming what was found when none matches.
 */
export async function findInterpreter(options: FindInterpreterOptions = {}): Promise<PythonInterpreter> {
  const request = options.python?.trim();
  const admits = (interpreter: PythonInterpreter): boolean => pythonAdmits(options.requiresPython ?? null, interpreter);
  if (request !== undefined && request.includes('/')) {
    const interpreter = await inspectInterpreter(request, options.inspect);
    if (!admits(interpreter)) {
      throw new PavedError('PAVED_E_NO_INTERPRETER', `${request} is Python ${interpreter.version}, which requires-python ${options.requiresPython ?? ''} does not admit`, {
        hint: 'Choose another interpreter with --python.',
      });
    }
    return interpreter;
  }
  if (request !== undefined && request !== '' && !/^(python|cpython|py)?\d+(\.\d+){0,2}$/i.test(request)) {
    throw new PavedError('PAVED_E_NO_INTERPRETER', `"${request}" is neither a Python version nor a path`, { hint: 'Use a version such as 3.12 or the path of an interpreter.' });
  }
  const choose = (found: PythonInterpreter[]): PythonInterpreter | undefined => {
    const matching = found.filter((interpreter) => (request === undefined || request === '' || matchesVersionRequest(interpreter, request)) && admits(interpreter));
    if (options.venv !== undefined && matching[0]?.path === join(options.venv, 'bin', 'python')) return matching[0];
    const rank = options.rank;
    const ranks = new Map(rank === undefined ? [] : matching.map((interpreter) => [interpreter, rank(interpreter)]));
    return matching.sort((a, b) => (ranks.get(a) ?? 0) - (ranks.get(b) ?? 0) || compareVersions(b.version, a.version))[0];
  };
  const candidates = await listInterpreterCandidates(options);
  if (request !== undefined && request !== '') {
    // A version request first runs only the candidates whose path names no other version: on a
    // cold cache that is one or two interpreters instead of every one installed (each run costs
    // tens of milliseconds). When those hold no match, every candidate is looked at.
    const wanted = request.replace(/^(python|cpython|py)/i, '');
    const likely = candidates.filter((path) => {
      const named = versionNamedByPath(path);
      return named === null || versionPartsAgree(named, wanted);
    });
    if (likely.length < candidates.length) {
      const chosen = choose(await inspectCandidates(likely, options));
      if (chosen !== undefined) return chosen;
    }
  }
  const all = await inspectCandidates(candidates, options);
  const chosen = choose(all);
  if (chosen === undefined) {
    const wanted = [request === undefined || request === '' ? null : `Python ${request}`, options.requiresPython === undefined || options.requiresPython.trim() === '' ? null : `requires-python ${options.requiresPython}`].filter((x) => x !== null).join(' and ');
    const seen = all.map((interpreter) => `${interpreter.version} (${interpreter.path})`).join(', ') || 'none';
    throw new PavedError('PAVED_E_NO_INTERPRETER', `no Python interpreter matches ${wanted || 'the request'}; found: ${seen}`, {
      hint: 'Install a matching Python (with pyenv or the system package manager) or point --python at one.',
    });
  }
  return chosen;
}
