import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isPavedError } from '../../../src/errors.js';
import { openDirectoryBlobStore, type DirectoryBlobStore } from '../../../src/index/blobStore/directoryBlobStore.js';

const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const ABC_BLAKE2B256 = 'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319';

async function* chunks(data: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

describe('DirectoryBlobStore', () => {
  let root: string;
  let store: DirectoryBlobStore;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'paved-blobs-'));
    store = openDirectoryBlobStore(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('round-trips bytes under their sha256, with blake2b-256 and size', async () => {
    const digest = await store.put(new TextEncoder().encode('abc'));
    assert.deepEqual(digest, { sha256: ABC_SHA256, blake2b256: ABC_BLAKE2B256, size: 3 });
    assert.equal(store.blobPath(ABC_SHA256), join(root, 'sha256', 'ba', '78', ABC_SHA256));
    assert.equal(readFileSync(store.blobPath(ABC_SHA256), 'utf8'), 'abc');
    assert.equal(await store.stat(ABC_SHA256), 3);
    assert.equal((await readAll(store.read(ABC_SHA256))).toString(), 'abc');
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  });

  it('streams a multi-megabyte source in odd chunks and hashes it right', async () => {
    const data = pattern(3 * 1024 * 1024 + 17);
    const digest = await store.put(chunks(data, 65_537));
    assert.equal(digest.sha256, createHash('sha256').update(data).digest('hex'));
    assert.equal(digest.size, data.length);
    assert.ok((await readAll(store.read(digest.sha256))).equals(data));
  });

  it('stores an empty blob', async () => {
    const digest = await store.put(new Uint8Array(0));
    assert.equal(digest.sha256, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(digest.blake2b256, '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
    assert.equal(await store.stat(digest.sha256), 0);
    assert.equal((await readAll(store.read(digest.sha256))).length, 0);
  });

  const ranges: Array<[number, number, string]> = [
    [0, 0, 'a'],
    [0, 9, 'abcdefghij'],
    [3, 5, 'def'],
    [9, 9, 'j'],
    [5, 100, 'fghij'],
  ];
  for (const [start, end, expected] of ranges) {
    it(`reads the inclusive byte range ${start}-${end}`, async () => {
      const { sha256 } = await store.put(new TextEncoder().encode('abcdefghij'));
      assert.equal((await readAll(store.read(sha256, { start, end }))).toString(), expected);
    });
  }

  it('refuses nonsensical ranges', async () => {
    const { sha256 } = await store.put(new TextEncoder().encode('abc'));
    for (const range of [{ start: 2, end: 1 }, { start: -1, end: 2 }, { start: 0.5, end: 2 }, { start: Number.NaN, end: 2 }]) {
      assert.throws(() => store.read(sha256, range), (error) => isPavedError(error, 'PAVED_E_INVALID_RANGE'));
    }
  });

  it('stage exposes the bytes for inspection before commit, and nothing is published until commit', async () => {
    const staged = await store.stage(chunks(new TextEncoder().encode('abc'), 1));
    assert.equal(staged.sha256, ABC_SHA256);
    assert.equal(readFileSync(staged.path, 'utf8'), 'abc');
    assert.equal(await store.stat(ABC_SHA256), null);
    assert.throws(() => store.read(ABC_SHA256), (error) => isPavedError(error, 'PAVED_E_BLOB_MISSING'));
    await staged.commit();
    await staged.commit(); // idempotent
    assert.equal(await store.stat(ABC_SHA256), 3);
    assert.equal(existsSync(staged.path), false);
    await staged.discard(); // no-op after commit
    assert.equal(await store.stat(ABC_SHA256), 3);
  });

  it('discard removes the staged bytes and publishes nothing; commit afterwards is refused', async () => {
    const staged = await store.stage(chunks(new TextEncoder().encode('abc'), 2));
    await staged.discard();
    await staged.discard();
    assert.equal(existsSync(staged.path), false);
    await assert.rejects(staged.commit(), (error) => isPavedError(error, 'PAVED_E_BLOB_DISCARDED'));
    assert.equal(await store.stat(ABC_SHA256), null);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  });

  it('maxBytes: exceeding the limit mid-stream throws PAVED_E_TOO_LARGE and leaves nothing behind', async () => {
    const data = pattern(10_000);
    let pulled = 0;
    async function* counting(): AsyncIterable<Uint8Array> {
      for await (const chunk of chunks(data, 1000)) {
        pulled += 1;
        yield chunk;
      }
    }
    await assert.rejects(store.stage(counting(), { maxBytes: 4_500 }), (error) => isPavedError(error, 'PAVED_E_TOO_LARGE'));
    assert.equal(pulled, 5, 'stops reading the source at the limit');
    await assert.rejects(store.put(data, { maxBytes: 9_999 }), (error) => isPavedError(error, 'PAVED_E_TOO_LARGE'));
    assert.deepEqual(filesUnder(root), []);
  });

  it('maxBytes: exactly the limit is accepted, and 0 allows only empty input', async () => {
    const digest = await store.put(pattern(1000), { maxBytes: 1000 });
    assert.equal(digest.size, 1000);
    await store.put(new Uint8Array(0), { maxBytes: 0 });
    await assert.rejects(store.put(new Uint8Array(1), { maxBytes: 0 }), (error) => isPavedError(error, 'PAVED_E_TOO_LARGE'));
  });

  it('a source that fails mid-stream leaves nothing behind', async () => {
    async function* failing(): AsyncIterable<Uint8Array> {
      yield new Uint8Array(100);
      throw new Error('client went away');
    }
    await assert.rejects(store.stage(failing()), /client went away/);
    assert.deepEqual(filesUnder(root), []);
  });

  it('stages the same content concurrently without conflict', async () => {
    const data = pattern(200_000);
    const staged = await Promise.all(Array.from({ length: 8 }, (_, i) => store.stage(chunks(data, 1000 + i))));
    assert.equal(new Set(staged.map((s) => s.path)).size, 8, 'each upload stages under its own name');
    await Promise.all(staged.map((s) => s.commit()));
    const sha = staged[0]!.sha256;
    assert.ok((await readAll(store.read(sha))).equals(Buffer.from(data)));
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    assert.deepEqual(filesUnder(join(root, 'sha256')), [store.blobPath(sha)]);
    // And once more through put() while it already exists.
    const again = await Promise.all([store.put(data), store.put(data)]);
    assert.equal(again[0].sha256, sha);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  });

  it('delete removes a blob and is quiet when it is already gone', async () => {
    const { sha256 } = await store.put(new TextEncoder().encode('abc'));
    await store.delete(sha256);
    assert.equal(await store.stat(sha256), null);
    await store.delete(sha256);
    assert.throws(() => store.read(sha256), (error) => isPavedError(error, 'PAVED_E_BLOB_MISSING'));
  });

  const hostileDigests = [
    '', 'abc', ABC_SHA256.toUpperCase(), `${ABC_SHA256}0`, ABC_SHA256.slice(1), `../../${'0'.repeat(58)}`,
    `${'0'.repeat(62)}/.`, `${'0'.repeat(63)}\0`, `${'0'.repeat(63)}g`, ` ${ABC_SHA256.slice(1)}`, '..', '/etc/passwd',
    `sha256:${ABC_SHA256}`, '0'.repeat(100_000),
  ];
  for (const digest of hostileDigests) {
    it(`refuses the digest ${JSON.stringify(digest.slice(0, 40))} everywhere`, async () => {
      const invalid = (error: unknown): boolean => isPavedError(error, 'PAVED_E_INVALID_DIGEST');
      assert.throws(() => store.read(digest), invalid);
      assert.throws(() => store.blobPath(digest), invalid);
      await assert.rejects(store.stat(digest), invalid);
      await assert.rejects(store.delete(digest), invalid);
    });
  }

  it('sweeps staging files older than a day on open, keeping recent ones', () => {
    const old = join(root, 'tmp', 'crashed.partial');
    const recent = join(root, 'tmp', 'uploading.partial');
    writeFileSync(old, 'half a wheel');
    writeFileSync(recent, 'in progress');
    const twoDaysAgo = (Date.now() - 2 * 24 * 60 * 60 * 1000) / 1000;
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    openDirectoryBlobStore(root);
    assert.equal(existsSync(old), false);
    assert.equal(existsSync(recent), true);
  });

  it('creates its layout in a new directory and keeps blobs across reopen', async () => {
    const nested = join(root, 'a', 'b');
    const first = openDirectoryBlobStore(nested);
    assert.ok(statSync(join(nested, 'sha256')).isDirectory());
    assert.ok(statSync(join(nested, 'tmp')).isDirectory());
    const { sha256 } = await first.put(new TextEncoder().encode('abc'));
    const second = openDirectoryBlobStore(nested);
    assert.equal(await second.stat(sha256), 3);
  });

  it('refuses a negative or fractional maxBytes', async () => {
    await assert.rejects(store.stage(chunks(new Uint8Array(1), 1), { maxBytes: -1 }), RangeError);
    await assert.rejects(store.stage(chunks(new Uint8Array(1), 1), { maxBytes: 1.5 }), RangeError);
  });
});
