import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, openSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { PavedError } from '../../errors.js';
import { createBlake2b, toHex } from '../../standards/blake2b.js';
import type { BlobDigest, BlobStore, ByteRange, StagedBlob, StageOptions } from './blobStore.js';

/** Staged files older than this are leftovers of a crash (no upload takes a day). */
const STALE_STAGING_MS = 24 * 60 * 60 * 1000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Throws PAVED_E_INVALID_DIGEST unless `sha256` is 64 lowercase hex digits (it may come from a URL). */
function checkSha256(sha256: string): void {
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    const shown = typeof sha256 === 'string' ? JSON.stringify(sha256.slice(0, 80)) : String(sha256);
    throw new PavedError('PAVED_E_INVALID_DIGEST', `Invalid sha256 digest: ${shown}`, {
      hint: 'A sha256 digest is 64 lowercase hexadecimal characters.',
    });
  }
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** fsync a directory so a rename or a new entry in it survives a power cut. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function* single(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/**
 * A BlobStore in a local directory:
 *
 *     root/sha256/ab/cd/abcd…(full sha256)   published blobs
 *     root/tmp/<random>.partial               staging, same file system so rename is atomic
 *
 * Two levels of fan-out keep directories small at millions of blobs.
 */
export class DirectoryBlobStore implements BlobStore {
  readonly root: string;
  private readonly blobRoot: string;
  private readonly stagingRoot: string;

  constructor(root: string) {
    this.root = root;
    this.blobRoot = join(root, 'sha256');
    this.stagingRoot = join(root, 'tmp');
    mkdirSync(this.blobRoot, { recursive: true });
    mkdirSync(this.stagingRoot, { recursive: true });
    this.sweepStaging(Date.now() - STALE_STAGING_MS);
  }

  /** The file holding a blob, for sendfile-style serving. Validates the digest. */
  blobPath(sha256: string): string {
    checkSha256(sha256);
    return join(this.blobRoot, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async stage(source: AsyncIterable<Uint8Array>, options: StageOptions = {}): Promise<StagedBlob> {
    const maxBytes = options.maxBytes;
    if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 0)) {
      throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
    }
    const path = join(this.stagingRoot, `${randomBytes(16).toString('hex')}.partial`);
    const sha256 = createHash('sha256');
    const blake2b = options.blake2b === false ? null : createBlake2b(32);
    let size = 0;
    const handle = await open(path, 'wx', 0o644);
    try {
      try {
        for await (const chunk of source) {
          size += chunk.length;
          if (maxBytes !== undefined && size > maxBytes) {
            throw new PavedError('PAVED_E_TOO_LARGE', `File is larger than the limit of ${maxBytes} bytes`, {
              hint: 'Ask an administrator to raise the upload size limit, or upload a smaller file.',
              details: { maxBytes },
            });
          }
          sha256.update(chunk);
          blake2b?.update(chunk);
          let written = 0;
          while (written < chunk.length) {
            const { bytesWritten } = await handle.write(chunk, written, chunk.length - written);
            written += bytesWritten;
          }
        }
      } finally {
        await handle.close();
      }
    } catch (error) {
      await unlink(path).catch(() => undefined);
      throw error;
    }
    return new DirectoryStagedBlob(this, path, { sha256: sha256.digest('hex'), blake2b256: blake2b === null ? null : toHex(blake2b.digest()), size });
  }

  async put(source: AsyncIterable<Uint8Array> | Uint8Array, options: { maxBytes?: number } = {}): Promise<BlobDigest> {
    const staged = await this.stage(source instanceof Uint8Array ? single(source) : source, options);
    try {
      await staged.commit();
    } catch (error) {
      await staged.discard();
      throw error;
    }
    return { sha256: staged.sha256, blake2b256: staged.blake2b256, size: staged.size };
  }

  async stat(sha256: string): Promise<number | null> {
    const path = this.blobPath(sha256);
    try {
      return (await stat(path)).size;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      throw error;
    }
  }

  read(sha256: string, range?: ByteRange): Readable {
    const path = this.blobPath(sha256);
    if (range !== undefined) {
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
        throw new PavedError('PAVED_E_INVALID_RANGE', `Invalid byte range ${start}-${end}`, {
          hint: 'A range needs 0 <= start <= end (both inclusive).',
        });
      }
    }
    // Opened synchronously so a missing blob throws here, before a caller has
    // sent any response headers, and so no unlink can slip between check and open.
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') {
        throw new PavedError('PAVED_E_BLOB_MISSING', `Blob ${sha256} is missing from the store`, {
          hint: 'The catalog refers to a file whose bytes are gone; restore the blob store from backup or re-upload the file.',
          details: { sha256 },
        });
      }
      throw error;
    }
    return createReadStream(path, { fd, autoClose: true, ...(range === undefined ? {} : { start: range.start, end: range.end }) });
  }

  async delete(sha256: string): Promise<void> {
    const path = this.blobPath(sha256);
    try {
      await unlink(path);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }

  /** Moves staged bytes to their address durably (internal: use `StagedBlob.commit`). */
  async publish(stagedPath: string, sha256: string): Promise<void> {
    const target = this.blobPath(sha256);
    const dir = dirname(target);
    const exists = await stat(target).then(
      () => true,
      (error: unknown) => {
        if (errorCode(error) === 'ENOENT') return false;
        throw error;
      },
    );
    if (exists) {
      // Content-addressed: the bytes there are these bytes.
      await unlink(stagedPath);
      return;
    }
    const handle = await open(stagedPath, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined) {
      // New fan-out directories must themselves be recorded in their parents.
      await syncDirectory(this.blobRoot);
      await syncDirectory(dirname(dir));
    }
    // A concurrent commit of the same content may win the race; rename over it is harmless.
    await rename(stagedPath, target);
    await syncDirectory(dir);
  }

  /** Removes staging files last modified before `olderThan` (ms since epoch): crash leftovers. */
  private sweepStaging(olderThan: number): void {
    let entries: string[];
    try {
      entries = readdirSync(this.stagingRoot);
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(this.stagingRoot, entry);
      try {
        const info = statSync(path);
        if (info.isFile() && info.mtimeMs < olderThan) unlinkSync(path);
      } catch {
        // Another process may be sweeping too; best effort.
      }
    }
  }
}

