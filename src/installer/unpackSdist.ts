/**
 * Unpacking a source distribution to build it, without trusting it. `.tar.gz`/`.tgz`/`.tar` are
 * streamed through zlib and tar-stream and `.zip` read with yauzl; the format comes from the
 * file's first bytes, not its name. Every member name is checked before anything is written
 * (absolute, `..`, backslashes, control characters), devices and FIFOs are refused, a link may
 * only point inside the unpacked tree, nothing is ever written through a link, and the inflated
 * bytes are counted as they come so a gzip or zip bomb stops after a few megabytes over the limit.
 *
 * The index server has its own (stricter, no links at all) sdist reader, but `index/` is not
 * importable from here; real sdists do sometimes hold relative links, which a build may need.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, open, readlink, realpath, rm, symlink } from 'node:fs/promises';
import { dirname, join, posix, sep } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { PavedError } from '../errors.js';
import { unsafeMemberReason } from './wheelCache.js';

/** Bounds on what unpacking one sdist may produce. */
export interface SdistLimits {
  /** Inflated bytes of the whole archive (tar stream or zip members). Default 1 GiB. */
  maxTotalBytes?: number;
  /** Members. Default 100 000. */
  maxEntries?: number;
  /** Inflated bytes per archive byte, checked once past `ratioFloorBytes`. Default 200. */
  maxRatio?: number;
  /** Inflation below this is never refused for its ratio (small text sdists compress well). Default 16 MiB. */
  ratioFloorBytes?: number;
}

/** What `unpackSdist` wrote. */
export interface UnpackedSdist {
  /** The directory everything was written under. */
  root: string;
  /** The source tree: the archive's single top-level directory, or `root` when it has several. */
  sourceDir: string;
  /** Regular files written. */
  files: number;
  /** Bytes of those files. */
  bytes: number;
}

const DEFAULTS: Required<SdistLimits> = { maxTotalBytes: 1024 * 1024 * 1024, maxEntries: 100_000, maxRatio: 200, ratioFloorBytes: 16 * 1024 * 1024 };

function show(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}

function unsafe(sdist: string, reason: string): PavedError {
  return new PavedError('PAVED_E_UNSAFE_SDIST', `sdist ${sdist} is refused: ${reason}`, {
    hint: 'Nothing was built from it. The archive is hostile or broken; ask its maintainers for a clean sdist or a wheel.',
  });
}

function tooLarge(sdist: string, reason: string): PavedError {
  return new PavedError('PAVED_E_SDIST_TOO_LARGE', `sdist ${sdist} is refused: ${reason}`, {
    hint: 'This looks like a decompression bomb. If the sdist is genuinely this large, raise the unpack limits.',
  });
}

function invalid(sdist: string, reason: string, cause?: unknown): PavedError {
  return new PavedError('PAVED_E_INVALID_SDIST', `sdist ${sdist} ${reason}`, {
    hint: 'The download may be truncated, or the file is not an sdist paved can read (.tar.gz, .tgz, .tar, .zip).',
    ...(cause === undefined ? {} : { cause }),
  });
}

type Format = 'gzip' | 'tar' | 'zip';

async function detectFormat(path: string, sdist: string): Promise<Format> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, 512, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip';
    if (bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  } finally {
    await handle.close();
  }
  throw invalid(sdist, 'is not a gzip, tar or zip archive (bz2 and xz sdists are not supported)');
}

/** Tracks what was written so links and writes can be checked against it. */
class Tree {
  readonly files = new Set<string>();
  readonly links = new Set<string>();
  readonly dirs = new Set<string>();
  bytes = 0;
  constructor(readonly root: string, readonly sdist: string) {}

  /** Checks a member name and returns it without a trailing slash. */
  name(raw: string): string {
    const reason = unsafeMemberReason(raw);
    if (reason !== null) throw unsafe(this.sdist, `member ${show(raw)} has ${reason}`);
    return raw.replace(/\/$/, '');
  }

