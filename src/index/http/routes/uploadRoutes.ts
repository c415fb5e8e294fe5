import busboy from 'busboy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { PavedError } from '../../../errors.js';
import { authorize } from '../../auth/authenticate.js';
import type { StagedBlob } from '../../blobStore/blobStore.js';
import { requireIndex } from '../../admin/adminOperations.js';
import { publishDistribution } from '../../publishDistribution.js';
import type { ServerContext } from '../serverContext.js';

interface IndexParams { owner: string; name: string }

interface ParsedUpload {
  fields: Map<string, string>;
  filename: string;
  staged: StagedBlob;
}

/**
 * The legacy upload API as twine speaks it: `POST` multipart/form-data to
 * the index URL (`/{owner}/{name}/`, also `/{owner}/{name}/legacy/`). The
 * file streams straight into the blob store's staging area; nothing is
 * visible until every check passed (see publishDistribution).
 */
export function registerUploadRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // Leave multipart bodies unread: the handler streams them.
  app.addContentTypeParser('multipart/form-data', (_req, _payload, done) => done(null));
  const handler = (req: FastifyRequest<{ Params: IndexParams }>, reply: FastifyReply) => upload(ctx, req, reply);
  app.post<{ Params: IndexParams }>('/:owner/:name/', handler);
  app.post<{ Params: IndexParams }>('/:owner/:name/legacy/', handler);
  app.post<{ Params: IndexParams }>('/:owner/:name', handler);
}

async function upload(ctx: ServerContext, req: FastifyRequest<{ Params: IndexParams }>, reply: FastifyReply) {
  const index = await requireIndex(ctx.storage.catalog, `${req.params.owner}/${req.params.name}`);
  const principal = await ctx.principalOf(req);
  authorize(principal, 'upload', index.path);
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw new PavedError('PAVED_E_INVALID_UPLOAD', 'an upload must be multipart/form-data, as twine sends it', { hint: 'use `twine upload --repository-url <index url>`' });
  }
  const parsed = await parseMultipart(ctx, req);
  const fields = parsed.fields;
  const action = fields.get(':action');
  if (action !== undefined && action !== 'file_upload') {
    await parsed.staged.discard();
    throw new PavedError('PAVED_E_INVALID_UPLOAD', `unsupported :action '${action.slice(0, 40)}'; only file_upload is served`);
  }
  const protocol = fields.get('protocol_version');
  if (protocol !== undefined && protocol !== '1') {
    await parsed.staged.discard();
    throw new PavedError('PAVED_E_INVALID_UPLOAD', `unsupported protocol_version '${protocol.slice(0, 20)}'`);
  }
  const result = await publishDistribution(ctx.storage, {
    index,
    filename: parsed.filename,
    staged: parsed.staged,
    uploader: principal?.user ?? null,
    claims: {
      name: fields.get('name'),
      version: fields.get('version'),
      filetype: fields.get('filetype'),
      sha256: fields.get('sha256_digest'),
      blake2_256: fields.get('blake2_256_digest'),
      md5: fields.get('md5_digest'),
    },
    limits: ctx.limits.archive,
    vetting: ctx.vetting,
    now: ctx.now(),
  });
  ctx.events.notice(result.status === 'added' ? 'file.published' : 'file.identical', { index: index.path, filename: result.file.filename, sha256: result.file.sha256, user: principal?.user ?? null });
  const note = result.held === null ? '' : ` (held for review: ${result.held.findings.filter((f) => f.action !== 'allow').map((f) => f.message).join('; ')})`;
  return reply
    .code(200)
    .type('text/plain; charset=utf-8')
    .send(result.status === 'added' ? `OK: ${result.file.filename}${note}\n` : `OK: identical file already exists: ${result.file.filename}\n`);
}

