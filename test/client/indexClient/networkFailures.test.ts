/**
 * Failures a user meets on a bad network: bodies that stall or end early after the headers (pages,
 * PEP 658 metadata files, range reads of a wheel's zip directory and downloads alike: fetched
 * again, a cut one with back-off, a stalled one once; a cut metadata file never cached), slow servers
 * (timeouts are retried once), rejected credentials, and a page that failed once not being asked
 * for again. Every server here is a small node:http server on 127.0.0.1 whose routes
 * misbehave on purpose.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createIndexClient, type IndexClientEvent, type IndexClientOptions, type IndexFile } from '../../../src/client/indexClient/indexClient.js';
import { renderCoreMetadata } from '../../../src/standards/coreMetadata.js';
import { buildWheel, fixtureMetadata } from '../../fixtures/buildDistributions.js';
import { pavedFailure } from '../../fixtures/pavedFailure.js';

type Route = (request: IncomingMessage, response: ServerResponse) => void;

const WHEEL = Buffer.alloc(4000, 7);
const WHEEL_SHA = createHash('sha256').update(WHEEL).digest('hex');
const PAGE = `<!DOCTYPE html><html><body><a href="/files/demo-1.0-py3-none-any.whl#sha256=${WHEEL_SHA}">demo-1.0-py3-none-any.whl</a></body></html>`;

let work: string;
let server: Server;
let base: string;
const routes = new Map<string, Route>();
/** Requests seen, as `<ms since the test began> <path>`. */
let seen: { at: number; path: string; authorization: string | null; range: string | null }[] = [];
let started = 0;
const clients: { close(): Promise<void> }[] = [];
const hanging = new Set<ServerResponse>();

function client(options: Partial<IndexClientOptions>): ReturnType<typeof createIndexClient> {
  const made = createIndexClient({ indexUrls: [`${base}/simple/`], env: {}, retryDelayMs: 50, ...options });
  clients.push(made);
  return made;
}


