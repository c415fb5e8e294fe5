/**
 * The rules every archive paved opens must obey before anything in it is believed: how big it
 * may get once inflated, how many members it may hold, and what a member's path may look like.
 *
 * Archives come from outside (uploads, bulk imports, mirrored files), so both readers (zip for
 * wheels and zip sdists, tar.gz for sdists) count the bytes they actually inflate rather than
 * trusting the sizes an archive declares about itself, and refuse any member that could land
 * outside the directory it is unpacked into.
 */
import { PavedError } from '../../errors.js';

/** Bounds on one archive. All sizes are bytes of inflated data. */
export interface ArchiveLimits {
  /** Largest total size of all members once inflated. */
  maxUncompressedBytes: number;
  /** Largest inflated/compressed ratio of a member over `RATIO_FLOOR_BYTES` (of a whole gzip stream for tar.gz). */
  maxCompressionRatio: number;
  /** Most members (files and directories). */
  maxEntries: number;
  /** Largest METADATA / PKG-INFO document. */
  maxMetadataBytes: number;
}

/** The limits used when the caller gives none: generous for real distributions, fatal for bombs. */
export const DEFAULT_ARCHIVE_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  maxUncompressedBytes: 2 * 1024 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxEntries: 100_000,
  maxMetadataBytes: 8 * 1024 * 1024,
});

/**
 * Members smaller than this are never judged by their compression ratio: a 40 KB file of
 * spaces legitimately compresses 500:1, and small members cannot make a bomb on their own.
 */
// Real wheels hold small members that compress over 1000:1 (onnx ships
// megabytes of zero-filled test tensors); a ratio alone proves nothing until
// the member is big enough to hurt. Total inflated bytes are capped separately.
export const RATIO_FLOOR_BYTES = 64 * 1024 * 1024;

/** Longest member path accepted; far past any real one, short enough that names cannot eat memory. */
export const MAX_MEMBER_NAME_LENGTH = 1024;

/** Fills in defaults and refuses limits that are not positive numbers (a configuration mistake). */
export function resolveArchiveLimits(limits: Partial<ArchiveLimits> = {}): ArchiveLimits {
  const resolved: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS };
  for (const key of Object.keys(DEFAULT_ARCHIVE_LIMITS) as (keyof ArchiveLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0)) {
      throw new PavedError('PAVED_E_CONFIG', `archive limit ${key} must be a positive number, not ${String(value)}`);
    }
    resolved[key] = value;
  }
  return resolved;
}

/** What kind of distribution an archive is, for messages ("wheel member …", "sdist member …"). */
export type ArchiveKind = 'wheel' | 'sdist';

/** Shows a hostile member name inside a message: quoted, clipped, control characters escaped. */
export function showMember(name: string): string {
  const clipped = name.length > 120 ? `${name.slice(0, 120)}…` : name;
  // eslint-disable-next-line no-control-regex
  const escaped = clipped.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `'${escaped}'`;
}

/** A refusal for a member that could write outside the target directory or is not a plain file. */
export function unsafeArchive(kind: ArchiveKind, message: string): PavedError {
  return new PavedError('PAVED_E_UNSAFE_ARCHIVE', `${kind} ${message}`, {
    hint: 'A distribution may contain only plain files and directories with relative paths inside it; rebuild it with a standard build tool.',
  });
}

/** A refusal for an archive that inflates past the limits (a zip or gzip bomb, or simply too big). */
export function archiveTooLarge(kind: ArchiveKind, message: string): PavedError {
  return new PavedError('PAVED_E_ARCHIVE_TOO_LARGE', `${kind} ${message}`, {
    hint: 'The index refuses archives that inflate to more than its configured limits.',
  });
}

/** A refusal for bytes that are not a readable archive of the expected format. */
export function invalidArchive(kind: ArchiveKind, message: string, cause?: unknown): PavedError {
  return new PavedError('PAVED_E_INVALID_ARCHIVE', `${kind} ${message}`, {
    hint: 'Check that the upload completed and that the file was built by a standard build tool.',
    cause,
  });
}

/**
 * Checks one member path and returns its canonical form (`/`-separated, no `.` or empty
 * segments, no trailing slash; '' for the archive root itself). Throws PAVED_E_UNSAFE_ARCHIVE
 * for anything an extractor could resolve outside the target directory, or resolve differently
 * on another operating system.
 */
export function checkMemberName(kind: ArchiveKind, name: string): string {
  const shown = showMember(name);
  if (name === '') throw unsafeArchive(kind, 'has a member with an empty name');
  if (name.length > MAX_MEMBER_NAME_LENGTH) {
    throw unsafeArchive(kind, `member ${shown} has a ${name.length}-character name; the limit is ${MAX_MEMBER_NAME_LENGTH}`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) throw unsafeArchive(kind, `member ${shown} has a control character in its name`);
  // Windows resolves `\` as a separator, so `a\..\..\x` escapes there even though it looks like one segment here.
  if (name.includes('\\')) throw unsafeArchive(kind, `member ${shown} uses a backslash in its path`);
  if (name.startsWith('/')) throw unsafeArchive(kind, `member ${shown} is an absolute path`);
  if (/^[A-Za-z]:/.test(name)) throw unsafeArchive(kind, `member ${shown} starts with a drive letter`);
  const segments = name.split('/');
  if (segments.includes('..')) throw unsafeArchive(kind, `member ${shown} escapes the archive`);
  return segments.filter((s) => s !== '' && s !== '.').join('/');
}

/**
 * The members seen so far, to refuse duplicates (an extractor keeps the last, a scanner may
 * look at the first) and a path that is both a file and a directory.
 */
export class MemberPaths {
  private readonly kinds = new Map<string, 'file' | 'directory'>();

  constructor(private readonly kind: ArchiveKind) {}

  /** Records one member by canonical path; throws PAVED_E_UNSAFE_ARCHIVE for a repeat. */
  add(path: string, type: 'file' | 'directory', shownName: string): void {
    if (path === '') {
      if (type === 'file') throw unsafeArchive(this.kind, `member ${showMember(shownName)} does not name a file`);
      return;
    }
    if (this.kinds.has(path)) throw unsafeArchive(this.kind, `member ${showMember(shownName)} appears more than once`);
    this.kinds.set(path, type);
  }

  /** Throws when some file's path is also used as a directory by another member. */
  checkFileDirectoryClashes(): void {
    for (const path of this.kinds.keys()) {
      let slash = path.indexOf('/');
      while (slash !== -1) {
        const parent = path.slice(0, slash);
        if (this.kinds.get(parent) === 'file') {
          throw unsafeArchive(this.kind, `member ${showMember(parent)} is a file, but ${showMember(path)} uses it as a directory`);
        }
        slash = path.indexOf('/', slash + 1);
      }
    }
  }

  /** Canonical paths of all members, in the order they were added. */
  paths(): IterableIterator<string> {
    return this.kinds.keys();
  }

  /** Whether a member has this canonical path, and what it is. */
  get(path: string): 'file' | 'directory' | undefined {
    return this.kinds.get(path);
  }

  get size(): number {
    return this.kinds.size;
  }
}

/** Human-readable byte count for messages. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Whether `inflated` bytes from `compressed` bytes break the ratio limit. */
export function exceedsRatio(inflated: number, compressed: number, limits: ArchiveLimits): boolean {
  return inflated > RATIO_FLOOR_BYTES && inflated > limits.maxCompressionRatio * Math.max(compressed, 1);
}
