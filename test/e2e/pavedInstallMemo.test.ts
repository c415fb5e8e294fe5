/**
 * The resolution memo as a user meets it: `paved install` of the same requirements with the same
 * cache reuses its last resolution (and says so), but only while every project page that
 * resolution read is unchanged. A new release, a yank, other requirements, an installed version
 * or `--verbose` resolve in full again; a damaged memo is ignored. Real CLI, live paved server.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildWheel, wheelFilenameFor } from '../fixtures/buildDistributions.js';
import { describeRun } from '../fixtures/pythonTools.js';
import { importFolders, startWheelsWorkspace, type TestServer } from '../fixtures/testServer.js';
import { jsonEvents, jsonResult, paved } from './pavedCli.js';

interface Installed {
  installed: { name: string; version: string }[];
  resolutionReused: boolean;
}

describe('paved install reuses its last resolution while the pages it read are unchanged', () => {
  let workspace: Awaited<ReturnType<typeof startWheelsWorkspace>>;
  let server: TestServer;
  let work: string;
  let cache: string;
  let venvs = 0;

  const install = async (requirements: string[], extra: string[] = []): Promise<Installed & { labels: string[] }> => {
    const r = await paved(['install', ...requirements, '--index-url', `${server.url}/simple/`, '--target-venv', join(work, `venv${++venvs}`), '--cache-dir', cache, '--json', ...extra]);
    assert.equal(r.code, 0, describeRun(r));
    const labels = jsonEvents(r.stdout).flatMap((e) => (e.type === 'progress' && typeof e['label'] === 'string' ? [e['label']] : []));
    return { ...jsonResult<Installed>(r), labels };
  };
  const versions = (result: Installed): string => result.installed.map((p) => `${p.name} ${p.version}`).join(', ');

  before(async () => {
    workspace = await startWheelsWorkspace('paved-memo-', [
      ['app', '1.0', { requiresDist: ['lib>=1'] }],
      ['lib', '1.0'],
    ]);
    ({ server, work } = workspace);
    cache = join(work, 'cache');
  });
  after(() => workspace?.close());

  it('reuses it for the same install, and resolves again after a new release, a yank, other requirements or with --verbose', { timeout: 180_000 }, async () => {
    const first = await install(['app']);
    assert.equal(first.resolutionReused, false);
    assert.equal(versions(first), 'app 1.0, lib 1.0');
    assert.equal((await readdir(join(cache, 'resolutions-v1'))).length, 1, 'the resolution is kept in the cache');

    const second = await install(['app']);
    assert.equal(second.resolutionReused, true);
    assert.equal(versions(second), 'app 1.0, lib 1.0');
    assert.ok(second.labels.some((l) => /^resolved 2 packages \(as last time: the 2 project pages read then are unchanged\)$/.test(l)), second.labels.join('\n'));

    // A new release of a dependency changes its page: resolved in full, and the new release is chosen.
    const dist = join(work, 'dist-later');
    await mkdir(dist);
    await writeFile(join(dist, wheelFilenameFor({ name: 'lib', version: '1.1' })), await buildWheel({ name: 'lib', version: '1.1' }));
    await importFolders(server, [dist]);
    const afterRelease = await install(['app']);
    assert.equal(afterRelease.resolutionReused, false);
    assert.equal(versions(afterRelease), 'app 1.0, lib 1.1');
    assert.equal((await install(['app'])).resolutionReused, true);

    // A yank changes the page too: lib 1.1 is not chosen any more.
    const yanked = await paved(['--data', server.dataDir, 'yank', 'root/main', 'lib', '1.1', '--reason', 'broken']);
    assert.equal(yanked.code, 0, describeRun(yanked));
    const afterYank = await install(['app']);
    assert.equal(afterYank.resolutionReused, false);
    assert.equal(versions(afterYank), 'app 1.0, lib 1.0');

    // Other requirements are another resolution.
    const pinned = await install(['app', 'lib<1.1']);
    assert.equal(pinned.resolutionReused, false);
    assert.equal(versions(pinned), 'app 1.0, lib 1.0');

    // --verbose explains the resolver's decisions, so it resolves in full.
    const verbose = await install(['app'], ['--verbose']);
    assert.equal(verbose.resolutionReused, false);
    assert.equal(versions(verbose), 'app 1.0, lib 1.0');
  });

  it('ignores a damaged or altered memo and resolves in full', { timeout: 120_000 }, async () => {
    const memoDir = join(cache, 'resolutions-v1');
    assert.equal((await install(['app'])).resolutionReused, true);
    const files = await readdir(memoDir);
    // A memo naming a file the index does not list is not trusted.
    for (const file of files) {
      const path = join(memoDir, file);
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.replaceAll('lib-1.0-py3-none-any.whl', 'lib-1.0-py3-none-evil.whl'));
    }
    const altered = await install(['app']);
    assert.equal(altered.resolutionReused, false);
    assert.equal(versions(altered), 'app 1.0, lib 1.0');
    // Garbage in every memo file: ignored, and replaced by the full resolution's.
    for (const file of await readdir(memoDir)) await writeFile(join(memoDir, file), '{"memoVersion": 1, "projects": ');
    const garbage = await install(['app']);
    assert.equal(garbage.resolutionReused, false);
    assert.equal(versions(garbage), 'app 1.0, lib 1.0');
    assert.equal((await install(['app'])).resolutionReused, true);
  });

  it('does not reuse a resolution made with other versions installed', { timeout: 120_000 }, async () => {
    const dist = join(work, 'dist-newer');
    await mkdir(dist);
    await writeFile(join(dist, wheelFilenameFor({ name: 'lib', version: '1.2' })), await buildWheel({ name: 'lib', version: '1.2' }));
    await importFolders(server, [dist]);
    // Into a new environment app brings lib 1.2, and that resolution is kept.
    assert.equal(versions(await install(['app'])), 'app 1.0, lib 1.2');
    assert.equal((await install(['app'])).resolutionReused, true);
    // With lib 1.0 installed, app keeps it (pip's rule): another resolution, not the one kept.
    const venv = join(work, 'kept');
    const args = ['--index-url', `${server.url}/simple/`, '--target-venv', venv, '--cache-dir', cache, '--json'];
    const old = await paved(['install', 'lib==1.0', ...args]);
    assert.equal(old.code, 0, describeRun(old));
    const withInstalled = await paved(['install', 'app', ...args]);
    assert.equal(withInstalled.code, 0, describeRun(withInstalled));
    const result = jsonResult<Installed>(withInstalled);
    assert.equal(result.resolutionReused, false);
    assert.equal(versions(result), 'app 1.0');
  });
});
