import { PavedError, isPavedError } from '../errors.js';
import { renderCoreMetadata } from '../standards/coreMetadata.js';
import { checkSafeFilename, parseDistributionFilename } from '../standards/distributionFilename.js';
import { normalizeName } from '../standards/names.js';
import { normalizeVersion } from '../standards/version.js';
import type { StagedBlob } from './blobStore/blobStore.js';
import type { AddFileResult, IndexRecord } from './catalog/catalog.js';
import type { Storage } from './dataDir.js';
import type { ArchiveLimits } from './upload/archiveLimits.js';
import { scanDistribution } from './scan/scanDistribution.js';
import { inspectDistribution } from './upload/inspectDistribution.js';
import type { Verdict, Vetting } from './vetting.js';

/** What an uploader says about the file (twine's form fields); each claim is checked. */
export interface UploadClaims {
  name?: string | undefined;
  version?: string | undefined;
  /** `bdist_wheel` or `sdist` */
  filetype?: string | undefined;
  sha256?: string | undefined;
  blake2_256?: string | undefined;
  md5?: string | undefined;
}

export interface PublishRequest {
  index: IndexRecord;
  filename: string;
  /** The bytes, already staged in the blob store (not yet visible). */
  staged: StagedBlob;
  uploader: string | null;
  claims?: UploadClaims;
  uploadedAt?: string;
  limits?: Partial<ArchiveLimits>;
  /** Judge the file against the index's policy (scanner included); without it every valid file is accepted. */
  vetting?: Vetting;
  now?: Date;
}

/** What happened to a published file; `held` when the policy quarantined it (stored, not served). */
export type PublishResult = AddFileResult & { held: Verdict | null };

/**
 * The one path by which a distribution enters a private index (upload and
 * bulk import alike): the filename, the uploader's claims, the archive and
 * its metadata are checked; then the metadata file and the distribution are
 * made durable in the blob store, and only then the catalog row is committed.
 * Any failure discards the staged bytes and leaves the index unchanged.
 */
export async function publishDistribution(storage: Storage, request: PublishRequest): Promise<PublishResult> {
  const { index, filename, staged, claims = {} } = request;
  try {
    if (index.kind !== 'private') {
      throw new PavedError('PAVED_E_INDEX_NOT_WRITABLE', `index '${index.path}' is a mirror; it does not take uploads`, { hint: 'upload to a private index that has this mirror as a base' });
    }
    if (index.readOnly) {
      throw new PavedError('PAVED_E_INDEX_NOT_WRITABLE', `index '${index.path}' is read-only`, { hint: 'an admin can make it writable with `paved index update --writable`' });
    }
    checkSafeFilename(filename);
    const parsed = parseDistributionFilename(filename, claims.name);
    checkDigestClaims(staged, claims);

    const existing = await storage.catalog.getFile(index.id, filename);
    if (existing !== null) {
      if (existing.sha256 === staged.sha256) {
        await staged.discard();
        return { status: 'identical', file: existing, held: null };
      }
      throw fileExists(filename);
    }

    const inspection = await inspectDistribution(staged.path, filename, request.limits);
    checkIdentityClaims(claims, inspection.normalizedName, inspection.version, parsed.kind, filename);

    let held: Verdict | null = null;
    if (request.vetting !== undefined) {
      const now = request.now ?? new Date();
      const scan = await scanDistribution(staged.path, filename);
      await storage.catalog.putScan({
        sha256: staged.sha256,
        scannerVersion: scan.scannerVersion,
        findings: scan.findings,
        scannedAt: now.toISOString(),
        metadata: inspection.metadataBytes?.toString('utf8') ?? renderCoreMetadata(inspection.metadata),
      });
      const verdict = await request.vetting.judge(
        {
          index,
          project: inspection.normalizedName,
          version: inspection.version,
          filename,
          sha256: staged.sha256,
          size: staged.size,
          requiresPython: inspection.requiresPython,
          uploadTime: now.toISOString(),
          yanked: false,
          stored: null,
          upstreamUrl: null,
          upstreamMetadata: false,
        },
        now,
        { metadata: inspection.metadata, scan: scan.findings },
      );
      if (verdict.action !== 'allow') {
        await storage.catalog.appendAudit({
          actor: request.uploader ?? 'anonymous',
          action: verdict.action === 'block' ? 'upload.block' : 'upload.quarantine',
          index: index.path,
          project: inspection.normalizedName,
          version: inspection.version,
          filename,
          reason: verdict.findings.filter((f) => f.action !== 'allow').map((f) => f.message).join('; ').slice(0, 2000) || null,
          details: { sha256: staged.sha256, findings: verdict.findings },
        });
      }
      if (verdict.action === 'block') {
        const reasons = verdict.findings.filter((f) => f.action === 'block').map((f) => `${f.message}${f.file === null ? '' : ` (${f.file}${f.line === null ? '' : `:${f.line}`})`}`);
        throw new PavedError('PAVED_E_BLOCKED', `${filename} is refused by the index policy: ${reasons.join('; ')}`, { hint: 'an admin can see the findings with `paved policy explain` and approve with a reason' });
      }
      if (verdict.action === 'quarantine') held = verdict;
    }

    const metadataSha256 = inspection.metadataBytes === null ? null : (await storage.blobs.put(inspection.metadataBytes)).sha256;
    await staged.commit();
    const added = await storage.catalog.addFile({
      indexId: index.id,
      project: inspection.normalizedName,
      projectDisplayName: inspection.name,
      version: inspection.version,
      filename,
      kind: inspection.kind,
      sha256: staged.sha256,
      blake2b256: staged.blake2b256,
      size: staged.size,
      requiresPython: inspection.requiresPython,
      metadataSha256,
      uploader: request.uploader,
      ...(request.uploadedAt === undefined ? {} : { uploadedAt: request.uploadedAt }),
    });
    return { ...added, held };
  } catch (error) {
    await staged.discard();
    if (isPavedError(error, 'PAVED_E_FILE_EXISTS')) throw fileExists(filename);
    throw error;
  }
}

