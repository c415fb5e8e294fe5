/**
 * `installRequirements` fetching wheels while the resolver still works: real wheels in a static
 * PEP 503/691 tree served over 127.0.0.1 (every answer delayed, as a real network does), a real
 * Python 3.11 environment, and the server's request log as the witness of what was fetched when.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIndexClient } from '../../src/client/indexClient/indexClient.js';
import { installRequirements, type InstallEvent } from '../../src/client/installRequirements.js';
import { isPavedError } from '../../src/errors.js';
import { readInstalledDistributions } from '../../src/installer/readInstalledDistributions.js';
import { buildWheel, wheelFilenameFor } from '../fixtures/buildDistributions.js';
import { buildStaticIndex, serveStaticIndex, type StaticIndex, type StaticIndexServer } from '../fixtures/staticIndex.js';

const PYTHON = '3.11';

interface Release {
  name: string;
  version: string;
  requires?: string[];
}

// app → mid → leaf → base: a chain the resolver can only walk one page at a time.
// pick (2 versions) is decided before other (3): pick 2.0 brings clash<2, which every other
// refuses, so the resolver has to go back to pick 1.0 after deciding pick 2.0 and clash 1.0.
const RELEASES: Release[] = [
  { name: 'app', version: '1.0', requires: ['mid'] },
  { name: 'mid', version: '1.0', requires: ['leaf'] },
  { name: 'leaf', version: '1.0', requires: ['base'] },
  { name: 'base', version: '1.0' },
  { name: 'pick', version: '1.0' },
  { name: 'pick', version: '2.0', requires: ['clash<2'] },
  { name: 'clash', version: '1.0' },
  { name: 'clash', version: '2.0' },
  { name: 'other', version: '1.0', requires: ['clash>=2'] },
  { name: 'other', version: '1.1', requires: ['clash>=2'] },
  { name: 'other', version: '1.2', requires: ['clash>=2'] },
];

describe('installRequirements fetches wheels while resolving', () => {
  let work: string;
  let tree: StaticIndex;
  let server: StaticIndexServer;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-early-fetch-'));
    const paths: string[] = [];
    for (const r of RELEASES) {
      const path = join(work, wheelFilenameFor(r));
      await writeFile(path, await buildWheel({ ...r, metadata: { requiresDist: r.requires ?? [] } }));
      paths.push(path);
    }
    tree = await buildStaticIndex(paths);
    server = await serveStaticIndex(tree.dir, { delayMs: 40 });
  });
  after(async () => {
    await server?.close();
    await tree?.remove();
    await rm(work, { recursive: true, force: true });
  });

  async function install(requirements: string[], venv: string, cache: string, events: InstallEvent[] = []) {
    const client = createIndexClient({ indexUrls: [server.simpleUrl], cacheDir: cache, env: {} });
    try {
      return await installRequirements({
        requirements: requirements.map((requirement) => ({ requirement })),
        client,
        venvDir: venv,
        python: PYTHON,
        cacheDir: cache,
        onEvent: (e) => events.push(e),
      });
    } finally {
      await client.close();
    }
  }

  const fileRequests = (from: number) => server.requests.slice(from).filter((r) => r.path.endsWith('.whl'));

  it('downloads a decided wheel before the last page is read, each wheel once, and installs the chain', { timeout: 120_000 }, async () => {
    const from = server.requests.length;
    const venv = join(work, 'chain-venv');
    const result = await install(['app'], venv, join(work, 'chain-cache'));
    assert.deepEqual(result.installed.map((p) => `${p.name} ${p.version}`), ['app 1.0', 'base 1.0', 'leaf 1.0', 'mid 1.0']);
    assert.equal(result.downloaded, 4);

    const log = server.requests.slice(from).map((r) => r.path);
    const appWheel = log.findIndex((p) => p.endsWith(wheelFilenameFor({ name: 'app', version: '1.0' })));
    const basePage = log.findIndex((p) => /\/simple\/base\/?/.test(p));
    assert.ok(appWheel !== -1 && basePage !== -1, log.join('\n'));
    assert.ok(appWheel < basePage, `app's wheel was asked for before base's page:\n${log.join('\n')}`);
    const wheels = fileRequests(from).map((r) => r.path);
    assert.equal(new Set(wheels).size, wheels.length, `no wheel downloaded twice:\n${wheels.join('\n')}`);

    const installed = (await readInstalledDistributions(venv)).distributions.map((d) => `${d.name} ${d.version}`).sort();
    assert.deepEqual(installed, ['app 1.0', 'base 1.0', 'leaf 1.0', 'mid 1.0']);
  });

  it('installs what the resolution ends with when a backtrack drops a wheel already fetched', { timeout: 120_000 }, async () => {
    const from = server.requests.length;
    const events: InstallEvent[] = [];
    const venv = join(work, 'backtrack-venv');
    const result = await install(['pick', 'other'], venv, join(work, 'backtrack-cache'), events);
    assert.deepEqual(result.installed.map((p) => `${p.name} ${p.version}`), ['clash 2.0', 'other 1.2', 'pick 1.0']);
    const decided = events.flatMap((e) => (e.type === 'resolver' && e.event.type === 'decision' ? [`${e.event.package} ${e.event.version.toString()}`] : []));
    assert.ok(decided.includes('pick 2.0'), `the resolver tried pick 2.0 first: ${decided.join(', ')}`);
    assert.ok(
      fileRequests(from).some((r) => r.path.endsWith(wheelFilenameFor({ name: 'pick', version: '2.0' }))),
      'pick 2.0 was fetched early, before the backtrack',
    );
    const installed = (await readInstalledDistributions(venv)).distributions.map((d) => `${d.name} ${d.version}`).sort();
    assert.deepEqual(installed, ['clash 2.0', 'other 1.2', 'pick 1.0']);
  });

  it('fetches nothing for wheels the cache holds', { timeout: 120_000 }, async () => {
    const cache = join(work, 'warm-cache');
    await install(['app'], join(work, 'warm-1'), cache);
    const from = server.requests.length;
    const again = await install(['app'], join(work, 'warm-2'), cache);
    assert.equal(again.downloaded, 0);
    assert.deepEqual(fileRequests(from), []);
  });

  it('reports a wheel that fails its hash, fetched early or not, and makes no environment', { timeout: 120_000 }, async () => {
    // The tree's page keeps the old hash; the file behind it changes.
    const leaf = join(tree.filesDir, wheelFilenameFor({ name: 'leaf', version: '1.0' }));
    const entry = tree.entries.find((e) => e.filename === wheelFilenameFor({ name: 'leaf', version: '1.0' }));
    assert.ok(entry !== undefined && existsSync(leaf), `the tree keeps wheels in ${tree.filesDir}`);
    const original = await readFile(leaf);
    await writeFile(leaf, await buildWheel({ name: 'leaf', version: '1.0', metadata: { requiresDist: ['base'], summary: 'replaced' } }));
    try {
      const venv = join(work, 'bad-venv');
      await assert.rejects(install(['app'], venv, join(work, 'bad-cache')), (error: unknown) => isPavedError(error, 'PAVED_E_DIGEST_MISMATCH'));
      assert.equal(existsSync(venv), false, 'no environment was made');
    } finally {
      await writeFile(leaf, original);
    }
  });
});
