/**
 * The global, content-addressed cache of unpacked wheels. A wheel is unpacked once, into
 * `<cacheDir>/wheels-v1/<sha256>/files/`, and every later install hard-links from there. It is
 * unpacked to a temporary directory and renamed into place, so a directory that exists is
 * complete; every member was checked (name, type, size) before anything was written, and
 * hashed against the wheel's RECORD while it was written. `manifest.json` beside `files/`
 * keeps what installing needs: the dist-info name and each file's sha256 and size.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, inflateRaw, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { PavedError } from '../errors.js';
import { parseCoreMetadataBytes } from '../standards/coreMetadata.js';
import { normalizeName } from '../standards/names.js';
import { parseRecord } from './record.js';
import { runBounded } from './runBounded.js';
import { createUnpackPool } from './unpackPool.js';

/** One regular file of an unpacked wheel. */
export interface UnpackedFile {
  /** Path inside the wheel (`/`-separated). */
  path: string;
  /** sha256 of the content, urlsafe base64 without padding (the RECORD form). */
  sha256: string;
  size: number;
  executable: boolean;
}

/** A wheel unpacked in the cache. */
export interface UnpackedWheel {
  /** sha256 of the wheel file, lowercase hex. */
  sha256: string;
  /** Directory holding the wheel's members. */
  filesDir: string;
  /** Project name as its METADATA spells it. */
  name: string;
  version: string;
  /** `name-version.dist-info`. */
  distInfo: string;
  /** `name-version.data`, the directory whose subdirectories map to install scheme keys. */
  dataDir: string;
  rootIsPurelib: boolean;
  files: UnpackedFile[];
  /**
   * METADATA's `Requires-Dist` lines as written: what the environment check needs of a wheel
   * just installed, without reading its METADATA back. Absent in entries unpacked by older paved.
   */
  requiresDist?: string[];
}

/** Bounds on what unpacking a wheel may produce. */
export interface WheelCacheLimits {
  /** Largest member, inflated. Default 2 GiB. */
  maxFileBytes?: number;
  /** All members together, inflated. Default 8 GiB. */
  maxTotalBytes?: number;
  /** Number of members. Default 200 000. */
  maxEntries?: number;
}

/** The cache of unpacked wheels under one cache directory. */
export interface WheelCache {
  /** `<cacheDir>/wheels-v1`. */
  root: string;
  /**
   * Unpacks the wheel at `wheelPath` (or finds it already unpacked). With `sha256` the file must
   * have that hash (`PAVED_E_HASH_MISMATCH` otherwise), and a cached copy is used without reading
   * the file at all.
   */
  unpack(wheelPath: string, options?: { sha256?: string }): Promise<UnpackedWheel>;
  /** The unpacked wheel with this sha256, or null when it is not in the cache. */
  get(sha256: string): Promise<UnpackedWheel | null>;
  /**
   * Starts the unpacking workers now, when an install knows wheels are coming (the first one it
   * lacks): a worker takes tens of milliseconds to start, which then overlaps the download
   * instead of following it.
   */
  expectUnpacking(): void;
  /** Stops the unpacking workers, if any were started (idle ones never hold the process open). */
  close(): Promise<void>;
}

/** Options of `createWheelCache`. */
export interface WheelCacheOptions extends WheelCacheLimits {
  /**
   * Worker threads that unpack wheels whose hash is known up front (0: unpack on this thread,
   * the default). Inflating and writing thousands of members is most of a cold install's CPU,
   * and on this thread it also competes with downloads and resolving.
   */
  workers?: number;
}

const MANIFEST_VERSION = 1;
export const DEFAULT_LIMITS: Required<WheelCacheLimits> = { maxFileBytes: 2 * 1024 ** 3, maxTotalBytes: 8 * 1024 ** 3, maxEntries: 200_000 };
const SCHEME_KEYS = new Set(['purelib', 'platlib', 'scripts', 'headers', 'data']);
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function unsafeWheel(wheel: string, message: string, code = 'PAVED_E_UNSAFE_WHEEL'): PavedError {
  return new PavedError(code, `${wheel}: ${message}`, { hint: 'The wheel is malformed or hostile; it was not installed. Get it again from a trusted index.' });
}

