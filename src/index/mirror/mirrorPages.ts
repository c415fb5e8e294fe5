import { PavedError, isPavedError } from '../../errors.js';
import type { ProjectPage } from '../../standards/simpleApi.js';
import type { IndexRecord, MirrorPageRecord } from '../catalog/catalog.js';
import type { Storage } from '../dataDir.js';
import { createSingleFlight } from './singleFlight.js';
import { createUpstreamClient, type UpstreamOptions } from './upstreamClient.js';

export type UpstreamClient = ReturnType<typeof createUpstreamClient>;

/** A mirror's view of one upstream project page. */
export type MirrorPage =
  /** `checkedAt`: when the upstream last confirmed this copy; it is trusted for the index's TTL from then. */
  | { status: 'ok'; page: ProjectPage; fetchedAt: string; checkedAt: string; stale: false }
  /** Upstream could not be reached; this is the last copy that was fetched. */
  | { status: 'ok'; page: ProjectPage; fetchedAt: string; checkedAt: string; stale: true; reason: string }
  | { status: 'not-found' };

export interface MirrorPages {
  /** The project's upstream page through the cache: fresh within the index's TTL, revalidated after, stale-if-error. */
  load(index: IndexRecord, project: string): Promise<MirrorPage>;
  /** The upstream client of a mirror index (one per index and URL). */
  upstream(index: IndexRecord): UpstreamClient;
}

/**
 * Caches upstream project pages in the catalog (so every replica and every
 * restart shares them) with conditional revalidation after the index's TTL.
 * Concurrent misses for one page make one upstream request. When the
 * upstream fails, the last fetched copy is served and marked stale; a page
 * never fetched fails fast with a 502/504-class error.
 */
export function createMirrorPages(storage: Storage, options: UpstreamOptions & { clock?: () => number } = {}): MirrorPages {
  const now = options.clock ?? Date.now;
  const clients = new Map<string, UpstreamClient>();
  const flight = createSingleFlight<string, MirrorPage>();

  const upstream = (index: IndexRecord): UpstreamClient => {
    if (index.kind !== 'mirror' || index.mirrorUrl === null) {
      throw new PavedError('PAVED_E_INTERNAL', `index '${index.path}' is not a mirror`);
    }
    const key = `${index.id}|${index.mirrorUrl}`;
    let client = clients.get(key);
    if (client === undefined) {
      client = createUpstreamClient(index.mirrorUrl, options);
      clients.set(key, client);
    }
    return client;
  };

  const fromRecord = (record: MirrorPageRecord, stale: false | string): MirrorPage => {
    if (record.status === 'not-found' || record.pageJson === null) return { status: 'not-found' };
    const page = JSON.parse(record.pageJson) as ProjectPage;
    const base = { status: 'ok', page, fetchedAt: record.fetchedAt, checkedAt: record.checkedAt } as const;
    return stale === false ? { ...base, stale: false } : { ...base, stale: true, reason: stale };
  };

  const refresh = async (index: IndexRecord, project: string, cached: MirrorPageRecord | null): Promise<MirrorPage> => {
    const client = upstream(index);
    const checkedAt = new Date(now()).toISOString();
    let result;
    try {
      result = await client.fetchProjectPage(project, cached === null ? undefined : { etag: cached.etag, lastModified: cached.lastModified });
    } catch (error) {
      if (cached !== null && isPavedError(error)) return fromRecord(cached, error.message);
      if (isPavedError(error)) throw error;
      throw new PavedError('PAVED_E_UPSTREAM', `the upstream of '${index.path}' failed: ${(error as Error).message}`);
    }
    if (result.status === 'not-modified' && cached !== null) {
      const revalidated = { ...cached, checkedAt };
      await storage.catalog.putMirrorPage(revalidated, false);
      return fromRecord(revalidated, false);
    }
    if (result.status === 'ok') {
      const pageJson = JSON.stringify(result.page);
      const changed = cached === null || cached.pageJson !== pageJson;
      const record: MirrorPageRecord = {
        indexId: index.id,
        project,
        status: 'ok',
        pageJson,
        etag: result.etag,
        lastModified: result.lastModified,
        fetchedAt: changed ? checkedAt : (cached?.fetchedAt ?? checkedAt),
        checkedAt,
      };
      await storage.catalog.putMirrorPage(record, changed);
      return fromRecord(record, false);
    }
    const record: MirrorPageRecord = { indexId: index.id, project, status: 'not-found', pageJson: null, etag: null, lastModified: null, fetchedAt: checkedAt, checkedAt };
    await storage.catalog.putMirrorPage(record, cached === null || cached.status !== 'not-found');
    return { status: 'not-found' };
  };

  return {
    upstream,
    async load(index, project) {
      const cached = await storage.catalog.getMirrorPage(index.id, project);
      if (cached !== null && Date.parse(cached.checkedAt) + index.mirrorTtlSeconds * 1000 > now()) return fromRecord(cached, false);
      return flight(`${index.id}|${project}`, () => refresh(index, project, cached));
    },
  };
}
