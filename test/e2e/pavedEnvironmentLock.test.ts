/**
 * The lock on an environment (`<venv>.lock`) as a user meets it through the real CLI: an
 * uninstall started while an install works on the same `--target-venv` waits for it and then
 * runs (neither reads what the other is changing), and an install stopped by Ctrl-C (SIGINT) or
 * `kill` (SIGTERM) removes its lock on the way out and still ends by the signal, so the next run
 * finds no stale lock. A node:http front before a live paved server holds back the answers the
 * test is not ready for.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRun, type RunResult } from '../fixtures/pythonTools.js';
import { startWheelsWorkspace } from '../fixtures/testServer.js';
import { jsonEvents, paved, pavedArgs, pavedEnv, REPO_ROOT } from './pavedCli.js';

describe('the environment lock between paved processes', () => {
  let workspace: Awaited<ReturnType<typeof startWheelsWorkspace>>;
  let front: Server;
  let index: string;
  /** Requests for paths starting with this are held until `releaseHeld()`; null holds nothing. */
  let holdPrefix: string | null = null;
  let held: (() => void)[] = [];
  const stalled = new Set<ServerResponse>();

  function forward(request: IncomingMessage, response: ServerResponse): void {
    const upstream = new URL(request.url ?? '/', workspace.server.url);
    const outgoing = httpRequest(upstream, { method: request.method ?? 'GET', headers: { ...request.headers, host: upstream.host } }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    outgoing.on('error', () => response.destroy());
    outgoing.end();
  }

  const releaseHeld = (): void => {
    holdPrefix = null;
    for (const go of held.splice(0)) go();
  };

  const until = async (what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const sitePackages = async (venv: string): Promise<string[]> => {
    const lib = join(venv, 'lib');
    const [python] = (await readdir(lib)).filter((entry) => entry.startsWith('python'));
    assert.ok(python !== undefined, `no python folder in ${lib}`);
    return (await readdir(join(lib, python, 'site-packages'))).filter((entry) => entry.endsWith('.dist-info')).sort();
  };

  before(async () => {
    workspace = await startWheelsWorkspace('paved-env-lock-', [
      ['alpha', '1.0'],
      ['beta', '1.0'],
    ]);
    front = createServer((request, response) => {
      if (request.url === '/stall/' || request.url?.startsWith('/stall/') === true) return void stalled.add(response);
      if (holdPrefix !== null && request.url?.startsWith(holdPrefix) === true) return void held.push(() => forward(request, response));
      forward(request, response);
    });
    await new Promise<void>((done) => front.listen(0, '127.0.0.1', done));
    index = `http://127.0.0.1:${(front.address() as AddressInfo).port}/simple/`;
  });
  after(async () => {
    releaseHeld();
    for (const response of stalled) response.destroy();
    front?.closeAllConnections();
    await new Promise<void>((done) => (front === undefined ? done() : front.close(() => done())));
    await workspace?.close();
  });

  it('an uninstall started while an install works on the same environment waits for it, then runs', { timeout: 120_000 }, async () => {
    const venv = join(workspace.work, 'turns-venv');
    const cache = join(workspace.work, 'turns-cache');
    const common = ['--target-venv', venv, '--cache-dir', cache, '--no-config', '--index-url', index];
    const first = await paved(['install', 'alpha', ...common], { timeoutMs: 90_000 });
    assert.equal(first.code, 0, describeRun(first));
    assert.deepEqual(await sitePackages(venv), ['alpha-1.0.dist-info']);

    // The install takes the lock, then waits on beta's page, which the front holds back.
    holdPrefix = '/simple/beta/';
    let installDone: RunResult | null = null;
    const installing = paved(['--json', 'install', 'beta', ...common], { timeoutMs: 90_000 }).then((r) => (installDone = r));
    await until('the install to ask for beta', () => held.length > 0);
    assert.ok(existsSync(`${venv}.lock`), 'the install holds the lock');

    let uninstallDone: RunResult | null = null;
    const uninstalling = paved(['--json', 'uninstall', 'alpha', '--target-venv', venv], { timeoutMs: 90_000 }).then((r) => (uninstallDone = r));
    // Long enough for an uninstall of one tiny distribution to finish many times over.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    assert.equal(uninstallDone, null, 'the uninstall waits while the install holds the environment');
    assert.deepEqual(await sitePackages(venv), ['alpha-1.0.dist-info'], 'nothing removed yet');

    releaseHeld();
    const [installed, uninstalled] = await Promise.all([installing, uninstalling]);
    assert.equal(installed.code, 0, describeRun(installed));
    assert.equal(uninstalled.code, 0, describeRun(uninstalled));
    assert.ok(installDone !== null);
    const waiting = jsonEvents(uninstalled.stdout).find((event) => event.type === 'progress');
    assert.match(String(waiting?.['label']), /^waiting for paved process \d+ working on \S*turns-venv/, describeRun(uninstalled));
    const result = jsonEvents(uninstalled.stdout).at(-1)?.['data'] as { removed: { name: string; version: string }[]; kept: number };
    assert.deepEqual(result.removed.map((r) => `${r.name} ${r.version}`), ['alpha 1.0']);
    assert.equal(result.kept, 1, 'it saw the beta the install had just put there');
    assert.deepEqual(await sitePackages(venv), ['beta-1.0.dist-info']);
    assert.ok(!existsSync(`${venv}.lock`), 'no lock left behind');
  });

  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`an install stopped by ${signal} while it holds the lock removes it and ends by the signal (exit status ${status})`, { timeout: 60_000 }, async () => {
      const venv = join(workspace.work, `interrupted-${signal}`);
      // A request stalled by an earlier test must not count as this install's: the wait below must
      // see this install ask the index, long after it took the lock and set its signal handlers
      // (the lock file exists a moment before the handlers do).
      for (const response of stalled) response.destroy();
      stalled.clear();
      const stallIndex = index.replace('/simple/', '/stall/');
      const child = spawn(process.execPath, pavedArgs(['install', 'alpha', '--target-venv', venv, '--cache-dir', join(workspace.work, 'interrupted-cache'), '--no-config', '--index-url', stallIndex]), {
        cwd: REPO_ROOT,
        env: pavedEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (data: Buffer) => (output += data.toString()));
      child.stderr.on('data', (data: Buffer) => (output += data.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, by) => resolve({ code, signal: by })));
      let ended = false;
      void exited.then(() => (ended = true));
      await until('the install to take the lock and ask the index', () => ended || (existsSync(`${venv}.lock`) && stalled.size > 0));
      assert.equal(ended, false, output);
      child.kill(signal);
      assert.deepEqual(await exited, { code: null, signal }, output);
      assert.ok(!existsSync(`${venv}.lock`), `the lock is gone: ${output}`);
    });
  }
});
