import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPavedError } from '../../../src/errors.js';
import type { Scope, ScopeAction } from '../../../src/index/catalog/catalog.js';
import { generateToken, hashSecret, parseScope, parseToken, scopeAllows, scopeToString, verifySecret } from '../../../src/index/auth/tokens.js';
import { hashPassword, verifyPassword } from '../../../src/index/auth/passwords.js';

describe('tokens', () => {
  it('generates tokens that parse back to their id and verify against their stored hash', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const { token, id, secretHash } = generateToken();
      assert.match(token, /^paved_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
      assert.match(id, /^[a-z2-7]{12}$/);
      assert.match(secretHash, /^[0-9a-f]{64}$/);
      const parsed = parseToken(token);
      assert.ok(parsed);
      assert.equal(parsed.id, id);
      assert.equal(verifySecret(parsed.secret, secretHash), true);
      assert.equal(secretHash, hashSecret(parsed.secret));
      assert.ok(!token.includes(secretHash), 'the stored hash is not the secret');
      seen.add(id);
    }
    assert.equal(seen.size, 50);
  });

  it('rejects a wrong secret, a tampered secret and a malformed stored hash', () => {
    const a = generateToken();
    const b = generateToken();
    const secretA = parseToken(a.token)!.secret;
    const secretB = parseToken(b.token)!.secret;
    assert.equal(verifySecret(secretB, a.secretHash), false);
    assert.equal(verifySecret(secretA.slice(0, -1) + (secretA.endsWith('A') ? 'E' : 'A'), a.secretHash), false);
    for (const badHash of ['', 'x', a.secretHash.toUpperCase(), a.secretHash.slice(1), `${a.secretHash}00`]) {
      assert.equal(verifySecret(secretA, badHash), false, badHash);
    }
  });

  const { token: good } = generateToken();
  const hostile: Array<[string, string]> = [
    ['empty', ''],
    ['prefix only', 'paved_'],
    ['wrong prefix', good.replace('paved_', 'pypi-_')],
    ['upper-case prefix', good.replace('paved_', 'PAVED_')],
    ['upper-case id', good.slice(0, 6) + good.slice(6, 18).toUpperCase() + good.slice(18)],
    ['id too short', 'paved_abc_' + good.slice(19)],
    ['secret too short', good.slice(0, -1)],
    ['secret too long', good + 'A'],
    ['leading space', ' ' + good],
    ['trailing newline', good + '\n'],
    ['NUL inside', good.slice(0, 30) + '\0' + good.slice(31)],
    ['base64 padding', good.slice(0, -1) + '='],
    ['standard base64 alphabet', good.slice(0, -2) + '+/'],
    ['non-canonical last char', good.slice(0, -1) + 'B'],
    ['oversized', 'paved_' + 'a'.repeat(100_000)],
    ['unicode look-alike', good.replace('a', '\u0430')],
    ['pypi token', 'pypi-AgEIcHlwaS5vcmcCJGE0'],
  ];
  for (const [label, text] of hostile) {
    it(`parseToken refuses ${label}`, () => {
      assert.equal(parseToken(text), null);
    });
  }
  it('parseToken refuses non-strings', () => {
    assert.equal(parseToken(undefined as unknown as string), null);
    assert.equal(parseToken(42 as unknown as string), null);
  });
});

