import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createIndexClient, type IndexClientEvent, type IndexClientOptions, type IndexFile } from '../../../src/client/indexClient/indexClient.js';
import { isPavedError } from '../../../src/errors.js';
import { createLocalImporter, importFiles } from '../../../src/index/importDistributions.js';
import { PYPI_SUBSET } from '../../fixtures/corpus.js';
import { buildStaticIndex, serveStaticIndex, type StaticIndex, type StaticIndexServer } from '../../fixtures/staticIndex.js';
import { startTestServer, type TestServer } from '../../fixtures/testServer.js';
import { serveWithRanges, type RangeFileServer } from './rangeFileServer.js';

const WHEELS = {
  flask: 'flask-3.1.3-py3-none-any.whl',
  click: 'click-8.5.0-py3-none-any.whl',
  black: 'black-26.5.1-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl',
  sqlalchemy: 'sqlalchemy-2.1.1-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl',
  idna: 'idna-3.20-py3-none-any.whl',
};
const corpus = (name: keyof typeof WHEELS): string => join(PYPI_SUBSET, WHEELS[name]);

let work: string;
const clients: { close(): Promise<void> }[] = [];

function client(options: IndexClientOptions, events?: IndexClientEvent[]): ReturnType<typeof createIndexClient> {
  const made = createIndexClient({ retryDelayMs: 5, env: {}, ...options, ...(events === undefined ? {} : { onEvent: (e: IndexClientEvent) => events.push(e) }) });
  clients.push(made);
  return made;
}

