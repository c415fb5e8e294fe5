/**
 * Direct wheel references: `name @ https://…/x.whl`, `name @ file:///…/x.whl`, and a bare
 * path or URL of a wheel (`./dist/x-1.0-py3-none-any.whl`), on the command line or in `-r`
 * files. Such a requirement is not looked up in an index: the wheel itself is fetched (or read
 * where it lies), verified against any `#sha256=` fragment and `--hash` options, and its own
 * name, version and metadata become a fixed candidate for the resolver. Installing it writes
 * PEP 610 `direct_url.json`, so pip and `importlib.metadata` know where it came from.
 *
 * Only wheels are supported: sdist, directory and VCS references are refused with
 * `PAVED_E_URL_REQUIREMENT`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PavedError } from '../errors.js';
import type { DirectUrl } from '../installer/installWheel.js';
import { sha256File } from '../installer/wheelCache.js';
import { parseCoreMetadataBytes } from '../standards/coreMetadata.js';
import { parseDistributionFilename } from '../standards/distributionFilename.js';
import { markerToString } from '../standards/markers.js';
import { normalizeName } from '../standards/names.js';
import { parseRequirement, type Requirement } from '../standards/requirement.js';
import { bestTagRank, tagPriority, type Tag } from '../standards/tags.js';
import { normalizeVersion } from '../standards/version.js';
import { archivePathFor } from './fetchToCache.js';
import { fileRangeSource } from './indexClient/localSources.js';
import type { IndexClient, IndexFile } from './indexClient/indexClient.js';
import { readWheelMetadataFromZip, TAIL_BYTES } from './indexClient/wheelMetadataFromZip.js';

/** A requirement that points at one wheel file instead of naming a project on an index. */
export interface DirectRequirement {
  /** Normalised project name (from `name @`, else from the wheel's filename). */
  name: string;
  extras: string[];
  /** The marker text, or null. */
  marker: string | null;
  /** Absolute http(s) or file URL of the wheel, without fragment and without credentials. */
  url: string;
  /** The URL to fetch from (may carry credentials the user wrote into it). */
  fetchUrl: string;
  /** The wheel's filename (last path segment, decoded). */
  filename: string;
  /** sha256 from a `#sha256=` fragment, lowercase, or null. */
  fragmentSha256: string | null;
  /** The requirement as PEP 508 text `name[extras] @ url ; marker` (bare paths become this form). */
  text: string;
}

