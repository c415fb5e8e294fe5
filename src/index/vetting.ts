import { readFileSync } from 'node:fs';
import { PavedError } from '../errors.js';
import { parseCoreMetadata, parseCoreMetadataBytes, type CoreMetadata } from '../standards/coreMetadata.js';
import { advisoryAffects, type Advisory } from '../standards/osv.js';
import type { AdvisoryDatabase } from './advisories/advisoryDatabase.js';
import type { IndexRecord } from './catalog/catalog.js';
import type { Storage } from './dataDir.js';
import { evaluateFile, summarizeProjectStatus, type Approval, type FileFacts, type Verdict } from './policy/evaluateFile.js';
import { parsePolicy } from './policy/parsePolicy.js';
import { DEFAULT_POLICY, type Policy } from './policy/policy.js';
import { createTyposquatDetector, loadPopularPackages, type TyposquatDetector } from './policy/typosquatting.js';
import type { ProjectView, ViewFile } from './projectView.js';
import type { Finding } from './scan/findings.js';
import { SCANNER_VERSION } from './scan/scanDistribution.js';

export type { Verdict };

/** A file's verdict with the facts it was judged on. */
export interface JudgedFile {
  file: ViewFile;
  verdict: Verdict;
}

/**
 * Judges files against the policy of the index they belong to: gathers the
 * facts (advisories, scan findings, approvals, metadata when a rule needs
 * it), runs the pure engine, and remembers held verdicts for the queue.
 */
export interface Vetting {
  /** Changes when verdict inputs outside the catalog change (advisory data); part of page cache keys. */
  inputsVersion(): number;
  /** The policy in force for an index (its newest policy file, or the default). */
  policyOf(index: IndexRecord): Promise<{ policy: Policy; version: number | null }>;
  /** Verdicts for every file of a project view, in order. */
  judgeView(view: ProjectView, now: Date): Promise<JudgedFile[]>;
  /** The verdict for one file; `extra` supplies facts known only after a fetch. */
  judge(file: ViewFile, now: Date, extra?: { metadata?: CoreMetadata | null; scan?: readonly Finding[] | null }): Promise<Verdict>;
  /** PEP 792 status of a project whose files are all held. */
  projectStatus(judged: JudgedFile[]): { status: 'quarantined'; reason: string } | null;
}

const POPULAR_CSV = new URL('../../../data/top-pypi-packages.csv', import.meta.url);
const POPULAR_CSV_SRC = new URL('../../data/top-pypi-packages.csv', import.meta.url);

/** The popular-packages list paved ships (`data/top-pypi-packages.csv`). */
export function loadShippedPopularPackages(): string[] {
  for (const url of [POPULAR_CSV, POPULAR_CSV_SRC]) {
    try {
      return loadPopularPackages(readFileSync(url, 'utf8'));
    } catch {
      /* try the next layout (tsc's dist/src/, or source and the bundle in dist/bundle/) */
    }
  }
  throw new PavedError('PAVED_E_CONFIG', 'the popular-packages list data/top-pypi-packages.csv is missing from this installation');
}

function parseQuietly(text: string | null): CoreMetadata | null {
  if (text === null) return null;
  try {
    return parseCoreMetadata(text);
  } catch {
    return null;
  }
}

