/**
 * Lists what is installed in a Python environment by reading its `*.dist-info/METADATA` files
 * (and legacy `*.egg-info/PKG-INFO`), the way `importlib.metadata` finds distributions, without
 * running Python.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PavedError } from '../errors.js';
import { parseCoreMetadata } from '../standards/coreMetadata.js';

/** One distribution installed in an environment. */
export interface InstalledDistribution {
  name: string;
  version: string;
  /** The `.dist-info` / `.egg-info` directory. */
  path: string;
  /** Its `Requires-Dist` lines as written (for an `.egg-info` without them, made from `requires.txt`). */
  requiresDist: string[];
}

/** What is installed, plus metadata that could not be read. */
export interface InstalledDistributions {
  /** The site-packages directories read. */
  sitePackages: string[];
  distributions: InstalledDistribution[];
  warnings: { path: string; message: string }[];
}

const MAX_METADATA_BYTES = 16 * 1024 * 1024;
const MAX_REQUIRES_TXT_BYTES = 1024 * 1024;

/**
 * The `Requires-Dist` lines an `.egg-info`'s `requires.txt` stands for, as `importlib.metadata`
 * and pip derive them: a `[extra]`, `[extra:marker]` or `[:marker]` section header puts
 * `extra == "…"` and/or the marker on the requirement lines below it. Lines are not validated
 * here; whoever parses them says which one is wrong.
 */
export function requiresDistFromRequiresTxt(text: string): string[] {
  const out: string[] = [];
  let extra = '';
  let marker = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[') && line.endsWith(']')) {
      const inner = line.slice(1, -1);
      const colon = inner.indexOf(':');
      extra = (colon === -1 ? inner : inner.slice(0, colon)).trim().toLowerCase().replace(/[-_.]+/g, '-');
      marker = colon === -1 ? '' : inner.slice(colon + 1).trim();
      continue;
    }
    const conditions = extra !== '' && marker !== '' ? `(${marker}) and extra == "${extra}"` : extra !== '' ? `extra == "${extra}"` : marker;
    out.push(conditions === '' ? line : `${line} ; ${conditions}`);
  }
  return out;
}

/**
 * `requires.txt` of an `.egg-info` directory, as Requires-Dist lines; none when it is absent.
 * One too large to be real is left unread with a warning (the distribution is still listed).
 */
function eggInfoRequires(eggInfo: string, warnings: InstalledDistributions['warnings']): string[] {
  const path = join(eggInfo, 'requires.txt');
  try {
    const info = statSync(path);
    if (info.size > MAX_REQUIRES_TXT_BYTES) {
      warnings.push({ path: eggInfo, message: `ignoring ${path}: ${info.size} bytes is more than a requires.txt holds` });
      return [];
    }
    return requiresDistFromRequiresTxt(readFileSync(path).toString('utf8'));
  } catch {
    return [];
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `lib/python3.X/site-packages` (POSIX venvs, also `lib64`) and `Lib/site-packages` (Windows layout). */
function findSitePackages(root: string): string[] {
  const found: string[] = [];
  for (const lib of ['lib', 'lib64']) {
    let names: string[];
    try {
      names = readdirSync(join(root, lib));
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (!/^python\d+(\.\d+)?t?$/.test(name) && !/^pypy\d+(\.\d+)?$/.test(name)) continue;
      const candidate = join(root, lib, name, 'site-packages');
      if (isDirectory(candidate)) found.push(candidate);
    }
  }
  const windows = join(root, 'Lib', 'site-packages');
  if (isDirectory(windows)) found.push(windows);
  // lib64 is usually a symbolic link to lib: read each real directory once.
  const unique = new Map<string, string>();
  for (const dir of found) {
    const real = realpathSync(dir);
    if (!unique.has(real)) unique.set(real, dir);
  }
  return [...unique.values()];
}

/**
 * Reads the installed distributions of the environment at `root` (a venv or a Python prefix).
 * Throws `PAVED_E_NOT_FOUND` when `root` has no site-packages directory; unreadable metadata
 * becomes a warning. The files are read synchronously: they are small and local, and a warm
 * install reads them up to three times (before resolving, planning, checking).
 */
export async function readInstalledDistributions(root: string): Promise<InstalledDistributions> {
  if (!isDirectory(root)) throw new PavedError('PAVED_E_NOT_FOUND', `${root} is not a directory`, { hint: 'Give the directory of a virtual environment (the one with pyvenv.cfg).' });
  const sitePackages = findSitePackages(root);
  if (sitePackages.length === 0) {
    throw new PavedError('PAVED_E_NOT_FOUND', `${root} has no lib/python3.*/site-packages or Lib/site-packages directory`, {
      hint: 'Give the directory of a virtual environment (the one with pyvenv.cfg), not the project or its bin/.',
    });
  }
  const result: InstalledDistributions = { sitePackages, distributions: [], warnings: [] };
  for (const dir of sitePackages) {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      let metadataPath: string;
      if (entry.name.endsWith('.dist-info') && entry.isDirectory()) metadataPath = join(dir, entry.name, 'METADATA');
      else if (entry.name.endsWith('.egg-info')) metadataPath = entry.isDirectory() ? join(dir, entry.name, 'PKG-INFO') : join(dir, entry.name);
      else continue;
      const path = join(dir, entry.name);
      try {
        const info = statSync(metadataPath);
        if (info.size > MAX_METADATA_BYTES) throw new Error(`metadata is ${info.size} bytes`);
        const metadata = parseCoreMetadata(readFileSync(metadataPath).toString('utf8'));
        const requiresDist = metadata.requiresDist.length === 0 && entry.name.endsWith('.egg-info') && entry.isDirectory() ? eggInfoRequires(path, result.warnings) : metadata.requiresDist;
        result.distributions.push({ name: metadata.name, version: metadata.version, path, requiresDist });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        result.warnings.push({ path, message: `cannot read ${metadataPath}: ${message.split('\n')[0]}` });
      }
    }
  }
  return result;
}
