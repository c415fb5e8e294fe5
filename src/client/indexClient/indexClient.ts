/**
 * The index client: what the resolver and installer know about packages, from any
 * standards-compliant index (paved's own, a static PEP 503 tree over http, a `file://` tree such
 * as `/opt/pypi/simple/`) and from `--find-links` folders.
 *
 * The model: an ordered list of indexes, where the first index that has a project name provides
 * all of its files (no merging across indexes, so a public index can never add releases to an
 * internal name), plus find-links folders whose matching files are always added. Each file knows
 * where it came from. Metadata comes from the cheapest source that can give it: the cache, a
 * PEP 658/714 `.metadata` file, range requests on the wheel's zip central directory, and only then
 * the whole wheel. Pages are cached with their validators and revalidated; offline, only the cache
 * and local sources answer.
 *
 * Error codes: PAVED_E_OFFLINE, PAVED_E_NETWORK, PAVED_E_TIMEOUT, PAVED_E_TLS, PAVED_E_PROXY,
 * PAVED_E_UNAUTHORIZED, PAVED_E_FORBIDDEN, PAVED_E_NOT_FOUND, PAVED_E_SERVER,
 * PAVED_E_INVALID_SIMPLE_PAGE, PAVED_E_DIGEST_MISMATCH, PAVED_E_METADATA_UNAVAILABLE,
 * PAVED_E_METADATA_MISMATCH, PAVED_E_INVALID_ARCHIVE, PAVED_E_TOO_LARGE, PAVED_E_INVALID_NAME.
 */
