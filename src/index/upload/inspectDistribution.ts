/**
 * The wall every distribution file passes before the index publishes it (uploads and bulk
 * imports alike): the archive is scanned for everything hostile (paths escaping the target,
 * links and devices, duplicate names, zip and gzip bombs, corruption), its layout is checked, and
 * its core metadata is parsed and compared with the filename. Only then is the file believed.
 *
 * The file is already on local disk (streamed to a temporary path by the caller); nothing is
 * extracted or written, whatever the archive claims.
 */
import { isUtf8 } from 'node:buffer';
import { PavedError } from '../../errors.js';
import { parseCoreMetadata, parseCoreMetadataBytes, type CoreMetadata } from '../../standards/coreMetadata.js';
import { parseDistributionFilename, type DistributionFilename } from '../../standards/distributionFilename.js';
import { isValidName, normalizeName } from '../../standards/names.js';
import { compareVersions, normalizeVersion } from '../../standards/version.js';
import { resolveArchiveLimits, showMember, type ArchiveKind, type ArchiveLimits } from './archiveLimits.js';
import { readSdistArchive } from './inspectSdist.js';
import { readWheelArchive } from './inspectWheel.js';

export { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './archiveLimits.js';

/** What the index learns from a distribution file it has checked and accepted. */
export interface DistributionInspection {
  kind: 'wheel' | 'sdist';
  filename: DistributionFilename;
  /** The project name as METADATA / PKG-INFO spells it (the display name). */
  name: string;
  /** PEP 503 normalised project name. */
  normalizedName: string;
  /** PEP 440 normalised version. */
  version: string;
  metadata: CoreMetadata;
  /**
   * The exact bytes of a wheel's METADATA, served as its PEP 658 core-metadata file. Null for
   * sdists: like PyPI, paved serves metadata files for wheels only, since an sdist's PKG-INFO may
   * leave fields dynamic and need not match what a build produces.
   */
  metadataBytes: Buffer | null;
  /** The Requires-Python of the metadata, trimmed; null when absent or empty. */
  requiresPython: string | null;
}

function mismatch(message: string): PavedError {
  return new PavedError('PAVED_E_METADATA_MISMATCH', message, {
    hint: 'Upload the file under the name its build tool gave it; renaming a distribution does not change what it contains.',
  });
}

function invalidMetadata(message: string, cause?: unknown, hint?: string): PavedError {
  return new PavedError('PAVED_E_INVALID_METADATA', message, {
    hint: hint ?? 'Rebuild the distribution with a current build back-end (setuptools, hatchling, flit, poetry-core…).',
    cause,
  });
}

function tryNormalizeVersion(text: string): string | null {
  try {
    return normalizeVersion(text.trim());
  } catch {
    return null;
  }
}

/**
 * Whether a `{name}-{version}` directory stem names the same project and version as the
 * filename. Compliant stems escape the name (`foo_bar-1.0`), but older tools kept dashes in it
 * (`foo-bar-1.0`), so every dash is tried as the separator.
 */
function stemMatches(stem: string, filename: DistributionFilename): boolean {
  for (let dash = stem.indexOf('-'); dash !== -1; dash = stem.indexOf('-', dash + 1)) {
    const name = stem.slice(0, dash);
    if (!isValidName(name) || normalizeName(name) !== filename.normalizedName) continue;
    const version = tryNormalizeVersion(stem.slice(dash + 1));
    if (version !== null && compareVersions(version, filename.version) === 0) return true;
  }
  return false;
}

function checkDirectoryName(kind: ArchiveKind, directory: string, suffix: string, filename: DistributionFilename): void {
  const stem = directory.slice(0, directory.length - suffix.length);
  if (!stemMatches(stem, filename)) {
    const what = kind === 'wheel' ? `.dist-info directory` : 'top-level directory';
    throw mismatch(
      `${kind} ${what} ${showMember(directory)} does not match the filename's project '${filename.normalizedName}' version ${filename.version}`,
    );
  }
}

function parseMetadataDocument(kind: ArchiveKind, bytes: Buffer, label: string, limits: ArchiveLimits): CoreMetadata {
  const coreLimits = { maxTotalBytes: limits.maxMetadataBytes };
  try {
    // Pre-2010 sdists wrote PKG-INFO in Latin-1; a wheel's METADATA is always UTF-8.
    if (kind === 'sdist' && !isUtf8(bytes)) return parseCoreMetadata(bytes.toString('latin1'), coreLimits);
    return parseCoreMetadataBytes(bytes, coreLimits);
  } catch (error) {
    if (error instanceof PavedError) {
      throw new PavedError(error.code, `${kind} ${label}: ${error.message}`, { hint: error.hint, details: error.details, cause: error });
    }
    throw error;
  }
}

function checkIdentity(kind: ArchiveKind, label: string, metadata: CoreMetadata, filename: DistributionFilename): { name: string; version: string } {
  const name = metadata.name.trim();
  if (!isValidName(name)) throw invalidMetadata(`${kind} ${label} has an invalid project name ${showMember(name)}`);
  if (normalizeName(name) !== filename.normalizedName) {
    throw mismatch(`${kind} filename is for project '${filename.normalizedName}' but its ${label} says '${name}'`);
  }
  const version = tryNormalizeVersion(metadata.version);
  if (version === null) throw invalidMetadata(`${kind} ${label} has an invalid version ${showMember(metadata.version)} (not PEP 440)`);
  // Equal, not identical: `1.0` in the filename and `1.0.0` inside are one version (PyPI agrees).
  if (compareVersions(version, filename.version) !== 0) {
    throw mismatch(`${kind} filename is for version ${filename.version} but its ${label} says ${metadata.version.trim()}`);
  }
  return { name, version };
}

/**
 * Checks the distribution file at `path`, uploaded or imported as `filename`, and returns what
 * it is. Throws PavedError: PAVED_E_INVALID_FILENAME, PAVED_E_INVALID_ARCHIVE (not a zip/tar.gz,
 * truncated, corrupt), PAVED_E_UNSAFE_ARCHIVE (escaping paths, links, devices, duplicates),
 * PAVED_E_ARCHIVE_TOO_LARGE (bombs, too many members), PAVED_E_INVALID_METADATA (layout or core
 * metadata broken) or PAVED_E_METADATA_MISMATCH (filename and contents disagree).
 */
export async function inspectDistribution(path: string, filename: string, limits?: Partial<ArchiveLimits>): Promise<DistributionInspection> {
  const resolved = resolveArchiveLimits(limits);
  const parsed = parseDistributionFilename(filename);
  let metadata: CoreMetadata;
  let metadataBytes: Buffer | null;
  let label: string;
  if (parsed.kind === 'wheel') {
    const wheel = await readWheelArchive(path, resolved);
    checkDirectoryName('wheel', wheel.distInfoDir, '.dist-info', parsed);
    label = 'METADATA';
    metadata = parseMetadataDocument('wheel', wheel.metadataBytes, label, resolved);
    metadataBytes = wheel.metadataBytes;
  } else {
    const sdist = await readSdistArchive(path, parsed.extension, resolved);
    checkDirectoryName('sdist', sdist.topLevelDir, '', parsed);
    label = 'PKG-INFO';
    metadata = parseMetadataDocument('sdist', sdist.pkgInfoBytes, label, resolved);
    metadataBytes = null;
  }
  const { name, version } = checkIdentity(parsed.kind, label, metadata, parsed);
  const requiresPython = metadata.requiresPython?.trim() || null;
  return { kind: parsed.kind, filename: parsed, name, normalizedName: parsed.normalizedName, version, metadata, metadataBytes, requiresPython };
}
