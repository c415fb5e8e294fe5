/**
 * `syncLock`, `downloadLock` and `exportRequirements` with real parts: a paved server holding the
 * corpus wheels, locks written by hand from what it serves, environments made with Python 3.11
 * (the corpus's compiled wheels are cp311), judged by importing and by the machine's own pip.
 * Hostile servers are tiny 127.0.0.1 listeners made here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downloadLock } from '../../src/client/downloadLock.js';
import { createIndexClient, type IndexClient } from '../../src/client/indexClient/indexClient.js';
import { syncLock, type SyncLockEvent } from '../../src/client/syncLock.js';
import { isPavedError } from '../../src/errors.js';
import { collectDistributionFiles, createLocalImporter, importFiles } from '../../src/index/importDistributions.js';
import { openVenv } from '../../src/installer/createVenv.js';
import { readInstalledDistributions } from '../../src/installer/readInstalledDistributions.js';
import { exportRequirements } from '../../src/project/exportRequirements.js';
import { parsePylock, serializePylock } from '../../src/project/pylock.js';
import type { LockedPackage, Pylock } from '../../src/project/pylockModel.js';
import { buildWheel } from '../fixtures/buildDistributions.js';
import { PYPI_SUBSET } from '../fixtures/corpus.js';
import { describeRun, isolatedPipEnv, run, type RunResult } from '../fixtures/pythonTools.js';
import { startTestServer, type TestServer } from '../fixtures/testServer.js';

const PYTHON = '3.11';
const FLASK = ['flask', 'werkzeug', 'jinja2', 'markupsafe', 'itsdangerous', 'click', 'blinker'];

function machinePip(venvPython: string, args: string[]): Promise<RunResult> {
  return run('python3', ['-m', 'pip', '--python', venvPython, '--disable-pip-version-check', ...args], { env: isolatedPipEnv(), timeoutMs: 120_000 });
}

/** What is installed, as `name==version` lines: the thing that must not change after a failure. */
async function installedList(venv: string): Promise<string[]> {
  if (!existsSync(join(venv, 'pyvenv.cfg'))) return [];
  return (await readInstalledDistributions(venv)).distributions.map((d) => `${d.name.toLowerCase()}==${d.version}`).sort();
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isPavedError(error), `expected a PavedError, got ${String((error as Error).stack ?? error)}`);
    return { code: error.code, message: error.message };
  }
  assert.fail('expected a failure');
}

