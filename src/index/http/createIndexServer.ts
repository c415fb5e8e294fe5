import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import { randomBytes } from 'node:crypto';
import { PavedError, isPavedError } from '../../errors.js';
import { createAuthenticator, mayRead, type Principal } from '../auth/authenticate.js';
import type { Storage } from '../dataDir.js';
import { DEFAULT_INDEX } from '../dataDir.js';
import { createMirrorFetcher } from '../mirror/fetchMirrorFile.js';
import { createMirrorPages } from '../mirror/mirrorPages.js';
import type { UpstreamOptions } from '../mirror/upstreamClient.js';
import { PageCache } from '../pageCache.js';
import { createVetting } from '../vetting.js';
import { silentEvents, type ServerEvents } from '../serverEvents.js';
import { httpStatusFor } from './errorStatus.js';
import { registerAdminRoutes } from './routes/adminRoutes.js';
import { registerFileRoutes } from './routes/fileRoutes.js';
import { registerSimpleRoutes } from './routes/simpleRoutes.js';
import { registerUploadRoutes } from './routes/uploadRoutes.js';
import { createChainCache, DEFAULT_LIMITS, type ServerContext, type ServerLimits } from './serverContext.js';

export interface IndexServerOptions {
  storage: Storage;
  /** The index behind `/simple/`. */
  defaultIndex?: string;
  events?: ServerEvents;
  /** Produce access-log events (default true); off saves the per-request work entirely. */
  logAccess?: boolean;
  limits?: Partial<ServerLimits>;
  /** Timeouts and retries for mirror upstreams. */
  upstream?: UpstreamOptions;
  /** The clock (tests move it to check release-age holds). */
  now?: () => Date;
  /** Popular project names for the typosquatting rule (default: the list paved ships). */
  popular?: readonly string[];
  /** Bytes of rendered pages kept in memory. */
  pageCacheBytes?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    pavedStart: bigint;
    pavedError: string | null;
    pavedPrincipal: Principal | null | undefined;
  }
}

/**
 * Builds the index server (not yet listening): read API, files, upload,
 * admin API, health. Errors of every route are mapped to statuses in one
 * place, and every request produces one access-log event.
 */
export async function createIndexServer(options: IndexServerOptions): Promise<FastifyInstance> {
  const storage = options.storage;
  const events = options.events ?? silentEvents;
  const authenticate = createAuthenticator(storage.catalog);
  const now = options.now ?? (() => new Date());
  const mirrors = createMirrorPages(storage, { ...options.upstream, clock: () => now().getTime() });
  const vetting = createVetting(storage, storage.advisories, options.popular === undefined ? {} : { popular: options.popular });
  const ctx: ServerContext = {
    storage,
    defaultIndex: options.defaultIndex ?? DEFAULT_INDEX,
    principalOf: async (req) => {
      if (req.pavedPrincipal !== undefined) return req.pavedPrincipal;
      const principal = await authenticate(req.headers.authorization);
      req.pavedPrincipal = principal;
      return principal;
    },
    pages: new PageCache(options.pageCacheBytes ?? 64 * 1024 * 1024),
    events,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    chainFor: createChainCache(storage),
    mirrors,
    vetting,
    fetcher: createMirrorFetcher(storage, mirrors, vetting, { maxBytes: options.limits?.maxUploadBytes ?? DEFAULT_LIMITS.maxUploadBytes, now }),
    now,
  };
  const idPrefix = randomBytes(3).toString('hex');
  let nextId = 0;

  const app = Fastify({
    logger: false,
    routerOptions: { maxParamLength: 1000, caseSensitive: true },
    bodyLimit: 1024 * 1024,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // pip re-quotes every path segment, so `+f/` arrives as `%2Bf/`. In a path `+` is
    // literal, so decoding it before routing changes no meaning.
    rewriteUrl: (req) => decodePlusInPath(req.url ?? '/'),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      if (typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given)) return given;
      nextId += 1;
      return `${idPrefix}-${nextId.toString(36)}`;
    },
  });

  app.addHook('onRequest', (req, reply, done) => {
    req.pavedStart = process.hrtime.bigint();
    req.pavedError = null;
    req.pavedPrincipal = undefined;
    reply.header('x-request-id', req.id);
    done();
  });
  if (options.logAccess !== false) app.addHook('onResponse', (req, reply, done) => {
    const durationMs = Number(process.hrtime.bigint() - req.pavedStart) / 1e6;
    const length = reply.getHeader('content-length');
    events.access({
      time: new Date().toISOString(),
      requestId: req.id,
      method: req.method,
      path: (req.url.split('?')[0] ?? '').slice(0, 2000),
      status: reply.statusCode,
      durationMs: Math.round(durationMs * 1000) / 1000,
      bytesOut: typeof length === 'number' ? length : typeof length === 'string' ? Number(length) : null,
      remote: req.ip,
      user: req.pavedPrincipal?.user ?? null,
      tokenId: req.pavedPrincipal?.tokenId ?? null,
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 300) : null,
      error: req.pavedError,
    });
    done();
  });

  app.setErrorHandler((error: FastifyError | PavedError | Error, req, reply) => {
    let status: number;
    let code: string;
    let message: string;
    let hint: string | undefined;
    if (isPavedError(error)) {
      status = httpStatusFor(error.code);
      code = error.code;
      message = error.message;
      hint = error.hint;
    } else if ('statusCode' in error && typeof error.statusCode === 'number' && error.statusCode < 500) {
      status = error.statusCode;
      code = 'PAVED_E_BAD_REQUEST';
      message = error.message;
    } else {
      status = 500;
      code = 'PAVED_E_INTERNAL';
      message = `internal error (request ${req.id})`;
    }
    if (status >= 500) events.fault({ requestId: req.id, code, message: error.message, stack: error.stack });
    req.pavedError = code;
    if (status === 401) reply.header('www-authenticate', 'Basic realm="paved"');
    // twine shows the reason phrase; make it the message (one line, latin-1 safe).
    reply.raw.statusMessage = message.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
    const wantsJson = req.url.startsWith('/+api/') || (req.headers.accept ?? '').includes('json');
    if (wantsJson) return reply.code(status).send({ error: { code, message, ...(hint === undefined ? {} : { hint }) } });
    return reply.code(status).type('text/plain; charset=utf-8').send(`${message}${hint === undefined ? '' : `\nhint: ${hint}`}\n`);
  });
  app.setNotFoundHandler((req, reply) => {
    req.pavedError = 'PAVED_E_NOT_FOUND';
    return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
  });

  app.get('/+health', async (_req, reply) => {
    const serial = await storage.catalog.serial();
    return reply.header('cache-control', 'no-store').send({ status: 'ok', serial });
  });
  app.get('/', async (req, reply) => {
    const principal = await ctx.principalOf(req);
    const indexes = (await storage.catalog.listIndexes()).filter((index) => mayRead(principal, index));
    const rows = indexes.map((i) => `<li><a href="${i.path}/simple/">${i.path}</a>${i.bases.length ? ` (bases: ${i.bases.join(', ')})` : ''}</li>`).join('\n');
    return reply.type('text/html; charset=utf-8').send(`<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>paved</title></head><body><h1>paved</h1><p>pip: <code>pip install --index-url &lt;this server&gt;/simple/ NAME</code></p><ul>\n${rows}\n</ul></body></html>\n`);
  });

  registerSimpleRoutes(app, ctx);
  registerFileRoutes(app, ctx);
  registerUploadRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  return app;
}

function decodePlusInPath(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (!/%2b/i.test(path)) return url;
  return path.replace(/%2b/gi, '+') + (q === -1 ? '' : url.slice(q));
}
