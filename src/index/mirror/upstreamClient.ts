/**
 * The mirror's view of an upstream index: any PEP 503/691 index over http(s) (another paved, the
 * public index, Artifactory…) or a PEP 503 tree on disk (`file:///opt/pypi/simple/`, for
 * air-gapped imports). It reads project pages (JSON preferred, HTML fallback, conditional
 * re-validation), streams files while checking their hash, and fetches PEP 658 metadata files.
 *
 * Everything an upstream sends is hostile until parsed: pages are size-capped and parsed strictly
 * into the shared simple-API model, file URLs are confined to the upstream's own kind (an http
 * page cannot name a local file, and a local tree cannot reach outside its directory), and every
 * failure is a PavedError with a stable code whose message names the URL without credentials.
 *
 * Error codes: PAVED_E_UPSTREAM (an unexpected HTTP status), PAVED_E_UPSTREAM_TIMEOUT,
 * PAVED_E_UPSTREAM_UNREACHABLE (connection failed or broke), PAVED_E_UPSTREAM_INVALID (oversized
 * or unreadable page, or a file URL the upstream may not use), PAVED_E_UPSTREAM_DIGEST (bytes do
 * not match the upstream's hash), PAVED_E_TOO_LARGE (file over `maxBytes`).
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PavedError, isPavedError } from '../../errors.js';
import { isNormalizedName, normalizeName } from '../../standards/names.js';
import type { ProjectPage, SimpleFile } from '../../standards/simpleApi.js';
import { parseProjectPageHtml } from '../../standards/simpleApiHtml.js';
import { parseProjectPageJson } from '../../standards/simpleApiJson.js';
import { redactUrl } from '../../standards/urls.js';

/** How the mirror talks to its upstream. */
export interface UpstreamOptions {
  /**
   * Per request: until the response headers, then again for a page's whole body, or for a file
   * as the longest silence between two chunks (a large wheel may take longer than this). Default 15 s.
   */
  timeoutMs?: number;
  /** Retries after network errors, 5xx and 429 (not after timeouts). Default 2. */
  retries?: number;
  /** First back-off delay; doubled on each retry, with jitter. Default 250 ms. */
  retryDelayMs?: number;
  /** Longest wait a `Retry-After` header (or the back-off) may impose. Default 10 s. */
  maxRetryDelayMs?: number;
  /** Default `paved-mirror`. */
  userAgent?: string;
  /**
   * Extra request headers, e.g. `Authorization` for a private upstream. Sent, like credentials in
   * the base URL, only to the base URL's origin, so a page cannot send them elsewhere. Never logged.
   */
  headers?: Record<string, string>;
  /** Largest project page accepted. Default 50 MiB. */
  maxPageBytes?: number;
  /** Largest metadata file accepted. Default 10 MiB. */
  maxMetadataBytes?: number;
  /** The clock for `fetchedAt` (tests). */
  now?: () => Date;
}

/** The outcome of reading one project page. */
export type PageResult =
  | {
      status: 'ok';
      /** File URLs absolute; files whose URL this upstream may not serve are left out. */
      page: ProjectPage;
      etag: string | null;
      lastModified: string | null;
      format: 'json' | 'html';
      fetchedAt: string;
    }
  | { status: 'not-modified'; fetchedAt: string }
  | { status: 'not-found'; fetchedAt: string };

/** What was remembered from the last successful read, for conditional re-validation. */
export interface ConditionalRequest {
  etag?: string | null;
  lastModified?: string | null;
}

/** A streamed upstream file. */
export interface UpstreamFile {
  /** Passes the bytes through; errors (instead of ending) on a digest mismatch, a size overrun or a broken connection. */
  stream: Readable;
  /** The size the upstream announced, when it did. */
  size: number | null;
}

