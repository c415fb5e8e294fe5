/**
 * HTTPS trust and proxies against real local servers: a private CA made with openssl, https
 * servers with a good, an expired and a wrong-host certificate, and a forward proxy (absolute
 * GETs and CONNECT) that sends every host name to 127.0.0.1, so that host names like
 * `index.test` on default ports can be tested without DNS or privileged ports.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIndexClient, type IndexClientOptions } from '../../../src/client/indexClient/indexClient.js';
import { pavedFailure } from '../../fixtures/pavedFailure.js';

const PAGE = '<!DOCTYPE html><html><body><a href="demo-1.0-py3-none-any.whl#sha256=' + 'a'.repeat(64) + '">demo-1.0-py3-none-any.whl</a></body></html>';
const BASIC_UP = `Basic ${Buffer.from('u:p').toString('base64')}`;

let dir: string;
let caFile: string;
const servers: Server[] = [];
/** Requests the https servers saw: `<host header> <path> <authorization or ->`. */
const seenHttps: string[] = [];
/** Requests the proxies saw: `GET <absolute url>` or `CONNECT <authority>`. */
const proxied: string[] = [];
let httpsPort: number;
let httpsV6Port: number;
let expiredPort: number;
let wrongHostPort: number;
let plainPort: number;
let proxyPort: number;
let proxyV6Port: number | null = null;
let ipv6Unavailable: string | null = null;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A key and a certificate for `san`, signed by the test CA; `dates` makes an expired one. */
function issue(name: string, san: string, dates?: { start: string; end: string }): { key: string; cert: string } {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  execFileSync('sh', ['-c', `printf 'subjectAltName=${san}\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ${name}.ext`], { cwd: dir });
  if (dates === undefined) {
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
  } else {
    // `openssl x509` cannot back-date before OpenSSL 3.4; `openssl ca` can.
    openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${name}.csr`, '-out', `${name}.pem`, '-startdate', dates.start, '-enddate', dates.end, '-extfile', `${name}.ext`, '-notext']);
  }
  return { key: execFileSync('cat', [`${name}.key`], { cwd: dir, encoding: 'utf8' }), cert: execFileSync('cat', [`${name}.pem`], { cwd: dir, encoding: 'utf8' }) };
}

function listen(server: Server, host: string): Promise<number> {
  servers.push(server);
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, host, () => done((server.address() as AddressInfo).port));
  });
}

const pageHandler = (request: IncomingMessage, response: ServerResponse): void => {
  seenHttps.push(`${request.headers.host ?? ''} ${request.url ?? ''} ${request.headers.authorization ?? '-'}`);
  response.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
};

/** A forward proxy: every host name is 127.0.0.1; CONNECT to port 443 goes to the good https server. */
function forwardProxy(): Server {
  const proxy = createHttpServer((request, response) => {
    proxied.push(`GET ${request.url ?? ''}`);
    const target = new URL(request.url ?? '');
    const upstream = httpRequest({ host: '127.0.0.1', port: target.port === '' ? plainPort : Number(target.port), path: `${target.pathname}${target.search}`, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    upstream.end();
  });
  proxy.on('connect', (request: IncomingMessage, socket) => {
    proxied.push(`CONNECT ${request.url ?? ''}`);
    const authority = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(request.url ?? '');
    if (authority === null) return void socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    const host = (authority[1] as string).replace(/^\[|\]$/g, '');
    const port = Number(authority[2]);
    const upstream = connect(port === 443 ? httpsPort : port, host.includes(':') ? host : '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  return proxy;
}

const clients: { close(): Promise<void> }[] = [];
function client(options: Partial<IndexClientOptions> & Pick<IndexClientOptions, 'indexUrls'>): ReturnType<typeof createIndexClient> {
  const made = createIndexClient({ env: {}, retries: 0, systemCaBundles: [], ...options });
  clients.push(made);
  return made;
}


before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paved-tls-proxies-'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Paved Test CA']);
  caFile = join(dir, 'ca.pem');
  await mkdir(join(dir, 'cadb'));
  await writeFile(join(dir, 'cadb', 'index.txt'), '');
  await writeFile(join(dir, 'cadb', 'serial'), '01\n');
  await writeFile(join(dir, 'ca.cnf'), '[ca]\ndefault_ca = c\n[c]\ndir = cadb\ndatabase = cadb/index.txt\nnew_certs_dir = cadb\nserial = cadb/serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n');
  const good = issue('good', 'DNS:localhost,DNS:index.test,DNS:other.test,IP:127.0.0.1,IP:::1');
  const expired = issue('expired', 'DNS:localhost,IP:127.0.0.1', { start: '20200101000000Z', end: '20200201000000Z' });
  const wrongHost = issue('wronghost', 'DNS:elsewhere.test');
  httpsPort = await listen(createHttpsServer(good, pageHandler), '127.0.0.1');
  expiredPort = await listen(createHttpsServer(expired, pageHandler), '127.0.0.1');
  wrongHostPort = await listen(createHttpsServer(wrongHost, pageHandler), '127.0.0.1');
  // The plain-http side of an index: redirects to https, or serves the page itself.
  plainPort = await listen(
    createHttpServer((request, response) => {
      const host = (request.headers.host ?? '').replace(/:\d+$/, '');
      if (request.url === '/simple/demo/' && host === 'index.test') return void response.writeHead(301, { Location: 'https://index.test/simple/demo/' }).end();
      if (request.url === '/cross/demo/') return void response.writeHead(301, { Location: 'https://other.test/cross/demo/' }).end();
      pageHandler(request, response);
    }),
    '127.0.0.1',
  );
  proxyPort = await listen(forwardProxy(), '127.0.0.1');
  try {
    httpsV6Port = await listen(createHttpsServer(good, pageHandler), '::1');
    proxyV6Port = await listen(forwardProxy(), '::1');
  } catch (error) {
    ipv6Unavailable = `::1 cannot be bound here (${(error as { code?: string }).code ?? String(error)})`;
  }
});

after(async () => {
  for (const c of clients) await c.close();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }
  await rm(dir, { recursive: true, force: true });
});

describe('what HTTPS trusts', () => {
  it("a CA in the system's bundle is trusted without SSL_CERT_FILE; without it the same server is an unknown authority", async () => {
    const bundle = join(dir, 'system-ca-certificates.crt');
    // A system bundle holds many certificates; the company CA is one of them.
    await writeFile(bundle, `${(await readFile(caFile, 'utf8'))}\n`);
    const url = `https://127.0.0.1:${httpsPort}/simple/`;
    assert.equal((await client({ indexUrls: [url], systemCaBundles: [join(dir, 'missing.crt'), bundle] }).getProject('demo')).files.length, 1);
    const untrusted = await pavedFailure(client({ indexUrls: [url], systemCaBundles: [join(dir, 'missing.crt')] }).getProject('demo'));
    assert.equal(untrusted.code, 'PAVED_E_TLS');
    assert.match(untrusted.hint ?? '', /SSL_CERT_FILE/);
  });

  it('an SSL_CERT_FILE without a PEM certificate is a config error naming the file, not silently ignored', async () => {
    const garbage = join(dir, 'not-a-bundle.pem');
    await writeFile(garbage, '<html>proxy login</html>\n');
    const error = await pavedFailure(client({ indexUrls: [`https://127.0.0.1:${httpsPort}/simple/`], env: { SSL_CERT_FILE: garbage } }).getProject('demo'));
    assert.equal(error.code, 'PAVED_E_CONFIG');
    assert.match(error.message, /not-a-bundle\.pem \(SSL_CERT_FILE\) contains no PEM certificate/);
  });

  it('an expired or wrong-host certificate is named, and the hint does not suggest SSL_CERT_FILE', async () => {
    const expired = await pavedFailure(client({ indexUrls: [`https://127.0.0.1:${expiredPort}/simple/`], env: { SSL_CERT_FILE: caFile } }).getProject('demo'));
    assert.equal(expired.code, 'PAVED_E_TLS');
    assert.match(expired.message, /expired \(CERT_HAS_EXPIRED\)/);
    assert.match(expired.hint ?? '', /renew/);
    const wrongHost = await pavedFailure(client({ indexUrls: [`https://localhost:${wrongHostPort}/simple/`], env: { SSL_CERT_FILE: caFile } }).getProject('demo'));
    assert.equal(wrongHost.code, 'PAVED_E_TLS');
    assert.match(wrongHost.message, /does not name this host/);
    for (const error of [expired, wrongHost]) assert.doesNotMatch(error.hint ?? '', /SSL_CERT_FILE|NODE_EXTRA_CA_CERTS/);
  });
});

