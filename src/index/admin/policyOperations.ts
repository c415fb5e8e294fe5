import { PavedError } from '../../errors.js';
import { normalizeName } from '../../standards/names.js';
import { normalizeVersion } from '../../standards/version.js';
import type { AuditEntry, AuditQuery, Catalog } from '../catalog/catalog.js';
import type { Storage } from '../dataDir.js';
import { resolveIndexChain } from '../indexChain.js';
import type { MirrorPages } from '../mirror/mirrorPages.js';
import { detectPolicyFormat, parsePolicy, renderPolicy, type PolicyFormat } from '../policy/parsePolicy.js';
import type { PolicyFinding } from '../policy/evaluateFile.js';
import { DEFAULT_POLICY } from '../policy/policy.js';
import { buildProjectView } from '../projectView.js';
import type { Vetting } from '../vetting.js';
import { requireIndex } from './adminOperations.js';

/**
 * Policy administration, written once for the admin API and the CLI's
 * `--data` mode: versioned policy files, explanations, the quarantine queue,
 * approvals and blocks, the audit log. Every change is audited with who and why.
 */
export interface PolicyServices {
  storage: Storage;
  mirrors: MirrorPages;
  vetting: Vetting;
  now(): Date;
}

export interface PolicyInfo {
  index: string;
  /** null: no policy file was set; the default policy applies. */
  version: number | null;
  format: PolicyFormat;
  text: string;
  author: string | null;
  createdAt: string | null;
}

export interface FileExplanation {
  index: string;
  filename: string;
  version: string;
  action: 'allow' | 'quarantine' | 'block';
  until: string | null;
  approvedBy: string | null;
  pending: string[];
  findings: PolicyFinding[];
  stored: boolean;
}

export interface QueueEntry extends FileExplanation {
  project: string;
}

export async function setPolicy(catalog: Catalog, indexPath: string, input: { text: string; format?: PolicyFormat; filename?: string; author: string }): Promise<PolicyInfo> {
  const index = await requireIndex(catalog, indexPath);
  const format = input.format ?? detectPolicyFormat(input.filename ?? '', input.text);
  parsePolicy(input.text, format);
  const record = await catalog.setPolicy(index.id, { format, text: input.text, author: input.author });
  await catalog.appendAudit({ actor: input.author, action: 'policy.set', index: index.path, project: null, version: null, filename: null, reason: null, details: { policyVersion: record.version, format } });
  return { index: index.path, version: record.version, format, text: record.text, author: record.author, createdAt: record.createdAt };
}

export async function showPolicy(catalog: Catalog, indexPath: string, version?: number): Promise<PolicyInfo> {
  const index = await requireIndex(catalog, indexPath);
  const record = await catalog.getPolicy(index.id, version);
  if (record === null) {
    if (version !== undefined) throw new PavedError('PAVED_E_NOT_FOUND', `index '${index.path}' has no policy version ${version}`);
    return { index: index.path, version: null, format: 'toml', text: renderPolicy(DEFAULT_POLICY, 'toml'), author: null, createdAt: null };
  }
  return { index: index.path, version: record.version, format: record.format, text: record.text, author: record.author, createdAt: record.createdAt };
}

/** Every file of a project as the index offers it, with its verdict and the findings behind it. */
export async function explain(services: PolicyServices, indexPath: string, project: string, version?: string): Promise<FileExplanation[]> {
  const index = await requireIndex(services.storage.catalog, indexPath);
  const chain = await resolveIndexChain(services.storage.catalog, index.path);
  const name = normalizeName(project);
  const view = await buildProjectView(services.storage.catalog, services.mirrors, chain, name);
  if (view === null) throw new PavedError('PAVED_E_PROJECT_NOT_FOUND', `no project named '${name}' in '${index.path}'`);
  const wanted = version === undefined ? null : normalizeVersion(version);
  const judged = await services.vetting.judgeView(view, services.now());
  return judged
    .filter((j) => wanted === null || j.file.version === wanted)
    .map((j) => ({
      index: j.file.index.path,
      filename: j.file.filename,
      version: j.file.version,
      action: j.verdict.action,
      until: j.verdict.until,
      approvedBy: j.verdict.approvedBy,
      pending: j.verdict.pending,
      findings: j.verdict.findings,
      stored: j.file.stored !== null,
    }));
}

/** Files held now (re-judged, so approvals and ended holds drop out), newest first. */
export async function queue(services: PolicyServices, indexPath?: string): Promise<QueueEntry[]> {
  const catalog = services.storage.catalog;
  const index = indexPath === undefined ? null : await requireIndex(catalog, indexPath);
  const rows = await catalog.listVerdicts(index === null ? {} : { indexId: index.id });
  const indexes = new Map((await catalog.listIndexes()).map((i) => [i.id, i]));
  const seen = new Set<string>();
  const entries: QueueEntry[] = [];
  for (const row of rows) {
    const owner = indexes.get(row.indexId);
    const key = `${row.indexId}|${row.project}`;
    if (owner === undefined || seen.has(key)) continue;
    seen.add(key);
    for (const file of await explain(services, owner.path, row.project)) {
      if (file.action !== 'allow' && file.index === owner.path) entries.push({ ...file, project: row.project });
    }
  }
  return entries;
}

/**
 * Records an admin's allow or block. A decision binds the index that owns
 * the files (the policy of the index a file belongs to judges it), so a
 * decision on an index that only inherits the project is refused with the
 * index to use instead, rather than accepted and silently without effect.
 */
export async function decide(
  services: PolicyServices,
  input: { index: string; project: string; version?: string; filename?: string; action: 'allow' | 'block'; reason: string; by: string },
): Promise<{ id: number; at: string }> {
  const catalog = services.storage.catalog;
  const index = await requireIndex(catalog, input.index);
  if (input.reason.trim() === '') throw new PavedError('PAVED_E_INVALID_ARGUMENT', 'a reason is required', { hint: 'say why with --reason; it goes to the audit log' });
  const project = normalizeName(input.project);
  const chain = await resolveIndexChain(catalog, index.path);
  const view = await buildProjectView(catalog, services.mirrors, chain, project).catch(() => null);
  if (view !== null && view.files.length > 0 && !view.files.some((f) => f.index.id === index.id)) {
    const owners = [...new Set(view.files.map((f) => f.index.path))];
    throw new PavedError('PAVED_E_INVALID_ARGUMENT', `'${index.path}' holds no files of ${project}; they come from ${owners.join(', ')}`, {
      hint: `decide on the index that owns them, e.g. \`paved policy ${input.action === 'allow' ? 'approve' : 'block'} ${owners[0]} ${project} …\``,
    });
  }
  const version = input.version === undefined ? null : normalizeVersion(input.version);
  const filename = input.filename ?? null;
  const approval = await catalog.addApproval({ indexId: index.id, project, version, filename, action: input.action, by: input.by, reason: input.reason });
  await catalog.appendAudit({ actor: input.by, action: input.action === 'allow' ? 'policy.approve' : 'policy.block', index: index.path, project, version, filename, reason: input.reason, details: { approval: approval.id } });
  return { id: approval.id, at: approval.at };
}

export async function auditLog(catalog: Catalog, query: AuditQuery): Promise<AuditEntry[]> {
  return catalog.queryAudit(query);
}