/** The client of one upstream index. */
export interface UpstreamClient {
  /** Reads `<base>/<project>/`; `project` must be a normalized name. */
  fetchProjectPage(project: string, conditional?: ConditionalRequest): Promise<PageResult>;
  /**
   * Streams a file; rejects with PAVED_E_UPSTREAM_DIGEST when expectedSha256 is given and the bytes
   * differ (checked as the stream ends: the returned stream errors instead of ending).
   */
  openFile(url: string, options?: { expectedSha256?: string | null; maxBytes?: number }): Promise<UpstreamFile>;
  /** Fetches a PEP 658 metadata file (`url + '.metadata'`) when the page says it exists; null on 404. */
  fetchMetadata(fileUrl: string, expectedSha256?: string | null): Promise<Buffer | null>;
  /** The base URL without credentials, for messages and logs. */
  describe(): string;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_RETRIES = 2;
const DEFAULT_RETRY_DELAY_MS = 250;
const DEFAULT_MAX_RETRY_DELAY_MS = 10_000;
const DEFAULT_MAX_PAGE_BYTES = 50 * 1024 * 1024;
const DEFAULT_MAX_METADATA_BYTES = 10 * 1024 * 1024;
const PAGE_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';
const SHA256_HEX = /^[0-9a-f]{64}$/;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

interface Settings {
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  userAgent: string;
  headers: Record<string, string>;
  maxPageBytes: number;
  maxMetadataBytes: number;
  now: () => Date;
}

function settingsOf(options: UpstreamOptions): Settings {
  const positive = (value: number | undefined, fallback: number, name: string, allowZero = false): number => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
      throw new PavedError('PAVED_E_INVALID_ARGUMENT', `upstream option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, not ${value}`);
    }
    return value;
  };
  return {
    timeoutMs: positive(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs'),
    retries: Math.floor(positive(options.retries, DEFAULT_RETRIES, 'retries', true)),
    retryDelayMs: positive(options.retryDelayMs, DEFAULT_RETRY_DELAY_MS, 'retryDelayMs', true),
    maxRetryDelayMs: positive(options.maxRetryDelayMs, DEFAULT_MAX_RETRY_DELAY_MS, 'maxRetryDelayMs', true),
    userAgent: options.userAgent ?? 'paved-mirror',
    headers: { ...(options.headers ?? {}) },
    maxPageBytes: positive(options.maxPageBytes, DEFAULT_MAX_PAGE_BYTES, 'maxPageBytes'),
    maxMetadataBytes: positive(options.maxMetadataBytes, DEFAULT_MAX_METADATA_BYTES, 'maxMetadataBytes'),
    now: options.now ?? (() => new Date()),
  };
}

/**
 * A client for the upstream whose simple/ root is `baseUrl` (`http(s)://…/simple/` or
 * `file:///opt/pypi/simple/`). Credentials in an http(s) base URL are sent as basic auth.
 */
export function createUpstreamClient(baseUrl: string, options: UpstreamOptions = {}): UpstreamClient {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new PavedError('PAVED_E_INVALID_ARGUMENT', `the upstream URL '${redactUrl(baseUrl)}' is not an absolute URL`, {
      hint: 'Give the upstream simple/ root, e.g. https://pypi.org/simple/ or file:///opt/pypi/simple/.',
    });
  }
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  base.search = '';
  base.hash = '';
  const settings = settingsOf(options);
  if (base.protocol === 'http:' || base.protocol === 'https:') return createHttpUpstream(base, settings);
  if (base.protocol === 'file:') {
    if (base.username !== '' || base.password !== '' || (base.host !== '' && base.host !== 'localhost')) {
      throw new PavedError('PAVED_E_INVALID_ARGUMENT', `the upstream URL '${redactUrl(base)}' is not a local file URL`, {
        hint: 'A file upstream is a directory on this machine: file:///path/to/simple/.',
      });
    }
    return createFileUpstream(base, settings);
  }
  throw new PavedError('PAVED_E_INVALID_ARGUMENT', `the upstream URL '${redactUrl(base)}' is neither http(s) nor file`, {
    hint: 'Give the upstream simple/ root, e.g. https://pypi.org/simple/ or file:///opt/pypi/simple/.',
  });
}

function checkProject(project: string): void {
  if (!isNormalizedName(project)) {
    throw new PavedError('PAVED_E_INVALID_NAME', `'${project.slice(0, 100)}' is not a normalized project name`, {
      hint: 'The mirror asks upstreams for normalized names only (PEP 503).',
    });
  }
}