/** Sha256 of a file, lowercase hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Why `name` (a zip member or RECORD path) may not be written below a directory, or null when
 * it may: absolute, drive-letter, backslash, `.`/`..`/empty segments and control characters are
 * all refused.
 */
export function unsafeMemberReason(name: string): string | null {
  if (name === '') return 'an empty name';
  if (name.length > 4096) return 'a name longer than 4096 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a control character in its name';
  if (name.includes('\\')) return 'a backslash in its name';
  if (name.startsWith('/')) return 'an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'a drive-letter path';
  const segments = name.replace(/\/$/, '').split('/');
  for (const segment of segments) {
    if (segment === '..') return 'a ".." path segment';
    if (segment === '.' || segment === '') return 'an empty or "." path segment';
  }
  return null;
}

/**
 * Wheels up to this size are read into memory once: hashed from that buffer, and their members
 * inflated from slices of it in one call each. Per-member streams (a file descriptor read, a
 * zlib stream and a write stream per member) cost more than the inflating itself on the
 * thousands of small files a typical closure holds. Bigger wheels are streamed.
 */
const IN_MEMORY_WHEEL_BYTES = 64 * 1024 ** 2;
/** Members up to this size (inflated) are inflated in one call; bigger ones are streamed. */
const IN_MEMORY_MEMBER_BYTES = 16 * 1024 ** 2;

function openZip(source: string | Buffer): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings: false: our own name checks run on every raw name, with clearer errors than yauzl's.
    const options = { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false };
    const done = (error: Error | null, zip?: ZipFile): void => {
      if (error !== null || zip === undefined) reject(error ?? new Error('cannot open zip'));
      else resolve(zip);
    };
    if (typeof source === 'string') yauzl.open(source, options, done);
    else yauzl.fromBuffer(source, options, done);
  });
}

/**
 * Members up to this size (inflated) are inflated and written synchronously, bigger ones in the
 * thread pool. zlib's asynchronous form hands each member to the pool and back (a stream and a
 * round trip per member), and on the thousands of small members of a typical closure that costs
 * more than the inflating (all members of the corpus set: ~0.2 s synchronous, ~0.5–0.8 s
 * asynchronous). An install unpacks on a worker per core, so the pool rarely finds an idle core
 * either: at 64 KiB, unpacking the corpus set through two workers took 493 ms, at 256 KiB 453 ms
 * (jupyter's closure 1,246 → 1,164 ms), and at 1 MiB or all synchronous no better. The few
 * members left (15 in the corpus set, 20 MB of its 64) still go to the pool, where the inflating
 * of one wheel's big shared libraries can spread over several threads.
 */
const SYNC_MEMBER_BYTES = 256 * 1024;

function inflateMember(data: Buffer, size: number): Buffer | Promise<Buffer> {
  // More than declared is an error, never a bigger buffer. One output buffer of the declared
  // size and a byte, so a member that fits takes one allocation and no concatenation (zlib's
  // default 16 KiB chunks cost a fresh allocation per member, then a copy to join them), and
  // one byte more than declared is enough to see it overflow.
  const options = { maxOutputLength: Math.max(1, size), chunkSize: Math.max(zlibConstants.Z_MIN_CHUNK, size + 1) };
  if (size <= SYNC_MEMBER_BYTES) return inflateRawSync(data, options);
  return new Promise((resolve, reject) => inflateRaw(data, options, (error, out) => (error === null ? resolve(out) : reject(error))));
}

/**
 * Writes a new file (never replacing one). Small files synchronously: each is one short open,
 * write and close, and handing them to the thread pool costs this thread more than making them
 * (unpacking the corpus set into tmpfs: ~0.9 s synchronous, ~1.2–1.4 s through the pool).
 */
