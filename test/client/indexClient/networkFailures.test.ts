/**
 * Failures a user meets on a bad network: bodies that stall or end early after the headers (pages
 * and downloads alike: fetched again, a cut one with back-off, a stalled one once), slow servers
 * (timeouts are retried once), rejected credentials, and a page that failed once not being asked
 * for again. Every server here is a small node:http server on 127.0.0.1 whose routes
 * misbehave on purpose.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createIndexClient, type IndexClientOptions, type IndexFile } from '../../../src/client/indexClient/indexClient.js';
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
let seen: { at: number; path: string; authorization: string | null }[] = [];
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
    seen.push({ at: Date.now() - started, path: request.url ?? '', authorization: request.headers.authorization ?? null });
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
