import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { satisfies as oracleSatisfies, validRange as oracleValidRange } from '@renovatebot/pep440';
import { isPavedError } from '../../src/errors.js';
import { parseSpecifier, parseSpecifierSet, SpecifierSet } from '../../src/standards/specifier.js';
import { parseVersion } from '../../src/standards/version.js';
import { neighbours, randomSpecifier, randomVersion, seededRandom } from './pep440Samples.js';

type Row = [spec: string, version: string, expected: boolean];

function check(rows: Row[], prereleases?: boolean): void {
  for (const [spec, version, expected] of rows) {
    it(`${version} ${expected ? 'in' : 'not in'} "${spec}"${prereleases === undefined ? '' : ` (prereleases: ${prereleases})`}`, () => {
      const set = parseSpecifierSet(spec);
      const options = prereleases === undefined ? {} : { prereleases };
      assert.equal(set.contains(version, options), expected);
      assert.equal(set.contains(parseVersion(version), options), expected, 'same answer for a Version object');
    });
  }
}

describe('PEP 440 examples', () => {
  describe('compatible release ~=', () => {
    // Each ~= clause against its documented expansion, over many candidates.
    const expansions: [string, string][] = [
      ['~=2.2', '>=2.2, ==2.*'],
      ['~=1.4.5', '>=1.4.5, ==1.4.*'],
      ['~=2.2.post3', '>=2.2.post3, ==2.*'],
      ['~=1.4.5a4', '>=1.4.5a4, ==1.4.*'],
      ['~=2.2.0', '>=2.2.0, ==2.2.*'],
      ['~=1.4.5.0', '>=1.4.5.0, ==1.4.5.*'],
      ['~=1!1.0', '>=1!1.0, ==1!1.*'],
    ];
    const candidates = ['1.4.4', '1.4.5a4', '1.4.5', '1.4.9', '1.5.0', '2.1', '2.2', '2.2.post3', '2.3', '2.10', '3.0', '1.4.5.1', '1!1.0', '1!1.5', '1!2.0', '2.2.0.1', '2.3.dev1'];
    for (const [compatible, expansion] of expansions) {
      it(`${compatible} is ${expansion}`, () => {
        const a = parseSpecifierSet(compatible);
        const b = parseSpecifierSet(expansion);
        for (const v of candidates) assert.equal(a.contains(v, { prereleases: true }), b.contains(v, { prereleases: true }), v);
      });
    }
    check([
      ['~=2.2', '2.9', true],
      ['~=2.2', '3.0', false],
      ['~=2.2', '2.1', false],
      ['~=1.4.5', '1.4.99', true],
      ['~=1.4.5', '1.5', false],
      ['~=2.2.0', '2.2.1', true],
      ['~=2.2.0', '2.3', false],
    ]);
  });

  describe('version matching ==', () => {
    check([
      ['==1.1', '1.1.post1', false],
      ['==1.1.post1', '1.1.post1', true],
      ['==1.1.*', '1.1.post1', true],
      ['==1.1', '1.1a1', false],
      ['==1.1a1', '1.1a1', true],
      ['==1.1', '1.1.0', true],
      ['==1.1.0', '1.1', true],
      ['==1.1', '1.1.0.0.0', true],
      ['==1.1.dev1', '1.1', false],
      ['==1.0', '1.0+local', true],
      ['==1.0', '1.0+local.7', true],
      ['==1.0+local', '1.0+local', true],
      ['==1.0+local', '1.0+LOCAL', true],
      ['==1.0+local', '1.0', false],
      ['==1.0+local', '1.0+other', false],
      ['==1.0+abc.5', '1.0+abc', false],
      ['==1.0.*', '1', true],
      ['==1.0.0.*', '1.0', true],
      ['==1.0.*', '1.0.5', true],
      ['==1.0.*', '1.0.post1', true],
      ['==1.0.*', '1.0+x', true],
      ['==1.0.*', '1.1', false],
      ['==1.0.*', '01.00.3', true],
      ['==1.0.0.*', '1.0.1', false],
      ['==1.*', '1!1.0', false],
      ['==1!1.*', '1!1.5', true],
      ['==0!2.*', '2.0', true],
      ['==1.0', '1!1.0', false],
    ]);
    check(
      [
        ['==1.1.*', '1.1a1', true],
        ['==1.0.*', '1.0.dev0', true],
        ['==1.0.*', '1.1.dev0', false],
      ],
      true,
    );
    check([['==1.1.*', '1.1a1', false]]);
  });

  describe('version exclusion !=', () => {
    check([
      ['!=1.1', '1.1.post1', true],
      ['!=1.1.post1', '1.1.post1', false],
      ['!=1.1.*', '1.1.post1', false],
      ['!=1.0', '1.0+local', false],
      ['!=1.0+local', '1.0+local', false],
      ['!=1.0+local', '1.0+other', true],
      ['!=1.0+local', '1.0', true],
      ['!=1.0.*', '1', false],
      ['!=1.0.*', '1.1', true],
      ['!=1.0.0', '1.0', false],
    ]);
  });

  describe('inclusive ordered <= and >=', () => {
    check([
      ['<=1.0', '1.0', true],
      ['<=1.0', '1.0+local', true],
      ['<=1.0', '1.0.post0', false],
      ['<=1.0', '1.0.0', true],
      ['<=1.0', '0.9', true],
      ['>=1.0', '1.0', true],
      ['>=1.0', '1.0+local', true],
      ['>=1.0', '0.9.post5', false],
      ['>=1.0', '1!0.1', true],
      ['<=1!1.0', '5.0', true],
    ]);
    check([['<=1.0', '1.0rc1', true], ['>=1.0', '1.0.dev0', false], ['>=1.0.dev0', '1.0a1', true]], true);
  });

  describe('exclusive ordered < and >', () => {
    check([
      ['>1.7', '1.7.1', true],
      ['>1.7', '1.7.0.post1', false],
      ['>1.7', '1.7.post1', false],
      ['>1.7', '1.7+local', false],
      ['>1.7', '1.7.post1+local', false],
      ['>1.7', '1.7', false],
      ['>1.7', '1.8', true],
      ['>1.7.post2', '1.7.1', true],
      ['>1.7.post2', '1.7.0.post3', true],
      ['>1.7.post2', '1.7.0', false],
      ['>1.7.post2', '1.7.post2', false],
      ['>1.7.post2', '1.7.post2+local', false],
      ['>1.7.post2', '1.7.post3+local', true],
      ['<3.1', '3.0', true],
      ['<3.1', '3.1', false],
      ['<3.1', '3.0.99.post9', true],
      ['<3.1', '3.0+local', true],
      ['<3.1', '3.1+local', false],
    ]);
    check(
      [
        ['<3.1', '3.1.dev0', false],
        ['<3.1', '3.1a1', false],
        ['<3.1', '3.1rc1.post1', false],
        ['<3.1', '3.0rc1', true],
        ['<3.1', '3.1.0.dev0', false],
        ['<3.1rc1', '3.1a1', true],
        ['<3.1rc1', '3.1rc1.dev0', true],
        ['<3.1rc1', '3.1.dev0', true],
        ['<3.1.dev5', '3.1.dev4', true],
        ['<3.1.post1', '3.1.post1.dev0', false],
        ['<3.1.post1', '3.1.post0', true],
        ['<3.1.post1', '3.1', true],
        ['>1.7rc1', '1.7rc1.post1', false],
        ['>1.7rc1', '1.7rc1+local', false],
        ['>1.7rc1', '1.7rc2', true],
        ['>1.7rc1', '1.7rc2.post1', true],
        ['>1.7rc1', '1.7', true],
        ['>1.7rc1', '1.7.post1', true],
        ['>1.7.dev1', '1.7.dev1+local', false],
        ['>1.7.dev1', '1.7.dev2', true],
        ['>1.7.dev1', '1.7a0', true],
        ['>1.7', '1.8.dev0', true],
        ['>1.7', '1.7.0.0.1.dev0', true],
      ],
      true,
    );
  });

  describe('arbitrary equality ===', () => {
    check([
      ['===1.0', '1.0', true],
      ['===1.0', '1.0+downstream1', false],
      ['===1.0', '1.0.0', false],
    ]);
    it('compares strings case-insensitively, including non-PEP 440 ones', () => {
      const set = parseSpecifierSet('===FooBar');
      assert.equal(set.contains('foobar'), true);
      assert.equal(set.contains('foobar2'), false);
      assert.equal(parseSpecifierSet('>=1.0').contains('foobar'), false);
      assert.equal(parseSpecifierSet('').contains('foobar'), false);
      assert.equal(parseSpecifierSet('===foobar, >=1.0').contains('foobar'), false);
      assert.equal(parseSpecifier('===foobar').contains('FOOBAR'), true);
    });
    it('compares the string as given (PEP 440), a Version by its normal form (as packaging does)', () => {
      assert.equal(parseSpecifierSet('===v1.0').contains('v1.0'), true);
      assert.equal(parseSpecifierSet('===v1.0').contains(parseVersion('v1.0')), false);
      assert.equal(parseSpecifierSet('===1.0').contains(parseVersion('v1.0')), true);
    });
    it('opts into pre-releases when its string is one', () => {
      assert.equal(parseSpecifierSet('===1.0a1').contains('1.0a1'), true);
      assert.equal(parseSpecifierSet('===1.0a1').allowsPrereleases, true);
      assert.equal(parseSpecifierSet('===foo').allowsPrereleases, false);
    });
  });
});

