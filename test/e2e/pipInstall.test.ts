/**
 * pip (the venv's bundled 23.x) installing a real 46-wheel closure from a live paved server,
 * fully isolated from the machine's pip configuration: nothing can come from /opt or PyPI.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectDistributionFiles, createLocalImporter, importFiles } from '../../src/index/importDistributions.js';
import { createVenv, describeRun, PIP_ACCEPT, type Venv } from '../fixtures/pythonTools.js';
import { startTestServer, type TestServer } from '../fixtures/testServer.js';
import { PYPI_SUBSET } from '../fixtures/corpus.js';

const CORPUS = PYPI_SUBSET;
const TOP = ['flask', 'fastapi', 'httpx', 'rich', 'pytest', 'black', 'twisted', 'sqlalchemy'];

describe('pip install from paved', () => {
  let server: TestServer;
  let work: string;
  let venv: Venv;
  let corpusFiles: string[];

  before(async () => {
    server = await startTestServer();
    corpusFiles = (await collectDistributionFiles([CORPUS])).files;
    const importOne = await createLocalImporter(server.storage, 'root/main');
    const summary = await importFiles('root/main', corpusFiles, importOne, { jobs: 8 });
    assert.deepEqual(summary.refused, []);
    assert.equal(summary.added, 46);
    await server.listen();
    work = await mkdtemp(join(tmpdir(), 'paved-pip-'));
    venv = await createVenv(join(work, 'venv'));
  });
  after(async () => {
    await server?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('installs flask, fastapi, httpx, rich, pytest, black, twisted and sqlalchemy with their dependencies', { timeout: 240_000 }, async () => {
    const r = await venv.pip(['install', '--index-url', `${server.url}/simple/`, ...TOP], { timeoutMs: 220_000 });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /Successfully installed /);
    // Every download came from this server (nothing from /opt, nothing from PyPI).
    assert.doesNotMatch(r.stdout + r.stderr, /file:\/\/\/opt|pypi\.org|files\.pythonhosted/);
    assert.deepEqual(server.faults, []);

    const imported = await venv.python3(['-c', `import ${TOP.join(', ')}; print("ok")`]);
    assert.equal(imported.code, 0, describeRun(imported));
    assert.equal(imported.stdout.trim(), 'ok');

    const check = await venv.pip(['check']);
    assert.equal(check.code, 0, describeRun(check));
    assert.match(check.stdout, /No broken requirements found/);

    const listed = await venv.pip(['list', '--format=json']);
    assert.equal(listed.code, 0, describeRun(listed));
    const names = new Set((JSON.parse(listed.stdout) as { name: string }[]).map((p) => p.name.toLowerCase().replace(/[-_.]+/g, '-')));
    for (const top of TOP) assert.ok(names.has(top), `${top} installed`);
  });

  it('resolved with PEP 658 metadata files and PEP 691 JSON pages', async () => {
    const pip = server.access.filter((a) => (a.userAgent ?? '').startsWith('pip/'));
    assert.ok(pip.length > 0, 'pip requests reached the server');
    const metadata = pip.filter((a) => a.path.endsWith('.whl.metadata'));
    assert.ok(metadata.length >= 40, `pip fetched core metadata files (${metadata.length})`);
    for (const m of metadata) assert.equal(m.status, 200, m.path);
    const pages = pip.filter((a) => a.path.startsWith('/simple/'));
    assert.ok(pages.some((p) => p.path === '/simple/flask/' && p.status === 200));
    for (const p of pages) assert.ok(p.status === 200 || p.status === 304, `${p.path} answered ${p.status}`);

    // The same request pip makes for a project page gets PEP 691 JSON.
    const res = await fetch(`${server.url}/simple/rich/`, { headers: { accept: PIP_ACCEPT } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.pypi.simple.v1+json');
    assert.match(res.headers.get('vary') ?? '', /accept/i);
    const page = (await res.json()) as { name: string; files: { filename: string; 'core-metadata'?: unknown }[] };
    assert.equal(page.name, 'rich');
    assert.ok(page.files.every((f) => typeof f['core-metadata'] === 'object'), 'every wheel advertises its metadata file');
  });

  it('pip download fetches the very bytes that were imported', { timeout: 120_000 }, async () => {
    const dest = join(work, 'downloads');
    const r = await venv.pip(['download', '--no-deps', '-d', dest, '--index-url', `${server.url}/simple/`, 'rich']);
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(await readdir(dest), ['rich-15.0.0-py3-none-any.whl']);
    const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');
    assert.equal(await sha(join(dest, 'rich-15.0.0-py3-none-any.whl')), await sha(join(CORPUS, 'rich-15.0.0-py3-none-any.whl')));
  });

  it('reports a clear failure for a project the index does not have', { timeout: 120_000 }, async () => {
    // numpy is in this machine's /opt indexes, which its pip config adds: failing proves isolation.
    const r = await venv.pip(['install', '--index-url', `${server.url}/simple/`, 'numpy']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No matching distribution found for numpy/);
  });
});
