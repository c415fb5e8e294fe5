/**
 * PEP 658 metadata files whose body fails after the headers, as a user of a flaky index or proxy
 * meets them through the real CLI: a metadata file cut short or stalled once is fetched again and
 * `paved install` succeeds with the dependencies it names; one cut short every time ends in an
 * error that names it (without the index URL's credentials) after the retries, and is not cached:
 * the next run fetches it again and succeeds. A small node:http front (flakyFront.ts) forwards to
 * a live paved server and spoils the answers it is told to.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRun } from '../fixtures/pythonTools.js';
import { startWheelsWorkspace } from '../fixtures/testServer.js';
import { startFlakyFront, type FlakyFront } from './flakyFront.js';
import { jsonEvents, jsonResult, paved } from './pavedCli.js';

describe('metadata files cut short or stalled', () => {
  let workspace: Awaited<ReturnType<typeof startWheelsWorkspace>>;
  let front: FlakyFront;
  before(async () => {
    // demo depends on dep: an install that lists dep read all of demo's metadata.
    workspace = await startWheelsWorkspace('paved-flaky-metadata-', [['demo', '1.0', { requiresDist: ['dep'] }], ['dep', '1.0']]);
    front = await startFlakyFront(workspace.server.url, (path) => /\/demo-1\.0-[^/]*\.whl\.metadata$/.test(path));
  });
  after(async () => {
    await front?.close();
    await workspace?.close();
  });

  const install = (cache: string, indexUrl: string, extra: string[] = []) =>
    paved(['--json', 'install', 'demo', '--dry-run', '--target-venv', join(workspace.work, `venv-${cache}`), '--cache-dir', join(workspace.work, `cache-${cache}`), '--no-config', '--index-url', indexUrl, ...extra]);
  const installed = (r: Awaited<ReturnType<typeof paved>>): string[] =>
    jsonResult<{ installed: { name: string; version: string }[] }>(r)
      .installed.map((p) => `${p.name} ${p.version}`)
      .sort();

  for (const fault of ['cut', 'stall'] as const) {
    it(`a metadata file whose first answer is ${fault === 'cut' ? 'cut short' : 'stalled'} is fetched again and paved install succeeds`, async () => {
      front.spoil([fault]);
      const r = await install(fault, `${front.url}/simple/`, ['--timeout', '1']);
      assert.equal(r.code, 0, describeRun(r));
      assert.deepEqual(installed(r), ['demo 1.0', 'dep 1.0']);
      assert.equal(front.requests, 2, 'the spoilt answer and the good one');
    });
  }

  it('a metadata file cut short every time fails naming it without the credentials, is not cached, and the next run fetches it and succeeds', async () => {
    front.spoil(['cut', 'cut', 'cut', 'cut', 'cut', 'cut']);
    const token = await workspace.server.token('alice', 'read:root/main');
    const indexUrl = `${front.url.replace('http://', `http://__token__:${token}@`)}/simple/`;
    const failed = await install('always-cut', indexUrl);
    assert.notEqual(failed.code, 0, describeRun(failed));
    const error = jsonEvents(failed.stdout).find((event) => event.type === 'error') as { code: string; message: string; hint?: string } | undefined;
    assert.ok(error !== undefined, describeRun(failed));
    assert.equal(error.code, 'PAVED_E_NETWORK');
    assert.match(error.message, /^http:\/\/127\.0\.0\.1:\d+\/\S+\/demo-1\.0-py3-none-any\.whl\.metadata ended after \d+ of \d+ bytes: the connection closed mid-transfer/);
    assert.ok(!(failed.stdout + failed.stderr).includes(token), 'the token is never printed');
    assert.equal(front.requests, 4, 'one try and three retries');

    // The same cache, the index answering whole again: the metadata is fetched, not a cut copy reused.
    front.spoil([]);
    const later = await install('always-cut', indexUrl);
    assert.equal(later.code, 0, describeRun(later));
    assert.deepEqual(installed(later), ['demo 1.0', 'dep 1.0']);
    assert.equal(front.requests, 1);
  });
});
