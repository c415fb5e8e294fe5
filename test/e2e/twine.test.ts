/**
 * Debian's twine (4.0.2) uploading to a real paved server over HTTP.
 *
 * That twine reads metadata through pkginfo 1.8, which knows Metadata-Version up to 2.2 only:
 * it refuses most of today's wheels before sending anything. So the corpus wheels used here
 * are the ones with Metadata-Version 2.1, and built fixtures use 2.1/2.2.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIndex } from '../../src/index/admin/adminOperations.js';
import { buildSdist, buildWheel, createFixtureDir, sdistFilenameFor, type FixtureDir } from '../fixtures/buildDistributions.js';
import { describeRun, twineUpload } from '../fixtures/pythonTools.js';
import { startTestServer, type TestServer } from '../fixtures/testServer.js';
import { PYPI_SUBSET } from '../fixtures/corpus.js';

const CORPUS = PYPI_SUBSET;
const WHEELS = ['constantly-23.10.4-py3-none-any.whl', 'hyperlink-21.0.0-py2.py3-none-any.whl', 'itsdangerous-2.2.0-py3-none-any.whl', 'mdurl-0.1.2-py3-none-any.whl'];
const corpus = (f: string) => join(CORPUS, f);
/** twine's rich output pads and wraps lines; compare on single-spaced text. */
const flat = (s: string) => s.replace(/\s+/g, ' ');

async function simplePage(server: TestServer, project: string): Promise<string> {
  const res = await fetch(`${server.url}/simple/${project}/`, { headers: { accept: 'text/html' } });
  assert.equal(res.status, 200, `GET /simple/${project}/`);
  return res.text();
}

describe('twine upload (Debian twine) against paved', () => {
  let server: TestServer;
  let fixtures: FixtureDir;
  let uploadUrl: string;
  let uploader: string;

  before(async () => {
    server = await startTestServer();
    await server.listen();
    uploadUrl = `${server.url}/root/main/`;
    uploader = await server.token('ci', 'upload:root/main');
    fixtures = await createFixtureDir('paved-twine-');
  });
  after(async () => {
    await server?.close();
    await fixtures?.cleanup();
  });

  it('uploads corpus wheels, and the simple page lists them with their sha256', async () => {
    const r = await twineUpload(uploadUrl, uploader, WHEELS.map(corpus));
    assert.equal(r.code, 0, describeRun(r));
    for (const w of WHEELS) assert.match(r.stdout, new RegExp(`Uploading ${w.replace(/\./g, '\\.')}`));
    assert.doesNotMatch(r.stdout + r.stderr, /ERROR|WARNING/);

    const posts = server.access.filter((a) => a.method === 'POST' && a.path === '/root/main/');
    assert.equal(posts.length, WHEELS.length);
    for (const p of posts) {
      assert.equal(p.status, 200);
      assert.match(p.userAgent ?? '', /^twine\//);
      assert.ok(!JSON.stringify(p).includes(uploader), 'the access log never holds the token');
    }

    for (const w of WHEELS) {
      const project = w.split('-')[0]!;
      const page = await simplePage(server, project);
      const sha = createHash('sha256').update(await readFile(corpus(w))).digest('hex');
      assert.ok(page.includes(`>${w}</a>`), `${project} page lists ${w}`);
      assert.ok(page.includes(`#sha256=${sha}`), `${project} page carries the file's sha256`);
    }
  });

  it('answers an identical re-upload with 200, so twine succeeds again', async () => {
    const before = server.access.length;
    const r = await twineUpload(uploadUrl, uploader, [corpus(WHEELS[2]!)]);
    assert.equal(r.code, 0, describeRun(r));
    const posts = server.access.slice(before).filter((a) => a.method === 'POST');
    assert.deepEqual(posts.map((p) => p.status), [200]);
    const page = await simplePage(server, 'itsdangerous');
    assert.equal(page.split('itsdangerous-2.2.0-py3-none-any.whl</a>').length - 1, 1, 'still exactly one file');
  });

  it('refuses other content under an existing filename, and --skip-existing skips it', async () => {
    const dir = join(fixtures.dir, 'conflict');
    await mkdir(dir, { recursive: true });
    const conflicting = join(dir, 'itsdangerous-2.2.0-py3-none-any.whl');
    await writeFile(conflicting, await buildWheel({ name: 'itsdangerous', version: '2.2.0', files: { 'itsdangerous/__init__.py': '# not the real one\n' } }));

    const refused = await twineUpload(uploadUrl, uploader, [conflicting]);
    assert.equal(refused.code, 1, describeRun(refused));
    // twine prints the status, then the reason phrase the server sent.
    assert.match(flat(refused.stdout + refused.stderr), /400 Bad Request from \S+ File already exists: itsdangerous-2\.2\.0-py3-none-any\.whl/);

    const skipped = await twineUpload(uploadUrl, uploader, [conflicting], ['--skip-existing']);
    assert.equal(skipped.code, 0, describeRun(skipped));
    assert.match(flat(skipped.stdout + skipped.stderr), /Skipping itsdangerous-2\.2\.0-py3-none-any\.whl because it appears to already exist/);

    // The original file is still the one served.
    const page = await simplePage(server, 'itsdangerous');
    const sha = createHash('sha256').update(await readFile(corpus('itsdangerous-2.2.0-py3-none-any.whl'))).digest('hex');
    assert.ok(page.includes(`#sha256=${sha}`));
  });

  it('fails with a clear 401 for a token that is not valid and 403 for one without upload scope', async () => {
    const bogus = await twineUpload(uploadUrl, 'paved_nosuchtoken_0123456789abcdef', [corpus(WHEELS[0]!)]);
    assert.equal(bogus.code, 1, describeRun(bogus));
    assert.match(flat(bogus.stdout + bogus.stderr), /401 Unauthorized/);

    const readOnly = await server.token('reader', 'read:root/main');
    const forbidden = await twineUpload(uploadUrl, readOnly, [corpus(WHEELS[0]!)]);
    assert.equal(forbidden.code, 1, describeRun(forbidden));
    assert.match(flat(forbidden.stdout + forbidden.stderr), /403 Forbidden from \S+ token \S+ may not upload to 'root\/main'/);
    for (const r of [bogus, forbidden]) assert.ok(!(r.stdout + r.stderr).includes(readOnly), 'the token is not echoed back');

    await createIndex(server.storage.catalog, { path: 'someone/else' });
    const otherIndex = await server.token('other', 'upload:someone/else');
    const wrongScope = await twineUpload(uploadUrl, otherIndex, [corpus(WHEELS[0]!)]);
    assert.equal(wrongScope.code, 1, describeRun(wrongScope));
    assert.match(flat(wrongScope.stdout + wrongScope.stderr), /403 Forbidden from \S+ token \S+ may not upload to 'root\/main'/);
  });

  it('uploads an sdist, which then shows on the simple page', async () => {
    const filename = sdistFilenameFor({ name: 'paved-e2e-sdist', version: '1.0.0' });
    const path = join(fixtures.dir, filename);
    await writeFile(path, await buildSdist({ name: 'paved-e2e-sdist', version: '1.0.0' }));
    const r = await twineUpload(uploadUrl, uploader, [path]);
    assert.equal(r.code, 0, describeRun(r));
    const page = await simplePage(server, 'paved-e2e-sdist');
    assert.ok(page.includes(`>${filename}</a>`), page);
  });
});
