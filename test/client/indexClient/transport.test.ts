import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIndexClient } from '../../../src/client/indexClient/indexClient.js';
import { createHttpTransport } from '../../../src/client/indexClient/httpTransport.js';
import { findNetrcEntry, parseNetrc } from '../../../src/client/indexClient/netrc.js';
import { proxyFor, readProxySettings } from '../../../src/client/indexClient/proxySelection.js';
import { isPavedError } from '../../../src/errors.js';

const PAGE = '<!DOCTYPE html><html><body><a href="demo-1.0-py3-none-any.whl#sha256=' + 'a'.repeat(64) + '">demo-1.0-py3-none-any.whl</a></body></html>';

function listen(server: Server): Promise<number> {
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done((server.address() as AddressInfo).port)));
}
function close(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}

describe('netrc', () => {
  const cases: [string, string, string, { login: string | null; password: string | null } | null][] = [
    ['one line', 'machine pypi.acme.com login alice password s3cret', 'pypi.acme.com', { login: 'alice', password: 's3cret' }],
    ['multi-line, case-insensitive host', 'machine PyPI.acme.com\n  login alice\n  password s3cret\n', 'pypi.ACME.com', { login: 'alice', password: 's3cret' }],
    ['default fallback', 'machine a.example login a password 1\ndefault login anon password guest', 'b.example', { login: 'anon', password: 'guest' }],
    ['own machine before default', 'default login anon password guest\nmachine b.example login b password 2', 'b.example', { login: 'b', password: '2' }],
    ['comments and macdef skipped', '# machine evil login x password y\nmacdef init\nmachine evil login x password y\n\nmachine ok login o password k', 'evil', null],
    ['quoted password with spaces', 'machine q login u password "a b\\"c"', 'q', { login: 'u', password: 'a b"c' }],
    ['no entry', 'machine a login b password c', 'z', null],
    ['truncated file', 'machine a login', 'a', { login: '', password: null }],
  ];
  for (const [what, text, host, expected] of cases) {
    it(what, () => {
      const entry = findNetrcEntry(parseNetrc(text), host);
      assert.deepEqual(entry === null ? null : { login: entry.login, password: entry.password }, expected);
    });
  }
});