import { createHash, randomBytes, getHashes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { rootCertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { PavedError, isPavedError } from '../../errors.js';
import { parseCoreMetadataBytes, type CoreMetadata } from '../../standards/coreMetadata.js';
import { parseDistributionFilename, type DistributionFilename } from '../../standards/distributionFilename.js';
import { isValidName, normalizeName } from '../../standards/names.js';
import type { ProjectPage, SimpleFile } from '../../standards/simpleApi.js';
import { parseProjectPageHtml } from '../../standards/simpleApiHtml.js';
import { parseProjectPageJson } from '../../standards/simpleApiJson.js';
import { redactUrl, redactUrlAndQuery } from '../../standards/urls.js';
import { normalizeVersion } from '../../standards/version.js';
import { bodyCutShort, createHttpTransport, declaredLength, networkError, statusError, type HttpTransport, type TransportResponse } from './httpTransport.js';
import { createIndexCache, type MetadataCacheKey } from './indexCache.js';
import { createCredentialLookup, type CredentialEvent, type CredentialOptions } from './indexCredentials.js';
import { fileRangeSource, listFindLinks, readLocalProjectPage } from './localSources.js';
import { proxyFor, readProxySettings } from './proxySelection.js';
import { bufferRangeSource, MAX_METADATA_BYTES, readWheelMetadataFromZip, TAIL_BYTES, type RangeSource } from './wheelMetadataFromZip.js';

export type { CredentialOptions, BasicCredentials, KeyringOptions, CredentialEvent } from './indexCredentials.js';

/** How an index client is set up. Read once; nothing here is global. */
export interface IndexClientOptions {
  /** Simple-API roots in priority order (`https://…/simple/`, `file:///opt/pypi/simple/`); user info is used as credentials. */
  indexUrls: string[];
  /** Local folders (paths or file:// URLs) of wheels and sdists, added to whatever the indexes give. */
  findLinks?: string[];
  /** Serve only from the cache and local sources; anything else fails with PAVED_E_OFFLINE. */
  offline?: boolean;
  /** Where pages and metadata are cached; none when absent. */
  cacheDir?: string | null;
  credentials?: CredentialOptions;
  /** Longest silence on a connection (before headers or between body chunks). Default 30 s. */
  timeoutMs?: number;
  /** Retries after network errors, 5xx and 429. Default 3. */
  retries?: number;
  /** First back-off delay, doubled per retry. Default 200 ms. */
  retryDelayMs?: number;
  /** Cap of one back-off (and of Retry-After). Default 10 s. */
  maxRetryDelayMs?: number;
  /** Default `paved/<version>`. */
  userAgent?: string;
  /** Connections per origin in the keep-alive pool. Default 16. */
  maxConnectionsPerOrigin?: number;
  /** A cached page younger than this is used without asking the index. Default 0: always revalidate. */
  pageMaxAgeMs?: number;
  /** A PEM bundle trusted beside Node's own roots; default `SSL_CERT_FILE`. */
  caFile?: string | null;
  /** Where the system's CA bundle is looked for, first readable wins; default the Linux distributions' places. */
  systemCaBundles?: readonly string[];
  /** The environment read for NETRC, PAVED_INDEX_TOKEN, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS and proxies; default process.env. */
  env?: Record<string, string | undefined>;
  /** Progress and diagnostics; the client never prints. */
  onEvent?: (event: IndexClientEvent) => void;
}

/** What the client reports while it works. */
export type IndexClientEvent =
  | { type: 'page'; project: string; index: string; from: 'network' | 'revalidated' | 'cache' | 'local' | 'not-found' }
  | { type: 'metadata'; filename: string; via: 'cache' | 'pep658' | 'range' | 'download' | 'local' }
  | { type: 'download'; filename: string; bytes: number }
  | CredentialEvent;

/** One distribution file a project offers. */
export interface IndexFile {
  filename: string;
  /** Absolute URL (http(s) or file:), never with credentials. */
  url: string;
  parsed: DistributionFilename;
  /** PEP 440 normalized version from the filename. */
  version: string;
  hashes: Record<string, string>;
  sha256: string | null;
  requiresPython: string | null;
  /** PEP 592: false, true, or the reason. */
  yanked: false | true | string;
  /** PEP 658/714: whether a `.metadata` file exists, with its hashes when known. */
  coreMetadata: false | true | Record<string, string>;
  size: number | null;
  uploadTime: string | null;
  /** The index URL (without credentials) or find-links folder it came from. */
  source: string;
  sourceKind: 'index' | 'find-links';
}

/** Everything known about one project. */
export interface ProjectFiles {
  /** The normalized name. */
  name: string;
  /** The index that had the name (without credentials), or null when only find-links (or nothing) did. */
  index: string | null;
  files: IndexFile[];
  /** PEP 700 versions list from the winning index, when it gave one. */
  versions: string[] | null;
  projectStatus: ProjectPage['projectStatus'];
  /** Where the client looked: every index (without credentials, in order) and find-links folder it has. */
  searched?: { indexes: string[]; findLinks: string[] };
}

/** What `download` wrote. */
export interface DownloadResult {
  path: string;
  sha256: string;
  size: number;
}

/** The index client. */
export interface IndexClient {
  /** The files of a project from the first index that has it, plus find-links; unknown everywhere → no files. */
  getProject(name: string): Promise<ProjectFiles>;
  /** The core metadata of a file (wheels, or any file with a PEP 658 metadata file). */
  getMetadata(file: IndexFile): Promise<CoreMetadata>;
  /** Writes a file to `destPath` once its sha256 is verified; nothing is left at `destPath` otherwise. */
  download(file: IndexFile, destPath: string, options?: { expectedSha256?: string | null }): Promise<DownloadResult>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

const PAGE_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';
const MAX_PAGE_BYTES = 64 * 1024 * 1024;
/** Largest wheel read into memory when no cheaper way to its metadata exists. */
const MAX_WHOLE_WHEEL_BYTES = 1024 * 1024 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** A Content-Range header: `bytes <first>-<last>/<size>`. */
const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)$/;

/** The first answer to a suffix range request for a wheel: the whole wheel (ranges ignored), its tail, or no usable range. */
type TailAnswer = { kind: 'whole'; bytes: Buffer } | { kind: 'tail'; start: number; end: number; size: number; etag: string | null; tail: Buffer } | { kind: 'no-range' };

interface IndexSource {
  /** The simple root without credentials, ending in `/`. */
  url: URL;
  shown: string;
}

function parseIndexUrl(raw: string): { source: IndexSource; withCredentials: URL } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PavedError('PAVED_E_CONFIG', `the index URL '${redactUrl(raw)}' is not an absolute URL`, {
      hint: 'Give the simple-API root, e.g. https://pypi.example.com/simple/ or file:///opt/pypi/simple/.',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'file:') {
    throw new PavedError('PAVED_E_CONFIG', `the index URL '${redactUrl(url)}' is neither http(s) nor file`, {
      hint: 'Give the simple-API root, e.g. https://pypi.example.com/simple/ or file:///opt/pypi/simple/.',
    });
  }
  // Project pages are `<root><name>/` (PEP 503), so a query on the root cannot be kept on them
  // without inventing a rule (pip's posixpath.join even puts the name inside the query); dropping
  // it silently lost the token a user put there, while --json still printed it. Refused instead,
  // naming the places credentials do go.
  if (url.search !== '' && url.protocol !== 'file:') {
    throw new PavedError('PAVED_E_CONFIG', `the index URL '${redactUrlAndQuery(url)}' has a query string, which paved does not send with its requests`, {
      hint: 'Give the index URL without ?…; put a token in the URL as https://__token__:TOKEN@host/…/simple/, in ~/.netrc, or in PAVED_INDEX_TOKEN.',
    });
  }
  const withCredentials = new URL(url.href);
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return { source: { url, shown: url.href }, withCredentials };
}

function findLinksFolder(raw: string): string {
  if (raw.startsWith('file:')) return fileURLToPath(raw);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw new PavedError('PAVED_E_CONFIG', `find-links '${redactUrl(raw)}' is not a local folder`, { hint: 'Give --find-links a folder on this machine (a path or a file:// URL).' });
  }
  return isAbsolute(raw) ? raw : resolvePath(raw);
}

/** Where Linux distributions keep the system's CA bundle (Debian/Ubuntu, Fedora/RHEL, openSUSE, Alpine). */
const SYSTEM_CA_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

/** The system's CA bundle (a company CA installed with update-ca-certificates is in it), or null where there is none to read. */
function systemCaBundle(paths: readonly string[]): string | null {
  for (const path of paths) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      // not this distribution's path
    }
  }
  return null;
}