function writeNewFile(path: string, content: Buffer, mode: number): void | Promise<void> {
  if (content.length <= SYNC_MEMBER_BYTES) writeFileSync(path, content, { flag: 'wx', mode });
  else return writeFile(path, content, { flag: 'wx', mode });
}

/** A member's content, from the in-memory wheel: located through its local header, inflated in one call, size-checked. */
async function readMemberFromBuffer(wheelBytes: Buffer, entry: Entry, name: string, wheel: string): Promise<Buffer> {
  const at = entry.relativeOffsetOfLocalHeader;
  if (at + 30 > wheelBytes.length || wheelBytes.readUInt32LE(at) !== 0x04034b50) throw unsafeWheel(wheel, `member ${JSON.stringify(name)} has no valid local header`, 'PAVED_E_INVALID_WHEEL');
  const start = at + 30 + wheelBytes.readUInt16LE(at + 26) + wheelBytes.readUInt16LE(at + 28);
  const end = start + entry.compressedSize;
  if (end > wheelBytes.length) throw unsafeWheel(wheel, `member ${JSON.stringify(name)} runs past the end of the file`, 'PAVED_E_INVALID_WHEEL');
  if (entry.isEncrypted()) throw unsafeWheel(wheel, `member ${JSON.stringify(name)} is encrypted`, 'PAVED_E_INVALID_WHEEL');
  const raw = wheelBytes.subarray(start, end);
  let content: Buffer;
  if (entry.compressionMethod === 0) content = raw;
  else if (entry.compressionMethod === 8) {
    try {
      content = await inflateMember(raw, entry.uncompressedSize);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw unsafeWheel(wheel, `member ${JSON.stringify(name)} inflates to more than the ${entry.uncompressedSize} bytes it declares`);
      throw unsafeWheel(wheel, `member ${JSON.stringify(name)} does not inflate: ${error instanceof Error ? error.message : String(error)}`, 'PAVED_E_INVALID_WHEEL');
    }
  } else throw unsafeWheel(wheel, `member ${JSON.stringify(name)} uses zip compression method ${entry.compressionMethod} (only stored and deflate are allowed)`, 'PAVED_E_INVALID_WHEEL');
  if (content.length !== entry.uncompressedSize) {
    throw unsafeWheel(wheel, `member ${JSON.stringify(name)} is ${content.length} bytes, its zip entry says ${entry.uncompressedSize}`, 'PAVED_E_INVALID_WHEEL');
  }
  return content;
}

function readEntries(zip: ZipFile, limit: number, wheel: string): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on('entry', (entry: Entry) => {
      entries.push(entry);
      if (entries.length > limit) {
        reject(unsafeWheel(wheel, `more than ${limit} members`));
        return;
      }
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', reject);
    zip.readEntry();
  });
}

function openEntry(zip: ZipFile, entry: Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error !== null || stream === undefined) reject(error ?? new Error('cannot read member'));
      else resolve(stream);
    });
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function entryName(entry: Entry, wheel: string): string {
  const raw = entry.fileName as unknown as Buffer | string;
  if (typeof raw === 'string') return raw;
  try {
    return utf8.decode(raw);
  } catch {
    throw unsafeWheel(wheel, 'a member name is not UTF-8');
  }
}

class CountingHash extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly max: number, private readonly onTooBig: () => Error) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) {
      callback(this.onTooBig());
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

function parseWheelFile(text: string, wheel: string): boolean {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (match !== null) fields.set((match[1] as string).toLowerCase(), (match[2] as string).trim());
  }
  const version = fields.get('wheel-version');
  if (version === undefined || !/^\d+(\.\d+)*$/.test(version)) throw unsafeWheel(wheel, 'its WHEEL file has no valid Wheel-Version', 'PAVED_E_INVALID_WHEEL');
  if (version.split('.')[0] !== '1') throw unsafeWheel(wheel, `Wheel-Version ${version} is not supported (only 1.x)`, 'PAVED_E_INVALID_WHEEL');
  return (fields.get('root-is-purelib') ?? 'true').toLowerCase() === 'true';
}

