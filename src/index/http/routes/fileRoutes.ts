import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PavedError } from '../../../errors.js';
import { authorize } from '../../auth/authenticate.js';
import { buildProjectView } from '../../projectView.js';
import type { Verdict } from '../../vetting.js';
import { parseDistributionFilename } from '../../../standards/distributionFilename.js';
import { parseByteRange } from '../byteRange.js';
import type { ServerContext } from '../serverContext.js';

interface FileParams { owner: string; name: string; sha256: string; filename: string }

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Distribution files and their PEP 658 metadata files, at
 * `/{owner}/{name}/+f/{sha256}/{filename}[.metadata]`. The index in the URL
 * decides access; the file may live in any index of its chain. Content is
 * addressed by hash, so responses are immutable and cacheable forever.
 */
export function registerFileRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Params: FileParams }>('/:owner/:name/+f/:sha256/:filename', (req, reply) => serveFile(ctx, req, reply));
}

async function serveFile(ctx: ServerContext, req: FastifyRequest<{ Params: FileParams }>, reply: FastifyReply) {
  const { owner, name, sha256 } = req.params;
  let filename = req.params.filename;
  const path = `${owner.toLowerCase()}/${name.toLowerCase()}`;
  const serial = await ctx.storage.catalog.serial();
  const chain = await ctx.chainFor(path, serial);
  authorize(await ctx.principalOf(req), 'read', chain[0]!);
  if (!SHA256.test(sha256)) throw notFound(filename);
  const wantsMetadata = filename.endsWith('.metadata');
  if (wantsMetadata) filename = filename.slice(0, -'.metadata'.length);

  let parsed;
  try {
    parsed = parseDistributionFilename(filename);
  } catch {
    throw notFound(req.params.filename);
  }
  const view = await buildProjectView(ctx.storage.catalog, ctx.mirrors, chain, parsed.normalizedName);
  const file = view?.files.find((f) => f.filename === filename && f.sha256 === sha256);
  if (file === undefined) throw notFound(req.params.filename);
  const verdict = await ctx.vetting.judge(file, ctx.now());
  if (verdict.action !== 'allow') throw held(filename, verdict);

  let stored = file.stored;
  if (stored === null) {
    if (wantsMetadata && file.upstreamMetadata !== false && file.upstreamUrl !== null) {
      // The upstream has the PEP 658 file: pass it on (hash-checked) without fetching the wheel.
      const expected = typeof file.upstreamMetadata === 'object' ? (file.upstreamMetadata['sha256'] ?? null) : null;
      const bytes = await ctx.mirrors.upstream(file.index).fetchMetadata(file.upstreamUrl, expected);
      if (bytes !== null) {
        return reply.header('content-type', 'text/plain; charset=utf-8').header('content-length', bytes.length).send(bytes);
      }
    }
    const fetched = await ctx.fetcher.fetch(file);
    if (fetched.status === 'held') throw held(filename, fetched.verdict);
    stored = fetched.file;
  }

  let blob = stored.sha256;
  let contentType = contentTypeFor(filename);
  if (wantsMetadata) {
    if (stored.metadataSha256 === null) throw notFound(req.params.filename);
    blob = stored.metadataSha256;
    contentType = 'text/plain; charset=utf-8';
  }
  const size = wantsMetadata ? await ctx.storage.blobs.stat(blob) : stored.size;
  if (size === null) throw new PavedError('PAVED_E_BLOB_MISSING', `the bytes of ${req.params.filename} are missing from the store`);

  reply
    .header('content-type', contentType)
    .header('accept-ranges', 'bytes')
    .header('etag', `"${blob}"`)
    .header('cache-control', 'public, max-age=31536000, immutable');
  if (!wantsMetadata) reply.header('content-disposition', `attachment; filename="${filename.replace(/["\\\r\n]/g, '_')}"`);

  const inm = req.headers['if-none-match'];
  if (inm !== undefined && inm.includes(blob)) return reply.code(304).send();

  const ifRange = req.headers['if-range'];
  const rangeAllowed = ifRange === undefined || ifRange === `"${blob}"`;
  const range = rangeAllowed ? parseByteRange(req.headers.range, size) : null;
  if (range === 'unsatisfiable') {
    return reply.code(416).header('content-range', `bytes */${size}`).send();
  }
  if (range !== null) {
    reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', range.end - range.start + 1);
    if (req.method === 'HEAD') return reply.send();
    return reply.send(ctx.storage.blobs.read(blob, range));
  }
  reply.header('content-length', size);
  if (req.method === 'HEAD') return reply.send();
  return reply.send(ctx.storage.blobs.read(blob));
}

/** 403 naming why a file is held, so pip's error tells the user what happened. */
function held(filename: string, verdict: Verdict): PavedError {
  const reasons = verdict.findings.filter((f) => f.action !== 'allow').map((f) => f.message);
  const state = verdict.action === 'block' ? 'blocked' : `quarantined${verdict.until === null ? '' : ` until ${verdict.until}`}`;
  return new PavedError(verdict.action === 'block' ? 'PAVED_E_BLOCKED' : 'PAVED_E_QUARANTINED', `${filename} is ${state} by the index policy: ${reasons.join('; ') || 'no reason recorded'}`, {
    hint: 'an admin can see the findings with `paved policy explain` and approve or block with a reason',
  });
}

function notFound(filename: string): PavedError {
  return new PavedError('PAVED_E_FILE_NOT_FOUND', `no file '${filename.slice(0, 200)}' here`);
}

function contentTypeFor(filename: string): string {
  if (filename.endsWith('.whl') || filename.endsWith('.zip')) return 'application/zip';
  if (filename.endsWith('.tar.gz') || filename.endsWith('.tgz')) return 'application/gzip';
  if (filename.endsWith('.tar.bz2')) return 'application/x-bzip2';
  if (filename.endsWith('.tar.xz')) return 'application/x-xz';
  return 'application/octet-stream';
}