async function rejectsWith(promise: Promise<unknown>, code: string, check?: (message: string) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isPavedError(error), `expected a PavedError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    check?.(error.message);
    return true;
  });
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'paved-index-client-'));
});
after(async () => {
  for (const c of clients) await c.close();
  await rm(work, { recursive: true, force: true });
});

describe('against a paved server', () => {
  let server: TestServer;
  let indexUrl: string;
  before(async () => {
    server = await startTestServer();
    const importOne = await createLocalImporter(server.storage, 'root/main');
    const summary = await importFiles('root/main', [corpus('flask'), corpus('click'), corpus('sqlalchemy')], importOne, { jobs: 3 });
    assert.deepEqual(summary.refused, []);
    await server.listen();
    indexUrl = `${server.url}/root/main/simple/`;
  });
  after(() => server.close());

  it('reads the PEP 691 JSON page with hashes, sizes, metadata flags and the source index', async () => {
    const events: IndexClientEvent[] = [];
    const c = client({ indexUrls: [indexUrl] }, events);
    const project = await c.getProject('Flask');
    assert.equal(project.name, 'flask');
    assert.equal(project.index, indexUrl);
    assert.equal(project.files.length, 1);
    const [file] = project.files as [IndexFile];
    assert.equal(file.filename, WHEELS.flask);
    assert.equal(file.version, '3.1.3');
    assert.equal(file.parsed.kind, 'wheel');
    assert.equal(file.sha256, sha256(await readFile(corpus('flask'))));
    assert.equal(file.size, (await stat(corpus('flask'))).size);
    assert.notEqual(file.uploadTime, null);
    assert.notEqual(file.coreMetadata, false);
    assert.equal(file.requiresPython, '>=3.9');
    assert.equal(file.source, indexUrl);
    assert.ok(server.access.some((entry) => entry.path === '/root/main/simple/flask/'));
    const metadata = await c.getMetadata(file);
    assert.equal(metadata.name, 'Flask');
    assert.ok(metadata.requiresDist.some((r) => r.startsWith('click')));
    assert.deepEqual(events.filter((e) => e.type === 'metadata'), [{ type: 'metadata', filename: WHEELS.flask, via: 'pep658' }]);
  });

  it('reads metadata of a big wheel by range requests, fetching a small part of it', async () => {
    const events: IndexClientEvent[] = [];
    const c = client({ indexUrls: [indexUrl] }, events);
    const [file] = (await c.getProject('sqlalchemy')).files as [IndexFile];
    const before = server.access.length;
    const metadata = await c.getMetadata({ ...file, coreMetadata: false });
    assert.equal(metadata.version, '2.1.1');
    assert.deepEqual(events.at(-1), { type: 'metadata', filename: file.filename, via: 'range' });
    const fetched = server.access.slice(before).reduce((sum, entry) => sum + (entry.bytesOut ?? 0), 0);
    assert.ok(fetched < (file.size as number) / 20, `read ${fetched} of ${file.size} bytes`);
  });

  it('an unknown project is empty, not an error', async () => {
    const project = await client({ indexUrls: [indexUrl] }).getProject('no-such-project');
    assert.deepEqual(project.files, []);
    assert.equal(project.index, null);
  });

  it('rejects invalid names before any request', async () => {
    await rejectsWith(client({ indexUrls: [indexUrl] }).getProject('../etc/passwd'), 'PAVED_E_INVALID_NAME');
  });
});

describe('against static trees', () => {
  let full: StaticIndex;
  let bare: StaticIndex;
  let second: StaticIndex;
  let fullServer: StaticIndexServer;
  let htmlServer: StaticIndexServer;
  let bareServer: StaticIndexServer;
  let secondServer: StaticIndexServer;
  let ranged: RangeFileServer;
  before(async () => {
    full = await buildStaticIndex([corpus('flask'), corpus('click'), corpus('black')], { uploadTime: '2025-01-02T03:04:05Z' });
    bare = await buildStaticIndex([corpus('flask'), corpus('black'), corpus('sqlalchemy')], { metadata: false, json: false });
    second = await buildStaticIndex([corpus('flask'), corpus('click'), corpus('idna')]);
    fullServer = await serveStaticIndex(full.dir);
    htmlServer = await serveStaticIndex(full.dir, { json: false });
    bareServer = await serveStaticIndex(bare.dir);
    secondServer = await serveStaticIndex(second.dir);
    ranged = await serveWithRanges(bare.dir);
  });
  after(async () => {
    for (const s of [fullServer, htmlServer, bareServer, secondServer]) await s.close();
    await ranged.close();
    for (const t of [full, bare, second]) await t.remove();
  });

  it('prefers JSON and falls back to HTML; both give the same files', async () => {
    const json = await client({ indexUrls: [fullServer.simpleUrl] }).getProject('flask');
    const html = await client({ indexUrls: [htmlServer.simpleUrl] }).getProject('flask');
    assert.match(fullServer.requests.at(-1)?.accept ?? '', /^application\/vnd\.pypi\.simple\.v1\+json/);
    assert.equal(json.files[0]?.size, (await stat(corpus('flask'))).size);
    assert.equal(json.files[0]?.uploadTime, '2025-01-02T03:04:05Z');
    assert.equal(html.files[0]?.size, null);
    assert.equal(new URL(html.files[0]?.url ?? '').pathname, new URL(json.files[0]?.url ?? '').pathname);
    for (const key of ['filename', 'sha256', 'requiresPython', 'yanked', 'coreMetadata'] as const) {
      assert.deepEqual(html.files[0]?.[key], json.files[0]?.[key], key);
    }
  });

  it('uses PEP 658 metadata when offered, checked against its hash', async () => {
    const events: IndexClientEvent[] = [];
    const c = client({ indexUrls: [fullServer.simpleUrl] }, events);
    const [file] = (await c.getProject('black')).files as [IndexFile];
    const start = fullServer.requests.length;
    assert.equal((await c.getMetadata(file)).name, 'black');
    assert.deepEqual(fullServer.requests.slice(start).map((r) => r.path), [`/files/${encodeURIComponent(WHEELS.black)}.metadata`]);
    assert.equal(events.at(-1)?.type === 'metadata' && events.at(-1), events.at(-1));
    // A metadata file whose hash differs from the page's is refused.
    await rejectsWith(c.getMetadata({ ...file, sha256: null, coreMetadata: { sha256: '0'.repeat(64) } }), 'PAVED_E_DIGEST_MISMATCH');
  });

  for (const name of ['black', 'sqlalchemy'] as const) {
    it(`without metadata files, reads ${name}'s METADATA with range requests (a tiny part of the wheel)`, async () => {
      const events: IndexClientEvent[] = [];
      const c = client({ indexUrls: [ranged.simpleUrl] }, events);
      const [file] = (await c.getProject(name)).files as [IndexFile];
      assert.equal(file.coreMetadata, false);
      const start = ranged.requests.length;
      const metadata = await c.getMetadata(file);
      assert.equal(metadata.version, file.version);
      const requests = ranged.requests.slice(start);
      const bytes = requests.reduce((sum, r) => sum + r.bytes, 0);
      const size = (await stat(corpus(name))).size;
      assert.ok(requests.every((r) => r.range !== null && r.status === 206));
      assert.ok(requests.length <= 3, `${requests.length} requests`);
      assert.ok(bytes < size / 10, `read ${bytes} of ${size} bytes`);
      assert.deepEqual(events.at(-1), { type: 'metadata', filename: file.filename, via: 'range' });
    });
  }

  it('downloads the whole wheel for its metadata when the server ignores ranges, checking its hash', async () => {
    const events: IndexClientEvent[] = [];
    const c = client({ indexUrls: [bareServer.simpleUrl] }, events);
    const [file] = (await c.getProject('flask')).files as [IndexFile];
    assert.equal((await c.getMetadata(file)).name, 'Flask');
    assert.deepEqual(events.at(-1), { type: 'metadata', filename: file.filename, via: 'download' });
    await rejectsWith(c.getMetadata({ ...file, url: `${file.url}?again`, sha256: null, hashes: { sha256: 'f'.repeat(64) } }), 'PAVED_E_DIGEST_MISMATCH');
  });

  it('the first index that has a name wins; no merging across indexes', async () => {
    const c = client({ indexUrls: [bareServer.simpleUrl, secondServer.simpleUrl] });
    const flask = await c.getProject('flask');
    assert.equal(flask.index, bareServer.simpleUrl);
    assert.ok(flask.files.every((f) => f.source === bareServer.simpleUrl && f.url.startsWith(bareServer.url)));
    const idna = await c.getProject('idna');
    assert.equal(idna.index, secondServer.simpleUrl);
    assert.equal(idna.files.length, 1);
    assert.deepEqual((await c.getProject('nothing-here')).files, []);
  });

  it('reads file:// trees, with and without metadata files', async () => {
    const events: IndexClientEvent[] = [];
    const c = client({ indexUrls: [bare.simpleFileUrl, full.simpleFileUrl] }, events);
    const flask = await c.getProject('flask');
    assert.equal(flask.index, bare.simpleFileUrl);
    assert.ok(flask.files[0]?.url.startsWith('file:'));
    assert.equal((await c.getMetadata(flask.files[0] as IndexFile)).name, 'Flask');
    const click = await c.getProject('click');
    assert.equal(click.index, full.simpleFileUrl);
    assert.equal((await c.getMetadata(click.files[0] as IndexFile)).name, 'click');
    const dest = join(work, 'file-tree', WHEELS.click);
    const result = await c.download(click.files[0] as IndexFile, dest);
    assert.equal(result.sha256, sha256(await readFile(corpus('click'))));
  });

  it('adds find-links files (hashed, metadata read locally) and skips what is not a distribution', async () => {
    const folder = join(work, 'links');
    await mkdir(folder, { recursive: true });
    await copyFile(corpus('idna'), join(folder, WHEELS.idna));
    await copyFile(corpus('click'), join(folder, WHEELS.click));
    await writeFile(join(folder, 'idna-notes.txt'), 'not a wheel');
    await writeFile(join(folder, 'idna-1.0-garbage.whl'), 'not a wheel');
    const c = client({ indexUrls: [], findLinks: [folder] });
    const idna = await c.getProject('IDNA');
    assert.equal(idna.index, null);
    assert.deepEqual(idna.files.map((f) => [f.filename, f.sourceKind, f.source]), [[WHEELS.idna, 'find-links', folder]]);
    assert.equal(idna.files[0]?.sha256, sha256(await readFile(corpus('idna'))));
    assert.equal((await c.getMetadata(idna.files[0] as IndexFile)).name, 'idna');
    // With an index too, find-links files are added to the winning index's.
    const both = await client({ indexUrls: [secondServer.simpleUrl], findLinks: [pathToFileURL(folder).href] }).getProject('click');
    assert.deepEqual(both.files.map((f) => f.sourceKind).sort(), ['find-links', 'index']);
  });

  it('caches pages and revalidates them with ETags; offline it serves the cache and fails clearly otherwise', async () => {
    const cacheDir = join(work, 'cache-1');
    const online = client({ indexUrls: [fullServer.simpleUrl], cacheDir });
    const flask = await online.getProject('flask');
    await online.getMetadata(flask.files[0] as IndexFile);
    await online.getProject('no-such-thing');
    const start = fullServer.requests.length;
    const again = await client({ indexUrls: [fullServer.simpleUrl], cacheDir }).getProject('flask');
    assert.deepEqual(again.files, flask.files);
    const revalidation = fullServer.requests.slice(start);
    assert.equal(revalidation.length, 1);
    assert.equal(revalidation[0]?.status, 304);
    assert.notEqual(revalidation[0]?.ifNoneMatch, null);

    const before = fullServer.requests.length;
    const offline = client({ indexUrls: [fullServer.simpleUrl], cacheDir, offline: true });
    assert.deepEqual((await offline.getProject('flask')).files, flask.files);
    assert.equal((await offline.getMetadata(flask.files[0] as IndexFile)).name, 'Flask');
    assert.deepEqual((await offline.getProject('no-such-thing')).files, []);
    await rejectsWith(offline.getProject('click'), 'PAVED_E_OFFLINE', (m) => assert.match(m, /click/));
    await rejectsWith(offline.download(flask.files[0] as IndexFile, join(work, 'offline.whl')), 'PAVED_E_OFFLINE');
    assert.equal(fullServer.requests.length, before, 'offline made no request');
    await rejectsWith(client({ indexUrls: [fullServer.simpleUrl], offline: true }).getProject('flask'), 'PAVED_E_OFFLINE');
    // Offline, local sources still answer.
    assert.equal((await client({ indexUrls: [full.simpleFileUrl], offline: true }).getProject('flask')).files.length, 1);
  });

  it('downloads with hash checks: a mismatch leaves nothing behind; parallel downloads share one transfer', async () => {
    const c = client({ indexUrls: [fullServer.simpleUrl] });
    const [file] = (await c.getProject('black')).files as [IndexFile];
    const dir = join(work, 'downloads');
    const dest = join(dir, file.filename);
    const start = fullServer.requests.length;
    const [a, b] = await Promise.all([c.download(file, dest), c.download(file, dest)]);
    assert.deepEqual(a, b);
    assert.equal(a.sha256, file.sha256);
    assert.equal(fullServer.requests.length - start, 1);
    assert.equal(sha256(await readFile(dest)), file.sha256);

    const bad = join(dir, 'bad', file.filename);
    await rejectsWith(c.download(file, bad, { expectedSha256: 'a'.repeat(64) }), 'PAVED_E_DIGEST_MISMATCH');
    assert.deepEqual(await readdir(join(dir, 'bad')), []);
    await rejectsWith(c.download(file, bad, { expectedSha256: 'nothex' }), 'PAVED_E_INVALID_ARGUMENT');
  });
});