const servePage: Route = (_request, response) => void response.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'paved-net-failures-'));
  server = createServer((request, response) => {
    seen.push({ at: Date.now() - started, path: request.url ?? '', authorization: request.headers.authorization ?? null, range: request.headers.range ?? null });
    const route = routes.get(request.url ?? '');
    if (route === undefined) response.writeHead(404).end();
    else route(request, response);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
beforeEach(() => {
  routes.clear();
  seen = [];
  started = Date.now();
});
after(async () => {
  for (const c of clients) await c.close();
  for (const response of hanging) response.destroy();
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
  await rm(work, { recursive: true, force: true });
});

describe('failures after the response headers', () => {
  /** A page route that stalls its body after 40 bytes. */
  const stallPage: Route = (_request, response) => {
    hanging.add(response);
    response.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': String(PAGE.length) });
    response.write(PAGE.slice(0, 40));
  };
  /** A page route that sends 100 of the page's bytes and closes the connection. */
  const cutPage: Route = (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': String(PAGE.length) });
    response.write(PAGE.slice(0, 100));
    setTimeout(() => response.destroy(), 20);
  };

  it('a page body that stalls is tried once more, then is PAVED_E_TIMEOUT naming the page, not "could not reach … ECONNRESET"', async () => {
    routes.set('/simple/demo/', stallPage);
    const error = await pavedFailure(client({ timeoutMs: 200, retries: 3 }).getProject('demo'));
    assert.equal(error.code, 'PAVED_E_TIMEOUT', error.message);
    assert.match(error.message, /\/simple\/demo\/ stopped sending its body for 200 ms/);
    assert.match(error.hint ?? '', /--timeout/);
    assert.equal(seen.length, 2, 'one more try, not `retries` more');
  });

  it('a page body that stalls once is fetched again: the second answer gives the page', async () => {
    let calls = 0;
    routes.set('/simple/demo/', (request, response) => (++calls === 1 ? stallPage : servePage)(request, response));
    const project = await client({ timeoutMs: 200 }).getProject('demo');
    assert.deepEqual(project.files.map((f) => f.filename), ['demo-1.0-py3-none-any.whl']);
    assert.equal(calls, 2);
  });

  it('a page body cut short once is fetched again after a back-off: the second answer gives the page', async () => {
    let calls = 0;
    routes.set('/simple/demo/', (request, response) => (++calls === 1 ? cutPage : servePage)(request, response));
    const project = await client({ retryDelayMs: 100 }).getProject('demo');
    assert.deepEqual(project.files.map((f) => f.filename), ['demo-1.0-py3-none-any.whl']);
    const gets = seen.map((r) => r.at);
    assert.equal(gets.length, 2);
    // 20 ms for the cut, then a back-off of 50–100 ms.
    assert.ok((gets[1] as number) - (gets[0] as number) >= 50, `gap ${(gets[1] as number) - (gets[0] as number)} ms`);
  });

  it('a page body always shorter than its Content-Length is retried with back-off, then says how much arrived, with the URL and no credentials', async () => {
    routes.set('/simple/demo/', cutPage);
    const error = await pavedFailure(client({ indexUrls: [`${base.replace('http://', 'http://alice:s3cret@')}/simple/`], retries: 3 }).getProject('demo'));
    assert.equal(error.code, 'PAVED_E_NETWORK');
    // N is what paved had read when the cut came: all 100 bytes sent, unless a loaded machine read them late.
    assert.match(error.message, new RegExp(`^http://127\\.0\\.0\\.1:\\d+/simple/demo/ ended after (100|\\d\\d?) of ${PAGE.length} bytes`));
    assert.doesNotMatch(`${error.message} ${error.hint ?? ''}`, /could not reach|s3cret|alice/);
    assert.equal(seen.length, 4, 'one try and three retries');
  });

  it('a download cut short is retried with back-off, then says "ended after N of M bytes"; nothing is left behind', async () => {
    routes.set('/simple/demo/', servePage);
    routes.set('/files/demo-1.0-py3-none-any.whl', (_request, response) => {
      response.writeHead(200, { 'Content-Length': String(WHEEL.length) });
      response.write(WHEEL.subarray(0, 1000));
      setTimeout(() => response.destroy(), 20);
    });
    const c = client({ retries: 3, retryDelayMs: 100 });
    const [file] = (await c.getProject('demo')).files as [IndexFile];
    const dest = join(work, 'cut', file.filename);
    const error = await pavedFailure(c.download(file, dest));
    assert.equal(error.code, 'PAVED_E_NETWORK');
    assert.match(error.message, /demo-1\.0-py3-none-any\.whl ended after (1000|\d{1,3}) of 4000 bytes/);
    const gets = seen.filter((r) => r.path.endsWith('.whl')).map((r) => r.at);
    assert.equal(gets.length, 4, 'one try and three retries');
    // Jittered 50–100, 100–200, 200–400 ms apart at least (plus the 20 ms each cut takes).
    const gaps = gets.slice(1).map((at, i) => at - (gets[i] as number));
    assert.ok(gaps[0] !== undefined && gaps[0] >= 50 && gaps[1] !== undefined && gaps[1] >= 100 && gaps[2] !== undefined && gaps[2] >= 200, `gaps ${gaps.join(', ')}`);
    assert.equal(existsSync(dest), false);
  });
});

/** What a route does to one answer: send it whole, cut its body after a part (closing the connection), or stall after a part. */
type Fault = 'cut' | 'stall' | null;

/** Sends `body` with its full Content-Length, spoilt as `fault` says. */
function answer(response: ServerResponse, status: number, headers: Record<string, string>, body: Buffer, fault: Fault): void {
  response.writeHead(status, { ...headers, 'Content-Length': String(body.length) });
  if (fault === null) return void response.end(body);
  response.write(body.subarray(0, Math.floor(body.length / 3)));
  if (fault === 'cut') setTimeout(() => response.destroy(), 20);
  else hanging.add(response);
}

describe('PEP 658 metadata files cut short or stalled', () => {
  const METADATA = Buffer.from(renderCoreMetadata(fixtureMetadata({ name: 'demo', version: '1.0', requiresDist: ['click>=8', 'idna'] })));
  const METADATA_PAGE = `<!DOCTYPE html><html><body><a href="/files/demo-1.0-py3-none-any.whl#sha256=${WHEEL_SHA}" data-core-metadata="true">demo-1.0-py3-none-any.whl</a></body></html>`;
  const METADATA_PATH = '/files/demo-1.0-py3-none-any.whl.metadata';
  /** Serves the page, and the metadata file spoilt as `faults` says for its nth request (whole past the end). */
  function serveMetadata(faults: Fault[]): void {
    let calls = 0;
    routes.set('/simple/demo/', (_request, response) => void response.writeHead(200, { 'Content-Type': 'text/html' }).end(METADATA_PAGE));
    routes.set(METADATA_PATH, (_request, response) => answer(response, 200, { 'Content-Type': 'application/octet-stream' }, METADATA, faults[calls++] ?? null));
  }
  const metadataGets = (): number => seen.filter((r) => r.path === METADATA_PATH).length;

  for (const fault of ['cut', 'stall'] as const) {
    it(`a metadata file whose first answer is ${fault === 'cut' ? 'cut short' : 'stalled'} is fetched again, and its dependencies are read`, async () => {
      serveMetadata([fault]);
      const events: IndexClientEvent[] = [];
      const c = client({ timeoutMs: 300, onEvent: (event) => events.push(event) });
      const [file] = (await c.getProject('demo')).files as [IndexFile];
      const metadata = await c.getMetadata(file);
      assert.deepEqual(metadata.requiresDist, ['click>=8', 'idna']);
      assert.equal(metadataGets(), 2, 'the spoilt answer and the good one');
      assert.deepEqual(events.filter((e) => e.type === 'metadata'), [{ type: 'metadata', filename: file.filename, via: 'pep658' }]);
    });
  }

  it('a metadata file that stalls every time is tried once more, then is PAVED_E_TIMEOUT naming it', async () => {
    serveMetadata(['stall', 'stall', 'stall']);
    const c = client({ timeoutMs: 200, retries: 3 });
    const [file] = (await c.getProject('demo')).files as [IndexFile];
    const error = await pavedFailure(c.getMetadata(file));
    assert.equal(error.code, 'PAVED_E_TIMEOUT', error.message);
    assert.match(error.message, /\/files\/demo-1\.0-py3-none-any\.whl\.metadata stopped sending its body for 200 ms/);
    assert.equal(metadataGets(), 2, 'one more try, not `retries` more');
  });

  it('a metadata file cut short every time fails after the retries, naming it without credentials; it is not cached, and a later run fetches it again', async () => {
    serveMetadata(['cut', 'cut', 'cut', 'cut', 'cut', 'cut']);
    const cacheDir = join(work, 'metadata-cache');
    const indexUrls = [`${base.replace('http://', 'http://alice:s3cret@')}/simple/`];
    const first = client({ indexUrls, cacheDir, retries: 3 });
    const [file] = (await first.getProject('demo')).files as [IndexFile];
    const error = await pavedFailure(first.getMetadata(file));
    assert.equal(error.code, 'PAVED_E_NETWORK');
    assert.match(error.message, new RegExp(`^http://127\\.0\\.0\\.1:\\d+${METADATA_PATH.replaceAll('.', '\\.')} ended after \\d+ of ${METADATA.length} bytes: the connection closed mid-transfer`));
    assert.doesNotMatch(`${error.message} ${error.hint ?? ''}`, /s3cret|alice/);
    assert.equal(metadataGets(), 4, 'one try and three retries');

    // The next run, against an index that now answers whole, reads the file again rather than a cut copy.
    serveMetadata([]);
    seen = [];
    const later = client({ indexUrls, cacheDir });
    const again = (await later.getProject('demo')).files[0] as IndexFile;
    assert.deepEqual((await later.getMetadata(again)).requiresDist, ['click>=8', 'idna']);
    assert.equal(metadataGets(), 1);
  });
});

describe('range reads of a wheel\'s zip directory cut short or stalled', () => {
  /**
   * A wheel whose METADATA lies outside the last 64 KiB (an incompressible member follows it), so
   * reading it takes two range requests: the tail with the zip directory, then the METADATA member.
   */
  let bigWheel: Buffer;
  let bigPage: string;
  const WHEEL_PATH = '/files/big-1.0-py3-none-any.whl';
  before(async () => {
    bigWheel = await buildWheel({
      name: 'big',
      version: '1.0',
      metadata: { requiresDist: ['click>=8'] },
      extraEntries: [{ name: 'big/data.bin', data: randomBytes(100 * 1024) }],
    });
    const sha = createHash('sha256').update(bigWheel).digest('hex');
    // No data-core-metadata: the client must read the wheel's zip directory.
    bigPage = `<!DOCTYPE html><html><body><a href="${WHEEL_PATH}#sha256=${sha}">big-1.0-py3-none-any.whl</a></body></html>`;
  });
  /** Serves the page, and single byte ranges of the wheel spoilt as `faults` says for the nth range request (whole past the end). */
  function serveRanges(faults: Fault[]): void {
    let calls = 0;
    routes.set('/simple/big/', (_request, response) => void response.writeHead(200, { 'Content-Type': 'text/html' }).end(bigPage));
    routes.set(WHEEL_PATH, (request, response) => {
      const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
      if (range === null) return answer(response, 200, {}, bigWheel, null);
      const size = bigWheel.length;
      const start = range[1] === '' ? size - Number(range[2]) : Number(range[1]);
      const end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
      answer(response, 206, { 'Content-Range': `bytes ${start}-${end}/${size}`, ETag: '"big"' }, bigWheel.subarray(start, end + 1), faults[calls++] ?? null);
    });
  }
  const wheelGets = (): (string | null)[] => seen.filter((r) => r.path === WHEEL_PATH).map((r) => r.range);

  for (const [fault, which] of [
    ['cut', 0],
    ['stall', 0],
    ['cut', 1],
    ['stall', 1],
  ] as const) {
    it(`a range read (${which === 0 ? 'the tail with the zip directory' : 'the METADATA member'}) ${fault === 'cut' ? 'cut short' : 'stalled'} once is fetched again: the metadata is read by ranges`, async () => {
      const faults: Fault[] = [null, null];
      faults[which] = fault;
      serveRanges(faults);
      const events: IndexClientEvent[] = [];
      const c = client({ timeoutMs: 300, onEvent: (event) => events.push(event) });
      const [file] = (await c.getProject('big')).files as [IndexFile];
      assert.deepEqual((await c.getMetadata(file)).requiresDist, ['click>=8']);
      const ranges = wheelGets();
      assert.equal(ranges.length, 3, 'two range reads, one of them twice');
      assert.equal(ranges[which], ranges[which + 1], 'the spoilt read is asked for again');
      assert.ok(ranges.every((range) => range !== null), 'never the whole wheel');
      assert.deepEqual(events.filter((e) => e.type === 'metadata'), [{ type: 'metadata', filename: file.filename, via: 'range' }]);
    });
  }

  it('a range read cut short every time fails after the retries, naming the wheel without credentials', async () => {
    serveRanges(['cut', 'cut', 'cut', 'cut', 'cut', 'cut']);
    const c = client({ indexUrls: [`${base.replace('http://', 'http://alice:s3cret@')}/simple/`], retries: 3 });
    const [file] = (await c.getProject('big')).files as [IndexFile];
    const error = await pavedFailure(c.getMetadata(file));
    assert.equal(error.code, 'PAVED_E_NETWORK');
    assert.match(error.message, /^http:\/\/127\.0\.0\.1:\d+\/files\/big-1\.0-py3-none-any\.whl ended after \d+ of \d+ bytes: the connection closed mid-transfer/);
    assert.doesNotMatch(`${error.message} ${error.hint ?? ''}`, /s3cret|alice/);
    const ranges = wheelGets();
    assert.equal(ranges.length, 4, 'one try and three retries');
    assert.ok(ranges.every((range) => range === `bytes=-${64 * 1024}`), 'the tail, asked for again; never the whole wheel');
  });
});

describe('timeouts', () => {
  it('a request that times out is tried once more (not `retries` times), then is PAVED_E_TIMEOUT', async () => {
    routes.set('/simple/demo/', (_request, response) => void hanging.add(response));
    const error = await pavedFailure(client({ timeoutMs: 150, retries: 3 }).getProject('demo'));
    assert.equal(error.code, 'PAVED_E_TIMEOUT');
    assert.match(error.message, /did not answer within 150 ms/);
    assert.equal(seen.length, 2);
  });

  it('a connection that cannot be made (a listener whose backlog is full) times out too, and is tried once more', async () => {
    // A listening socket that never accepts, with its one-connection backlog taken: a further
    // connect gets no answer at all, like a firewall that drops packets.
    const python = spawn('python3', ['-c', 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const fillers: Socket[] = [];
    try {
      const port = Number(await new Promise<string>((done) => python.stdout.once('data', (data: Buffer) => done(data.toString().trim()))));
      for (let i = 0; i < 3; i++) fillers.push(connect(port, '127.0.0.1').on('error', () => undefined));
      await new Promise((done) => setTimeout(done, 200));
      const started = Date.now();
      const error = await pavedFailure(client({ indexUrls: [`http://127.0.0.1:${port}/simple/`], timeoutMs: 300, retries: 3 }).getProject('demo'));
      assert.equal(error.code, 'PAVED_E_TIMEOUT', error.message);
      assert.match(error.message, /could not be connected to within 300 ms/);
      const took = Date.now() - started;
      assert.ok(took >= 550 && took < 5000, `two tries of 300 ms, took ${took} ms`);
    } finally {
      for (const socket of fillers) socket.destroy();
      python.kill();
    }
  });

  it('a slow first answer is forgiven: the second try gets the page', async () => {
    let calls = 0;
    routes.set('/simple/demo/', (request, response) => {
      if (++calls === 1) return void hanging.add(response);
      servePage(request, response);
    });
    assert.equal((await client({ timeoutMs: 150 }).getProject('demo')).files.length, 1);
    assert.equal(calls, 2);
  });
});

describe('answers that are failures', () => {
  it('a 401 after credentials were sent says they were rejected; without credentials it asks for some', async () => {
    routes.set('/simple/demo/', (_request, response) => void response.writeHead(401, { 'WWW-Authenticate': 'Basic' }).end());
    const rejected = await pavedFailure(client({ indexUrls: [`${base.replace('http://', 'http://__token__:wrong@')}/simple/`] }).getProject('demo'));
    assert.equal(rejected.code, 'PAVED_E_UNAUTHORIZED');
    assert.match(rejected.message, /rejected the credentials/);
    assert.match(rejected.hint ?? '', /credentials were rejected/);
    assert.doesNotMatch(`${rejected.message} ${rejected.hint ?? ''}`, /wrong/);
    const missing = await pavedFailure(client({}).getProject('demo'));
    assert.match(missing.message, /asks for credentials/);
    assert.match(missing.hint ?? '', /PAVED_INDEX_TOKEN/);
  });

  for (const [what, route] of [
    ['403', ((_request, response) => void response.writeHead(403).end()) as Route],
    ['garbage', ((_request, response) => void response.writeHead(200, { 'Content-Type': 'text/html' }).end('Service moved. Try later.')) as Route],
  ] as const) {
    it(`a page that failed (${what}) is not asked for again in the same run: the same error comes back`, async () => {
      routes.set('/simple/demo/', route);
      const c = client({});
      const first = await pavedFailure(c.getProject('demo'));
      const second = await pavedFailure(c.getProject('Demo'));
      assert.equal(second.message, first.message);
      assert.equal(seen.filter((r) => r.path === '/simple/demo/').length, 1);
    });
  }
});
