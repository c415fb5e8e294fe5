/**
 * Reading zip archives (wheels, and the odd `.zip` sdist) without trusting them, and the wheel
 * layout checks of the binary distribution format: one `{name}-{version}.dist-info/` holding
 * `WHEEL` (Wheel-Version 1.x), `METADATA` and `RECORD`.
 *
 * The zip is read through its central directory (yauzl), and every member is then inflated once
 * with its actual bytes counted: sizes, ratios and CRCs in the headers are claims to verify, not
 * facts. Each local header must repeat its central-directory name, and no two members may share
 * bytes, so a reader that walks local headers (a streaming installer) sees the same archive we
 * checked, and overlapping-member bombs are refused.
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { crc32, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { PavedError } from '../../errors.js';
import {
  archiveTooLarge,
  checkMemberName,
  exceedsRatio,
  formatBytes,
  invalidArchive,
  MemberPaths,
  showMember,
  unsafeArchive,
  type ArchiveKind,
  type ArchiveLimits,
} from './archiveLimits.js';
import { WindowedFile } from './windowedFile.js';

/** One member of a zip archive, after its name and type passed the safety checks. */
export interface ZipMember {
  /** Canonical path: `/`-separated, no trailing slash. */
  path: string;
  /** The name exactly as the archive spells it (for messages). */
  rawName: string;
  type: 'file' | 'directory';
  /** Inflated size as declared by the central directory (verified while reading). */
  size: number;
}

/** The outcome of scanning a zip: its members and the bytes of the ones the caller asked for. */
export interface ZipScan {
  members: ZipMember[];
  contents: Map<string, Buffer>;
}

/**
 * Picks, from the full member list, the members whose bytes the caller wants back (by canonical
 * path). It runs after every name, type and declared size has been checked and before any member
 * is inflated, so it may throw layout errors cheaply. The caller bounds what it asks for by the
 * declared sizes; the scan guarantees the actual bytes match those sizes.
 */
export type ChooseZipContents = (members: ZipMember[]) => Iterable<string>;

const S_IFMT = 0o170000;
const FILE_TYPES = new Map<number, string | null>([
  [0, null],
  [0o100000, null],
  [0o040000, null],
  [0o120000, 'is a symbolic link'],
  [0o020000, 'is a character device'],
  [0o060000, 'is a block device'],
  [0o010000, 'is a FIFO'],
  [0o140000, 'is a socket'],
]);

interface ScannedEntry {
  entry: Entry;
  member: ZipMember;
}

function openZip(path: string, kind: ArchiveKind): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings: false keeps yauzl's own (less specific) name checks out of the way: ours run on every name.
    yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false, strictFileNames: true }, (error, zip) => {
      if (error !== null) reject(invalidArchive(kind, `is not a readable zip archive: ${error.message}`, error));
      else resolve(zip);
    });
  });
}