describe('scopes', () => {
  const valid: Array<[string, Scope, string]> = [
    ['read:acme/dev', { action: 'read', index: 'acme/dev' }, 'read:acme/dev'],
    ['upload:*', { action: 'upload', index: '*' }, 'upload:*'],
    ['admin:*', { action: 'admin', index: '*' }, 'admin:*'],
    ['upload:Acme/Dev', { action: 'upload', index: 'acme/dev' }, 'upload:acme/dev'],
    ['read:a.b/c_d-e', { action: 'read', index: 'a.b/c_d-e' }, 'read:a.b/c_d-e'],
  ];
  for (const [text, scope, canonical] of valid) {
    it(`parses ${text}`, () => {
      assert.deepEqual(parseScope(text), scope);
      assert.equal(scopeToString(parseScope(text)), canonical);
      assert.deepEqual(parseScope(scopeToString(scope)), scope);
    });
  }

  const invalid = [
    '', 'read', 'read:', ':acme/dev', 'write:acme/dev', 'READ:acme/dev', 'read :acme/dev', 'read: acme/dev',
    'read:acme', 'read:acme/dev/x', 'read:../etc', 'read:acme/..', 'read:acme/.hidden', 'read:/acme/dev',
    'read:acme/dev ', 'read:**', 'read:acme/*', 'read:simple/dev', 'read:acme/files', 'read:+api/x',
    'read:acme/dev\n', 'read:acme/d\0v', `read:acme/${'x'.repeat(65)}`, `read:${'a'.repeat(10_000)}`,
    'admin:*:extra', 'constructor:*', '__proto__:*', 'toString:acme/dev',
  ];
  for (const text of invalid) {
    it(`refuses scope ${JSON.stringify(text.slice(0, 40))}`, () => {
      assert.throws(() => parseScope(text), (error) => isPavedError(error, 'PAVED_E_INVALID_SCOPE'));
    });
  }

  const allows: Array<[string[], ScopeAction, string, boolean]> = [
    [['read:acme/dev'], 'read', 'acme/dev', true],
    [['read:acme/dev'], 'upload', 'acme/dev', false],
    [['read:acme/dev'], 'read', 'acme/prod', false],
    [['upload:acme/dev'], 'read', 'acme/dev', true],
    [['upload:acme/dev'], 'upload', 'acme/dev', true],
    [['upload:acme/dev'], 'admin', 'acme/dev', false],
    [['admin:acme/dev'], 'upload', 'acme/dev', true],
    [['admin:acme/dev'], 'read', 'acme/dev', true],
    [['admin:acme/dev'], 'admin', '*', false],
    [['read:*'], 'read', 'anyone/anything', true],
    [['read:*'], 'upload', 'acme/dev', false],
    [['upload:*'], 'upload', 'acme/prod', true],
    [['admin:*'], 'admin', '*', true],
    [['admin:*'], 'read', 'x/y', true],
    [['read:acme/dev', 'upload:acme/prod'], 'upload', 'acme/prod', true],
    [['read:acme/dev', 'upload:acme/prod'], 'upload', 'acme/dev', false],
    [['read:acme/dev'], 'read', 'ACME/Dev', true],
    [[], 'read', 'acme/dev', false],
    [['read:acme/dev'], 'read', 'acme/dev2', false],
    [['read:acme/dev'], 'read', 'acme/de', false],
  ];
  for (const [scopes, action, index, expected] of allows) {
    it(`[${scopes.join(', ')}] ${expected ? 'allows' : 'denies'} ${action} on ${index}`, () => {
      assert.equal(scopeAllows(scopes.map(parseScope), action, index), expected);
    });
  }
});

describe('passwords', () => {
  it('hashes in the scrypt$N$r$p$salt$hash format and verifies', async () => {
    const hash = await hashPassword('correct horse battery staple');
    assert.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.equal(await verifyPassword('correct horse battery staple', hash), true);
    assert.equal(await verifyPassword('correct horse battery stapl', hash), false);
    assert.equal(await verifyPassword('Correct horse battery staple', hash), false);
    assert.equal(await verifyPassword('', hash), false);
  });

  it('salts: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hashPassword('pw'), hashPassword('pw')]);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('pw', b), true);
  });

  it('handles unicode passwords', async () => {
    const hash = await hashPassword('pässwörd 🔑');
    assert.equal(await verifyPassword('pässwörd 🔑', hash), true);
    assert.equal(await verifyPassword('passwörd 🔑', hash), false);
  });

  it('refuses empty and oversized passwords when hashing', async () => {
    for (const bad of ['', 'x'.repeat(1025)]) {
      await assert.rejects(hashPassword(bad), (error) => isPavedError(error, 'PAVED_E_INVALID_PASSWORD'));
    }
  });

  it('never verifies against malformed or hostile stored hashes', async () => {
    const good = await hashPassword('pw');
    const [, , , , salt, key] = good.split('$');
    const hostile = [
      '', 'pw', 'scrypt', good.replace('scrypt$', 'bcrypt$'),
      `scrypt$33$8$1$${salt}$${key}`, // N not a power of two
      `scrypt$${2 ** 24}$8$1$${salt}$${key}`, // N past the memory ceiling
      `scrypt$32768$0$1$${salt}$${key}`,
      `scrypt$32768$8$999$${salt}$${key}`,
      `scrypt$32768$8$1$$${key}`,
      `scrypt$32768$8$1$${salt}$`,
      `scrypt$32768$8$1$${salt}$${key}$extra`,
      `${good}\n`,
      `scrypt$32768$8$1$${salt}$${key!.slice(0, 20)}`, // truncated hash never matches
    ];
    for (const hash of hostile) {
      assert.equal(await verifyPassword('pw', hash), false, hash);
    }
    assert.equal(await verifyPassword('x'.repeat(100_000), good), false);
    assert.equal(await verifyPassword('pw', null as unknown as string), false);
  });

  it('verifies hashes made with other (bounded) costs', async () => {
    // A cheaper hash, as an older paved or an import might have written.
    const { scryptSync, randomBytes } = await import('node:crypto');
    const salt = randomBytes(16);
    const key = scryptSync('pw', salt, 32, { N: 1024, r: 8, p: 1 });
    const hash = `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    assert.equal(await verifyPassword('pw', hash), true);
    assert.equal(await verifyPassword('pX', hash), false);
  });
});
