/**
 * Reading source distributions without trusting them: `.tar.gz` (and `.tgz`, plain `.tar`)
 * streamed through zlib and tar-stream with the inflated bytes counted as they come, and `.zip`
 * through the same zip scan as wheels. An sdist must hold exactly one top-level directory,
 * `{name}-{version}/`, with the core metadata in its `PKG-INFO`.
 *
 * Nothing is written to disk: a gzip bomb is refused after a few megabytes of inflation, when the
 * stream's ratio or the total passes the limits.
 */
import { createReadStream } from 'node:fs';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { PavedError } from '../../errors.js';
import type { SdistExtension } from '../../standards/sdistFilename.js';
import {
  archiveTooLarge,
  checkMemberName,
  exceedsRatio,
  formatBytes,
  invalidArchive,
  MemberPaths,
  showMember,
  unsafeArchive,
  type ArchiveLimits,
} from './archiveLimits.js';
import { scanZipArchive } from './inspectWheel.js';

/** What the sdist layout check found. */
export interface SdistContents {
  /** The single top-level directory as written, e.g. `example_pkg-1.0`. */
  topLevelDir: string;
  /** Bytes of `{topLevelDir}/PKG-INFO`. */
  pkgInfoBytes: Buffer;
}

/** Archive formats this module reads; the other historical sdist formats are refused. */
export const READABLE_SDIST_EXTENSIONS: readonly SdistExtension[] = ['.tar.gz', '.tgz', '.tar', '.zip'];

const TAR_TYPE_PROBLEMS: Record<string, string> = {
  symlink: 'is a symbolic link',
  link: 'is a hard link',
  'character-device': 'is a character device',
  'block-device': 'is a block device',
  fifo: 'is a FIFO',
};

function invalidSdist(message: string, hint = 'Rebuild the sdist with a current build back-end (e.g. `python -m build --sdist`).'): PavedError {
  return new PavedError('PAVED_E_INVALID_METADATA', `sdist ${message}`, { hint });
}

interface TarScan {
  paths: MemberPaths;
  /** `X/PKG-INFO` members by top-level directory: their bytes, or their size when over the cap. */
  pkgInfos: Map<string, Buffer | number>;
}

function counter(onChunk: (length: number) => PavedError | null): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const error = onChunk(chunk.length);
      if (error !== null) callback(error);
      else callback(null, chunk);
    },
  });
}

function describeStreamError(error: unknown, gzip: boolean): PavedError {
  if (error instanceof PavedError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (gzip && typeof code === 'string' && code.startsWith('Z_')) {
    if (code === 'Z_BUF_ERROR') return invalidArchive('sdist', `gzip stream ends early (the file is truncated): ${message}`, error);
    return invalidArchive('sdist', `is not a valid gzip stream: ${message}`, error);
  }
  return invalidArchive('sdist', `is not a valid tar archive: ${message}`, error);
}

async function scanTarArchive(path: string, gzip: boolean, limits: ArchiveLimits): Promise<TarScan> {
  const paths = new MemberPaths('sdist');
  const pkgInfos = new Map<string, Buffer | number>();
  let compressed = 0;
  let inflated = 0;
  let entries = 0;

  const countCompressed = counter((length) => {
    compressed += length;
    return null;
  });
  const countInflated = counter((length) => {
    inflated += length;
    if (inflated > limits.maxUncompressedBytes) {
      return archiveTooLarge('sdist', `inflates to more than ${formatBytes(limits.maxUncompressedBytes)}; that is the limit`);
    }
    if (gzip && exceedsRatio(inflated, compressed, limits)) {
      return archiveTooLarge(
        'sdist',
        `gzip stream inflated ${formatBytes(inflated)} from ${formatBytes(compressed)}, a ratio over the ${limits.maxCompressionRatio}:1 limit (a gzip bomb)`,
      );
    }
    return null;
  });
  const extract = tar.extract();
  const stages: (Readable | Writable)[] = gzip
    ? [createReadStream(path), countCompressed, createGunzip(), countInflated, extract as unknown as Writable]
    : [createReadStream(path), countInflated, extract as unknown as Writable];

  let pipelineError: unknown = null;
  const piped = pipeline(stages).catch((error: unknown) => {
    pipelineError = error;
  });
  let loopError: unknown = null;
  try {
    for await (const entry of extract) {
      const header = entry.header;
      entries++;
      if (entries > limits.maxEntries) throw archiveTooLarge('sdist', `has more than ${limits.maxEntries} members; that is the limit`);
      const name = header.name;
      const problem = TAR_TYPE_PROBLEMS[header.type ?? ''];
      if (problem !== undefined) {
        const target = header.linkname ? ` to ${showMember(header.linkname)}` : '';
        throw unsafeArchive('sdist', `member ${showMember(name)} ${problem}${target}`);
      }
      // contiguous-file is a regular file to every tar reader; anything unnamed is refused.
      const type = header.type === 'directory' ? 'directory' : header.type === 'file' || header.type === 'contiguous-file' ? 'file' : null;
      if (type === null) throw unsafeArchive('sdist', `member ${showMember(name)} has an unsupported tar entry type (${String(header.type)})`);
      const path = checkMemberName('sdist', name);
      paths.add(path, type, name);
      const size = header.size ?? 0;
      if (size > limits.maxUncompressedBytes) {
        throw archiveTooLarge('sdist', `member ${showMember(name)} is ${formatBytes(size)}; the limit for the whole archive is ${formatBytes(limits.maxUncompressedBytes)}`);
      }
      const segments = path.split('/');
      const capture = type === 'file' && segments.length === 2 && segments[1] === 'PKG-INFO';
      if (capture && size > limits.maxMetadataBytes) pkgInfos.set(segments[0] as string, size);
      const keep = capture && size <= limits.maxMetadataBytes;
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        if (keep) chunks.push(chunk);
      }
      if (keep) pkgInfos.set(segments[0] as string, Buffer.concat(chunks));
    }
  } catch (error) {
    loopError = error;
  }
  await piped;
  // A refusal from our own checks explains more than the stream errors it causes downstream.
  const errors = [loopError, pipelineError].filter((e) => e !== null);
  const chosen = errors.find((e) => e instanceof PavedError) ?? errors[0];
  if (chosen !== undefined) throw describeStreamError(chosen, gzip);
  paths.checkFileDirectoryClashes();
  return { paths, pkgInfos };
}

