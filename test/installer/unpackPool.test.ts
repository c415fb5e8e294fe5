import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { isPavedError } from '../../src/errors.js';
import { createUnpackPool, type UnpackJob } from '../../src/installer/unpackPool.js';
import { DEFAULT_LIMITS } from '../../src/installer/wheelCache.js';

const job: UnpackJob = { root: '/nonexistent', wheelPath: '/nonexistent/a.whl', sha256: 'a'.repeat(64), limits: DEFAULT_LIMITS };

describe('unpack worker pool', () => {
  it('a worker that exits mid-job fails that job with a clear error, and the pool takes new jobs on a new worker', async () => {
    let started = 0;
    // The first worker dies as soon as it gets a job; the second answers like a real one.
    const pool = createUnpackPool(1, {
      startWorker: () =>
        ++started === 1
          ? new Worker("require('node:worker_threads').parentPort.on('message', () => process.exit(3));", { eval: true })
          : new Worker("const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, error: { code: 'PAVED_E_NOT_FOUND', message: 'no wheel at ' + m.job.wheelPath, hint: null } }));", { eval: true }),
    });
    await assert.rejects(pool.unpack(job), (e: unknown) => isPavedError(e, 'PAVED_E_INSTALL') && /stopped \(exit code 3\)/.test(e.message));
    await assert.rejects(pool.unpack(job), (e: unknown) => isPavedError(e, 'PAVED_E_NOT_FOUND') && e.message === 'no wheel at /nonexistent/a.whl');
    assert.equal(started, 2);
    await pool.close();
    await assert.rejects(pool.unpack(job), (e: unknown) => isPavedError(e, 'PAVED_E_INSTALL'));
  });

  it('a worker that fails to start fails the job with its error instead of hanging', async () => {
    const pool = createUnpackPool(2, { startWorker: () => new Worker("throw new Error('cannot load the unpacker');", { eval: true }) });
    await assert.rejects(pool.unpack(job), (e: unknown) => isPavedError(e, 'PAVED_E_INSTALL') && /cannot load the unpacker/.test(e.message));
    await pool.close();
  });

  it('start() starts every worker before any job, the jobs then go to them, and idle started workers do not keep a process alive', async () => {
    let started = 0;
    const answering = "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, error: { code: 'PAVED_E_NOT_FOUND', message: 'worker ' + require('node:worker_threads').threadId, hint: null } }));";
    const pool = createUnpackPool(2, { startWorker: () => (started++, new Worker(answering, { eval: true })) });
    pool.start();
    pool.start();
    assert.equal(started, 2);
    const answers = await Promise.all([pool.unpack(job), pool.unpack(job), pool.unpack(job)].map((p) => p.then(() => '', (e: Error) => e.message)));
    assert.ok(answers.every((a) => /^worker \d+$/.test(a)), answers.join());
    assert.equal(started, 2);
    await pool.close();

    // A process that only starts a pool ends by itself.
    const script = `import { createUnpackPool } from ${JSON.stringify(new URL('../../src/installer/unpackPool.ts', import.meta.url).href)}; createUnpackPool(2).start();`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(child.status, 0, child.stderr);
  });
});