  /** Refuses writing `name` over anything already written, or through a link or file on the way. */
  claim(name: string, kind: 'file' | 'dir' | 'link'): void {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.links.has(prefix)) throw unsafe(this.sdist, `member ${show(name)} would be written through the link ${show(prefix)}`);
      if (this.files.has(prefix)) throw unsafe(this.sdist, `member ${show(name)} would be written below the file ${show(prefix)}`);
      this.dirs.add(prefix);
    }
    if (kind === 'dir') {
      if (this.files.has(name) || this.links.has(name)) throw unsafe(this.sdist, `member ${show(name)} is both a directory and a file`);
      this.dirs.add(name);
      return;
    }
    if (this.files.has(name) || this.links.has(name) || this.dirs.has(name)) throw unsafe(this.sdist, `member ${show(name)} appears twice`);
    (kind === 'file' ? this.files : this.links).add(name);
  }

  /** Checks that a link at `name` pointing at `target` stays inside the tree. */
  linkTarget(name: string, target: string): void {
    if (target === '' || target.startsWith('/') || target.includes('\\') || target.includes('\0') || /^[A-Za-z]:/.test(target)) {
      throw unsafe(this.sdist, `link ${show(name)} points to ${show(target)}, outside the sdist`);
    }
    const resolved = posix.normalize(posix.join(posix.dirname(name), target));
    if (resolved === '..' || resolved.startsWith('../')) throw unsafe(this.sdist, `link ${show(name)} points to ${show(target)}, outside the sdist`);
  }

  path(name: string): string {
    return join(this.root, ...name.split('/'));
  }
}

function limitCounter(sdist: string, archiveBytes: number, limits: Required<SdistLimits>): { transform: Transform; add(length: number): void } {
  let inflated = 0;
  const ratioLimit = Math.max(limits.ratioFloorBytes, limits.maxRatio * archiveBytes);
  const add = (length: number): void => {
    inflated += length;
    if (inflated > limits.maxTotalBytes) throw tooLarge(sdist, `it inflates to more than ${limits.maxTotalBytes} bytes; that is the limit`);
    if (inflated > ratioLimit) {
      throw tooLarge(sdist, `it inflated more than ${inflated} bytes from ${archiveBytes}, a ratio over the ${limits.maxRatio}:1 limit (a decompression bomb)`);
    }
  };
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        add(chunk.length);
        callback(null, chunk);
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  return { transform, add };
}

async function writeStream(source: Readable, dest: string, executable: boolean, signal?: AbortSignal): Promise<number> {
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  // flags 'wx': never follow or replace anything already at the path.
  await pipeline(source, count, createWriteStream(dest, { flags: 'wx', mode: executable ? 0o755 : 0o644 }), ...(signal === undefined ? [] : [{ signal }]));
  return bytes;
}

