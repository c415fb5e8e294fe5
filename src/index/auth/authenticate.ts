import { createHash } from 'node:crypto';
import { PavedError } from '../../errors.js';
import type { Catalog, IndexRecord, Scope, ScopeAction } from '../catalog/catalog.js';
import { verifyPassword } from './passwords.js';
import { parseToken, scopeAllows, verifySecret } from './tokens.js';

/** Who is asking: a token (with its scopes) or a user with a password, never the secret itself. */
export interface Principal {
  user: string;
  /** Public id of the token used, or null for password auth. */
  tokenId: string | null;
  scopes: Scope[];
  isAdmin: boolean;
}

const MAX_AUTH_HEADER = 4096;
const TOUCH_INTERVAL_MS = 60_000;
const PASSWORD_CACHE_MS = 60_000;

/**
 * Turns an `Authorization` header into a principal. Accepts twine's
 * `__token__` basic auth, any basic-auth username with a paved token as the
 * password (what pip users put in index URLs), `Bearer <token>`, and a
 * user's password. Returns null for anonymous requests; throws
 * PAVED_E_UNAUTHORIZED for credentials that are present but wrong. Messages
 * never echo the credential.
 */
export function createAuthenticator(catalog: Catalog, options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const lastTouch = new Map<string, number>();
  // scrypt is slow by design; remember a verified password briefly so a pip
  // run of 100 requests does not pay it 100 times. Keyed by a hash, never the password.
  const passwordCache = new Map<string, { at: number; hash: string }>();

  const fromToken = async (text: string): Promise<Principal> => {
    const parsed = parseToken(text);
    if (parsed === null) throw unauthorized('the token is not a paved token');
    const record = await catalog.getToken(parsed.id);
    if (record === null || !verifySecret(parsed.secret, record.secretHash)) throw unauthorized('the token is not valid');
    if (record.revokedAt !== null) throw unauthorized(`token ${record.id} was revoked`);
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now()) throw unauthorized(`token ${record.id} has expired`);
    const user = await catalog.getUser(record.user);
    if (user === null) throw unauthorized(`the user of token ${record.id} no longer exists`);
    const t = now();
    if ((lastTouch.get(record.id) ?? 0) + TOUCH_INTERVAL_MS < t) {
      lastTouch.set(record.id, t);
      await catalog.touchToken(record.id, new Date(t).toISOString());
    }
    return { user: record.user, tokenId: record.id, scopes: record.scopes, isAdmin: false };
  };

  const fromPassword = async (name: string, password: string): Promise<Principal> => {
    const user = await catalog.getUser(name);
    if (user === null || user.passwordHash === null) throw unauthorized('wrong user name or password');
    const key = createHash('sha256').update(name).update('\0').update(password).digest('hex');
    const cached = passwordCache.get(key);
    const fresh = cached !== undefined && cached.hash === user.passwordHash && cached.at + PASSWORD_CACHE_MS > now();
    if (!fresh) {
      if (!(await verifyPassword(password, user.passwordHash))) throw unauthorized('wrong user name or password');
      if (passwordCache.size > 1000) passwordCache.clear();
      passwordCache.set(key, { at: now(), hash: user.passwordHash });
    }
    return { user: user.name, tokenId: null, scopes: [], isAdmin: user.isAdmin };
  };

  return async function authenticate(header: string | undefined): Promise<Principal | null> {
    if (header === undefined || header === '') return null;
    if (header.length > MAX_AUTH_HEADER) throw unauthorized('the Authorization header is too long');
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme === 'bearer' || scheme === 'token') return fromToken(value);
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw unauthorized('basic credentials must be user:password');
      const user = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      if (user === '__token__' || password.startsWith('paved_')) return fromToken(password);
      if (user === '' && password === '') return null;
      return fromPassword(user, password);
    }
    throw unauthorized(`unsupported authorization scheme '${scheme.slice(0, 20)}'`);
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;

/**
 * Throws unless the principal may do `action` on `index`. Anonymous reads
 * are allowed where the index says so; admin users may do anything.
 */
export function authorize(principal: Principal | null, action: ScopeAction, index: IndexRecord | string): void {
  const path = typeof index === 'string' ? index : index.path;
  if (action === 'read' && typeof index !== 'string' && index.anonymousRead) return;
  if (principal === null) {
    throw new PavedError('PAVED_E_UNAUTHORIZED', `authentication required to ${describe(action)} '${path}'`, {
      hint: 'pass a token: twine uses user __token__ with the token as password; pip takes it in the index URL',
    });
  }
  if (principal.isAdmin) return;
  if (!scopeAllows(principal.scopes, action, path)) {
    const who = principal.tokenId === null ? `user '${principal.user}'` : `token ${principal.tokenId}`;
    throw new PavedError('PAVED_E_FORBIDDEN', `${who} may not ${describe(action)} '${path}'`, {
      hint: `create a token with scope ${action}:${path}`,
    });
  }
}

/** Whether the principal may read the index (for listings that must not reveal private names). */
export function mayRead(principal: Principal | null, index: IndexRecord): boolean {
  if (index.anonymousRead) return true;
  if (principal === null) return false;
  return principal.isAdmin || scopeAllows(principal.scopes, 'read', index.path);
}

function describe(action: ScopeAction): string {
  return action === 'read' ? 'read' : action === 'upload' ? 'upload to' : 'administer';
}

function unauthorized(message: string): PavedError {
  return new PavedError('PAVED_E_UNAUTHORIZED', message, { hint: 'check the token or password; `paved token list` shows which tokens exist' });
}
