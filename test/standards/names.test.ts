import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPavedError } from '../../src/errors.js';
import { isNormalizedName, isValidName, normalizeExtra, normalizeName, parseProjectName, wheelNameComponent } from '../../src/standards/names.js';

describe('normalizeName (PEP 503)', () => {
  const cases: [string, string][] = [
    ['requests', 'requests'],
    ['Django', 'django'],
    ['zope.interface', 'zope-interface'],
    ['typing_extensions', 'typing-extensions'],
    ['Foo__Bar', 'foo-bar'],
    ['foo-_.bar', 'foo-bar'],
    ['A.B-C_D', 'a-b-c-d'],
    ['friendly-bard', 'friendly-bard'],
    ['FRIENDLY-BARD', 'friendly-bard'],
    ['friendly.bard', 'friendly-bard'],
    ['friendly_bard', 'friendly-bard'],
    ['friendly--bard', 'friendly-bard'],
    ['FrIeNdLy-._.-bArD', 'friendly-bard'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => assert.equal(normalizeName(input), expected));
  }
});

describe('isValidName', () => {
  const valid = ['a', 'A', '1', 'requests', 'zope.interface', 'foo-bar_baz.qux', 'a1', '1a', 'X' + 'y'.repeat(500)];
  const invalid = ['', '-a', 'a-', '.a', 'a.', '_a', 'a_', 'foo bar', 'foo/bar', 'foo+bar', 'café', 'a\u0000b', 'a\nb', '../etc', 'foo[bar]'];
  for (const name of valid) it(`accepts ${JSON.stringify(name.slice(0, 20))}`, () => assert.equal(isValidName(name), true));
  for (const name of invalid) it(`rejects ${JSON.stringify(name)}`, () => assert.equal(isValidName(name), false));

  it('is fast on a hostile 100 000-character name', () => {
    const started = performance.now();
    assert.equal(isValidName('a' + '-'.repeat(100_000) + '!'), false);
    assert.ok(performance.now() - started < 200);
  });
});

describe('isNormalizedName', () => {
  it('says whether a name is already in normalised form', () => {
    assert.equal(isNormalizedName('foo-bar'), true);
    assert.equal(isNormalizedName('foo_bar'), false);
    assert.equal(isNormalizedName('Foo'), false);
    assert.equal(isNormalizedName('-foo'), false);
  });
});

describe('parseProjectName', () => {
  it('returns the normalised name of a valid name', () => {
    assert.equal(parseProjectName('Zope.Interface'), 'zope-interface');
    assert.equal(parseProjectName('a'.repeat(200)), 'a'.repeat(200));
  });

  const rejected: [string, RegExp][] = [
    ['', /invalid project name ""/],
    ['-leading', /invalid project name/],
    ['has space', /invalid project name/],
    ['../../etc/passwd', /invalid project name/],
    ['a'.repeat(201), /201 characters long, more than the 200 allowed/],
    ['x'.repeat(10_000), /10000 characters/],
  ];
  for (const [name, message] of rejected) {
    it(`rejects ${JSON.stringify(name.slice(0, 20))} with PAVED_E_INVALID_NAME`, () => {
      assert.throws(
        () => parseProjectName(name),
        (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_NAME') && message.test(error.message) && error.hint !== undefined,
      );
    });
  }

  it('keeps error messages short for huge names', () => {
    try {
      parseProjectName('!'.repeat(10_000));
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(isPavedError(error, 'PAVED_E_INVALID_NAME'));
      assert.ok(error.message.length < 200);
    }
  });
});

describe('normalizeExtra (PEP 685)', () => {
  it('normalises extras like project names', () => {
    assert.equal(normalizeExtra('Foo_Bar'), 'foo-bar');
    assert.equal(normalizeExtra('foo.bar'), 'foo-bar');
    assert.equal(normalizeExtra('SOCKS'), 'socks');
  });
});

describe('wheelNameComponent', () => {
  const cases: [string, string][] = [
    ['requests', 'requests'],
    ['Zope.Interface', 'zope_interface'],
    ['typing-extensions', 'typing_extensions'],
    ['foo-_.bar', 'foo_bar'],
    ['Foo__Bar', 'foo_bar'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => assert.equal(wheelNameComponent(input), expected));
  }
});
