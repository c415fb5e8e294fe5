import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PavedError } from '../../../errors.js';
import { isValidName, normalizeName } from '../../../standards/names.js';
import { contentTypeOf, negotiateSimpleFormat, type SimpleFormat } from '../../../standards/simpleApi.js';
import { renderProjectListHtml, renderProjectPageHtml } from '../../../standards/simpleApiHtml.js';
import { renderProjectListJson, renderProjectPageJson } from '../../../standards/simpleApiJson.js';
import { authorize } from '../../auth/authenticate.js';
import { listChainProjects } from '../../indexChain.js';
import { buildProjectView, viewToPage } from '../../projectView.js';
import type { CachedPage } from '../../pageCache.js';
import { buildProjectList } from '../../simplePages.js';
import type { ServerContext } from '../serverContext.js';

interface IndexParams { owner: string; name: string }
interface ProjectParams extends IndexParams { project: string }

/**
 * The read API (PEP 503 HTML, PEP 691 JSON) for every index, and `/simple/`
 * as an alias of the default index. Rendered pages are cached per catalog
 * serial and negotiated format; conditional requests answer 304.
 */
export function registerSimpleRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const indexPath = (p: IndexParams) => `${p.owner.toLowerCase()}/${p.name.toLowerCase()}`;

  app.get<{ Params: IndexParams }>('/:owner/:name/simple', (req, reply) => redirect(reply, req, `${req.url.split('?')[0]}/`));
  app.get<{ Params: ProjectParams }>('/:owner/:name/simple/:project', (req, reply) => redirect(reply, req, `${req.url.split('?')[0]}/`));
  app.get('/simple', (req, reply) => redirect(reply, req, '/simple/'));
  app.get<{ Params: { project: string } }>('/simple/:project', (req, reply) => redirect(reply, req, `${req.url.split('?')[0]}/`));

  app.get<{ Params: IndexParams }>('/:owner/:name/simple/', (req, reply) => serveList(ctx, req, reply, indexPath(req.params), false));
  app.get('/simple/', (req, reply) => serveList(ctx, req, reply, ctx.defaultIndex, true));

  app.get<{ Params: ProjectParams }>('/:owner/:name/simple/:project/', (req, reply) => {
    const { project } = req.params;
    const normal = normalizeName(project);
    if (normal !== project && isValidName(project)) return redirect(reply, req, `../${encodeURIComponent(normal)}/`);
    return serveProject(ctx, req, reply, indexPath(req.params), project, '../../', false);
  });
  app.get<{ Params: { project: string } }>('/simple/:project/', (req, reply) => {
    const { project } = req.params;
    const normal = normalizeName(project);
    if (normal !== project && isValidName(project)) return redirect(reply, req, `../${encodeURIComponent(normal)}/`);
    return serveProject(ctx, req, reply, ctx.defaultIndex, project, `../../${ctx.defaultIndex}/`, true);
  });
}

function redirect(reply: FastifyReply, _req: FastifyRequest, location: string) {
  return reply.code(301).header('location', location).header('cache-control', 'max-age=3600').send();
}

function chooseFormat(req: FastifyRequest): SimpleFormat {
  const accept = req.headers.accept;
  const format = negotiateSimpleFormat(accept);
  if (format === null) {
    throw new PavedError('PAVED_E_NOT_ACCEPTABLE', 'none of the media types in the Accept header is served here', {
      hint: 'accept application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html or text/html',
    });
  }
  return format;
}