export function createVetting(storage: Storage, advisories: AdvisoryDatabase | null, options: { popular?: readonly string[] } = {}): Vetting {
  const catalog = storage.catalog;
  const popular = options.popular ?? loadShippedPopularPackages();
  const detectors = new Map<string, TyposquatDetector>();
  const policies = new Map<number, { version: number; policy: Policy }>();
  const metadataCache = new Map<string, CoreMetadata | null>();
  let advisoryVersion = { value: 0, at: -1 };

  const detectorFor = (policy: Policy): TyposquatDetector | null => {
    if (!policy.typosquatting.enabled) return null;
    const key = `${policy.typosquatting.popularCount}|${policy.typosquatting.maxDistance}|${policy.typosquatting.exempt.join(',')}`;
    let detector = detectors.get(key);
    if (detector === undefined) {
      detector = createTyposquatDetector(popular, {
        protectCount: policy.typosquatting.popularCount,
        maxDistance: policy.typosquatting.maxDistance,
        exempt: policy.typosquatting.exempt,
      });
      if (detectors.size > 20) detectors.clear();
      detectors.set(key, detector);
    }
    return detector;
  };

  const policyOf = async (index: IndexRecord) => {
    const record = await catalog.getPolicy(index.id);
    if (record === null) return { policy: DEFAULT_POLICY, version: null };
    const cached = policies.get(index.id);
    if (cached !== undefined && cached.version === record.version) return { policy: cached.policy, version: record.version };
    const policy = parsePolicy(record.text, record.format);
    policies.set(index.id, { version: record.version, policy });
    return { policy, version: record.version };
  };

  const needsMetadata = (policy: Policy) => policy.licenses.enabled;

  const metadataOf = async (file: ViewFile): Promise<CoreMetadata | null> => {
    const sha = file.stored?.metadataSha256 ?? null;
    if (sha === null) return null;
    if (metadataCache.has(sha)) return metadataCache.get(sha) ?? null;
    const chunks: Buffer[] = [];
    for await (const chunk of storage.blobs.read(sha)) chunks.push(chunk as Buffer);
    let parsed: CoreMetadata | null = null;
    try {
      parsed = parseCoreMetadataBytes(Buffer.concat(chunks));
    } catch {
      parsed = null;
    }
    if (metadataCache.size > 5000) metadataCache.clear();
    metadataCache.set(sha, parsed);
    return parsed;
  };

  const approvalsOf = async (index: IndexRecord, project: string): Promise<Approval[]> =>
    (await catalog.listApprovals(index.id, project)).map((a) => ({ project: a.project, version: a.version, filename: a.filename, action: a.action, by: a.by, reason: a.reason, at: a.at }));

  const advisoriesOf = (project: string): Advisory[] => (advisories === null ? [] : advisories.forProject(project));

  const judgeWith = async (
    file: ViewFile,
    now: Date,
    approvals: Approval[],
    policy: Policy,
    projectAdvisories: readonly Advisory[],
    extra: { metadata?: CoreMetadata | null; scan?: readonly Finding[] | null },
  ): Promise<Verdict> => {
    const affecting = projectAdvisories.filter((a) => advisoryAffects(a, file.project, file.version));
    let scan: readonly Finding[] | null = extra.scan ?? null;
    let scannedMetadata: string | null = null;
    // Scans are kept by content, also for mirror files that were held and so never stored.
    if (scan === null || (extra.metadata === undefined && needsMetadata(policy))) {
      const record = await catalog.getScan(file.sha256, SCANNER_VERSION);
      if (scan === null) scan = record === null ? null : (record.findings as Finding[]);
      scannedMetadata = record?.metadata ?? null;
    }
    let metadata: CoreMetadata | null = null;
    if (extra.metadata !== undefined) metadata = extra.metadata;
    else if (needsMetadata(policy)) metadata = (await metadataOf(file)) ?? parseQuietly(scannedMetadata);
    const facts: FileFacts = {
      project: file.project,
      version: file.version,
      filename: file.filename,
      source: file.index.kind === 'mirror' ? 'upstream' : 'upload',
      uploadTime: file.uploadTime,
      metadata,
      advisories: affecting,
      scan,
    };
    return evaluateFile(policy, facts, { now, approvals, typosquat: detectorFor(policy) });
  };

  return {
    inputsVersion() {
      if (advisories === null) return 0;
      const t = Date.now();
      if (t - advisoryVersion.at > 1000) advisoryVersion = { value: advisories.version(), at: t };
      return advisoryVersion.value;
    },
    policyOf,
    async judge(file, now, extra = {}) {
      const { policy } = await policyOf(file.index);
      return judgeWith(file, now, await approvalsOf(file.index, file.project), policy, advisoriesOf(file.project), extra);
    },
    async judgeView(view, now) {
      const byIndex = new Map<number, { policy: Policy; approvals: Approval[] }>();
      const judged: JudgedFile[] = [];
      // One view is one project: look its advisories up once, not once per file.
      const projectAdvisories = view.files.length === 0 ? [] : advisoriesOf(view.files[0]!.project);
      for (const file of view.files) {
        let context = byIndex.get(file.index.id);
        if (context === undefined) {
          context = { policy: (await policyOf(file.index)).policy, approvals: await approvalsOf(file.index, file.project) };
          byIndex.set(file.index.id, context);
        }
        judged.push({ file, verdict: await judgeWith(file, now, context.approvals, context.policy, projectAdvisories, {}) });
      }
      const held = judged.filter((j) => j.verdict.action !== 'allow');
      if (held.length > 0) {
        await catalog.putVerdicts(
          held.map((j) => ({
            indexId: j.file.index.id,
            project: j.file.project,
            version: j.file.version,
            filename: j.file.filename,
            action: j.verdict.action,
            until: j.verdict.until,
            findings: j.verdict.findings,
            evaluatedAt: now.toISOString(),
          })),
        );
      }
      return judged;
    },
    projectStatus(judged) {
      return summarizeProjectStatus(judged.map((j) => j.verdict));
    },
  };
}
