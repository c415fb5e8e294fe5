import { PavedError } from '../../errors.js';
import { normalizeName } from '../../standards/names.js';
import { normalizeVersion } from '../../standards/version.js';
import { hashPassword } from '../auth/passwords.js';
import { generateToken, parseScope, scopeToString } from '../auth/tokens.js';
import { redactUrl } from '../../standards/urls.js';
import type { Catalog, FileRecord, IndexPatch, IndexRecord, TokenRecord, UserRecord } from '../catalog/catalog.js';

/**
 * The administrative operations, written once over a Catalog. The admin
 * HTTP API and the CLI's `--data DIR` mode both call these, so a command
 * behaves the same whether it talks to a server or to a data directory.
 */

/** What admin operations return about an index (plain data, JSON-ready). */
export type IndexInfo = Pick<IndexRecord, 'path' | 'bases' | 'kind' | 'mirrorUrl' | 'readOnly' | 'anonymousRead' | 'reservedPrefixes' | 'mergeNames' | 'mirrorTtlSeconds' | 'createdAt'>;
export type UserInfo = Pick<UserRecord, 'name' | 'isAdmin' | 'createdAt'> & { hasPassword: boolean };
export type TokenInfo = Omit<TokenRecord, 'secretHash' | 'scopes'> & { scopes: string[] };

export function splitIndexPath(path: string): { owner: string; name: string } {
  const parts = path.split('/');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new PavedError('PAVED_E_INVALID_INDEX_NAME', `'${path}' is not an index name`, { hint: 'index names have the form OWNER/NAME, e.g. acme/dev' });
  }
  return { owner: parts[0]!.toLowerCase(), name: parts[1]!.toLowerCase() };
}

export function indexInfo(index: IndexRecord): IndexInfo {
  return {
    path: index.path,
    bases: index.bases,
    kind: index.kind,
    mirrorUrl: index.mirrorUrl === null ? null : redactUrl(index.mirrorUrl),
    readOnly: index.readOnly,
    anonymousRead: index.anonymousRead,
    reservedPrefixes: index.reservedPrefixes,
    mergeNames: index.mergeNames,
    mirrorTtlSeconds: index.mirrorTtlSeconds,
    createdAt: index.createdAt,
  };
}

export function userInfo(user: UserRecord): UserInfo {
  return { name: user.name, isAdmin: user.isAdmin, createdAt: user.createdAt, hasPassword: user.passwordHash !== null };
}

export function tokenInfo(token: TokenRecord): TokenInfo {
  const { secretHash: _secret, scopes, ...rest } = token;
  return { ...rest, scopes: scopes.map(scopeToString) };
}

export interface CreateIndexInput {
  path: string;
  bases?: string[];
  readOnly?: boolean;
  anonymousRead?: boolean;
  /** Makes a mirror of this upstream simple/ URL (http(s):// or file://). */
  mirror?: string;
  reservedPrefixes?: string[];
  mergeNames?: string[];
  mirrorTtlSeconds?: number;
}

export type IndexSettingsPatch = { bases?: string[]; readOnly?: boolean; anonymousRead?: boolean; reservedPrefixes?: string[]; mergeNames?: string[]; mirrorTtlSeconds?: number; mirror?: string };

function checkMirrorUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PavedError('PAVED_E_INVALID_ARGUMENT', `'${url.slice(0, 200)}' is not a URL`, { hint: 'give the upstream simple/ URL, e.g. https://pypi.org/simple/ or file:///opt/pypi/simple/' });
  }
  if (!['http:', 'https:', 'file:'].includes(parsed.protocol)) throw new PavedError('PAVED_E_INVALID_ARGUMENT', `a mirror upstream must be http(s):// or file://, not ${parsed.protocol}`);
  return parsed.toString().endsWith('/') ? parsed.toString() : `${parsed.toString()}/`;
}

