/**
 * The known-vulnerability data of a paved installation: OSV advisories for PyPI, imported from
 * a zip laid out like OSV's `PyPI/all.zip`, a directory of `*.json` files, or a URL of such a
 * zip, and kept in their own SQLite file (`<data>/advisories.sqlite`) so a large re-import
 * never holds the catalog's write lock.
 *
 * Each advisory is stored as the OSV JSON it was imported from (the server hands it out as
 * is) plus the normalised names of the projects it affects, indexed for lookups by project.
 * An import replaces an advisory only when its `modified` time is newer, in one transaction,
 * and bumps a data version that the server uses to invalidate cached verdicts.
 *
 * The archive, the files and the download are hostile input: entry count, entry size and
 * total size are capped on the bytes actually read, member names are checked, and a broken
 * advisory is skipped with a reason rather than failing the whole import.
 */
import { createWriteStream } from 'node:fs';
import { lstat, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { PavedError } from '../../errors.js';
import { normalizeName } from '../../standards/names.js';
import { compileAdvisoryMatcher, parseOsvAdvisory, type Advisory, type AdvisoryMatcher } from '../../standards/osv.js';
import { redactUrl } from '../../standards/urls.js';
import { tryParseVersion, type Version } from '../../standards/version.js';

/** Bounds on one advisory source. */
export interface AdvisorySourceLimits {
  /** Most entries of a zip or `*.json` files of a directory. */
  maxEntries: number;
  /** Largest single advisory document. */
  maxEntryBytes: number;
  /** Largest total of all advisory documents read (inflated). */
  maxTotalBytes: number;
  /** Largest download of a URL source. */
  maxDownloadBytes: number;
  /** How long a download may take. */
  downloadTimeoutMs: number;
}

/** Far above OSV's PyPI export (~20k advisories, ~100 MB inflated), far below what would hurt. */
export const DEFAULT_ADVISORY_SOURCE_LIMITS: Readonly<AdvisorySourceLimits> = Object.freeze({
  maxEntries: 500_000,
  maxEntryBytes: 1024 * 1024,
  maxTotalBytes: 2 * 1024 * 1024 * 1024,
  maxDownloadBytes: 512 * 1024 * 1024,
  downloadTimeoutMs: 10 * 60 * 1000,
});

/** Options of one import. */
export interface ImportAdvisoriesOptions {
  /** Called as documents are read (total is 0 while unknown, e.g. during a download). */
  onProgress?: (done: number, total: number, label: string) => void;
  limits?: Partial<AdvisorySourceLimits>;
}

/** What one import did. */
export interface AdvisoryImportResult {
  /** Advisories not known before. */
  imported: number;
  /** Known advisories replaced by a newer `modified`. */
  updated: number;
  /** Of the imported and updated, how many are withdrawn (they stay stored but affect nothing). */
  withdrawn: number;
  /** Documents that could not be used, with the reason; the rest were imported. */
  skipped: { file: string; reason: string }[];
  /** The data version after the import (unchanged when nothing changed). */
  version: number;
}

/** The stored advisories. Synchronous reads: SQLite answers from the page cache in microseconds. */
export interface AdvisoryDatabase {
  importFrom(source: string, options?: ImportAdvisoriesOptions): Promise<AdvisoryImportResult>;
  /** Grows with each import that changed anything; read fresh each call, so imports by other processes count. */
  version(): number;
  /** Every advisory naming the project (any spelling), withdrawn ones included, ordered by id. */
  forProject(name: string): Advisory[];
  /** The OSV JSON documents of {@link forProject}, as imported (for the server's advisory API). */
  forProjectJson(name: string): unknown[];
  /** The advisories that affect this version of the project (withdrawn ones never do). */
  affecting(name: string, version: Version | string): Advisory[];
  get(id: string): Advisory | null;
  /** Number of stored advisories, withdrawn ones included. */
  count(): number;
  close(): void;
}

const SCHEMA = [
  `CREATE TABLE advisories (
     id TEXT PRIMARY KEY,
     modified TEXT NOT NULL,
     modified_ms INTEGER NOT NULL,
     withdrawn TEXT,
     json TEXT NOT NULL
   )`,
  `CREATE TABLE advisory_projects (
     project TEXT NOT NULL,
     advisory_id TEXT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
     PRIMARY KEY (project, advisory_id)
   ) WITHOUT ROWID`,
  'CREATE INDEX advisory_projects_by_advisory ON advisory_projects (advisory_id)',
  'CREATE TABLE advisory_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)',
  "INSERT INTO advisory_meta (key, value) VALUES ('data_version', 0)",
];
const SCHEMA_VERSION = 1;

interface StoredRow {
  id: string;
  modified: string;
  json: string;
}

/** One advisory document read from a source, with where it came from. */
interface SourceDocument {
  file: string;
  text: string;
}

/**
 * Opens (creating when missing) the advisory store in `file`; `':memory:'` gives a private
 * store that lives as long as the object (what `paved audit --advisories` uses).
 */
export function openAdvisoryDatabase(file: string): AdvisoryDatabase {
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  if (file !== ':memory:') {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
  }
  migrate(db);

  const selectVersion = db.prepare<[], { value: number }>("SELECT value FROM advisory_meta WHERE key = 'data_version'");
  const selectForProject = db.prepare<[string], StoredRow>(
    'SELECT a.id, a.modified, a.json FROM advisory_projects p JOIN advisories a ON a.id = p.advisory_id WHERE p.project = ? ORDER BY a.id',
  );
  const selectKeysForProject = db.prepare<[string], { id: string; modified: string }>(
    'SELECT a.id, a.modified FROM advisory_projects p JOIN advisories a ON a.id = p.advisory_id WHERE p.project = ? ORDER BY a.id',
  );
  const selectOne = db.prepare<[string], StoredRow>('SELECT id, modified, json FROM advisories WHERE id = ?');
  const selectModified = db.prepare<[string], { modified_ms: number }>('SELECT modified_ms FROM advisories WHERE id = ?');
  const countAll = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM advisories');
  const upsert = db.prepare(
    `INSERT INTO advisories (id, modified, modified_ms, withdrawn, json) VALUES (@id, @modified, @modifiedMs, @withdrawn, @json)
     ON CONFLICT (id) DO UPDATE SET modified = excluded.modified, modified_ms = excluded.modified_ms, withdrawn = excluded.withdrawn, json = excluded.json`,
  );
  const deleteProjects = db.prepare('DELETE FROM advisory_projects WHERE advisory_id = ?');
  const insertProject = db.prepare('INSERT OR IGNORE INTO advisory_projects (project, advisory_id) VALUES (?, ?)');
  const bumpVersion = db.prepare("UPDATE advisory_meta SET value = value + 1 WHERE key = 'data_version'");

  // Parsed advisories and their matchers by id and modified time: re-parsing on every lookup
  // would cost far more than the query (Django's advisories list hundreds of versions each).
  const parsed = new Map<string, { advisory: Advisory; matches: AdvisoryMatcher }>();
  const compiled = (row: { id: string; modified: string; json?: string }) => {
    const key = `${row.id}\0${row.modified}`;
    let found = parsed.get(key);
    if (found === undefined) {
      const json = row.json ?? selectOne.get(row.id)?.json;
      if (json === undefined) throw new PavedError('PAVED_E_INTERNAL', `advisory ${row.id} vanished while being read`);
      const advisory = parseOsvAdvisory(JSON.parse(json));
      found = { advisory, matches: compileAdvisoryMatcher(advisory) };
      if (parsed.size >= 50_000) parsed.clear();
      parsed.set(key, found);
    }
    return found;
  };
  const fromRow = (row: { id: string; modified: string; json?: string }): Advisory => compiled(row).advisory;

  const store = db.transaction((documents: { advisory: Advisory; json: string }[]) => {
    let imported = 0;
    let updated = 0;
    let withdrawn = 0;
    for (const { advisory, json } of documents) {
      const modifiedMs = Date.parse(advisory.modified);
      const existing = selectModified.get(advisory.id);
      if (existing !== undefined && existing.modified_ms >= modifiedMs) continue;
      upsert.run({ id: advisory.id, modified: advisory.modified, modifiedMs, withdrawn: advisory.withdrawn, json });
      if (existing !== undefined) deleteProjects.run(advisory.id);
      for (const entry of advisory.affected) insertProject.run(entry.name, advisory.id);
      if (existing === undefined) imported++;
      else updated++;
      if (advisory.withdrawn !== null) withdrawn++;
    }
    if (imported + updated > 0) bumpVersion.run();
    return { imported, updated, withdrawn };
  });

  const version = (): number => selectVersion.get()?.value ?? 0;
  // Keys first: the JSON is only read for advisories not parsed yet.
  const forProject = (name: string): Advisory[] => selectKeysForProject.all(normalizeName(name)).map(fromRow);

  return {
    async importFrom(source, options = {}) {
      const limits = { ...DEFAULT_ADVISORY_SOURCE_LIMITS, ...options.limits };
      const progress = options.onProgress ?? (() => {});
      const { documents, skipped } = await readAdvisorySource(source, limits, progress);
      const usable: { advisory: Advisory; json: string }[] = [];
      // Within one source the newest document of an id wins, as across imports.
      const byId = new Map<string, number>();
      for (const doc of documents) {
        let advisory: Advisory;
        let json: string;
        try {
          const value: unknown = JSON.parse(doc.text.charCodeAt(0) === 0xfeff ? doc.text.slice(1) : doc.text);
          advisory = parseOsvAdvisory(value);
          json = JSON.stringify(value);
        } catch (error) {
          skipped.push({ file: doc.file, reason: error instanceof PavedError ? error.message : `not JSON: ${(error as Error).message}` });
          continue;
        }
        const seen = byId.get(advisory.id);
        if (seen !== undefined) {
          const earlier = usable[seen] as { advisory: Advisory };
          if (Date.parse(earlier.advisory.modified) >= Date.parse(advisory.modified)) {
            skipped.push({ file: doc.file, reason: `duplicate of advisory ${advisory.id} with an older or equal modified time` });
            continue;
          }
          usable[seen] = { advisory, json };
          continue;
        }
        byId.set(advisory.id, usable.length);
        usable.push({ advisory, json });
      }
      const counts = store.immediate(usable);
      return { ...counts, skipped, version: version() };
    },
    version,
    forProject,
    forProjectJson: (name) => selectForProject.all(normalizeName(name)).map((row) => JSON.parse(row.json) as unknown),
    affecting(name, v) {
      const project = normalizeName(name);
      const version = typeof v === 'string' ? (tryParseVersion(v) ?? v) : v;
      return selectKeysForProject
        .all(project)
        .map(compiled)
        .filter((c) => c.matches(project, version))
        .map((c) => c.advisory);
    },
    get(id) {
      const row = selectOne.get(id);
      return row === undefined ? null : fromRow(row);
    },
    count: () => countAll.get()?.n ?? 0,
    close: () => db.close(),
  };
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current === SCHEMA_VERSION) return;
  if (current > SCHEMA_VERSION) {
    throw new PavedError('PAVED_E_DATA_TOO_NEW', `the advisory database has schema version ${current}; this paved understands up to ${SCHEMA_VERSION}`, {
      hint: 'Upgrade paved, or import the advisories again into a new data directory.',
    });
  }
  db.transaction(() => {
    // Re-check inside the write lock: another process may have created it meanwhile.
    if ((db.pragma('user_version', { simple: true }) as number) !== 0) return;
    for (const statement of SCHEMA) db.exec(statement);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

function sourceError(message: string, hint?: string, cause?: unknown): PavedError {
  return new PavedError('PAVED_E_INVALID_ADVISORY_SOURCE', message, {
    hint: hint ?? 'Give a zip laid out like OSV’s PyPI/all.zip, a directory of OSV *.json files, or an http(s):// URL of such a zip.',
    ...(cause === undefined ? {} : { cause }),
  });
}

function tooLarge(message: string): PavedError {
  return new PavedError('PAVED_E_ADVISORY_SOURCE_TOO_LARGE', message, {
    hint: 'OSV advisory data is a few megabytes per document set; check that the source is what you meant.',
  });
}

async function readAdvisorySource(
  source: string,
  limits: AdvisorySourceLimits,
  progress: (done: number, total: number, label: string) => void,
): Promise<{ documents: SourceDocument[]; skipped: { file: string; reason: string }[] }> {
  if (/^https?:\/\//i.test(source)) {
    const dir = await mkdtemp(join(tmpdir(), 'paved-advisories-'));
    try {
      const zipPath = join(dir, 'advisories.zip');
      await download(source, zipPath, limits, progress);
      return await readZip(zipPath, limits, progress);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  let path = source;
  if (/^file:/i.test(source)) {
    try {
      path = fileURLToPath(source);
    } catch (error) {
      throw sourceError(`${source} is not a usable file: URL`, undefined, error);
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    throw sourceError(`advisory source ${redactUrl(source)} uses a scheme paved cannot read`);
  }
  let info;
  try {
    info = await lstat(path);
  } catch (error) {
    throw sourceError(`advisory source ${path} does not exist or cannot be read`, undefined, error);
  }
  if (info.isDirectory()) return readDirectory(path, limits, progress);
  if (!info.isFile()) throw sourceError(`advisory source ${path} is neither a file nor a directory`);
  if (path.toLowerCase().endsWith('.json')) {
    if (info.size > limits.maxEntryBytes) throw tooLarge(`${path} is ${info.size} bytes; an advisory may be at most ${limits.maxEntryBytes}`);
    const text = await readText(path, limits.maxEntryBytes);
    return text === null ? { documents: [], skipped: [{ file: path, reason: 'not UTF-8' }] } : { documents: [{ file: path, text }], skipped: [] };
  }
  return readZip(path, limits, progress);
}

async function download(url: string, target: string, limits: AdvisorySourceLimits, progress: (done: number, total: number, label: string) => void): Promise<void> {
  const shown = redactUrl(url);
  // fetch refuses credentials in the URL (and would echo them in its error): send them as a header.
  const requestUrl = new URL(url);
  const headers: Record<string, string> = {};
  if (requestUrl.username !== '' || requestUrl.password !== '') {
    const user = decodeURIComponent(requestUrl.username);
    const password = decodeURIComponent(requestUrl.password);
    headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    requestUrl.username = '';
    requestUrl.password = '';
  }
  let response: Response;
  try {
    response = await fetchFollowingRedirects(requestUrl, headers, AbortSignal.timeout(limits.downloadTimeoutMs));
  } catch (error) {
    if (error instanceof PavedError) throw error;
    const raw = error instanceof Error && error.cause instanceof Error ? error.cause.message : (error as Error).message;
    const cause = raw.split(url).join(shown);
    throw new PavedError('PAVED_E_NETWORK', `could not download advisories from ${shown}: ${cause}`, { hint: 'Check the URL and the network, or download the zip and import the file.' });
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new PavedError('PAVED_E_NETWORK', `downloading advisories from ${shown} answered ${response.status}`, { hint: 'Check the URL; OSV publishes https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip.' });
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limits.maxDownloadBytes) {
    await response.body.cancel();
    throw tooLarge(`${shown} is ${declared} bytes; the limit for advisory data is ${limits.maxDownloadBytes}`);
  }
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > limits.maxDownloadBytes) return callback(tooLarge(`${shown} sent more than ${limits.maxDownloadBytes} bytes, the limit for advisory data`));
      progress(received, Number.isFinite(declared) ? declared : 0, `downloading ${shown}`);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), counter, createWriteStream(target));
  } catch (error) {
    if (error instanceof PavedError) throw error;
    throw new PavedError('PAVED_E_NETWORK', `downloading advisories from ${shown} failed: ${(error as Error).message}`);
  }
}

/** Redirects followed by hand so credentials for one origin are never sent to another. */
async function fetchFollowingRedirects(start: URL, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
  let url = start;
  let sent = headers;
  for (let hop = 0; hop <= 5; hop++) {
    const response = await fetch(url, { headers: sent, signal, redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status > 399 || location === null) return response;
    await response.body?.cancel();
    const next = new URL(location, url);
    if (next.protocol !== 'https:' && next.protocol !== 'http:') break;
    if (next.origin !== url.origin) sent = {};
    url = next;
  }
  throw new PavedError('PAVED_E_NETWORK', `downloading advisories from ${redactUrl(start)} redirected too often or to a non-HTTP URL`);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

async function readText(path: string, maxBytes: number): Promise<string | null> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length <= maxBytes) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw tooLarge(`${path} is larger than ${maxBytes} bytes, the limit for one advisory`);
    return decode(buffer.subarray(0, length));
  } finally {
    await handle.close();
  }
}

/** Strict UTF-8 (the only encoding JSON allows between systems), or null. */
function decode(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

async function readDirectory(
  root: string,
  limits: AdvisorySourceLimits,
  progress: (done: number, total: number, label: string) => void,
): Promise<{ documents: SourceDocument[]; skipped: { file: string; reason: string }[] }> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      // Symbolic links are not followed: a link could point anywhere, or back up the tree.
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && entry.name.toLowerCase().endsWith('.json')) {
        files.push(path);
        if (files.length > limits.maxEntries) throw tooLarge(`${root} holds more than ${limits.maxEntries} .json files, the limit for advisory data`);
      }
    }
  };
  await walk(root);
  files.sort();
  const documents: SourceDocument[] = [];
  const skipped: { file: string; reason: string }[] = [];
  let total = 0;
  for (const [i, path] of files.entries()) {
    const name = relative(root, path);
    const size = (await lstat(path)).size;
    if (size > limits.maxEntryBytes) {
      skipped.push({ file: name, reason: `${size} bytes, more than the ${limits.maxEntryBytes} allowed for one advisory` });
      continue;
    }
    total += size;
    if (total > limits.maxTotalBytes) throw tooLarge(`the .json files under ${root} add up to more than ${limits.maxTotalBytes} bytes`);
    const text = await readText(path, limits.maxEntryBytes);
    if (text === null) skipped.push({ file: name, reason: 'not UTF-8' });
    else documents.push({ file: name, text });
    progress(i + 1, files.length, name);
  }
  return { documents, skipped };
}