describe('pre-release policy', () => {
  it('excludes pre-releases by default, includes them on request', () => {
    const set = parseSpecifierSet('>=1.0');
    assert.equal(set.contains('2.0a1'), false);
    assert.equal(set.contains('2.0.dev1'), false);
    assert.equal(set.contains('2.0a1', { prereleases: true }), true);
    assert.equal(set.contains('2.0.post1'), true, 'post-releases are not pre-releases');
  });

  it('a clause that names a pre-release opts the whole set in', () => {
    const set = parseSpecifierSet('>=1.0a1, <2');
    assert.equal(set.allowsPrereleases, true);
    assert.equal(set.contains('1.5b2'), true);
    assert.equal(set.contains('1.5b2', { prereleases: false }), false);
    assert.equal(parseSpecifierSet('~=1.0rc1').contains('1.0rc2'), true);
    assert.equal(parseSpecifierSet('==1.0.dev3').contains('1.0.dev3'), true);
  });

  it('!= and wildcards never opt in', () => {
    assert.equal(parseSpecifierSet('!=1.0a1').allowsPrereleases, false);
    assert.equal(parseSpecifierSet('!=1.0a1').contains('1.0a2'), false);
    assert.equal(parseSpecifierSet('==1.0.*').allowsPrereleases, false);
  });

  it('an empty set matches every final release and no pre-release by default', () => {
    const set = parseSpecifierSet('');
    assert.equal(set.isEmpty, true);
    assert.equal(set.contains('0.0.1'), true);
    assert.equal(set.contains('1!99.0+local'), true);
    assert.equal(set.contains('1.0rc1'), false);
    assert.equal(set.contains('1.0rc1', { prereleases: true }), true);
  });

  it('Specifier.contains follows the same policy', () => {
    assert.equal(parseSpecifier('>=1.0').contains('1.1a1'), false);
    assert.equal(parseSpecifier('>=1.0').contains('1.1a1', { prereleases: true }), true);
    assert.equal(parseSpecifier('>=1.0b1').contains('1.1a1'), true);
    assert.equal(parseSpecifier('>=1.0').contains('nonsense'), false);
  });
});

