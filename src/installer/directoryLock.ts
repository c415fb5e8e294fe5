/**
 * An inter-process lock on a directory of the global cache (a script environment, say), so two
 * paved processes started at the same moment do not both build the same thing into the same
 * place. The lock is a file beside the directory, `<dir>.lock`, created with O_EXCL (only one
 * creator can win, on every local file system), holding the holder's pid, host name, start time
 * and a random token.
 *
 * Nobody refreshes the file while holding it, so a lock is judged abandoned ("stale") only when
 * its holder is certainly gone: a pid on this host that no longer runs, or a file older than a
 * generous limit (a pid reused by another program, a holder on another host sharing the cache).
 * A stale lock is moved aside by rename, which only one breaker can do, and removed; the breaker
 * reports it as an event. A holder releases only a lock that still carries its own token.
 *
 * A process interrupted while it holds locks (Ctrl-C, `kill`) releases them on the way out: while
 * any lock is held, SIGINT and SIGTERM handlers remove the held lock files and then end the
 * process by the same signal, so the shell still sees 130 / 143 and the next run finds no stale
 * lock to wait for or break.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, lstat, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { PavedError } from '../errors.js';

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO 8601 time the lock was taken. */
  created: string;
  token: string;
}

/** Why a lock was judged abandoned. */
export type StaleLockReason = 'dead-process' | 'expired' | 'unreadable';

/** What acquiring a lock reports; the CLI shows waiting as progress and a broken lock as a note. */
export type DirectoryLockEvent =
  /** Another process holds the lock; sent when waiting starts and about once a second after. */
  | { type: 'lock-waiting'; lockFile: string; holder: LockHolder | null; waitedMs: number }
  /** A stale lock was removed (`holder` null when its content could not be read). */
  | { type: 'lock-broken'; lockFile: string; holder: LockHolder | null; reason: StaleLockReason }
  /** The lock is ours; `waitedMs` is 0 when nobody held it. */
  | { type: 'lock-acquired'; lockFile: string; waitedMs: number };

/** Options for `acquireDirectoryLock`. */
export interface DirectoryLockOptions {
  /** Give up waiting after this long with `PAVED_E_LOCK_TIMEOUT`; default 30 minutes (as long as one sdist build may take). */
  timeoutMs?: number;
  /** A lock older than this is abandoned even when its pid runs; default 2 hours. */
  staleMs?: number;
  /** Longest pause between two attempts; default 250 ms (the first pauses are shorter). */
  pollMs?: number;
  /** What the directory holds, for the timeout message (default: its path). */
  description?: string;
  onEvent?: (event: DirectoryLockEvent) => void;
}

/** A held lock. */
export interface DirectoryLock {
  /** The lock file, `<dir>.lock`. */
  readonly lockFile: string;
  /** Removes the lock file if it is still ours; calling it again does nothing. */
  release(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_STALE_MS = 2 * 60 * 60_000;
const DEFAULT_POLL_MS = 250;
/** A lock file is written a moment after it is created; one still unreadable after this was left by a crash in between. */
const UNREADABLE_GRACE_MS = 5_000;
/** A lock file is a hundred bytes; more is not ours, and is not read whole. */
const MAX_LOCK_FILE_BYTES = 4096;
const WAITING_EVENT_INTERVAL_MS = 1_000;

/** The lock file that guards `dir`. */
export function lockFileFor(dir: string): string {
  return `${dir.replace(/\/+$/, '')}.lock`;
}

/** The holder a lock file's text names, or null when the text is not one. */
function parseHolder(text: string): LockHolder | null {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value !== 'object' || value === null) return null;
    const { pid, hostname: host, created, token } = value;
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return null;
    if (typeof host !== 'string' || typeof created !== 'string' || typeof token !== 'string') return null;
    return { pid, hostname: host, created, token };
  } catch {
    return null;
  }
}

/** A lock file as read: its raw text (to recognise it again), holder and age. Null when it is gone. */
interface ObservedLock {
  text: string;
  holder: LockHolder | null;
  mtimeMs: number;
}