function checkExpectedSha256(expected: string | null | undefined): string | null {
  if (expected === undefined || expected === null) return null;
  const lower = expected.toLowerCase();
  if (!SHA256_HEX.test(lower)) {
    throw new PavedError('PAVED_E_INVALID_ARGUMENT', `expected sha256 '${expected.slice(0, 80)}' is not 64 hex digits`);
  }
  return lower;
}

function upstreamInvalid(url: string | URL, message: string, cause?: unknown): PavedError {
  return new PavedError('PAVED_E_UPSTREAM_INVALID', `the upstream page ${redactUrl(url)} ${message}`, {
    hint: 'The upstream does not serve a usable simple-API page; check the mirror URL, or the upstream itself.',
    details: { url: redactUrl(url) },
    cause,
  });
}

function digestMismatch(url: string | URL, expected: string, actual: string): PavedError {
  return new PavedError('PAVED_E_UPSTREAM_DIGEST', `${redactUrl(url)} does not match the upstream's sha256 (expected ${expected}, got ${actual})`, {
    hint: 'The upstream served other bytes than its page announced: a corrupted or tampered file. Nothing was kept.',
    details: { url: redactUrl(url), expected, actual },
  });
}

function tooLarge(url: string | URL, maxBytes: number): PavedError {
  return new PavedError('PAVED_E_TOO_LARGE', `${redactUrl(url)} is larger than the limit of ${maxBytes} bytes`, {
    hint: 'Raise the mirror file size limit if this file is expected to be this large.',
    details: { url: redactUrl(url), maxBytes },
  });
}

/** Only these files pass: pages are filtered with the same rule `openFile` enforces. */
type FileUrlCheck = (url: URL) => boolean;

function keepServableFiles(page: ProjectPage, allowed: FileUrlCheck): ProjectPage {
  const files: SimpleFile[] = [];
  for (const file of page.files) {
    let url: URL;
    try {
      url = new URL(file.url);
    } catch {
      continue;
    }
    if (allowed(url)) files.push(file);
  }
  return files.length === page.files.length ? page : { ...page, files };
}

// Picks the parser from the declared type; a page is read as JSON or HTML, never guessed from
// its content, so a misconfigured upstream is reported rather than half understood.
function formatOfContentType(contentType: string | null): 'json' | 'html' | null {
  if (contentType === null) return null;
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (mediaType === 'application/vnd.pypi.simple.v1+json' || mediaType === 'application/vnd.pypi.simple.latest+json' || mediaType === 'application/json') {
    return 'json';
  }
  if (mediaType === 'application/vnd.pypi.simple.v1+html' || mediaType === 'application/vnd.pypi.simple.latest+html' || mediaType === 'text/html') {
    return 'html';
  }
  return null;
}

function parsePage(bytes: Buffer, format: 'json' | 'html', pageUrl: string, project: string): ProjectPage {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw upstreamInvalid(pageUrl, 'is not valid UTF-8', error);
  }
  let page: ProjectPage;
  try {
    page = format === 'json' ? parseProjectPageJson(text, pageUrl) : parseProjectPageHtml(text, pageUrl, project);
  } catch (error) {
    if (isPavedError(error)) throw upstreamInvalid(pageUrl, `could not be read: ${error.message}`, error);
    throw upstreamInvalid(pageUrl, 'could not be read', error);
  }
  let pageName: string | null;
  try {
    pageName = normalizeName(page.name);
  } catch {
    pageName = null;
  }
  // An upstream answering with another project's page would publish its files under our name.
  if (pageName !== project) throw upstreamInvalid(pageUrl, `is the page of '${page.name.slice(0, 100)}', not of '${project}'`);
  return page;
}

// ---------------------------------------------------------------------------------------------
// http(s)

interface Attempt {
  response: Response;
  /** Where the response came from, after redirects. */
  finalUrl: URL;
  /** Aborts the request (and its body). */
  abort: (reason: unknown) => void;
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  if (cause instanceof Error && cause.message !== '') return cause.message.slice(0, 200);
  return error instanceof Error ? error.message.slice(0, 200) : 'connection failed';
}

