import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isPavedError, type PavedError } from '../../../src/errors.js';
import { createUpstreamClient, type PageResult } from '../../../src/index/mirror/upstreamClient.js';
import { PYPI_SUBSET } from '../../fixtures/corpus.js';
import { buildStaticIndex, serveStaticIndex, type StaticIndex, type StaticIndexServer } from '../../fixtures/staticIndex.js';

const WHEELS = readdirSync(PYPI_SUBSET)
  .filter((name) => /^(flask|click|idna)-/.test(name))
  .map((name) => join(PYPI_SUBSET, name));
const FLASK = WHEELS.find((path) => path.includes('flask-')) as string;
const UPLOADED = '2024-05-06T07:08:09Z';
const ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';
// Fast retries so failure paths stay quick.
const FAST = { retryDelayMs: 5, maxRetryDelayMs: 50 };

function collect(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function ok(result: PageResult): Extract<PageResult, { status: 'ok' }> {
  assert.equal(result.status, 'ok');
  return result as Extract<PageResult, { status: 'ok' }>;
}

/** Asserts a PavedError with `code`, and returns it for more checks. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<PavedError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isPavedError(error), `expected a PavedError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.hint !== undefined && error.hint !== '', 'every upstream error has a hint');
    return error;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

/** A throw-away http server for upstream behaviour the static fixture does not have. */
async function adHocServer(handler: (request: IncomingMessage, response: ServerResponse, url: string) => void): Promise<{ url: string; close: () => Promise<void> }> {
  let base = '';
  const server = createServer((request, response) => handler(request, response, base));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('upstream client over http', () => {
  let index: StaticIndex;
  let server: StaticIndexServer;

  before(async () => {
    index = await buildStaticIndex(WHEELS.map((path) => ({ path, uploadTime: UPLOADED })));
    server = await serveStaticIndex(index.dir);
  });
  after(async () => {
    await server.close();
    await index.remove();
  });
  beforeEach(() => {
    server.requests.length = 0;
    for (const key of Object.keys(server.options)) delete server.options[key as keyof typeof server.options];
    server.options.json = true;
  });

  it('prefers PEP 691 JSON, with absolute file URLs, hashes, sizes, upload times and metadata', async () => {
    const client = createUpstreamClient(server.simpleUrl);
    const result = ok(await client.fetchProjectPage('flask'));
    assert.equal(result.format, 'json');
    assert.equal(server.requests[0]?.accept, ACCEPT);
    assert.ok(result.etag !== null && result.lastModified !== null);
    assert.ok(!Number.isNaN(Date.parse(result.fetchedAt)));
    const entry = index.entries.find((e) => e.project === 'flask');
    assert.ok(entry !== undefined);
    assert.equal(result.page.name, 'flask');
    assert.deepEqual(result.page.versions, [entry.version]);
    assert.equal(result.page.files.length, 1);
    const file = result.page.files[0];
    assert.deepEqual(file, {
      filename: entry.filename,
      url: `${server.url}files/${entry.filename}`,
      hashes: { sha256: entry.sha256 },
      requiresPython: entry.requiresPython,
      yanked: false,
      coreMetadata: { sha256: entry.metadataSha256 },
      size: entry.size,
      uploadTime: UPLOADED,
      gpgSig: null,
    });
  });

  it('falls back to HTML when the upstream has no JSON', async () => {
    server.options.json = false;
    const client = createUpstreamClient(server.simpleUrl);
    const result = ok(await client.fetchProjectPage('click'));
    assert.equal(result.format, 'html');
    const entry = index.entries.find((e) => e.project === 'click');
    assert.ok(entry !== undefined);
    const file = result.page.files[0];
    assert.equal(file?.url, `${server.url}files/${entry.filename}`);
    assert.deepEqual(file?.hashes, { sha256: entry.sha256 });
    assert.deepEqual(file?.coreMetadata, { sha256: entry.metadataSha256 });
    assert.equal(file?.requiresPython, entry.requiresPython);
    assert.equal(file?.size, null, 'HTML carries no sizes');
    assert.equal(file?.uploadTime, null, 'HTML carries no upload times');
  });

  it('resolves relative file URLs against the page it was redirected to', async () => {
    const upstream = await adHocServer((request, response) => {
      if (request.url === '/simple/demo/') {
        response.writeHead(302, { Location: '/elsewhere/simple/demo/' });
        response.end();
      } else if (request.url === '/elsewhere/simple/demo/') {
        response.writeHead(200, { 'Content-Type': 'text/html' });
        response.end('<a href="../../files/demo-1.0-py3-none-any.whl#sha256=' + 'a'.repeat(64) + '">demo</a>');
      } else {
        response.writeHead(404);
        response.end();
      }
    });
    try {
      const result = ok(await createUpstreamClient(`${upstream.url}simple/`).fetchProjectPage('demo'));
      assert.equal(result.page.files[0]?.url, `${upstream.url}elsewhere/files/demo-1.0-py3-none-any.whl`);
    } finally {
      await upstream.close();
    }
  });

  it('refuses a redirect to a local file and a redirect loop', async () => {
    const upstream = await adHocServer((request, response) => {
      response.writeHead(302, { Location: request.url === '/simple/local/' ? 'file:///etc/passwd' : request.url ?? '/' });
      response.end();
    });
    try {
      const client = createUpstreamClient(`${upstream.url}simple/`, FAST);
      await rejectsWith(client.fetchProjectPage('local'), 'PAVED_E_UPSTREAM_INVALID');
      const loop = await rejectsWith(client.fetchProjectPage('loop'), 'PAVED_E_UPSTREAM');
      assert.match(loop.message, /redirected/);
    } finally {
      await upstream.close();
    }
  });

  it('answers not-modified to a conditional request when the page has not changed', async () => {
    const client = createUpstreamClient(server.simpleUrl);
    const first = ok(await client.fetchProjectPage('idna'));
    const byEtag = await client.fetchProjectPage('idna', { etag: first.etag });
    assert.equal(byEtag.status, 'not-modified');
    assert.equal(server.requests[1]?.ifNoneMatch, first.etag);
    const byDate = await client.fetchProjectPage('idna', { lastModified: first.lastModified });
    assert.equal(byDate.status, 'not-modified');
    assert.equal(server.requests[2]?.ifModifiedSince, first.lastModified);
    const stale = await client.fetchProjectPage('idna', { etag: '"something-else"' });
    assert.equal(stale.status, 'ok');
  });

  it('gives not-found for a project the upstream does not have', async () => {
    const result = await createUpstreamClient(server.simpleUrl).fetchProjectPage('no-such-project');
    assert.equal(result.status, 'not-found');
  });

  it('retries a 500 and then fails naming the URL', async () => {
    server.options.failWith = 500;
    const client = createUpstreamClient(server.simpleUrl, { ...FAST, retries: 2 });
    const error = await rejectsWith(client.fetchProjectPage('flask'), 'PAVED_E_UPSTREAM');
    assert.match(error.message, /500/);
    assert.ok(error.message.includes(`${server.simpleUrl}flask/`), error.message);
    assert.equal(server.requests.length, 3, 'one request and two retries');
  });

  it('recovers when a retry succeeds (503 once, then the page)', async () => {
    server.options.failWith = 503;
    server.options.failTimes = 1;
    const result = await createUpstreamClient(server.simpleUrl, FAST).fetchProjectPage('flask');
    assert.equal(result.status, 'ok');
    assert.deepEqual(
      server.requests.map((r) => r.status),
      [503, 200],
    );
  });

  it('does not retry a 4xx other than 429', async () => {
    server.options.failWith = 403;
    const error = await rejectsWith(createUpstreamClient(server.simpleUrl, FAST).fetchProjectPage('flask'), 'PAVED_E_UPSTREAM');
    assert.equal(error.details?.['status'], 403);
    assert.match(error.hint ?? '', /credentials/);
    assert.equal(server.requests.length, 1);
  });

  it('honours Retry-After on a 429, up to the cap', async () => {
    server.options.failWith = 429;
    server.options.failTimes = 1;
    server.options.retryAfter = '1';
    let started = Date.now();
    assert.equal((await createUpstreamClient(server.simpleUrl, { retryDelayMs: 5, maxRetryDelayMs: 5000 }).fetchProjectPage('flask')).status, 'ok');
    assert.ok(Date.now() - started >= 900, 'waited about the second Retry-After asked for');

    server.options.failWith = 429;
    server.options.failTimes = 1;
    server.options.retryAfter = '3600';
    started = Date.now();
    assert.equal((await createUpstreamClient(server.simpleUrl, { retryDelayMs: 5, maxRetryDelayMs: 100 }).fetchProjectPage('flask')).status, 'ok');
    assert.ok(Date.now() - started < 2000, 'an hour-long Retry-After is capped');
  });

  it('times out quickly on a hanging upstream, without retrying', async () => {
    server.options.delayMs = 3000;
    const client = createUpstreamClient(server.simpleUrl, { ...FAST, timeoutMs: 200 });
    const started = Date.now();
    const error = await rejectsWith(client.fetchProjectPage('flask'), 'PAVED_E_UPSTREAM_TIMEOUT');
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    assert.ok(error.message.includes(`${server.simpleUrl}flask/`), error.message);
    assert.equal(server.requests.length, 1);
  });

  it('times out a page whose body stalls after the headers', async () => {
    const stalling = await adHocServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.write('<html><a href="demo-1.0.tar.gz">');
    });
    try {
      const started = Date.now();
      await rejectsWith(createUpstreamClient(`${stalling.url}simple/`, { timeoutMs: 200 }).fetchProjectPage('demo'), 'PAVED_E_UPSTREAM_TIMEOUT');
      assert.ok(Date.now() - started < 1500);
    } finally {
      await stalling.close();
    }
  });

  it('reports an upstream that refuses connections as unreachable', async () => {
    const other = await serveStaticIndex(index.dir);
    await other.stop();
    const error = await rejectsWith(createUpstreamClient(other.simpleUrl, FAST).fetchProjectPage('flask'), 'PAVED_E_UPSTREAM_UNREACHABLE');
    assert.match(error.message, /ECONNREFUSED/);
    assert.ok(error.message.includes(other.simpleUrl), error.message);
    // and it comes back on the same port
    await other.start();
    assert.equal((await createUpstreamClient(other.simpleUrl, FAST).fetchProjectPage('flask')).status, 'ok');
    await other.close();
  });

  describe('refuses pages it cannot trust as PAVED_E_UPSTREAM_INVALID', () => {
    const cases: { name: string; type: string; body: string | Buffer; options?: { maxPageBytes: number } }[] = [
      { name: 'JSON that does not parse', type: 'application/vnd.pypi.simple.v1+json', body: '{"meta": {"api-version": "1.1"}, "files": [' },
      { name: 'JSON with a wrong type', type: 'application/vnd.pypi.simple.v1+json', body: '{"meta":{"api-version":"1.1"},"name":"garbage","files":"nope"}' },
      { name: 'a future major API version', type: 'application/vnd.pypi.simple.v1+json', body: '{"meta":{"api-version":"2.0"},"name":"garbage","files":[]}' },
      { name: 'an HTML page declaring API 2', type: 'text/html', body: '<meta name="pypi:repository-version" content="2.0"><a href="x-1.0.tar.gz">x</a>' },
      { name: 'the page of another project', type: 'application/vnd.pypi.simple.v1+json', body: '{"meta":{"api-version":"1.1"},"name":"requests","files":[]}' },
      { name: 'a content type that is no simple page', type: 'image/png', body: Buffer.from([0x89, 0x50, 0x4e, 0x47]) },
      { name: 'bytes that are not UTF-8', type: 'text/html', body: Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x3e]) },
      { name: 'a page over maxPageBytes', type: 'text/html', body: `<html>${'<a href="x-1.0.tar.gz">x</a>'.repeat(100)}</html>`, options: { maxPageBytes: 1000 } },
    ];
    for (const testCase of cases) {
      it(testCase.name, async () => {
        const upstream = await adHocServer((_request, response) => {
          response.writeHead(200, { 'Content-Type': testCase.type });
          response.end(testCase.body);
        });
        try {
          const client = createUpstreamClient(`${upstream.url}simple/`, { ...FAST, ...testCase.options });
          const error = await rejectsWith(client.fetchProjectPage('garbage'), 'PAVED_E_UPSTREAM_INVALID');
          assert.ok(error.message.includes(`${upstream.url}simple/garbage/`), error.message);
        } finally {
          await upstream.close();
        }
      });
    }

    it('a streamed page over maxPageBytes with no Content-Length', async () => {
      const upstream = await adHocServer((_request, response) => {
        response.writeHead(200, { 'Content-Type': 'text/html' });
        for (let i = 0; i < 100; i++) response.write('<a href="x-1.0.tar.gz">x</a>'.repeat(10));
        response.end();
      });
      try {
        const client = createUpstreamClient(`${upstream.url}simple/`, { maxPageBytes: 5000 });
        await rejectsWith(client.fetchProjectPage('garbage'), 'PAVED_E_UPSTREAM_INVALID');
      } finally {
        await upstream.close();
      }
    });
  });

  it('drops files an http page points at on the local disk', async () => {
    const upstream = await adHocServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end(
        '<a href="file:///etc/passwd#sha256=' + 'a'.repeat(64) + '">passwd</a>' +
          '<a href="javascript:alert(1)">x</a>' +
          '<a href="https://files.example/demo-1.0-py3-none-any.whl">ok</a>',
      );
    });
    try {
      const result = ok(await createUpstreamClient(`${upstream.url}simple/`).fetchProjectPage('demo'));
      assert.deepEqual(
        result.page.files.map((f) => f.url),
        ['https://files.example/demo-1.0-py3-none-any.whl'],
      );
    } finally {
      await upstream.close();
    }
  });

  it('rejects names that are not normalized (no path games)', async () => {
    const client = createUpstreamClient(server.simpleUrl);
    for (const name of ['Flask', '../files', 'a/b', '', '%2e%2e']) {
      await rejectsWith(client.fetchProjectPage(name), 'PAVED_E_INVALID_NAME');
    }
    assert.equal(server.requests.length, 0);
  });

  describe('credentials', () => {
    const SECRET = 's3cr3t-p4ss';
    beforeEach(() => {
      server.options.auth = { username: 'alice', password: SECRET };
    });

    it('are sent as basic auth and never appear in describe() or errors', async () => {
      const base = `http://alice:${SECRET}@127.0.0.1:${server.port}/simple/`;
      const client = createUpstreamClient(base, { ...FAST, timeoutMs: 200 });
      assert.equal(client.describe(), server.simpleUrl);
      assert.equal((await client.fetchProjectPage('flask')).status, 'ok');
      assert.ok(server.requests.every((r) => r.authorized));

      const failures: PavedError[] = [];
      server.options.failWith = 500;
      failures.push(await rejectsWith(client.fetchProjectPage('flask'), 'PAVED_E_UPSTREAM'));
      server.options.failWith = null;
      server.options.delayMs = 1000;
      failures.push(await rejectsWith(client.fetchProjectPage('flask'), 'PAVED_E_UPSTREAM_TIMEOUT'));
      server.options.delayMs = 0;
      failures.push(await rejectsWith(client.openFile(`http://alice:${SECRET}@127.0.0.1:${server.port}/files/missing.whl`), 'PAVED_E_UPSTREAM'));
      const down = await serveStaticIndex(index.dir);
      await down.stop();
      const unreachable = createUpstreamClient(`http://alice:${SECRET}@127.0.0.1:${down.port}/simple/`, FAST);
      failures.push(await rejectsWith(unreachable.fetchProjectPage('flask'), 'PAVED_E_UPSTREAM_UNREACHABLE'));
      assert.ok(!unreachable.describe().includes(SECRET));
      for (const error of failures) {
        const everything = `${error.message} ${error.hint ?? ''} ${JSON.stringify(error.details ?? {})} ${error.stack ?? ''}`;
        assert.ok(!everything.includes(SECRET), everything);
        assert.ok(!everything.includes('alice'), everything);
      }
    });

    it('a wrong password is a 401 with a hint about credentials', async () => {
      const client = createUpstreamClient(`http://alice:wrong@127.0.0.1:${server.port}/simple/`, FAST);
      const error = await rejectsWith(client.fetchProjectPage('flask'), 'PAVED_E_UPSTREAM');
      assert.equal(error.details?.['status'], 401);
      assert.match(error.hint ?? '', /credentials/);
    });

    it('configured headers (e.g. Authorization) work too, and stay on the upstream origin', async () => {
      const authorization = `Basic ${Buffer.from(`alice:${SECRET}`).toString('base64')}`;
      const seenByCdn: (string | undefined)[] = [];
      const cdn = await adHocServer((request, response) => {
        seenByCdn.push(request.headers.authorization);
        response.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        response.end('wheel bytes');
      });
      try {
        const client = createUpstreamClient(server.simpleUrl, { headers: { Authorization: authorization } });
        assert.equal((await client.fetchProjectPage('flask')).status, 'ok');
        const file = await client.openFile(`${cdn.url}files/flask.whl`);
        assert.equal((await collect(file.stream)).toString(), 'wheel bytes');
        assert.deepEqual(seenByCdn, [undefined], 'the private upstream credentials were not sent to another host');
      } finally {
        await cdn.close();
      }
    });

    it('are not carried across a redirect to another host, custom headers included', async () => {
      const seenByCdn: Record<string, string | undefined>[] = [];
      const cdn = await adHocServer((request, response) => {
        seenByCdn.push({ authorization: request.headers.authorization, apiKey: request.headers['x-api-key'] as string | undefined });
        response.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        response.end('wheel bytes');
      });
      const seenByUpstream: (string | undefined)[] = [];
      const upstream = await adHocServer((request, response) => {
        seenByUpstream.push(request.headers['x-api-key'] as string | undefined);
        response.writeHead(302, { Location: `${cdn.url}packages/demo-1.0-py3-none-any.whl` });
        response.end();
      });
      try {
        const client = createUpstreamClient(`http://alice:${SECRET}@${upstream.url.slice('http://'.length)}simple/`, { headers: { 'X-Api-Key': SECRET } });
        const file = await client.openFile(`${upstream.url}files/demo-1.0-py3-none-any.whl`);
        assert.equal((await collect(file.stream)).toString(), 'wheel bytes');
        assert.deepEqual(seenByUpstream, [SECRET]);
        assert.deepEqual(seenByCdn, [{ authorization: undefined, apiKey: undefined }]);
      } finally {
        await upstream.close();
        await cdn.close();
      }
    });
  });

  describe('openFile', () => {
    it('streams the bytes and checks the upstream hash', async () => {
      const bytes = await readFile(FLASK);
      const client = createUpstreamClient(server.simpleUrl);
      const page = ok(await client.fetchProjectPage('flask')).page;
      const file = page.files[0];
      assert.ok(file !== undefined);
      const opened = await client.openFile(file.url, { expectedSha256: file.hashes['sha256'] ?? null });
      assert.equal(opened.size, bytes.length);
      assert.ok((await collect(opened.stream)).equals(bytes));
    });

    it('errors the stream (instead of ending it) when the bytes do not match', async () => {
      const client = createUpstreamClient(server.simpleUrl);
      const url = `${server.url}files/${FLASK.split('/').pop() ?? ''}`;
      const opened = await client.openFile(url, { expectedSha256: 'b'.repeat(64) });
      const error = await rejectsWith(collect(opened.stream), 'PAVED_E_UPSTREAM_DIGEST');
      assert.equal(error.details?.['expected'], 'b'.repeat(64));
      assert.equal(error.details?.['actual'], sha256(await readFile(FLASK)));
    });

    it('refuses files over maxBytes, announced or streamed', async () => {
      const client = createUpstreamClient(server.simpleUrl);
      const url = `${server.url}files/${FLASK.split('/').pop() ?? ''}`;
      await rejectsWith(client.openFile(url, { maxBytes: 1000 }), 'PAVED_E_TOO_LARGE');
      const unannounced = await adHocServer((_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        for (let i = 0; i < 10; i++) response.write(Buffer.alloc(1000));
        response.end();
      });
      try {
        const opened = await createUpstreamClient(`${unannounced.url}simple/`).openFile(`${unannounced.url}big.whl`, { maxBytes: 5000 });
        assert.equal(opened.size, null);
        await rejectsWith(collect(opened.stream), 'PAVED_E_TOO_LARGE');
      } finally {
        await unannounced.close();
      }
    });

    it('times out a file whose transfer stalls', async () => {
      const stalling = await adHocServer((_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': '100000' });
        response.write(Buffer.alloc(1000));
      });
      try {
        const opened = await createUpstreamClient(`${stalling.url}simple/`, { timeoutMs: 200 }).openFile(`${stalling.url}stall.whl`);
        const started = Date.now();
        await rejectsWith(collect(opened.stream), 'PAVED_E_UPSTREAM_TIMEOUT');
        assert.ok(Date.now() - started < 2000);
      } finally {
        await stalling.close();
      }
    });

    it('errors the stream when the connection breaks mid-file', async () => {
      const breaking = await adHocServer((_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': '100000' });
        response.write(Buffer.alloc(1000), () => response.socket?.destroy());
      });
      try {
        const opened = await createUpstreamClient(`${breaking.url}simple/`).openFile(`${breaking.url}broken.whl`, { expectedSha256: 'e'.repeat(64) });
        assert.equal(opened.size, 100000);
        await rejectsWith(collect(opened.stream), 'PAVED_E_UPSTREAM_UNREACHABLE');
      } finally {
        await breaking.close();
      }
    });

    it('closes the upstream transfer when the consumer gives up', async () => {
      let upstreamClosed!: () => void;
      const closed = new Promise<void>((resolve) => {
        upstreamClosed = resolve;
      });
      const endless = await adHocServer((_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        const timer = setInterval(() => response.write(Buffer.alloc(1000)), 5);
        response.on('close', () => {
          clearInterval(timer);
          upstreamClosed();
        });
      });
      try {
        const opened = await createUpstreamClient(`${endless.url}simple/`).openFile(`${endless.url}endless.whl`);
        await new Promise<void>((resolve) => opened.stream.once('data', () => resolve()));
        opened.stream.destroy();
        await closed;
      } finally {
        await endless.close();
      }
    });

    it('refuses file: URLs from an http upstream', async () => {
      const client = createUpstreamClient(server.simpleUrl);
      await rejectsWith(client.openFile('file:///etc/passwd'), 'PAVED_E_UPSTREAM_INVALID');
      await rejectsWith(client.fetchMetadata('file:///etc/passwd'), 'PAVED_E_UPSTREAM_INVALID');
    });

    it('answers a missing file with PAVED_E_UPSTREAM 404', async () => {
      const error = await rejectsWith(createUpstreamClient(server.simpleUrl).openFile(`${server.url}files/nope-1.0.tar.gz`), 'PAVED_E_UPSTREAM');
      assert.equal(error.details?.['status'], 404);
    });
  });

  describe('fetchMetadata', () => {
    it('returns the PEP 658 file, checked against its hash', async () => {
      const client = createUpstreamClient(server.simpleUrl);
      const file = ok(await client.fetchProjectPage('flask')).page.files[0];
      assert.ok(file !== undefined && typeof file.coreMetadata === 'object');
      const metadata = await client.fetchMetadata(file.url, file.coreMetadata['sha256'] ?? null);
      assert.ok(metadata !== null);
      assert.match(metadata.toString('utf8'), /^Metadata-Version: .*\nName: [Ff]lask\n/);
      await rejectsWith(client.fetchMetadata(file.url, 'c'.repeat(64)), 'PAVED_E_UPSTREAM_DIGEST');
    });

    it('returns null when the upstream has none', async () => {
      assert.equal(await createUpstreamClient(server.simpleUrl).fetchMetadata(`${server.url}files/nope-1.0-py3-none-any.whl`), null);
    });
  });
});

