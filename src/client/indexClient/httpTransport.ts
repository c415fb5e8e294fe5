/**
 * HTTP for the index client, on node:http/node:https: keep-alive agents (one connection pool per
 * origin, shared by every request of a client, so parallel metadata and file fetches reuse
 * sockets), retries with exponential back-off for network errors, 5xx and 429 (and, through
 * `bodyRetries`, for bodies cut short or stalled, which the caller reads), redirects followed
 * here so that credentials are recomputed on every hop (a redirect to another origin carries
 * none), proxies (plain http through an http proxy, https tunnelled with CONNECT) and extra CA
 * certificates. undici is not a dependency of paved; node's agents give the same pooling plus
 * direct control of TLS and proxies.
 *
 * Every error is a PavedError whose message names the URL without credentials.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect, createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import { PavedError, isPavedError } from '../../errors.js';
import { redactUrl } from '../../standards/urls.js';
import { userInfoAuthorization } from './indexCredentials.js';

/** How requests are made. */
export interface TransportSettings {
  /** Longest silence on a connection, before headers or between body chunks. */
  timeoutMs: number;
  /** Retries after network errors, 5xx and 429. */
  retries: number;
  /** First back-off delay, doubled each retry (with jitter). */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  userAgent: string;
  maxSockets: number;
  /** The Authorization header for a URL, or null; asked again on every redirect hop. */
  authorizationFor: (url: URL) => string | null;
  /** The proxy for a URL, or null. */
  proxyFor: (url: URL) => URL | null;
  /**
   * PEM certificates replacing Node's default trust (already including the defaults when wanted);
   * null keeps Node's. A function is called once, at the first https request: a run against
   * plain-http indexes never reads the bundle (~0.2 MB, parsed on every start otherwise).
   */
  ca: string[] | null | (() => string[] | null);
}

/** A response whose body has not been read yet. */
export interface TransportResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Where the response came from, after redirects. */
  url: URL;
  /** Whether the request that got this response carried an Authorization header. */
  credentialsSent: boolean;
  body: IncomingMessage;
}

/** The HTTP side of an index client. */
export interface HttpTransport {
  /** GETs a URL (following redirects, retrying transient failures); any status is returned, the caller decides. */
  get(url: URL, headers?: Record<string, string>): Promise<TransportResponse>;
  /** Reads a whole body, failing with PAVED_E_TOO_LARGE past `maxBytes`. */
  readBody(response: TransportResponse, maxBytes: number): Promise<Buffer>;
  /** Discards a body so the connection returns to the pool. */
  discard(response: TransportResponse): void;
  /** The retries of one transfer whose body the caller reads itself (a project page, a metadata file, a range read, a download); see `BodyRetries`. */
  bodyRetries(): BodyRetries;
  /** Closes pooled connections. */
  close(): void;
}

/**
 * The retry budget of one transfer after its headers came and its body failed, the same for
 * every body paved reads: a body cut short (PAVED_E_NETWORK) is fetched again after the back-off
 * of any retry, up to `retries` times (a server or proxy that keeps cutting is not hammered); a
 * body that stalled past the timeout (PAVED_E_TIMEOUT) is fetched once more, at once, like a
 * request that got no answer (the timeout was the wait). Anything else is not retried.
 */
export interface BodyRetries {
  /** Waits the back-off and answers true when the transfer should be tried again after `error`. */
  retry(error: unknown): Promise<boolean>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const RETRYABLE_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);
/** Certificate problems a trusted CA bundle can fix; expiry or a wrong host name it cannot. */
const UNKNOWN_AUTHORITY = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED']);

const TLS_PROBLEMS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  CERT_NOT_YET_VALID: 'the server certificate is not valid yet',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in a self-signed certificate that is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate was signed by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the server certificate is not trusted (unknown certificate authority)',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer of the server certificate could not be found',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not name this host',
  CERT_REVOKED: 'the server certificate was revoked',
  CERT_UNTRUSTED: 'the server certificate is not trusted',
};