/** A tiny HTTP server answering from a table; `truncate` sends a Content-Length and then only half the body. */
interface Route {
  status?: number;
  type?: string;
  body: Buffer | string;
  truncate?: boolean;
}
async function tinyServer(routes: Record<string, Route>): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const route = routes[req.url ?? ''];
    if (route === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = Buffer.from(route.body);
    res.writeHead(route.status ?? 200, { 'Content-Type': route.type ?? 'application/octet-stream', 'Content-Length': String(body.length) });
    if (route.truncate === true) {
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      setTimeout(() => res.destroy(), 20);
    } else res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('syncLock against a real paved server', () => {
  let server: TestServer;
  let mirror: TestServer;
  let work: string;
  let index: string;
  let client: IndexClient;
  let entries: Map<string, LockedPackage>;

  /** A lock of the named corpus packages, files at the server's URLs, as `paved lock` would write it. */
  const lockOf = (names: string[], patch: (p: LockedPackage) => LockedPackage = (p) => p): Pylock => ({
    lockVersion: '1.0',
    environments: null,
    requiresPython: '>=3.10',
    extras: [],
    dependencyGroups: ['dev'],
    defaultGroups: [],
    createdBy: 'paved-tests',
    packages: names.map((n) => patch(structuredClone(entries.get(n) as LockedPackage))),
    pavedInputs: null,
    tool: {},
  });

  const newClient = (indexUrls: string[], more: Partial<Parameters<typeof createIndexClient>[0]> = {}): IndexClient =>
    createIndexClient({ indexUrls, cacheDir: null, retries: 1, retryDelayMs: 10, timeoutMs: 5_000, env: {}, ...more });

  before(async () => {
    const files = (await collectDistributionFiles([PYPI_SUBSET])).files;
    server = await startTestServer();
    mirror = await startTestServer();
    for (const s of [server, mirror]) {
      const summary = await importFiles('root/main', files, await createLocalImporter(s.storage, 'root/main'), { jobs: 8 });
      assert.equal(summary.added, 46);
      await s.listen();
    }
    index = `${server.url}/simple/`;
    client = newClient([index]);
    work = await mkdtemp(join(tmpdir(), 'paved-synclock-'));
    entries = new Map();
    for (const name of [...FLASK, 'idna', 'rich', 'pygments', 'markdown-it-py', 'mdurl']) {
      const project = await client.getProject(name);
      const wheel = project.files.find((f) => f.filename.endsWith('.whl'));
      assert.ok(wheel !== undefined && wheel.sha256 !== null, name);
      entries.set(name, {
        name,
        version: wheel.version,
        marker: null,
        requiresPython: wheel.requiresPython,
        index,
        dependencies: [],
        wheels: [{ name: wheel.filename, url: wheel.url, path: null, uploadTime: wheel.uploadTime, size: wheel.size, hashes: { sha256: wheel.sha256 } }],
        sdist: null,
        otherSource: null,
        tool: {},
      });
    }
  });
  after(async () => {
    await client?.close();
    await server?.close();
    await mirror?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('syncs a lock into a new 3.11 venv that imports and that pip checks clean; a package dropped from the lock is removed', { timeout: 120_000 }, async () => {
    const venv = join(work, 'venv');
    const cache = join(work, 'cache');
    // Through the file format, as the CLI will: the lock is written and read back.
    const lock = parsePylock(serializePylock(lockOf([...FLASK, 'idna']))).lock;
    const events: SyncLockEvent[] = [];
    const result = await syncLock({ lock, lockDir: work, venvDir: venv, python: PYTHON, client, cacheDir: cache, onEvent: (e) => events.push(e) });
    assert.equal(result.python.slice(0, 5), '3.11.');
    assert.equal(result.downloaded, 8);
    assert.deepEqual(result.plan.install.map((s) => s.name).sort(), [...FLASK, 'idna'].sort());
    assert.ok(events.some((e) => e.type === 'venv-created'));
    assert.deepEqual(events.find((e) => e.type === 'fetch-plan'), { type: 'fetch-plan', total: 8, cached: 0 });
    assert.equal(events.filter((e) => e.type === 'fetched').length, 8);

    const python = join(venv, 'bin', 'python');
    const imported = await run(python, ['-c', 'import flask, markupsafe, idna; print(markupsafe._speedups.__file__.endswith(".so"))']);
    assert.equal(imported.stdout.trim(), 'True', describeRun(imported));
    const check = await machinePip(python, ['check']);
    assert.equal(check.code, 0, describeRun(check));

    const smaller = lockOf(FLASK);
    const again = await syncLock({ lock: smaller, lockDir: work, venvDir: venv, client, cacheDir: cache });
    assert.deepEqual(again.plan.remove.map((s) => s.name), ['idna']);
    assert.equal(again.plan.install.length, 0);
    assert.equal(again.downloaded, 0);
    assert.ok(!(await installedList(venv)).some((l) => l.startsWith('idna==')), 'idna is gone');
    const gone = await run(python, ['-c', 'import idna']);
    assert.notEqual(gone.code, 0);
    assert.equal((await machinePip(python, ['check'])).code, 0);
  });

  it('does not download a wheel the global cache already holds with the locked sha256, and a dry run changes nothing', { timeout: 60_000 }, async () => {
    const cache = join(work, 'cache');
    const fileHits = (): number => server.access.filter((a) => a.path.endsWith('.whl')).length;
    const before = fileHits();
    const dry = await syncLock({ lock: lockOf(FLASK), lockDir: work, venvDir: join(work, 'dry'), python: PYTHON, client, cacheDir: join(work, 'empty-cache'), dryRun: true });
    assert.equal(dry.dryRun, true);
    assert.equal(dry.plan.install.length, FLASK.length);
    assert.ok(!existsSync(join(work, 'dry')), 'no venv made on a dry run');
    assert.ok(!existsSync(join(work, 'empty-cache', 'archives-v1')), 'nothing downloaded on a dry run');

    const venv2 = join(work, 'venv2');
    const result = await syncLock({ lock: lockOf(FLASK), lockDir: work, venvDir: venv2, python: PYTHON, client, cacheDir: cache });
    assert.equal(result.downloaded, 0);
    assert.equal(result.plan.install.length, FLASK.length);
    assert.equal(fileHits(), before, 'no wheel was requested from the server');
  });

  it('refuses a file whose bytes differ from the lock (PAVED_E_HASH_MISMATCH) and leaves the venv as it was', { timeout: 60_000 }, async () => {
    const venv = join(work, 'venv');
    const before = await installedList(venv);
    const lock = lockOf([...FLASK, 'idna'], (p) => (p.name === 'idna' ? { ...p, wheels: p.wheels.map((w) => ({ ...w, hashes: { sha256: 'e'.repeat(64) } })) } : p));
    const e = await failure(syncLock({ lock, lockDir: work, venvDir: venv, client, cacheDir: join(work, 'cache') }));
    assert.equal(e.code, 'PAVED_E_HASH_MISMATCH');
    assert.match(e.message, /idna-3\.20-py3-none-any\.whl \(idna 3\.20\) does not match the sha256 in the lock \(expected e{64}, got [0-9a-f]{64}\)/);
    assert.deepEqual(await installedList(venv), before);
  });

  it('a truncated download is a clear error with nothing installed and no environment left behind', { timeout: 60_000 }, async () => {
    const bytes = await buildWheel({ name: 'cutoff', version: '1.0' });
    const tiny = await tinyServer({ '/cutoff-1.0-py3-none-any.whl': { body: bytes, truncate: true } });
    try {
      const lock = lockOf(['idna']);
      lock.packages.push({ ...(structuredClone(entries.get('idna')) as LockedPackage), name: 'cutoff', version: '1.0', wheels: [{ name: null, url: `${tiny.url}/cutoff-1.0-py3-none-any.whl`, path: null, uploadTime: null, size: bytes.length, hashes: { sha256: sha256(bytes) } }] });
      const venv = join(work, 'cut-venv');
      const cache = join(work, 'cut-cache');
      const e = await failure(syncLock({ lock, lockDir: work, venvDir: venv, python: PYTHON, client, cacheDir: cache }));
      assert.equal(e.code, 'PAVED_E_NETWORK');
      assert.match(e.message, /cutoff-1\.0-py3-none-any\.whl/);
      assert.ok(!existsSync(venv), 'no environment was created');
      const archived = existsSync(join(cache, 'archives-v1', sha256(bytes).slice(0, 2), sha256(bytes))) ? await readdir(join(cache, 'archives-v1', sha256(bytes).slice(0, 2), sha256(bytes))) : [];
      assert.deepEqual(archived, [], 'no partial file is kept');
    } finally {
      await tiny.close();
    }
  });

  it('a wheel with a ../ member is refused by the cache and the venv is unchanged', { timeout: 60_000 }, async () => {
    const bytes = await buildWheel({ name: 'evil', version: '1.0', extraEntries: [{ name: '../../evil.py', data: 'print("pwned")\n' }] });
    const tiny = await tinyServer({ '/evil-1.0-py3-none-any.whl': { body: bytes } });
    try {
      const venv = join(work, 'venv');
      const before = await installedList(venv);
      const lock = lockOf([...FLASK, 'idna']);
      lock.packages.push({ ...(structuredClone(entries.get('idna')) as LockedPackage), name: 'evil', version: '1.0', wheels: [{ name: 'evil-1.0-py3-none-any.whl', url: `${tiny.url}/evil-1.0-py3-none-any.whl`, path: null, uploadTime: null, size: null, hashes: { sha256: sha256(bytes) } }] });
      const e = await failure(syncLock({ lock, lockDir: work, venvDir: venv, client, cacheDir: join(work, 'cache') }));
      assert.equal(e.code, 'PAVED_E_UNSAFE_WHEEL');
      assert.deepEqual(await installedList(venv), before, 'idna was not installed either');
      assert.ok(!existsSync(join(work, 'evil.py')) && !existsSync(join(venv, 'evil.py')) && !existsSync(join(venv, 'lib', 'evil.py')));
    } finally {
      await tiny.close();
    }
  });

  it('with indexUrlOverride installs the same files from a second server by filename, and refuses a same-named file with another hash', { timeout: 120_000 }, async () => {
    // The lock's own URLs point nowhere, so every file must come from the mirror.
    const lock = lockOf(['rich', 'pygments', 'markdown-it-py', 'mdurl'], (p) => ({ ...p, wheels: p.wheels.map((w) => ({ ...w, url: `http://127.0.0.1:9/files/${w.name ?? ''}` })) }));
    const mirrorClient = newClient([`${mirror.url}/simple/`]);
    const venv = join(work, 'mirror-venv');
    try {
      const result = await syncLock({ lock, lockDir: work, venvDir: venv, python: PYTHON, client: mirrorClient, cacheDir: join(work, 'mirror-cache'), indexUrlOverride: true });
      assert.equal(result.downloaded, 4);
      const imported = await run(join(venv, 'bin', 'python'), ['-c', 'import rich; print("ok")']);
      assert.equal(imported.stdout.trim(), 'ok', describeRun(imported));
    } finally {
      await mirrorClient.close();
    }

    // An index that holds another file under the locked name.
    const fake = await buildWheel({ name: 'mdurl', version: '0.1.2' });
    const mdurl = entries.get('mdurl') as LockedPackage;
    const filename = mdurl.wheels[0]?.name as string;
    const tiny = await tinyServer({
      '/simple/mdurl/': { type: 'text/html', body: `<html><body><a href="/f/${filename}#sha256=${sha256(fake)}">${filename}</a></body></html>` },
      [`/f/${filename}`]: { body: fake },
      '/garbage/mdurl/': { type: 'application/vnd.pypi.simple.v1+json', body: '<html><body>this is not JSON<<<' },
    });
    const swapped = newClient([`${tiny.url}/simple/`]);
    const garbage = newClient([`${tiny.url}/garbage/`]);
    try {
      const before = await installedList(venv);
      const e = await failure(syncLock({ lock: lockOf(['mdurl']), lockDir: work, venvDir: join(work, 'swap-venv'), python: PYTHON, client: swapped, cacheDir: join(work, 'swap-cache'), indexUrlOverride: true }));
      assert.equal(e.code, 'PAVED_E_HASH_MISMATCH');
      assert.match(e.message, new RegExp(`${filename.replace(/\./g, '\\.')} on .* has sha256 ${sha256(fake)}, but the lock requires ${mdurl.wheels[0]?.hashes['sha256'] ?? ''}`));
      assert.ok(!existsSync(join(work, 'swap-venv')));

      // (Into a fresh venv: one that already has mdurl 0.1.2 needs no file at all.)
      const g = await failure(syncLock({ lock: lockOf(['mdurl']), lockDir: work, venvDir: join(work, 'garbage-venv'), python: PYTHON, client: garbage, cacheDir: join(work, 'swap-cache'), indexUrlOverride: true }));
      assert.equal(g.code, 'PAVED_E_INVALID_SIMPLE_PAGE', g.message);
      assert.ok(!existsSync(join(work, 'garbage-venv')));
      // The environment that has it stays as it is, and needs no index to say so.
      await syncLock({ lock: lockOf(['rich', 'pygments', 'markdown-it-py', 'mdurl']), lockDir: work, venvDir: venv, client: garbage, cacheDir: join(work, 'swap-cache'), indexUrlOverride: true });
      assert.deepEqual(await installedList(venv), before);
      assert.ok(!tiny.hits.includes(`/f/${filename}`), 'the swapped file was never downloaded');
    } finally {
      await swapped.close();
      await garbage.close();
      await tiny.close();
    }
  });

  it('downloadLock fills a folder that an offline, find-links-only sync installs from', { timeout: 120_000 }, async () => {
    const dest = join(work, 'wheelhouse');
    const lock = lockOf(['rich', 'pygments', 'markdown-it-py', 'mdurl']);
    const first = await downloadLock({ lock, dest, client, lockDir: work });
    assert.deepEqual(first.files.map((f) => [f.name, f.downloaded]).sort(), [['markdown-it-py', true], ['mdurl', true], ['pygments', true], ['rich', true]]);
    const second = await downloadLock({ lock, dest, client, lockDir: work });
    assert.ok(second.files.every((f) => !f.downloaded), 'verified copies are kept');

    const offline = newClient([], { findLinks: [dest], offline: true });
    try {
      const venv = join(work, 'airgap-venv');
      const result = await syncLock({ lock, lockDir: work, venvDir: venv, python: PYTHON, client: offline, cacheDir: join(work, 'airgap-cache'), indexUrlOverride: true });
      assert.equal(result.plan.install.length, 4);
      const imported = await run(join(venv, 'bin', 'python'), ['-c', 'import rich, pygments; print("ok")']);
      assert.equal(imported.stdout.trim(), 'ok', describeRun(imported));
    } finally {
      await offline.close();
    }
  });

  it('installs files the lock names by path relative to its directory; downloadLock for an interpreter takes only its files', { timeout: 60_000 }, async () => {
    const lockDir = join(work, 'project');
    const wheelhouse = join(lockDir, 'wheels');
    const lock = lockOf(['idna']);
    const fetched = await downloadLock({ lock, dest: wheelhouse, client, lockDir });
    const local = lockOf(['idna'], (p) => ({ ...p, wheels: p.wheels.map((w) => ({ ...w, url: null, path: `wheels/${w.name ?? ''}` })) }));
    const text = serializePylock(local);
    assert.match(text, /path = "wheels\/idna-3\.20-py3-none-any\.whl"/);
    const venv = join(work, 'path-venv');
    const result = await syncLock({ lock: parsePylock(text).lock, lockDir, venvDir: venv, python: PYTHON, client: newClient([], { offline: true }), cacheDir: join(work, 'path-cache') });
    assert.deepEqual(result.plan.install.map((s) => `${s.name} ${s.version}`), ['idna 3.20']);
    assert.equal(fetched.files.length, 1);

    // Two wheels locked for one package: an interpreter's download takes the one it would install.
    const interpreter = (await openVenv(venv)).interpreter;
    const twoWheels = lockOf(['idna'], (p) => ({ ...p, wheels: [...p.wheels, { name: 'idna-3.20-cp27-cp27m-win32.whl', url: 'http://127.0.0.1:9/idna-3.20-cp27-cp27m-win32.whl', path: null, uploadTime: null, size: null, hashes: { sha256: 'f'.repeat(64) } }] }));
    const only = await downloadLock({ lock: twoWheels, dest: join(work, 'only'), client, lockDir, interpreter });
    assert.deepEqual(only.files.map((f) => f.filename), ['idna-3.20-py3-none-any.whl']);
    const all = await failure(downloadLock({ lock: twoWheels, dest: join(work, 'all'), client, lockDir }));
    assert.equal(all.code, 'PAVED_E_NETWORK', all.message);
  });

  it('pip --require-hashes accepts the exported requirements of a lock and installs exactly it', { timeout: 180_000 }, async () => {
    const venv = join(work, 'pip-venv');
    const made = await run('python3.11', ['-m', 'venv', '--without-pip', venv], { env: isolatedPipEnv() });
    assert.equal(made.code, 0, describeRun(made));
    const lock = lockOf([...FLASK, 'idna'], (p) => (p.name === 'idna' ? { ...p, marker: "'dev' in dependency_groups" } : p));
    const text = exportRequirements(lock);
    assert.doesNotMatch(text, /idna/, 'idna is only in the dev group');
    const file = join(work, 'requirements.txt');
    await writeFile(file, text);
    const installed = await machinePip(join(venv, 'bin', 'python'), ['install', '--require-hashes', '-r', file, '--index-url', index, '--no-cache-dir']);
    assert.equal(installed.code, 0, describeRun(installed));
    const names = (await installedList(venv)).map((l) => l.split('==')[0]);
    assert.deepEqual(names.sort(), [...FLASK].sort());
    assert.equal((await machinePip(join(venv, 'bin', 'python'), ['check'])).code, 0);
  });
});
