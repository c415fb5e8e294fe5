import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clean as oracleClean, compare as oracleCompare, valid as oracleValid } from '@renovatebot/pep440';
import { isPavedError } from '../../src/errors.js';
import { compareVersions, normalizeVersion, parseVersion, tryParseVersion, Version } from '../../src/standards/version.js';
import { neighbours, pick, randomVersion, seededRandom } from './pep440Samples.js';

describe('normalizeVersion: every spelling PEP 440 normalisation accepts', () => {
  const table: [string, string][] = [
    // Case sensitivity
    ['1.1RC1', '1.1rc1'],
    ['1.0A1', '1.0a1'],
    ['1.0.POST1', '1.0.post1'],
    ['1.0.DEV1', '1.0.dev1'],
    ['1.0+UBUNTU', '1.0+ubuntu'],
    // Integer normalisation
    ['00', '0'],
    ['09000', '9000'],
    ['1.0+foo0100', '1.0+foo0100'],
    ['01.02.003', '1.2.3'],
    ['1.0+01', '1.0+1'],
    // Pre-release separators and spellings
    ['1.1.a1', '1.1a1'],
    ['1.1-a1', '1.1a1'],
    ['1.1_a1', '1.1a1'],
    ['1.0a.1', '1.0a1'],
    ['1.0a-1', '1.0a1'],
    ['1.0-a-1', '1.0a1'],
    ['1.1alpha1', '1.1a1'],
    ['1.1beta2', '1.1b2'],
    ['1.1c3', '1.1rc3'],
    ['1.1pre4', '1.1rc4'],
    ['1.1preview5', '1.1rc5'],
    ['1.2a', '1.2a0'],
    ['1.2rc', '1.2rc0'],
    // Post-release separators, spellings, implicit forms
    ['1.2-post2', '1.2.post2'],
    ['1.2post2', '1.2.post2'],
    ['1.2.post-2', '1.2.post2'],
    ['1.2_post_2', '1.2.post2'],
    ['1.0-r4', '1.0.post4'],
    ['1.0-rev4', '1.0.post4'],
    ['1.0r4', '1.0.post4'],
    ['1.2.post', '1.2.post0'],
    ['1.0-1', '1.0.post1'],
    ['1.0-0', '1.0.post0'],
    ['1.0.post0', '1.0.post0'],
    // Dev releases
    ['1.2-dev2', '1.2.dev2'],
    ['1.2dev2', '1.2.dev2'],
    ['1.2_dev_2', '1.2.dev2'],
    ['1.2.dev', '1.2.dev0'],
    // Local versions
    ['1.0+ubuntu-1', '1.0+ubuntu.1'],
    ['1.0+ubuntu_1', '1.0+ubuntu.1'],
    ['1.0+Ubuntu.1.ABC', '1.0+ubuntu.1.abc'],
    // Leading v, whitespace, epochs
    ['v1.0', '1.0'],
    ['V1.0', '1.0'],
    ['  1.0\n', '1.0'],
    ['\t v2.0rc1 ', '2.0rc1'],
    ['1!1.0', '1!1.0'],
    ['0!1.0', '1.0'],
    ['2013.10', '2013.10'],
    // Trailing zeros stay in the spelling (they only vanish when comparing)
    ['1.0.0', '1.0.0'],
    // Everything at once
    ['v1!2.0-ALPHA.3_post.4-DEV.5+Local-7', '1!2.0a3.post4.dev5+local.7'],
    ['1.0a1.post2.dev3', '1.0a1.post2.dev3'],
    ['1.0.post1.dev2+x', '1.0.post1.dev2+x'],
  ];
  for (const [input, expected] of table) {
    it(`${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(normalizeVersion(input), expected);
      assert.equal(parseVersion(expected).toString(), expected, 'normal form is a fixed point');
    });
  }
});

describe('parseVersion rejects what is not a PEP 440 version', () => {
  const bad = [
    '',
    '   ',
    'foo',
    'v',
    'vv1.0',
    '1.0.',
    '.1.0',
    '1..0',
    '1.0-',
    '1.0+',
    '1.0+a..b',
    '1.0+_a',
    '1.0+abc+def',
    '1.0 .post1',
    '1.0 1.0',
    '1.0a1a2',
    '1.0rc1rc2',
    '1!',
    '!1.0',
    '1!2!3.0',
    '1.0.dev1.post1',
    '1.0.post1.post2',
    '-1.0',
    '1e5',
    '1.0+é',
    '１.０',
    '1.0\u0000',
    '1.*',
    '==1.0',
    '1.0-dev-post',
    '1.2.3-beta.fish',
    `1.${'9'.repeat(30)}`,
    `1.0+${'9'.repeat(30)}`,
    '1'.repeat(1001),
  ];
  for (const input of bad) {
    it(`rejects ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`, () => {
      assert.throws(
        () => parseVersion(input),
        (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_VERSION') && error.message.length < 300 && error.hint !== undefined,
      );
      assert.equal(tryParseVersion(input), null);
    });
  }

  it('answers quickly on long hostile input just under the limit', () => {
    const started = process.hrtime.bigint();
    for (const input of ['1.'.repeat(499), `1.0${'-a'.repeat(450)}`, `1.0+${'a.'.repeat(495)}`, `${'1'.repeat(999)}x`]) {
      tryParseVersion(input);
    }
    assert.ok(process.hrtime.bigint() - started < 2_000_000_000n);
  });

  it('accepts the largest safe numbers and very long but legal versions', () => {
    assert.equal(parseVersion('9007199254740991').release[0], 9007199254740991);
    const long = Array.from({ length: 400 }, () => '1').join('.');
    assert.equal(parseVersion(long).release.length, 400);
  });
});

describe('Version fields and getters', () => {
  it('exposes the parts', () => {
    const v = parseVersion('1!2.3.4rc5.post6.dev7+Ubuntu-8.x');
    assert.equal(v.epoch, 1);
    assert.deepEqual(v.release, [2, 3, 4]);
    assert.deepEqual(v.pre, ['rc', 5]);
    assert.equal(v.post, 6);
    assert.equal(v.dev, 7);
    assert.deepEqual(v.local, ['ubuntu', 8, 'x']);
    assert.equal(v.public, '1!2.3.4rc5.post6.dev7');
    assert.equal(v.baseVersion, '1!2.3.4');
    assert.deepEqual([v.major, v.minor, v.micro], [2, 3, 4]);
    assert.ok(Object.isFrozen(v.release));
  });

  const flags: [string, boolean, boolean, boolean][] = [
    // version, isPrerelease, isPostrelease, isDevrelease
    ['1.0', false, false, false],
    ['1.0a1', true, false, false],
    ['1.0.dev1', true, false, true],
    ['1.0.post1', false, true, false],
    ['1.0.post1.dev1', true, true, true],
    ['1.0rc1.post1', true, true, false],
    ['1.0+local', false, false, false],
  ];
  for (const [text, pre, post, dev] of flags) {
    it(`${text}: pre=${pre} post=${post} dev=${dev}`, () => {
      const v = parseVersion(text);
      assert.equal(v.isPrerelease, pre);
      assert.equal(v.isPostrelease, post);
      assert.equal(v.isDevrelease, dev);
    });
  }

  it('pads major/minor/micro with zeros', () => {
    const v = parseVersion('7');
    assert.deepEqual([v.major, v.minor, v.micro], [7, 0, 0]);
    assert.equal(v.public, '7');
    assert.equal(v.local, null);
  });

  it('fromParts checks its input', () => {
    assert.equal(Version.fromParts({ release: [1, 0], pre: ['b', 2], local: ['x', 3] }).toString(), '1.0b2+x.3');
    for (const parts of [{ release: [] }, { release: [-1] }, { release: [1.5] }, { release: [1], dev: Number.NaN }, { release: [1], local: [] }, { release: [1], local: ['UP'] }]) {
      assert.throws(() => Version.fromParts(parts), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_VERSION'));
    }
  });

  it('serialises to JSON as its normal form', () => {
    assert.equal(JSON.stringify({ v: parseVersion('V1.0-1') }), '{"v":"1.0.post1"}');
  });
});

function withoutTrailingZeros(v: Version): string {
  const release = [...v.release];
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  return Version.fromParts({ ...v, release }).toString();
}

describe('ordering', () => {
  // The example list from PEP 440 "Summary of permitted suffixes and relative ordering", in order.
  const pepOrder = [
    '1.dev0',
    '1.0.dev456',
    '1.0a1',
    '1.0a2.dev456',
    '1.0a12.dev456',
    '1.0a12',
    '1.0b1.dev456',
    '1.0b2',
    '1.0b2.post345.dev456',
    '1.0b2.post345',
    '1.0rc1.dev456',
    '1.0rc1',
    '1.0',
    '1.0+abc.5',
    '1.0+abc.7',
    '1.0+5',
    '1.0.post456.dev34',
    '1.0.post456',
    '1.0.15',
    '1.1.dev1',
  ];

  it('sorts the PEP 440 example list from any shuffle', () => {
    const random = seededRandom(440);
    for (let round = 0; round < 50; round++) {
      const shuffled = [...pepOrder].sort(() => random() - 0.5);
      assert.deepEqual(shuffled.sort(compareVersions), pepOrder);
    }
  });

  it('every adjacent pair of the PEP list is strictly increasing', () => {
    for (let i = 1; i < pepOrder.length; i++) {
      assert.ok(compareVersions(pepOrder[i - 1] as string, pepOrder[i] as string) < 0, `${pepOrder[i - 1]} < ${pepOrder[i]}`);
    }
  });

  const pairs: [string, '<' | '=' | '>', string][] = [
    ['1.0', '=', '1.0.0'],
    ['1.0', '=', '1.0.0.0.0'],
    ['1', '=', 'v1.0'],
    ['1.0.post0', '=', '1.0-0'],
    ['1.0.post0', '>', '1.0'],
    ['1.0+01', '=', '1.0+1'],
    ['1.0+ABC', '=', '1.0+abc'],
    ['1.0+abc.5', '<', '1.0+abc.10'],
    ['1.0+abc.10', '<', '1.0+5'],
    ['1.0+abc', '<', '1.0+abc.0'],
    ['1.0+abd', '>', '1.0+abc.99'],
    ['1.0', '<', '1.0+anything'],
    ['1.0+zzz', '<', '1.0.post0.dev0'],
    ['1.0.0.1', '>', '1.0.post999'],
    ['2013.10', '<', '1!1.0'],
    ['1!1.0', '<', '2!0.1'],
    ['0!1.0', '=', '1.0'],
    ['1.0.dev1', '<', '1.0a0'],
    ['1.0a0.dev0', '<', '1.0a0'],
    ['1.0a1', '<', '1.0b0'],
    ['1.0b9', '<', '1.0rc0'],
    ['1.0c1', '=', '1.0rc1'],
    ['1.0rc1.post1', '<', '1.0'],
    ['1.0rc1', '<', '1.0rc1.post0.dev0'],
    ['1.0.post1.dev1', '<', '1.0.post1'],
    ['1.0.post1', '<', '1.0.post1+x'],
    ['1.0.post1.dev1+x', '<', '1.0.post1'],
    ['1.0.dev1+x', '<', '1.0.dev2'],
    ['0.dev0', '<', '0'],
    ['1.9', '<', '1.10'],
    ['1.0a10', '>', '1.0a9'],
  ];
  for (const [a, op, b] of pairs) {
    it(`${a} ${op} ${b}`, () => {
      const expected = op === '<' ? -1 : op === '=' ? 0 : 1;
      assert.equal(Math.sign(compareVersions(a, b)), expected);
      assert.equal(Math.sign(compareVersions(b, a)), 0 - expected || 0);
      assert.equal(parseVersion(a).equals(parseVersion(b)), expected === 0);
    });
  }

  it('comparePublic ignores local labels', () => {
    assert.equal(parseVersion('1.0+abc').comparePublic(parseVersion('1.0+xyz')), 0);
    assert.ok(parseVersion('1.0+abc').compare(parseVersion('1.0+xyz')) < 0);
  });

  it('is a total order on generated versions (antisymmetric, transitive through sort)', () => {
    const random = seededRandom(7);
    const versions = Array.from({ length: 400 }, () => parseVersion(randomVersion(random)));
    const sorted = [...versions].sort((a, b) => a.compare(b));
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1] as Version;
      const b = sorted[i] as Version;
      assert.ok(a.compare(b) <= 0);
      assert.equal(Math.sign(a.compare(b)), 0 - Math.sign(b.compare(a)) || 0);
      // Equal versions normalise to strings that differ at most in trailing zeros.
      if (a.compare(b) === 0) assert.equal(withoutTrailingZeros(a), withoutTrailingZeros(b));
    }
    for (let i = 0; i < 2000; i++) {
      const a = pick(random, versions);
      const b = pick(random, versions);
      const c = pick(random, versions);
      if (a.compare(b) <= 0 && b.compare(c) <= 0) assert.ok(a.compare(c) <= 0, `${a} <= ${b} <= ${c}`);
    }
  });
});

describe('@renovatebot/pep440 as an oracle', () => {
  it('agrees on ordering across a large generated set', () => {
    const random = seededRandom(2024);
    const texts: string[] = [];
    for (let i = 0; i < 300; i++) texts.push(...neighbours(randomVersion(random)).slice(0, 6));
    let checked = 0;
    for (let i = 0; i < 20000; i++) {
      const a = pick(random, texts);
      const b = pick(random, texts);
      assert.equal(Math.sign(compareVersions(a, b)), Math.sign(oracleCompare(a, b)), `${a} vs ${b}`);
      checked++;
    }
    assert.equal(checked, 20000);
  });

  it('agrees on validity and normal form (ignoring its known differences)', () => {
    const random = seededRandom(99);
    const spellings = ['', '-', '_', '.'];
    for (let i = 0; i < 3000; i++) {
      const text =
        (random() < 0.2 ? 'v' : '') +
        randomVersion(random, { local: false }).replace(/(a|b|rc|\.post|\.dev)/g, (m) => `${pick(random, spellings)}${m.replace('.', '')}${pick(random, spellings)}`) +
        (random() < 0.2 ? `+${pick(random, ['Ubuntu-1', 'abc_2', 'x.y'])}` : '');
      const ours = tryParseVersion(text);
      assert.equal(ours !== null, oracleValid(text) !== null, text);
      // Its clean() joins local segments with "," (a bug); compare only public versions.
      if (ours !== null && ours.local === null) assert.equal(ours.toString(), oracleClean(text), text);
    }
  });

  it('differs where the PEP says otherwise (PEP wins)', () => {
    // PEP 440 allows leading and trailing whitespace; the oracle's valid() does not trim.
    assert.equal(oracleValid(' 1.0 '), null);
    assert.equal(normalizeVersion(' 1.0 '), '1.0');
  });
});
