import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isPavedError } from '../../../src/errors.js';
import { openAdvisoryDatabase, scheduleRefresh, type AdvisoryDatabase, type RefreshOutcome } from '../../../src/index/advisories/advisoryDatabase.js';
import { buildZip, createFixtureDir, type FixtureDir } from '../../fixtures/buildDistributions.js';
import { OSV_PYPI_ZIP, osvAdvisory } from '../../fixtures/osvData.js';

const json = (value: unknown) => JSON.stringify(value, null, 1);

describe('advisory database: the real OSV PyPI export', () => {
  let fixtures: FixtureDir;
  let db: AdvisoryDatabase;
  let file: string;

  before(async () => {
    fixtures = await createFixtureDir('paved-advisories-');
    file = join(fixtures.dir, 'advisories.sqlite');
    db = openAdvisoryDatabase(file);
  });
  after(async () => {
    db.close();
    await fixtures.cleanup();
  });

  it('imports all 2,661 advisories, 10 of them withdrawn, with progress', async () => {
    const progress: number[] = [];
    const result = await db.importFrom(OSV_PYPI_ZIP, { onProgress: (done) => progress.push(done) });
    assert.deepEqual(result, { imported: 2661, updated: 0, withdrawn: 10, skipped: [], version: 1 });
    assert.equal(db.count(), 2661);
    assert.equal(db.version(), 1);
    assert.equal(progress.at(-1), 2661);
  });

  const spots: { project: string; advisory: string; affected: string[]; safe: string[] }[] = [
    // Proxy-Authorization leak: ECOSYSTEM introduced 2.3.0, fixed 2.31.0 (plus a GIT range that must not count).
    { project: 'requests', advisory: 'PYSEC-2023-74', affected: ['2.3.0', '2.28.1', '2.30.0'], safe: ['2.2.1', '2.31.0', '2.32.3'] },
    { project: 'Jinja2', advisory: 'PYSEC-2014-8', affected: ['2.0rc1', '2.7.1'], safe: ['2.7.2', '3.1.4'] },
    // last_affected: every py up to and including 1.11.0.
    { project: 'py', advisory: 'PYSEC-2022-42969', affected: ['1.4.7.dev3', '1.11.0'], safe: ['1.11.1'] },
  ];
  for (const s of spots) {
    it(`${s.advisory} affects ${s.project} ${s.affected.join(', ')} and not ${s.safe.join(', ')}`, () => {
      for (const v of s.affected) assert.ok(db.affecting(s.project, v).some((a) => a.id === s.advisory), `${s.project} ${v}`);
      for (const v of s.safe) assert.ok(!db.affecting(s.project, v).some((a) => a.id === s.advisory), `${s.project} ${v}`);
    });
  }

  it('keeps aliases, details and fixed versions; looks up any spelling of the name', () => {
    const a = db.get('PYSEC-2023-74');
    assert.ok(a !== null);
    assert.deepEqual(a.aliases, ['CVE-2023-32681', 'GHSA-j8r2-6x86-q33q']);
    assert.match(a.details, /Proxy-Authorization/);
    assert.ok(db.forProject('REQUESTS').some((x) => x.id === 'PYSEC-2023-74'));
    assert.equal(db.get('PYSEC-0000-0'), null);
    assert.deepEqual(db.affecting('no-such-project', '1.0'), []);
  });

  it('stores withdrawn advisories but never reports them', () => {
    const withdrawn = db.get('PYSEC-2019-144');
    assert.equal(withdrawn?.withdrawn, '2022-09-09T05:28:00Z');
    assert.ok(db.forProject('arrayfire').some((a) => a.id === 'PYSEC-2019-144'));
    assert.ok(!db.affecting('arrayfire', '3.3.20160624').some((a) => a.id === 'PYSEC-2019-144'));
  });

  it('gives the OSV JSON as imported for the server API', () => {
    const documents = db.forProjectJson('requests') as { id: string; affected: unknown[] }[];
    const doc = documents.find((d) => d.id === 'PYSEC-2023-74');
    assert.ok(doc !== undefined);
    assert.equal(doc.affected.length, 1);
  });

  it('re-importing the same data changes nothing, not even the version', async () => {
    const result = await db.importFrom(OSV_PYPI_ZIP);
    assert.deepEqual(result, { imported: 0, updated: 0, withdrawn: 0, skipped: [], version: 1 });
  });

  it('persists across opens', () => {
    const again = openAdvisoryDatabase(file);
    try {
      assert.equal(again.count(), 2661);
      assert.equal(again.version(), 1);
      assert.ok(again.affecting('requests', '2.28.1').length > 0);
    } finally {
      again.close();
    }
  });
});