class DirectoryStagedBlob implements StagedBlob {
  readonly sha256: string;
  readonly blake2b256: string | null;
  readonly size: number;
  private state: 'staged' | 'committed' | 'discarded' = 'staged';
  private committing: Promise<void> | null = null;

  constructor(
    private readonly store: DirectoryBlobStore,
    readonly path: string,
    digest: BlobDigest,
  ) {
    this.sha256 = digest.sha256;
    this.blake2b256 = digest.blake2b256;
    this.size = digest.size;
  }

  commit(): Promise<void> {
    if (this.state === 'discarded') {
      return Promise.reject(new PavedError('PAVED_E_BLOB_DISCARDED', 'Cannot commit a staged blob after discarding it'));
    }
    this.committing ??= this.store.publish(this.path, this.sha256).then(
      () => {
        this.state = 'committed';
      },
      (error: unknown) => {
        this.committing = null;
        throw error;
      },
    );
    return this.committing;
  }

  async discard(): Promise<void> {
    if (this.committing !== null) {
      // A commit is done or in flight: let it finish rather than delete under it.
      try {
        await this.committing;
        return;
      } catch {
        // The commit failed; the staged bytes are still ours to remove.
      }
    }
    if (this.state !== 'staged') return;
    this.state = 'discarded';
    await unlink(this.path).catch((error: unknown) => {
      if (errorCode(error) !== 'ENOENT') throw error;
    });
  }
}

/** Opens (creating if needed) a directory blob store, sweeping crash leftovers from its staging area. */
export function openDirectoryBlobStore(root: string): DirectoryBlobStore {
  return new DirectoryBlobStore(root);
}
