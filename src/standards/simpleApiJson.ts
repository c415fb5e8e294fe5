/**
 * The JSON serialization of the simple API (PEP 691, with PEP 700 sizes/upload times/versions,
 * PEP 714 `core-metadata`, PEP 792 `project-status`): rendering our own pages and a strict reader
 * for pages from any index. Strict because the JSON comes from outside: a value of the wrong type
 * is a PAVED_E_INVALID_SIMPLE_PAGE naming the field, never a TypeError deep in the resolver.
 */
import { PavedError } from '../errors.js';
import {
  checkApiVersion,
  PROJECT_STATUSES,
  SIMPLE_API_VERSION,
  type ProjectList,
  type ProjectPage,
  type ProjectStatusName,
  type SimpleFile,
} from './simpleApi.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function fileJson(file: SimpleFile): Record<string, Json> {
  const out: Record<string, Json> = { filename: file.filename, url: file.url, hashes: { ...file.hashes } };
  if (file.requiresPython !== null) out['requires-python'] = file.requiresPython;
  out['yanked'] = file.yanked === '' ? true : file.yanked;
  const metadata: Json = file.coreMetadata === false || file.coreMetadata === true ? file.coreMetadata : { ...file.coreMetadata };
  // PEP 714: `core-metadata` for current clients, `dist-info-metadata` for older ones.
  out['core-metadata'] = metadata;
  out['dist-info-metadata'] = metadata;
  if (typeof file.gpgSig === 'boolean') out['gpg-sig'] = file.gpgSig;
  if (file.size !== null) out['size'] = file.size;
  if (file.uploadTime !== null) out['upload-time'] = file.uploadTime;
  return out;
}

/**
 * Renders a project page as PEP 691 JSON declaring `SIMPLE_API_VERSION`. Optional keys with no
 * value (`requires-python`, `size`, `upload-time`, `gpg-sig`, `versions`, `project-status`) are
 * left out rather than written as null. `project-status` is a top-level key, as PEP 792 and PyPI
 * place it.
 */
export function renderProjectPageJson(page: ProjectPage): string {
  const doc: Record<string, Json> = { meta: { 'api-version': SIMPLE_API_VERSION }, name: page.name };
  if (page.projectStatus !== null) {
    const status: Record<string, Json> = { status: page.projectStatus.status };
    if (page.projectStatus.reason !== null) status['reason'] = page.projectStatus.reason;
    doc['project-status'] = status;
  }
  if (page.versions !== null) doc['versions'] = [...page.versions];
  doc['files'] = page.files.map(fileJson);
  return JSON.stringify(doc);
}

/** Renders the root project list as PEP 691 JSON. */
export function renderProjectListJson(list: ProjectList): string {
  return JSON.stringify({
    meta: { 'api-version': SIMPLE_API_VERSION },
    projects: list.projects.map((project) => ({ name: project.name })),
  });
}

// ---------------------------------------------------------------------------------------------
// Parsing

function invalid(field: string, problem: string): PavedError {
  return new PavedError('PAVED_E_INVALID_SIMPLE_PAGE', `the index sent a JSON page where ${field} ${problem}`, {
    hint: 'The index does not follow PEP 691; ask its operator, or use its HTML pages instead.',
    details: { field },
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, field: string): Record<string, unknown> {
  if (!isObject(value)) throw invalid(field, 'is not an object');
  return value;
}

function stringAt(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalid(field, 'is not a string');
  return value;
}

function optionalStringAt(value: unknown, field: string): string | null {
  return value === undefined || value === null ? null : stringAt(value, field);
}

function hashesAt(value: unknown, field: string): Record<string, string> {
  const source = objectAt(value, field);
  const hashes: Record<string, string> = {};
  for (const [name, digest] of Object.entries(source)) {
    if (typeof digest !== 'string') throw invalid(`${field}.${name}`, 'is not a string');
    // Assigning "__proto__" would touch the prototype, not add a hash; no real hash has that name.
    if (name === '__proto__') continue;
    hashes[name.toLowerCase()] = digest.toLowerCase();
  }
  return hashes;
}

function metadataAt(value: unknown, field: string): false | true | Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  return hashesAt(value, field);
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new PavedError('PAVED_E_INVALID_SIMPLE_PAGE', `the index sent a page that is not valid JSON (${error instanceof Error ? error.message.slice(0, 200) : 'parse error'})`, {
      hint: 'The index answered with a JSON content type but the body is not JSON; check the index URL.',
    });
  }
}

function apiVersionAt(doc: Record<string, unknown>): string {
  const meta = objectAt(doc['meta'], 'meta');
  const apiVersion = stringAt(meta['api-version'], 'meta.api-version');
  checkApiVersion(apiVersion, 'JSON page');
  return apiVersion;
}

function resolveUrl(value: string, pageUrl: URL, field: string): string {
  try {
    const url = new URL(value, pageUrl);
    url.hash = '';
    return url.href;
  } catch {
    throw invalid(field, `is not a valid URL ('${value.slice(0, 100)}')`);
  }
}

function pageBase(pageUrl: string): URL {
  try {
    return new URL(pageUrl);
  } catch {
    throw new PavedError('PAVED_E_INVALID_SIMPLE_PAGE', `the page URL '${pageUrl.slice(0, 200)}' is not an absolute URL`);
  }
}

const ISO_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:?\d{2})?$/i;

