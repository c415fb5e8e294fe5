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
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

/**
 * A worker running `unpackWorker` next to this module: `unpackWorker.js` in the bundle and in
 * tsc's output; from source (tests, `tsx`), `unpackWorker.ts` loaded through tsx's loader, which a
 * worker thread does not inherit.
 */
function startUnpackWorker(): Worker {
  const ext = extname(fileURLToPath(import.meta.url));
  const url = new URL(`./unpackWorker${ext}`, import.meta.url);
  if (ext !== '.ts') return new Worker(url);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true });
}

/** A pool of at most `size` workers. */
export function createUnpackPool(size: number): UnpackPool {
  const slots: Slot[] = [];
  const queue: { job: UnpackJob; resolve: (wheel: UnpackedWheel) => void; reject: (error: unknown) => void }[] = [];
  const waiting = new Map<number, { slot: Slot; resolve: (wheel: UnpackedWheel) => void; reject: (error: unknown) => void }>();
  let nextId = 1;
  let closed = false;

  const failAll = (error: unknown): void => {
    for (const [id, pending] of waiting) {
      waiting.delete(id);
      pending.reject(error);
    }
  };

  function startWorker(): Slot {
    const worker = startUnpackWorker();
    const slot: Slot = { worker, busy: false };
    worker.on('message', (reply: UnpackReply) => {
      const pending = waiting.get(reply.id);
      if (pending === undefined) return;
      waiting.delete(reply.id);
      slot.busy = false;
      if ('wheel' in reply) pending.resolve(reply.wheel);
      else pending.reject(new PavedError(reply.error.code ?? 'PAVED_E_INSTALL', reply.error.message, reply.error.hint === null ? {} : { hint: reply.error.hint }));
      dispatch();
    });
    worker.on('error', (error) => {
      slots.splice(slots.indexOf(slot), 1);
      failAll(new PavedError('PAVED_E_INSTALL', `a wheel-unpacking worker failed: ${error.message}`, { cause: error }));
    });
    worker.unref();
    slots.push(slot);
    return slot;
  }

  function dispatch(): void {
    while (queue.length > 0 && !closed) {
      let slot = slots.find((s) => !s.busy);
      if (slot === undefined && slots.length < size) slot = startWorker();
      if (slot === undefined) break;
      const item = queue.shift()!;
      const id = nextId++;
      slot.busy = true;
      waiting.set(id, { slot, resolve: item.resolve, reject: item.reject });
      slot.worker.postMessage({ id, job: item.job });
    }
    // A pending job holds the process open; an idle pool does not.
    for (const s of slots) {
      if (s.busy) s.worker.ref();
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
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
      slots.length = 0;
    },
  };
}
