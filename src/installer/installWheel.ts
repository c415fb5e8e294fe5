/**
 * Installs an unpacked wheel into a virtual environment the way the binary distribution
 * format specifies, so pip, `importlib.metadata` and `pip uninstall` see exactly what they would
 * after `pip install`: files hard-linked from the wheel cache (reflink or copy where links
 * cannot be made), `.data/` subdirectories moved to their scheme directories, `#!python`
 * shebangs rewritten, console and GUI entry points written as launchers, and a RECORD listing
 * every installed path with its hash. The `.dist-info` directory is assembled under a hidden
 * name and renamed into place last, so an interrupted install is never seen as installed; a
 * failed one removes what it placed.
 */
import { createHash } from 'node:crypto';
import { chmodSync, constants as fsConstants, linkSync, lstatSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { copyFile, lstat, readdir, readFile, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PavedError } from '../errors.js';
import { normalizeName } from '../standards/names.js';
import { createBytecodeCompiler, type BytecodeCompiler } from './bytecodeCompiler.js';
import type { Venv } from './createVenv.js';
import { parseRecord, renderRecord, type RecordEntry } from './record.js';
import { unsafeMemberReason, type UnpackedWheel } from './wheelCache.js';

/** How files get from the cache into the environment. */
export type LinkMode = 'hardlink' | 'clone' | 'copy';

/** PEP 610 `direct_url.json` content (written verbatim as JSON). */
export interface DirectUrl {
  url: string;
  archive_info?: { hashes?: Record<string, string>; hash?: string };
  dir_info?: { editable?: boolean };
  vcs_info?: { vcs: string; commit_id: string; requested_revision?: string };
  subdirectory?: string;
}

/**
 * The `direct_url.json` (PEP 610) of the installed distribution at `distInfo`, or null when it
 * has none or it is unreadable or has no string `url`.
 */
export async function readDirectUrl(distInfo: string): Promise<DirectUrl | null> {
  try {
    const parsed = JSON.parse(await readFile(join(distInfo, 'direct_url.json'), 'utf8')) as Partial<DirectUrl> | null;
    return parsed !== null && typeof parsed === 'object' && typeof parsed.url === 'string' ? (parsed as DirectUrl) : null;
  } catch {
    return null;
  }
}

/** Options for `installWheel`. */
export interface InstallWheelOptions {
  /** Written to `INSTALLER`; default `paved`. */
  installer?: string;
  /** Written as `direct_url.json` when the wheel came from a URL rather than an index. */
  directUrl?: DirectUrl;
  /** Write `REQUESTED` (the user asked for this distribution, it is not only a dependency). */
  requested?: boolean;
  /** Compile `.py` files to bytecode with the environment's interpreter. */
  compile?: boolean;
  /** Default `hardlink`, falling back to a reflink, then a copy. */
  linkMode?: LinkMode;
  /** The processes compiling with `compile` (a sync shares one across its wheels); without it, some are started for this wheel. */
  compiler?: BytecodeCompiler;
  /**
   * The `.dist-info` directories of this project already in the environment, removed first,
   * when the caller knows them (`[]`: none); otherwise site-packages is scanned for them.
   */
  installedDistInfos?: readonly string[];
}

/** What an install placed. */
export interface InstalledWheel {
  name: string;
  version: string;
  /** Absolute path of the installed `.dist-info` directory. */
  distInfo: string;
  /** Absolute paths of every file written, RECORD included. */
  files: string[];
  /** How many files were hard links into the cache. */
  linked: number;
}

const SKIPPED_DIST_INFO_FILES = new Set(['RECORD', 'RECORD.jws', 'RECORD.p7s', 'INSTALLER', 'REQUESTED', 'direct_url.json']);

function sha256Record(data: Buffer): string {
  return `sha256=${createHash('sha256').update(data).digest('base64url')}`;
}

/** The shebang pip writes: a plain `#!` line, or a `/bin/sh` trampoline when the path has spaces or is too long for the kernel. */
export function shebangFor(python: string): string {
  if (python.length + 3 <= 127 && !/\s/.test(python)) return `#!${python}\n`;
  return `#!/bin/sh\n'''exec' "${python.replace(/(["\\$`])/g, '\\$1')}" "$0" "$@"\n' '''\n`;
}

