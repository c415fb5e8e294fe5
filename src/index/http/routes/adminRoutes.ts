import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PavedError } from '../../../errors.js';
import * as admin from '../../admin/adminOperations.js';
import * as policyOps from '../../admin/policyOperations.js';
import { normalizeName } from '../../../standards/names.js';
import { authorize, mayRead, type Principal } from '../../auth/authenticate.js';
import type { ServerContext } from '../serverContext.js';

/**
 * The admin HTTP API under `/+api/`: the same operations as the CLI's
 * `--data DIR` mode (see adminOperations), for `paved … --server URL`.
 * Global operations need `admin:*`; index operations need admin on that index.
 */
export function registerAdminRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const catalog = ctx.storage.catalog;
  const services: policyOps.PolicyServices = { storage: ctx.storage, mirrors: ctx.mirrors, vetting: ctx.vetting, now: ctx.now };
  const principalOf = (req: FastifyRequest): Promise<Principal | null> => ctx.principalOf(req);
  const requireAdmin = async (req: FastifyRequest, index = '*') => {
    const principal = await principalOf(req);
    authorize(principal, 'admin', index);
    return principal!;
  };
  const body = (req: FastifyRequest): Record<string, unknown> => {
    if (req.body === undefined || req.body === null) return {};
    if (typeof req.body !== 'object' || Array.isArray(req.body)) throw new PavedError('PAVED_E_INVALID_ARGUMENT', 'the request body must be a JSON object');
    return req.body as Record<string, unknown>;
  };

  app.get('/+api/whoami', async (req) => {
    const principal = await principalOf(req);
    if (principal === null) return { user: null };
    return { user: principal.user, tokenId: principal.tokenId, isAdmin: principal.isAdmin, scopes: principal.scopes.map((s) => `${s.action}:${s.index}`) };
  });

  app.get('/+api/indexes', async (req) => {
    const principal = await principalOf(req);
    const all = await catalog.listIndexes();
    // An index's name is itself information: list only what the caller may read.
    return { indexes: all.filter((index) => mayRead(principal, index)).map(admin.indexInfo) };
  });
  app.post('/+api/indexes', async (req, reply) => {
    await requireAdmin(req);
    const b = body(req);
    const ttl = b['mirrorTtlSeconds'];
    if (ttl !== undefined && typeof ttl !== 'number') throw new PavedError('PAVED_E_INVALID_ARGUMENT', "'mirrorTtlSeconds' must be a number");
    const info = await admin.createIndex(catalog, {
      path: str(b, 'path', true)!,
      bases: strList(b, 'bases'),
      readOnly: bool(b, 'readOnly'),
      anonymousRead: bool(b, 'anonymousRead'),
      mirror: str(b, 'mirror'),
      reservedPrefixes: strList(b, 'reservedPrefixes'),
      mergeNames: strList(b, 'mergeNames'),
      mirrorTtlSeconds: ttl as number | undefined,
    });
    return reply.code(201).send(info);
  });
  app.patch<{ Params: { owner: string; name: string } }>('/+api/indexes/:owner/:name', async (req) => {
    const path = `${req.params.owner}/${req.params.name}`.toLowerCase();
    await requireAdmin(req, path);
    const b = body(req);
    const ttl = b['mirrorTtlSeconds'];
    if (ttl !== undefined && typeof ttl !== 'number') throw new PavedError('PAVED_E_INVALID_ARGUMENT', "'mirrorTtlSeconds' must be a number");
    return admin.updateIndex(catalog, path, {
      bases: strList(b, 'bases'),
      readOnly: bool(b, 'readOnly'),
      anonymousRead: bool(b, 'anonymousRead'),
      reservedPrefixes: strList(b, 'reservedPrefixes'),
      mergeNames: strList(b, 'mergeNames'),
      mirror: str(b, 'mirror'),
      mirrorTtlSeconds: ttl as number | undefined,
    });
  });
  app.delete<{ Params: { owner: string; name: string } }>('/+api/indexes/:owner/:name', async (req, reply) => {
    await requireAdmin(req);
    await admin.deleteIndex(catalog, `${req.params.owner}/${req.params.name}`);
    return reply.code(204).send();
  });
  app.post<{ Params: { owner: string; name: string } }>('/+api/indexes/:owner/:name/yank', async (req) => {
    const path = `${req.params.owner}/${req.params.name}`.toLowerCase();
    await requireAdmin(req, path);
    const b = body(req);
    const yanked = bool(b, 'yanked') ?? true;
    const version = str(b, 'version');
    const filename = str(b, 'filename');
    const changed = await admin.setYanked(catalog, {
      index: path,
      project: str(b, 'project', true)!,
      ...(version === undefined ? {} : { version }),
      ...(filename === undefined ? {} : { filename }),
      yanked,
      reason: str(b, 'reason') ?? null,
    });
    return { files: changed.map((f) => ({ filename: f.filename, version: f.version, yanked: f.yanked, yankedReason: f.yankedReason })) };
  });

  // ---- policy, queue, approvals, audit log, advisories ----

  app.get<{ Params: { owner: string; name: string }; Querystring: { version?: string } }>('/+api/indexes/:owner/:name/policy', async (req) => {
    const path = `${req.params.owner}/${req.params.name}`.toLowerCase();
    await requireAdmin(req, path);
    const version = req.query.version === undefined ? undefined : Number(req.query.version);
    if (version !== undefined && !Number.isInteger(version)) throw new PavedError('PAVED_E_INVALID_ARGUMENT', 'version must be a whole number');
    return policyOps.showPolicy(catalog, path, version);
  });
  app.put<{ Params: { owner: string; name: string } }>('/+api/indexes/:owner/:name/policy', async (req) => {
    const path = `${req.params.owner}/${req.params.name}`.toLowerCase();
    const principal = await requireAdmin(req, path);
    const b = body(req);
    const format = str(b, 'format');
    if (format !== undefined && format !== 'toml' && format !== 'yaml') throw new PavedError('PAVED_E_INVALID_ARGUMENT', "format must be 'toml' or 'yaml'");
    return policyOps.setPolicy(catalog, path, { text: str(b, 'text', true)!, ...(format === undefined ? {} : { format }), author: principal.user });
  });
  app.get<{ Params: { owner: string; name: string; project: string }; Querystring: { version?: string } }>('/+api/indexes/:owner/:name/explain/:project', async (req) => {
    const path = `${req.params.owner}/${req.params.name}`.toLowerCase();
    await requireAdmin(req, path);
    return { files: await policyOps.explain(services, path, req.params.project, typeof req.query.version === 'string' ? req.query.version : undefined) };
  });
  app.get<{ Querystring: { index?: string } }>('/+api/queue', async (req) => {
    const index = typeof req.query.index === 'string' ? req.query.index.toLowerCase() : undefined;
    await requireAdmin(req, index ?? '*');
    return { files: await policyOps.queue(services, index) };
  });
  app.post<{ Params: { owner: string; name: string } }>('/+api/indexes/:owner/:name/decisions', async (req, reply) => {
    const path = `${req.params.owner}/${req.params.name}`.toLowerCase();
    const principal = await requireAdmin(req, path);
    const b = body(req);
    const action = str(b, 'action', true);
    if (action !== 'allow' && action !== 'block') throw new PavedError('PAVED_E_INVALID_ARGUMENT', "action must be 'allow' or 'block'");
    const version = str(b, 'version');
    const filename = str(b, 'filename');
    const decided = await policyOps.decide(services, {
      index: path,
      project: str(b, 'project', true)!,
      ...(version === undefined ? {} : { version }),
      ...(filename === undefined ? {} : { filename }),
      action,
      reason: str(b, 'reason', true)!,
      by: principal.user,
    });
    return reply.code(201).send(decided);
  });
  app.get<{ Querystring: Record<string, string | undefined> }>('/+api/audit-log', async (req) => {
    const q = req.query;
    await requireAdmin(req, typeof q['index'] === 'string' ? q['index'].toLowerCase() : '*');
    const limit = q['limit'] === undefined ? undefined : Number(q['limit']);
    return {
      entries: await policyOps.auditLog(catalog, {
        ...(q['index'] === undefined ? {} : { index: q['index'].toLowerCase() }),
        ...(q['project'] === undefined ? {} : { project: q['project'] }),
        ...(q['actor'] === undefined ? {} : { actor: q['actor'] }),
        ...(q['action'] === undefined ? {} : { action: q['action'] }),
        ...(q['since'] === undefined ? {} : { since: q['since'] }),
        ...(limit === undefined || !Number.isFinite(limit) ? {} : { limit }),
      }),
    };
  });
  // Advisory data is public knowledge: any client that can reach the server may read it.
  app.get<{ Params: { project: string } }>('/+api/advisories/:project', async (req) => {
    return { advisories: ctx.storage.advisories.forProjectJson(normalizeName(req.params.project)) };
  });

  app.get('/+api/users', async (req) => {
    await requireAdmin(req);
    return { users: await admin.listUsers(catalog) };
  });
  app.post('/+api/users', async (req, reply) => {
    await requireAdmin(req);
    const b = body(req);
    const info = await admin.createUser(catalog, { name: str(b, 'name', true)!, password: str(b, 'password') ?? null, isAdmin: bool(b, 'isAdmin') ?? false });
    return reply.code(201).send(info);
  });
  app.patch<{ Params: { user: string } }>('/+api/users/:user', async (req) => {
    await requireAdmin(req);
    const b = body(req);
    const patch: { password?: string | null; isAdmin?: boolean } = {};
    if ('password' in b) patch.password = str(b, 'password') ?? null;
    const isAdmin = bool(b, 'isAdmin');
    if (isAdmin !== undefined) patch.isAdmin = isAdmin;
    return admin.updateUser(catalog, req.params.user, patch);
  });
  app.delete<{ Params: { user: string } }>('/+api/users/:user', async (req, reply) => {
    await requireAdmin(req);
    await admin.deleteUser(catalog, req.params.user);
    return reply.code(204).send();
  });

  app.get<{ Querystring: { user?: string } }>('/+api/tokens', async (req) => {
    await requireAdmin(req);
    return { tokens: await admin.listTokens(catalog, typeof req.query.user === 'string' ? req.query.user : undefined) };
  });
  app.post('/+api/tokens', async (req, reply) => {
    await requireAdmin(req);
    const b = body(req);
    const expires = b['expiresInDays'];
    if (expires !== undefined && expires !== null && (typeof expires !== 'number' || !(expires > 0))) throw new PavedError('PAVED_E_INVALID_ARGUMENT', 'expiresInDays must be a positive number');
    const created = await admin.createToken(catalog, {
      user: str(b, 'user', true)!,
      scopes: strList(b, 'scopes') ?? [],
      description: str(b, 'description') ?? '',
      expiresInDays: (expires as number | null | undefined) ?? null,
      createUser: bool(b, 'createUser') ?? true,
    });
    return reply.code(201).send({ token: created.token, ...created.info });
  });
  app.delete<{ Params: { id: string } }>('/+api/tokens/:id', async (req) => {
    await requireAdmin(req);
    return admin.revokeToken(catalog, req.params.id);
  });
}

function str(b: Record<string, unknown>, key: string, required = false): string | undefined {
  const v = b[key];
  if (v === undefined || v === null) {
    if (required) throw new PavedError('PAVED_E_INVALID_ARGUMENT', `'${key}' is required`);
    return undefined;
  }
  if (typeof v !== 'string' || v.length > 10_000) throw new PavedError('PAVED_E_INVALID_ARGUMENT', `'${key}' must be a string`);
  return v;
}

function strList(b: Record<string, unknown>, key: string): string[] | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > 100 || !v.every((x) => typeof x === 'string' && x.length < 1000)) throw new PavedError('PAVED_E_INVALID_ARGUMENT', `'${key}' must be a list of strings`);
  return v as string[];
}

function bool(b: Record<string, unknown>, key: string): boolean | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new PavedError('PAVED_E_INVALID_ARGUMENT', `'${key}' must be true or false`);
  return v;
}