/** A PavedError for a request that got no usable answer. */
export function networkError(url: URL, error: unknown): PavedError {
  if (isPavedError(error)) return error;
  const code = (error as { code?: unknown }).code;
  const shown = redactUrl(url);
  if (typeof code === 'string' && (code in TLS_PROBLEMS || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT/.test(code))) {
    const problem = TLS_PROBLEMS[code] ?? (error instanceof Error ? error.message : code);
    return new PavedError('PAVED_E_TLS', `TLS failed for ${shown}: ${problem} (${code})`, {
      hint: tlsHint(code),
      details: { url: shown, tlsCode: code },
    });
  }
  const reason = typeof code === 'string' ? code : error instanceof Error ? error.message.slice(0, 200) : 'connection failed';
  return new PavedError('PAVED_E_NETWORK', `could not reach ${shown}: ${reason}`, {
    hint: 'Check the index URL and the network (DNS, firewall, HTTPS_PROXY/NO_PROXY); --offline works from the cache.',
    details: { url: shown },
  });
}

// Only a missing CA can be fixed by trusting a bundle; pointing SSL_CERT_FILE somewhere cannot
// renew an expired certificate or make it name another host.
function tlsHint(code: string): string {
  if (UNKNOWN_AUTHORITY.has(code)) return 'If a company proxy or private CA signs this certificate, point SSL_CERT_FILE (or NODE_EXTRA_CA_CERTS) at its PEM bundle.';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return "The server's certificate is outside its validity dates: its owner must renew it (or this machine's clock is wrong).";
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'Use the host name the certificate was issued for in the index URL (an IP address or an alias does not match it).';
  if (code === 'CERT_REVOKED') return 'The certificate was revoked: its owner must replace it; do not work around this.';
  return 'The TLS connection could not be secured; check the index URL and any proxy that intercepts HTTPS.';
}

/**
 * A PavedError for an HTTP status the caller cannot use. `credentialsSent`: the request carried
 * credentials, so a 401 means they were rejected rather than missing.
 */
export function statusError(url: URL, status: number, credentialsSent = false): PavedError {
  const shown = redactUrl(url);
  const details = { url: shown, status };
  if (status === 401 && credentialsSent) {
    return new PavedError('PAVED_E_UNAUTHORIZED', `${shown} rejected the credentials paved sent (401)`, {
      hint: 'The credentials were rejected: check that the token or password for this index is right and not expired or revoked.',
      details: { ...details, credentialsSent: true },
    });
  }
  if (status === 401) {
    return new PavedError('PAVED_E_UNAUTHORIZED', `${shown} asks for credentials (401)`, {
      hint: 'Put credentials in the index URL, in ~/.netrc (or the file NETRC names), or in PAVED_INDEX_TOKEN.',
      details,
    });
  }
  if (status === 403) {
    return new PavedError('PAVED_E_FORBIDDEN', `${shown} refused access (403)`, { hint: 'The credentials were not accepted for this index; check their scopes.', details });
  }
  if (status === 404 || status === 410) {
    return new PavedError('PAVED_E_NOT_FOUND', `${shown} does not exist (${status})`, { hint: 'The index lists a file it does not serve; refresh the page or report it to the index owner.', details });
  }
  if (status >= 500) {
    return new PavedError('PAVED_E_SERVER', `${shown} failed with ${status}`, { hint: 'The index is having trouble; try again later.', details });
  }
  return new PavedError('PAVED_E_SERVER', `${shown} answered ${status}`, { hint: 'The index gave an answer paved does not expect here.', details });
}

const TIMEOUT_HINT = 'The index (or a proxy on the way) is slow or unreachable: check the URL and the network; for a slow index raise the timeout with --timeout SECONDS or PAVED_HTTP_TIMEOUT (or timeout = SECONDS in [tool.paved] or the user config file).';

function timeoutError(url: URL, timeoutMs: number, phase: 'connect' | 'answer' | 'body'): PavedError {
  const what = phase === 'connect' ? 'could not be connected to within' : phase === 'body' ? 'stopped sending its body for' : 'did not answer within';
  return new PavedError('PAVED_E_TIMEOUT', `${redactUrl(url)} ${what} ${timeoutMs} ms`, {
    hint: TIMEOUT_HINT,
    details: { url: redactUrl(url), timeoutMs },
  });
}

/**
 * A PavedError for a body that ended early: the connection closed after `received` bytes
 * (before `declared`, the Content-Length, when there was one).
 */
export function bodyCutShort(url: URL | string, received: number, declared: number | null): PavedError {
  const shown = redactUrl(url);
  const how = declared !== null ? `ended after ${received} of ${declared} bytes` : `ended after ${received} bytes, before its end`;
  return new PavedError('PAVED_E_NETWORK', `${shown} ${how}: the connection closed mid-transfer`, {
    hint: 'The server or a proxy on the way cut the transfer; try again (a proxy with a size or time limit does this every time).',
    details: { url: shown, received, declared },
  });
}