/** The launcher text for a `module:function` entry point (the same text pip writes). */
export function entryPointScript(python: string, module: string, attribute: string): string {
  const importName = attribute.split('.')[0] as string;
  return `${shebangFor(python)}# -*- coding: utf-8 -*-
import re
import sys
from ${module} import ${importName}
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(${attribute}())
`;
}

/** Console and GUI entry points from `entry_points.txt`. */
export interface ScriptEntryPoint {
  name: string;
  module: string;
  attribute: string;
  gui: boolean;
}

/** Reads the `console_scripts` and `gui_scripts` sections. Throws `PAVED_E_INVALID_WHEEL` on an unusable one. */
export function parseScriptEntryPoints(text: string, where: string): ScriptEntryPoint[] {
  const found: ScriptEntryPoint[] = [];
  let section: string | null = null;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.*)\]$/.exec(line);
    if (header !== null) {
      section = (header[1] as string).trim();
      continue;
    }
    if (section !== 'console_scripts' && section !== 'gui_scripts') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new PavedError('PAVED_E_INVALID_WHEEL', `${where}: entry point line ${JSON.stringify(line.slice(0, 100))} has no "name = value"`);
    const name = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).replace(/\[[^\]]*\]\s*$/, '').trim();
    const match = /^([A-Za-z_][\w]*(?:\s*\.\s*[A-Za-z_][\w]*)*)\s*:\s*([A-Za-z_][\w]*(?:\s*\.\s*[A-Za-z_][\w]*)*)$/.exec(value);
    if (match === null) {
      throw new PavedError('PAVED_E_INVALID_WHEEL', `${where}: entry point ${JSON.stringify(name)} = ${JSON.stringify(value.slice(0, 100))} is not "module:function"`, {
        hint: 'The wheel was built with a broken entry_points.txt; rebuild it.',
      });
    }
    if (name === '.' || name === '..' || !/^[^/\\\0\s]+$/.test(name) || name.length > 255) {
      throw new PavedError('PAVED_E_UNSAFE_WHEEL', `${where}: entry point name ${JSON.stringify(name.slice(0, 100))} is not a safe file name`, {
        hint: 'The wheel is malformed or hostile; it was not installed.',
      });
    }
    found.push({ name, module: (match[1] as string).replace(/\s+/g, ''), attribute: (match[2] as string).replace(/\s+/g, ''), gui: section === 'gui_scripts' });
  }
  return found;
}

interface Placement {
  created: string[];
  createdDirs: string[];
  linked: number;
}

/**
 * Creates `dir` and its missing parents, remembering each level it created (deepest last) so a
 * rollback can remove them if empty. Synchronous, like the links below: an install makes a few
 * hundred directories and thousands of links, each one short system call, and a trip through the
 * thread pool per call costs the main thread more than the call.
 */
function ensureDir(dir: string, placement: Placement, known: Set<string>): void {
  if (known.has(dir)) return;
  const first = mkdirSync(dir, { recursive: true });
  if (first !== undefined) {
    for (let d = dir; d.length >= first.length; d = dirname(d)) placement.createdDirs.push(d);
  }
  known.add(dir);
}

