/**
 * Project pages whose body fails after the headers, as a user of a flaky index or proxy meets
 * them through the real CLI: a page cut short or stalled once is fetched again and the command
 * succeeds; a page cut short every time ends in an error that names the page (without the
 * credentials of the index URL) after the retries. A small node:http front (flakyFront.ts)
 * forwards to a live paved server and spoils the answers it is told to.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRun } from '../fixtures/pythonTools.js';
import { startWheelsWorkspace } from '../fixtures/testServer.js';
import { startFlakyFront, type FlakyFront } from './flakyFront.js';
import { jsonEvents, jsonResult, paved } from './pavedCli.js';

describe('project pages cut short or stalled', () => {
  let workspace: Awaited<ReturnType<typeof startWheelsWorkspace>>;
  let front: FlakyFront;
  let frontUrl: string;
  before(async () => {
    workspace = await startWheelsWorkspace('paved-flaky-pages-', [['demo', '1.0']]);
    front = await startFlakyFront(workspace.server.url, (path) => path.startsWith('/simple/demo/'));
    frontUrl = front.url;
  });
  after(async () => {
    await front?.close();
    await workspace?.close();
  });

  const install = (name: string, indexUrl: string, extra: string[] = []) =>
    paved(['--json', 'install', 'demo', '--dry-run', '--target-venv', join(workspace.work, `venv-${name}`), '--cache-dir', join(workspace.work, `cache-${name}`), '--no-config', '--index-url', indexUrl, ...extra]);

  for (const fault of ['cut', 'stall'] as const) {
    it(`a page whose first answer is ${fault === 'cut' ? 'cut short' : 'stalled'} is fetched again and paved install succeeds`, async () => {
      front.spoil([fault]);
      const r = await install(fault, `${frontUrl}/simple/`, ['--timeout', '1']);
      assert.equal(r.code, 0, describeRun(r));
      const data = jsonResult<{ installed: { name: string; version: string }[] }>(r);
      assert.deepEqual(data.installed.map((p) => `${p.name} ${p.version}`), ['demo 1.0']);
      assert.equal(front.requests, 2, 'the spoilt answer and the good one');
    });
  }

  it('a page cut short every time fails after the retries, naming the page without the credentials', async () => {
    front.spoil(['cut', 'cut', 'cut', 'cut', 'cut', 'cut']);
    const token = await workspace.server.token('alice', 'read:root/main');
    const r = await install('always-cut', `${frontUrl.replace('http://', `http://__token__:${token}@`)}/simple/`);
    assert.notEqual(r.code, 0, describeRun(r));
    const error = jsonEvents(r.stdout).find((event) => event.type === 'error') as { code: string; message: string; hint?: string } | undefined;
    assert.ok(error !== undefined, describeRun(r));
    assert.equal(error.code, 'PAVED_E_NETWORK');
    assert.match(error.message, /^http:\/\/127\.0\.0\.1:\d+\/simple\/demo\/ ended after \d+ of \d+ bytes: the connection closed mid-transfer/);
    assert.ok(!(r.stdout + r.stderr).includes(token), 'the token is never printed');
    assert.equal(front.requests, 4, 'one try and three retries');
  });
});
