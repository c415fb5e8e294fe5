import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createIndexClient, type IndexClientEvent, type IndexClientOptions } from '../../../src/client/indexClient/indexClient.js';
import { createCredentialLookup } from '../../../src/client/indexClient/indexCredentials.js';
import { isPavedError } from '../../../src/errors.js';

/** A simple-API server on 127.0.0.1 that answers only requests carrying one of `accepted` (user:password). */
async function startAuthServer(accepted: string[]): Promise<{ server: Server; origin: string; seen: (string | null)[] }> {
  const seen: (string | null)[] = [];
  const server = createServer((request, response) => {
    const header = request.headers.authorization ?? null;
    seen.push(header);
    const decoded = header?.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : null;
    if (decoded === null || !accepted.includes(decoded)) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="paved"' }).end('unauthorized');
      return;
    }
    const name = /\/simple\/([^/]+)\//.exec(request.url ?? '')?.[1] ?? 'x';
    const filename = `${name}-1.0-py3-none-any.whl`;
    response.writeHead(200, { 'Content-Type': 'application/vnd.pypi.simple.v1+json' });
    response.end(JSON.stringify({ meta: { 'api-version': '1.0' }, name, files: [{ filename, url: filename, hashes: { sha256: 'a'.repeat(64) } }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}`, seen };
}

describe('keyring credentials (subprocess provider)', () => {
  let work: string;
  let server: Server;
  let origin: string;
  let seen: (string | null)[];
  let log: string;
  let keyring: string;
  const clients: { close(): Promise<void> }[] = [];

  /** Writes the fake keyring: it logs its arguments, then runs `body` (sh). */
  async function fakeKeyring(body: string): Promise<void> {
    await writeFile(keyring, `#!/bin/sh\necho "$*" >> '${log}'\n${body}\n`);
    await chmod(keyring, 0o755);
  }

  async function calls(): Promise<string[]> {
    try {
      return (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '');
    } catch {
      return [];
    }
  }

  function client(options: Partial<IndexClientOptions> & { indexUrls: string[] }, events: IndexClientEvent[] = []): ReturnType<typeof createIndexClient> {
    const created = createIndexClient({ env: { PATH: process.env['PATH'] }, credentials: { netrcPath: null, token: null }, retries: 0, onEvent: (event) => events.push(event), ...options });
    clients.push(created);
    return created;
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-keyring-'));
    log = join(work, 'calls.log');
    keyring = join(work, 'keyring');
    ({ server, origin, seen } = await startAuthServer(['alice:s3cret', 'bob:hunter2']));
  });
  beforeEach(async () => {
    await rm(log, { force: true });
    seen.length = 0;
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(work, { recursive: true, force: true });
  });

  it('a URL with a username and no password gets the password from `keyring get <url> <user>`, once per origin', async () => {
    const service = `${origin}/simple/`;
    await fakeKeyring(`[ "$1" = get ] && [ "$2" = '${service}' ] && [ "$3" = alice ] && { echo s3cret; exit 0; }\nexit 1`);
    const events: IndexClientEvent[] = [];
    const indexUrl = service.replace('http://', 'http://alice@');
    const c = client({ indexUrls: [indexUrl], credentials: { netrcPath: null, token: null, keyring: { command: [keyring] } } }, events);
    const [a, b] = await Promise.all([c.getProject('flask'), c.getProject('django')]);
    assert.equal(a.files.length, 1);
    assert.equal(b.files.length, 1);
    assert.deepEqual(await calls(), [`get ${service} alice`], 'the keyring ran once for the origin');
    assert.equal(a.index, service, 'the reported index has no credentials');
    assert.deepEqual(events.filter((event) => event.type === 'warning'), []);
  });

  it('an index with no credentials anywhere asks `keyring --mode creds get <url>`; the command is found on PATH', async () => {
    await fakeKeyring(`[ "$1" = --mode ] && [ "$2" = creds ] && [ "$3" = get ] && { printf 'bob\\nhunter2\\n'; exit 0; }\nexit 1`);
    const c = client({ indexUrls: [`${origin}/simple/`], env: { PATH: `${work}:${process.env['PATH'] ?? ''}` }, credentials: { netrcPath: null, token: null, keyring: { command: ['keyring'] } } });
    assert.equal((await c.getProject('flask')).files.length, 1);
    assert.deepEqual(await calls(), [`--mode creds get ${origin}/simple/`]);
    assert.equal(seen.at(-1), `Basic ${Buffer.from('bob:hunter2').toString('base64')}`);
  });

  it('pip-style fallback: the host alone is tried as the service name', async () => {
    const host = new URL(origin).host;
    await fakeKeyring(`[ "$2" = '${host}' ] && { echo s3cret; exit 0; }\nexit 1`);
    const c = client({ indexUrls: [`${origin.replace('http://', 'http://alice@')}/simple/`], credentials: { netrcPath: null, token: null, keyring: { command: [keyring] } } });
    assert.equal((await c.getProject('flask')).files.length, 1);
    assert.deepEqual(await calls(), [`get ${origin}/simple/ alice`, `get ${host} alice`]);
  });

  it('no keyring configured, or credentials already in the URL, netrc or token: the keyring never runs', async () => {
    await fakeKeyring('echo s3cret');
    await assert.rejects(client({ indexUrls: [`${origin.replace('http://', 'http://alice@')}/simple/`] }).getProject('flask'), (error: unknown) => isPavedError(error, 'PAVED_E_UNAUTHORIZED'));
    const keyringOption = { command: [keyring] };
    await client({ indexUrls: [`${origin.replace('http://', 'http://alice:s3cret@')}/simple/`], credentials: { netrcPath: null, token: null, keyring: keyringOption } }).getProject('flask');
    const netrc = join(work, 'netrc');
    await writeFile(netrc, 'machine 127.0.0.1 login bob password hunter2\n');
    await client({ indexUrls: [`${origin}/simple/`], credentials: { netrcPath: netrc, token: null, keyring: keyringOption } }).getProject('flask');
    await assert.rejects(client({ indexUrls: [`${origin}/simple/`], credentials: { netrcPath: null, token: 'tok', keyring: keyringOption } }).getProject('flask'), (error: unknown) => isPavedError(error, 'PAVED_E_UNAUTHORIZED'));
    assert.deepEqual(await calls(), []);
  });

  const failures: { title: string; body: string; timeoutMs?: number; problem: RegExp; runs: number }[] = [
    { title: 'exits with an error', body: 'echo "no such entry s3cret" >&2; exit 1', problem: /exited with status 1/, runs: 2 },
    { title: 'prints nothing', body: 'exit 0', problem: /printed no password/, runs: 2 },
    { title: 'hangs past the time limit', body: 'exec sleep 30', timeoutMs: 300, problem: /did not answer within/, runs: 1 },
    { title: 'floods its output', body: 'head -c 200000 /dev/zero | tr "\\0" x', problem: /printed more than/, runs: 1 },
  ];
  for (const { title, body, timeoutMs, problem, runs } of failures) {
    it(`a keyring that ${title}: no credentials, a warning without secrets, a clear 401`, async () => {
      await fakeKeyring(body);
      const events: IndexClientEvent[] = [];
      const started = Date.now();
      const c = client({ indexUrls: [`${origin.replace('http://', 'http://alice@')}/simple/`], credentials: { netrcPath: null, token: null, keyring: { command: [keyring], ...(timeoutMs === undefined ? {} : { timeoutMs }) } } }, events);
      await assert.rejects(c.getProject('flask'), (error: unknown) => isPavedError(error, 'PAVED_E_UNAUTHORIZED'));
      assert.ok(Date.now() - started < 5000, 'the time limit is honoured');
      const warnings = events.filter((event) => event.type === 'warning');
      assert.equal(warnings.length, 1);
      const message = warnings[0]?.type === 'warning' ? warnings[0].message : '';
      assert.match(message, problem);
      assert.match(message, new RegExp(`no credentials for ${origin.replace(/[.]/g, '\\.')}/simple/ \\(user alice\\)`));
      assert.doesNotMatch(message, /s3cret|xxxx/);
      assert.equal((await calls()).length, runs);
    });
  }

  it('a keyring program that does not exist is a warning naming it', async () => {
    const events: IndexClientEvent[] = [];
    const c = client({ indexUrls: [`${origin}/simple/`], credentials: { netrcPath: null, token: null, keyring: { command: [join(work, 'no-such-keyring')] } } }, events);
    await assert.rejects(c.getProject('flask'), (error: unknown) => isPavedError(error, 'PAVED_E_UNAUTHORIZED'));
    const warning = events.find((event) => event.type === 'warning');
    assert.ok(warning !== undefined && warning.type === 'warning' && /no-such-keyring was not found/.test(warning.message));
  });

  it('wrong credentials from the keyring: the 401 message never shows them', async () => {
    await fakeKeyring('echo wrong-password-123');
    const c = client({ indexUrls: [`${origin.replace('http://', 'http://alice@')}/simple/`], credentials: { netrcPath: null, token: null, keyring: { command: [keyring] } } });
    await assert.rejects(c.getProject('flask'), (error: unknown) => isPavedError(error, 'PAVED_E_UNAUTHORIZED') && !error.message.includes('wrong-password-123') && !(error.hint ?? '').includes('wrong-password-123'));
  });

  it('only index origins are ever prepared; other origins get nothing', async () => {
    await fakeKeyring('echo s3cret');
    const lookup = createCredentialLookup([new URL(`${origin.replace('http://', 'http://alice@')}/simple/`)], { netrcPath: null, token: null, keyring: { command: [keyring] } }, {});
    await lookup.prepare(new URL('https://files.example/x.whl'));
    assert.equal(lookup(new URL('https://files.example/x.whl')), null);
    assert.deepEqual(await calls(), []);
    await lookup.prepare(new URL(`${origin}/simple/flask/`));
    assert.equal(lookup(new URL(`${origin}/files/x.whl`)), `Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
  });
});

describe('createCredentialLookup: which index lends a request its credentials', () => {
  const header = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

  it('sends PAVED_INDEX_TOKEN to the default index only, never to the host of an extra index', () => {
    const lookup = createCredentialLookup([new URL('http://paved.test/acme/main/simple/'), new URL('https://public.test/simple/')], { netrcPath: null }, { PAVED_INDEX_TOKEN: 'tok' });
    assert.equal(lookup(new URL('http://paved.test/acme/main/+f/ab/x-1.0-py3-none-any.whl')), header('__token__', 'tok'));
    assert.equal(lookup(new URL('https://public.test/simple/flask/')), null);
    assert.equal(lookup(new URL('https://public.test/packages/flask-3.0-py3-none-any.whl')), null);
  });

  it('two indexes of one server with different tokens: each index (its pages and the files beside them) gets its own', () => {
    const lookup = createCredentialLookup([new URL('http://u:one@paved.test/acme/one/simple/'), new URL('http://u:two@paved.test/acme/two/simple/')], { netrcPath: null, token: null }, {});
    assert.equal(lookup(new URL('http://paved.test/acme/two/simple/flask/')), header('u', 'two'));
    assert.equal(lookup(new URL('http://paved.test/acme/two/+f/ab/flask-3.0-py3-none-any.whl')), header('u', 'two'));
    assert.equal(lookup(new URL('http://paved.test/acme/one/+f/cd/idna-3.0-py3-none-any.whl')), header('u', 'one'));
    assert.equal(lookup(new URL('http://paved.test/elsewhere/file.whl')), header('u', 'one'), 'the rest of the origin: the first index');
    // devpi's +simple/ root too.
    const devpi = createCredentialLookup([new URL('http://u:d@devpi.test/root/pypi/+simple/')], { netrcPath: null, token: null }, {});
    assert.equal(lookup(new URL('http://other.test/x')), null);
    assert.equal(devpi(new URL('http://devpi.test/root/pypi/+f/ab/x.whl')), header('u', 'd'));
  });

  it('a literal % in a password is taken as written, not a crash', () => {
    const lookup = createCredentialLookup([new URL('http://alice:pa%zz@paved.test/simple/')], { netrcPath: null, token: null }, {});
    assert.equal(lookup(new URL('http://paved.test/simple/x/')), header('alice', 'pa%zz'));
    const encoded = createCredentialLookup([new URL('http://alice:p%40ss@paved.test/simple/')], { netrcPath: null, token: null }, {});
    assert.equal(encoded(new URL('http://paved.test/simple/x/')), header('alice', 'p@ss'));
  });
});