async function readAll(source: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new Error('too long');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const TAR_REFUSED: Record<string, string> = {
  'character-device': 'is a character device',
  'block-device': 'is a block device',
  fifo: 'is a FIFO',
};

async function unpackTar(path: string, gzip: boolean, tree: Tree, archiveBytes: number, limits: Required<SdistLimits>): Promise<void> {
  const counter = limitCounter(tree.sdist, archiveBytes, limits);
  const extract = tar.extract();
  const stages: (Readable | Writable)[] = gzip
    ? [createReadStream(path), createGunzip(), counter.transform, extract as unknown as Writable]
    : [createReadStream(path), counter.transform, extract as unknown as Writable];
  let pipelineError: unknown = null;
  // When the archive breaks off, tar-stream neither ends the member being read nor its iterator: both are failed from here, or unpacking would wait forever.
  const broken = new AbortController();
  let failLoop: (error: unknown) => void = () => {};
  const pipelineFailed = new Promise<never>((_resolve, reject) => {
    failLoop = reject;
  });
  pipelineFailed.catch(() => {});
  const piped = pipeline(stages).catch((error: unknown) => {
    pipelineError = error;
    broken.abort();
    failLoop(error);
  });
  let loopError: unknown = null;
  let entries = 0;
  try {
    const iterator = extract[Symbol.asyncIterator]();
    for (;;) {
      const step = await Promise.race([iterator.next(), pipelineFailed]);
      if (step.done === true) break;
      const entry = step.value;
      const header = entry.header;
      if (++entries > limits.maxEntries) throw tooLarge(tree.sdist, `it has more than ${limits.maxEntries} members; that is the limit`);
      const refused = TAR_REFUSED[header.type ?? ''];
      if (refused !== undefined) throw unsafe(tree.sdist, `member ${show(header.name)} ${refused}`);
      const name = tree.name(header.name);
      const type = header.type ?? 'file';
      if (type === 'directory') {
        tree.claim(name, 'dir');
        await mkdir(tree.path(name), { recursive: true });
      } else if (type === 'file' || type === 'contiguous-file') {
        tree.claim(name, 'file');
        await mkdir(dirname(tree.path(name)), { recursive: true });
        tree.bytes += await writeStream(entry as unknown as Readable, tree.path(name), ((header.mode ?? 0o644) & 0o111) !== 0, broken.signal);
        continue;
      } else if (type === 'symlink') {
        const target = header.linkname ?? '';
        tree.linkTarget(name, target);
        tree.claim(name, 'link');
        await mkdir(dirname(tree.path(name)), { recursive: true });
        await symlink(target, tree.path(name));
      } else if (type === 'link') {
        // A hard link names an earlier member; it becomes a copy, so nothing shares an inode with a path outside.
        const target = tree.name(header.linkname ?? '');
        if (!tree.files.has(target)) throw unsafe(tree.sdist, `hard link ${show(name)} points to ${show(header.linkname ?? '')}, which is not a file earlier in the sdist`);
        tree.claim(name, 'file');
        await mkdir(dirname(tree.path(name)), { recursive: true });
        await copyFile(tree.path(target), tree.path(name));
      } else {
        throw unsafe(tree.sdist, `member ${show(header.name)} has an unsupported tar entry type (${String(type)})`);
      }
      entry.resume();
    }
  } catch (error) {
    loopError = error;
    extract.destroy();
  }
  await piped;
  // Our own refusal explains more than the stream errors it causes downstream.
  // A member aborted because the archive broke off says less than why it broke off.
  const aborted = loopError instanceof Error && loopError.name === 'AbortError';
  const errors = [aborted ? null : loopError, pipelineError].filter((e) => e !== null);
  const chosen = errors.find((e) => e instanceof PavedError) ?? errors[0];
  if (chosen === undefined) return;
  if (chosen instanceof PavedError) throw chosen;
  const code = (chosen as { code?: unknown }).code;
  const message = chosen instanceof Error ? chosen.message : String(chosen);
  if (typeof code === 'string' && code.startsWith('Z_')) throw invalid(tree.sdist, `is not a valid gzip stream (${message})`, chosen);
  if (typeof code === 'string' && code.startsWith('E') && code !== 'EPIPE') throw chosen;
  throw invalid(tree.sdist, `is not a valid tar archive (${message})`, chosen);
}

function openZip(path: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings: false: our own name checks see every raw name.
    yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false }, (error, zip) => {
      if (error !== null || zip === undefined) reject(error ?? new Error('cannot open zip'));
      else resolve(zip);
    });
  });
}

function zipEntries(zip: ZipFile, tree: Tree, limits: Required<SdistLimits>): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on('entry', (entry: Entry) => {
      entries.push(entry);
      if (entries.length > limits.maxEntries) return reject(tooLarge(tree.sdist, `it has more than ${limits.maxEntries} members; that is the limit`));
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', reject);
    zip.readEntry();
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function unpackZip(path: string, tree: Tree, archiveBytes: number, limits: Required<SdistLimits>): Promise<void> {
  let zip: ZipFile;
  try {
    zip = await openZip(path);
  } catch (error) {
    throw invalid(tree.sdist, `is not a readable zip archive (${error instanceof Error ? error.message : String(error)})`, error);
  }
  try {
    let entries: Entry[];
    try {
      entries = await zipEntries(zip, tree, limits);
    } catch (error) {
      if (error instanceof PavedError) throw error;
      throw invalid(tree.sdist, `is not a readable zip archive (${error instanceof Error ? error.message : String(error)})`, error);
    }
    let declared = 0;
    for (const entry of entries) {
      declared += entry.uncompressedSize;
      if (declared > limits.maxTotalBytes) throw tooLarge(tree.sdist, `its members inflate to more than ${limits.maxTotalBytes} bytes; that is the limit`);
    }
    const counter = limitCounter(tree.sdist, archiveBytes, limits);
    for (const entry of entries) {
      let raw: string;
      try {
        const bytes = entry.fileName as unknown as Buffer | string;
        raw = typeof bytes === 'string' ? bytes : utf8.decode(bytes);
      } catch {
        throw unsafe(tree.sdist, 'a member name is not UTF-8');
      }
      const name = tree.name(raw);
      const madeOnUnix = entry.versionMadeBy >>> 8 === 3;
      const mode = madeOnUnix ? (entry.externalFileAttributes >>> 16) & 0xffff : 0;
      const type = mode & 0o170000;
      const stream = async (): Promise<Readable> => {
        const s = await new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (error, r) => (error !== null || r === undefined ? reject(error ?? new Error('cannot read member')) : resolve(r))));
        return s.pipe(
          new Transform({
            transform(chunk: Buffer, _encoding, callback) {
              try {
                counter.add(chunk.length);
                callback(null, chunk);
              } catch (error) {
                callback(error as Error);
              }
            },
          }),
        );
      };
      if (raw.endsWith('/') || type === 0o040000) {
        tree.claim(name, 'dir');
        await mkdir(tree.path(name), { recursive: true });
      } else if (type === 0o120000) {
        let target: string;
        try {
          target = (await readAll(await stream(), 4096)).toString('utf8');
        } catch (error) {
          if (error instanceof PavedError) throw error;
          throw unsafe(tree.sdist, `link ${show(name)} has an unreadable target`);
        }
        tree.linkTarget(name, target);
        tree.claim(name, 'link');
        await mkdir(dirname(tree.path(name)), { recursive: true });
        await symlink(target, tree.path(name));
      } else if (type === 0 || type === 0o100000) {
        tree.claim(name, 'file');
        await mkdir(dirname(tree.path(name)), { recursive: true });
        try {
          tree.bytes += await writeStream(await stream(), tree.path(name), (mode & 0o111) !== 0);
        } catch (error) {
          if (error instanceof PavedError) throw error;
          const code = (error as { code?: unknown }).code;
          if (typeof code === 'string' && code.startsWith('E')) throw error;
          throw invalid(tree.sdist, `member ${show(name)} cannot be read (${error instanceof Error ? error.message : String(error)})`, error);
        }
      } else {
        throw unsafe(tree.sdist, `member ${show(name)} is not a regular file, directory or link`);
      }
    }
  } finally {
    zip.close();
  }
}