function removeExisting(path: string): void {
  try {
    const info = lstatSync(path);
    if (info.isDirectory()) throw new PavedError('PAVED_E_INSTALL_CONFLICT', `${path} is a directory where the wheel has a file`, { hint: 'Remove the directory or recreate the environment.' });
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Writes a small new file (a launcher, INSTALLER, RECORD), replacing one left by a broken install. */
function writeNewFile(path: string, content: Buffer, mode = 0o644): void {
  try {
    writeFileSync(path, content, { flag: 'wx', mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    removeExisting(path);
    writeFileSync(path, content, { flag: 'wx', mode });
  }
  // The umask may have taken bits off the mode.
  if ((mode & 0o111) !== 0) chmodSync(path, mode);
}

/**
 * Hard-links `source` to `target` when `mode` allows it; false when the file must be copied
 * instead (another file system, a file system without links, too many links). Synchronous on
 * purpose: a link is one short system call, and handing each of the thousands an install makes to
 * the thread pool costs the main thread more than making it (venv sync of the corpus closure,
 * warm cache: ~470 ms with fs/promises.link, ~380 ms).
 */
function linkFile(source: string, target: string, mode: LinkMode): boolean {
  if (mode !== 'hardlink') return false;
  try {
    linkSync(source, target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      removeExisting(target);
      linkSync(source, target);
      return true;
    }
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP' && code !== 'EACCES') throw error;
    return false;
  }
}

/** Copies `source` to `target` (a reflink first unless `mode` is `copy`), replacing what is there. */
async function copyIntoPlace(source: string, target: string, mode: LinkMode): Promise<void> {
  removeExisting(target);
  const flags = mode === 'copy' ? fsConstants.COPYFILE_EXCL : fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE;
  await copyFile(source, target, flags);
}

function insideDir(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** Finds installed `.dist-info` directories of `name` (normalised comparison) in `dir`. */
async function findDistInfos(dir: string, name: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  const wanted = normalizeName(name);
  return entries.filter((entry) => entry.endsWith('.dist-info') && normalizeName(entry.slice(0, -'.dist-info'.length).split('-')[0] ?? '') === wanted).map((entry) => join(dir, entry));
}

/**
 * Installs `wheel` into `venv`. A distribution of the same name already installed is
 * uninstalled first (as pip upgrades). Throws `PAVED_E_INSTALL_CONFLICT` /
 * `PAVED_E_INVALID_WHEEL` / `PAVED_E_UNSAFE_WHEEL` and leaves nothing of this wheel behind.
 */
export async function installWheel(venv: Venv, wheel: UnpackedWheel, options: InstallWheelOptions = {}): Promise<InstalledWheel> {
  const scheme = venv.scheme;
  const rootDir = wheel.rootIsPurelib ? scheme.purelib : scheme.platlib;
  const mode = options.linkMode ?? 'hardlink';
  const where = `${wheel.name} ${wheel.version}`;

  const previous = options.installedDistInfos ?? [...new Set([...(await findDistInfos(scheme.purelib, wheel.name)), ...(await findDistInfos(scheme.platlib, wheel.name))])];
  for (const old of previous) await uninstallDistInfo(venv, old);

  const stagingName = `.paved-staging-${process.pid}-${Math.random().toString(36).slice(2, 10)}-${wheel.distInfo}`;
  const staging = join(rootDir, stagingName);
  const finalDistInfo = join(rootDir, wheel.distInfo);
  const placement: Placement = { created: [], createdDirs: [], linked: 0 };
  const knownDirs = new Set<string>([rootDir]);
  const record: RecordEntry[] = [];
  const pyFiles: string[] = [];
  // RECORD paths are relative to the directory holding .dist-info; the staging directory is
  // recorded under its final name.
  const recordFor = (target: string): string => relative(rootDir, target.startsWith(`${staging}${sep}`) ? join(finalDistInfo, relative(staging, target)) : target).split(sep).join('/');
  const distInfoPrefix = `${wheel.distInfo}/`;
  const dataPrefix = `${wheel.dataDir}/`;

  try {
    ensureDir(staging, placement, knownDirs);
    for (const file of wheel.files) {
      // Member names were checked when the wheel was unpacked; checked again here because the
      // cache is a directory anyone with write access could have edited.
      const unsafe = unsafeMemberReason(file.path);
      if (unsafe !== null) throw new PavedError('PAVED_E_UNSAFE_WHEEL', `${where}: ${JSON.stringify(file.path.slice(0, 200))} has ${unsafe}; the cached copy was tampered with`, { hint: `Remove ${wheel.filesDir} and install again.` });
      const source = `${wheel.filesDir}/${file.path}`;
      // The common case, a file of the package itself or of its .dist-info, takes the fast path:
      // its target and its RECORD path follow from its name alone.
      let target: string;
      let recordPath: string | null = null;
      let rewriteShebang = false;
      if (file.path.startsWith(distInfoPrefix)) {
        const rest = file.path.slice(distInfoPrefix.length);
        if (!rest.includes('/') && SKIPPED_DIST_INFO_FILES.has(rest)) continue;
        target = `${staging}/${rest}`;
        recordPath = file.path;
      } else if (file.path.startsWith(dataPrefix)) {
        const parts = file.path.split('/');
        const key = parts[1] as string;
        const rest = parts.slice(2);
        if (key === 'purelib') target = join(scheme.purelib, ...rest);
        else if (key === 'platlib') target = join(scheme.platlib, ...rest);
        else if (key === 'scripts') {
          target = join(scheme.scripts, ...rest);
          rewriteShebang = true;
        } else if (key === 'headers') target = join(venv.headersBase, wheel.name, ...rest);
        else target = join(scheme.data, ...rest);
        if (!insideDir(target, venv.root)) throw new PavedError('PAVED_E_UNSAFE_WHEEL', `${where}: ${file.path} would be installed outside the environment`);
      } else {
        target = `${rootDir}/${file.path}`;
        recordPath = file.path;
      }
      ensureDir(dirname(target), placement, knownDirs);
      if (rewriteShebang) {
        const content = await readFile(source);
        // As pip does: the whole `#!python…` line becomes the environment's interpreter.
        const match = /^#!python[^\r\n]*(\r?\n|$)/.exec(content.subarray(0, 1024).toString('latin1'));
        if (match !== null) {
          const rewritten = Buffer.concat([Buffer.from(shebangFor(venv.python)), content.subarray(match[0].length)]);
          writeNewFile(target, rewritten, 0o755);
          placement.created.push(target);
          record.push({ path: recordFor(target), hash: sha256Record(rewritten), size: rewritten.length });
          continue;
        }
      }
      // Most files are linked without leaving this loop (no await per file).
      if (linkFile(source, target, mode)) placement.linked++;
      else await copyIntoPlace(source, target, mode);
      placement.created.push(target);
      record.push({ path: recordPath ?? recordFor(target), hash: `sha256=${file.sha256}`, size: file.size });
      if (options.compile === true && target.endsWith('.py') && !target.startsWith(`${scheme.scripts}${sep}`)) pyFiles.push(target);
    }

    let entryPointsText: string | null = null;
    if (wheel.files.some((f) => f.path === `${distInfoPrefix}entry_points.txt`)) entryPointsText = await readFile(`${wheel.filesDir}/${distInfoPrefix}entry_points.txt`, 'utf8');
    if (entryPointsText !== null) {
      const scripts = parseScriptEntryPoints(entryPointsText, where);
      if (scripts.length > 0) ensureDir(scheme.scripts, placement, knownDirs);
      for (const script of scripts) {
        const target = join(scheme.scripts, script.name);
        const content = Buffer.from(entryPointScript(venv.python, script.module, script.attribute), 'utf8');
        writeNewFile(target, content, 0o755);
        placement.created.push(target);
        record.push({ path: recordFor(target), hash: sha256Record(content), size: content.length });
      }
    }

    const extraFiles: [string, string][] = [['INSTALLER', `${options.installer ?? 'paved'}\n`]];
    if (options.requested === true) extraFiles.push(['REQUESTED', '']);
    if (options.directUrl !== undefined) extraFiles.push(['direct_url.json', JSON.stringify(options.directUrl)]);
    for (const [name, text] of extraFiles) {
      const target = `${staging}/${name}`;
      const content = Buffer.from(text, 'utf8');
      writeNewFile(target, content);
      placement.created.push(target);
      record.push({ path: `${distInfoPrefix}${name}`, hash: sha256Record(content), size: content.length });
    }

    if (options.compile === true && pyFiles.length > 0) {
      if (options.compiler !== undefined) await options.compiler.compile(pyFiles);
      else {
        const compiler = createBytecodeCompiler(venv.python);
        await compiler.compile(pyFiles).finally(() => compiler.close());
      }
      for (const py of pyFiles) {
        const pyc = join(dirname(py), '__pycache__', `${py.slice(dirname(py).length + 1, -3)}.${venv.interpreter.cacheTag}.pyc`);
        try {
          await stat(pyc);
        } catch {
          continue;
        }
        placement.created.push(pyc);
        record.push({ path: recordFor(pyc), hash: '', size: null });
      }
    }

    record.push({ path: `${distInfoPrefix}RECORD`, hash: '', size: null });
    const recordPath = `${staging}/RECORD`;
    writeNewFile(recordPath, Buffer.from(renderRecord(record), 'utf8'));
    placement.created.push(recordPath);
    try {
      renameSync(staging, finalDistInfo);
    } catch (error) {
      // A .dist-info of this version left behind (by a broken install, or found by the caller's scan): ours replaces it.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      await rm(finalDistInfo, { recursive: true, force: true });
      renameSync(staging, finalDistInfo);
    }
  } catch (error) {
    for (const path of placement.created.reverse()) await rm(path, { force: true });
    await rm(staging, { recursive: true, force: true });
    for (const dir of placement.createdDirs.reverse()) {
      try {
        await rmdir(dir);
      } catch {
        // not empty (another distribution uses it) or already gone
      }
    }
    // pycache directories compileall made for us
    if (error instanceof PavedError) throw error;
    throw new PavedError('PAVED_E_INSTALL', `cannot install ${where} into ${venv.root}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'Check that the environment is writable and has free space.',
      cause: error,
    });
  }
  const files = placement.created.map((path) => (path.startsWith(`${staging}${sep}`) ? join(finalDistInfo, relative(staging, path)) : path));
  return { name: wheel.name, version: wheel.version, distInfo: finalDistInfo, files, linked: placement.linked };
}

/** What `uninstallDistribution` removed. */
export interface UninstalledDistribution {
  name: string;
  distInfo: string;
  /** Absolute paths removed (files only). */
  removed: string[];
}

/**
 * Uninstalls the distribution whose `.dist-info` directory is `distInfo` (see
 * `uninstallDistribution`); returns the files removed.
 */
export async function uninstallDistInfo(venv: Venv, distInfo: string): Promise<string[]> {
  const root = resolve(venv.root);
  const base = dirname(distInfo);
  let text: string;
  try {
    text = await readFile(join(distInfo, 'RECORD'), 'utf8');
  } catch (error) {
    throw new PavedError('PAVED_E_NO_RECORD', `${distInfo} has no RECORD, so what it installed is unknown`, {
      hint: 'Remove the files by hand or recreate the environment.',
      cause: error,
    });
  }
  const rows = parseRecord(text);
  const targets: string[] = [];
  for (const row of rows) {
    const target = resolve(base, row.path);
    if (!insideDir(target, root)) {
      throw new PavedError('PAVED_E_UNSAFE_RECORD', `${distInfo}/RECORD lists ${JSON.stringify(row.path.slice(0, 200))}, which is outside ${root}; nothing was removed`, {
        hint: 'The RECORD is corrupted or hostile; inspect it and remove the distribution by hand.',
      });
    }
    targets.push(target);
  }
  const removed: string[] = [];
  const dirs = new Set<string>();
  for (const target of targets) {
    try {
      const info = await lstat(target);
      if (info.isDirectory()) continue;
      await unlink(target);
      removed.push(target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    dirs.add(dirname(target));
    if (target.endsWith('.py')) {
      const cache = join(dirname(target), '__pycache__');
      const stem = target.slice(dirname(target).length + 1, -3);
      let names: string[] = [];
      try {
        names = await readdir(cache);
      } catch {
        names = [];
      }
      for (const name of names) {
        if (name.startsWith(`${stem}.`) && name.endsWith('.pyc')) {
          await rm(join(cache, name), { force: true });
          removed.push(join(cache, name));
        }
      }
      if (names.length > 0) dirs.add(cache);
    }
  }
  await rm(distInfo, { recursive: true, force: true });
  // Remove directories left empty, deepest first, never the environment's own directories.
  const keep = new Set([root, venv.scheme.purelib, venv.scheme.platlib, venv.scheme.scripts, venv.scheme.data, venv.scheme.include].map((d) => resolve(d)));
  const candidates = new Set<string>();
  for (const dir of dirs) {
    for (let d = dir; insideDir(d, root) && !keep.has(d); d = dirname(d)) candidates.add(d);
  }
  for (const dir of [...candidates].sort((a, b) => b.length - a.length)) {
    try {
      const names = await readdir(dir);
      if (names.length === 1 && names[0] === '__pycache__') await rm(join(dir, '__pycache__'), { recursive: true, force: true });
      else if (names.length > 0) continue;
      await rmdir(dir);
    } catch {
      // not empty or gone
    }
  }
  return removed;
}

/**
 * Removes every path the installed distribution `name` lists in its RECORD (and their
 * bytecode), then its `.dist-info`. Throws `PAVED_E_NOT_INSTALLED` when it is not installed,
 * and `PAVED_E_UNSAFE_RECORD` (before removing anything) when RECORD names a path outside the venv.
 */
export async function uninstallDistribution(venv: Venv, name: string): Promise<UninstalledDistribution> {
  const distInfos = [...new Set([...(await findDistInfos(venv.scheme.purelib, name)), ...(await findDistInfos(venv.scheme.platlib, name))])];
  if (distInfos.length === 0) {
    throw new PavedError('PAVED_E_NOT_INSTALLED', `${name} is not installed in ${venv.root}`, { hint: 'Nothing to uninstall.' });
  }
  const removed: string[] = [];
  for (const distInfo of distInfos) removed.push(...(await uninstallDistInfo(venv, distInfo)));
  return { name, distInfo: distInfos[0] as string, removed };
}