function unreachable(url: string | URL, error: unknown): PavedError {
  return new PavedError('PAVED_E_UPSTREAM_UNREACHABLE', `could not reach the upstream at ${redactUrl(url)}: ${describeNetworkError(error)}`, {
    hint: 'Check that the upstream is up and reachable from the server (DNS, firewall, proxy); cached projects are still served.',
    details: { url: redactUrl(url) },
  });
}

function timedOut(url: string | URL, timeoutMs: number): PavedError {
  return new PavedError('PAVED_E_UPSTREAM_TIMEOUT', `the upstream at ${redactUrl(url)} did not answer within ${timeoutMs} ms`, {
    hint: 'The upstream is slow or hanging; raise the mirror timeout if it is just slow. Cached projects are still served.',
    details: { url: redactUrl(url), timeoutMs },
  });
}

function badStatus(url: string | URL, status: number): PavedError {
  return new PavedError('PAVED_E_UPSTREAM', `the upstream answered ${status} for ${redactUrl(url)}`, {
    hint:
      status === 401 || status === 403
        ? 'The upstream refused the mirror: check the credentials configured for it.'
        : 'The upstream failed; try again later, or check its status.',
    details: { url: redactUrl(url), status },
  });
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

// Retry-After is seconds or an HTTP date (RFC 9110 10.2.3); anything else is ignored.
function retryAfterMs(header: string | null, now: Date): number | null {
  if (header === null) return null;
  const trimmed = header.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now.getTime());
}