function asArchiveError(kind: ArchiveKind, error: unknown, context: string): PavedError {
  if (error instanceof PavedError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return invalidArchive(kind, `${context}: ${message}`, error);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function memberName(kind: ArchiveKind, entry: Entry): string {
  const raw = entry.fileNameRaw;
  const utf8 = (entry.generalPurposeBitFlag & 0x800) !== 0;
  if (utf8 || raw.every((byte) => byte < 0x80)) {
    try {
      return strictUtf8.decode(raw);
    } catch {
      throw unsafeArchive(kind, `has a member whose name is not valid UTF-8 (${raw.toString('hex').slice(0, 80)})`);
    }
  }
  // Non-ASCII without the UTF-8 flag is CP437 to one tool and UTF-8 to another: two names for one member.
  throw unsafeArchive(kind, `member ${showMember(raw.toString('latin1'))} has a non-ASCII name without the zip UTF-8 flag`);
}

function checkEntry(kind: ArchiveKind, entry: Entry, limits: ArchiveLimits): ZipMember {
  const rawName = memberName(kind, entry);
  // An Info-ZIP Unicode Path field (0x7075) gives a second name that some extractors prefer.
  for (const field of entry.extraFields) {
    if (field.id !== 0x7075 || field.data.length < 5) continue;
    const alternate = field.data.subarray(5).toString('utf8');
    if (alternate !== rawName) {
      throw unsafeArchive(kind, `member ${showMember(rawName)} carries a second name ${showMember(alternate)} in a Unicode Path field`);
    }
  }
  const path = checkMemberName(kind, rawName);
  const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
  const problem = FILE_TYPES.get(mode & S_IFMT);
  if (problem === undefined) throw unsafeArchive(kind, `member ${showMember(rawName)} has an unknown file type (mode ${mode.toString(8)})`);
  if (problem !== null) throw unsafeArchive(kind, `member ${showMember(rawName)} ${problem}`);
  if ((entry.generalPurposeBitFlag & 0x1) !== 0) throw invalidArchive(kind, `member ${showMember(rawName)} is encrypted`);
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw invalidArchive(kind, `member ${showMember(rawName)} uses compression method ${entry.compressionMethod}; only stored and deflated members can be read`);
  }
  if (exceedsRatio(entry.uncompressedSize, entry.compressedSize, limits)) {
    throw archiveTooLarge(
      kind,
      `member ${showMember(rawName)} declares ${formatBytes(entry.uncompressedSize)} inflated from ${formatBytes(entry.compressedSize)}, ` +
        `a compression ratio over the ${limits.maxCompressionRatio}:1 limit (a zip bomb)`,
    );
  }
  const isDirectory = rawName.endsWith('/') || (mode & S_IFMT) === 0o040000;
  return { path, rawName, type: isDirectory ? 'directory' : 'file', size: entry.uncompressedSize };
}

async function readCentralDirectory(zip: ZipFile, kind: ArchiveKind, limits: ArchiveLimits): Promise<ScannedEntry[]> {
  if (zip.entryCount > limits.maxEntries) {
    throw archiveTooLarge(kind, `has ${zip.entryCount} members; the limit is ${limits.maxEntries}`);
  }
  const scanned: ScannedEntry[] = [];
  const paths = new MemberPaths(kind);
  let declaredTotal = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      const member = checkEntry(kind, entry, limits);
      paths.add(member.path, member.type, member.rawName);
      declaredTotal += member.size;
      if (declaredTotal > limits.maxUncompressedBytes) {
        throw archiveTooLarge(kind, `declares more than ${formatBytes(limits.maxUncompressedBytes)} of inflated data; that is the limit`);
      }
      scanned.push({ entry, member });
    }
  } catch (error) {
    throw asArchiveError(kind, error, 'has a corrupt central directory');
  }
  paths.checkFileDirectoryClashes();
  return scanned;
}

/** Members at most this big (compressed and inflated) are read in one go and inflated synchronously. */
const SMALL_COMPRESSED_BYTES = 1024 * 1024;
const SMALL_INFLATED_BYTES = 8 * 1024 * 1024;
// Room for a local header's extra field, so most members need a single read.
const LOCAL_EXTRA_SLACK = 256;


interface LocalMember {
  fileDataStart: number;
  /** The member's raw (compressed) bytes, when it is small enough to have been read with its header. */
  raw: Buffer | null;
}


/**
 * Reads a member's local header (and, for small members, its data in the same read), checks the
 * header repeats the central directory's name and that the data lies inside the file.
 */