describe('credentials across redirects (through the proxy, so that default ports can be used)', () => {
  const env = (): Record<string, string> => ({ HTTP_PROXY: `http://127.0.0.1:${proxyPort}`, HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`, SSL_CERT_FILE: caFile });

  it('an http → https redirect on the same host keeps the index credentials', async () => {
    const project = await client({ indexUrls: ['http://u:p@index.test/simple/'], env: env() }).getProject('demo');
    assert.equal(project.files.length, 1);
    assert.deepEqual(proxied.slice(-2), ['GET http://index.test/simple/demo/', 'CONNECT index.test:443']);
    assert.equal(seenHttps.at(-1), `index.test /simple/demo/ ${BASIC_UP}`);
  });

  it('a redirect to https on another host carries none', async () => {
    const project = await client({ indexUrls: ['http://u:p@index.test/cross/'], env: env() }).getProject('demo');
    assert.equal(project.files.length, 1);
    assert.deepEqual(proxied.slice(-2), ['GET http://index.test/cross/demo/', 'CONNECT other.test:443']);
    assert.equal(seenHttps.at(-1), 'other.test /cross/demo/ -');
  });
});

describe('an IPv6 proxy', () => {
  it('HTTP_PROXY / HTTPS_PROXY = http://[::1]:PORT work for http and https indexes; CONNECT names an IPv6 index in brackets', async (t) => {
    if (ipv6Unavailable !== null || proxyV6Port === null) return t.skip(ipv6Unavailable ?? 'no IPv6 proxy');
    const proxy = `http://[::1]:${proxyV6Port}`;
    const env = { HTTP_PROXY: proxy, HTTPS_PROXY: proxy, SSL_CERT_FILE: caFile };
    assert.equal((await client({ indexUrls: [`http://127.0.0.1:${plainPort}/simple/`], env }).getProject('demo')).files.length, 1);
    assert.equal(proxied.at(-1), `GET http://127.0.0.1:${plainPort}/simple/demo/`);
    assert.equal((await client({ indexUrls: [`https://[::1]:${httpsV6Port}/simple/`], env }).getProject('demo')).files.length, 1);
    assert.equal(proxied.at(-1), `CONNECT [::1]:${httpsV6Port}`);
    assert.equal((await client({ indexUrls: [`https://localhost:${httpsPort}/simple/`], env }).getProject('demo')).files.length, 1);
    assert.equal(proxied.at(-1), `CONNECT localhost:${httpsPort}`);
  });
});