export async function createIndex(catalog: Catalog, input: CreateIndexInput): Promise<IndexInfo> {
  const { owner, name } = splitIndexPath(input.path);
  const bases = (input.bases ?? []).map((b) => {
    const s = splitIndexPath(b);
    return `${s.owner}/${s.name}`;
  });
  const mirrorUrl = input.mirror === undefined ? null : checkMirrorUrl(input.mirror);
  const record = await catalog.createIndex({
    owner,
    name,
    bases,
    kind: mirrorUrl === null ? 'private' : 'mirror',
    mirrorUrl,
    // A mirror takes no uploads.
    readOnly: mirrorUrl !== null || (input.readOnly ?? false),
    anonymousRead: input.anonymousRead ?? true,
    ...(input.reservedPrefixes === undefined ? {} : { reservedPrefixes: input.reservedPrefixes }),
    ...(input.mergeNames === undefined ? {} : { mergeNames: input.mergeNames }),
    ...(input.mirrorTtlSeconds === undefined ? {} : { mirrorTtlSeconds: input.mirrorTtlSeconds }),
  });
  return indexInfo(record);
}

export async function listIndexes(catalog: Catalog): Promise<IndexInfo[]> {
  return (await catalog.listIndexes()).map(indexInfo);
}

export async function updateIndex(catalog: Catalog, path: string, patch: IndexSettingsPatch): Promise<IndexInfo> {
  const { owner, name } = splitIndexPath(path);
  const clean: IndexPatch = {};
  if (patch.reservedPrefixes !== undefined) clean.reservedPrefixes = patch.reservedPrefixes;
  if (patch.mergeNames !== undefined) clean.mergeNames = patch.mergeNames;
  if (patch.mirrorTtlSeconds !== undefined) clean.mirrorTtlSeconds = patch.mirrorTtlSeconds;
  if (patch.mirror !== undefined) clean.mirrorUrl = checkMirrorUrl(patch.mirror);
  if (patch.bases !== undefined) clean.bases = patch.bases.map((b) => { const s = splitIndexPath(b); return `${s.owner}/${s.name}`; });
  if (patch.readOnly !== undefined) clean.readOnly = patch.readOnly;
  if (patch.anonymousRead !== undefined) clean.anonymousRead = patch.anonymousRead;
  return indexInfo(await catalog.updateIndex(`${owner}/${name}`, clean));
}

export async function deleteIndex(catalog: Catalog, path: string): Promise<void> {
  const { owner, name } = splitIndexPath(path);
  await catalog.deleteIndex(`${owner}/${name}`);
}

export async function requireIndex(catalog: Catalog, path: string): Promise<IndexRecord> {
  const { owner, name } = splitIndexPath(path);
  const index = await catalog.getIndex(`${owner}/${name}`);
  if (index === null) throw new PavedError('PAVED_E_INDEX_NOT_FOUND', `no index named '${owner}/${name}'`, { hint: 'list the indexes with `paved index list`' });
  return index;
}

export async function createUser(catalog: Catalog, input: { name: string; password?: string | null; isAdmin?: boolean }): Promise<UserInfo> {
  checkUserName(input.name);
  if ((await catalog.getUser(input.name)) !== null) throw new PavedError('PAVED_E_USER_EXISTS', `user '${input.name}' already exists`);
  const passwordHash = input.password === undefined || input.password === null ? null : await hashPassword(checkPassword(input.password));
  return userInfo(await catalog.createUser({ name: input.name, passwordHash, isAdmin: input.isAdmin ?? false }));
}

export async function updateUser(catalog: Catalog, name: string, patch: { password?: string | null; isAdmin?: boolean }): Promise<UserInfo> {
  const clean: { passwordHash?: string | null; isAdmin?: boolean } = {};
  if (patch.password !== undefined) clean.passwordHash = patch.password === null ? null : await hashPassword(checkPassword(patch.password));
  if (patch.isAdmin !== undefined) clean.isAdmin = patch.isAdmin;
  return userInfo(await catalog.updateUser(name, clean));
}

