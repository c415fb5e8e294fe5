/**
 * `paved serve --workers N` as an operator runs it: the bundled CLI `npm start` runs (node:cluster's
 * primary must be the real `paved` entry, not a test loader; the bundle must find the native
 * SQLite addon, fastify and the shipped popular-packages list the policy loads at start-up), N processes on one port and data directory, and a
 * SIGTERM that stops them all with exit 0. A second server on the same port fails with exit 1
 * instead of re-forking workers forever. Then the client side of the same bundle: a cold
 * `paved install` unpacks on worker threads, which load `unpackWorker.cjs` beside the bundle.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PYPI_SUBSET } from '../fixtures/corpus.js';
import { describeRun, run } from '../fixtures/pythonTools.js';
import { pavedEnv, REPO_ROOT } from './pavedCli.js';

const MAIN = join(REPO_ROOT, 'dist/bundle/main.js');

describe('paved serve --workers', () => {
  let data: string;
  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'paved-workers-'));
    const build = await run(process.execPath, [join(REPO_ROOT, 'scripts/bundle.mjs')], { cwd: REPO_ROOT, timeoutMs: 180_000 });
    assert.equal(build.code, 0, build.stdout + build.stderr);
  });
  after(() => rm(data, { recursive: true, force: true }));

  it('serves from several processes and stops them all on SIGTERM', async () => {
    const proc = spawn(process.execPath, [MAIN, 'serve', '--data', data, '--port', '0', '--workers', '2', '--access-log', 'off'], { cwd: REPO_ROOT, env: pavedEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while ((out.match(/paved serving/g) ?? []).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal((out.match(/paved serving/g) ?? []).length, 2, out);
    const url = /paved serving .* at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
    for (let i = 0; i < 20; i++) assert.equal((await fetch(`${url}/+health`)).status, 200);

    const second = await run(process.execPath, [MAIN, 'serve', '--data', data, '--port', new URL(url).port, '--workers', '2'], { cwd: REPO_ROOT, env: pavedEnv(), timeoutMs: 30_000 });
    assert.equal(second.code, 1, second.stdout + second.stderr);
    assert.match(second.stderr, /already in use/);

    proc.kill('SIGTERM');
    assert.equal(await exited, 0, out);
    await assert.rejects(fetch(`${url}/+health`));
  });

  it('installs with a cold cache through the bundle (its unpacking worker threads load), and the packages import', { timeout: 180_000 }, async () => {
    const served = join(data, 'client');
    const imported = await run(process.execPath, [MAIN, '--data', served, 'import', 'root/main', join(PYPI_SUBSET, 'idna-3.20-py3-none-any.whl'), join(PYPI_SUBSET, 'pygments-2.21.0-py3-none-any.whl')], { cwd: REPO_ROOT, env: pavedEnv(), timeoutMs: 60_000 });
    assert.equal(imported.code, 0, describeRun(imported));
    const proc = spawn(process.execPath, [MAIN, 'serve', '--data', served, '--port', '0', '--access-log', 'off'], { cwd: REPO_ROOT, env: pavedEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!/paved serving/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const url = /paved serving .* at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      const venv = join(data, 'venv');
      const installed = await run(process.execPath, [MAIN, 'install', '--index-url', `${url}/simple/`, '--target-venv', venv, '--cache-dir', join(data, 'cache'), '--no-config', 'idna', 'pygments'], { cwd: REPO_ROOT, env: pavedEnv(), timeoutMs: 120_000 });
      assert.equal(installed.code, 0, describeRun(installed));
      const check = await run(join(venv, 'bin', 'python'), ['-c', 'import idna, pygments; print(idna.__version__, pygments.__version__)']);
      assert.equal(check.stdout.trim(), '3.20 2.21.0', describeRun(check));
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  });
});
