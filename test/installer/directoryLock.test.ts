/**
 * The inter-process directory lock: two processes started together hold it one after the other,
 * a lock left by a dead process or too old is broken with a note, a live holder makes a waiter
 * give up with PAVED_E_LOCK_TIMEOUT and a hint, hostile lock files (garbage, huge, a
 * directory, pid 0) give clear answers, and a holder stopped by Ctrl-C or `kill` leaves no lock.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPavedError } from '../../src/errors.js';
import { acquireDirectoryLock, lockFileFor, type DirectoryLockEvent } from '../../src/installer/directoryLock.js';
import { REPO_ROOT } from '../e2e/pavedCli.js';
import { describeRun, run } from '../fixtures/pythonTools.js';

describe('acquireDirectoryLock', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-dirlock-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  const holderText = (pid: number, created: Date): string => JSON.stringify({ pid, hostname: hostname(), created: created.toISOString(), token: 'someone-else' });

  it('two processes started together hold the lock one after the other', { timeout: 60_000 }, async () => {
    const dir = join(work, 'shared', 'entry');
    const log = join(work, 'holders.log');
    const child = (): Promise<Awaited<ReturnType<typeof run>>> =>
      run(process.execPath, ['--import', 'tsx', 'test/fixtures/holdDirectoryLock.ts', dir, log, '1500'], { cwd: REPO_ROOT, timeoutMs: 50_000 });
    const [a, b] = await Promise.all([child(), child()]);
    assert.equal(a.code, 0, describeRun(a));
    assert.equal(b.code, 0, describeRun(b));
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 4, lines.join('\n'));
    // Never two holders at once: each start is followed by the same process's end.
    assert.match(lines[0] as string, /^start \d+$/);
    assert.equal(lines[1], (lines[0] as string).replace('start', 'end'));
    assert.match(lines[2] as string, /^start \d+$/);
    assert.equal(lines[3], (lines[2] as string).replace('start', 'end'));
    assert.notEqual(lines[0], lines[2]);
    const events = [a, b].map((r) => r.stdout.trim().split('\n').map((l) => JSON.parse(l) as DirectoryLockEvent));
    const waited = events.filter((e) => e.some((x) => x.type === 'lock-waiting'));
    assert.equal(waited.length, 1, 'the second process waited for the first (and said so)');
    assert.ok(!existsSync(lockFileFor(dir)), 'the last holder removed the lock file');
  });

  it('breaks a lock whose process is dead, with a note', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    const pid = dead.pid as number;
    await new Promise((resolve) => dead.on('exit', resolve));
    const dir = join(work, 'dead');
    await writeFile(lockFileFor(dir), holderText(pid, new Date()));
    const events: DirectoryLockEvent[] = [];
    const lock = await acquireDirectoryLock(dir, { timeoutMs: 2_000, onEvent: (e) => events.push(e) });
    assert.deepEqual(
      events.map((e) => e.type),
      ['lock-broken', 'lock-acquired'],
    );
    const broken = events[0] as Extract<DirectoryLockEvent, { type: 'lock-broken' }>;
    assert.equal(broken.reason, 'dead-process');
    assert.equal(broken.holder?.pid, pid);
    const held = JSON.parse(await readFile(lock.lockFile, 'utf8')) as { pid: number };
    assert.equal(held.pid, process.pid, 'the lock file now names this process');
    await lock.release();
    assert.ok(!existsSync(lock.lockFile));
  });

  it('breaks a lock older than the stale limit even when its pid runs', async () => {
    const dir = join(work, 'old');
    await writeFile(lockFileFor(dir), holderText(process.pid, new Date(Date.now() - 3 * 60 * 60_000)));
    const events: DirectoryLockEvent[] = [];
    const lock = await acquireDirectoryLock(dir, { timeoutMs: 2_000, onEvent: (e) => events.push(e) });
    const broken = events.find((e) => e.type === 'lock-broken');
    assert.ok(broken?.type === 'lock-broken' && broken.reason === 'expired', JSON.stringify(events));
    await lock.release();
  });

  it('a live holder makes a waiter give up with PAVED_E_LOCK_TIMEOUT and a hint; once released the lock is free', async () => {
    const dir = join(work, 'busy');
    const first = await acquireDirectoryLock(dir);
    const events: DirectoryLockEvent[] = [];
    await assert.rejects(acquireDirectoryLock(dir, { timeoutMs: 400, description: 'the test environment', onEvent: (e) => events.push(e) }), (e: unknown) => {
      assert.ok(isPavedError(e, 'PAVED_E_LOCK_TIMEOUT'));
      assert.match(e.message, /the test environment/);
      assert.match(e.message, new RegExp(`process ${process.pid}`));
      assert.ok(e.hint?.includes(lockFileFor(dir)), e.hint);
      return true;
    });
    const waiting = events.filter((e) => e.type === 'lock-waiting');
    assert.ok(waiting.length >= 1);
    assert.equal(waiting[0]?.type === 'lock-waiting' ? waiting[0].holder?.pid : null, process.pid);
    assert.ok(existsSync(first.lockFile), 'the waiter left the live lock alone');
    await first.release();
    const second = await acquireDirectoryLock(dir, { timeoutMs: 400 });
    await second.release();
  });

  it('a waiter gets the lock as soon as the holder releases it', async () => {
    const dir = join(work, 'handover');
    const first = await acquireDirectoryLock(dir);
    setTimeout(() => void first.release(), 300);
    const events: DirectoryLockEvent[] = [];
    const second = await acquireDirectoryLock(dir, { timeoutMs: 5_000, onEvent: (e) => events.push(e) });
    const acquired = events.at(-1);
    assert.equal(acquired?.type, 'lock-acquired');
    assert.ok(acquired?.type === 'lock-acquired' && acquired.waitedMs >= 250, JSON.stringify(acquired));
    await second.release();
  });

  it('release leaves alone a lock another process took over', async () => {
    const dir = join(work, 'taken-over');
    const lock = await acquireDirectoryLock(dir);
    const theirs = holderText(process.pid, new Date());
    await writeFile(lock.lockFile, theirs);
    await lock.release();
    assert.equal(await readFile(lock.lockFile, 'utf8'), theirs);
  });

  it('hostile lock files: garbage and pid 0 wait while fresh and are broken once old; a huge file is not read whole; a directory is refused', async () => {
    for (const [name, content] of [
      ['garbage', 'not json {{{'],
      ['pid-zero', JSON.stringify({ pid: 0, hostname: hostname(), created: new Date().toISOString(), token: 'x' })],
      ['negative-pid', JSON.stringify({ pid: -1, hostname: hostname(), created: new Date().toISOString(), token: 'x' })],
      ['huge', `{"pid":1,${'x'.repeat(2 * 1024 * 1024)}`],
      ['empty', ''],
    ] as const) {
      const dir = join(work, `hostile-${name}`);
      await writeFile(lockFileFor(dir), content);
      // Fresh: maybe a lock being written right now, so it is waited for.
      await assert.rejects(acquireDirectoryLock(dir, { timeoutMs: 200 }), (e: unknown) => isPavedError(e, 'PAVED_E_LOCK_TIMEOUT'), name);
      const old = new Date(Date.now() - 60_000);
      await utimes(lockFileFor(dir), old, old);
      const events: DirectoryLockEvent[] = [];
      const lock = await acquireDirectoryLock(dir, { timeoutMs: 2_000, onEvent: (e) => events.push(e) });
      const broken = events.find((e) => e.type === 'lock-broken');
      assert.ok(broken?.type === 'lock-broken' && broken.reason === 'unreadable' && broken.holder === null, `${name}: ${JSON.stringify(events)}`);
      await lock.release();
    }
    const dir = join(work, 'hostile-directory');
    await mkdir(lockFileFor(dir), { recursive: true });
    await assert.rejects(acquireDirectoryLock(dir, { timeoutMs: 200 }), (e: unknown) => isPavedError(e, 'PAVED_E_LOCK_FAILED') && /not a lock file/.test(e.message) && e.hint !== undefined);
  });

  /** Starts a process that takes the lock on `dir` and holds it for a minute; resolves once it holds it. */
  const startHolder = async (dir: string): Promise<{ exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; kill(signal: NodeJS.Signals): void }> => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/holdDirectoryLock.ts', dir, join(work, 'interrupted.log'), '60000'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => {
        output += data.toString();
        if (output.includes('"lock-acquired"')) resolve();
      });
      void exited.then(() => reject(new Error(`the holder ended before it held the lock: ${output}`)));
    });
    return { exited, kill: (signal) => child.kill(signal) };
  };

  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`a holder stopped by ${signal} removes its lock and still ends by the signal (exit status ${status} in a shell)`, { timeout: 30_000 }, async () => {
      const dir = join(work, `interrupted-${signal}`);
      const holder = await startHolder(dir);
      assert.ok(existsSync(lockFileFor(dir)));
      holder.kill(signal);
      assert.deepEqual(await holder.exited, { code: null, signal });
      assert.ok(!existsSync(lockFileFor(dir)), 'no lock left for the next run to find stale');
      // Free at once, with nothing to break.
      const events: DirectoryLockEvent[] = [];
      const lock = await acquireDirectoryLock(dir, { timeoutMs: 1_000, onEvent: (e) => events.push(e) });
      await lock.release();
      assert.deepEqual(events.map((e) => e.type), ['lock-acquired']);
    });
  }

  it('a holder stopped by a signal leaves alone a lock another process took over', { timeout: 30_000 }, async () => {
    const dir = join(work, 'interrupted-taken-over');
    const holder = await startHolder(dir);
    const theirs = holderText(process.pid, new Date());
    await writeFile(lockFileFor(dir), theirs);
    holder.kill('SIGTERM');
    assert.deepEqual(await holder.exited, { code: null, signal: 'SIGTERM' });
    assert.equal(await readFile(lockFileFor(dir), 'utf8'), theirs);
    await rm(lockFileFor(dir));
  });

  it('the signal handlers are there only while a lock is held', async () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    const first = await acquireDirectoryLock(join(work, 'handlers-a'));
    const second = await acquireDirectoryLock(join(work, 'handlers-b'));
    assert.deepEqual({ int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }, { int: before.int + 1, term: before.term + 1 });
    await first.release();
    assert.equal(process.listenerCount('SIGINT'), before.int + 1, 'one lock is still held');
    await second.release();
    assert.deepEqual({ int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }, before, 'Ctrl-C acts as before once nothing is held');
  });

  it('a parent that cannot be made is PAVED_E_LOCK_FAILED, not a stack trace', async () => {
    await writeFile(join(work, 'a-file'), 'x');
    await assert.rejects(acquireDirectoryLock(join(work, 'a-file', 'cache', 'entry')), (e: unknown) => isPavedError(e, 'PAVED_E_LOCK_FAILED') && /ENOTDIR/.test(e.message));
  });
});