async function readLocalMember(file: WindowedFile, kind: ArchiveKind, scanned: ScannedEntry, small: boolean): Promise<LocalMember> {
  const fileSize = file.size;
  const { entry, member } = scanned;
  const shown = showMember(member.rawName);
  const offset = entry.relativeOffsetOfLocalHeader;
  const nameLength = entry.fileNameRaw.length;
  const wanted = Math.min(30 + nameLength + LOCAL_EXTRA_SLACK + (small ? entry.compressedSize : 0), fileSize - offset);
  const head = wanted >= 30 ? await file.read(offset, wanted) : Buffer.alloc(0);
  if (head.length < 30 || head.readUInt32LE(0) !== 0x04034b50) {
    throw invalidArchive(kind, `member ${shown} has no valid local header (the archive is truncated or corrupt)`);
  }
  const localNameLength = head.readUInt16LE(26);
  const extraLength = head.readUInt16LE(28);
  const localName = head.subarray(30, 30 + localNameLength);
  if (localName.length < localNameLength) throw invalidArchive(kind, `member ${shown} has a truncated local header`);
  if (!localName.equals(entry.fileNameRaw)) {
    throw unsafeArchive(kind, `member ${shown} is called ${showMember(localName.toString('utf8'))} in its local header`);
  }
  const fileDataStart = offset + 30 + localNameLength + extraLength;
  if (fileDataStart + entry.compressedSize > fileSize) {
    throw invalidArchive(kind, `member ${shown} runs past the end of the file (the archive is truncated or corrupt)`);
  }
  if (!small) return { fileDataStart, raw: null };
  const relative = fileDataStart - offset;
  const raw =
    relative + entry.compressedSize <= head.length
      ? head.subarray(relative, relative + entry.compressedSize)
      : await file.read(fileDataStart, entry.compressedSize);
  return { fileDataStart, raw };
}

interface MemberCheck {
  kind: ArchiveKind;
  limits: ArchiveLimits;
  totals: { inflated: number };
}

function countInflated(check: MemberCheck, member: ZipMember, size: number, added: number): void {
  check.totals.inflated += added;
  if (size > member.size) {
    throw archiveTooLarge(check.kind, `member ${showMember(member.rawName)} inflates past the ${formatBytes(member.size)} its header declares (a zip bomb or a corrupt archive)`);
  }
  if (check.totals.inflated > check.limits.maxUncompressedBytes) {
    throw archiveTooLarge(check.kind, `inflates to more than ${formatBytes(check.limits.maxUncompressedBytes)}; that is the limit`);
  }
}

function inflateSmallMember(check: MemberCheck, entry: Entry, member: ZipMember, raw: Buffer): Buffer {
  // No data at all (directories, and empty files some writers store without a deflate block).
  if (entry.compressionMethod === 0 || raw.length === 0) {
    countInflated(check, member, raw.length, raw.length);
    return raw;
  }
  let data: Buffer;
  try {
    // One byte more than declared is enough to catch a lying header without inflating a bomb.
    data = inflateRawSync(raw, { maxOutputLength: member.size + 1 });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      countInflated(check, member, member.size + 1, 0);
    }
    throw asArchiveError(check.kind, error, `member ${showMember(member.rawName)} is corrupt`);
  }
  countInflated(check, member, data.length, data.length);
  return data;
}

async function inflateLargeMember(zip: ZipFile, check: MemberCheck, entry: Entry, member: ZipMember, fileDataStart: number, keep: boolean): Promise<{ data: Buffer | null; size: number; crc: number }> {
  const shown = showMember(member.rawName);
  let stream: Readable;
  try {
    // Not the Promise variant: in yauzl 3.4 it forwards to openReadStream with the wrong arguments.
    stream = await new Promise<Readable>((resolve, reject) => {
      zip.openReadStreamLowLevel(fileDataStart, entry.compressedSize, 0, entry.compressedSize, entry.compressionMethod === 8, null, (error, s) =>
        error === null ? resolve(s) : reject(error),
      );
    });
  } catch (error) {
    throw asArchiveError(check.kind, error, `member ${shown} cannot be read`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let crc = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      countInflated(check, member, size, chunk.length);
      crc = crc32(chunk, crc);
      if (keep) chunks.push(chunk);
    }
  } catch (error) {
    stream.destroy();
    throw asArchiveError(check.kind, error, `member ${shown} is corrupt`);
  }
  return { data: keep ? Buffer.concat(chunks, size) : null, size, crc };
}