function topLevelDirectory(paths: Iterable<string>, types: (path: string) => 'file' | 'directory' | undefined): string {
  const tops = new Set<string>();
  for (const path of paths) {
    const slash = path.indexOf('/');
    if (slash === -1 && types(path) === 'file') {
      throw invalidSdist(`has a file ${showMember(path)} at the top level; an sdist holds a single {name}-{version}/ directory`);
    }
    tops.add(slash === -1 ? path : path.slice(0, slash));
  }
  if (tops.size === 0) throw invalidSdist('is empty');
  if (tops.size > 1) {
    const shown = [...tops].slice(0, 5).map(showMember).join(', ');
    throw invalidSdist(`has ${tops.size} top-level directories (${shown}${tops.size > 5 ? ', …' : ''}); an sdist holds exactly one, {name}-{version}/`);
  }
  return [...tops][0] as string;
}

function missingPkgInfo(topLevelDir: string): PavedError {
  return invalidSdist(`has no ${topLevelDir}/PKG-INFO`, 'Build the sdist with a PEP 517 back-end, which writes PKG-INFO (e.g. `python -m build --sdist`).');
}

function oversizedPkgInfo(topLevelDir: string, size: number, limits: ArchiveLimits): PavedError {
  return invalidSdist(`${topLevelDir}/PKG-INFO is ${formatBytes(size)}; the limit is ${formatBytes(limits.maxMetadataBytes)}`);
}

/**
 * Scans an sdist of the given archive format and checks its layout: one top-level directory
 * holding `PKG-INFO` (at most `maxMetadataBytes`). Whether the directory's name matches the
 * filename is the caller's check. Throws PAVED_E_INVALID_ARCHIVE, PAVED_E_UNSAFE_ARCHIVE,
 * PAVED_E_ARCHIVE_TOO_LARGE or PAVED_E_INVALID_METADATA.
 */
export async function readSdistArchive(path: string, extension: SdistExtension, limits: ArchiveLimits): Promise<SdistContents> {
  if (!READABLE_SDIST_EXTENSIONS.includes(extension)) {
    throw invalidArchive('sdist', `format ${extension} cannot be read; paved reads ${READABLE_SDIST_EXTENSIONS.join(', ')} sdists`);
  }
  if (extension === '.zip') {
    let topLevelDir = '';
    const scan = await scanZipArchive(path, 'sdist', limits, (members) => {
      const types = new Map(members.map((m) => [m.path, m.type]));
      topLevelDir = topLevelDirectory(types.keys(), (p) => types.get(p));
      const pkgInfo = members.find((m) => m.path === `${topLevelDir}/PKG-INFO` && m.type === 'file');
      if (pkgInfo === undefined) throw missingPkgInfo(topLevelDir);
      if (pkgInfo.size > limits.maxMetadataBytes) throw oversizedPkgInfo(topLevelDir, pkgInfo.size, limits);
      return [`${topLevelDir}/PKG-INFO`];
    });
    return { topLevelDir, pkgInfoBytes: scan.contents.get(`${topLevelDir}/PKG-INFO`) as Buffer };
  }
  const scan = await scanTarArchive(path, extension !== '.tar', limits);
  const topLevelDir = topLevelDirectory(scan.paths.paths(), (p) => scan.paths.get(p));
  const pkgInfo = scan.pkgInfos.get(topLevelDir);
  if (pkgInfo === undefined) throw missingPkgInfo(topLevelDir);
  if (typeof pkgInfo === 'number') throw oversizedPkgInfo(topLevelDir, pkgInfo, limits);
  return { topLevelDir, pkgInfoBytes: pkgInfo };
}