describe('advisory database: sources and updates', () => {
  let fixtures: FixtureDir;
  before(async () => {
    fixtures = await createFixtureDir('paved-advisories-');
  });
  after(() => fixtures.cleanup());

  it('imports a directory of *.json recursively, skipping broken documents with a reason', async () => {
    const dir = join(fixtures.dir, 'tree');
    await mkdir(join(dir, 'PyPI', 'sub'), { recursive: true });
    await writeFile(join(dir, 'PyPI', 'A-1.json'), json(osvAdvisory('A-1', 'demo', [{ introduced: '0' }, { fixed: '1.0' }])));
    await writeFile(join(dir, 'PyPI', 'sub', 'A-2.json'), json(osvAdvisory('A-2', 'Demo_Lib', [{ introduced: '2.0' }])));
    await writeFile(join(dir, 'PyPI', 'broken.json'), '{"id": "A-3", ');
    await writeFile(join(dir, 'PyPI', 'wrong.json'), json({ id: 'A-4', modified: '2024-01-01T00:00:00Z', affected: 'everything' }));
    await writeFile(join(dir, 'PyPI', 'latin1.json'), Buffer.from([0x7b, 0xe9, 0x7d]));
    await writeFile(join(dir, 'README.md'), '# not an advisory');
    const db = openAdvisoryDatabase(':memory:');
    try {
      const result = await db.importFrom(dir);
      assert.equal(result.imported, 2);
      assert.deepEqual(
        result.skipped.map((s) => s.file).sort(),
        [join('PyPI', 'broken.json'), join('PyPI', 'latin1.json'), join('PyPI', 'wrong.json')].sort(),
      );
      assert.match(result.skipped.find((s) => s.file.endsWith('wrong.json'))?.reason ?? '', /A-4: affected must be an array/);
      assert.match(result.skipped.find((s) => s.file.endsWith('broken.json'))?.reason ?? '', /not JSON/);
      assert.deepEqual(db.affecting('demo', '0.9').map((a) => a.id), ['A-1']);
      assert.deepEqual(db.affecting('demo-lib', '2.1').map((a) => a.id), ['A-2']);
    } finally {
      db.close();
    }
  });

  it('replaces an advisory only by a newer modified time, and bumps the version only then', async () => {
    const db = openAdvisoryDatabase(':memory:');
    const write = async (name: string, doc: Record<string, unknown>) => {
      const path = join(fixtures.dir, name);
      await writeFile(path, json(doc));
      return path;
    };
    try {
      const v1 = osvAdvisory('B-1', 'demo', [{ introduced: '0' }, { fixed: '1.0' }]);
      assert.deepEqual(await db.importFrom(await write('b1.json', v1)), { imported: 1, updated: 0, withdrawn: 0, skipped: [], version: 1 });
      const older = osvAdvisory('B-1', 'demo', [{ introduced: '0' }, { fixed: '9.0' }], { modified: '2023-01-01T00:00:00Z' });
      assert.deepEqual(await db.importFrom(await write('b1-old.json', older)), { imported: 0, updated: 0, withdrawn: 0, skipped: [], version: 1 });
      assert.deepEqual(db.affecting('demo', '5.0'), []);

      // A newer version of the advisory moves it to another project: the old name no longer finds it.
      const moved = osvAdvisory('B-1', 'other', [{ introduced: '0' }, { fixed: '2.0' }], { modified: '2024-06-01T00:00:00.123456Z' });
      assert.deepEqual(await db.importFrom(await write('b1-new.json', moved)), { imported: 0, updated: 1, withdrawn: 0, skipped: [], version: 2 });
      assert.deepEqual(db.forProject('demo'), []);
      assert.deepEqual(db.affecting('other', '1.5').map((a) => a.id), ['B-1']);

      const retracted = { ...moved, modified: '2024-07-01T00:00:00Z', withdrawn: '2024-07-01T00:00:00Z' };
      assert.deepEqual(await db.importFrom(await write('b1-withdrawn.json', retracted)), { imported: 0, updated: 1, withdrawn: 1, skipped: [], version: 3 });
      assert.deepEqual(db.affecting('other', '1.5'), []);
      assert.equal(db.count(), 1);
    } finally {
      db.close();
    }
  });

  it('within one source the newest document of an id wins', async () => {
    const zip = buildZip([
      { name: 'C-1.json', data: json(osvAdvisory('C-1', 'demo', [{ introduced: '0' }, { fixed: '3.0' }], { modified: '2024-05-01T00:00:00Z' })) },
      { name: 'copy/C-1.json', data: json(osvAdvisory('C-1', 'demo', [{ introduced: '0' }, { fixed: '1.0' }], { modified: '2024-01-01T00:00:00Z' })) },
    ]);
    const db = openAdvisoryDatabase(':memory:');
    try {
      const result = await db.importFrom(await fixtures.write(zip));
      assert.equal(result.imported, 1);
      assert.equal(result.skipped.length, 1);
      assert.equal(db.affecting('demo', '2.0').length, 1);
    } finally {
      db.close();
    }
  });

  it('reads a file: URL and an http: URL of a zip, and a single .json file', async () => {
    const zip = buildZip([
      { name: 'D-1.json', data: json(osvAdvisory('D-1', 'demo', [{ introduced: '0' }])) },
      { name: 'NOTES.txt', data: 'not an advisory' },
      { name: 'dir/', data: '' },
    ]);
    const path = await fixtures.write(zip);
    const server = await serve(zip);
    const db = openAdvisoryDatabase(':memory:');
    try {
      const fromFile = await db.importFrom(pathToFileURL(path).href);
      assert.equal(fromFile.imported, 1);
      assert.deepEqual(fromFile.skipped, [{ file: 'NOTES.txt', reason: 'not a .json file' }]);
      const fromHttp = await db.importFrom(`${server.url}/PyPI/all.zip`);
      assert.equal(fromHttp.imported + fromHttp.updated, 0);
      const single = join(fixtures.dir, 'E-1.json');
      await writeFile(single, json(osvAdvisory('E-1', 'demo', [{ introduced: '0' }])));
      assert.equal((await db.importFrom(single)).imported, 1);
      assert.equal(db.count(), 2);
    } finally {
      db.close();
      await server.close();
    }
  });

  it('a failed download names the URL without its credentials, which go in a header', async () => {
    const seen: (string | undefined)[] = [];
    const server = await serve(null, { onRequest: (authorization) => seen.push(authorization) });
    const db = openAdvisoryDatabase(':memory:');
    try {
      await assert.rejects(db.importFrom(`${server.url.replace('http://', 'http://user:s3cret@')}/missing.zip`), (e: unknown) => {
        assert.ok(isPavedError(e, 'PAVED_E_NETWORK'));
        assert.match(e.message, /404/);
        assert.doesNotMatch(e.message, /s3cret/);
        return true;
      });
      assert.deepEqual(seen, [`Basic ${Buffer.from('user:s3cret').toString('base64')}`]);
    } finally {
      db.close();
      await server.close();
    }
  });

  it('follows a redirect to another origin without the credentials', async () => {
    const zip = buildZip([{ name: 'R-1.json', data: json(osvAdvisory('R-1', 'demo', [{ introduced: '0' }])) }]);
    const seenByMirror: (string | undefined)[] = [];
    const seenByFront: (string | undefined)[] = [];
    const mirror = await serve(zip, { onRequest: (authorization) => seenByMirror.push(authorization) });
    const front = await serve(zip, { redirectTo: `${mirror.url}/all.zip`, onRequest: (authorization) => seenByFront.push(authorization) });
    const db = openAdvisoryDatabase(':memory:');
    try {
      const result = await db.importFrom(`${front.url.replace('http://', 'http://user:pw@')}/all.zip`);
      assert.equal(result.imported, 1);
      assert.equal(seenByFront.length, 1);
      assert.ok(seenByFront[0]?.startsWith('Basic '));
      assert.deepEqual(seenByMirror, [undefined]);
    } finally {
      db.close();
      await front.close();
      await mirror.close();
    }
  });

  it('refuses a download over the size limit', async () => {
    const zip = buildZip([{ name: 'F-1.json', data: json(osvAdvisory('F-1', 'demo', [{ introduced: '0' }])) }]);
    for (const chunked of [false, true]) {
      const server = await serve(zip, { chunked });
      const db = openAdvisoryDatabase(':memory:');
      try {
        await assert.rejects(db.importFrom(`${server.url}/all.zip`, { limits: { maxDownloadBytes: 100 } }), (e: unknown) => isPavedError(e, 'PAVED_E_ADVISORY_SOURCE_TOO_LARGE'));
        assert.equal(db.count(), 0);
      } finally {
        db.close();
        await server.close();
      }
    }
  });

  const hostile: { name: string; zip: () => Buffer; code: string; message: RegExp }[] = [
    {
      name: 'a 50 MB member',
      zip: () => buildZip([{ name: 'G-1.json', data: json(osvAdvisory('G-1', 'demo', [{ introduced: '0' }])) }, { name: 'BIG.json', data: Buffer.alloc(50 * 1024 * 1024, 0x20) }]),
      code: 'PAVED_E_ADVISORY_SOURCE_TOO_LARGE',
      message: /BIG\.json.*52428800 bytes inflated/,
    },
    {
      name: 'a member that lies about its size',
      zip: () => buildZip([{ name: 'LIAR.json', data: Buffer.alloc(5 * 1024 * 1024, 0x20), declaredSize: 100 }]),
      code: 'PAVED_E_INVALID_ADVISORY_SOURCE',
      message: /LIAR\.json" is corrupt: too many bytes/,
    },
    { name: 'a ../ name', zip: () => buildZip([{ name: '../../etc/H-1.json', data: '{}' }]), code: 'PAVED_E_INVALID_ADVISORY_SOURCE', message: /unsafe member name "\.\.\/\.\.\/etc\/H-1\.json"/ },
    { name: 'an absolute name', zip: () => buildZip([{ name: '/etc/H-2.json', data: '{}' }]), code: 'PAVED_E_INVALID_ADVISORY_SOURCE', message: /unsafe member name/ },
    { name: 'a backslash name', zip: () => buildZip([{ name: '..\\H-3.json', data: '{}' }]), code: 'PAVED_E_INVALID_ADVISORY_SOURCE', message: /unsafe member name/ },
    { name: 'not a zip at all', zip: () => Buffer.from('<html>login page</html>'), code: 'PAVED_E_INVALID_ADVISORY_SOURCE', message: /not a readable zip/ },
    { name: 'a truncated zip', zip: () => buildZip([{ name: 'I-1.json', data: 'x'.repeat(1000) }]).subarray(0, 60), code: 'PAVED_E_INVALID_ADVISORY_SOURCE', message: /not a readable zip/ },
  ];
  for (const h of hostile) {
    it(`refuses a zip with ${h.name}, importing nothing`, async () => {
      const path = await fixtures.write(h.zip());
      const db = openAdvisoryDatabase(':memory:');
      try {
        await assert.rejects(db.importFrom(path), (e: unknown) => {
          assert.ok(isPavedError(e, h.code), `expected ${h.code}, got ${String(e)}`);
          assert.match(e.message, h.message);
          assert.ok(e.hint !== undefined);
          return true;
        });
        assert.equal(db.count(), 0);
        assert.equal(db.version(), 0);
      } finally {
        db.close();
      }
    });
  }

  it('refuses a zip with more members than the limit', async () => {
    const zip = buildZip(Array.from({ length: 20 }, (_, i) => ({ name: `J-${i}.json`, data: json(osvAdvisory(`J-${i}`, 'demo', [{ introduced: '0' }])) })));
    const db = openAdvisoryDatabase(':memory:');
    try {
      await assert.rejects(db.importFrom(await fixtures.write(zip), { limits: { maxEntries: 10 } }), (e: unknown) => isPavedError(e, 'PAVED_E_ADVISORY_SOURCE_TOO_LARGE'));
      await assert.rejects(db.importFrom(await fixtures.write(zip), { limits: { maxTotalBytes: 2000 } }), (e: unknown) => isPavedError(e, 'PAVED_E_ADVISORY_SOURCE_TOO_LARGE'));
      assert.equal(db.count(), 0);
    } finally {
      db.close();
    }
  });

  it('a missing source and an unknown scheme are clear errors', async () => {
    const db = openAdvisoryDatabase(':memory:');
    try {
      await assert.rejects(db.importFrom(join(fixtures.dir, 'nope.zip')), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_ADVISORY_SOURCE') && /does not exist/.test(e.message));
      await assert.rejects(db.importFrom('ftp://example.invalid/all.zip'), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_ADVISORY_SOURCE'));
    } finally {
      db.close();
    }
  });

  it('scheduleRefresh re-imports a URL and stops when asked', async () => {
    let zip = buildZip([{ name: 'K-1.json', data: json(osvAdvisory('K-1', 'demo', [{ introduced: '0' }])) }]);
    const server = await serve(() => zip);
    const db = openAdvisoryDatabase(':memory:');
    const outcomes: RefreshOutcome[] = [];
    let notify: () => void = () => {};
    const stop = scheduleRefresh(db, `${server.url}/all.zip`, 1000, (o) => { outcomes.push(o); notify(); }, { runNow: true });
    const nextOutcome = () => new Promise<void>((resolve) => { notify = resolve; });
    try {
      await nextOutcome();
      assert.equal(outcomes[0]?.ok, true);
      assert.equal(db.count(), 1);
      zip = buildZip([{ name: 'K-2.json', data: json(osvAdvisory('K-2', 'demo', [{ introduced: '0' }])) }]);
      await nextOutcome();
      assert.equal(db.count(), 2);
      assert.equal(db.version(), 2);
    } finally {
      stop();
      await server.close();
      db.close();
    }
    assert.throws(() => scheduleRefresh(db, 'http://x', 10, () => {}), (e: unknown) => isPavedError(e, 'PAVED_E_CONFIG'));
  });
});

/** A local HTTP server answering every path with `body` (404 when null). */
async function serve(
  body: Buffer | null | (() => Buffer),
  options: { chunked?: boolean; redirectTo?: string; onRequest?: (authorization: string | undefined) => void } = {},
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    options.onRequest?.(request.headers.authorization);
    if (options.redirectTo !== undefined) {
      response.writeHead(302, { location: options.redirectTo }).end();
      return;
    }
    const bytes = typeof body === 'function' ? body() : body;
    if (bytes === null) {
      response.writeHead(404).end('not found');
      return;
    }
    if (options.chunked === true) {
      response.writeHead(200, { 'content-type': 'application/zip' });
      response.write(bytes.subarray(0, 50));
      response.end(bytes.subarray(50));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/zip', 'content-length': bytes.length }).end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}


