/**
 * Worker threads that unpack wheels into the wheel cache (`unpackToCache` in `unpackWorker.ts`),
 * so a cold install inflates and writes on every core while its main thread downloads and
 * resolves. Workers start on the first job and are unreferenced while idle: a pool never keeps
 * the process alive. Errors come back as `PavedError`s with their code and hint.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PavedError } from '../errors.js';
import type { UnpackedWheel, WheelCacheLimits } from './wheelCache.js';

/** One wheel for a worker: the file, the hash it must have, where the cache is. */
export interface UnpackJob {
  root: string;
  wheelPath: string;
  sha256: string;
  limits: Required<WheelCacheLimits>;
}

/** What a worker sends back for a job. */
export type UnpackReply = { id: number; wheel: UnpackedWheel } | { id: number; error: { code: string | null; message: string; hint: string | null } };

/** A pool of unpacking workers. */
export interface UnpackPool {
  unpack(job: UnpackJob): Promise<UnpackedWheel>;
  /** Starts every worker now rather than on the first jobs (idle, they do not hold the process open). */
  start(): void;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  /** The id of the job it is working on, or null when idle. */
  job: number | null;
}

/**
 * A worker running `unpackWorker` next to this module: `unpackWorker.cjs` in the bundle, `.js` in
 * tsc's output; from source (tests, `tsx`), `unpackWorker.ts` loaded through tsx's loader, which a
 * worker thread does not inherit.
 */
function startUnpackWorker(): Worker {
  const ext = extname(fileURLToPath(import.meta.url));
  const url = new URL(`./unpackWorker${ext}`, import.meta.url);
  if (ext !== '.ts') return new Worker(url);
  // tsx is found from here, not from the working directory the eval'd code would resolve it from.
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true });
}

/** A pool of at most `size` workers; `startWorker` replaces how one is started (tests). */
export function createUnpackPool(size: number, options: { startWorker?: () => Worker } = {}): UnpackPool {
  const start = options.startWorker ?? startUnpackWorker;
  const slots: Slot[] = [];
  const queue: { job: UnpackJob; resolve: (wheel: UnpackedWheel) => void; reject: (error: unknown) => void }[] = [];
  const waiting = new Map<number, { resolve: (wheel: UnpackedWheel) => void; reject: (error: unknown) => void }>();
  let nextId = 1;
  let closed = false;

  /** A worker that died fails only its own job; the pool goes on with the others (and new workers). */
  function retire(slot: Slot, reason: string, cause?: unknown): void {
    const at = slots.indexOf(slot);
    if (at === -1) return;
    slots.splice(at, 1);
    if (slot.job !== null) {
      const pending = waiting.get(slot.job);
      waiting.delete(slot.job);
      pending?.reject(new PavedError('PAVED_E_INSTALL', `a wheel-unpacking worker ${reason}`, { hint: 'Run the command again; if it happens again, run it with --verbose and report it.', cause }));
    }
    dispatch();
  }

  function startWorker(): Slot {
    const worker = start();
    const slot: Slot = { worker, job: null };
    worker.on('message', (reply: UnpackReply) => {
      const pending = waiting.get(reply.id);
      waiting.delete(reply.id);
      slot.job = null;
      if (pending !== undefined) {
        if ('wheel' in reply) pending.resolve(reply.wheel);
        else pending.reject(new PavedError(reply.error.code ?? 'PAVED_E_INSTALL', reply.error.message, reply.error.hint === null ? {} : { hint: reply.error.hint }));
      }
      dispatch();
    });
    worker.on('error', (error) => retire(slot, `failed: ${error.message}`, error));
    worker.on('exit', (code) => {
      if (!closed) retire(slot, `stopped (exit code ${code})`);
    });
    worker.unref();
    slots.push(slot);
    return slot;
  }

  function dispatch(): void {
    while (queue.length > 0 && !closed) {
      let slot = slots.find((s) => s.job === null);
      if (slot === undefined && slots.length < size) slot = startWorker();
      if (slot === undefined) break;
      const item = queue.shift()!;
      const id = nextId++;
      slot.job = id;
      waiting.set(id, { resolve: item.resolve, reject: item.reject });
      slot.worker.postMessage({ id, job: item.job });
    }
    // A pending job holds the process open; an idle pool does not.
    for (const s of slots) {
      if (s.job !== null) s.worker.ref();
      else s.worker.unref();
    }
  }

  return {
    unpack(job) {
      if (closed) return Promise.reject(new PavedError('PAVED_E_INSTALL', 'the unpacking workers were stopped'));
      return new Promise((resolve, reject) => {
        queue.push({ job, resolve, reject });
        dispatch();
      });
    },
    start() {
      while (!closed && slots.length < size) startWorker();
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
      slots.length = 0;
    },
  };
}