describe('failures', () => {
  let tree: StaticIndex;
  let server: StaticIndexServer;
  before(async () => {
    tree = await buildStaticIndex([corpus('flask')]);
    server = await serveStaticIndex(tree.dir);
  });
  after(async () => {
    await server.close();
    await tree.remove();
  });

  it('retries 5xx and 429 with back-off, then succeeds', async () => {
    for (const status of [503, 429, 500]) {
      server.options.failWith = status;
      server.options.failTimes = 2;
      const start = server.requests.length;
      const project = await client({ indexUrls: [server.simpleUrl], retries: 3 }).getProject('flask');
      assert.equal(project.files.length, 1);
      assert.deepEqual(server.requests.slice(start).map((r) => r.status), [status, status, 200]);
    }
    server.options.failWith = null;
  });

  it('gives up after the retries with an error naming the URL without credentials', async () => {
    server.options.failWith = 502;
    server.options.failTimes = undefined;
    try {
      const start = server.requests.length;
      const url = server.simpleUrl.replace('http://', 'http://alice:s3cret-token@');
      await rejectsWith(client({ indexUrls: [url], retries: 2 }).getProject('flask'), 'PAVED_E_SERVER', (m) => {
        assert.match(m, /502/);
        assert.match(m, /127\.0\.0\.1/);
        assert.doesNotMatch(m, /s3cret|alice/);
      });
      assert.equal(server.requests.length - start, 3);
    } finally {
      server.options.failWith = null;
    }
  });

  it('401 and 403 are clear errors; credentials come from the URL, netrc or PAVED_INDEX_TOKEN', async () => {
    server.options.auth = { username: '__token__', password: 'tok-123' };
    try {
      const wrong = server.simpleUrl.replace('http://', 'http://__token__:wrong-secret@');
      await rejectsWith(client({ indexUrls: [wrong] }).getProject('flask'), 'PAVED_E_UNAUTHORIZED', (m) => assert.doesNotMatch(m, /wrong-secret/));
      const right = server.simpleUrl.replace('http://', 'http://__token__:tok-123@');
      const project = await client({ indexUrls: [right] }).getProject('flask');
      assert.equal(project.index, server.simpleUrl, 'the reported index has no credentials');
      assert.ok(!project.files[0]?.url.includes('tok-123'));
      const dest = join(work, 'auth', 'flask.whl');
      await client({ indexUrls: [right] }).download(project.files[0] as IndexFile, dest);

      const netrc = join(work, 'netrc');
      await writeFile(netrc, `# comment\nmachine other.example login x password y\nmachine 127.0.0.1\n  login __token__\n  password tok-123\n`);
      assert.equal((await client({ indexUrls: [server.simpleUrl], env: { NETRC: netrc } }).getProject('flask')).files.length, 1);
      assert.equal((await client({ indexUrls: [server.simpleUrl], env: { PAVED_INDEX_TOKEN: 'tok-123' } }).getProject('flask')).files.length, 1);
      await rejectsWith(client({ indexUrls: [server.simpleUrl] }).getProject('flask'), 'PAVED_E_UNAUTHORIZED');
      server.options.failWith = 403;
      await rejectsWith(client({ indexUrls: [right] }).getProject('flask'), 'PAVED_E_FORBIDDEN', (m) => assert.doesNotMatch(m, /tok-123/));
    } finally {
      server.options.auth = null;
      server.options.failWith = null;
    }
  });

  it('times out on a hanging server and reports a refused connection', async () => {
    server.options.delayMs = 2_000;
    try {
      await rejectsWith(client({ indexUrls: [server.simpleUrl], timeoutMs: 100, retries: 0 }).getProject('flask'), 'PAVED_E_TIMEOUT', (m) => assert.match(m, /127\.0\.0\.1.*flask/));
    } finally {
      server.options.delayMs = 0;
    }
    const lonely = await serveStaticIndex(tree.dir);
    await lonely.close();
    await rejectsWith(client({ indexUrls: [lonely.simpleUrl], retries: 1 }).getProject('flask'), 'PAVED_E_NETWORK', (m) => assert.match(m, /ECONNREFUSED/));
  });
});