/** The Content-Length of a response, or null. */
export function declaredLength(response: TransportResponse): number | null {
  const value = response.headers['content-length'];
  const length = value === undefined ? NaN : Number(value);
  return Number.isSafeInteger(length) && length >= 0 ? length : null;
}

/** Whether an error is a timeout worth one more try (pip retries read and connect timeouts too). */
function isTimeout(error: unknown): boolean {
  if (isPavedError(error)) return error.code === 'PAVED_E_TIMEOUT' || error.details?.['timedOut'] === true;
  return (error as { code?: unknown }).code === 'ETIMEDOUT';
}

// Retry-After is seconds or an HTTP date (RFC 9110 10.2.3).
function retryAfterMs(header: string | string[] | undefined): number | null {
  if (typeof header !== 'string') return null;
  const trimmed = header.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** A URL's hostname as a socket API takes it: an IPv6 literal without its brackets. */
function socketHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

class TunnellingAgent extends HttpsAgent {
  constructor(
    private readonly proxy: URL,
    private readonly timeoutMs: number,
    options: ConstructorParameters<typeof HttpsAgent>[0],
  ) {
    super(options);
  }

  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    let settled = false;
    const done = (error: Error | null, stream: Duplex): void => {
      if (settled) return;
      settled = true;
      callback?.(error, stream);
    };
    const host = socketHost(options.host ?? 'localhost');
    // CONNECT names an IPv6 host in brackets (RFC 9110 7.2).
    const target = `${host.includes(':') ? `[${host}]` : host}:${options.port ?? 443}`;
    const headers: Record<string, string> = { Host: target };
    const proxyAuthorization = userInfoAuthorization(this.proxy);
    if (proxyAuthorization !== null) headers['Proxy-Authorization'] = proxyAuthorization;
    const connectRequest = httpRequest({
      host: socketHost(this.proxy.hostname),
      port: this.proxy.port === '' ? 80 : Number(this.proxy.port),
      method: 'CONNECT',
      path: target,
      headers,
      agent: false,
      // Times the TCP connection to the proxy as well (setTimeout below starts only once it is up).
      timeout: this.timeoutMs,
    });
    connectRequest.once('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        const error = new PavedError('PAVED_E_PROXY', `the proxy ${redactUrl(this.proxy)} refused to connect to ${target} (${response.statusCode ?? 0})`, {
          hint: response.statusCode === 407 ? 'The proxy wants credentials: put them in HTTPS_PROXY (http://user:pass@proxy:port).' : 'Check HTTPS_PROXY and NO_PROXY.',
        });
        done(error, socket);
        return;
      }
      // SNI names hosts, never IP addresses (Node warns, DEP0123).
      const tlsOptions: ConnectionOptions = { ...(options as ConnectionOptions), socket, ...(isIP(host) === 0 ? { servername: host } : {}) };
      done(null, tlsConnect(tlsOptions));
    });
    connectRequest.once('error', (error) => {
      done(new PavedError('PAVED_E_PROXY', `could not reach the proxy ${redactUrl(this.proxy)}: ${(error as { code?: string }).code ?? error.message}`, { hint: 'Check HTTPS_PROXY and NO_PROXY.' }), null as unknown as Duplex);
    });
    // The request's own timeout starts only once a socket exists: a proxy that accepts the
    // connection and never answers CONNECT is timed here.
    connectRequest.setTimeout(this.timeoutMs, () => {
      done(
        new PavedError('PAVED_E_PROXY', `the proxy ${redactUrl(this.proxy)} did not answer CONNECT ${target} within ${this.timeoutMs} ms`, {
          hint: 'Check that HTTPS_PROXY names a working proxy, or list the index host in NO_PROXY; a slow proxy needs a longer --timeout.',
          details: { timedOut: true },
        }),
        null as unknown as Duplex,
      );
      connectRequest.destroy();
    });
    connectRequest.end();
    return undefined;
  }
}