async function observe(lockFile: string): Promise<ObservedLock | null> {
  let info;
  try {
    info = await lstat(lockFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw lockFailed(lockFile, error);
  }
  if (!info.isFile()) {
    throw new PavedError('PAVED_E_LOCK_FAILED', `${lockFile} is not a lock file (it is a ${info.isDirectory() ? 'directory' : info.isSymbolicLink() ? 'symbolic link' : 'special file'})`, {
      hint: `Remove ${lockFile}; paved creates it as a plain file while it works on ${lockFile.slice(0, -'.lock'.length)}.`,
    });
  }
  let text = '';
  if (info.size <= MAX_LOCK_FILE_BYTES) {
    try {
      text = await readFile(lockFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw lockFailed(lockFile, error);
    }
  }
  return { text, holder: info.size <= MAX_LOCK_FILE_BYTES ? parseHolder(text) : null, mtimeMs: info.mtimeMs };
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why `lock` is abandoned, or null while its holder may still be working. */
function staleness(lock: ObservedLock, now: number, staleMs: number): StaleLockReason | null {
  if (lock.holder === null) return now - lock.mtimeMs > UNREADABLE_GRACE_MS ? 'unreadable' : null;
  // A pid means something only on the host that wrote it.
  if (lock.holder.hostname === hostname() && !processRuns(lock.holder.pid)) return 'dead-process';
  const created = Date.parse(lock.holder.created);
  const age = now - (Number.isNaN(created) ? lock.mtimeMs : created);
  return age > staleMs ? 'expired' : null;
}

function lockFailed(lockFile: string, error: unknown): PavedError {
  const code = (error as NodeJS.ErrnoException).code;
  return new PavedError('PAVED_E_LOCK_FAILED', `cannot use the lock file ${lockFile}: ${code ?? (error instanceof Error ? error.message : String(error))}`, {
    hint: code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? `Make ${dirname(lockFile)} writable, or use another cache directory (--cache-dir).` : undefined,
    cause: error,
  });
}

/**
 * Moves the stale lock aside and removes it. Rename is atomic, so of several processes that
 * judged the same lock stale, one moves it; the others find it gone. One that moved a lock
 * other than the one it judged (broken and re-taken in between) puts it back.
 */
async function breakLock(lockFile: string, judged: ObservedLock): Promise<boolean> {
  const aside = `${lockFile}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockFile, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw lockFailed(lockFile, error);
  }
  const moved = await observe(aside).catch(() => null);
  if (moved !== null && moved.text !== judged.text) {
    // A live lock: back in place, unless yet another process has taken the lock meanwhile.
    await link(aside, lockFile).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return false;
  }
  await unlink(aside).catch(() => undefined);
  return true;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A lock file this process created, and the text it writes (or wrote) into it. */
interface HeldLock {
  lockFile: string;
  text: string;
  /** True until the text is written: the file may hold only a prefix of it yet. */
  writing: boolean;
}

/**
 * The locks this process holds. Process-wide by nature, as signals are: the handlers below must
 * find every held lock whichever command or service took it.
 */
const heldLocks = new Set<HeldLock>();
const INTERRUPTIONS = ['SIGINT', 'SIGTERM'] as const;

/** Removes the held lock files that are still ours; synchronous, for a signal handler or `exit`. */
function removeHeldLocksNow(): void {
  for (const held of heldLocks) {
    try {
      const content = readFileSync(held.lockFile, 'utf8');
      // O_EXCL made the file ours; while our text is being written it may hold a prefix of it.
      if (content === held.text || (held.writing && held.text.startsWith(content))) unlinkSync(held.lockFile);
    } catch {
      // Gone already, or not readable: nothing of ours to remove.
    }
  }
  heldLocks.clear();
}

function onInterrupt(signal: NodeJS.Signals): void {
  removeHeldLocksNow();
  stopWatchingInterruptions();
  // Alone, end the process by the signal itself, as it would have without a handler (exit
  // status 128 + the signal's number; a calling shell script stops too). Another listener of
  // the signal (a server's graceful stop, say) decides for itself.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function watchInterruptions(): void {
  for (const signal of INTERRUPTIONS) process.on(signal, onInterrupt);
  // A process.exit() while a lock is held (an unexpected error path) leaves no lock either.
  process.on('exit', removeHeldLocksNow);
}

function stopWatchingInterruptions(): void {
  for (const signal of INTERRUPTIONS) process.off(signal, onInterrupt);
  process.off('exit', removeHeldLocksNow);
}

function hold(held: HeldLock): void {
  if (heldLocks.size === 0) watchInterruptions();
  heldLocks.add(held);
}

function letGo(held: HeldLock): void {
  if (!heldLocks.delete(held)) return;
  if (heldLocks.size === 0) stopWatchingInterruptions();
}

/**
 * Takes the lock on `dir` (the file `<dir>.lock`, whose parent is created when missing), waiting
 * while another live process holds it and breaking a stale one. Throws `PAVED_E_LOCK_TIMEOUT`
 * after `timeoutMs` of waiting (naming the holder), and `PAVED_E_LOCK_FAILED` when the lock file
 * cannot be created or is not a plain file.
 *
 * ```ts
 * const lock = await acquireDirectoryLock(dir, { onEvent });
 * try { ...build dir... } finally { await lock.release(); }
 * ```
 */
export async function acquireDirectoryLock(dir: string, options: DirectoryLockOptions = {}): Promise<DirectoryLock> {
  const emit = options.onEvent ?? ((): void => {});
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const lockFile = lockFileFor(dir);
  try {
    await mkdir(dirname(lockFile), { recursive: true });
  } catch (error) {
    throw lockFailed(lockFile, error);
  }
  const start = Date.now();
  let lastWaitingEvent = Number.NEGATIVE_INFINITY;
  for (let attempt = 0; ; attempt++) {
    const holder: LockHolder = { pid: process.pid, hostname: hostname(), created: new Date().toISOString(), token: randomBytes(12).toString('hex') };
    const text = `${JSON.stringify(holder)}\n`;
    let held: HeldLock | null = null;
    try {
      const handle = await open(lockFile, 'wx', 0o644);
      held = { lockFile, text, writing: true };
      hold(held);
      try {
        await handle.writeFile(text);
      } finally {
        await handle.close();
      }
      held.writing = false;
      const waitedMs = Date.now() - start;
      emit({ type: 'lock-acquired', lockFile, waitedMs });
      return lockFor(held);
    } catch (error) {
      if (held !== null) {
        await unlink(lockFile).catch(() => undefined);
        letGo(held);
        throw lockFailed(lockFile, error);
      }
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw lockFailed(lockFile, error);
    }

    const current = await observe(lockFile);
    if (current === null) continue; // released between our attempt and our look: try again now
    const now = Date.now();
    const reason = staleness(current, now, staleMs);
    if (reason !== null) {
      if (await breakLock(lockFile, current)) emit({ type: 'lock-broken', lockFile, holder: current.holder, reason });
      continue;
    }
    const waitedMs = now - start;
    if (waitedMs >= timeoutMs) {
      const who = current.holder === null ? 'another process' : `process ${current.holder.pid} on ${current.holder.hostname} (since ${current.holder.created})`;
      throw new PavedError('PAVED_E_LOCK_TIMEOUT', `waited ${Math.round(waitedMs / 1000)}s for ${options.description ?? dir}, which ${who} is still working on`, {
        hint: `Wait for the other paved process to finish and run again. If no paved process is running, delete ${lockFile}.`,
        details: { lockFile, ...(current.holder === null ? {} : { pid: current.holder.pid, hostname: current.holder.hostname, since: current.holder.created }) },
      });
    }
    if (now - lastWaitingEvent >= WAITING_EVENT_INTERVAL_MS) {
      lastWaitingEvent = now;
      emit({ type: 'lock-waiting', lockFile, holder: current.holder, waitedMs });
    }
    await sleep(Math.min(pollMs, 10 * 2 ** Math.min(attempt, 10), Math.max(1, timeoutMs - waitedMs)));
  }
}

function lockFor(held: HeldLock): DirectoryLock {
  const { lockFile, text } = held;
  let released = false;
  return {
    lockFile,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      try {
        // A lock judged stale and taken over by another process is theirs now: leave it.
        const current = await observe(lockFile).catch(() => null);
        if (current === null || current.text !== text) return;
        await unlink(lockFile).catch(() => undefined);
      } finally {
        // Only now: an interruption while the file is being removed still removes it.
        letGo(held);
      }
    },
  };
}
