/**
 * The index client's cache on disk: project pages with their validators (ETag, Last-Modified)
 * so a warm run asks "not modified?" instead of downloading pages again, 404s so offline runs know
 * an index lacks a name, and core metadata, content-addressed by the distribution's sha256 when
 * the index gave one (the same wheel's metadata is shared by every index that serves it).
 *
 * Layout under the cache directory:
 *   simple-v1/<sha256 of the page URL>.json       one page: validators, time, parsed page or 404
 *   metadata-v1/sha256/<aa>/<file sha256>         METADATA of the file with that sha256
 *   metadata-v1/url/<sha256 of the file URL>      METADATA of a file whose hash was unknown
 * Keys are made from URLs without credentials, so a cache never holds a secret. Writes go to a
 * temporary name and are renamed into place: concurrent processes see a whole entry or none.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ProjectPage } from '../../standards/simpleApi.js';
import { redactUrl } from '../../standards/urls.js';
import { writeAtomically } from '../../installer/writeAtomically.js';

/** A cached project page. */
export interface CachedPage {
  /** The page URL without credentials. */
  url: string;
  etag: string | null;
  lastModified: string | null;
  /** When the page was last fetched or revalidated (ms since the epoch). */
  checkedAt: number;
  /** null: the index answered 404. */
  page: ProjectPage | null;
  format: 'json' | 'html' | null;
}

/** The index client's cache; all operations are no-ops without a directory. */
export interface IndexCache {
  readPage(pageUrl: URL): Promise<CachedPage | null>;
  writePage(pageUrl: URL, entry: Omit<CachedPage, 'url'>): Promise<void>;
  readMetadata(key: MetadataCacheKey): Promise<Buffer | null>;
  writeMetadata(key: MetadataCacheKey, bytes: Buffer): Promise<void>;
}

/** What a metadata entry is keyed by: the file's sha256 when known, else its URL. */
export interface MetadataCacheKey {
  sha256: string | null;
  url: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Writes a cache file atomically, its folder made first. */
async function writeInto(path: string, bytes: Buffer | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeAtomically(path, bytes);
}

/**
 * Synchronous on purpose: entries are small local files, and a warm resolution reads one page
 * and one metadata file per project; four trips through the thread pool per file (open, stat,
 * read, close) cost more than the reads.
 */
async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/** A cache under `dir`, or one that remembers nothing when `dir` is null. */
export function createIndexCache(dir: string | null): IndexCache {
  if (dir === null) {
    return {
      readPage: () => Promise.resolve(null),
      writePage: () => Promise.resolve(),
      readMetadata: () => Promise.resolve(null),
      writeMetadata: () => Promise.resolve(),
    };
  }
  const pagePath = (url: URL): string => join(dir, 'simple-v1', `${hashOf(redactUrl(url))}.json`);
  const metadataPath = (key: MetadataCacheKey): string => {
    const sha = key.sha256?.toLowerCase() ?? null;
    if (sha !== null && SHA256_HEX.test(sha)) return join(dir, 'metadata-v1', 'sha256', sha.slice(0, 2), sha);
    return join(dir, 'metadata-v1', 'url', hashOf(redactUrl(key.url)));
  };

  async function readPage(pageUrl: URL): Promise<CachedPage | null> {
    const bytes = await readOrNull(pagePath(pageUrl));
    if (bytes === null) return null;
    try {
      const entry = JSON.parse(bytes.toString('utf8')) as CachedPage;
      // A damaged or foreign entry is a miss, never an error: the cache can always be rebuilt.
      if (typeof entry !== 'object' || entry === null || entry.url !== redactUrl(pageUrl) || typeof entry.checkedAt !== 'number') return null;
      if (entry.page !== null && (typeof entry.page !== 'object' || !Array.isArray(entry.page.files))) return null;
      return entry;
    } catch {
      return null;
    }
  }

  async function writePage(pageUrl: URL, entry: Omit<CachedPage, 'url'>): Promise<void> {
    const full: CachedPage = { url: redactUrl(pageUrl), ...entry };
    await writeInto(pagePath(pageUrl), JSON.stringify(full)).catch(() => undefined);
  }

  return {
    readPage,
    writePage,
    readMetadata: (key) => readOrNull(metadataPath(key)),
    writeMetadata: (key, bytes) => writeInto(metadataPath(key), bytes).catch(() => undefined),
  };
}
