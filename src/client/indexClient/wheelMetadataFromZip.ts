/**
 * Reads a wheel's `*.dist-info/METADATA` with as few bytes as possible, from anything that can
 * read byte ranges (HTTP range requests, a local file, a buffer): the end of central directory
 * record in the file's tail, then the central directory, then only the METADATA member's local
 * header and compressed bytes. Wheels put their dist-info last, so the first tail read often
 * holds everything and one request suffices.
 *
 * The zip comes from outside: every offset and size is checked against the file, the member is
 * inflated with an output cap and checked against its CRC-32 and declared size.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { PavedError } from '../../errors.js';
import { normalizeName } from '../../standards/names.js';

/** Random access to a zip's bytes. */
export interface RangeSource {
  /** The zip's size in bytes. */
  size: number;
  /** Bytes already known at the end of the file (e.g. from a suffix range request). */
  tail: Buffer;
  /** Reads bytes `[start, end)`. */
  read(start: number, end: number): Promise<Buffer>;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024;
/** Largest METADATA accepted, compressed or not. */
export const MAX_METADATA_BYTES = 16 * 1024 * 1024;
/** How much of the tail to ask for first: the EOCD, and usually the whole central directory and dist-info. */
export const TAIL_BYTES = 64 * 1024;

function invalid(where: string, message: string): PavedError {
  return new PavedError('PAVED_E_INVALID_ARCHIVE', `${where} is not a readable wheel: ${message}`, {
    hint: 'The file is truncated or not a zip; the index may be serving a broken file.',
    details: { where },
  });
}

interface MetadataMember {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/**
 * Returns the METADATA bytes of the wheel `where` (a URL or path, for messages), preferring the
 * dist-info directory named for `project` when a wheel (wrongly) has several.
 */
export async function readWheelMetadataFromZip(source: RangeSource, where: string, project: string | null): Promise<Buffer> {
  const { size } = source;
  const tailStart = size - source.tail.length;
  const readAt = async (start: number, end: number): Promise<Buffer> => {
    if (start < 0 || end > size || start > end) throw invalid(where, `a record points outside the file (${start}-${end} of ${size})`);
    if (start >= tailStart) return source.tail.subarray(start - tailStart, end - tailStart);
    const bytes = await source.read(start, end);
    if (bytes.length !== end - start) throw invalid(where, `reading ${start}-${end} returned ${bytes.length} bytes`);
    return bytes;
  };

  const searchFrom = Math.max(0, size - EOCD_SIZE - MAX_COMMENT);
  let window = source.tail.length > 0 ? await readAt(Math.max(searchFrom, tailStart), size) : Buffer.alloc(0);
  let eocd = findEocd(window);
  if (eocd < 0 && tailStart > searchFrom) {
    window = await readAt(searchFrom, size);
    eocd = findEocd(window);
  }
  const windowStart = size - window.length;
  if (eocd < 0) throw invalid(where, 'no end of central directory record');
  let entries = window.readUInt16LE(eocd + 10);
  let cdSize = window.readUInt32LE(eocd + 12);
  let cdOffset = window.readUInt32LE(eocd + 16);
  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locatorAt = windowStart + eocd - 20;
    const locator = await readAt(locatorAt, locatorAt + 20);
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIGNATURE) throw invalid(where, 'zip64 fields without a zip64 locator');
    const recordAt = safeNumber(locator.readBigUInt64LE(8), where);
    const record = await readAt(recordAt, recordAt + 56);
    if (record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) throw invalid(where, 'bad zip64 end of central directory');
    entries = safeNumber(record.readBigUInt64LE(32), where);
    cdSize = safeNumber(record.readBigUInt64LE(40), where);
    cdOffset = safeNumber(record.readBigUInt64LE(48), where);
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY) throw invalid(where, `a central directory of ${cdSize} bytes`);
  const central = await readAt(cdOffset, cdOffset + cdSize);
  const member = findMetadataMember(central, entries, where, project);
  if (member.compressedSize > MAX_METADATA_BYTES || member.uncompressedSize > MAX_METADATA_BYTES) {
    throw invalid(where, `METADATA of ${member.uncompressedSize} bytes is over the ${MAX_METADATA_BYTES}-byte limit`);
  }
  // The local header's extra field may differ from the central one: read its fixed part first
  // unless the slack we read anyway covers it.
  const guessEnd = Math.min(size, member.localHeaderOffset + 30 + member.name.length + member.compressedSize + 1024);
  let local = await readAt(member.localHeaderOffset, guessEnd);
  if (local.length < 30 || local.readUInt32LE(0) !== LOCAL_SIGNATURE) throw invalid(where, `no local header for ${member.name}`);
  const dataStart = 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  const dataEnd = dataStart + member.compressedSize;
  if (dataEnd > local.length) local = await readAt(member.localHeaderOffset, member.localHeaderOffset + dataEnd);
  const compressed = local.subarray(dataStart, dataEnd);
  let bytes: Buffer;
  if (member.method === 0) {
    bytes = Buffer.from(compressed);
  } else if (member.method === 8) {
    try {
      bytes = inflateRawSync(compressed, { maxOutputLength: MAX_METADATA_BYTES });
    } catch {
      throw invalid(where, `${member.name} does not inflate`);
    }
  } else {
    throw invalid(where, `${member.name} uses compression method ${member.method}`);
  }
  if (bytes.length !== member.uncompressedSize) throw invalid(where, `${member.name} inflates to ${bytes.length} bytes, not ${member.uncompressedSize}`);
  if (crc32(bytes) >>> 0 !== member.crc >>> 0) throw invalid(where, `${member.name} fails its CRC-32 check`);
  return bytes;
}