/** After everything is written, each link must resolve inside the tree (a chain of links may not lead out). */
async function checkLinks(tree: Tree): Promise<void> {
  const realRoot = await realpath(tree.root);
  for (const name of tree.links) {
    let resolved: string;
    try {
      resolved = await realpath(tree.path(name));
    } catch {
      // Dangling: its lexical target was inside, and nothing is written through links.
      continue;
    }
    if (resolved !== realRoot && !resolved.startsWith(realRoot + sep)) {
      throw unsafe(tree.sdist, `link ${show(name)} (to ${show(await readlink(tree.path(name)))}) leads outside the sdist`);
    }
  }
}

/**
 * Unpacks the sdist at `archivePath` into `destDir` (created; it must not exist yet). `sdist`
 * names it in errors (default: the path). On any failure `destDir` is removed, so nothing
 * half-unpacked is ever built. Throws PAVED_E_UNSAFE_SDIST (traversal, links leading out,
 * devices, duplicates), PAVED_E_SDIST_TOO_LARGE (bombs, too many members) or PAVED_E_INVALID_SDIST.
 */
export async function unpackSdist(archivePath: string, destDir: string, options: SdistLimits & { sdist?: string } = {}): Promise<UnpackedSdist> {
  const limits: Required<SdistLimits> = {
    maxTotalBytes: options.maxTotalBytes ?? DEFAULTS.maxTotalBytes,
    maxEntries: options.maxEntries ?? DEFAULTS.maxEntries,
    maxRatio: options.maxRatio ?? DEFAULTS.maxRatio,
    ratioFloorBytes: options.ratioFloorBytes ?? DEFAULTS.ratioFloorBytes,
  };
  const sdist = options.sdist ?? archivePath;
  const format = await detectFormat(archivePath, sdist);
  const archiveBytes = (await lstat(archivePath)).size;
  await mkdir(dirname(destDir), { recursive: true });
  // Not recursive: the directory must be new, so nothing already there is written through.
  await mkdir(destDir);
  const tree = new Tree(destDir, sdist);
  try {
    if (format === 'zip') await unpackZip(archivePath, tree, archiveBytes, limits);
    else await unpackTar(archivePath, format === 'gzip', tree, archiveBytes, limits);
    await checkLinks(tree);
  } catch (error) {
    await rm(destDir, { recursive: true, force: true });
    throw error;
  }
  const tops = new Set<string>();
  for (const set of [tree.files, tree.dirs, tree.links]) for (const name of set) tops.add(name.split('/')[0] as string);
  const only = tops.size === 1 ? ([...tops][0] as string) : null;
  const sourceDir = only !== null && tree.dirs.has(only) && !tree.files.has(only) && !tree.links.has(only) ? join(destDir, only) : destDir;
  return { root: destDir, sourceDir, files: tree.files.size, bytes: tree.bytes };
}
