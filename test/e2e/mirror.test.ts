/**
 * The vetted mirror seen by real pip: `root/pypi` mirrors a static PEP 503/691 upstream built
 * from the 46 corpus wheels during the test, and `root/main` inherits it. Indexes are made by the
 * CLI on the live data directory. Covers the cold and warm install, the JSON pages a mirror
 * serves, the dependency-confusion guard, and an upstream that stops mid-test.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectDistributionFiles } from '../../src/index/importDistributions.js';
import { buildWheel, wheelFilenameFor } from '../fixtures/buildDistributions.js';
import { PYPI_SUBSET } from '../fixtures/corpus.js';
import { createVenv, describeRun, PIP_ACCEPT, twineUpload, type RunResult } from '../fixtures/pythonTools.js';
import { buildStaticIndex, serveStaticIndex, type StaticIndex, type StaticIndexServer } from '../fixtures/staticIndex.js';
import { startTestServer, type TestServer } from '../fixtures/testServer.js';
import { jsonResult, paved } from './pavedCli.js';

const DAY = 86_400_000;
const JSON_ACCEPT = 'application/vnd.pypi.simple.v1+json';

interface JsonFile { filename: string; url: string; size?: number; 'upload-time'?: string; 'core-metadata'?: unknown; hashes: Record<string, string> }
interface JsonPage { name: string; versions?: string[]; files: JsonFile[]; 'project-status'?: { status: string; reason?: string } }

describe('the vetted mirror through pip', () => {
  let upstreamTree: StaticIndex;
  let upstream: StaticIndexServer;
  let server: TestServer;
  let work: string;
  /** Added to the real time to make the server's clock. */
  let clockOffsetMs = 0;
  let venvCount = 0;

  const freshVenv = async () => createVenv(join(work, `venv-${venvCount++}`));
  const fileFetches = () => upstream.requests.filter((r) => r.path.startsWith('/files/') && !r.path.endsWith('.metadata'));
  const cli = async (args: string[]): Promise<RunResult> => {
    const r = await paved([...args, '--data', server.dataDir]);
    assert.equal(r.code, 0, describeRun(r));
    return r;
  };
  const jsonPage = async (path: string): Promise<{ status: number; headers: Headers; page: JsonPage | null }> => {
    const res = await fetch(`${server.url}${path}`, { headers: { accept: JSON_ACCEPT } });
    const text = await res.text();
    return { status: res.status, headers: res.headers, page: res.status === 200 ? (JSON.parse(text) as JsonPage) : null };
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-mirror-'));
    const corpus = (await collectDistributionFiles([PYPI_SUBSET])).files;
    assert.equal(corpus.length, 46);
    upstreamTree = await buildStaticIndex(corpus, { uploadTime: new Date(Date.now() - 30 * DAY) });
    // A "public" acme-utils that shadows the private one, and a name under a reserved prefix.
    const extra: string[] = [];
    // Also two projects nobody asks for until the upstream is down.
    for (const [name, version] of [['acme-utils', '9.0'], ['corp-secret', '1.0'], ['never-asked', '1.0'], ['never-asked-slow', '1.0']] as const) {
      const path = join(work, wheelFilenameFor({ name, version }));
      await writeFile(path, await buildWheel({ name, version }));
      extra.push(path);
    }
    await upstreamTree.add(extra.map((path) => ({ path, uploadTime: new Date(Date.now() - 30 * DAY) })));
    upstream = await serveStaticIndex(upstreamTree.dir);
    server = await startTestServer({ now: () => new Date(Date.now() + clockOffsetMs), upstream: { timeoutMs: 2000, retries: 0 } });
    await server.listen();
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
    await upstreamTree?.remove();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('a mirror made by the CLI serves pip install flask fastapi, then serves the second install from its store', { timeout: 240_000 }, async () => {
    const created = await cli(['index', 'create', 'root/pypi', '--mirror', upstream.simpleUrl, '--json']);
    assert.equal(jsonResult<{ kind: string }>(created).kind, 'mirror');
    await cli(['index', 'update', 'root/main', '--bases', 'root/pypi']);

    const venv = await freshVenv();
    const cold = await venv.pip(['install', '--index-url', `${server.url}/simple/`, 'flask', 'fastapi'], { timeoutMs: 200_000 });
    assert.equal(cold.code, 0, describeRun(cold));
    assert.match(cold.stdout, /Successfully installed .*flask-3\.1\.3/);
    assert.match(cold.stdout, /fastapi-0\.142\.2/);
    const imported = await venv.python3(['-c', 'import flask, fastapi, pydantic; print("ok")']);
    assert.equal(imported.code, 0, describeRun(imported));
    assert.deepEqual(server.faults, []);

    // What went through the mirror is now in paved's store and on its JSON pages.
    const fetchedCold = fileFetches();
    assert.ok(fetchedCold.length >= 15, `wheels fetched from the upstream (${fetchedCold.length})`);
    assert.ok(fetchedCold.every((r) => r.status === 200));
    assert.equal(new Set(fetchedCold.map((r) => r.path)).size, fetchedCold.length, 'each file fetched once');

    const { status, headers, page } = await jsonPage('/simple/flask/');
    assert.equal(status, 200);
    assert.equal(headers.get('x-paved-upstream-stale'), null);
    const flask = page!.files.find((f) => f.filename === 'flask-3.1.3-py3-none-any.whl');
    assert.ok(flask !== undefined, JSON.stringify(page));
    const upstreamEntry = upstreamTree.entries.find((e) => e.filename === flask.filename)!;
    assert.equal(flask.size, upstreamEntry.size);
    assert.equal(flask['upload-time'], upstreamEntry.uploadTime, 'the upstream upload time, not paved fetch time');
    assert.deepEqual(flask['core-metadata'], { sha256: upstreamEntry.metadataSha256 });
    assert.equal(flask.hashes['sha256'], upstreamEntry.sha256);
    assert.match(flask.url, /^\.\.\/\.\.\/root\/main\/\+f\/[0-9a-f]{64}\/flask-3\.1\.3-py3-none-any\.whl$/);
    // A mirrored project not fetched yet still offers size, upload time and PEP 658 metadata.
    const rich = await jsonPage('/root/pypi/simple/rich/');
    assert.equal(rich.status, 200);
    for (const f of rich.page!.files) {
      assert.equal(typeof f.size, 'number');
      assert.match(f['upload-time'] ?? '', /^\d{4}-\d\d-\d\dT/);
      assert.equal(typeof f['core-metadata'], 'object');
    }
    const metadata = await fetch(new URL(rich.page!.files[0]!.url + '.metadata', `${server.url}/root/pypi/simple/rich/`));
    assert.equal(metadata.status, 200);
    assert.match(await metadata.text(), /^Metadata-Version: .*\nName: rich\n/);

    const warmBefore = fileFetches().length;
    const warm = await (await freshVenv()).pip(['install', '--index-url', `${server.url}/simple/`, 'flask', 'fastapi'], { timeoutMs: 200_000 });
    assert.equal(warm.code, 0, describeRun(warm));
    assert.match(warm.stdout, /Successfully installed .*flask-3\.1\.3/);
    assert.equal(fileFetches().length, warmBefore, 'the second install fetched no file from the upstream');
  });

  it('every corpus wheel passes the scanner and the default policy (no false positives)', { timeout: 120_000 }, async () => {
    const corpus = upstreamTree.entries.filter((e) => !['acme-utils', 'corp-secret', 'never-asked', 'never-asked-slow'].includes(e.project));
    assert.equal(corpus.length, 46);
    const refused: string[] = [];
    const queue = [...corpus];
    const worker = async () => {
      for (let entry = queue.shift(); entry !== undefined; entry = queue.shift()) {
        const res = await fetch(`${server.url}/root/pypi/+f/${entry.sha256}/${entry.filename}`);
        const bytes = Buffer.from(await res.arrayBuffer());
        if (res.status !== 200 || bytes.length !== entry.size) refused.push(`${entry.filename}: ${res.status} ${bytes.toString('utf8', 0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    assert.deepEqual(refused, []);
    const held = jsonResult<unknown[]>(await cli(['policy', 'queue', '--json']));
    assert.deepEqual(held, []);
  });

  it('a private acme-utils in acme/dev hides the public one, unless the name may merge; reserved prefixes never come from upstream', { timeout: 120_000 }, async () => {
    await cli(['index', 'create', 'acme/dev', '--bases', 'root/pypi', '--reserve', 'corp-']);
    const token = await server.token('ci', 'upload:acme/dev');
    const path = join(work, 'private', wheelFilenameFor({ name: 'acme-utils', version: '1.0' }));
    await mkdir(join(work, 'private'));
    await writeFile(path, await buildWheel({ name: 'acme-utils', version: '1.0', files: { 'acme_utils/__init__.py': 'ORIGIN = "private"\n' } }));
    const up = await twineUpload(`${server.url}/acme/dev/`, token, [path]);
    assert.equal(up.code, 0, describeRun(up));

    // The upstream has acme-utils 9.0: root/main (no private acme-utils) sees it.
    const publicPage = await jsonPage('/root/main/simple/acme-utils/');
    assert.deepEqual(publicPage.page?.versions, ['9.0']);

    const venv = await freshVenv();
    const r = await venv.pip(['install', '--index-url', `${server.url}/acme/dev/simple/`, 'acme-utils']);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /Successfully installed acme-utils-1\.0\b/);
    const origin = await venv.python3(['-c', 'import acme_utils; print(acme_utils.ORIGIN)']);
    assert.equal(origin.stdout.trim(), 'private', describeRun(origin));
    assert.deepEqual((await jsonPage('/acme/dev/simple/acme-utils/')).page?.versions, ['1.0']);

    // An admin lets the name merge: the upstream's releases join the private ones.
    await cli(['index', 'update', 'acme/dev', '--merge', 'acme-utils']);
    const merged = await jsonPage('/acme/dev/simple/acme-utils/');
    assert.deepEqual(merged.page?.versions, ['1.0', '9.0']);
    await cli(['index', 'update', 'acme/dev', '--merge', '']);
    assert.deepEqual((await jsonPage('/acme/dev/simple/acme-utils/')).page?.versions, ['1.0']);

    // corp-secret is upstream and in no private index, but acme/dev reserves corp-.
    assert.equal((await jsonPage('/root/main/simple/corp-secret/')).status, 200);
    assert.equal((await jsonPage('/acme/dev/simple/corp-secret/')).status, 404);
    const hidden = await venv.pip(['download', '--no-deps', '-d', join(work, 'dl-corp'), '--index-url', `${server.url}/acme/dev/simple/`, 'corp-secret']);
    assert.notEqual(hidden.code, 0, describeRun(hidden));
    assert.match(hidden.stderr, /No matching distribution found for corp-secret/);
    // Nor can its file be fetched through acme/dev by URL.
    const entry = upstreamTree.entries.find((e) => e.project === 'corp-secret')!;
    assert.equal((await fetch(`${server.url}/acme/dev/+f/${entry.sha256}/${entry.filename}`)).status, 404);
  });

  it('with the upstream stopped, cached projects still install (marked stale) and uncached ones fail fast with a clear error', { timeout: 120_000 }, async () => {
    await upstream.stop();
    // Past the mirror's page TTL (600 s): every page must be revalidated, and cannot be.
    clockOffsetMs += 601_000;

    const stale = await jsonPage('/simple/flask/');
    assert.equal(stale.status, 200);
    assert.match(stale.headers.get('x-paved-upstream-stale') ?? '', /serving a cached copy: .*127\.0\.0\.1/);
    assert.ok(stale.page!.files.some((f) => f.filename === 'flask-3.1.3-py3-none-any.whl'));

    const venv = await freshVenv();
    const cached = await venv.pip(['install', '--index-url', `${server.url}/simple/`, 'flask']);
    assert.equal(cached.code, 0, describeRun(cached));
    assert.match(cached.stdout, /Successfully installed .*flask-3\.1\.3/);

    // never-asked was never asked for: nothing cached, so a quick 502 that says why.
    let started = Date.now();
    const res = await fetch(`${server.url}/simple/never-asked/`, { headers: { accept: 'text/html' } });
    const body = await res.text();
    assert.ok(Date.now() - started < 15_000);
    assert.equal(res.status, 502, body);
    assert.match(body, /^could not reach the upstream at http:\/\/127\.0\.0\.1:\d+\/simple\/never-asked\/: ECONNREFUSED\nhint: .*cached projects are still served/);

    started = Date.now();
    // pip says why only at debug level (-vv): the reason phrase of the 502 is paved's message.
    const uncached = await venv.pip(['install', '-vv', '--index-url', `${server.url}/simple/`, 'never-asked']);
    const elapsed = Date.now() - started;
    assert.notEqual(uncached.code, 0, describeRun(uncached));
    assert.ok(elapsed < 15_000, `pip gave up after ${elapsed} ms`);
    assert.match(uncached.stderr, /No matching distribution found for never-asked/);
    assert.match(uncached.stdout + uncached.stderr, /502 Server Error: .*upstream/i);

    // A slow upstream: the page request times out (2 s here) with a 504.
    upstream.options.delayMs = 10_000;
    await upstream.start();
    try {
      started = Date.now();
      const slow = await fetch(`${server.url}/simple/never-asked-slow/`, { headers: { accept: PIP_ACCEPT } });
      const text = await slow.text();
      assert.equal(slow.status, 504, text);
      assert.ok(Date.now() - started < 8_000, `answered after ${Date.now() - started} ms`);
      assert.match(text, /time/i);
    } finally {
      upstream.options.delayMs = 0;
    }
    assert.deepEqual(server.faults.filter((f) => !/UPSTREAM/.test(JSON.stringify(f))), []);
  });
});