function parseMultipart(ctx: ServerContext, req: FastifyRequest): Promise<ParsedUpload> {
  return new Promise<ParsedUpload>((resolve, reject) => {
    const fields = new Map<string, string>();
    let staging: Promise<StagedBlob> | null = null;
    let fileStream: Readable | null = null;
    let filename: string | null = null;
    let failed: PavedError | null = null;
    let bodyDone = false;
    let settled = false;

    const finish = () => {
      if (settled) return;
      if (failed === null && !bodyDone) return;
      settled = true;
      const pending = staging;
      if (failed !== null) {
        const error = failed;
        req.raw.unpipe();
        req.raw.resume();
        // Stop the staging write; the blob store deletes its partial file.
        fileStream?.destroy(new Error('upload refused'));
        if (pending !== null) pending.then((s) => s.discard(), () => {}).finally(() => reject(error));
        else reject(error);
        return;
      }
      if (pending === null || filename === null) {
        reject(new PavedError('PAVED_E_INVALID_UPLOAD', "the upload has no 'content' file part", { hint: 'twine sends the distribution as the form field named content' }));
        return;
      }
      const name = filename;
      pending.then((staged) => resolve({ fields, filename: name, staged }), (error: unknown) => reject(asUploadError(error)));
    };
    const fail = (error: PavedError) => {
      if (failed === null) failed = error;
      finish();
    };

    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // Keep the filename as sent: a name with a path is refused, not silently trimmed.
        preservePath: true,
        limits: {
          fieldSize: ctx.limits.maxFieldBytes,
          fields: 500,
          files: 3,
          parts: 600,
          headerPairs: 50,
          // One byte over the limit so the blob store sees the overflow and refuses it.
          fileSize: ctx.limits.maxUploadBytes + 1,
        },
      });
    } catch (error) {
      reject(new PavedError('PAVED_E_INVALID_UPLOAD', `malformed multipart request: ${(error as Error).message}`));
      return;
    }

    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) {
        fail(new PavedError('PAVED_E_INVALID_UPLOAD', `form field '${name.slice(0, 40)}' is larger than ${ctx.limits.maxFieldBytes} bytes`));
        return;
      }
      if (info.nameTruncated) {
        fail(new PavedError('PAVED_E_INVALID_UPLOAD', 'a form field name is too long'));
        return;
      }
      if (!fields.has(name)) fields.set(name, value);
    });
    parser.on('file', (name, stream: Readable, info) => {
      if (name !== 'content' || staging !== null || failed !== null) {
        // Signatures and attestations are not kept (yet); drain them.
        stream.resume();
        return;
      }
      filename = info.filename ?? '';
      fileStream = stream;
      // busboy destroys the part with an error on a truncated body, possibly
      // before the blob store starts reading; the parser's own error event
      // reports it, so the part's copy needs a listener, not a second report.
      stream.on('error', () => {});
      staging = ctx.storage.blobs.stage(stream, { maxBytes: ctx.limits.maxUploadBytes });
      staging.catch((error: unknown) => {
        stream.resume();
        fail(asUploadError(error));
      });
    });
    parser.on('partsLimit', () => fail(new PavedError('PAVED_E_INVALID_UPLOAD', 'too many parts in the upload')));
    parser.on('fieldsLimit', () => fail(new PavedError('PAVED_E_INVALID_UPLOAD', 'too many form fields in the upload')));
    parser.on('filesLimit', () => fail(new PavedError('PAVED_E_INVALID_UPLOAD', 'too many files in the upload')));
    parser.on('error', (error: Error) => fail(new PavedError('PAVED_E_INVALID_UPLOAD', `malformed or truncated multipart body: ${error.message}`)));
    parser.on('close', () => {
      bodyDone = true;
      finish();
    });
    req.raw.on('aborted', () => fail(new PavedError('PAVED_E_INVALID_UPLOAD', 'the client closed the connection before the upload finished')));
    req.raw.on('error', (error) => fail(new PavedError('PAVED_E_INVALID_UPLOAD', `upload stream failed: ${error.message}`)));
    req.raw.pipe(parser);
  });
}

function asUploadError(error: unknown): PavedError {
  if (error instanceof PavedError) return error;
  return new PavedError('PAVED_E_INVALID_UPLOAD', `the upload could not be received: ${(error as Error).message}`);
}