/**
 * What HTTPS trusts: Node's own roots, the system's bundle, `SSL_CERT_FILE` and
 * `NODE_EXTRA_CA_CERTS` (an explicit `ca` replaces Node's store, so every part is given).
 */
function readCaBundle(caFile: string | null, env: Record<string, string | undefined>, systemPaths: readonly string[]): string[] {
  const read = (path: string, variable: string): string => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new PavedError('PAVED_E_CONFIG', `cannot read the CA bundle ${path} (${variable}): ${typeof code === 'string' ? code : 'read failed'}`, {
        hint: `Point ${variable} at a readable PEM file.`,
      });
    }
    // Node skips what is not a PEM certificate without a word, so a wrong file (a DER
    // certificate, a key, an HTML page) would only show up later as 'unknown authority'.
    if (!text.includes('-----BEGIN CERTIFICATE-----')) {
      throw new PavedError('PAVED_E_CONFIG', `the CA bundle ${path} (${variable}) contains no PEM certificate`, {
        hint: `Point ${variable} at a file of '-----BEGIN CERTIFICATE-----' blocks (convert a DER file with: openssl x509 -inform der -in FILE -out FILE.pem).`,
      });
    }
    return text;
  };
  const bundle = [...rootCertificates];
  const system = systemCaBundle(systemPaths);
  if (system !== null) bundle.push(system);
  if (caFile !== null && caFile !== '') bundle.push(read(caFile, 'SSL_CERT_FILE'));
  const extra = env['NODE_EXTRA_CA_CERTS'];
  if (extra !== undefined && extra !== '') bundle.push(read(extra, 'NODE_EXTRA_CA_CERTS'));
  return bundle;
}

function offlineError(what: string): PavedError {
  return new PavedError('PAVED_E_OFFLINE', `offline: ${what} is not in the cache`, {
    hint: 'Run once with network access to fill the cache, or use --find-links / a file:// index; or drop --offline.',
  });
}

function checkSha256(value: string | null | undefined, what: string): string | null {
  if (value === undefined || value === null) return null;
  const lower = value.toLowerCase();
  if (!SHA256_HEX.test(lower)) throw new PavedError('PAVED_E_INVALID_ARGUMENT', `${what} '${value.slice(0, 80)}' is not 64 hex digits`);
  return lower;
}

function digestMismatch(url: string, expected: string, actual: string, algorithm = 'sha256'): PavedError {
  return new PavedError('PAVED_E_DIGEST_MISMATCH', `${redactUrl(url)} does not match its ${algorithm} (expected ${expected}, got ${actual})`, {
    hint: 'The index served other bytes than it announced (a corrupted or tampered file); nothing was kept.',
    details: { url: redactUrl(url), expected, actual },
  });
}

// Every hash the index named that this Node can compute must match; at least one is needed to say "checked".
function verifyHashes(bytes: Buffer, hashes: Record<string, string>, url: string): void {
  const available = new Set(getHashes());
  for (const [algorithm, expected] of Object.entries(hashes)) {
    if (!available.has(algorithm)) continue;
    const actual = createHash(algorithm).update(bytes).digest('hex');
    if (actual !== expected.toLowerCase()) throw digestMismatch(url, expected.toLowerCase(), actual, algorithm);
  }
}

function mediaTypeOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? (header[0] ?? '') : (header ?? '');
  return (value.split(';')[0] ?? '').trim().toLowerCase();
}

function invalidPage(url: URL, message: string, hint?: string): PavedError {
  return new PavedError('PAVED_E_INVALID_SIMPLE_PAGE', `${redactUrl(url)} ${message}`, {
    hint: hint ?? 'The index URL does not point at a simple-API (PEP 503/691) index; check it (it usually ends in /simple/).',
    details: { url: redactUrl(url) },
  });
}

