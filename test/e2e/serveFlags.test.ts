/**
 * `paved serve` flags that change what an operator sees: the access log can be switched off,
 * --default-index must name an index, --max-upload-size is enforced.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { paved, pavedArgs, pavedEnv, REPO_ROOT } from './pavedCli.js';

async function startServe(args: string[]): Promise<{ url: string; output: () => string; stop: () => Promise<number | null> }> {
  const proc = spawn(process.execPath, pavedArgs(['serve', '--port', '0', ...args]), { cwd: REPO_ROOT, env: pavedEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stdout}`)), 30_000);
    const check = () => {
      const m = /paved serving .* at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout.on('data', check);
    proc.on('exit', () => reject(new Error(`serve exited: ${stdout}`)));
  });
  return {
    url,
    output: () => stdout,
    stop: () =>
      new Promise((resolve) => {
        proc.on('exit', (code) => resolve(code));
        proc.kill('SIGTERM');
      }),
  };
}

describe('paved serve flags', () => {
  let data: string;
  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'paved-serve-'));
  });
  after(() => rm(data, { recursive: true, force: true }));

  it('--access-log off writes no access lines; the default writes one JSON line per request', async () => {
    const quiet = await startServe(['--data', data, '--access-log', 'off']);
    assert.equal((await fetch(`${quiet.url}/simple/`)).status, 200);
    assert.equal(await quiet.stop(), 0);
    assert.ok(!quiet.output().includes('"type":"access"'), quiet.output());

    const loud = await startServe(['--data', data]);
    assert.equal((await fetch(`${loud.url}/simple/`)).status, 200);
    assert.equal(await loud.stop(), 0);
    assert.match(loud.output(), /"type":"access".*"path":"\/simple\/"/);
  });

  it('--default-index must exist, and then serves /simple/', async () => {
    const missing = await paved(['serve', '--data', data, '--port', '0', '--default-index', 'no/such']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /the default index 'no\/such' does not exist/);
    await paved(['index', 'create', 'team/main', '--data', data]);
    const other = await startServe(['--data', data, '--default-index', 'team/main']);
    const page = await (await fetch(`${other.url}/simple/`)).text();
    await other.stop();
    assert.match(page, /pypi:repository-version/);
  });

  it('--max-upload-size is enforced', async () => {
    const token = JSON.parse((await paved(['token', 'create', '--user', 'up', '--scope', 'upload:root/main', '--data', data, '--json'])).stdout.trim().split('\n').at(-1)!).data.token as string;
    const small = await startServe(['--data', data, '--max-upload-size', '1K']);
    const form = new FormData();
    form.set(':action', 'file_upload');
    form.set('content', new Blob([Buffer.alloc(4096, 1)]), 'big-1.0-py3-none-any.whl');
    const r = await fetch(`${small.url}/root/main/`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
    await small.stop();
    assert.equal(r.status, 413);
  });
});