function openZip(path: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings: false so our own name checks (with clear messages) see every name.
    yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false }, (error, zip) => {
      if (error !== null) reject(sourceError(`${path} is not a readable zip archive: ${error.message}`, undefined, error));
      else resolve(zip);
    });
  });
}

/** Refuses names that could mean a path outside the archive if anyone ever extracted it: the archive is not what it claims. */
function checkMemberName(raw: Buffer, zipPath: string): string {
  let name: string;
  try {
    name = strictUtf8.decode(raw);
  } catch {
    throw sourceError(`${zipPath} has a member whose name is not UTF-8`, 'The archive is not an OSV export; refusing it whole.');
  }
  const shown = JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}…` : name);
  const unsafe =
    name === '' ||
    name.length > 1024 ||
    /[\u0000-\u001f\\]/.test(name) ||
    name.startsWith('/') ||
    /^[A-Za-z]:/.test(name) ||
    name.split('/').some((segment) => segment === '..');
  if (unsafe) throw sourceError(`${zipPath} has an unsafe member name ${shown}`, 'The archive is not an OSV export (members are <ID>.json at the root); refusing it whole.');
  return name;
}

async function readZip(
  path: string,
  limits: AdvisorySourceLimits,
  progress: (done: number, total: number, label: string) => void,
): Promise<{ documents: SourceDocument[]; skipped: { file: string; reason: string }[] }> {
  const zip = await openZip(path);
  const documents: SourceDocument[] = [];
  const skipped: { file: string; reason: string }[] = [];
  try {
    if (zip.entryCount > limits.maxEntries) throw tooLarge(`${path} has ${zip.entryCount} members; the limit for advisory data is ${limits.maxEntries}`);
    let total = 0;
    let seen = 0;
    const next = () =>
      new Promise<Entry | null>((resolve, reject) => {
        const onEntry = (entry: Entry) => { cleanup(); resolve(entry); };
        const onEnd = () => { cleanup(); resolve(null); };
        const onError = (error: Error) => { cleanup(); reject(error instanceof PavedError ? error : sourceError(`${path} is corrupt: ${error.message}`, undefined, error)); };
        const cleanup = () => { zip.off('entry', onEntry); zip.off('end', onEnd); zip.off('error', onError); };
        zip.on('entry', onEntry);
        zip.on('end', onEnd);
        zip.on('error', onError);
        zip.readEntry();
      });
    for (let entry = await next(); entry !== null; entry = await next()) {
      seen++;
      if (seen > limits.maxEntries) throw tooLarge(`${path} has more than ${limits.maxEntries} members`);
      const name = checkMemberName(entry.fileNameRaw, path);
      if (name.endsWith('/')) continue;
      if (!name.toLowerCase().endsWith('.json')) {
        skipped.push({ file: name, reason: 'not a .json file' });
        continue;
      }
      if (entry.uncompressedSize > limits.maxEntryBytes) {
        throw tooLarge(`${path} member ${JSON.stringify(name)} is ${entry.uncompressedSize} bytes inflated; an advisory may be at most ${limits.maxEntryBytes} (refusing the archive whole)`);
      }
      if ((entry.generalPurposeBitFlag & 0x1) !== 0) throw sourceError(`${path} member ${JSON.stringify(name)} is encrypted`);
      const bytes = await readMember(zip, entry, name, path, limits.maxEntryBytes);
      total += bytes.length;
      if (total > limits.maxTotalBytes) throw tooLarge(`${path} inflates to more than ${limits.maxTotalBytes} bytes, the limit for advisory data`);
      const text = decode(bytes);
      if (text === null) skipped.push({ file: name, reason: 'not UTF-8' });
      else documents.push({ file: name, text });
      progress(seen, zip.entryCount, name);
    }
  } finally {
    zip.close();
  }
  return { documents, skipped };
}

/** Inflates one member, counting the bytes it really produces: the declared size may lie. */
function readMember(zip: ZipFile, entry: Entry, name: string, zipPath: string, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error !== null) return reject(sourceError(`${zipPath} member ${JSON.stringify(name)} cannot be read: ${error.message}`, undefined, error));
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          stream.destroy();
          reject(tooLarge(`${zipPath} member ${JSON.stringify(name)} inflates to more than ${maxBytes} bytes (refusing the archive whole)`));
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', (e: Error) => reject(sourceError(`${zipPath} member ${JSON.stringify(name)} is corrupt: ${e.message}`, undefined, e)));
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

/** The outcome of one scheduled refresh. */
export type RefreshOutcome = { ok: true; result: AdvisoryImportResult } | { ok: false; error: unknown };

/**
 * Re-imports `url` into `database` every `everyMs` (and once at once with `runNow`). A refresh
 * still running when the next is due is not doubled. The timer does not keep the process
 * alive; call the returned function to stop it.
 */
export function scheduleRefresh(
  database: AdvisoryDatabase,
  url: string,
  everyMs: number,
  onResult: (outcome: RefreshOutcome) => void,
  options: { runNow?: boolean; limits?: Partial<AdvisorySourceLimits> } = {},
): () => void {
  if (!(everyMs >= 1000)) throw new PavedError('PAVED_E_CONFIG', `advisory refresh interval must be at least 1000 ms, not ${everyMs}`);
  let running = false;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = true;
    database
      .importFrom(url, options.limits === undefined ? {} : { limits: options.limits })
      .then(
        (result) => { if (!stopped) onResult({ ok: true, result }); },
        (error: unknown) => { if (!stopped) onResult({ ok: false, error }); },
      )
      .finally(() => { running = false; });
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  if (options.runNow === true) tick();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
