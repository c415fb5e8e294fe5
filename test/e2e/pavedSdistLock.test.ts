/**
 * Projects that depend on releases published only as sdists, through the real CLI against a
 * live paved server: `paved lock` records the sdist (metadata from PKG-INFO under PEP 643, else
 * from the back-end), `paved sync` builds and installs it, a second environment takes the built
 * wheel from the cache, `--no-build` refuses with the package named, a failing build changes
 * nothing, and `paved download --lock` fills a folder that an offline sync installs from once
 * the server is gone. The in-tree back-end logs each hook call: the evidence of what was built.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalImporter, importFiles } from '../../src/index/importDistributions.js';
import { parsePylock } from '../../src/project/pylock.js';
import { buildWheel, sdistFilenameFor, wheelFilenameFor } from '../fixtures/buildDistributions.js';
import { inTreeBackendSdist, type InTreeBackendOptions } from '../fixtures/inTreeBackend.js';
import { describeRun, run } from '../fixtures/pythonTools.js';
import { startTestServer, type TestServer } from '../fixtures/testServer.js';
import { jsonEvents, jsonResult, paved } from './pavedCli.js';

describe('paved lock / sync / download --lock with sdist-only releases', () => {
  let server: TestServer;
  let serverClosed = false;
  let work: string;
  let index: string;
  let cache: string;

  const logOf = (name: string): string => join(work, `${name}.log`);
  const hooks = async (name: string): Promise<string[]> => (existsSync(logOf(name)) ? (await readFile(logOf(name), 'utf8')).trim().split('\n') : []);
  const count = (lines: string[], hook: string): number => lines.filter((l) => l === hook).length;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-sdist-lock-'));
    cache = join(work, 'cache');
    const upload = join(work, 'upload');
    await mkdir(upload);
    const sdist = async (options: Omit<InTreeBackendOptions, 'log'>): Promise<string> => {
      const path = join(upload, sdistFilenameFor(options));
      await writeFile(path, await inTreeBackendSdist({ ...options, log: logOf(options.name) }));
      return path;
    };
    const paths = [
      // Metadata-Version 2.1 PKG-INFO: only the back-end can say what it depends on.
      await sdist({ name: 'sdistonly', version: '1.0', requiresDist: ['tinydep>=1'], initPy: 'import tinydep\nVALUE = "built " + tinydep.V\n' }),
      // PEP 643: a static PKG-INFO stands for the wheel's metadata, no hook runs to lock it.
      await sdist({ name: 'staticpkg', version: '2.0', pkgInfo: { 'Metadata-Version': '2.2', Name: 'staticpkg', Version: '2.0' } }),
      await sdist({ name: 'brokenpkg', version: '0.1', mode: 'fail' }),
    ];
    const dep = join(upload, wheelFilenameFor({ name: 'tinydep', version: '1.0' }));
    await writeFile(dep, await buildWheel({ name: 'tinydep', version: '1.0', files: { 'tinydep/__init__.py': 'V = "dep"\n' } }));
    server = await startTestServer();
    const summary = await importFiles('root/main', [...paths, dep], await createLocalImporter(server.storage, 'root/main'));
    assert.deepEqual(summary.refused, [], JSON.stringify(summary.refused));
    await server.listen();
    index = `${server.url}/simple/`;
  });
  after(async () => {
    if (!serverClosed) await server?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  const project = async (name: string, dependencies: string[]): Promise<string> => {
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'pyproject.toml'),
      `[project]\nname = "${name}"\nversion = "0.1"\nrequires-python = ">=3.11"\ndependencies = ${JSON.stringify(dependencies)}\n\n[tool.paved]\npython = "3.11"\n`,
    );
    return dir;
  };

  it('a failing build stops sync with the back-end named and leaves the environment as it was', { timeout: 120_000 }, async () => {
    const dir = await project('broken', ['tinydep']);
    const flags = ['--project', dir, '--index-url', index, '--cache-dir', cache];
    const first = await paved(['sync', ...flags]);
    assert.equal(first.code, 0, describeRun(first));
    const before = (await readdir(join(dir, '.venv', 'lib', 'python3.11', 'site-packages'))).sort();

    await writeFile(join(dir, 'pyproject.toml'), (await readFile(join(dir, 'pyproject.toml'), 'utf8')).replace('["tinydep"]', '["tinydep", "brokenpkg"]'));
    const failed = await paved(['sync', ...flags]);
    assert.equal(failed.code, 1, describeRun(failed));
    assert.match(failed.stderr, /brokenpkg-0\.1\.tar\.gz/);
    assert.match(failed.stderr, /compiler exploded|build_wheel/);
    assert.deepEqual((await readdir(join(dir, '.venv', 'lib', 'python3.11', 'site-packages'))).sort(), before, 'nothing in the venv changed');
  });

  it('locks the sdist, builds it on sync, reuses the build for a fresh venv, refuses --no-build, and installs offline from a downloaded folder', { timeout: 240_000 }, async () => {
    const dir = await project('app', ['sdistonly', 'staticpkg']);
    const flags = ['--project', dir, '--index-url', index, '--cache-dir', cache];

    const locked = await paved(['lock', ...flags, '--json']);
    assert.equal(locked.code, 0, describeRun(locked));
    const { lock } = parsePylock(await readFile(join(dir, 'pylock.toml'), 'utf8'));
    const byName = new Map(lock.packages.map((p) => [p.name, p]));
    assert.deepEqual([...byName.keys()].sort(), ['sdistonly', 'staticpkg', 'tinydep']);
    for (const name of ['sdistonly', 'staticpkg']) {
      const pkg = byName.get(name);
      assert.deepEqual(pkg?.wheels, [], name);
      assert.equal(pkg?.sdist?.name, sdistFilenameFor({ name, version: name === 'sdistonly' ? '1.0' : '2.0' }));
      assert.match(pkg?.sdist?.hashes['sha256'] ?? '', /^[0-9a-f]{64}$/);
    }
    assert.deepEqual(byName.get('sdistonly')?.dependencies.map((d) => d.name), ['tinydep'], 'the dependencies the back-end reported are locked');
    assert.equal(count(await hooks('sdistonly'), 'prepare_metadata_for_build_wheel'), 1);
    assert.equal(count(await hooks('sdistonly'), 'build_wheel'), 0, 'locking learns metadata without building the wheel');
    assert.deepEqual(await hooks('staticpkg'), [], 'a PEP 643 PKG-INFO needs no hook at all');

    // --no-build: the sdist is not installable, and the message says which package and why.
    const refused = await paved(['sync', '--frozen', '--no-build', ...flags]);
    assert.equal(refused.code, 1, describeRun(refused));
    assert.match(refused.stderr, /(sdistonly|staticpkg) .*only the sdist .*--no-build/);
    assert.ok(!existsSync(join(dir, '.venv')), 'nothing was created');
    const lockRefused = await paved(['lock', '--no-build', ...flags, '--upgrade']);
    assert.equal(lockRefused.code, 1, describeRun(lockRefused));
    assert.match(lockRefused.stderr, /only as sdists and building is off \(--no-build\): (sdistonly 1\.0|staticpkg 2\.0)/);

    const synced = await paved(['sync', '--frozen', ...flags, '--json']);
    assert.equal(synced.code, 0, describeRun(synced));
    const built = jsonEvents(synced.stdout).filter((e) => e.type === 'info' && /^built /.test(String(e['message'])));
    assert.deepEqual(built.map((e) => e['sdist']).sort(), ['sdistonly-1.0.tar.gz', 'staticpkg-2.0.tar.gz']);
    const python = join(dir, '.venv', 'bin', 'python');
    const imported = await run(python, ['-c', 'import sdistonly, staticpkg; print(sdistonly.VALUE, staticpkg.VALUE)']);
    assert.equal(imported.stdout.trim(), 'built dep 2.0', describeRun(imported));
    assert.equal(count(await hooks('sdistonly'), 'build_wheel'), 1);

    // A fresh environment: the wheel built from the locked sdist comes from the cache.
    await rm(join(dir, '.venv'), { recursive: true, force: true });
    const again = await paved(['sync', '--frozen', ...flags, '--json']);
    assert.equal(again.code, 0, describeRun(again));
    assert.equal(count(await hooks('sdistonly'), 'build_wheel'), 1, 'no second build');
    assert.equal(count(await hooks('staticpkg'), 'build_wheel'), 1);
    assert.equal((await run(python, ['-c', 'import sdistonly; print(sdistonly.VALUE)'])).stdout.trim(), 'built dep');

    // A wheelhouse from the lock's own URLs; then, with the server gone, a fresh cache and a fresh venv.
    const house = join(work, 'wheelhouse');
    const downloaded = await paved(['download', '--lock', join(dir, 'pylock.toml'), '-d', house, '--cache-dir', cache, '--json']);
    assert.equal(downloaded.code, 0, describeRun(downloaded));
    assert.deepEqual((await readdir(house)).sort(), ['sdistonly-1.0.tar.gz', 'staticpkg-2.0.tar.gz', 'tinydep-1.0-py3-none-any.whl']);
    assert.equal(jsonResult<{ files: unknown[] }>(downloaded).files.length, 3);
    await server.close();
    serverClosed = true;
    await rm(join(dir, '.venv'), { recursive: true, force: true });
    const offline = await paved(['sync', '--frozen', '--offline', '--find-links', house, '--project', dir, '--cache-dir', join(work, 'cache-airgap'), '--json']);
    assert.equal(offline.code, 0, describeRun(offline));
    const airgapped = await run(python, ['-c', 'import sdistonly, staticpkg; print(sdistonly.VALUE)']);
    assert.equal(airgapped.stdout.trim(), 'built dep', describeRun(airgapped));
    assert.equal(count(await hooks('sdistonly'), 'build_wheel'), 2, 'built again offline, from the downloaded sdist, with an empty cache');
  });
});