// The last signature whose comment length reaches exactly to the end of the file.
function findEocd(window: Buffer): number {
  for (let i = window.length - EOCD_SIZE; i >= 0; i--) {
    if (window.readUInt32LE(i) === EOCD_SIGNATURE && i + EOCD_SIZE + window.readUInt16LE(i + 20) === window.length) return i;
  }
  return -1;
}

function safeNumber(value: bigint, where: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(where, 'a zip64 offset beyond any real file');
  return Number(value);
}

function findMetadataMember(central: Buffer, entries: number, where: string, project: string | null): MetadataMember {
  const found: MetadataMember[] = [];
  let at = 0;
  for (let i = 0; i < entries; i++) {
    if (at + 46 > central.length || central.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw invalid(where, 'a damaged central directory');
    const flags = central.readUInt16LE(at + 8);
    const method = central.readUInt16LE(at + 10);
    const crc = central.readUInt32LE(at + 16);
    let compressedSize = central.readUInt32LE(at + 20);
    let uncompressedSize = central.readUInt32LE(at + 24);
    const nameLength = central.readUInt16LE(at + 28);
    const extraLength = central.readUInt16LE(at + 30);
    const commentLength = central.readUInt16LE(at + 32);
    let localHeaderOffset = central.readUInt32LE(at + 42);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > central.length) throw invalid(where, 'a central directory entry runs past its end');
    const name = central.toString('utf8', at + 46, at + 46 + nameLength);
    if (/^[^/]+\.dist-info\/METADATA$/.test(name)) {
      if ((flags & 1) !== 0) throw invalid(where, `${name} is encrypted`);
      if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
        // Zip64 extra field: the 64-bit values, present only for the fields that overflowed, in this order.
        const extra = central.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
        let e = 0;
        while (e + 4 <= extra.length) {
          const id = extra.readUInt16LE(e);
          const length = extra.readUInt16LE(e + 2);
          if (id === 0x0001) {
            let v = e + 4;
            const take = (): number => {
              if (v + 8 > e + 4 + length || v + 8 > extra.length) throw invalid(where, 'a short zip64 extra field');
              const value = safeNumber(extra.readBigUInt64LE(v), where);
              v += 8;
              return value;
            };
            if (uncompressedSize === 0xffffffff) uncompressedSize = take();
            if (compressedSize === 0xffffffff) compressedSize = take();
            if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
            break;
          }
          e += 4 + length;
        }
      }
      found.push({ name, method, crc, compressedSize, uncompressedSize, localHeaderOffset });
    }
    at = next;
  }
  if (found.length === 0) throw invalid(where, 'no .dist-info/METADATA member');
  if (found.length > 1 && project !== null) {
    const wanted = normalizeName(project);
    const mine = found.find((member) => {
      const dir = member.name.slice(0, member.name.indexOf('.dist-info/'));
      const dash = dir.lastIndexOf('-');
      try {
        return normalizeName(dash < 0 ? dir : dir.slice(0, dash)) === wanted;
      } catch {
        return false;
      }
    });
    if (mine !== undefined) return mine;
  }
  return found[0] as MetadataMember;
}

/** A RangeSource over bytes already in memory (a whole download, a local file). */
export function bufferRangeSource(bytes: Buffer): RangeSource {
  return { size: bytes.length, tail: bytes, read: (start, end) => Promise.resolve(bytes.subarray(start, end)) };
}
