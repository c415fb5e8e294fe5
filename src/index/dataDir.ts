import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openAdvisoryDatabase, type AdvisoryDatabase } from './advisories/advisoryDatabase.js';
import type { BlobStore } from './blobStore/blobStore.js';
import { openDirectoryBlobStore } from './blobStore/directoryBlobStore.js';
import type { Catalog } from './catalog/catalog.js';
import { openSqliteCatalog } from './catalog/sqliteCatalog.js';

/** The two stores the server and the admin commands work on. */
export interface Storage {
  catalog: Catalog;
  blobs: BlobStore;
  /** Imported OSV advisories (`advisories.sqlite`), shared by policy and `paved audit`. */
  advisories: AdvisoryDatabase;
  /** Where the data lives, for messages (never contains secrets). */
  description: string;
  close(): Promise<void>;
}

/** The index every new data directory starts with, and the default behind `/simple/`. */
export const DEFAULT_INDEX = 'root/main';

/**
 * Opens (creating when missing) the embedded default storage: SQLite catalog
 * and content-addressed blob directory under `dir`. When the catalog holds no
 * index yet, creates `root/main` so `/simple/` works with no set-up.
 */
export async function openDataDir(dir: string, options: { createDefaultIndex?: boolean } = {}): Promise<Storage> {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true });
  const catalog = openSqliteCatalog(join(root, 'catalog.sqlite'));
  const blobs = openDirectoryBlobStore(join(root, 'blobs'));
  const advisories = openAdvisoryDatabase(join(root, 'advisories.sqlite'));
  if (options.createDefaultIndex !== false) await ensureDefaultIndex(catalog);
  return {
    catalog,
    blobs,
    advisories,
    description: root,
    close: async () => {
      advisories.close();
      await catalog.close();
    },
  };
}

async function ensureDefaultIndex(catalog: Catalog): Promise<void> {
  const existing = await catalog.listIndexes();
  if (existing.length > 0) return;
  const [owner, name] = DEFAULT_INDEX.split('/') as [string, string];
  try {
    await catalog.createIndex({ owner, name, anonymousRead: true });
  } catch (error) {
    // Another process sharing the directory created it first.
    if ((await catalog.getIndex(DEFAULT_INDEX)) === null) throw error;
  }
}
