import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PavedError } from '../../errors.js';
import type { Scope, ScopeAction } from '../catalog/catalog.js';
import { parseIndexPath } from '../catalog/indexName.js';

/**
 * API tokens: `paved_<id>_<secret>`. The id (12 base32 characters, 60 bits)
 * is public — it names the catalog row and may be logged; the secret (32
 * random bytes, base64url) is shown once and stored only as a hash. The
 * `paved_` prefix lets secret scanners recognise leaked tokens.
 */
const PREFIX = 'paved_';
const ID_LENGTH = 12;
const SECRET_BYTES = 32;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** 43 = base64url length of 32 bytes without padding. */
const TOKEN_PATTERN = /^paved_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;
const TOKEN_LENGTH = PREFIX.length + ID_LENGTH + 1 + 43;

/** A freshly minted token: show `token` once, store `id` and `secretHash`. */
export interface GeneratedToken {
  token: string;
  id: string;
  secretHash: string;
}

/** Mints a new token with a random id and secret. */
export function generateToken(): GeneratedToken {
  const idBytes = randomBytes(ID_LENGTH);
  let id = '';
  for (const byte of idBytes) id += BASE32[byte & 31];
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { token: `${PREFIX}${id}_${secret}`, id, secretHash: hashSecret(secret) };
}

/** Splits a presented token into id and secret; null for anything not exactly in our format. */
export function parseToken(text: string): { id: string; secret: string } | null {
  if (typeof text !== 'string' || text.length !== TOKEN_LENGTH) return null;
  const match = TOKEN_PATTERN.exec(text);
  if (!match) return null;
  const secret = match[2] as string;
  // Only the canonical encoding of 32 bytes (the last character carries 4 spare bits).
  if (Buffer.from(secret, 'base64url').toString('base64url') !== secret) return null;
  return { id: match[1] as string, secret };
}

/**
 * sha256 hex of a token secret. A fast hash is right here, unlike for
 * passwords: the secret has 256 bits of entropy, so brute force against a
 * leaked hash is hopeless anyway, and every authenticated request pays it.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** True when `secret` hashes to `secretHash`; timing-safe. */
export function verifySecret(secret: string, secretHash: string): boolean {
  if (typeof secret !== 'string' || typeof secretHash !== 'string' || !/^[0-9a-f]{64}$/.test(secretHash)) return false;
  return timingSafeEqual(Buffer.from(hashSecret(secret), 'hex'), Buffer.from(secretHash, 'hex'));
}

const ACTION_RANK: Readonly<Record<ScopeAction, number>> = { read: 0, upload: 1, admin: 2 };

function isScopeAction(text: string): text is ScopeAction {
  return Object.prototype.hasOwnProperty.call(ACTION_RANK, text);
}

/** Parses `read:acme/dev`, `upload:*`, `admin:*`; throws PAVED_E_INVALID_SCOPE. */
export function parseScope(text: string): Scope {
  const invalid = (): PavedError =>
    new PavedError('PAVED_E_INVALID_SCOPE', `Invalid scope: ${JSON.stringify(String(text).slice(0, 80))}`, {
      hint: "A scope is <action>:<index>, action one of read, upload, admin, index 'owner/name' or '*' (every index), e.g. upload:acme/dev.",
    });
  if (typeof text !== 'string' || text.length > 140) throw invalid();
  const colon = text.indexOf(':');
  if (colon < 0) throw invalid();
  const action = text.slice(0, colon);
  const index = text.slice(colon + 1);
  if (!isScopeAction(action)) throw invalid();
  if (index === '*') return { action, index };
  const path = parseIndexPath(index);
  if (path === null) throw invalid();
  return { action, index: path.path };
}

/** The text form of a scope, which `parseScope` reads back. */
export function scopeToString(scope: Scope): string {
  return `${scope.action}:${scope.index}`;
}

/**
 * True when some scope grants `action` on `index`: admin implies upload,
 * upload implies read, and a `*` scope covers every index. Pass `index` `*`
 * to ask about server-wide rights: only `*` scopes grant those.
 */
export function scopeAllows(scopes: readonly Scope[], action: ScopeAction, index: string): boolean {
  const wanted = index === '*' ? '*' : index.toLowerCase();
  const needed = ACTION_RANK[action];
  if (needed === undefined) return false;
  return scopes.some((scope) => {
    const rank = ACTION_RANK[scope.action];
    return rank !== undefined && rank >= needed && (scope.index === '*' || scope.index === wanted);
  });
}