/** Creates a transport; call `close()` when done so idle keep-alive sockets do not hold the process open. */
export function createHttpTransport(settings: TransportSettings): HttpTransport {
  const agentOptions = { keepAlive: true, maxSockets: settings.maxSockets, scheduling: 'lifo' as const };
  const httpAgent = new HttpAgent(agentOptions);
  // One secure context for every connection: given only `ca`, each TLS connection would parse
  // the whole bundle again (~43 ms for Node's roots plus the system's, per connection).
  let contextMade: { secureContext?: SecureContext } | null = null;
  const tlsOptions = (): { secureContext?: SecureContext } => {
    if (contextMade === null) {
      const ca = typeof settings.ca === 'function' ? settings.ca() : settings.ca;
      contextMade = ca === null ? {} : { secureContext: createSecureContext({ ca }) };
    }
    return contextMade;
  };
  let httpsAgentMade: HttpsAgent | null = null;
  const httpsAgent = (): HttpsAgent => (httpsAgentMade ??= new HttpsAgent({ ...agentOptions, ...tlsOptions() }));
  const tunnels = new Map<string, TunnellingAgent>();

  function tunnelFor(proxy: URL): TunnellingAgent {
    let agent = tunnels.get(proxy.href);
    if (agent === undefined) {
      agent = new TunnellingAgent(proxy, settings.timeoutMs, { ...agentOptions, ...tlsOptions() });
      tunnels.set(proxy.href, agent);
    }
    return agent;
  }

  function once(url: URL, headers: Record<string, string>, carried: string | null): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      const requestHeaders: Record<string, string> = { 'User-Agent': settings.userAgent, ...headers };
      // Credentials written into the URL itself (a wheel named `name @ https://user:token@host/…`)
      // are its own; otherwise the index's, or those carried over an http → https redirect.
      const authorization = userInfoAuthorization(url) ?? settings.authorizationFor(url) ?? carried;
      if (authorization !== null) requestHeaders['Authorization'] = authorization;
      const credentialsSent = authorization !== null;
      const proxy = settings.proxyFor(url);
      const target = new URL(url.href);
      target.username = '';
      target.password = '';
      target.hash = '';
      let options: ClientRequestArgs;
      let send: typeof httpRequest;
      if (url.protocol === 'https:') {
        send = httpsRequest;
        options = {
          host: socketHost(target.hostname),
          port: target.port === '' ? 443 : Number(target.port),
          path: `${target.pathname}${target.search}`,
          agent: proxy === null ? httpsAgent() : tunnelFor(proxy),
        };
      } else if (proxy !== null) {
        send = httpRequest;
        const proxyAuthorization = userInfoAuthorization(proxy);
        if (proxyAuthorization !== null) requestHeaders['Proxy-Authorization'] = proxyAuthorization;
        requestHeaders['Host'] = target.host;
        options = { host: socketHost(proxy.hostname), port: proxy.port === '' ? 80 : Number(proxy.port), path: target.href, agent: httpAgent };
      } else {
        send = httpRequest;
        options = {
          host: socketHost(target.hostname),
          port: target.port === '' ? 80 : Number(target.port),
          path: `${target.pathname}${target.search}`,
          agent: httpAgent,
        };
      }
      // `timeout` also times the TCP connect (request.setTimeout alone starts once connected).
      const request = send({ ...options, method: 'GET', headers: requestHeaders, timeout: settings.timeoutMs });
      let received: IncomingMessage | null = null;
      request.setTimeout(settings.timeoutMs, () => {
        const error = timeoutError(url, settings.timeoutMs, received !== null ? 'body' : request.socket?.connecting === true ? 'connect' : 'answer');
        // A body that stalls must fail its reader with the timeout: destroying only the request
        // would hand the reader Node's ECONNRESET ('aborted') for the closed socket instead.
        received?.destroy(error);
        request.destroy(error);
      });
      // Through a plain-http proxy the socket is the proxy's: its failures are the proxy's, not the index's.
      const viaProxy = proxy !== null && url.protocol === 'http:' ? proxy : null;
      request.once('response', (response) => {
        if (viaProxy !== null && response.statusCode === 407) {
          response.resume();
          reject(new PavedError('PAVED_E_PROXY', `the proxy ${redactUrl(viaProxy)} refused to fetch ${redactUrl(url)} (407)`, { hint: 'The proxy wants credentials: put them in HTTP_PROXY (http://user:pass@proxy:port).' }));
          return;
        }
        // The socket timeout keeps guarding the body (see setTimeout above); a body cut short
        // errors the stream, and its reader, who counts the bytes, says so.
        received = response;
        resolve({ status: response.statusCode ?? 0, headers: response.headers, url, credentialsSent, body: response });
      });
      request.once('error', (error) => {
        const code = (error as { code?: unknown }).code;
        if (viaProxy !== null && (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH')) {
          reject(new PavedError('PAVED_E_PROXY', `could not reach the proxy ${redactUrl(viaProxy)}: ${code}`, { hint: 'Check HTTP_PROXY and NO_PROXY.' }));
        } else reject(error);
      });
      request.end();
    });
  }

  function discard(response: TransportResponse): void {
    response.body.resume();
    response.body.once('error', () => undefined);
  }

  async function get(start: URL, headers: Record<string, string> = {}): Promise<TransportResponse> {
    let url = start;
    // An index that redirects its own http URLs to https on the same host keeps its credentials
    // (as pip does); a redirect to any other host or port, or down to http, never carries them.
    let carried: string | null = null;
    for (let hop = 0; ; hop++) {
      const response = await withRetries(url, headers, carried);
      if (!REDIRECTS.has(response.status)) return response;
      const location = response.headers.location;
      discard(response);
      if (location === undefined || hop >= MAX_REDIRECTS) {
        throw new PavedError('PAVED_E_SERVER', `${redactUrl(url)} redirects ${location === undefined ? 'without a Location' : 'too many times'}`, {
          hint: 'The index is misconfigured; give its final URL directly.',
          details: { url: redactUrl(url) },
        });
      }
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new PavedError('PAVED_E_SERVER', `${redactUrl(url)} redirects to a ${next.protocol} URL`, { hint: 'An index may only redirect to http(s).' });
      }
      // Default ports only (a URL's port is '' there): another port may be another service.
      const upgrade = url.protocol === 'http:' && next.protocol === 'https:' && url.hostname === next.hostname && url.port === '' && next.port === '';
      carried = upgrade ? (settings.authorizationFor(url) ?? carried) : next.origin === url.origin ? carried : null;
      url = next;
    }
  }

  async function withRetries(url: URL, headers: Record<string, string>, carried: string | null): Promise<TransportResponse> {
    // A timeout costs the whole timeout each time: one more try (as pip does), not `retries`.
    let timeoutRetries = Math.min(1, settings.retries);
    for (let attempt = 0; ; attempt++) {
      let response: TransportResponse;
      try {
        response = await once(url, headers, carried);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (attempt < settings.retries && typeof code === 'string' && RETRYABLE_NETWORK.has(code)) {
          await sleep(backoff(attempt, null));
          continue;
        }
        if (timeoutRetries > 0 && isTimeout(error)) {
          timeoutRetries--;
          continue;
        }
        throw networkError(url, error);
      }
      if ((response.status === 429 || response.status >= 500) && attempt < settings.retries) {
        const wait = backoff(attempt, retryAfterMs(response.headers['retry-after']));
        discard(response);
        await sleep(wait);
        continue;
      }
      return response;
    }
  }

  function backoff(attempt: number, retryAfter: number | null): number {
    const base = settings.retryDelayMs * 2 ** attempt;
    const jittered = base / 2 + Math.random() * (base / 2);
    return Math.min(settings.maxRetryDelayMs, Math.max(retryAfter ?? 0, jittered));
  }

  async function readBody(response: TransportResponse, maxBytes: number): Promise<Buffer> {
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      response.body.destroy();
      throw tooLarge(response.url, maxBytes);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > maxBytes) {
          response.body.destroy();
          throw tooLarge(response.url, maxBytes);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      if (isPavedError(error)) throw error;
      // The headers came, so the server was reached: the connection broke mid-body.
      throw bodyCutShort(response.url, total, declaredLength(response));
    }
    return Buffer.concat(chunks, total);
  }

  function close(): void {
    httpAgent.destroy();
    httpsAgentMade?.destroy();
    for (const agent of tunnels.values()) agent.destroy();
  }

  function bodyRetries(): BodyRetries {
    let cutShort = 0;
    let timeoutRetries = Math.min(1, settings.retries);
    return {
      async retry(error) {
        if (isPavedError(error, 'PAVED_E_NETWORK') && cutShort < settings.retries) {
          await sleep(backoff(cutShort++, null));
          return true;
        }
        if (isPavedError(error, 'PAVED_E_TIMEOUT') && timeoutRetries > 0) {
          timeoutRetries--;
          return true;
        }
        return false;
      },
    };
  }

  return { get, readBody, discard, close, bodyRetries };
}

/** A PavedError for a body over its limit. */
export function tooLarge(url: URL, maxBytes: number): PavedError {
  return new PavedError('PAVED_E_TOO_LARGE', `${redactUrl(url)} is larger than the limit of ${maxBytes} bytes`, {
    hint: 'The index sent far more than expected for this resource.',
    details: { url: redactUrl(url), maxBytes },
  });
}