function createHttpUpstream(base: URL, settings: Settings): UpstreamClient {
  const origin = base.origin;
  // Credentials move from the URL into a header: fetch refuses URLs with user info, and a header
  // can be kept to the upstream's own origin.
  const authHeaders: Record<string, string> = { ...settings.headers };
  if (base.username !== '' || base.password !== '') {
    const user = decodeURIComponent(base.username);
    const password = decodeURIComponent(base.password);
    const hasAuthorization = Object.keys(authHeaders).some((name) => name.toLowerCase() === 'authorization');
    if (!hasAuthorization) authHeaders['Authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    base.username = '';
    base.password = '';
  }
  const described = base.href;

  const allowedFileUrl: FileUrlCheck = (url) => url.protocol === 'http:' || url.protocol === 'https:';

  /** Parses a URL the upstream gave us and refuses the kinds it may not use. */
  function checkUrl(raw: string | URL): URL {
    let url: URL;
    try {
      url = new URL(String(raw));
    } catch {
      throw new PavedError('PAVED_E_UPSTREAM_INVALID', `'${redactUrl(String(raw))}' is not an absolute URL`, { hint: 'The upstream page links a malformed file URL.' });
    }
    if (!allowedFileUrl(url)) {
      throw new PavedError('PAVED_E_UPSTREAM_INVALID', `the http upstream ${described} may not link ${url.protocol} URLs (${redactUrl(url)})`, {
        hint: 'An upstream page can only point the mirror at http(s) files; this page is suspicious.',
        details: { url: redactUrl(url) },
      });
    }
    url.hash = '';
    return url;
  }

  // The headers for one hop. Configured headers and base-URL credentials go to the upstream's own
  // origin only: a page or a redirect naming another host must not collect them.
  function hop(url: URL, extra: Record<string, string>): { url: URL; headers: Record<string, string> } {
    const clean = new URL(url.href);
    const headers: Record<string, string> = { 'User-Agent': settings.userAgent, ...extra };
    if (clean.username !== '' || clean.password !== '') {
      headers['Authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(clean.username)}:${decodeURIComponent(clean.password)}`).toString('base64')}`;
      clean.username = '';
      clean.password = '';
    } else if (clean.origin === origin) {
      Object.assign(headers, authHeaders);
    }
    return { url: clean, headers };
  }

  /**
   * One request with retries, following redirects itself (see `hop`). `timeoutMs` covers
   * connecting and the response headers; the caller owns the body (and its own timing of it).
   */
  async function request(url: URL, extra: Record<string, string>): Promise<Attempt> {
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(timedOut(url, settings.timeoutMs)), settings.timeoutMs);
      let response: Response;
      let current = url;
      try {
        for (let redirects = 0; ; redirects++) {
          const next = hop(current, extra);
          response = await fetch(next.url, { headers: next.headers, redirect: 'manual', signal: controller.signal });
          const location = response.headers.get('location');
          if (!REDIRECT_STATUSES.has(response.status) || location === null) break;
          await response.body?.cancel().catch(() => undefined);
          if (redirects >= MAX_REDIRECTS) {
            throw new PavedError('PAVED_E_UPSTREAM', `the upstream redirected ${redactUrl(url)} more than ${MAX_REDIRECTS} times`, {
              hint: 'The upstream is misconfigured (a redirect loop).',
              details: { url: redactUrl(url) },
            });
          }
          let target: URL;
          try {
            target = new URL(location, next.url);
          } catch {
            throw upstreamInvalid(url, 'redirects to a malformed URL');
          }
          current = checkUrl(target);
        }
      } catch (error) {
        clearTimeout(timer);
        if (controller.signal.aborted) throw controller.signal.reason as PavedError;
        if (isPavedError(error)) throw error;
        if (attempt < settings.retries) {
          await sleep(backoff(attempt, null));
          continue;
        }
        throw unreachable(current, error);
      } finally {
        clearTimeout(timer);
      }
      if (isRetryableStatus(response.status) && attempt < settings.retries) {
        const wait = backoff(attempt, retryAfterMs(response.headers.get('retry-after'), settings.now()));
        await response.body?.cancel().catch(() => undefined);
        await sleep(wait);
        continue;
      }
      // Without user info: relative file URLs resolved against it would otherwise inherit credentials.
      return { response, finalUrl: hop(current, {}).url, abort: (reason) => controller.abort(reason) };
    }
  }

  // Exponential back-off with jitter (half fixed, half random) so many mirrors do not retry in step.
  function backoff(attempt: number, retryAfter: number | null): number {
    const exponential = settings.retryDelayMs * 2 ** attempt;
    const jittered = exponential / 2 + Math.random() * (exponential / 2);
    return Math.min(settings.maxRetryDelayMs, Math.max(jittered, retryAfter ?? 0));
  }

  /** Reads a whole (small) body under a byte cap and a deadline, then hands it back. */
  async function readBody(attempt: Attempt, url: URL, maxBytes: number, onTooLarge: () => PavedError): Promise<Buffer> {
    const declared = attempt.response.headers.get('content-length');
    if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
      attempt.abort(onTooLarge());
      throw onTooLarge();
    }
    const body = attempt.response.body;
    if (body === null) return Buffer.alloc(0);
    const reader = body.getReader();
    const chunks: Buffer[] = [];
    let total = 0;
    const timer = setTimeout(() => attempt.abort(timedOut(url, settings.timeoutMs)), settings.timeoutMs);
    try {
      for (;;) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (error) {
          if (isPavedError(error)) throw error;
          throw unreachable(url, error);
        }
        if (next.done) break;
        total += next.value.byteLength;
        if (total > maxBytes) {
          const error = onTooLarge();
          await reader.cancel(error).catch(() => undefined);
          throw error;
        }
        chunks.push(Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength));
      }
    } finally {
      clearTimeout(timer);
    }
    return Buffer.concat(chunks, total);
  }

  async function fetchProjectPage(project: string, conditional: ConditionalRequest = {}): Promise<PageResult> {
    checkProject(project);
    const pageUrl = new URL(`${project}/`, base);
    const headers: Record<string, string> = { Accept: PAGE_ACCEPT };
    if (conditional.etag !== undefined && conditional.etag !== null) headers['If-None-Match'] = conditional.etag;
    if (conditional.lastModified !== undefined && conditional.lastModified !== null) headers['If-Modified-Since'] = conditional.lastModified;
    const attempt = await request(pageUrl, headers);
    const { response } = attempt;
    const fetchedAt = settings.now().toISOString();
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel().catch(() => undefined);
      return { status: 'not-found', fetchedAt };
    }
    if (response.status === 304) {
      await response.body?.cancel().catch(() => undefined);
      return { status: 'not-modified', fetchedAt };
    }
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel().catch(() => undefined);
      throw badStatus(pageUrl, response.status);
    }
    // Relative file URLs resolve against where the page really is, after redirects.
    const finalUrl = attempt.finalUrl.href;
    const format = formatOfContentType(response.headers.get('content-type'));
    if (format === null) {
      await response.body?.cancel().catch(() => undefined);
      const type = (response.headers.get('content-type') ?? 'none').slice(0, 100);
      throw upstreamInvalid(finalUrl, `has content type '${type}', not a simple-API page`);
    }
    const bytes = await readBody(attempt, pageUrl, settings.maxPageBytes, () =>
      upstreamInvalid(finalUrl, `is larger than the limit of ${settings.maxPageBytes} bytes`),
    );
    const page = keepServableFiles(parsePage(bytes, format, finalUrl, project), allowedFileUrl);
    return {
      status: 'ok',
      page,
      etag: response.headers.get('etag'),
      lastModified: response.headers.get('last-modified'),
      format,
      fetchedAt,
    };
  }

  async function openFile(rawUrl: string, options: { expectedSha256?: string | null; maxBytes?: number } = {}): Promise<UpstreamFile> {
    const expected = checkExpectedSha256(options.expectedSha256);
    const url = checkUrl(rawUrl);
    const attempt = await request(url, {});
    const { response } = attempt;
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel().catch(() => undefined);
      throw badStatus(url, response.status);
    }
    const declared = response.headers.get('content-length');
    const size = declared !== null && /^\d{1,15}$/.test(declared) ? Number(declared) : null;
    if (options.maxBytes !== undefined && size !== null && size > options.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(url, options.maxBytes);
    }
    const source =
      response.body === null
        ? Readable.from([])
        : Readable.fromWeb(response.body as unknown as NodeReadableStream<Uint8Array>);
    const stream = verifyingStream(source, {
      url,
      expected,
      maxBytes: options.maxBytes ?? null,
      declaredSize: size,
      idleTimeoutMs: settings.timeoutMs,
      mapError: (error) => (isPavedError(error) ? error : unreachable(url, error)),
      onIdle: () => {
        const error = timedOut(url, settings.timeoutMs);
        attempt.abort(error);
        return error;
      },
    });
    return { stream, size };
  }

  async function fetchMetadata(fileUrl: string, expectedSha256?: string | null): Promise<Buffer | null> {
    const expected = checkExpectedSha256(expectedSha256);
    const url = checkUrl(fileUrl);
    url.pathname += '.metadata';
    const attempt = await request(url, {});
    const { response } = attempt;
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel().catch(() => undefined);
      return null;
    }
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel().catch(() => undefined);
      throw badStatus(url, response.status);
    }
    const bytes = await readBody(attempt, url, settings.maxMetadataBytes, () => tooLarge(url, settings.maxMetadataBytes));
    checkBytesDigest(url, bytes, expected);
    return bytes;
  }

  return { fetchProjectPage, openFile, fetchMetadata, describe: () => described };
}

