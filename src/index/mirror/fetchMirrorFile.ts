import { PavedError, isPavedError } from '../../errors.js';
import { parseCoreMetadataBytes, renderCoreMetadata } from '../../standards/coreMetadata.js';
import type { FileRecord } from '../catalog/catalog.js';
import type { Storage } from '../dataDir.js';
import type { ViewFile } from '../projectView.js';
import { scanDistribution } from '../scan/scanDistribution.js';
import { inspectDistribution } from '../upload/inspectDistribution.js';
import type { Verdict, Vetting } from '../vetting.js';
import type { MirrorPages } from './mirrorPages.js';
import { createSingleFlight } from './singleFlight.js';

export type MirrorFetchResult = { status: 'stored'; file: FileRecord } | { status: 'held'; verdict: Verdict };

export interface MirrorFetcher {
  /**
   * Brings a mirror file into paved: fetch from upstream (one fetch however
   * many ask at once), verify the upstream sha256, check the archive like an
   * upload, scan it, judge it with the full facts, and only if allowed make
   * it durable and add it to the mirror index. A held file is not kept; its
   * verdict and findings go to the queue and the audit log.
   */
  fetch(file: ViewFile): Promise<MirrorFetchResult>;
}

export function createMirrorFetcher(storage: Storage, mirrors: MirrorPages, vetting: Vetting, options: { maxBytes?: number; now?: () => Date } = {}): MirrorFetcher {
  const flight = createSingleFlight<string, MirrorFetchResult>();
  const now = options.now ?? (() => new Date());

  const fetchOnce = async (file: ViewFile): Promise<MirrorFetchResult> => {
    const existing = await storage.catalog.getFile(file.index.id, file.filename);
    if (existing !== null && existing.sha256 === file.sha256) return { status: 'stored', file: existing };
    if (file.upstreamUrl === null) throw new PavedError('PAVED_E_FILE_NOT_FOUND', `no upstream location for ${file.filename}`);
    const upstream = mirrors.upstream(file.index);
    const opened = await upstream.openFile(file.upstreamUrl, { expectedSha256: file.sha256, ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }) });
    const staged = await storage.blobs.stage(opened.stream, { blake2b: false });
    try {
      if (staged.sha256 !== file.sha256) {
        throw new PavedError('PAVED_E_UPSTREAM_DIGEST', `the upstream bytes of ${file.filename} do not match the sha256 its page lists`);
      }
      let inspection;
      try {
        inspection = await inspectDistribution(staged.path, file.filename);
      } catch (error) {
        if (!isPavedError(error)) throw error;
        const verdict: Verdict = {
          action: 'block',
          until: null,
          findings: [{ rule: 'malware', action: 'block', message: `the archive fails paved's safety checks: ${error.message}`, ref: error.code, file: null, line: null, until: null }],
          approvedBy: null,
          pending: [],
        };
        await hold(file, verdict, 'mirror.block');
        return { status: 'held', verdict };
      }
      const scan = await scanDistribution(staged.path, file.filename);
      await storage.catalog.putScan({
        sha256: file.sha256,
        scannerVersion: scan.scannerVersion,
        findings: scan.findings,
        scannedAt: now().toISOString(),
        // Kept with the scan so a held (never stored) file can still be judged on its metadata later.
        metadata: inspection.metadataBytes?.toString('utf8') ?? renderCoreMetadata(inspection.metadata),
      });
      const metadata = inspection.metadataBytes === null ? inspection.metadata : parseCoreMetadataBytes(inspection.metadataBytes);
      const verdict = await vetting.judge(file, now(), { metadata, scan: scan.findings });
      if (verdict.action !== 'allow') {
        await hold(file, verdict, verdict.action === 'block' ? 'mirror.block' : 'mirror.quarantine');
        return { status: 'held', verdict };
      }
      const metadataSha256 = inspection.metadataBytes === null ? null : (await storage.blobs.put(inspection.metadataBytes)).sha256;
      await staged.commit();
      const added = await storage.catalog.addFile({
        indexId: file.index.id,
        project: inspection.normalizedName,
        projectDisplayName: inspection.name,
        version: inspection.version,
        filename: file.filename,
        kind: inspection.kind,
        sha256: staged.sha256,
        blake2b256: null,
        size: staged.size,
        requiresPython: inspection.requiresPython,
        metadataSha256,
        uploader: null,
        ...(file.uploadTime === null ? {} : { uploadedAt: file.uploadTime }),
      });
      await storage.catalog.appendAudit({
        actor: 'mirror',
        action: 'mirror.fetch',
        index: file.index.path,
        project: file.project,
        version: file.version,
        filename: file.filename,
        reason: null,
        details: { sha256: file.sha256, size: staged.size, upstream: upstream.describe(), findings: scan.findings.length },
      });
      return { status: 'stored', file: added.file };
    } finally {
      await staged.discard();
    }
  };

  const hold = async (file: ViewFile, verdict: Verdict, action: string) => {
    const at = now().toISOString();
    await storage.catalog.putVerdicts([{ indexId: file.index.id, project: file.project, version: file.version, filename: file.filename, action: verdict.action, until: verdict.until, findings: verdict.findings, evaluatedAt: at }]);
    await storage.catalog.appendAudit({
      actor: 'policy',
      action,
      index: file.index.path,
      project: file.project,
      version: file.version,
      filename: file.filename,
      reason: verdict.findings.filter((f) => f.action !== 'allow').map((f) => f.message).join('; ').slice(0, 2000) || null,
      details: { sha256: file.sha256, findings: verdict.findings },
    });
  };

  return {
    fetch: (file) => flight(`${file.index.id}|${file.filename}`, () => fetchOnce(file)),
  };
}
