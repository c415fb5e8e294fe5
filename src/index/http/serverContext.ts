import type { IndexRecord } from '../catalog/catalog.js';
import type { Storage } from '../dataDir.js';
import { resolveIndexChain } from '../indexChain.js';
import type { PageCache } from '../pageCache.js';
import type { ServerEvents } from '../serverEvents.js';
import type { ArchiveLimits } from '../upload/archiveLimits.js';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/authenticate.js';
import type { MirrorFetcher } from '../mirror/fetchMirrorFile.js';
import type { MirrorPages } from '../mirror/mirrorPages.js';
import type { Vetting } from '../vetting.js';

export interface ServerLimits {
  /** Largest distribution accepted by upload, in bytes. */
  maxUploadBytes: number;
  /** Largest non-file form field of an upload (descriptions can be long). */
  maxFieldBytes: number;
  archive: Partial<ArchiveLimits>;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxUploadBytes: 1024 * 1024 * 1024,
  maxFieldBytes: 4 * 1024 * 1024,
  archive: {},
};

/** What every route of the server shares; built once in createIndexServer. */
export interface ServerContext {
  storage: Storage;
  defaultIndex: string;
  /** Who sent the request (null: anonymous); remembered on the request for the access log. */
  principalOf(req: FastifyRequest): Promise<Principal | null>;
  pages: PageCache;
  events: ServerEvents;
  limits: ServerLimits;
  mirrors: MirrorPages;
  vetting: Vetting;
  fetcher: MirrorFetcher;
  now(): Date;
  /** Index chains by path, valid for one catalog serial. */
  chainFor(path: string, serial: number): Promise<IndexRecord[]>;
}

export function createChainCache(storage: Storage): (path: string, serial: number) => Promise<IndexRecord[]> {
  let cachedSerial = -1;
  let chains = new Map<string, IndexRecord[]>();
  return async (path, serial) => {
    if (serial !== cachedSerial) {
      cachedSerial = serial;
      chains = new Map();
    }
    const hit = chains.get(path);
    if (hit !== undefined) return hit;
    const chain = await resolveIndexChain(storage.catalog, path);
    if (chains.size > 10_000) chains.clear();
    chains.set(path, chain);
    return chain;
  };
}
