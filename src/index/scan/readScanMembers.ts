/**
 * Reads the members the scanner wants out of a distribution archive, and only those, with a cap
 * on how much of each it inflates. The archive has already passed the upload inspection
 * (`../upload/`), which verified every member's name, type, size and CRC; the scanner still
 * re-checks names with the same rule and never trusts a size it has not counted, so a file that
 * reaches it some other way cannot make it allocate without bound.
 */
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, inflateRawSync } from 'node:zlib';
import tar from 'tar-stream';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { isPavedError } from '../../errors.js';
import { archiveTooLarge, checkMemberName, DEFAULT_ARCHIVE_LIMITS, formatBytes, invalidArchive, showMember, type ArchiveKind } from '../upload/archiveLimits.js';
import { WindowedFile } from '../upload/windowedFile.js';

/** One file member of an archive, as listed. */
export interface ListedMember {
  /** Canonical `/`-separated path. */
  path: string;
  /** Inflated size (declared by a zip, counted for a tar). */
  size: number;
}

/** The bytes the scanner asked for from one member. */
export interface ReadMember extends ListedMember {
  /** The first bytes of the member, up to the amount asked for. */
  data: Buffer;
  /** Whether the member is longer than `data`. */
  truncated: boolean;
}

/**
 * Says how many leading bytes of a member to read: 0 to skip it. Called once per file member,
 * in archive order.
 */
export type ChooseBytes = (path: string, size: number) => number;

/** What an archive read found: every file member, and the bytes of the chosen ones. */
export interface ArchiveRead {
  members: ListedMember[];
  read: ReadMember[];
}

/** A budget on the total inflated bytes one scan may keep, shared across passes. */
export interface ReadBudget {
  remaining: number;
}

function openZip(path: string, kind: ArchiveKind): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings: false leaves name checks to checkMemberName, which refuses with the upload inspection's own errors.
    yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false }, (error, zip) => {
      if (error !== null) reject(invalidArchive(kind, `is not a readable zip archive: ${error.message}`, error));
      else resolve(zip);
    });
  });
}

function openEntry(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => (error !== null ? reject(error) : resolve(stream)));
  });
}

async function collect(stream: AsyncIterable<Buffer> & { destroy?: () => void }, limit: number): Promise<{ data: Buffer; truncated: boolean; seen: number }> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let seen = 0;
  let truncated = false;
  for await (const chunk of stream) {
    seen += chunk.length;
    if (kept < limit) {
      const part = chunk.length <= limit - kept ? chunk : chunk.subarray(0, limit - kept);
      chunks.push(part);
      kept += part.length;
    }
    if (seen > limit) {
      truncated = true;
      break;
    }
  }
  return { data: Buffer.concat(chunks, kept), truncated, seen };
}

const WINDOW_BYTES = 4 * 1024 * 1024;
/** Members up to this size (inflated) are inflated in one synchronous call; bigger ones stream. */
const SYNC_INFLATE_BYTES = 16 * 1024 * 1024;


/** The compressed bytes of a member, found through its local header. */
async function rawMember(file: WindowedFile, entry: Entry, kind: ArchiveKind): Promise<Buffer> {
  const offset = entry.relativeOffsetOfLocalHeader;
  const head = await file.read(offset, 30);
  if (head.length < 30 || head.readUInt32LE(0) !== 0x04034b50) throw invalidArchive(kind, `member ${showMember(entry.fileNameRaw.toString('utf8'))} has no valid local header`);
  const dataStart = offset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
  const raw = await file.read(dataStart, entry.compressedSize);
  if (raw.length < entry.compressedSize) throw invalidArchive(kind, `member ${showMember(entry.fileNameRaw.toString('utf8'))} runs past the end of the file`);
  return raw;
}

async function readZipMember(zip: ZipFile, file: WindowedFile, entry: Entry, member: ListedMember, want: number, kind: ArchiveKind): Promise<ReadMember> {
  if (member.size <= want && member.size <= SYNC_INFLATE_BYTES && (entry.compressionMethod === 0 || entry.compressionMethod === 8)) {
    const raw = await rawMember(file, entry, kind);
    // One byte more than declared: a member that inflates past its header is refused, not trusted.
    const data = entry.compressionMethod === 0 || raw.length === 0 ? raw : inflateRawSync(raw, { maxOutputLength: member.size + 1 });
    if (data.length !== member.size) throw invalidArchive(kind, `member ${showMember(entry.fileNameRaw.toString('utf8'))} is not the size its header declares`);
    return { ...member, data: Buffer.from(data), truncated: false };
  }
  const stream = await openEntry(zip, entry);
  try {
    const { data, truncated } = await collect(stream as AsyncIterable<Buffer>, want);
    return { ...member, data, truncated: truncated || member.size > data.length };
  } finally {
    stream.destroy();
  }
}