describe('upstream client over file://', () => {
  let index: StaticIndex;
  let htmlOnly: StaticIndex;
  let outside: string;

  before(async () => {
    index = await buildStaticIndex(WHEELS.map((path) => ({ path, uploadTime: UPLOADED })));
    htmlOnly = await buildStaticIndex(WHEELS, { json: false });
    outside = await mkdtemp(join(tmpdir(), 'paved-outside-'));
    await writeFile(join(outside, 'secret-1.0-py3-none-any.whl'), 'not for upstream pages');
    // A hostile project page in the tree, linking outside it in every way we can think of.
    const evil = join(index.simpleDir, 'evil');
    await mkdir(evil, { recursive: true });
    const secret = pathToFileURL(join(outside, 'secret-1.0-py3-none-any.whl')).href;
    await writeFile(
      join(evil, 'index.html'),
      [
        '<a href="file:///etc/passwd">passwd</a>',
        '<a href="../../../../../../../../etc/passwd">passwd</a>',
        `<a href="${secret}">secret</a>`,
        '<a href="../../files/../../escape-1.0.tar.gz">escape</a>',
        '<a href="https://example.com/evil-1.0.tar.gz">remote</a>',
        '<a href="../../files/link-1.0-py3-none-any.whl">link</a>',
      ].join('\n'),
    );
    await symlink(join(outside, 'secret-1.0-py3-none-any.whl'), join(index.filesDir, 'link-1.0-py3-none-any.whl'));
  });
  after(async () => {
    await index.remove();
    await htmlOnly.remove();
    await rm(outside, { recursive: true, force: true });
  });

  it('reads index.json when the tree has it, with file URLs inside the tree', async () => {
    const client = createUpstreamClient(index.simpleFileUrl);
    const result = ok(await client.fetchProjectPage('flask'));
    assert.equal(result.format, 'json');
    const entry = index.entries.find((e) => e.project === 'flask');
    assert.ok(entry !== undefined);
    assert.equal(result.page.files[0]?.url, pathToFileURL(join(index.filesDir, entry.filename)).href);
    assert.equal(result.page.files[0]?.uploadTime, UPLOADED);
    assert.equal(client.describe(), index.simpleFileUrl);
  });

  it('reads index.html otherwise, and opens and verifies the files it links', async () => {
    const client = createUpstreamClient(htmlOnly.simpleFileUrl);
    const result = ok(await client.fetchProjectPage('flask'));
    assert.equal(result.format, 'html');
    const file = result.page.files[0];
    assert.ok(file !== undefined);
    const bytes = await readFile(FLASK);
    const opened = await client.openFile(file.url, { expectedSha256: file.hashes['sha256'] ?? null });
    assert.equal(opened.size, bytes.length);
    assert.ok((await collect(opened.stream)).equals(bytes));

    const bad = await client.openFile(file.url, { expectedSha256: 'd'.repeat(64) });
    await rejectsWith(collect(bad.stream), 'PAVED_E_UPSTREAM_DIGEST');
    await rejectsWith(client.openFile(file.url, { maxBytes: 10 }), 'PAVED_E_TOO_LARGE');

    assert.ok(typeof file.coreMetadata === 'object');
    const metadata = await client.fetchMetadata(file.url, file.coreMetadata['sha256'] ?? null);
    assert.match(metadata?.toString('utf8') ?? '', /\nName: [Ff]lask\n/);
  });

  it('gives not-found for a missing project and not-modified when the page is unchanged', async () => {
    const client = createUpstreamClient(index.simpleFileUrl);
    assert.equal((await client.fetchProjectPage('no-such-project')).status, 'not-found');
    const first = ok(await client.fetchProjectPage('idna'));
    assert.equal((await client.fetchProjectPage('idna', { etag: first.etag })).status, 'not-modified');
    assert.equal((await client.fetchProjectPage('idna', { lastModified: first.lastModified })).status, 'not-modified');
    assert.equal((await client.fetchProjectPage('idna', { etag: 'W/"old"' })).status, 'ok');
  });

  it('keeps only the links of a hostile page that stay inside the tree', async () => {
    const result = ok(await createUpstreamClient(index.simpleFileUrl).fetchProjectPage('evil'));
    // The symlink passes the page (it is lexically inside) but not openFile (its target is not).
    assert.deepEqual(
      result.page.files.map((f) => f.filename),
      ['link-1.0-py3-none-any.whl'],
    );
  });

  it('refuses to open anything outside the tree, after resolving .. and symlinks', async () => {
    const client = createUpstreamClient(index.simpleFileUrl);
    const root = pathToFileURL(index.dir).href;
    const refused = [
      'file:///etc/passwd',
      `${root}/files/../../etc/passwd`,
      `${root}/files/%2e%2e/%2e%2e/etc/passwd`,
      pathToFileURL(join(outside, 'secret-1.0-py3-none-any.whl')).href,
      `${root}/files/link-1.0-py3-none-any.whl`,
      `${root}-sibling/files/x-1.0.tar.gz`,
      'https://example.com/evil-1.0.tar.gz',
      'file://otherhost/etc/passwd',
    ];
    for (const url of refused) {
      await rejectsWith(client.openFile(url), 'PAVED_E_UPSTREAM_INVALID');
    }
    await rejectsWith(client.fetchMetadata('file:///etc/passwd'), 'PAVED_E_UPSTREAM_INVALID');
  });

  it('answers a listed file that is missing with PAVED_E_UPSTREAM, and a missing metadata file with null', async () => {
    const client = createUpstreamClient(index.simpleFileUrl);
    const missing = pathToFileURL(join(index.filesDir, 'gone-1.0-py3-none-any.whl')).href;
    await rejectsWith(client.openFile(missing), 'PAVED_E_UPSTREAM');
    assert.equal(await client.fetchMetadata(missing), null);
  });

  it('refuses a garbage index.json as PAVED_E_UPSTREAM_INVALID', async () => {
    const dir = join(index.simpleDir, 'garbage');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'index.json'), '\u0000\u0001 not json');
    await rejectsWith(createUpstreamClient(index.simpleFileUrl).fetchProjectPage('garbage'), 'PAVED_E_UPSTREAM_INVALID');
  });
});

describe('createUpstreamClient', () => {
  it('refuses URLs that are not an http(s) or local file simple/ root', () => {
    for (const url of ['not a url', 'ftp://example.com/simple/', 'file://otherhost/simple/', 'javascript:alert(1)']) {
      assert.throws(
        () => createUpstreamClient(url),
        (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_ARGUMENT'),
        url,
      );
    }
  });

  it('adds the trailing slash a simple/ root needs and drops credentials from describe()', () => {
    assert.equal(createUpstreamClient('https://bob:hunter2@example.com/simple').describe(), 'https://example.com/simple/');
  });

  it('refuses nonsense options', () => {
    for (const options of [{ timeoutMs: 0 }, { retries: -1 }, { maxPageBytes: Number.NaN }]) {
      assert.throws(
        () => createUpstreamClient('https://example.com/simple/', options),
        (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_ARGUMENT'),
      );
    }
  });
});