async function serveList(ctx: ServerContext, req: FastifyRequest, reply: FastifyReply, path: string, alias: boolean) {
  const format = chooseFormat(req);
  const serial = await ctx.storage.catalog.serial();
  const chain = await ctx.chainFor(path, serial);
  authorize(await ctx.principalOf(req), 'read', chain[0]!);
  const key = `L|${alias ? '*' : path}|${format}`;
  let page = ctx.pages.get(key, serial);
  if (page === undefined) {
    const projects = await listChainProjects(ctx.storage.catalog, chain);
    // A mirror lists the projects it has fetched so far: the upstream's whole list is not ours to copy.
    for (const index of chain) {
      if (index.kind !== 'mirror') continue;
      for (const p of await ctx.storage.catalog.listMirrorPages(index.id)) if (p.status === 'ok' && !projects.has(p.project)) projects.set(p.project, p.project);
    }
    const list = buildProjectList(projects);
    const body = format === 'json' ? renderProjectListJson(list) : renderProjectListHtml(list, (name) => `${encodeURIComponent(normalizeName(name))}/`);
    page = makePage(serial, body, format);
    ctx.pages.set(key, page);
  }
  return sendPage(req, reply, page);
}

async function serveProject(ctx: ServerContext, req: FastifyRequest, reply: FastifyReply, path: string, rawProject: string, fileBase: string, alias: boolean) {
  const format = chooseFormat(req);
  const serial = await ctx.storage.catalog.serial();
  const chain = await ctx.chainFor(path, serial);
  authorize(await ctx.principalOf(req), 'read', chain[0]!);
  if (!isValidName(rawProject)) throw new PavedError('PAVED_E_PROJECT_NOT_FOUND', `'${rawProject.slice(0, 100)}' is not a valid project name`);
  const project = normalizeName(rawProject);
  const key = `P|${alias ? '*' : path}|${project}|${format}|${ctx.vetting.inputsVersion()}`;
  const now = ctx.now();
  let page = ctx.pages.get(key, serial, now.getTime());
  if (page === undefined) {
    const view = await buildProjectView(ctx.storage.catalog, ctx.mirrors, chain, project);
    if (view === null) throw new PavedError('PAVED_E_PROJECT_NOT_FOUND', `no project named '${project}' in '${path}'`);
    const judged = await ctx.vetting.judgeView(view, now);
    const visible = judged.filter((j) => j.verdict.action === 'allow').map((j) => j.file);
    const model = viewToPage(view, visible, fileBase, ctx.vetting.projectStatus(judged));
    const body = format === 'json' ? renderProjectPageJson(model) : renderProjectPageHtml(model);
    // Re-render when a time-bound hold ends, when a mirror's page is due for revalidation, and soon when the upstream copy is stale.
    const holdsEnd = judged.map((j) => (j.verdict.action === 'quarantine' && j.verdict.until !== null ? Date.parse(j.verdict.until) : Infinity));
    let expiresAt = Math.min(...holdsEnd, view.freshUntil ?? Infinity);
    const headers: Record<string, string> = {};
    if (view.stale !== null) {
      expiresAt = Math.min(expiresAt, now.getTime() + 5000);
      headers['x-paved-upstream-stale'] = `serving a cached copy: ${view.stale}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
    }
    page = { ...makePage(serial, body, format), ...(Number.isFinite(expiresAt) ? { expiresAt } : {}), headers };
    ctx.pages.set(key, page);
  }
  return sendPage(req, reply, page);
}

function makePage(serial: number, text: string, format: SimpleFormat): CachedPage {
  const body = Buffer.from(text, 'utf8');
  const etag = `"${createHash('sha1').update(body).digest('base64url')}-${format}"`;
  const contentType = format === 'legacy-html' ? 'text/html; charset=utf-8' : contentTypeOf(format);
  return { serial, body, etag, contentType };
}

function sendPage(req: FastifyRequest, reply: FastifyReply, page: CachedPage) {
  if (page.headers !== undefined) for (const [name, value] of Object.entries(page.headers)) reply.header(name, value);
  reply.header('vary', 'Accept, Authorization').header('etag', page.etag).header('cache-control', 'max-age=0, must-revalidate');
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && inm.length < 2000 && inm.split(',').some((t) => t.trim() === page.etag || t.trim() === `W/${page.etag}`)) {
    return reply.code(304).send();
  }
  return reply.header('content-type', page.contentType).send(page.body);
}