export async function listUsers(catalog: Catalog): Promise<UserInfo[]> {
  return (await catalog.listUsers()).map(userInfo);
}

export async function deleteUser(catalog: Catalog, name: string): Promise<void> {
  await catalog.deleteUser(name);
}

export interface CreateTokenInput {
  user: string;
  scopes: string[];
  description?: string;
  expiresInDays?: number | null;
  /** Create the user (token-only, no password) when missing. */
  createUser?: boolean;
}

/** Creates a token; the returned `token` string is the only time the secret exists outside the caller. */
export async function createToken(catalog: Catalog, input: CreateTokenInput, now: Date = new Date()): Promise<{ token: string; info: TokenInfo }> {
  if (input.scopes.length === 0) throw new PavedError('PAVED_E_INVALID_SCOPE', 'a token needs at least one scope', { hint: 'e.g. --scope upload:root/main, --scope read:acme/dev, --scope admin:*' });
  const scopes = input.scopes.map(parseScope);
  for (const scope of scopes) {
    if (scope.index !== '*' && (await catalog.getIndex(scope.index)) === null) {
      throw new PavedError('PAVED_E_INDEX_NOT_FOUND', `scope '${scopeToString(scope)}' names an index that does not exist`, { hint: 'create it first with `paved index create`' });
    }
  }
  checkUserName(input.user);
  if ((await catalog.getUser(input.user)) === null) {
    if (input.createUser !== true) throw new PavedError('PAVED_E_NOT_FOUND', `no user named '${input.user}'`, { hint: 'create it with `paved user create`' });
    await catalog.createUser({ name: input.user, passwordHash: null, isAdmin: false });
  }
  const expiresAt = input.expiresInDays === undefined || input.expiresInDays === null ? null : new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString();
  const generated = generateToken();
  const record = await catalog.createToken({ id: generated.id, user: input.user, secretHash: generated.secretHash, scopes, description: input.description ?? '', expiresAt });
  return { token: generated.token, info: tokenInfo(record) };
}

export async function listTokens(catalog: Catalog, user?: string): Promise<TokenInfo[]> {
  return (await catalog.listTokens(user)).map(tokenInfo);
}

export async function revokeToken(catalog: Catalog, id: string): Promise<TokenInfo> {
  return tokenInfo(await catalog.revokeToken(id));
}

export interface YankInput {
  index: string;
  project: string;
  version?: string;
  filename?: string;
  yanked: boolean;
  reason?: string | null;
}

export async function setYanked(catalog: Catalog, input: YankInput): Promise<FileRecord[]> {
  const index = await requireIndex(catalog, input.index);
  const project = normalizeName(input.project);
  if ((input.version === undefined) === (input.filename === undefined)) {
    throw new PavedError('PAVED_E_INVALID_ARGUMENT', 'name either a version or a filename to yank');
  }
  const target = input.version !== undefined ? { version: normalizeVersion(input.version) } : { filename: input.filename! };
  const reason = input.yanked ? (input.reason ?? null) : null;
  if (reason !== null && reason.length > 1000) throw new PavedError('PAVED_E_INVALID_ARGUMENT', 'the yank reason is longer than 1000 characters');
  const changed = await catalog.setYanked(index.id, project, target, input.yanked, reason);
  if (changed.length === 0) {
    const what = input.version !== undefined ? `version ${input.version}` : `file ${input.filename}`;
    throw new PavedError('PAVED_E_NOT_FOUND', `${input.project} has no ${what} in '${index.path}'`);
  }
  return changed;
}

function checkUserName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) || name === '__token__') {
    throw new PavedError('PAVED_E_INVALID_USER_NAME', `'${name.slice(0, 80)}' is not a valid user name`, { hint: 'use letters, digits, ".", "_" and "-" (at most 64)' });
  }
}

function checkPassword(password: string): string {
  if (password.length < 8 || password.length > 1024) throw new PavedError('PAVED_E_INVALID_PASSWORD', 'a password must have 8 to 1024 characters');
  return password;
}