const HASH_ALGORITHMS = new Set(['sha256', 'sha384', 'sha512']);

async function hashOf(path: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(path), hash);
  return hash.digest('base64url');
}

async function unpackInto(wheelPath: string, wheelBytes: Buffer | null, staging: string, sha256: string, limits: Required<WheelCacheLimits>): Promise<UnpackedWheel> {
  const wheel = wheelPath;
  let zip: ZipFile;
  try {
    zip = await openZip(wheelBytes ?? wheelPath);
  } catch (error) {
    throw new PavedError('PAVED_E_INVALID_WHEEL', `${wheel} is not a readable zip archive: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'The download may be truncated; fetch the wheel again.',
      cause: error,
    });
  }
  try {
    const entries = await readEntries(zip, limits.maxEntries, wheel).catch((error: unknown) => {
      if (error instanceof PavedError) throw error;
      throw unsafeWheel(wheel, `its zip directory is invalid: ${error instanceof Error ? error.message : String(error)}`, 'PAVED_E_INVALID_WHEEL');
    });
    // Check every member before writing any.
    const files: { entry: Entry; name: string; executable: boolean }[] = [];
    const seen = new Set<string>();
    let declaredTotal = 0;
    for (const entry of entries) {
      const name = entryName(entry, wheel);
      const reason = unsafeMemberReason(name);
      if (reason !== null) throw unsafeWheel(wheel, `member ${JSON.stringify(name.slice(0, 200))} has ${reason}`);
      const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
      const type = mode & S_IFMT;
      const madeOnUnix = entry.versionMadeBy >>> 8 === 3;
      if (madeOnUnix && type === S_IFLNK) throw unsafeWheel(wheel, `member ${JSON.stringify(name)} is a symbolic link`);
      if (name.endsWith('/') || (madeOnUnix && type === S_IFDIR)) continue;
      if (madeOnUnix && type !== 0 && type !== S_IFREG) throw unsafeWheel(wheel, `member ${JSON.stringify(name)} is not a regular file`);
      if (seen.has(name)) throw unsafeWheel(wheel, `member ${JSON.stringify(name)} appears twice`);
      seen.add(name);
      if (entry.uncompressedSize > limits.maxFileBytes) throw unsafeWheel(wheel, `member ${JSON.stringify(name)} inflates to ${entry.uncompressedSize} bytes`);
      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > limits.maxTotalBytes) throw unsafeWheel(wheel, `members inflate to more than ${limits.maxTotalBytes} bytes`);
      files.push({ entry, name, executable: madeOnUnix && (mode & 0o111) !== 0 });
    }
    // Every directory the members need, each after its parent. A file may not also be one of them
    // (it would be written over or through).
    const dirs = new Set<string>();
    const distInfos = new Set<string>();
    for (const name of seen) {
      let slash = name.indexOf('/');
      if (slash !== -1 && name.slice(0, slash).endsWith('.dist-info')) distInfos.add(name.slice(0, slash));
      while (slash !== -1) {
        const dir = name.slice(0, slash);
        if (seen.has(dir)) throw unsafeWheel(wheel, `member ${JSON.stringify(dir)} is both a file and a directory`);
        dirs.add(dir);
        slash = name.indexOf('/', slash + 1);
      }
    }
    if (distInfos.size !== 1) {
      throw unsafeWheel(wheel, distInfos.size === 0 ? 'it has no .dist-info directory' : `it has ${distInfos.size} .dist-info directories`, 'PAVED_E_INVALID_WHEEL');
    }
    const distInfo = [...distInfos][0] as string;
    const dataDir = `${distInfo.slice(0, -'.dist-info'.length)}.data`;
    for (const name of seen) {
      if (name.startsWith(`${dataDir}/`)) {
        const key = name.split('/')[1] as string;
        if (!SCHEME_KEYS.has(key) || name.split('/').length < 3) throw unsafeWheel(wheel, `member ${JSON.stringify(name)} is in an unknown .data scheme directory`, 'PAVED_E_INVALID_WHEEL');
      }
    }
    for (const required of ['METADATA', 'WHEEL', 'RECORD']) {
      if (!seen.has(`${distInfo}/${required}`)) throw unsafeWheel(wheel, `it has no ${distInfo}/${required}`, 'PAVED_E_INVALID_WHEEL');
    }

    const filesDir = join(staging, 'files');
    await mkdir(filesDir, { recursive: true });
    // Every directory once, parents before children, before any member is written: a
    // recursive mkdir per member's parent probes and collides (more than half of the mkdir
    // calls of a cold install failed with ENOENT or EEXIST), and a directory costs far more than
    // a file on some file systems. Names were checked above, so joining needs no normalising.
    for (const dir of dirs) mkdirSync(`${filesDir}/${dir}`);
    const hashes = new Map<string, { sha256: string; size: number }>();
    // The dist-info files read below are kept from inflating rather than read back from disk.
    const keptNames = new Set(['WHEEL', 'METADATA', 'RECORD'].map((n) => `${distInfo}/${n}`));
    const kept = new Map<string, Buffer>();
    const distInfoFile = async (n: string): Promise<Buffer> => kept.get(`${distInfo}/${n}`) ?? (await readFile(join(filesDir, distInfo, n)));
    let writtenTotal = 0;
    await runBounded(files, 16, async ({ entry, name, executable }) => {
      const target = `${filesDir}/${name}`;
      const mode = executable || name.startsWith(`${dataDir}/scripts/`) ? 0o755 : 0o644;
      let size: number;
      let digest: string;
      if (wheelBytes !== null && entry.uncompressedSize <= IN_MEMORY_MEMBER_BYTES) {
        const content = await readMemberFromBuffer(wheelBytes, entry, name, wheel);
        await writeNewFile(target, content, mode);
        if (keptNames.has(name)) kept.set(name, content);
        size = content.length;
        digest = createHash('sha256').update(content).digest('base64url');
      } else {
        const counter = new CountingHash(limits.maxFileBytes, () => unsafeWheel(wheel, `member ${JSON.stringify(name)} inflates to more than ${limits.maxFileBytes} bytes`));
        await pipeline(await openEntry(zip, entry), counter, createWriteStream(target, { flags: 'wx', mode }));
        size = counter.bytes;
        digest = counter.hash.digest('base64url');
      }
      writtenTotal += size;
      if (writtenTotal > limits.maxTotalBytes) throw unsafeWheel(wheel, `members inflate to more than ${limits.maxTotalBytes} bytes`);
      hashes.set(name, { sha256: digest, size });
    });

    const rootIsPurelib = parseWheelFile((await distInfoFile('WHEEL')).toString('utf8'), wheel);
    let metadata;
    try {
      metadata = parseCoreMetadataBytes(await distInfoFile('METADATA'));
    } catch (error) {
      throw new PavedError('PAVED_E_INVALID_WHEEL', `${wheel}: its METADATA cannot be read: ${error instanceof Error ? error.message : String(error)}`, {
        hint: 'The wheel was built by a broken tool; rebuild it.',
        cause: error,
      });
    }
    const escapedPrefix = distInfo.slice(0, -'.dist-info'.length).split('-')[0] ?? '';
    if (normalizeName(escapedPrefix) !== normalizeName(metadata.name)) {
      throw unsafeWheel(wheel, `its ${distInfo} does not belong to ${metadata.name}`, 'PAVED_E_INVALID_WHEEL');
    }

    const record = parseRecord((await distInfoFile('RECORD')).toString('utf8'));
    const recorded = new Map(record.map((row) => [row.path, row]));
    const unsigned = new Set([`${distInfo}/RECORD`, `${distInfo}/RECORD.jws`, `${distInfo}/RECORD.p7s`]);
    const unpacked: UnpackedFile[] = [];
    for (const { name, executable } of files) {
      const actual = hashes.get(name) as { sha256: string; size: number };
      if (!unsigned.has(name)) {
        const row = recorded.get(name);
        if (row === undefined || row.hash === '') throw unsafeWheel(wheel, `member ${JSON.stringify(name)} is not in RECORD with a hash`, 'PAVED_E_HASH_MISMATCH');
        const eq = row.hash.indexOf('=');
        const algorithm = row.hash.slice(0, eq).toLowerCase();
        const digest = row.hash.slice(eq + 1).replace(/=+$/, '');
        if (!HASH_ALGORITHMS.has(algorithm)) throw unsafeWheel(wheel, `RECORD hashes ${JSON.stringify(name)} with ${JSON.stringify(algorithm)}, which is not allowed (sha256 or stronger)`, 'PAVED_E_HASH_MISMATCH');
        const computed = algorithm === 'sha256' ? actual.sha256 : await hashOf(join(filesDir, name), algorithm);
        if (computed !== digest) throw unsafeWheel(wheel, `member ${JSON.stringify(name)} does not match its RECORD hash`, 'PAVED_E_HASH_MISMATCH');
        if (row.size !== null && row.size !== actual.size) throw unsafeWheel(wheel, `member ${JSON.stringify(name)} is ${actual.size} bytes, RECORD says ${row.size}`, 'PAVED_E_HASH_MISMATCH');
      }
      unpacked.push({ path: name, sha256: actual.sha256, size: actual.size, executable: executable || name.startsWith(`${dataDir}/scripts/`) });
    }
    unpacked.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { sha256, filesDir, name: metadata.name, version: metadata.version, distInfo, dataDir, rootIsPurelib, files: unpacked, requiresDist: metadata.requiresDist };
  } finally {
    zip.close();
  }
}

interface Manifest {
  manifestVersion: number;
  wheel: Omit<UnpackedWheel, 'filesDir'>;
}

/**
 * Runs `body` with the wheel cache an install uses: one unpacking worker per core the process
 * may use (none on a single core, where a worker would only add its start-up), stopped when
 * `body` ends however it ends.
 */
export async function withInstallingWheelCache<T>(cacheDir: string, body: (cache: WheelCache) => Promise<T>): Promise<T> {
  const cores = availableParallelism();
  const cache = createWheelCache(cacheDir, { workers: cores > 1 ? cores : 0 });
  try {
    return await body(cache);
  } finally {
    await cache.close();
  }
}

/** Opens (and on first write creates) the wheel cache under `cacheDir`. */
export function createWheelCache(cacheDir: string, options: WheelCacheOptions = {}): WheelCache {
  const root = join(cacheDir, 'wheels-v1');
  const { workers = 0, ...limits } = options;
  const bounds = { ...DEFAULT_LIMITS, ...limits };
  const pool = workers > 0 ? createUnpackPool(workers) : null;
  const inFlight = new Map<string, Promise<UnpackedWheel>>();

  /** Wheels found or unpacked by this instance: an install asks for each several times (plan, unpack, install). */
  const known = new Map<string, UnpackedWheel>();

  async function get(sha256: string): Promise<UnpackedWheel | null> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new PavedError('PAVED_E_INVALID_HASH', `${JSON.stringify(sha256.slice(0, 80))} is not a sha256 hex digest`);
    const seen = known.get(sha256);
    if (seen !== undefined) return seen;
    const dir = join(root, sha256);
    let text: string;
    try {
      text = await readFile(join(dir, 'manifest.json'), 'utf8');
    } catch {
      return null;
    }
    const manifest = JSON.parse(text) as Manifest;
    if (manifest.manifestVersion !== MANIFEST_VERSION) return null;
    const wheel = { ...manifest.wheel, filesDir: join(dir, 'files') };
    known.set(sha256, wheel);
    return wheel;
  }

  async function unpackHere(wheelPath: string, expected: string | undefined): Promise<UnpackedWheel> {
    const { bytes, sha256 } = await readVerifiedWheel(wheelPath, expected);
    const cached = await get(sha256);
    if (cached !== null) return cached;
    let pending = inFlight.get(sha256);
    if (pending === undefined) {
      pending = unpackToCache(root, wheelPath, bytes, sha256, bounds).finally(() => inFlight.delete(sha256));
      inFlight.set(sha256, pending);
    }
    return pending;
  }

  async function unpack(wheelPath: string, options: { sha256?: string } = {}): Promise<UnpackedWheel> {
    const expected = options.sha256?.toLowerCase();
    if (expected !== undefined) {
      const cached = await get(expected);
      if (cached !== null) return cached;
    }
    if (expected === undefined || pool === null) {
      const wheel = await unpackHere(wheelPath, expected);
      known.set(wheel.sha256, wheel);
      return wheel;
    }
    // With the hash known up front, reading, checking and unpacking all happen on a worker.
    let pending = inFlight.get(expected);
    if (pending === undefined) {
      pending = pool.unpack({ root, wheelPath, sha256: expected, limits: bounds }).finally(() => inFlight.delete(expected));
      inFlight.set(expected, pending);
    }
    const wheel = await pending;
    known.set(expected, wheel);
    return wheel;
  }

  return { root, unpack, get, expectUnpacking: () => pool?.start(), close: async () => { await pool?.close(); } };
}

/**
 * Reads a wheel (into memory when it is small enough, see `IN_MEMORY_WHEEL_BYTES`) and hashes it;
 * with `expected`, a different hash is `PAVED_E_HASH_MISMATCH`.
 */
export async function readVerifiedWheel(wheelPath: string, expected: string | undefined): Promise<{ bytes: Buffer | null; sha256: string }> {
  let size: number;
  try {
    size = (await stat(wheelPath)).size;
  } catch (error) {
    throw new PavedError('PAVED_E_NOT_FOUND', `no wheel at ${wheelPath}`, { hint: 'Download it again.', cause: error });
  }
  // Most wheels are read once: hashed and unpacked from the same buffer.
  const bytes = size <= IN_MEMORY_WHEEL_BYTES ? await readFile(wheelPath) : null;
  const sha256 = bytes === null ? await sha256File(wheelPath) : createHash('sha256').update(bytes).digest('hex');
  if (expected !== undefined && sha256 !== expected) {
    throw new PavedError('PAVED_E_HASH_MISMATCH', `${wheelPath} has sha256 ${sha256}, expected ${expected}`, {
      hint: 'The file is not the one the lock names (corrupted, truncated or replaced). Download it again; if it persists, the index serves a different file.',
    });
  }
  return { bytes, sha256 };
}

/**
 * Unpacks a wheel whose hash is `sha256` into `<root>/<sha256>/` (staged under a temporary name,
 * renamed into place; a copy another process placed first is kept) and returns it.
 */
export async function unpackToCache(root: string, wheelPath: string, wheelBytes: Buffer | null, sha256: string, limits: Required<WheelCacheLimits>): Promise<UnpackedWheel> {
  await mkdir(root, { recursive: true });
  const staging = join(root, `.tmp-${sha256.slice(0, 16)}-${randomBytes(6).toString('hex')}`);
  const final = join(root, sha256);
  try {
    const wheel = await unpackInto(wheelPath, wheelBytes, staging, sha256, limits);
    const { filesDir: _stagingFiles, ...described } = wheel;
    const manifest: Manifest = { manifestVersion: MANIFEST_VERSION, wheel: described };
    await writeFile(join(staging, 'manifest.json'), JSON.stringify(manifest));
    try {
      await rename(staging, final);
    } catch (error) {
      // Another process unpacked the same wheel first: its copy is as good as ours.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      await rm(staging, { recursive: true, force: true });
    }
    return { ...wheel, filesDir: join(final, 'files') };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