// HTML parsing is tolerant by design, so a login page or a proxy's error page would read as "no
// files"; a page with no files must at least look like a simple page to be believed.
function checkLooksLikeSimplePage(text: string, url: URL): void {
  const lower = text.slice(0, 200_000).toLowerCase();
  if (/<input[^>]+type\s*=\s*["']?password/.test(lower) || /<form[\s>]/.test(lower)) {
    throw invalidPage(url, 'answered with a login form instead of a project page', 'A proxy or single sign-on page intercepted the request; check credentials and HTTPS_PROXY/NO_PROXY.');
  }
  if (!/<html|<!doctype|<body|<a[\s>]|pypi:repository-version/.test(lower)) {
    throw invalidPage(url, 'is not an HTML or JSON project page');
  }
}

function parsePageBytes(bytes: Buffer, contentType: string, url: URL, project: string): { page: ProjectPage; format: 'json' | 'html' } {
  const json = contentType === 'application/vnd.pypi.simple.v1+json' || contentType === 'application/vnd.pypi.simple.latest+json' || contentType === 'application/json';
  const html = contentType === 'application/vnd.pypi.simple.v1+html' || contentType === 'application/vnd.pypi.simple.latest+html' || contentType === 'text/html';
  if (!json && !html) throw invalidPage(url, `answered with content type '${contentType.slice(0, 80) || 'none'}', not a simple-API page`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidPage(url, 'is not valid UTF-8 text');
  }
  let page: ProjectPage;
  try {
    page = json ? parseProjectPageJson(text, url.href) : parseProjectPageHtml(text, url.href, project);
  } catch (error) {
    throw invalidPage(url, `could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (html && page.files.length === 0) checkLooksLikeSimplePage(text, url);
  let pageName: string | null = null;
  try {
    pageName = normalizeName(page.name);
  } catch {
    pageName = null;
  }
  if (pageName !== project) throw invalidPage(url, `is the page of '${page.name.slice(0, 100)}', not of '${project}'`);
  return { page, format: json ? 'json' : 'html' };
}

function toIndexFiles(page: ProjectPage, project: string, source: string, sourceKind: IndexFile['sourceKind']): IndexFile[] {
  const files: IndexFile[] = [];
  for (const file of page.files) {
    const indexFile = toIndexFile(file, project, source, sourceKind);
    if (indexFile !== null) files.push(indexFile);
  }
  return files;
}

function toIndexFile(file: SimpleFile, project: string, source: string, sourceKind: IndexFile['sourceKind']): IndexFile | null {
  let parsed: DistributionFilename;
  try {
    parsed = parseDistributionFilename(file.filename);
  } catch {
    return null;
  }
  // A page listing another project's files would smuggle them in under this name.
  if (parsed.normalizedName !== project) return null;
  let url: URL;
  try {
    url = new URL(file.url);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'file:') return null;
  url.username = '';
  url.password = '';
  const sha256 = file.hashes['sha256']?.toLowerCase() ?? null;
  return {
    filename: file.filename,
    url: url.href,
    parsed,
    version: parsed.version,
    hashes: file.hashes,
    sha256: sha256 !== null && SHA256_HEX.test(sha256) ? sha256 : null,
    requiresPython: file.requiresPython,
    yanked: file.yanked,
    coreMetadata: file.coreMetadata,
    size: file.size,
    uploadTime: file.uploadTime,
    source,
    sourceKind,
  };
}

/** Creates an index client. */
export function createIndexClient(options: IndexClientOptions): IndexClient {
  const env = options.env ?? process.env;
  const offline = options.offline ?? false;
  const parsedIndexes = options.indexUrls.map(parseIndexUrl);
  const indexes = parsedIndexes.map((entry) => entry.source);
  const folders = (options.findLinks ?? []).map(findLinksFolder);
  const cache = createIndexCache(options.cacheDir ?? null);
  const pageMaxAgeMs = options.pageMaxAgeMs ?? 0;
  const emit = options.onEvent ?? ((): void => undefined);
  const retries = options.retries ?? 3;
  let transport: HttpTransport | null = null;

  // Built on first use: a purely local or offline client never reads proxy, CA or netrc settings.
  function http(): HttpTransport {
    if (transport === null) {
      const proxies = readProxySettings(env);
      const credentials = createCredentialLookup(
        parsedIndexes.map((entry) => entry.withCredentials),
        options.credentials ?? {},
        env,
        emit,
      );
      const base = createHttpTransport({
        timeoutMs: options.timeoutMs ?? 30_000,
        retries,
        retryDelayMs: options.retryDelayMs ?? 200,
        maxRetryDelayMs: options.maxRetryDelayMs ?? 10_000,
        userAgent: options.userAgent ?? 'paved/0.1.0',
        maxSockets: options.maxConnectionsPerOrigin ?? 16,
        authorizationFor: credentials,
        proxyFor: (url) => proxyFor(proxies, url),
        ca: () => readCaBundle(options.caFile !== undefined ? options.caFile : (env['SSL_CERT_FILE'] ?? null), env, options.systemCaBundles ?? SYSTEM_CA_BUNDLES),
      });
      // A configured keyring is asked (once per origin) before the first request to that origin.
      transport = {
        ...base,
        get: async (url, headers) => {
          await credentials.prepare(url);
          return base.get(url, headers);
        },
      };
    }
    return transport;
  }

  const projects = new Map<string, Promise<ProjectFiles>>();
  /**
   * Page fetches that failed, by `<index> <project>`: the resolver may ask for a project again
   * after a failure, and the transport has already retried whatever was worth retrying, so the
   * same run gets the same error instead of the same requests again.
   */
  const failedPages = new Map<string, unknown>();
  const metadata = new Map<string, Promise<CoreMetadata>>();
  const downloads = new Map<string, Promise<DownloadResult>>();

  /**
   * GETs `url` and hands the response to `read`, which checks the status and reads the body; when
   * the body is cut short or stalls, GETs again within the budget of `BodyRetries`, the same for
   * every body paved reads (project pages, `.metadata` files, range reads of a wheel's zip
   * directory, downloads). `read` must not make requests of its own: a nested request's
   * exhausted retries would be retried again here.
   */
  async function getAndRead<T>(url: URL, headers: Record<string, string>, read: (response: TransportResponse) => Promise<T>): Promise<T> {
    const bodyRetries = http().bodyRetries();
    for (;;) {
      const response = await http().get(url, headers);
      try {
        return await read(response);
      } catch (error) {
        if (await bodyRetries.retry(error)) continue;
        throw error;
      }
    }
  }

  /** null: the index does not have the project; 'unknown': offline and not cached. */
  async function fetchHttpPage(index: IndexSource, project: string): Promise<ProjectPage | null | 'unknown'> {
    const pageUrl = new URL(`${project}/`, index.url);
    const cached = await cache.readPage(pageUrl);
    if (offline || (cached !== null && Date.now() - cached.checkedAt < pageMaxAgeMs)) {
      if (cached === null) return 'unknown';
      emit({ type: 'page', project, index: index.shown, from: cached.page === null ? 'not-found' : 'cache' });
      return cached.page;
    }
    const headers: Record<string, string> = { Accept: PAGE_ACCEPT };
    if (cached !== null && cached.page !== null) {
      if (cached.etag !== null) headers['If-None-Match'] = cached.etag;
      if (cached.lastModified !== null) headers['If-Modified-Since'] = cached.lastModified;
    }
    return getAndRead(pageUrl, headers, async (response) => {
      if (response.status === 304 && cached !== null && cached.page !== null) {
        http().discard(response);
        // The revalidation time only matters to a client that trusts pages for a while; rewriting
        // every page on every warm run would cost more than the requests.
        if (pageMaxAgeMs > 0) await cache.writePage(pageUrl, { ...cached, checkedAt: Date.now() });
        emit({ type: 'page', project, index: index.shown, from: 'revalidated' });
        return cached.page;
      }
      if (response.status === 404 || response.status === 410) {
        http().discard(response);
        await cache.writePage(pageUrl, { etag: null, lastModified: null, checkedAt: Date.now(), page: null, format: null });
        emit({ type: 'page', project, index: index.shown, from: 'not-found' });
        return null;
      }
      if (response.status !== 200) {
        http().discard(response);
        throw statusError(response.url, response.status, response.credentialsSent);
      }
      const bytes = await http().readBody(response, MAX_PAGE_BYTES);
      const { page, format } = parsePageBytes(bytes, mediaTypeOf(response.headers['content-type']), response.url, project);
      const header = (name: string): string | null => {
        const value = response.headers[name];
        return typeof value === 'string' ? value : null;
      };
      await cache.writePage(pageUrl, { etag: header('etag'), lastModified: header('last-modified'), checkedAt: Date.now(), page, format });
      emit({ type: 'page', project, index: index.shown, from: 'network' });
      return page;
    });
  }

  async function loadProject(project: string): Promise<ProjectFiles> {
    let winner: { index: IndexSource; page: ProjectPage } | null = null;
    const unknown: string[] = [];
    for (const index of indexes) {
      let page: ProjectPage | null | 'unknown';
      if (index.url.protocol === 'file:') {
        const local = await readLocalProjectPage(index.url, project);
        page = local === null ? null : local.page;
        emit({ type: 'page', project, index: index.shown, from: local === null ? 'not-found' : 'local' });
      } else {
        const key = `${index.shown} ${project}`;
        if (failedPages.has(key)) throw failedPages.get(key);
        try {
          page = await fetchHttpPage(index, project);
        } catch (error) {
          failedPages.set(key, error);
          throw error;
        }
      }
      if (page === 'unknown') {
        unknown.push(index.shown);
        continue;
      }
      if (page !== null) {
        winner = { index, page };
        break;
      }
    }
    const files = winner === null ? [] : toIndexFiles(winner.page, project, winner.index.shown, 'index');
    for (const folder of folders) {
      for (const local of await listFindLinks(folder, project)) {
        files.push({
          filename: local.parsed.filename,
          url: local.url,
          parsed: local.parsed,
          version: local.parsed.version,
          hashes: { sha256: local.sha256 },
          sha256: local.sha256,
          requiresPython: null,
          yanked: false,
          coreMetadata: local.hasMetadataFile,
          size: local.size,
          uploadTime: null,
          source: folder,
          sourceKind: 'find-links',
        });
      }
    }
    if (winner === null && files.length === 0 && unknown.length > 0) {
      throw offlineError(`the project page of '${project}' on ${unknown.join(', ')}`);
    }
    return {
      name: project,
      index: winner === null ? null : winner.index.shown,
      files,
      versions: winner?.page.versions ?? null,
      projectStatus: winner?.page.projectStatus ?? null,
      searched: { indexes: indexes.map((index) => index.shown), findLinks: folders },
    };
  }

  function getProject(name: string): Promise<ProjectFiles> {
    if (!isValidName(name)) {
      return Promise.reject(
        new PavedError('PAVED_E_INVALID_NAME', `'${name.slice(0, 100)}' is not a valid project name`, { hint: 'Project names are letters, digits, and . _ - (PEP 508).' }),
      );
    }
    const project = normalizeName(name);
    let pending = projects.get(project);
    if (pending === undefined) {
      pending = loadProject(project);
      projects.set(project, pending);
      // Only a page fetch's failure is remembered (failedPages); a local folder that failed is read again.
      pending.catch(() => projects.delete(project));
    }
    return pending;
  }

  // ---------------------------------------------------------------------------------------------
  // Metadata

  function checkMetadataMatches(parsed: CoreMetadata, file: IndexFile): CoreMetadata {
    let sameName = false;
    let sameVersion = false;
    try {
      sameName = normalizeName(parsed.name) === file.parsed.normalizedName;
      sameVersion = normalizeVersion(parsed.version) === file.version;
    } catch {
      // An unparsable name or version is a mismatch.
    }
    if (!sameName || !sameVersion) {
      throw new PavedError('PAVED_E_METADATA_MISMATCH', `the metadata of ${file.filename} names ${parsed.name.slice(0, 100)} ${parsed.version.slice(0, 60)}`, {
        hint: 'The file and its metadata disagree; the index serves a broken or tampered distribution.',
        details: { url: redactUrl(file.url) },
      });
    }
    return parsed;
  }

  async function metadataBytes(file: IndexFile): Promise<{ bytes: Buffer; via: 'pep658' | 'range' | 'download' | 'local' }> {
    const url = new URL(file.url);
    if (url.protocol === 'file:') {
      const path = fileURLToPath(url);
      if (file.coreMetadata !== false) {
        const bytes = await readFile(`${path}.metadata`).catch(() => null);
        if (bytes !== null) {
          if (typeof file.coreMetadata === 'object') verifyHashes(bytes, file.coreMetadata, `${file.url}.metadata`);
          return { bytes, via: 'local' };
        }
      }
      if (file.parsed.kind !== 'wheel') throw metadataUnavailable(file);
      let opened;
      try {
        opened = await fileRangeSource(path, TAIL_BYTES);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        throw new PavedError('PAVED_E_NOT_FOUND', `${file.url} cannot be read: ${typeof code === 'string' ? code : 'read failed'}`, {
          hint: 'The local index or find-links folder lists a file that is not there.',
        });
      }
      try {
        return { bytes: await readWheelMetadataFromZip(opened.source, file.url, file.parsed.normalizedName), via: 'local' };
      } finally {
        await opened.close();
      }
    }
    if (offline) throw offlineError(`the metadata of ${file.filename}`);
    if (file.coreMetadata !== false) {
      const metadataUrl = new URL(url.href);
      metadataUrl.pathname += '.metadata';
      const bytes = await getAndRead(metadataUrl, {}, async (response) => {
        if (response.status === 200) return http().readBody(response, MAX_METADATA_BYTES);
        http().discard(response);
        // An index announcing metadata it does not serve still has the wheel to read it from.
        if (response.status !== 404 && response.status !== 410) throw statusError(response.url, response.status, response.credentialsSent);
        return null;
      });
      if (bytes !== null) {
        if (typeof file.coreMetadata === 'object') verifyHashes(bytes, file.coreMetadata, metadataUrl.href);
        return { bytes, via: 'pep658' };
      }
    }
    if (file.parsed.kind !== 'wheel') throw metadataUnavailable(file);
    return metadataOverHttp(file, url);
  }

  function metadataUnavailable(file: IndexFile): PavedError {
    return new PavedError('PAVED_E_METADATA_UNAVAILABLE', `${file.filename} is an sdist without a metadata file; its metadata needs a build`, {
      hint: 'Build the sdist through its PEP 517 back-end to learn its dependencies, or use a wheel.',
      details: { url: redactUrl(file.url) },
    });
  }

  async function wholeFile(file: IndexFile, response: TransportResponse): Promise<Buffer> {
    const bytes = await http().readBody(response, MAX_WHOLE_WHEEL_BYTES);
    verifyHashes(bytes, file.hashes, file.url);
    return bytes;
  }

  async function metadataOverHttp(file: IndexFile, url: URL): Promise<{ bytes: Buffer; via: 'range' | 'download' }> {
    const first = await getAndRead(url, { Range: `bytes=-${TAIL_BYTES}`, 'Accept-Encoding': 'identity' }, async (response): Promise<TailAnswer> => {
      // The index ignores ranges: what is coming is the whole wheel anyway.
      if (response.status === 200) return { kind: 'whole', bytes: await wholeFile(file, response) };
      const range = response.status === 206 ? CONTENT_RANGE.exec(String(response.headers['content-range'] ?? '')) : null;
      if (range === null) {
        http().discard(response);
        if (response.status !== 206 && response.status !== 416) throw statusError(response.url, response.status, response.credentialsSent);
        return { kind: 'no-range' };
      }
      const etag = typeof response.headers.etag === 'string' ? response.headers.etag : null;
      const tail = await http().readBody(response, TAIL_BYTES + 1);
      return { kind: 'tail', start: Number(range[1]), end: Number(range[2]), size: Number(range[3]), etag, tail };
    });
    if (first.kind === 'whole') return { bytes: await readWheelMetadataFromZip(bufferRangeSource(first.bytes), file.url, file.parsed.normalizedName), via: 'download' };
    if (first.kind === 'no-range') return downloadForMetadata(file, url);
    const { start, size, etag, tail } = first;
    if (first.end !== size - 1 || tail.length !== size - start) return downloadForMetadata(file, url);
    const source: RangeSource = {
      size,
      tail,
      read: (from, to) => {
        const headers: Record<string, string> = { Range: `bytes=${from}-${to - 1}`, 'Accept-Encoding': 'identity' };
        // If the file changed between two reads, the index answers 200 and we start over whole.
        if (etag !== null && !etag.startsWith('W/')) headers['If-Range'] = etag;
        return getAndRead(url, headers, async (response) => {
          const answered = CONTENT_RANGE.exec(String(response.headers['content-range'] ?? ''));
          if (response.status !== 206 || answered === null || Number(answered[1]) !== from || Number(answered[3]) !== size) {
            http().discard(response);
            throw new PavedError('PAVED_E_RANGE_UNSUPPORTED', `${redactUrl(url)} did not answer a range request properly`);
          }
          return http().readBody(response, to - from);
        });
      },
    };
    try {
      return { bytes: await readWheelMetadataFromZip(source, file.url, file.parsed.normalizedName), via: 'range' };
    } catch (error) {
      if (isPavedError(error, 'PAVED_E_RANGE_UNSUPPORTED')) return downloadForMetadata(file, url);
      throw error;
    }
  }

  async function downloadForMetadata(file: IndexFile, url: URL): Promise<{ bytes: Buffer; via: 'download' }> {
    const whole = await getAndRead(url, {}, async (response) => {
      if (response.status !== 200) {
        http().discard(response);
        throw statusError(response.url, response.status, response.credentialsSent);
      }
      return wholeFile(file, response);
    });
    return { bytes: await readWheelMetadataFromZip(bufferRangeSource(whole), file.url, file.parsed.normalizedName), via: 'download' };
  }

  async function loadMetadata(file: IndexFile): Promise<CoreMetadata> {
    const key: MetadataCacheKey = { sha256: file.sha256, url: file.url };
    const local = file.url.startsWith('file:');
    if (!local) {
      const cached = await cache.readMetadata(key);
      if (cached !== null) {
        try {
          const parsed = checkMetadataMatches(parseCoreMetadataBytes(cached), file);
          emit({ type: 'metadata', filename: file.filename, via: 'cache' });
          return parsed;
        } catch {
          // A damaged entry is refetched below.
        }
      }
    }
    const { bytes, via } = await metadataBytes(file);
    const parsed = checkMetadataMatches(parseCoreMetadataBytes(bytes), file);
    if (!local) await cache.writeMetadata(key, bytes);
    emit({ type: 'metadata', filename: file.filename, via });
    return parsed;
  }

  function getMetadata(file: IndexFile): Promise<CoreMetadata> {
    const key = `${file.sha256 ?? ''} ${file.url}`;
    let pending = metadata.get(key);
    if (pending === undefined) {
      pending = loadMetadata(file);
      metadata.set(key, pending);
      pending.catch(() => metadata.delete(key));
    }
    return pending;
  }

  // ---------------------------------------------------------------------------------------------
  // Downloads

  /** Writes `body` to `destPath` via a temporary file; `destPath`'s folder must exist. */
  async function streamToFile(body: Readable, destPath: string, url: string, expected: string | null, declaredSize: number | null): Promise<DownloadResult> {
    const temporary = `${destPath}.${process.pid}.${randomBytes(6).toString('hex')}.part`;
    const hash = createHash('sha256');
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      try {
        await pipeline(body, counter, createWriteStream(temporary, { flags: 'wx' }));
      } catch (error) {
        // A failed read of a response (not of a local file, not of the disk) is a body cut short.
        const code = (error as { code?: unknown }).code;
        if (!isPavedError(error) && !url.startsWith('file:') && (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE')) throw bodyCutShort(url, size, declaredSize);
        throw error;
      }
      if (declaredSize !== null && size !== declaredSize) throw bodyCutShort(url, size, declaredSize);
      const actual = hash.digest('hex');
      if (expected !== null && actual !== expected) throw digestMismatch(url, expected, actual);
      await rename(temporary, destPath);
      return { path: destPath, sha256: actual, size };
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async function fetchToFile(file: IndexFile, destPath: string, expected: string | null): Promise<DownloadResult> {
    const url = new URL(file.url);
    // Before the request: a body must be read as it arrives, or a connection cut early loses
    // what was buffered and the 'ended after N bytes' count with it.
    await mkdir(dirname(destPath), { recursive: true });
    if (url.protocol === 'file:') {
      let path: string;
      try {
        path = fileURLToPath(url);
      } catch {
        throw new PavedError('PAVED_E_NOT_FOUND', `${file.url} is not a local file`);
      }
      const stream = createReadStream(path);
      try {
        return await streamToFile(stream, destPath, file.url, expected, null);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'ENOENT') throw new PavedError('PAVED_E_NOT_FOUND', `${file.url} does not exist`, { hint: 'The local index or find-links folder lists a file that is not there.' });
        throw error;
      }
    }
    if (offline) throw offlineError(file.filename);
    // A body cut short or stalled is fetched again (see getAndRead); a wrong hash is not.
    try {
      return await getAndRead(url, { 'Accept-Encoding': 'identity' }, async (response) => {
        if (response.status !== 200) {
          http().discard(response);
          throw statusError(response.url, response.status, response.credentialsSent);
        }
        return streamToFile(response.body, destPath, file.url, expected, declaredLength(response));
      });
    } catch (error) {
      throw isPavedError(error) ? error : networkError(url, error);
    }
  }

  async function download(file: IndexFile, destPath: string, downloadOptions: { expectedSha256?: string | null } = {}): Promise<DownloadResult> {
    const expected = checkSha256(downloadOptions.expectedSha256 !== undefined ? downloadOptions.expectedSha256 : file.sha256, 'expected sha256');
    const target = resolvePath(destPath);
    // Two callers wanting the same destination share one transfer.
    let pending = downloads.get(target);
    if (pending === undefined) {
      pending = fetchToFile(file, target, expected).then((result) => {
        emit({ type: 'download', filename: file.filename, bytes: result.size });
        return result;
      });
      downloads.set(target, pending);
      const forget = (): void => {
        downloads.delete(target);
      };
      pending.then(forget, forget);
    }
    const result = await pending;
    if (expected !== null && result.sha256 !== expected) throw digestMismatch(file.url, expected, result.sha256);
    return result;
  }

  async function close(): Promise<void> {
    transport?.close();
  }

  return { getProject, getMetadata, download, close };
}