/** A direct wheel fetched and read: a fixed candidate for the resolver. */
export interface DirectWheel {
  requirement: DirectRequirement;
  /** The name as the wheel's METADATA spells it. */
  name: string;
  /** PEP 440 normalised version. */
  version: string;
  /** The local wheel file. */
  path: string;
  sha256: string;
  size: number | null;
  requiresDist: string[];
  requiresPython: string | null;
  /** The wheel as an index file, so downloads and reports treat it like any other. */
  file: IndexFile;
  /** What `direct_url.json` records (PEP 610). */
  directUrl: DirectUrl;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function urlError(text: string, why: string, hint = 'Give the URL or path of a wheel (.whl), or require the project by name from an index.'): PavedError {
  return new PavedError('PAVED_E_URL_REQUIREMENT', `${JSON.stringify(text.slice(0, 300))}: ${why}`, { hint });
}

/** Splits `path ; marker` (pip's form for bare paths and URLs). */
function splitMarker(text: string): { target: string; marker: string | null } {
  const at = text.search(/\s;/);
  if (at === -1) return { target: text.trim(), marker: null };
  return { target: text.slice(0, at).trim(), marker: text.slice(at).replace(/^\s*;/, '').trim() };
}

/** A bare path or URL (no `name @`) that names a wheel, as pip accepts on its command line. */
function looksLikeBareReference(text: string): boolean {
  const { target } = splitMarker(text);
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*@/.test(target)) return false;
  return SCHEME.test(target) || target.startsWith('.') || target.startsWith('/') || target.startsWith('~') || /\.whl(#.*)?$/i.test(target);
}

function toUrl(target: string, baseDir: string, text: string): URL {
  if (SCHEME.test(target) && !/^[A-Za-z]:[\\/]/.test(target)) {
    try {
      return new URL(target);
    } catch {
      throw urlError(text, 'is not a valid URL');
    }
  }
  const hashAt = target.indexOf('#');
  const path = hashAt === -1 ? target : target.slice(0, hashAt);
  const url = pathToFileURL(resolvePath(baseDir, path.startsWith('~/') ? join(process.env['HOME'] ?? '~', path.slice(2)) : path));
  if (hashAt !== -1) url.hash = target.slice(hashAt);
  return url;
}

/**
 * Recognises a direct wheel requirement: `name @ URL` or a bare wheel path/URL (relative paths
 * against `baseDir`). Returns null for an ordinary requirement. Throws
 * `PAVED_E_URL_REQUIREMENT` for URLs that are not http(s)/file wheels (sdists, VCS, directories)
 * and `PAVED_E_INVALID_REQUIREMENT` for unreadable text.
 */
export function parseDirectRequirement(text: string, baseDir: string): DirectRequirement | null {
  let req: Requirement | null = null;
  let target: string;
  let marker: string | null;
  if (looksLikeBareReference(text)) {
    ({ target, marker } = splitMarker(text));
    if (marker !== null) {
      // Validated and made canonical by the PEP 508 parser, through a stand-in name.
      const parsedMarker = parseRequirement(`x ; ${marker}`).marker;
      marker = parsedMarker === null ? null : markerToString(parsedMarker);
    }
  } else {
    req = parseRequirement(text);
    if (req.url === null) return null;
    target = req.url;
    marker = req.marker === null ? null : markerToString(req.marker);
  }
  const url = toUrl(target, baseDir, text);
  if (/^(git|hg|svn|bzr)\+/i.test(url.protocol)) throw urlError(text, 'is a version-control reference, which paved does not install', 'Build a wheel and install it, or require a released version.');
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'file:') throw urlError(text, `has the scheme ${url.protocol} (only http, https and file are supported)`);
  const segments = url.pathname.split('/');
  let filename: string;
  try {
    filename = decodeURIComponent(segments[segments.length - 1] ?? '');
  } catch {
    throw urlError(text, 'has a malformed percent-encoding in its file name');
  }
  if (!filename.toLowerCase().endsWith('.whl')) {
    throw urlError(text, `does not point at a wheel (${filename === '' ? 'no file name' : filename}); sdists and directories cannot be installed directly yet`);
  }
  const parsed = parseDistributionFilename(filename);
  const fileName = normalizeName(parsed.name);
  const name = req === null ? fileName : normalizeName(req.name);
  if (name !== fileName) {
    throw new PavedError('PAVED_E_WHEEL_MISMATCH', `the requirement names ${req?.name ?? name} but the URL points at a wheel of ${parsed.name} (${filename})`, {
      hint: 'Fix the name before @ or the URL.',
    });
  }
  let fragmentSha256: string | null = null;
  for (const part of url.hash.replace(/^#/, '').split('&')) {
    const m = /^sha256=(.*)$/i.exec(part);
    if (m === null) continue;
    const hex = (m[1] as string).toLowerCase();
    if (!SHA256_HEX.test(hex)) throw urlError(text, `has a #sha256= fragment that is not 64 hex digits`, 'Give the full sha256 of the wheel.');
    fragmentSha256 = hex;
  }
  const fetchUrl = new URL(url);
  fetchUrl.hash = '';
  const clean = new URL(fetchUrl);
  clean.username = '';
  clean.password = '';
  const extras = req?.extras ?? [];
  const requirementText = `${name}${extras.length > 0 ? `[${extras.join(',')}]` : ''} @ ${clean.toString()}${marker === null ? '' : ` ; ${marker}`}`;
  return { name, extras, marker, url: clean.toString(), fetchUrl: fetchUrl.toString(), filename, fragmentSha256, text: requirementText };
}

/** Options for `fetchDirectWheel`. */
export interface FetchDirectWheelOptions {
  client: IndexClient;
  /** http(s) wheels are kept under `<cacheDir>/archives-v1/<sha256>/`. */
  cacheDir: string;
  /** The target interpreter's tags: a wheel that does not fit is refused before resolving. */
  tags: Tag[];
  /** Further allowed sha256 values (the requirement's `--hash` options). */
  hashes?: readonly string[];
}

function hashMismatch(req: DirectRequirement, actual: string, allowed: readonly string[]): PavedError {
  return new PavedError('PAVED_E_HASH_MISMATCH', `${req.filename} from ${req.url} has sha256 ${actual}, which is not ${allowed.length === 1 ? 'the required' : 'among the required'} ${allowed.join(', ')}`, {
    hint: 'The file differs from the one the requirement pins: check the #sha256= fragment or --hash, or whether the file was replaced.',
    details: { expected: allowed, actual },
  });
}

/**
 * Gets the wheel of a direct requirement (local files are used where they lie, http(s) files
 * are downloaded into the cache), checks its hash, its tags and that its METADATA is the
 * project and version its filename says. Throws `PAVED_E_HASH_MISMATCH`, `PAVED_E_NO_WHEEL`
 * (tags), `PAVED_E_WHEEL_MISMATCH`, `PAVED_E_NOT_FOUND`, and what the index client throws.
 */
export async function fetchDirectWheel(req: DirectRequirement, options: FetchDirectWheelOptions): Promise<DirectWheel> {
  const parsed = parseDistributionFilename(req.filename);
  if (parsed.kind !== 'wheel') throw urlError(req.url, 'does not point at a wheel');
  if (bestTagRank(parsed.tags, tagPriority(options.tags)) === null) {
    throw new PavedError('PAVED_E_NO_WHEEL', `${req.filename} (from ${req.url}) does not fit this interpreter (its tags: ${parsed.pythonTags.join('.')}-${parsed.abiTags.join('.')}-${parsed.platformTags.join('.')})`, {
      hint: 'Use a wheel built for this Python and platform, or choose another interpreter with --python.',
    });
  }
  const allowed = [...new Set([...(req.fragmentSha256 === null ? [] : [req.fragmentSha256]), ...(options.hashes ?? []).map((h) => h.toLowerCase())])];
  const cacheDir = resolvePath(options.cacheDir);
  const url = new URL(req.fetchUrl);
  const file: IndexFile = {
    filename: req.filename,
    url: req.url,
    parsed,
    version: parsed.version,
    hashes: {},
    sha256: null,
    requiresPython: null,
    yanked: false,
    coreMetadata: false,
    size: null,
    uploadTime: null,
    source: req.url,
    sourceKind: 'find-links',
  };

  let path: string;
  let sha256: string;
  if (url.protocol === 'file:') {
    path = fileURLToPath(url);
    try {
      sha256 = await sha256File(path);
    } catch (error) {
      throw new PavedError('PAVED_E_NOT_FOUND', `the wheel ${path} does not exist or cannot be read`, { hint: 'Check the path.', cause: error });
    }
  } else {
    const known = allowed.length === 1 ? (allowed[0] as string) : null;
    const cached = known === null ? null : archivePathFor(cacheDir, known, req.filename);
    if (cached !== null && existsSync(cached)) {
      path = cached;
      sha256 = known as string;
    } else {
      const staging = join(cacheDir, 'archives-v1', 'direct-tmp', randomBytes(8).toString('hex'));
      await mkdir(staging, { recursive: true });
      try {
        const fetched = await options.client.download({ ...file, url: req.fetchUrl }, join(staging, req.filename), { expectedSha256: null });
        sha256 = fetched.sha256;
        if (allowed.length > 0 && !allowed.includes(sha256)) throw hashMismatch(req, sha256, allowed);
        path = archivePathFor(cacheDir, sha256, req.filename);
        await mkdir(dirname(path), { recursive: true });
        await rename(fetched.path, path);
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    }
  }
  if (allowed.length > 0 && !allowed.includes(sha256)) throw hashMismatch(req, sha256, allowed);

  const range = await fileRangeSource(path, TAIL_BYTES);
  let metadataBytes: Buffer;
  try {
    metadataBytes = await readWheelMetadataFromZip(range.source, req.url, parsed.name);
  } finally {
    await range.close();
  }
  const metadata = parseCoreMetadataBytes(metadataBytes);
  let sameVersion: boolean;
  try {
    sameVersion = normalizeVersion(metadata.version) === parsed.version;
  } catch {
    sameVersion = false;
  }
  if (normalizeName(metadata.name) !== normalizeName(parsed.name) || !sameVersion) {
    throw new PavedError('PAVED_E_WHEEL_MISMATCH', `${req.filename} contains ${metadata.name} ${metadata.version}, not what its filename says`, {
      hint: 'The wheel is mislabelled; rebuild it.',
    });
  }
  return {
    requirement: req,
    name: metadata.name,
    version: parsed.version,
    path,
    sha256,
    size: null,
    requiresDist: metadata.requiresDist,
    requiresPython: metadata.requiresPython,
    file: { ...file, sha256, hashes: { sha256 }, requiresPython: metadata.requiresPython },
    directUrl: { url: req.url, archive_info: { hash: `sha256=${sha256}`, hashes: { sha256 } } },
  };
}