describe('proxy selection', () => {
  const env = { HTTPS_PROXY: 'http://user:pw@proxy.corp:3128', http_proxy: 'proxy.corp:8080', NO_PROXY: 'localhost, .internal.corp, pypi.acme.com:8443, [::1]' };
  const settings = readProxySettings(env);
  const cases: [string, string | null][] = [
    ['https://pypi.org/simple/', 'http://user:pw@proxy.corp:3128/'],
    ['http://pypi.org/simple/', 'http://proxy.corp:8080/'],
    ['http://localhost:3141/simple/', null],
    ['https://a.internal.corp/simple/', null],
    ['https://internal.corp/simple/', null],
    ['https://notinternal.corp/simple/', 'http://user:pw@proxy.corp:3128/'],
    ['https://pypi.acme.com:8443/simple/', null],
    ['https://pypi.acme.com/simple/', 'http://user:pw@proxy.corp:3128/'],
    ['http://[::1]:3141/simple/', null],
  ];
  for (const [target, expected] of cases) {
    it(`${target} → ${expected ?? 'direct'}`, () => {
      assert.equal(proxyFor(settings, new URL(target))?.href ?? null, expected);
    });
  }
  it('NO_PROXY takes CIDR ranges (IPv4 and IPv6) for hosts written as addresses', () => {
    const cidr = readProxySettings({ HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://p:1', NO_PROXY: '127.0.0.0/8, 10.1.0.0/16, ::1/128, [fd00::]/8' });
    const via = (target: string): string | null => proxyFor(cidr, new URL(target))?.href ?? null;
    assert.equal(via('http://127.0.0.1:3141/simple/'), null);
    assert.equal(via('https://127.200.3.4/simple/'), null);
    assert.equal(via('https://10.1.255.1/simple/'), null);
    assert.equal(via('https://10.2.0.1/simple/'), 'http://p:1/');
    assert.equal(via('http://[::1]:3141/simple/'), null);
    assert.equal(via('https://[fd12::5]/simple/'), null);
    assert.equal(via('https://[fe80::1]/simple/'), 'http://p:1/');
    // A name is not resolved to see whether it falls in a range.
    assert.equal(via('https://localhost/simple/'), 'http://p:1/');
  });

  it('ALL_PROXY (or all_proxy) is the proxy of both schemes unless HTTPS_PROXY / HTTP_PROXY set their own', () => {
    for (const name of ['ALL_PROXY', 'all_proxy']) {
      const settings = readProxySettings({ [name]: 'proxy.corp:3128', NO_PROXY: 'localhost' });
      assert.equal(proxyFor(settings, new URL('https://pypi.org/simple/'))?.href, 'http://proxy.corp:3128/');
      assert.equal(proxyFor(settings, new URL('http://pypi.org/simple/'))?.href, 'http://proxy.corp:3128/');
      assert.equal(proxyFor(settings, new URL('http://localhost/simple/')), null);
    }
    const mixed = readProxySettings({ ALL_PROXY: 'http://all:1', HTTPS_PROXY: 'http://secure:2' });
    assert.equal(proxyFor(mixed, new URL('https://pypi.org/'))?.href, 'http://secure:2/');
    assert.equal(proxyFor(mixed, new URL('http://pypi.org/'))?.href, 'http://all:1/');
    assert.throws(() => readProxySettings({ ALL_PROXY: 'socks5://p:1080' }), (e: unknown) => isPavedError(e, 'PAVED_E_CONFIG') && /ALL_PROXY uses socks5/.test(e.message));
  });

  it('NO_PROXY=* bypasses everything; an https:// proxy or a bad URL is a config error', () => {
    assert.equal(proxyFor(readProxySettings({ HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }), new URL('https://x/')), null);
    assert.throws(() => readProxySettings({ HTTPS_PROXY: 'https://p:1' }), (e: unknown) => isPavedError(e, 'PAVED_E_CONFIG'));
    assert.throws(() => readProxySettings({ HTTPS_PROXY: 'http://user:secret@[bad' }), (e: unknown) => isPavedError(e, 'PAVED_E_CONFIG') && !e.message.includes('secret'));
  });
});

describe('proxies and TLS', () => {
  let dir: string;
  let cert: string;
  let key: string;
  let httpsServer: Server;
  let httpsPort: number;
  let httpServer: Server;
  let httpPort: number;
  let proxy: Server;
  let proxyPort: number;
  const proxied: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paved-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cert = await readFile(join(dir, 'cert.pem'), 'utf8');
    key = await readFile(join(dir, 'key.pem'), 'utf8');
    const handler = (_request: unknown, response: { writeHead(s: number, h: Record<string, string>): void; end(b: string): void }): void => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end(PAGE);
    };
    httpsServer = createHttpsServer({ cert, key }, handler);
    httpsPort = await listen(httpsServer);
    httpServer = createHttpServer(handler);
    httpPort = await listen(httpServer);
    // A forward proxy: absolute-form requests for http, CONNECT tunnels for https.
    proxy = createHttpServer((request, response) => {
      proxied.push(`GET ${request.url ?? ''} ${request.headers['proxy-authorization'] ?? ''}`);
      const target = new URL(request.url ?? '');
      const upstream = httpRequest({ host: target.hostname, port: target.port, path: target.pathname, headers: { accept: request.headers.accept ?? '' } }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      upstream.end();
    });
    proxy.on('connect', (request, socket) => {
      proxied.push(`CONNECT ${request.url ?? ''} ${request.headers['proxy-authorization'] ?? ''}`);
      const [host, port] = (request.url ?? '').split(':');
      const upstream = connect(Number(port), host ?? '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    proxyPort = await listen(proxy);
  });
  after(async () => {
    await close(httpsServer);
    await close(httpServer);
    await close(proxy);
    await rm(dir, { recursive: true, force: true });
  });

  it('an untrusted certificate is a PAVED_E_TLS error naming the problem', async () => {
    const client = createIndexClient({ indexUrls: [`https://127.0.0.1:${httpsPort}/simple/`], env: {}, retries: 0 });
    try {
      await assert.rejects(client.getProject('demo'), (error: unknown) => {
        assert.ok(isPavedError(error, 'PAVED_E_TLS'), String(error));
        assert.match(error.message, /self-signed/);
        assert.match(error.hint ?? '', /SSL_CERT_FILE/);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it('SSL_CERT_FILE makes a private CA trusted', async () => {
    const client = createIndexClient({ indexUrls: [`https://127.0.0.1:${httpsPort}/simple/`], env: { SSL_CERT_FILE: join(dir, 'cert.pem') } });
    try {
      assert.equal((await client.getProject('demo')).files.length, 1);
    } finally {
      await client.close();
    }
  });

  it('a missing SSL_CERT_FILE is a config error', async () => {
    const client = createIndexClient({ indexUrls: [`https://127.0.0.1:${httpsPort}/simple/`], env: { SSL_CERT_FILE: join(dir, 'nope.pem') } });
    await assert.rejects(client.getProject('demo'), (error: unknown) => isPavedError(error, 'PAVED_E_CONFIG'));
    await client.close();
  });

  it('https goes through HTTPS_PROXY with CONNECT (with proxy credentials); http through HTTP_PROXY', async () => {
    const env = {
      SSL_CERT_FILE: join(dir, 'cert.pem'),
      HTTPS_PROXY: `http://pu:pp@127.0.0.1:${proxyPort}`,
      HTTP_PROXY: `http://127.0.0.1:${proxyPort}`,
    };
    const client = createIndexClient({ indexUrls: [`https://localhost:${httpsPort}/simple/`, `http://localhost:${httpPort}/other/`], env });
    try {
      assert.equal((await client.getProject('demo')).files.length, 1);
      assert.equal(proxied.at(-1), `CONNECT localhost:${httpsPort} Basic ${Buffer.from('pu:pp').toString('base64')}`);
      const plain = createIndexClient({ indexUrls: [`http://localhost:${httpPort}/simple/`], env });
      assert.equal((await plain.getProject('demo')).files.length, 1);
      assert.equal(proxied.at(-1), `GET http://localhost:${httpPort}/simple/demo/ `);
      await plain.close();
      const bypass = createIndexClient({ indexUrls: [`http://127.0.0.1:${httpPort}/simple/`], env: { ...env, NO_PROXY: '127.0.0.1' } });
      const count = proxied.length;
      assert.equal((await bypass.getProject('demo')).files.length, 1);
      assert.equal(proxied.length, count);
      await bypass.close();
    } finally {
      await client.close();
    }
  });

  it('an unreachable proxy is a PAVED_E_PROXY error, for http indexes too', async () => {
    const client = createIndexClient({ indexUrls: [`https://localhost:${httpsPort}/simple/`], env: { HTTPS_PROXY: 'http://127.0.0.1:1' }, retries: 0 });
    await assert.rejects(client.getProject('demo'), (error: unknown) => isPavedError(error, 'PAVED_E_PROXY'));
    await client.close();
    const plain = createIndexClient({ indexUrls: [`http://localhost:${httpPort}/simple/`], env: { HTTP_PROXY: 'http://127.0.0.1:1' }, retries: 0 });
    await assert.rejects(plain.getProject('demo'), (error: unknown) => isPavedError(error, 'PAVED_E_PROXY') && /could not reach the proxy http:\/\/127\.0\.0\.1:1\/: ECONNREFUSED/.test(error.message));
    await plain.close();
  });

  it('a proxy that wants credentials (407) and one that never answers CONNECT are proxy errors, not a hang', async () => {
    const sockets = new Set<import('node:stream').Duplex>();
    const picky = createHttpServer((_request, response) => void response.writeHead(407, { 'Proxy-Authenticate': 'Basic' }).end());
    // Accepts the connection and the CONNECT request, and never answers.
    picky.on('connect', (_request, socket) => void sockets.add(socket));
    const port = await listen(picky);
    try {
      const plain = createIndexClient({ indexUrls: [`http://localhost:${httpPort}/simple/`], env: { HTTP_PROXY: `http://127.0.0.1:${port}` }, retries: 0 });
      await assert.rejects(plain.getProject('demo'), (error: unknown) => isPavedError(error, 'PAVED_E_PROXY') && /\(407\)/.test(error.message) && /HTTP_PROXY/.test(error.hint ?? ''));
      await plain.close();
      const tunnel = createIndexClient({ indexUrls: [`https://localhost:${httpsPort}/simple/`], env: { HTTPS_PROXY: `http://127.0.0.1:${port}` }, retries: 0, timeoutMs: 300 });
      await assert.rejects(tunnel.getProject('demo'), (error: unknown) => isPavedError(error, 'PAVED_E_PROXY') && /did not answer CONNECT localhost:\d+ within 300 ms/.test(error.message));
      await tunnel.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      await close(picky);
    }
  });
});

describe('credentials a request carries', () => {
  it('a URL with its own user info sends it (a wheel named by an authenticated URL), other URLs nothing', async () => {
    const seen: string[] = [];
    const server = createHttpServer((request, response) => {
      seen.push(request.headers.authorization ?? '-');
      response.writeHead(200).end('ok');
    });
    const port = await listen(server);
    const transport = createHttpTransport({ timeoutMs: 5000, retries: 0, retryDelayMs: 1, maxRetryDelayMs: 1, userAgent: 'test', maxSockets: 2, authorizationFor: () => null, proxyFor: () => null, ca: null });
    try {
      for (const url of [`http://alice:p%40ss@127.0.0.1:${port}/pkg-1.0-py3-none-any.whl`, `http://127.0.0.1:${port}/other`]) {
        const response = await transport.get(new URL(url));
        transport.discard(response);
      }
      assert.deepEqual(seen, [`Basic ${Buffer.from('alice:p@ss').toString('base64')}`, '-']);
    } finally {
      await transport.close();
      await close(server);
    }
  });
});
