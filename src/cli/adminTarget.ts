import { createAdminApiClient } from '../client/adminApiClient.js';
import * as admin from '../index/admin/adminOperations.js';
import type { IndexInfo, IndexSettingsPatch, TokenInfo, UserInfo } from '../index/admin/adminOperations.js';
import * as policyOps from '../index/admin/policyOperations.js';
import type { FileExplanation, PolicyInfo, QueueEntry } from '../index/admin/policyOperations.js';
import type { AuditEntry, AuditQuery } from '../index/catalog/catalog.js';
import { openDataDir } from '../index/dataDir.js';
import { createMirrorPages } from '../index/mirror/mirrorPages.js';
import { createVetting } from '../index/vetting.js';
import type { GlobalOptions } from './globalOptions.js';

export interface YankedFile { filename: string; version: string; yanked: boolean; yankedReason: string | null }

/**
 * Where admin commands act: a data directory (also while a server runs on
 * it) or a running server's admin API. Both give the same answers.
 */
export interface AdminTarget {
  readonly where: string;
  createIndex(input: admin.CreateIndexInput): Promise<IndexInfo>;
  listIndexes(): Promise<IndexInfo[]>;
  updateIndex(path: string, patch: IndexSettingsPatch): Promise<IndexInfo>;
  deleteIndex(path: string): Promise<void>;
  createUser(input: { name: string; password?: string | null; isAdmin?: boolean }): Promise<UserInfo>;
  listUsers(): Promise<UserInfo[]>;
  updateUser(name: string, patch: { password?: string | null; isAdmin?: boolean }): Promise<UserInfo>;
  deleteUser(name: string): Promise<void>;
  createToken(input: admin.CreateTokenInput): Promise<{ token: string; info: TokenInfo }>;
  listTokens(user?: string): Promise<TokenInfo[]>;
  revokeToken(id: string): Promise<TokenInfo>;
  setYanked(input: admin.YankInput): Promise<YankedFile[]>;
  setPolicy(index: string, input: { text: string; format?: 'toml' | 'yaml'; filename?: string }): Promise<PolicyInfo>;
  showPolicy(index: string, version?: number): Promise<PolicyInfo>;
  explain(index: string, project: string, version?: string): Promise<FileExplanation[]>;
  queue(index?: string): Promise<QueueEntry[]>;
  decide(input: { index: string; project: string; version?: string; filename?: string; action: 'allow' | 'block'; reason: string }): Promise<{ id: number; at: string }>;
  auditLog(query: AuditQuery): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

/** Who a command acts as on a data directory: the operating-system user (the file system already trusts them). */
function localActor(): string {
  const user = process.env['USER'] ?? process.env['LOGNAME'] ?? 'local';
  return `local:${user.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60)}`;
}

export async function openAdminTarget(options: GlobalOptions): Promise<AdminTarget> {
  if (options.server !== undefined) return remoteTarget(options.server, options.token);
  const storage = await openDataDir(options.data);
  const c = storage.catalog;
  const services: policyOps.PolicyServices = { storage, mirrors: createMirrorPages(storage), vetting: createVetting(storage, storage.advisories), now: () => new Date() };
  const actor = localActor();
  return {
    setPolicy: (index, input) => policyOps.setPolicy(c, index, { ...input, author: actor }),
    showPolicy: (index, version) => policyOps.showPolicy(c, index, version),
    explain: (index, project, version) => policyOps.explain(services, index, project, version),
    queue: (index) => policyOps.queue(services, index),
    decide: (input) => policyOps.decide(services, { ...input, by: actor }),
    auditLog: (query) => policyOps.auditLog(c, query),
    where: storage.description,
    createIndex: (input) => admin.createIndex(c, input),
    listIndexes: () => admin.listIndexes(c),
    updateIndex: (path, patch) => admin.updateIndex(c, path, patch),
    deleteIndex: (path) => admin.deleteIndex(c, path),
    createUser: (input) => admin.createUser(c, input),
    listUsers: () => admin.listUsers(c),
    updateUser: (name, patch) => admin.updateUser(c, name, patch),
    deleteUser: (name) => admin.deleteUser(c, name),
    createToken: (input) => admin.createToken(c, input),
    listTokens: (user) => admin.listTokens(c, user),
    revokeToken: (id) => admin.revokeToken(c, id),
    setYanked: async (input) => (await admin.setYanked(c, input)).map((f) => ({ filename: f.filename, version: f.version, yanked: f.yanked, yankedReason: f.yankedReason })),
    close: () => storage.close(),
  };
}

function remoteTarget(server: string, token: string | undefined): AdminTarget {
  const api = createAdminApiClient(server, token);
  const enc = (path: string) => path.split('/').map(encodeURIComponent).join('/');
  return {
    where: server,
    createIndex: (input) => api.post<IndexInfo>('/+api/indexes', input),
    listIndexes: async () => (await api.get<{ indexes: IndexInfo[] }>('/+api/indexes')).indexes,
    updateIndex: (path, patch) => api.patch<IndexInfo>(`/+api/indexes/${enc(path)}`, patch),
    deleteIndex: async (path) => { await api.delete(`/+api/indexes/${enc(path)}`); },
    createUser: (input) => api.post<UserInfo>('/+api/users', input),
    listUsers: async () => (await api.get<{ users: UserInfo[] }>('/+api/users')).users,
    updateUser: (name, patch) => api.patch<UserInfo>(`/+api/users/${encodeURIComponent(name)}`, patch),
    deleteUser: async (name) => { await api.delete(`/+api/users/${encodeURIComponent(name)}`); },
    createToken: async (input) => {
      const { token: secret, ...info } = await api.post<TokenInfo & { token: string }>('/+api/tokens', input);
      return { token: secret, info };
    },
    listTokens: async (user) => (await api.get<{ tokens: TokenInfo[] }>(`/+api/tokens${user === undefined ? '' : `?user=${encodeURIComponent(user)}`}`)).tokens,
    revokeToken: (id) => api.delete<TokenInfo>(`/+api/tokens/${encodeURIComponent(id)}`),
    setYanked: async (input) => (await api.post<{ files: YankedFile[] }>(`/+api/indexes/${enc(input.index)}/yank`, input)).files,
    setPolicy: (index, input) => api.put<PolicyInfo>(`/+api/indexes/${enc(index)}/policy`, input),
    showPolicy: (index, version) => api.get<PolicyInfo>(`/+api/indexes/${enc(index)}/policy${version === undefined ? '' : `?version=${version}`}`),
    explain: async (index, project, version) =>
      (await api.get<{ files: FileExplanation[] }>(`/+api/indexes/${enc(index)}/explain/${encodeURIComponent(project)}${version === undefined ? '' : `?version=${encodeURIComponent(version)}`}`)).files,
    queue: async (index) => (await api.get<{ files: QueueEntry[] }>(`/+api/queue${index === undefined ? '' : `?index=${encodeURIComponent(index)}`}`)).files,
    decide: (input) => api.post<{ id: number; at: string }>(`/+api/indexes/${enc(input.index)}/decisions`, input),
    auditLog: async (query) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
      return (await api.get<{ entries: AuditEntry[] }>(`/+api/audit-log?${params.toString()}`)).entries;
    },
    close: async () => {},
  };
}
