import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIndex, setYanked } from '../../../src/index/admin/adminOperations.js';
import { parseToken } from '../../../src/index/auth/tokens.js';
import { openDataDir } from '../../../src/index/dataDir.js';
import { buildSdist, buildWheel } from '../../fixtures/buildDistributions.js';
import { buildMultipart } from '../../fixtures/multipart.js';
import { basicToken, startTestServer, type TestServer } from '../../fixtures/testServer.js';

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

interface UploadOptions {
  index?: string;
  token?: string | null;
  fields?: [string, string][];
  filename?: string;
}

async function upload(server: TestServer, data: Buffer, filename: string, options: UploadOptions = {}) {
  const fields: [string, string][] = options.fields ?? [
    [':action', 'file_upload'],
    ['protocol_version', '1'],
    ['sha256_digest', sha256(data)],
  ];
  const { body, contentType } = buildMultipart(fields, [{ field: 'content', filename: options.filename ?? filename, data }]);
  const headers: Record<string, string> = { 'content-type': contentType };
  if (options.token !== null) headers['authorization'] = basicToken(options.token ?? server.adminToken);
  return server.app.inject({ method: 'POST', url: `/${options.index ?? 'root/main'}/`, headers, payload: body });
}

describe('index server: read API, upload, files', () => {
  let server: TestServer;
  let wheel: Buffer;
  const wheelName = 'demo_pkg-1.0.0-py3-none-any.whl';

  before(async () => {
    server = await startTestServer();
    wheel = await buildWheel({ name: 'Demo_Pkg', version: '1.0.0', metadata: { requiresPython: '>=3.8', summary: 'a demo' } });
  });
  after(() => server.close());

  it('serves an empty /simple/ in HTML with the repository version, and JSON on request', async () => {
    const html = await server.app.inject({ url: '/simple/' });
    assert.equal(html.statusCode, 200);
    assert.match(html.headers['content-type'] as string, /^text\/html/);
    assert.match(html.body, /pypi:repository-version/);
    assert.match(html.headers['vary'] as string, /Accept/);
    const json = await server.app.inject({ url: '/simple/', headers: { accept: JSON_TYPE } });
    assert.equal(json.headers['content-type'], JSON_TYPE);
    assert.deepEqual(JSON.parse(json.body).projects, []);
  });

  it('answers 406 when no offered media type is acceptable', async () => {
    const r = await server.app.inject({ url: '/simple/', headers: { accept: 'image/png' } });
    assert.equal(r.statusCode, 406);
  });

  it('accepts a twine-style upload and lists the file with hash, requires-python, size and core metadata', async () => {
    const r = await upload(server, wheel, wheelName);
    assert.equal(r.statusCode, 200, r.body);
    const page = await server.app.inject({ url: '/simple/demo-pkg/', headers: { accept: JSON_TYPE } });
    assert.equal(page.statusCode, 200);
    const doc = JSON.parse(page.body);
    assert.equal(doc.name, 'Demo_Pkg');
    assert.deepEqual(doc.versions, ['1.0.0']);
    assert.equal(doc.files.length, 1);
    const f = doc.files[0];
    assert.equal(f.filename, wheelName);
    assert.equal(f.hashes.sha256, sha256(wheel));
    assert.equal(f['requires-python'], '>=3.8');
    assert.equal(f.size, wheel.length);
    assert.ok(typeof f['upload-time'] === 'string');
    assert.ok(f['core-metadata'].sha256);
    assert.deepEqual(f['core-metadata'], f['dist-info-metadata']);

    const html = await server.app.inject({ url: '/root/main/simple/demo-pkg/' });
    assert.match(html.body, new RegExp(`#sha256=${sha256(wheel)}`));
    assert.match(html.body, /data-requires-python="&gt;=3.8"/);
    assert.match(html.body, /data-core-metadata="sha256=/);
    assert.match(html.body, /data-dist-info-metadata="sha256=/);
  });

  it('serves the file (whole and by range) and its PEP 658 metadata file', async () => {
    const doc = JSON.parse((await server.app.inject({ url: '/simple/demo-pkg/', headers: { accept: JSON_TYPE } })).body);
    const fileUrl = new URL(doc.files[0].url, 'http://x/simple/demo-pkg/').pathname;
    const whole = await server.app.inject({ url: fileUrl });
    assert.equal(whole.statusCode, 200);
    assert.equal(whole.headers['content-type'], 'application/zip');
    assert.equal(Number(whole.headers['content-length']), wheel.length);
    assert.ok(whole.rawPayload.equals(wheel));

    const part = await server.app.inject({ url: fileUrl, headers: { range: 'bytes=0-9' } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], `bytes 0-9/${wheel.length}`);
    assert.ok(part.rawPayload.equals(wheel.subarray(0, 10)));
    const tail = await server.app.inject({ url: fileUrl, headers: { range: 'bytes=-22' } });
    assert.ok(tail.rawPayload.equals(wheel.subarray(wheel.length - 22)));
    const bad = await server.app.inject({ url: fileUrl, headers: { range: `bytes=${wheel.length + 5}-` } });
    assert.equal(bad.statusCode, 416);

    const meta = await server.app.inject({ url: `${fileUrl}.metadata` });
    assert.equal(meta.statusCode, 200);
    assert.match(meta.body, /^Metadata-Version: /);
    assert.match(meta.body, /Name: Demo_Pkg/);
    assert.equal(sha256(meta.rawPayload), doc.files[0]['core-metadata'].sha256);

    const wrongHash = fileUrl.replace(/\/\+f\/[0-9a-f]{64}\//, `/+f/${'0'.repeat(64)}/`);
    assert.equal((await server.app.inject({ url: wrongHash })).statusCode, 404);
    assert.equal((await server.app.inject({ url: fileUrl.replace(/\/\+f\/[0-9a-f]{64}\//, '/+f/..%2F..%2Fetc/') })).statusCode, 404);
  });

  it('redirects non-normalised project names and missing slashes', async () => {
    const r = await server.app.inject({ url: '/simple/Demo_Pkg/' });
    assert.equal(r.statusCode, 301);
    assert.equal(r.headers['location'], '../demo-pkg/');
    const s = await server.app.inject({ url: '/root/main/simple/demo-pkg' });
    assert.equal(s.statusCode, 301);
    assert.equal(s.headers['location'], '/root/main/simple/demo-pkg/');
  });

  it('answers 304 to a matching If-None-Match and a new ETag after a change', async () => {
    const first = await server.app.inject({ url: '/simple/demo-pkg/' });
    const etag = first.headers['etag'] as string;
    assert.ok(etag);
    const again = await server.app.inject({ url: '/simple/demo-pkg/', headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
    await setYanked(server.storage.catalog, { index: 'root/main', project: 'demo-pkg', version: '1.0.0', yanked: true, reason: 'broken <build>' });
    const changed = await server.app.inject({ url: '/simple/demo-pkg/', headers: { 'if-none-match': etag } });
    assert.equal(changed.statusCode, 200);
    assert.match(changed.body, /data-yanked="broken &lt;build&gt;"/);
    const json = JSON.parse((await server.app.inject({ url: '/simple/demo-pkg/', headers: { accept: JSON_TYPE } })).body);
    assert.equal(json.files[0].yanked, 'broken <build>');
    await setYanked(server.storage.catalog, { index: 'root/main', project: 'demo-pkg', version: '1.0.0', yanked: false });
    const restored = JSON.parse((await server.app.inject({ url: '/simple/demo-pkg/', headers: { accept: JSON_TYPE } })).body);
    assert.equal(restored.files[0].yanked, false);
  });

  it('answers 200 to an identical re-upload and 400 "File already exists" to different bytes', async () => {
    const same = await upload(server, wheel, wheelName);
    assert.equal(same.statusCode, 200);
    const other = await buildWheel({ name: 'Demo_Pkg', version: '1.0.0', files: { 'demo_pkg/extra.py': 'x = 1\n' } });
    const conflict = await upload(server, other, wheelName);
    assert.equal(conflict.statusCode, 400);
    assert.match(conflict.body, /File already exists/);
  });

  it('takes sdists (PKG-INFO) next to wheels', async () => {
    const sdist = await buildSdist({ name: 'demo_pkg', version: '1.1.0' });
    const r = await upload(server, sdist, 'demo_pkg-1.1.0.tar.gz');
    assert.equal(r.statusCode, 200, r.body);
    const doc = JSON.parse((await server.app.inject({ url: '/simple/demo-pkg/', headers: { accept: JSON_TYPE } })).body);
    assert.deepEqual(doc.versions, ['1.0.0', '1.1.0']);
    const sd = doc.files.find((f: { filename: string }) => f.filename === 'demo_pkg-1.1.0.tar.gz');
    assert.equal(sd['core-metadata'], false);
  });

  it('lists projects in the index list', async () => {
    const doc = JSON.parse((await server.app.inject({ url: '/root/main/simple/', headers: { accept: JSON_TYPE } })).body);
    assert.deepEqual(doc.projects.map((p: { name: string }) => p.name), ['Demo_Pkg']);
  });

  it('has a health endpoint for load balancers', async () => {
    const r = await server.app.inject({ url: '/+health' });
    assert.equal(r.statusCode, 200);
    assert.equal(JSON.parse(r.body).status, 'ok');
  });
});

describe('index server: auth', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await createIndex(server.storage.catalog, { path: 'acme/secret', anonymousRead: false });
  });
  after(() => server.close());

  it('refuses anonymous uploads with 401 and a Basic challenge', async () => {
    const wheel = await buildWheel({ name: 'a', version: '1' });
    const r = await upload(server, wheel, 'a-1-py3-none-any.whl', { token: null });
    assert.equal(r.statusCode, 401);
    assert.match(r.headers['www-authenticate'] as string, /Basic/);
    assert.match(r.body, /authentication required/);
  });

  it('refuses a token without upload scope with 403 naming the scope needed', async () => {
    const reader = await server.token('reader', 'read:root/main');
    const wheel = await buildWheel({ name: 'a', version: '1' });
    const r = await upload(server, wheel, 'a-1-py3-none-any.whl', { token: reader });
    assert.equal(r.statusCode, 403);
    assert.match(r.body, /upload:root\/main/);
  });

  it('accepts Bearer tokens and scoped upload tokens', async () => {
    const uploader = await server.token('ci', 'upload:root/main');
    const wheel = await buildWheel({ name: 'b', version: '1' });
    const r = await upload(server, wheel, 'b-1-py3-none-any.whl', { token: uploader });
    assert.equal(r.statusCode, 200, r.body);
    const who = await server.app.inject({ url: '/+api/whoami', headers: { authorization: `Bearer ${uploader}` } });
    assert.equal(JSON.parse(who.body).user, 'ci');
  });

  it('answers bad, garbage, revoked and oversized credentials with 401, never 500, never echoing them', async () => {
    const token = await server.token('temp', 'read:*');
    const id = token.split('_')[1]!;
    const wrongSecret = `paved_${id}_${'A'.repeat(43)}`;
    const cases = [
      `Bearer ${wrongSecret}`,
      'Bearer not-a-token',
      'Basic !!!!',
      `Basic ${Buffer.from('nouser').toString('base64')}`,
      `Basic ${Buffer.from('ghost:password123').toString('base64')}`,
      `Digest ${'x'.repeat(100)}`,
      `Bearer ${'x'.repeat(5000)}`,
    ];
    for (const authorization of cases) {
      const r = await server.app.inject({ url: '/+api/whoami', headers: { authorization } });
      assert.equal(r.statusCode, 401, authorization.slice(0, 30));
      assert.ok(!r.body.includes(wrongSecret) && !r.body.includes('A'.repeat(43)));
    }
    await server.app.inject({ method: 'DELETE', url: `/+api/tokens/${id}`, headers: { authorization: `Bearer ${server.adminToken}` } });
    const revoked = await server.app.inject({ url: '/+api/whoami', headers: { authorization: `Bearer ${token}` } });
    assert.equal(revoked.statusCode, 401);
    assert.match(revoked.body, /revoked/);
  });

  it('keeps indexes without anonymous read closed to anonymous clients', async () => {
    assert.equal((await server.app.inject({ url: '/acme/secret/simple/' })).statusCode, 401);
    const reader = await server.token('r2', 'read:acme/secret');
    const ok = await server.app.inject({ url: '/acme/secret/simple/', headers: { authorization: basicToken(reader) } });
    assert.equal(ok.statusCode, 200);
    const otherReader = await server.token('r3', 'read:root/main');
    assert.equal((await server.app.inject({ url: '/acme/secret/simple/', headers: { authorization: basicToken(otherReader) } })).statusCode, 403);
    // Its name is not listed to those who may not read it.
    const anonymousList = JSON.parse((await server.app.inject({ url: '/+api/indexes' })).body).indexes.map((i: { path: string }) => i.path);
    assert.deepEqual(anonymousList, ['root/main']);
    assert.ok(!(await server.app.inject({ url: '/' })).body.includes('acme/secret'));
    const readerList = JSON.parse((await server.app.inject({ url: '/+api/indexes', headers: { authorization: basicToken(reader) } })).body).indexes.map((i: { path: string }) => i.path);
    assert.deepEqual(readerList.sort(), ['acme/secret', 'root/main']);
  });

  it('never writes a token secret into the access log', async () => {
    const serialized = JSON.stringify(server.access);
    assert.ok(!serialized.includes(server.adminToken));
    // The whole secret part (which may itself contain '_', so not a split on it).
    assert.ok(!serialized.includes(parseToken(server.adminToken)!.secret));
    assert.ok(server.access.every((e) => typeof e.requestId === 'string' && e.status >= 100 && e.durationMs >= 0));
    // Who did it is logged by name and public token id.
    assert.ok(server.access.some((e) => e.user === 'ci' && typeof e.tokenId === 'string' && e.tokenId.length > 0 && e.method === 'POST'));
  });
});

describe('index server: inheritance and admin API', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('serves a base index\'s projects through the derived index, own releases first, and not the other way', async () => {
    const admin = { authorization: `Bearer ${server.adminToken}` };
    assert.equal((await server.app.inject({ method: 'POST', url: '/+api/indexes', headers: admin, payload: { path: 'acme/prod' } })).statusCode, 201);
    const dev = await server.app.inject({ method: 'POST', url: '/+api/indexes', headers: admin, payload: { path: 'acme/dev', bases: ['acme/prod'] } });
    assert.equal(dev.statusCode, 201, dev.body);
    const prodWheel = await buildWheel({ name: 'shared', version: '1.0' });
    const devWheel = await buildWheel({ name: 'shared', version: '2.0' });
    const devOnly = await buildWheel({ name: 'devonly', version: '0.1' });
    assert.equal((await upload(server, prodWheel, 'shared-1.0-py3-none-any.whl', { index: 'acme/prod' })).statusCode, 200);
    assert.equal((await upload(server, devWheel, 'shared-2.0-py3-none-any.whl', { index: 'acme/dev' })).statusCode, 200);
    assert.equal((await upload(server, devOnly, 'devonly-0.1-py3-none-any.whl', { index: 'acme/dev' })).statusCode, 200);

    const devPage = JSON.parse((await server.app.inject({ url: '/acme/dev/simple/shared/', headers: { accept: JSON_TYPE } })).body);
    assert.deepEqual(devPage.files.map((f: { filename: string }) => f.filename).sort(), ['shared-1.0-py3-none-any.whl', 'shared-2.0-py3-none-any.whl']);
    const baseFile = devPage.files.find((f: { filename: string }) => f.filename.startsWith('shared-1.0'));
    const fetched = await server.app.inject({ url: new URL(baseFile.url, 'http://x/acme/dev/simple/shared/').pathname });
    assert.equal(fetched.statusCode, 200);

    const prodPage = JSON.parse((await server.app.inject({ url: '/acme/prod/simple/shared/', headers: { accept: JSON_TYPE } })).body);
    assert.deepEqual(prodPage.files.map((f: { filename: string }) => f.filename), ['shared-1.0-py3-none-any.whl']);
    assert.equal((await server.app.inject({ url: '/acme/prod/simple/devonly/' })).statusCode, 404);
    const devList = JSON.parse((await server.app.inject({ url: '/acme/dev/simple/', headers: { accept: JSON_TYPE } })).body);
    assert.deepEqual(devList.projects.map((p: { name: string }) => p.name).sort(), ['devonly', 'shared']);
  });

  it('refuses uploads into a read-only index', async () => {
    const admin = { authorization: `Bearer ${server.adminToken}` };
    await server.app.inject({ method: 'POST', url: '/+api/indexes', headers: admin, payload: { path: 'acme/frozen', readOnly: true } });
    const r = await upload(server, await buildWheel({ name: 'x', version: '1' }), 'x-1-py3-none-any.whl', { index: 'acme/frozen' });
    assert.equal(r.statusCode, 403);
    assert.match(r.body, /read-only/);
  });

  it('sees an index created by another process on the same data directory without a restart', async () => {
    const other = await openDataDir(server.dataDir);
    await createIndex(other.catalog, { path: 'team/new' });
    await other.close();
    // The server re-reads the catalog serial at most every 100 ms.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const r = await server.app.inject({ url: '/team/new/simple/' });
    assert.equal(r.statusCode, 200);
  });

  it('answers admin API misuse with 4xx JSON errors', async () => {
    const admin = { authorization: `Bearer ${server.adminToken}` };
    const dup = await server.app.inject({ method: 'POST', url: '/+api/indexes', headers: admin, payload: { path: 'acme/prod' } });
    assert.equal(dup.statusCode, 409);
    assert.equal(JSON.parse(dup.body).error.code, 'PAVED_E_INDEX_EXISTS');
    const bad = await server.app.inject({ method: 'POST', url: '/+api/indexes', headers: admin, payload: { path: '../etc' } });
    assert.equal(bad.statusCode, 400);
    const notJson = await server.app.inject({ method: 'POST', url: '/+api/indexes', headers: { ...admin, 'content-type': 'application/json' }, payload: '{nope' });
    assert.equal(notJson.statusCode, 400);
    const anon = await server.app.inject({ method: 'POST', url: '/+api/indexes', payload: { path: 'x/y' } });
    assert.equal(anon.statusCode, 401);
  });
});

describe('index server: hostile uploads leave nothing behind', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ limits: { maxUploadBytes: 256 * 1024 } });
  });
  after(() => server.close());

  async function assertNothingStored(project: string) {
    assert.equal((await server.app.inject({ url: `/simple/${project}/` })).statusCode, 404);
    const tmp = await readdir(join(server.dataDir, 'blobs', 'tmp')).catch(() => []);
    assert.deepEqual(tmp, []);
  }

  it('refuses path traversal in the filename', async () => {
    const wheel = await buildWheel({ name: 'evil', version: '1' });
    for (const filename of ['../../evil-1-py3-none-any.whl', '/etc/evil-1-py3-none-any.whl', 'evil-1-py3-none-any.whl\u0000.txt', '..\\evil-1-py3-none-any.whl']) {
      const r = await upload(server, wheel, filename);
      assert.equal(r.statusCode, 400, `${filename}: ${r.body}`);
    }
    await assertNothingStored('evil');
  });

  it('refuses a filename that disagrees with the metadata, and claims that disagree with the file', async () => {
    const wheel = await buildWheel({ name: 'honest', version: '1.0' });
    const renamed = await upload(server, wheel, 'other-1.0-py3-none-any.whl');
    assert.equal(renamed.statusCode, 400);
    const wrongVersion = await upload(server, wheel, 'honest-2.0-py3-none-any.whl');
    assert.equal(wrongVersion.statusCode, 400);
    const claims = await upload(server, wheel, 'honest-1.0-py3-none-any.whl', { fields: [[':action', 'file_upload'], ['name', 'honest'], ['version', '9.9']] });
    assert.equal(claims.statusCode, 400);
    assert.match(claims.body, /9\.9/);
    const filetype = await upload(server, wheel, 'honest-1.0-py3-none-any.whl', { fields: [[':action', 'file_upload'], ['filetype', 'sdist']] });
    assert.equal(filetype.statusCode, 400);
    await assertNothingStored('honest');
  });

  it('refuses wrong digests', async () => {
    const wheel = await buildWheel({ name: 'digest', version: '1' });
    const r = await upload(server, wheel, 'digest-1-py3-none-any.whl', { fields: [[':action', 'file_upload'], ['sha256_digest', 'f'.repeat(64)]] });
    assert.equal(r.statusCode, 400);
    assert.match(r.body, /sha256/);
    const b = await upload(server, wheel, 'digest-1-py3-none-any.whl', { fields: [[':action', 'file_upload'], ['blake2_256_digest', '0'.repeat(64)]] });
    assert.equal(b.statusCode, 400);
    await assertNothingStored('digest');
  });

  it('refuses a .whl that is not a zip, and a zip with unsafe members', async () => {
    const r = await upload(server, Buffer.from('this is not a zip file at all'), 'notzip-1-py3-none-any.whl');
    assert.equal(r.statusCode, 400);
    const slip = await buildWheel({ name: 'slip', version: '1', extraEntries: [{ name: '../../outside.py', data: 'x' }] });
    const s = await upload(server, slip, 'slip-1-py3-none-any.whl');
    assert.equal(s.statusCode, 400);
    assert.match(s.body, /outside/);
    await assertNothingStored('notzip');
    await assertNothingStored('slip');
  });

  it('refuses an upload over the size limit with 413', async () => {
    const big = await buildWheel({ name: 'big', version: '1', files: { 'big/data.bin': randomBytes(400 * 1024) } });
    const r = await upload(server, big, 'big-1-py3-none-any.whl');
    assert.equal(r.statusCode, 413);
    await assertNothingStored('big');
  });

  it('refuses a truncated multipart body and a body without a file', async () => {
    const wheel = await buildWheel({ name: 'trunc', version: '1' });
    const { body, contentType } = buildMultipart([[':action', 'file_upload']], [{ field: 'content', filename: 'trunc-1-py3-none-any.whl', data: wheel }]);
    const cut = body.subarray(0, body.length - 200);
    const r = await server.app.inject({ method: 'POST', url: '/root/main/', headers: { 'content-type': contentType, authorization: basicToken(server.adminToken) }, payload: cut });
    assert.equal(r.statusCode, 400);
    const none = buildMultipart([[':action', 'file_upload']]);
    const n = await server.app.inject({ method: 'POST', url: '/root/main/', headers: { 'content-type': none.contentType, authorization: basicToken(server.adminToken) }, payload: none.body });
    assert.equal(n.statusCode, 400);
    assert.match(n.body, /content/);
    const notMultipart = await server.app.inject({ method: 'POST', url: '/root/main/', headers: { 'content-type': 'text/plain', authorization: basicToken(server.adminToken) }, payload: 'hello' });
    assert.equal(notMultipart.statusCode, 400);
    await assertNothingStored('trunc');
  });

  it('refuses an oversized metadata field in the upload form', async () => {
    const wheel = await buildWheel({ name: 'fat', version: '1' });
    const r = await upload(server, wheel, 'fat-1-py3-none-any.whl', { fields: [[':action', 'file_upload'], ['description', 'x'.repeat(5 * 1024 * 1024)]] });
    assert.equal(r.statusCode, 400);
    await assertNothingStored('fat');
  });

  it('answers huge request headers with 431 and a client that drops mid-upload with no stored state', async () => {
    const url = new URL(await server.listen());
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: '/simple/', headers: { 'x-big': 'y'.repeat(64 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 431);

    const wheel = await buildWheel({ name: 'dropped', version: '1' });
    const { body, contentType } = buildMultipart([[':action', 'file_upload']], [{ field: 'content', filename: 'dropped-1-py3-none-any.whl', data: wheel }]);
    await new Promise<void>((resolve) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: '/root/main/', method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length, authorization: basicToken(server.adminToken) } });
      req.on('error', () => resolve());
      req.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => { req.destroy(); resolve(); }, 50));
    });
    await new Promise((r) => setTimeout(r, 200));
    await assertNothingStored('dropped');
    assert.deepEqual(server.faults, []);
  });
});
