import { createAdminApiClient } from '../client/adminApiClient.js';
import * as admin from '../index/admin/adminOperations.js';
import type { IndexInfo, TokenInfo, UserInfo } from '../index/admin/adminOperations.js';
import { openDataDir } from '../index/dataDir.js';
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
  updateIndex(path: string, patch: { bases?: string[]; readOnly?: boolean; anonymousRead?: boolean }): Promise<IndexInfo>;
  deleteIndex(path: string): Promise<void>;
  createUser(input: { name: string; password?: string | null; isAdmin?: boolean }): Promise<UserInfo>;
  listUsers(): Promise<UserInfo[]>;
  updateUser(name: string, patch: { password?: string | null; isAdmin?: boolean }): Promise<UserInfo>;
  deleteUser(name: string): Promise<void>;
  createToken(input: admin.CreateTokenInput): Promise<{ token: string; info: TokenInfo }>;
  listTokens(user?: string): Promise<TokenInfo[]>;
  revokeToken(id: string): Promise<TokenInfo>;
  setYanked(input: admin.YankInput): Promise<YankedFile[]>;
  close(): Promise<void>;
}

export async function openAdminTarget(options: GlobalOptions): Promise<AdminTarget> {
  if (options.server !== undefined) return remoteTarget(options.server, options.token);
  const storage = await openDataDir(options.data);
  const c = storage.catalog;
  return {
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
    close: async () => {},
  };
}
