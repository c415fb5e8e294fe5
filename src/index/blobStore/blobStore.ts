import type { Readable } from 'node:stream';

/**
 * Content-addressed file bytes. Implementations: a directory (embedded
 * default) and later S3. Bytes become visible only whole: `stage` writes to a
 * temporary name while hashing; `commit` makes the blob durable (fsync) and
 * moves it to its content address. A crash before `commit` returns leaves no
 * blob at the address; a crash after leaves a complete one.
 */
export interface BlobDigest {
  sha256: string;
  /** BLAKE2b-256 (PyPI's blake2_256), null when staging was asked not to compute it. */
  blake2b256: string | null;
  size: number;
}

export interface StagedBlob extends BlobDigest {
  /** Local path of the staged bytes, readable until commit/discard (for inspection). */
  readonly path: string;
  /** Durably publishes the bytes under `sha256`. Idempotent if the blob already exists. */
  commit(): Promise<void>;
  /** Removes the staged bytes. Safe to call after commit (no-op). */
  discard(): Promise<void>;
}

export interface ByteRange {
  /** Inclusive. */
  start: number;
  /** Inclusive. */
  end: number;
}

export interface StageOptions {
  maxBytes?: number;
  /**
   * Compute BLAKE2b-256 too (default true). Node has no native BLAKE2b-256,
   * so it costs real CPU; bulk imports that have no claimed digest to check
   * skip it.
   */
  blake2b?: boolean;
}

export interface BlobStore {
  /**
   * Streams `source` into a staging area while computing sha256, blake2b-256
   * and size. Throws PavedError PAVED_E_TOO_LARGE (and leaves nothing) when
   * more than `maxBytes` arrive.
   */
  stage(source: AsyncIterable<Uint8Array>, options?: StageOptions): Promise<StagedBlob>;
  /** Convenience: stage + commit. */
  put(source: AsyncIterable<Uint8Array> | Uint8Array, options?: { maxBytes?: number }): Promise<BlobDigest>;
  /** Size in bytes, or null when absent. */
  stat(sha256: string): Promise<number | null>;
  /** Streams the blob (or a byte range of it). Throws PAVED_E_BLOB_MISSING when absent. */
  read(sha256: string, range?: ByteRange): Readable;
  delete(sha256: string): Promise<void>;
}