describe('SpecifierSet.filter', () => {
  const table: [spec: string, versions: string[], options: { prereleases?: boolean }, expected: string[]][] = [
    ['>=1.0', ['0.9', '1.0', '1.1a1', '1.2'], {}, ['1.0', '1.2']],
    ['>=1.0', ['0.9', '1.1a1', '1.2b1'], {}, ['1.1a1', '1.2b1']],
    ['>=1.0', ['0.9', '1.1a1'], { prereleases: false }, []],
    ['>=1.0', ['0.9', '1.0', '1.1a1'], { prereleases: true }, ['1.0', '1.1a1']],
    ['>=1.0a1', ['0.9', '1.0', '1.1a1'], {}, ['1.0', '1.1a1']],
    ['', ['2.0a1', '1.0', 'junk'], {}, ['1.0']],
    ['', ['2.0a1', 'junk'], {}, ['2.0a1']],
    ['>=1.0, <2.0', ['2.0', '0.5', '1.5', '1.0', '1.9.9', '2.0rc1'], {}, ['1.5', '1.0', '1.9.9']],
    // PEP 440: pre-releases come in only when no final release satisfies the whole set.
    ['>=1.0, <2.0', ['0.5', '1.5rc1', '2.0'], {}, ['1.5rc1']],
    ['===foobar', ['foobar', 'FooBar', '1.0'], {}, ['foobar', 'FooBar']],
    ['>=1.0', ['1.0', 'not a version', '2.0'], {}, ['1.0', '2.0']],
  ];
  for (const [spec, versions, options, expected] of table) {
    it(`"${spec}" over ${JSON.stringify(versions)} ${JSON.stringify(options)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseSpecifierSet(spec).filter(versions, options), expected);
    });
  }

  it('keeps the caller’s objects and order, and accepts any iterable', () => {
    const versions = ['3.0', '1.0', '2.0'].map(parseVersion);
    const out = parseSpecifierSet('>=2').filter(new Set(versions));
    assert.equal(out.length, 2);
    assert.equal(out[0], versions[0]);
    assert.equal(out[1], versions[2]);
  });
});

describe('parsing', () => {
  it('reads operator, normalised version and wildcard', () => {
    const rows: [string, string, string, boolean, string][] = [
      ['>= V1.0-ALPHA', '>=', '1.0a0', false, '>=1.0a0'],
      ['==1.2.*', '==', '1.2', true, '==1.2.*'],
      ['!= 1.2.*', '!=', '1.2', true, '!=1.2.*'],
      ['~=1.0.0', '~=', '1.0.0', false, '~=1.0.0'],
      ['<1!2.0-1', '<', '1!2.0.post1', false, '<1!2.0.post1'],
      ['==1.0+Ubuntu-1', '==', '1.0+ubuntu.1', false, '==1.0+ubuntu.1'],
      ['=== Foo-Bar_1', '===', 'Foo-Bar_1', false, '===Foo-Bar_1'],
      ['  >  3  ', '>', '3', false, '>3'],
    ];
    for (const [text, operator, version, hasWildcard, shown] of rows) {
      const spec = parseSpecifier(text);
      assert.equal(spec.operator, operator, text);
      assert.equal(spec.version, version, text);
      assert.equal(spec.hasWildcard, hasWildcard, text);
      assert.equal(spec.toString(), shown, text);
    }
  });

  it('tolerates whitespace and empty clauses, as pip does', () => {
    assert.equal(parseSpecifierSet(' >= 1.0 ,  < 2 ').toString(), '<2,>=1.0');
    assert.equal(parseSpecifierSet('>=1.0,,<2,').specifiers.length, 2);
    assert.equal(parseSpecifierSet('').isEmpty, true);
    assert.equal(parseSpecifierSet(' , ').isEmpty, true);
    assert.equal(parseSpecifierSet('\t>=1.0\n').toString(), '>=1.0');
  });

  it('prints a canonical, sorted form and drops duplicate clauses', () => {
    assert.equal(parseSpecifierSet('>=1.0, <2, !=1.5').toString(), '!=1.5,<2,>=1.0');
    assert.equal(parseSpecifierSet('==1.0, ==1.0.0, == 1.0').specifiers.length, 1);
    assert.equal(parseSpecifierSet('~=1.0, ~=1.0.0').specifiers.length, 2, '~=1.0 and ~=1.0.0 differ');
    assert.equal(parseSpecifierSet('>=1.0, <2').toString(), parseSpecifierSet('<2,>=1.0').toString());
  });

  it('intersect concatenates the clauses', () => {
    const a = parseSpecifierSet('>=1.0');
    const b = parseSpecifierSet('<2, >=1.0');
    const both = a.intersect(b);
    assert.ok(both instanceof SpecifierSet);
    assert.equal(both.toString(), '<2,>=1.0');
    assert.equal(both.contains('1.5'), true);
    assert.equal(both.contains('2.5'), false);
    assert.equal(a.intersect(parseSpecifierSet('')).toString(), '>=1.0');
  });

  const bad: [text: string, mentions: string][] = [
    ['1.0', 'operator'],
    ['=>1.0', 'operator'],
    ['=1.0', 'operator'],
    ['>=', 'no version'],
    ['>=1.0.*', '.*'],
    ['<1.0.*', '.*'],
    ['~=1.0.*', '.*'],
    ['~=1', 'two release numbers'],
    ['~=1+local', 'local'],
    ['~=1.0+local', 'local'],
    ['<1.0+local', 'local'],
    ['>=1.0+local', 'local'],
    ['==1.0a1.*', 'plain release'],
    ['==1.0.dev1.*', 'plain release'],
    ['==1.0+x.*', 'plain release'],
    ['==1.0.post1.*', 'plain release'],
    ['==1.*.2', 'not a valid'],
    ['==1.0.**', 'not a valid'],
    ['>=foo', 'not a valid'],
    ['>= 1.0 2.0', 'whitespace'],
    ['== 1.0 .*', 'whitespace'],
    ['>=1.0;', "';'"],
    ['===', 'no version'],
    ['=== a b', 'whitespace'],
    ['>=1.0, <2.x', '<2.x'],
    ['>=1.0 <2.0', 'whitespace'],
    ['>=1.0 || <0.5', 'whitespace'],
    ['^1.0', 'operator'],
    ['>=1.0, 2.0', '2.0'],
    [`>=${'1.'.repeat(600)}0`, 'longer'],
    [`>=1.0,${' '.repeat(10_001)}`, 'longer'],
  ];
  for (const [text, mentions] of bad) {
    it(`rejects ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}, saying "${mentions}"`, () => {
      assert.throws(
        () => parseSpecifierSet(text),
        (error: unknown) =>
          isPavedError(error, 'PAVED_E_INVALID_SPECIFIER') && error.message.includes(mentions) && error.message.length < 400 && error.hint !== undefined,
      );
    });
  }

  it('parseSpecifier rejects a comma-separated list', () => {
    assert.throws(() => parseSpecifier('>=1.0, <2'), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_SPECIFIER'));
  });
});

/*
 * Known places where @renovatebot/pep440 departs from PEP 440 (the PEP wins):
 *  - `<V` / `>V` reject every candidate with V's release (it simplifies the
 *    exclusive-comparison rule), so `<2.1.dev1` rejects 2.1.dev0 and
 *    `>1.0rc1` rejects 1.0; the PEP only excludes V's own pre/post/local releases.
 *  - `==V+local` / `!=V+local` compare public versions when the candidate has a
 *    local label; the PEP requires the local labels to be equal too.
 *  - prefix matching (`==1.0.*`, and `~=` built on it) does not zero-pad the
 *    candidate, so `==1.0.*` rejects `1`; the PEP pads ("an exact match is also a prefix match").
 * And one place where the PEP is silent and we follow packaging: `!=V` with a
 * pre-release V does not opt the set into pre-releases (the oracle's does).
 */
function oracleDiffersFromPep(spec: string, version: string): boolean {
  const op = /^(===|~=|==|!=|<=|>=|<|>)/.exec(spec)?.[1];
  const v = parseVersion(version);
  const specVersion = parseVersion(spec.slice(op?.length ?? 0).replace(/\.\*$/, ''));
  // (It ignores the epoch while doing so.)
  const sameRelease = parseVersion(v.release.join('.')).equals(parseVersion(specVersion.release.join('.')));
  if ((op === '<' || op === '>') && sameRelease) return true;
  if ((op === '==' || op === '!=') && specVersion.local !== null && v.local !== null) return true;
  if ((spec.endsWith('.*') || op === '~=') && v.release.length < specVersion.release.length) return true;
  return false;
}

describe('@renovatebot/pep440 as an oracle', () => {
  it('agrees on generated specifiers × versions, outside its documented departures', () => {
    const random = seededRandom(31337);
    let compared = 0;
    for (let i = 0; i < 2500; i++) {
      const spec = randomSpecifier(random);
      assert.equal(oracleValidRange(spec), true, spec);
      const set = parseSpecifierSet(spec);
      const specVersion = spec.replace(/^[<>=!~]+/, '').replace(/\.\*$/, '');
      for (const version of [...neighbours(specVersion), randomVersion(random)]) {
        if (oracleDiffersFromPep(spec, version)) continue;
        compared++;
        assert.equal(set.contains(version, { prereleases: true }), oracleSatisfies(version, spec, { prereleases: true }), `${version} in "${spec}"`);
        // It lets `!=1.0a1` opt into pre-releases; like packaging, we do not (excluding one is no request for the rest).
        if (spec.startsWith('!=') && set.specifiers[0]?.parsedVersion?.isPrerelease) continue;
        assert.equal(set.contains(version), oracleSatisfies(version, spec), `${version} in "${spec}" (default pre-release policy)`);
      }
    }
    assert.ok(compared > 20000, `compared ${compared}`);
  });

  it('departs from the PEP exactly where documented (PEP wins)', () => {
    const rows: [spec: string, version: string, pep: boolean][] = [
      ['<2.1.dev1', '2.1.dev0', true],
      ['<1!2.0', '2.0.post1', true],
      ['>1.0rc1', '1.0', true],
      ['>1.0.post1', '1.0.post2', true],
      ['==1.0+abc.5', '1.0+abc', false],
      ['!=1.0+abc', '1.0+xyz', true],
      ['==1.0.*', '1', true],
      ['~=1.0.0', '1', true],
    ];
    for (const [spec, version, pep] of rows) {
      assert.equal(parseSpecifierSet(spec).contains(version, { prereleases: true }), pep, `${version} in ${spec}`);
      assert.equal(oracleSatisfies(version, spec, { prereleases: true }), !pep, `oracle: ${version} in ${spec}`);
    }
  });
});