describe('hostile servers', () => {
  let server: Server;
  let base: string;
  const seen: { path: string; authorization: string | null }[] = [];
  const routes = new Map<string, { status: number; type?: string; body?: string | Buffer; location?: string }>();
  before(async () => {
    server = createServer((request, response) => {
      seen.push({ path: request.url ?? '', authorization: request.headers.authorization ?? null });
      const route = routes.get(request.url ?? '') ?? { status: 404 };
      const headers: Record<string, string> = {};
      if (route.type !== undefined) headers['Content-Type'] = route.type;
      if (route.location !== undefined) headers['Location'] = route.location;
      response.writeHead(route.status, headers);
      response.end(route.body ?? '');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((done) => server.close(() => done())));

  const cases: [string, { status: number; type?: string; body?: string | Buffer }][] = [
    ['binary garbage as HTML', { status: 200, type: 'text/html', body: Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x92, 0x10]) }],
    ['plain text as HTML', { status: 200, type: 'text/html', body: 'Service temporarily moved. Try later.' }],
    ['a login page', { status: 200, type: 'text/html', body: '<html><body><form action="/login"><input type="password" name="p"></form></body></html>' }],
    ['broken JSON', { status: 200, type: 'application/vnd.pypi.simple.v1+json', body: '{"meta": {"api-version": "1.0"}, "files": [' }],
    ['JSON of another project', { status: 200, type: 'application/vnd.pypi.simple.v1+json', body: '{"meta": {"api-version": "1.0"}, "name": "evil", "files": []}' }],
    ['a future API major', { status: 200, type: 'application/vnd.pypi.simple.v1+json', body: '{"meta": {"api-version": "2.0"}, "name": "demo", "files": []}' }],
    ['an image', { status: 200, type: 'image/png', body: 'PNG' }],
  ];
  for (const [what, route] of cases) {
    it(`${what} is a clear error naming the page`, async () => {
      routes.set('/simple/demo/', route);
      await rejectsWith(client({ indexUrls: [`${base}/simple/`] }).getProject('demo'), 'PAVED_E_INVALID_SIMPLE_PAGE', (m) => assert.match(m, /\/simple\/demo\//));
    });
  }

  it('drops files of other projects and unsafe filenames from a page', async () => {
    routes.set('/simple/demo/', {
      status: 200,
      type: 'text/html',
      body: '<html><body><a href="demo-1.0.tar.gz#sha256=' + 'a'.repeat(64) + '">demo-1.0.tar.gz</a><a href="evil-1.0-py3-none-any.whl">x</a><a href="../..%2Fdemo-2.0.tar.gz">y</a></body></html>',
    });
    const project = await client({ indexUrls: [`${base}/simple/`] }).getProject('demo');
    assert.deepEqual(project.files.map((f) => f.filename), ['demo-1.0.tar.gz']);
    await rejectsWith(client({ indexUrls: [`${base}/simple/`] }).getMetadata(project.files[0] as IndexFile), 'PAVED_E_METADATA_UNAVAILABLE');
  });

  it('sends credentials only to the index origin, not across a redirect to another origin', async () => {
    const other = createServer((request, response) => {
      seen.push({ path: `other:${request.url ?? ''}`, authorization: request.headers.authorization ?? null });
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end('<html><body><a href="/demo-1.0.tar.gz">demo-1.0.tar.gz</a></body></html>');
    });
    await new Promise<void>((done) => other.listen(0, '127.0.0.1', done));
    try {
      // localhost and 127.0.0.1 are different origins.
      const otherBase = `http://localhost:${(other.address() as AddressInfo).port}`;
      routes.set('/simple/demo/', { status: 302, location: `${otherBase}/simple/demo/` });
      const project = await client({ indexUrls: [`${base.replace('http://', 'http://u:p@')}/simple/`] }).getProject('demo');
      assert.equal(project.files.length, 1);
      const hops = seen.slice(-2);
      assert.equal(hops[0]?.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
      assert.equal(hops[1]?.path, 'other:/simple/demo/');
      assert.equal(hops[1]?.authorization, null);
    } finally {
      await new Promise<void>((done) => other.close(() => done()));
    }
  });

  it('a file that is not a zip is a clear error when reading metadata', async () => {
    routes.set('/simple/demo/', { status: 200, type: 'text/html', body: '<html><body><a href="/files/demo-1.0-py3-none-any.whl">demo-1.0-py3-none-any.whl</a></body></html>' });
    routes.set('/files/demo-1.0-py3-none-any.whl', { status: 200, type: 'application/octet-stream', body: 'this is not a zip at all' });
    const c = client({ indexUrls: [`${base}/simple/`] });
    const [file] = (await c.getProject('demo')).files as [IndexFile];
    await rejectsWith(c.getMetadata(file), 'PAVED_E_INVALID_ARCHIVE');
    routes.set('/files/demo-1.0-py3-none-any.whl', { status: 404 });
    await rejectsWith(c.getMetadata(file), 'PAVED_E_NOT_FOUND', (m) => assert.match(m, /demo-1\.0-py3-none-any\.whl/));
    await rejectsWith(c.download(file, join(work, 'missing.whl')), 'PAVED_E_NOT_FOUND');
  });
});