/**
 * Reads every member in file order: local header, then the data inflated with its real size,
 * ratio and CRC checked. Returns the bytes of the members in `keep`.
 */
async function readMembers(
  path: string,
  zip: ZipFile,
  check: MemberCheck,
  scanned: ScannedEntry[],
  keep: Set<string>,
): Promise<Map<string, Buffer>> {
  const { kind } = check;
  const ordered = [...scanned].sort((a, b) => a.entry.relativeOffsetOfLocalHeader - b.entry.relativeOffsetOfLocalHeader);
  const contents = new Map<string, Buffer>();
  const handle = await open(path, 'r');
  try {
    const file = new WindowedFile(handle, (await handle.stat()).size);
    let previousEnd = 0;
    let previous: ZipMember | null = null;
    for (const scannedEntry of ordered) {
      const { entry, member } = scannedEntry;
      const shown = showMember(member.rawName);
      if (previous !== null && entry.relativeOffsetOfLocalHeader < previousEnd) {
        throw unsafeArchive(kind, `member ${shown} overlaps member ${showMember(previous.rawName)} (an overlapping-member zip bomb)`);
      }
      const small = entry.compressedSize <= SMALL_COMPRESSED_BYTES && member.size <= SMALL_INFLATED_BYTES;
      const local = await readLocalMember(file, kind, scannedEntry, small);
      previousEnd = local.fileDataStart + entry.compressedSize;
      previous = member;

      let data: Buffer | null;
      let size: number;
      let crc: number;
      if (local.raw !== null) {
        data = inflateSmallMember(check, entry, member, local.raw);
        size = data.length;
        crc = crc32(data);
      } else {
        ({ data, size, crc } = await inflateLargeMember(zip, check, entry, member, local.fileDataStart, keep.has(member.path)));
      }
      if (size !== member.size) {
        throw invalidArchive(kind, `member ${shown} is ${size} bytes but its header declares ${member.size} (the archive is truncated or corrupt)`);
      }
      if (crc >>> 0 !== entry.crc32 >>> 0) throw invalidArchive(kind, `member ${shown} fails its CRC-32 check (the archive is corrupt)`);
      if (data !== null && keep.has(member.path)) contents.set(member.path, Buffer.from(data));
    }
  } finally {
    await handle.close();
  }
  return contents;
}

/**
 * Scans a zip archive end to end: checks every member's name, type and declared size, lets the
 * caller pick members to keep (`choose`), then reads every member, verifying local headers, that
 * no two members overlap, and each member's inflated size, ratio and CRC, and the total. Returns
 * the kept bytes. Throws PAVED_E_INVALID_ARCHIVE, PAVED_E_UNSAFE_ARCHIVE or
 * PAVED_E_ARCHIVE_TOO_LARGE (and whatever `choose` throws).
 */
export async function scanZipArchive(path: string, kind: ArchiveKind, limits: ArchiveLimits, choose: ChooseZipContents): Promise<ZipScan> {
  const zip = await openZip(path, kind);
  try {
    const scanned = await readCentralDirectory(zip, kind, limits);
    const members = scanned.map((s) => s.member);
    const keep = new Set(choose(members));
    const contents = await readMembers(path, zip, { kind, limits, totals: { inflated: 0 } }, scanned, keep);
    return { members, contents };
  } finally {
    zip.close();
  }
}

/** What the wheel layout check found: the `.dist-info` directory and its key files' bytes. */
export interface WheelContents {
  /** The `.dist-info` directory name as written, e.g. `example_pkg-1.0.dist-info`. */
  distInfoDir: string;
  metadataBytes: Buffer;
  /** The parsed `WHEEL` file, header names lower-cased. */
  wheelFile: Map<string, string[]>;
}

function invalidWheel(message: string, hint = 'Rebuild the wheel with a current build back-end (e.g. `python -m build`).'): PavedError {
  return new PavedError('PAVED_E_INVALID_METADATA', `wheel ${message}`, { hint });
}

