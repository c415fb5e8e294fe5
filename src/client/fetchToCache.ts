/**
 * The fetch-to-cache step shared by everything that installs wheels: a file whose sha256 is
 * known is kept once in the global cache's archive folder, addressed by that hash, so a second
 * install (or a second project) never downloads it again.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DownloadResult, IndexClient, IndexFile } from './indexClient/indexClient.js';
import { sha256File } from '../installer/wheelCache.js';

/** Where the archive with `sha256` named `filename` lives in the cache: `<cacheDir>/archives-v1/ab/<sha256>/<filename>`. */
export function archivePathFor(cacheDir: string, sha256: string, filename: string): string {
  return join(cacheDir, 'archives-v1', sha256.slice(0, 2), sha256, filename);
}

/**
 * Downloads `file` into the archive cache unless a copy with `sha256` is already there. The
 * transfer is verified against `sha256` (the client throws `PAVED_E_DIGEST_MISMATCH` and keeps
 * nothing otherwise). `downloaded` tells whether the network (or a local source) was used.
 */
export async function fetchToCache(client: IndexClient, file: IndexFile, options: { cacheDir: string; sha256: string }): Promise<DownloadResult & { downloaded: boolean }> {
  const path = archivePathFor(options.cacheDir, options.sha256, file.filename);
  if (existsSync(path)) {
    // A copy left by an earlier run is trusted only after hashing it again.
    const actual = await sha256File(path).catch(() => null);
    if (actual === options.sha256) return { path, sha256: actual, size: (await stat(path)).size, downloaded: false };
  }
  const result = await client.download(file, path, { expectedSha256: options.sha256 });
  return { ...result, downloaded: true };
}