/**
 * Lists a zip's file members and reads the leading bytes `choose` asks for (bounded by the
 * budget). Throws PAVED_E_INVALID_ARCHIVE for an unreadable zip and PAVED_E_UNSAFE_ARCHIVE for a
 * hostile member name.
 */
export async function readZipMembers(path: string, kind: ArchiveKind, choose: ChooseBytes, budget: ReadBudget): Promise<ArchiveRead> {
  const zip = await openZip(path, kind);
  const members: ListedMember[] = [];
  const read: ReadMember[] = [];
  let handle: FileHandle | null = null;
  try {
    const wanted: [Entry, ListedMember, number][] = [];
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileNameRaw.toString('utf8');
      if (name.endsWith('/')) continue;
      const member = { path: checkMemberName(kind, name), size: entry.uncompressedSize };
      members.push(member);
      const want = Math.min(choose(member.path, member.size), budget.remaining);
      if (want > 0) {
        budget.remaining -= Math.min(want, member.size);
        wanted.push([entry, member, want]);
      }
    }
    wanted.sort((a, b) => a[0].relativeOffsetOfLocalHeader - b[0].relativeOffsetOfLocalHeader);
    handle = await open(path, 'r');
    const file = new WindowedFile(handle, (await handle.stat()).size, WINDOW_BYTES);
    for (const [entry, member, want] of wanted) read.push(await readZipMember(zip, file, entry, member, want, kind));
  } catch (error) {
    if (isPavedError(error)) throw error;
    throw invalidArchive(kind, `cannot be read: ${error instanceof Error ? error.message : String(error)}`, error);
  } finally {
    zip.close();
    await handle?.close();
  }
  return { members, read };
}

/**
 * Streams a tar (gzip-compressed or not) once, listing its file members and keeping the leading
 * bytes `choose` asks for (bounded by the budget). Throws PAVED_E_INVALID_ARCHIVE or
 * PAVED_E_UNSAFE_ARCHIVE.
 */
export async function readTarMembers(path: string, gzip: boolean, choose: ChooseBytes, budget: ReadBudget): Promise<ArchiveRead> {
  const members: ListedMember[] = [];
  const read: ReadMember[] = [];
  const extract = tar.extract();
  // Draining a tar inflates all of it: bounded by the same total the upload inspection enforces.
  let inflated = 0;
  const countInflated = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      inflated += chunk.length;
      if (inflated > DEFAULT_ARCHIVE_LIMITS.maxUncompressedBytes) {
        callback(archiveTooLarge('sdist', `inflates to more than ${formatBytes(DEFAULT_ARCHIVE_LIMITS.maxUncompressedBytes)}; that is the limit`));
      } else {
        callback(null, chunk);
      }
    },
  });
  const stages: (Readable | Writable)[] = gzip
    ? [createReadStream(path), createGunzip(), countInflated, extract as unknown as Writable]
    : [createReadStream(path), countInflated, extract as unknown as Writable];
  let entries = 0;
  let pipelineError: unknown = null;
  const piped = pipeline(stages).catch((error: unknown) => {
    pipelineError = error;
  });
  let loopError: unknown = null;
  try {
    for await (const entry of extract) {
      const header = entry.header;
      if (++entries > DEFAULT_ARCHIVE_LIMITS.maxEntries) throw archiveTooLarge('sdist', `has more than ${DEFAULT_ARCHIVE_LIMITS.maxEntries} members; that is the limit`);
      const isFile = header.type === 'file' || header.type === 'contiguous-file';
      if (!isFile) {
        entry.resume();
        continue;
      }
      const size = header.size ?? 0;
      const member = { path: checkMemberName('sdist', header.name), size };
      members.push(member);
      const want = Math.min(choose(member.path, size), budget.remaining);
      if (want <= 0) {
        entry.resume();
        continue;
      }
      budget.remaining -= Math.min(want, size);
      const chunks: Buffer[] = [];
      let kept = 0;
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        // tar-stream needs every entry drained; only the first `want` bytes are kept.
        if (kept < want) {
          const part = chunk.length <= want - kept ? chunk : chunk.subarray(0, want - kept);
          chunks.push(part);
          kept += part.length;
        }
      }
      read.push({ ...member, data: Buffer.concat(chunks, kept), truncated: size > kept });
    }
  } catch (error) {
    loopError = error;
  }
  await piped;
  // Our own refusal explains more than the stream errors it causes downstream.
  const failure = [loopError, pipelineError].find((e) => isPavedError(e)) ?? loopError ?? pipelineError;
  if (failure !== null) {
    if (isPavedError(failure)) throw failure;
    throw invalidArchive('sdist', `cannot be read: ${failure instanceof Error ? failure.message : String(failure)}`, failure);
  }
  return { members, read };
}