/** Reads the `Key: value` lines of a WHEEL file (an RFC 822-style header block). */
function parseWheelFile(bytes: Buffer, where: string): Map<string, string[]> {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw invalidWheel(`file ${where} is not valid UTF-8`);
  }
  const fields = new Map<string, string[]>();
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0 || /^\s/.test(line)) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const values = fields.get(key) ?? [];
    values.push(line.slice(colon + 1).trim());
    fields.set(key, values);
  }
  return fields;
}

function checkWheelVersion(fields: Map<string, string[]>, where: string): void {
  const values = fields.get('wheel-version');
  if (values === undefined || values.length === 0) throw invalidWheel(`file ${where} has no Wheel-Version`);
  if (values.length > 1) throw invalidWheel(`file ${where} has more than one Wheel-Version`);
  const version = values[0] as string;
  const match = /^(\d+)\.(\d+)$/.exec(version);
  if (match === null) throw invalidWheel(`file ${where} has an invalid Wheel-Version '${version.slice(0, 40)}'`);
  if (match[1] !== '1') {
    throw invalidWheel(`file ${where} has Wheel-Version ${version}; only 1.x wheels can be installed`, 'Build the wheel with a tool that writes Wheel-Version 1.0.');
  }
}

/**
 * Scans a wheel and checks its layout: exactly one top-level `.dist-info` directory with
 * `METADATA` (at most `maxMetadataBytes`), `WHEEL` (Wheel-Version 1.x) and `RECORD`. Whether the
 * directory's name matches the filename is the caller's check. Throws the archive errors of
 * `scanZipArchive`, or PAVED_E_INVALID_METADATA.
 */
export async function readWheelArchive(path: string, limits: ArchiveLimits): Promise<WheelContents> {
  let distInfoDir = '';
  const scan = await scanZipArchive(path, 'wheel', limits, (members) => {
    const distInfos = new Set<string>();
    for (const member of members) {
      const top = member.path.split('/')[0] as string;
      if (top.endsWith('.dist-info') && (member.path !== top || member.type === 'directory')) distInfos.add(top);
    }
    if (distInfos.size === 0) throw invalidWheel('has no .dist-info directory');
    if (distInfos.size > 1) {
      throw invalidWheel(`has ${distInfos.size} .dist-info directories (${[...distInfos].map(showMember).join(', ')}); a wheel has exactly one`);
    }
    distInfoDir = [...distInfos][0] as string;
    const byPath = new Map(members.map((m) => [m.path, m]));
    for (const file of ['WHEEL', 'METADATA', 'RECORD']) {
      const member = byPath.get(`${distInfoDir}/${file}`);
      if (member === undefined || member.type !== 'file') throw invalidWheel(`has no ${distInfoDir}/${file}`);
    }
    const metadata = byPath.get(`${distInfoDir}/METADATA`) as ZipMember;
    if (metadata.size > limits.maxMetadataBytes) {
      throw invalidWheel(`${distInfoDir}/METADATA is ${formatBytes(metadata.size)}; the limit is ${formatBytes(limits.maxMetadataBytes)}`);
    }
    const wheel = byPath.get(`${distInfoDir}/WHEEL`) as ZipMember;
    if (wheel.size > limits.maxMetadataBytes) {
      throw invalidWheel(`${distInfoDir}/WHEEL is ${formatBytes(wheel.size)}; the limit is ${formatBytes(limits.maxMetadataBytes)}`);
    }
    return [`${distInfoDir}/METADATA`, `${distInfoDir}/WHEEL`];
  });
  const wheelFile = parseWheelFile(scan.contents.get(`${distInfoDir}/WHEEL`) as Buffer, `${distInfoDir}/WHEEL`);
  checkWheelVersion(wheelFile, `${distInfoDir}/WHEEL`);
  return { distInfoDir, metadataBytes: scan.contents.get(`${distInfoDir}/METADATA`) as Buffer, wheelFile };
}