function checkBytesDigest(url: URL, bytes: Buffer, expected: string | null): void {
  if (expected === null) return;
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected) throw digestMismatch(url, expected, actual);
}

interface VerifyOptions {
  url: URL;
  expected: string | null;
  maxBytes: number | null;
  declaredSize: number | null;
  /** Longest silence between two chunks; 0 for none. */
  idleTimeoutMs: number;
  mapError: (error: unknown) => PavedError;
  onIdle: () => PavedError;
}

// Passes bytes through while hashing and counting, so the caller can store and serve at once and
// still learn, as the stream errors instead of ending, that the file was not the announced one.
function verifyingStream(source: Readable, options: VerifyOptions): Readable {
  const hash = createHash('sha256');
  let received = 0;
  let idle: NodeJS.Timeout | null = null;
  const armIdle = (): void => {
    if (options.idleTimeoutMs <= 0) return;
    if (idle !== null) clearTimeout(idle);
    idle = setTimeout(() => out.destroy(options.onIdle()), options.idleTimeoutMs);
  };
  const out = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      armIdle();
      received += chunk.length;
      if (options.maxBytes !== null && received > options.maxBytes) {
        callback(tooLarge(options.url, options.maxBytes));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      if (idle !== null) clearTimeout(idle);
      if (options.declaredSize !== null && received !== options.declaredSize) {
        callback(
          new PavedError('PAVED_E_UPSTREAM_UNREACHABLE', `${redactUrl(options.url)} ended after ${received} of ${options.declaredSize} bytes`, {
            hint: 'The upstream connection broke mid-file; the next request fetches it again.',
            details: { url: redactUrl(options.url) },
          }),
        );
        return;
      }
      const actual = hash.digest('hex');
      if (options.expected !== null && actual !== options.expected) {
        callback(digestMismatch(options.url, options.expected, actual));
        return;
      }
      callback();
    },
  });
  armIdle();
  source.on('error', (error) => out.destroy(options.mapError(error)));
  // A consumer that gives up early (client disconnected) must not leave the upstream transfer open.
  out.on('close', () => {
    if (idle !== null) clearTimeout(idle);
    if (!source.destroyed) source.destroy();
  });
  source.pipe(out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// file://

function createFileUpstream(base: URL, settings: Settings): UpstreamClient {
  const simpleDir = fileURLToPath(base);
  // Pages may link files beside the simple/ tree (`../../files/x.whl`, as /opt/pypi does) but
  // nothing beyond its parent directory.
  const allowedDir = dirname(simpleDir.endsWith(sep) ? simpleDir.slice(0, -1) : simpleDir);
  let realAllowedDir: Promise<string> | null = null;
  const described = base.href;

  const lexicallyAllowed: FileUrlCheck = (url) => {
    if (url.protocol !== 'file:' || (url.host !== '' && url.host !== 'localhost')) return false;
    try {
      return isInside(fileURLToPath(url), allowedDir);
    } catch {
      return false;
    }
  };

  function allowedRoot(): Promise<string> {
    if (realAllowedDir === null) {
      const pending = realpath(allowedDir);
      realAllowedDir = pending;
      pending.catch(() => {
        realAllowedDir = null;
      });
    }
    return realAllowedDir;
  }

  function refused(url: URL | string): PavedError {
    return new PavedError('PAVED_E_UPSTREAM_INVALID', `the file upstream ${described} may not read ${redactUrl(url)}`, {
      hint: `A local upstream only serves files under ${allowedDir}; this page links outside it.`,
      details: { url: redactUrl(url) },
    });
  }

  /** The real path of a file URL, or a refusal when it (after symlinks and `..`) leaves the tree. Null when missing. */
  async function resolveLocal(raw: string | URL): Promise<string | null> {
    let url: URL;
    try {
      url = new URL(String(raw));
    } catch {
      throw new PavedError('PAVED_E_UPSTREAM_INVALID', `'${redactUrl(String(raw))}' is not an absolute URL`, { hint: 'The upstream page links a malformed file URL.' });
    }
    url.hash = '';
    url.search = '';
    if (!lexicallyAllowed(url)) throw refused(url);
    let real: string;
    try {
      real = await realpath(fileURLToPath(url));
    } catch (error) {
      if (isMissing(error)) return null;
      throw localFailure(url, error);
    }
    let root: string;
    try {
      root = await allowedRoot();
    } catch (error) {
      throw localFailure(pathToFileURL(allowedDir), error);
    }
    if (!isInside(real, root)) throw refused(url);
    return real;
  }

  async function readLocal(path: string, url: URL, maxBytes: number, onTooLarge: () => PavedError): Promise<{ bytes: Buffer; mtime: Date; size: number }> {
    let handle: FileHandle;
    try {
      handle = await open(path, fsConstants.O_RDONLY);
    } catch (error) {
      throw localFailure(url, error);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw refused(url);
      if (info.size > maxBytes) throw onTooLarge();
      const bytes = await handle.readFile();
      if (bytes.length > maxBytes) throw onTooLarge();
      return { bytes, mtime: info.mtime, size: info.size };
    } finally {
      await handle.close();
    }
  }

  async function fetchProjectPage(project: string, conditional: ConditionalRequest = {}): Promise<PageResult> {
    checkProject(project);
    const fetchedAt = settings.now().toISOString();
    // JSON first, as over http: a tree that has both says more in JSON (sizes, upload times).
    for (const [name, format] of [
      ['index.json', 'json'],
      ['index.html', 'html'],
    ] as const) {
      const pageUrl = new URL(`${project}/${name}`, base);
      const path = await resolveLocal(pageUrl);
      if (path === null) continue;
      let info: Stats;
      try {
        info = await stat(path);
      } catch (error) {
        if (isMissing(error)) continue;
        throw localFailure(pageUrl, error);
      }
      if (!info.isFile()) continue;
      const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}-${format}"`;
      const lastModified = info.mtime.toUTCString();
      if (isNotModified(conditional, etag, info.mtime)) return { status: 'not-modified', fetchedAt };
      const { bytes } = await readLocal(path, pageUrl, settings.maxPageBytes, () =>
        upstreamInvalid(pageUrl, `is larger than the limit of ${settings.maxPageBytes} bytes`),
      );
      const page = keepServableFiles(parsePage(bytes, format, pageUrl.href, project), lexicallyAllowed);
      return { status: 'ok', page, etag, lastModified, format, fetchedAt };
    }
    return { status: 'not-found', fetchedAt };
  }

  async function openFile(rawUrl: string, options: { expectedSha256?: string | null; maxBytes?: number } = {}): Promise<UpstreamFile> {
    const expected = checkExpectedSha256(options.expectedSha256);
    const path = await resolveLocal(rawUrl);
    const url = new URL(rawUrl);
    if (path === null) {
      throw new PavedError('PAVED_E_UPSTREAM', `the file upstream has no ${redactUrl(url)}`, {
        hint: 'The local tree lists a file that is not there; re-sync the tree.',
        details: { url: redactUrl(url), status: 404 },
      });
    }
    let handle: FileHandle;
    try {
      handle = await open(path, fsConstants.O_RDONLY);
    } catch (error) {
      throw localFailure(url, error);
    }
    let size: number;
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw refused(url);
      size = info.size;
      if (options.maxBytes !== undefined && size > options.maxBytes) throw tooLarge(url, options.maxBytes);
    } catch (error) {
      await handle.close();
      throw error;
    }
    const source = handle.createReadStream();
    const stream = verifyingStream(source, {
      url,
      expected,
      maxBytes: options.maxBytes ?? null,
      declaredSize: null,
      idleTimeoutMs: 0,
      mapError: (error) => (isPavedError(error) ? error : localFailure(url, error)),
      onIdle: () => timedOut(url, 0),
    });
    return { stream, size };
  }

  async function fetchMetadata(fileUrl: string, expectedSha256?: string | null): Promise<Buffer | null> {
    const expected = checkExpectedSha256(expectedSha256);
    const url = new URL(fileUrl);
    url.hash = '';
    url.pathname += '.metadata';
    const path = await resolveLocal(url);
    if (path === null) return null;
    const { bytes } = await readLocal(path, url, settings.maxMetadataBytes, () => tooLarge(url, settings.maxMetadataBytes));
    checkBytesDigest(url, bytes, expected);
    return bytes;
  }

  return { fetchProjectPage, openFile, fetchMetadata, describe: () => described };
}

function isInside(path: string, dir: string): boolean {
  const prefix = dir.endsWith(sep) ? dir : dir + sep;
  return path.startsWith(prefix);
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function localFailure(url: URL, error: unknown): PavedError {
  const code = (error as { code?: unknown }).code;
  return new PavedError('PAVED_E_UPSTREAM_UNREACHABLE', `could not read ${redactUrl(url)}: ${typeof code === 'string' ? code : 'read failed'}`, {
    hint: 'Check that the local upstream tree exists and that the server may read it.',
    details: { url: redactUrl(url) },
  });
}

// RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since when both are sent.
function isNotModified(conditional: ConditionalRequest, etag: string, mtime: Date): boolean {
  if (conditional.etag !== undefined && conditional.etag !== null) return conditional.etag === etag;
  if (conditional.lastModified !== undefined && conditional.lastModified !== null) {
    const since = Date.parse(conditional.lastModified);
    return !Number.isNaN(since) && Math.floor(mtime.getTime() / 1000) * 1000 <= since;
  }
  return false;
}