function fileExists(filename: string): PavedError {
  return new PavedError('PAVED_E_FILE_EXISTS', `File already exists: ${filename}`, {
    hint: 'a released file never changes; bump the version (twine --skip-existing skips files already uploaded)',
  });
}

function checkDigestClaims(staged: StagedBlob, claims: UploadClaims): void {
  const check = (label: string, claimed: string | undefined, actual: string | null) => {
    // A digest the store was told not to compute cannot be checked; sha256 always is.
    if (claimed === undefined || claimed === '' || actual === null) return;
    if (claimed.trim().toLowerCase() !== actual) {
      throw new PavedError('PAVED_E_DIGEST_MISMATCH', `the ${label} digest sent with the upload does not match the file's content`, {
        hint: 'the file was corrupted in transit or changed after the digest was computed; upload it again',
      });
    }
  };
  check('sha256', claims.sha256, staged.sha256);
  check('blake2_256', claims.blake2_256, staged.blake2b256);
}

function checkIdentityClaims(claims: UploadClaims, name: string, version: string, kind: 'wheel' | 'sdist', filename: string): void {
  if (claims.name !== undefined && claims.name !== '' && normalizeName(claims.name) !== name) {
    throw new PavedError('PAVED_E_METADATA_MISMATCH', `the upload says name '${claims.name}' but ${filename} contains '${name}'`);
  }
  if (claims.version !== undefined && claims.version !== '') {
    let claimed: string;
    try {
      claimed = normalizeVersion(claims.version);
    } catch {
      throw new PavedError('PAVED_E_METADATA_MISMATCH', `the upload's version '${claims.version}' is not a valid PEP 440 version`);
    }
    if (claimed !== version) {
      throw new PavedError('PAVED_E_METADATA_MISMATCH', `the upload says version '${claims.version}' but ${filename} contains '${version}'`);
    }
  }
  if (claims.filetype !== undefined && claims.filetype !== '') {
    const expected = kind === 'wheel' ? 'bdist_wheel' : 'sdist';
    if (claims.filetype !== expected) {
      throw new PavedError('PAVED_E_METADATA_MISMATCH', `the upload says filetype '${claims.filetype}' but ${filename} is a ${kind === 'wheel' ? 'wheel (bdist_wheel)' : 'source distribution (sdist)'}`);
    }
  }
}
