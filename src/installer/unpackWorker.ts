/**
 * The entry point of a wheel-unpacking worker thread (see `unpackPool.ts`): reads a wheel,
 * checks its hash and unpacks it into the cache, exactly as `createWheelCache().unpack` does on
 * the main thread, and replies with the unpacked wheel or the error.
 */
import { parentPort } from 'node:worker_threads';
import { isPavedError } from '../errors.js';
import type { UnpackJob, UnpackReply } from './unpackPool.js';
import { readVerifiedWheel, unpackToCache } from './wheelCache.js';

parentPort?.on('message', (message: { id: number; job: UnpackJob }) => {
  const { id, job } = message;
  void (async (): Promise<UnpackReply> => {
    try {
      const { bytes, sha256 } = await readVerifiedWheel(job.wheelPath, job.sha256);
      return { id, wheel: await unpackToCache(job.root, job.wheelPath, bytes, sha256, job.limits) };
    } catch (error) {
      return {
        id,
        error: isPavedError(error)
          ? { code: error.code, message: error.message, hint: error.hint ?? null }
          : { code: null, message: `cannot unpack ${job.wheelPath}: ${error instanceof Error ? error.message : String(error)}`, hint: null },
      };
    }
  })().then((reply) => parentPort?.postMessage(reply));
});
