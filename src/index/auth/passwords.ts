import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { PavedError } from '../../errors.js';

/**
 * Password hashing with scrypt (memory-hard, in node's crypto, no native
 * add-on). Stored as `scrypt$N$r$p$saltB64$hashB64` so the cost can be raised
 * later while old hashes still verify.
 */
const COST = { N: 1 << 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Longer inputs are refused before any work is done (a login is not a place for megabytes). */
const MAX_PASSWORD_LENGTH = 1024;
/** Bounds on parameters read back from a stored hash, so a corrupt row cannot exhaust memory. */
const LIMITS = { maxLogN: 20, maxR: 32, maxP: 16 } as const;

function derive(password: string, salt: Buffer, keyLength: number, options: ScryptOptions & { N: number; r: number; p: number }): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; node's default ceiling (32 MiB) is exactly that at our cost, so leave headroom.
  const maxmem = 256 * options.N * options.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { ...options, maxmem }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes a password for storage in the catalog (`UserRecord.passwordHash`). */
export async function hashPassword(password: string): Promise<string> {
  if (typeof password !== 'string' || password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw new PavedError('PAVED_E_INVALID_PASSWORD', 'Password must be 1 to 1024 characters', {
      hint: 'Choose a non-empty password of at most 1024 characters.',
    });
  }
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, COST);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const STORED = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/]{16,88}={0,2})\$([A-Za-z0-9+/]{16,172}={0,2})$/;

/**
 * True when `password` matches `hash`. The comparison is timing-safe; a
 * malformed or out-of-bounds stored hash verifies nothing (false), never throws.
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (typeof password !== 'string' || typeof hash !== 'string') return false;
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) return false;
  const match = STORED.exec(hash);
  if (!match) return false;
  const N = Number(match[1]);
  const r = Number(match[2]);
  const p = Number(match[3]);
  const isPowerOfTwo = N >= 2 && (N & (N - 1)) === 0;
  if (!isPowerOfTwo || N > 2 ** LIMITS.maxLogN || r < 1 || r > LIMITS.maxR || p < 1 || p > LIMITS.maxP) return false;
  const salt = Buffer.from(match[4] as string, 'base64');
  const expected = Buffer.from(match[5] as string, 'base64');
  if (salt.length < 8 || expected.length < 16) return false;
  let actual: Buffer;
  try {
    actual = await derive(password, salt, expected.length, { N, r, p });
  } catch {
    return false;
  }
  return timingSafeEqual(actual, expected);
}