// PEP 700 asks for UTC with a Z; some indexes write +00:00 or no zone (meaning UTC). A time in
// another zone is converted. Garbage gives null: a missing upload time is a known state (policy
// treats the file as of unknown age), whereas refusing the whole page over it helps no one.
function normalizeUploadTime(value: string): string | null {
  const match = ISO_TIME.exec(value.trim());
  if (match === null) return null;
  const zone = (match[3] ?? 'Z').toUpperCase();
  if (zone === 'Z' || zone === '+00:00' || zone === '+0000' || zone === '-00:00') {
    return `${match[1] as string}T${match[2] as string}Z`;
  }
  const parsed = new Date(`${match[1] as string}T${match[2] as string}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
  return Number.isNaN(parsed.getTime()) ? null : parsed.toISOString();
}

// A filename becomes a path in caches and venvs: refuse anything that could leave its directory.
function checkFilename(value: string, field: string): string {
  if (value === '' || value === '.' || value === '..' || /[/\\\x00-\x1f]/.test(value)) {
    throw invalid(field, `is not a plain file name ('${value.slice(0, 100)}')`);
  }
  return value;
}

function fileAt(value: unknown, index: number, base: URL): SimpleFile {
  const field = `files[${index}]`;
  const raw = objectAt(value, field);
  const filename = checkFilename(stringAt(raw['filename'], `${field}.filename`), `${field}.filename`);
  const url = resolveUrl(stringAt(raw['url'], `${field}.url`), base, `${field}.url`);
  const hashes = hashesAt(raw['hashes'], `${field}.hashes`);
  const requiresPython = optionalStringAt(raw['requires-python'], `${field}.requires-python`);

  let yanked: SimpleFile['yanked'] = false;
  const rawYanked = raw['yanked'];
  if (typeof rawYanked === 'boolean') yanked = rawYanked;
  else if (typeof rawYanked === 'string') yanked = rawYanked === '' ? true : rawYanked;
  else if (rawYanked !== undefined && rawYanked !== null) throw invalid(`${field}.yanked`, 'is neither a boolean nor a string');

  const coreMetadata =
    metadataAt(raw['core-metadata'], `${field}.core-metadata`) ?? metadataAt(raw['dist-info-metadata'], `${field}.dist-info-metadata`) ?? false;

  let size: number | null = null;
  const rawSize = raw['size'];
  if (rawSize !== undefined && rawSize !== null) {
    if (typeof rawSize !== 'number' || !Number.isSafeInteger(rawSize) || rawSize < 0) throw invalid(`${field}.size`, 'is not a non-negative integer');
    size = rawSize;
  }
  const rawTime = optionalStringAt(raw['upload-time'], `${field}.upload-time`);
  const rawGpg = raw['gpg-sig'];
  if (rawGpg !== undefined && rawGpg !== null && typeof rawGpg !== 'boolean') throw invalid(`${field}.gpg-sig`, 'is not a boolean');

  return {
    filename,
    url,
    hashes,
    requiresPython: requiresPython === null || requiresPython.trim() === '' ? null : requiresPython.trim(),
    yanked,
    coreMetadata,
    size,
    uploadTime: rawTime === null ? null : normalizeUploadTime(rawTime),
    gpgSig: typeof rawGpg === 'boolean' ? rawGpg : null,
  };
}

function projectStatusAt(value: unknown, field: string): ProjectPage['projectStatus'] {
  if (value === undefined || value === null) return null;
  const raw = objectAt(value, field);
  const status = optionalStringAt(raw['status'], `${field}.status`);
  const reason = optionalStringAt(raw['reason'], `${field}.reason`);
  // An unknown status is ignored rather than fatal, so a future marker does not break installs.
  if (status === null || !(PROJECT_STATUSES as readonly string[]).includes(status)) return null;
  return { status: status as ProjectStatusName, reason: reason === '' ? null : reason };
}

/**
 * Reads a PEP 691 project page from any index. Relative file URLs resolve against `pageUrl`
 * (fragments dropped). Accepts api-version 1.x, refuses 2.x and later. Types are checked strictly;
 * unknown keys are ignored. `project-status` is read at the top level (PEP 792) and, failing that,
 * inside `meta`.
 */
export function parseProjectPageJson(text: string, pageUrl: string): ProjectPage {
  const base = pageBase(pageUrl);
  const doc = objectAt(parseJsonText(text), 'the top level');
  const apiVersion = apiVersionAt(doc);
  const name = stringAt(doc['name'], 'name');
  let versions: string[] | null = null;
  if (doc['versions'] !== undefined && doc['versions'] !== null) {
    if (!Array.isArray(doc['versions'])) throw invalid('versions', 'is not an array');
    versions = doc['versions'].map((v: unknown, i) => stringAt(v, `versions[${i}]`));
  }
  if (!Array.isArray(doc['files'])) throw invalid('files', 'is not an array');
  const files = doc['files'].map((file: unknown, i) => fileAt(file, i, base));
  const meta = doc['meta'] as Record<string, unknown>;
  const projectStatus =
    doc['project-status'] !== undefined
      ? projectStatusAt(doc['project-status'], 'project-status')
      : projectStatusAt(meta['project-status'], 'meta.project-status');
  return { name, apiVersion, versions, files, projectStatus };
}

/** Reads a PEP 691 project list from any index. `pageUrl` is checked for symmetry with pages. */
export function parseProjectListJson(text: string, pageUrl: string): ProjectList {
  pageBase(pageUrl);
  const doc = objectAt(parseJsonText(text), 'the top level');
  const apiVersion = apiVersionAt(doc);
  if (!Array.isArray(doc['projects'])) throw invalid('projects', 'is not an array');
  const projects = doc['projects'].map((entry: unknown, i) => ({
    name: stringAt(objectAt(entry, `projects[${i}]`)['name'], `projects[${i}].name`),
  }));
  return { apiVersion, projects };
}
