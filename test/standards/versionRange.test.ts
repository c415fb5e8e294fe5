import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpecifier, parseSpecifierSet } from '../../src/standards/specifier.js';
import { parseVersion, type Version } from '../../src/standards/version.js';
import { VersionRange } from '../../src/standards/versionRange.js';
import { neighbours, pick, randomSpecifierSet, randomVersion, seededRandom } from './pep440Samples.js';

const v = parseVersion;
const range = (spec: string): VersionRange => VersionRange.fromSpecifierSet(parseSpecifierSet(spec));

function checkMembers(spec: string, inside: string[], outside: string[]): void {
  it(`"${spec}" holds ${inside.join(' ')}; not ${outside.join(' ')}`, () => {
    const r = range(spec);
    for (const x of inside) assert.equal(r.contains(v(x)), true, `${x} should be in ${spec} = ${r.toString()}`);
    for (const x of outside) assert.equal(r.contains(v(x)), false, `${x} should not be in ${spec} = ${r.toString()}`);
  });
}

describe('specifiers as ranges', () => {
  checkMembers('<1.0', ['0.9', '0.9.post1', '0.99.dev0', '0.9+x', '0.1'], ['1.0rc1', '1.0.dev0', '1.0a0.dev0', '1.0', '1.0.0.dev0', '1!0.1']);
  checkMembers('<1.0rc1', ['1.0a1', '1.0.dev0', '1.0rc1.dev3', '1.0rc0.post1'], ['1.0rc1', '1.0rc1+x', '1.0']);
  checkMembers('<1.0.post1', ['1.0', '1.0rc1', '1.0+x', '1.0.post0', '1.0.post0+x'], ['1.0.post1.dev0', '1.0.post1.dev0+x', '1.0.post1']);
  checkMembers('>1.0', ['1.0.0.1', '1.1.dev0', '2', '1!0.1'], ['1.0', '1.0.0', '1.0+local', '1.0.post1', '1.0.post1.dev0', '1.0.post99+x', '0.5']);
  checkMembers('>1.0rc1', ['1.0rc2.dev0', '1.0rc2', '1.0', '1.0.post1'], ['1.0rc1', '1.0rc1+x', '1.0rc1.post1', '1.0rc1.post1.dev0']);
  checkMembers('>1.0.post1', ['1.0.post2.dev0', '1.0.post2', '1.0.0.1'], ['1.0.post1', '1.0.post1+x', '1.0']);
  checkMembers('>1.0.dev1', ['1.0.dev2', '1.0a0', '1.0'], ['1.0.dev1', '1.0.dev1+x', '1.0.dev0']);
  checkMembers('<=1.0', ['1.0', '1.0+x', '1.0rc1', '1.0.0+zzz'], ['1.0.post0.dev0', '1.0.post0', '1.0.0.1']);
  checkMembers('==1.0.*', ['1.0.dev0', '1', '1.0.0', '1.0.5.post3+x', '1.0.999'], ['0.99', '1.1.dev0', '1!1.0', '1.1']);
  checkMembers('!=1.0.*', ['0.99', '1.1.dev0', '1!1.0'], ['1.0.dev0', '1.0.99+x']);
  checkMembers('~=1.4.2', ['1.4.2', '1.4.2+x', '1.4.3.dev0', '1.4.99.post1'], ['1.4.2rc1', '1.4.1', '1.5.dev0', '1.5']);
  checkMembers('~=2.2.post3', ['2.2.post3', '2.9', '2.2.1'], ['2.2.post2', '2.2', '3.0.dev0']);
  checkMembers('==1.0', ['1.0', '1.0.0', '1.0+abc'], ['1.0.post0', '1.0rc1', '1.0.0.1']);
  checkMembers('==1.0+abc', ['1.0+abc', '1.0+ABC'], ['1.0', '1.0+abc.1', '1.0+abd']);
  checkMembers('!=1.0+abc', ['1.0', '1.0+abc.1', '1.0+abd', '2'], ['1.0+abc']);
  checkMembers('>=1.0, <2.0, !=1.5.*', ['1.0', '1.4.99', '1.6.dev0', '1.9.post9'], ['0.9', '1.5', '1.5.0.1', '2.0.dev0', '2.0']);
  checkMembers('===1.0', ['1.0', '1.0.0'], ['1.0+x', '1.0.post0']);

  it('=== of a non-PEP 440 string is empty as a range', () => {
    assert.equal(range('===foobar').isEmpty, true);
  });

  it('an empty specifier set is the full range', () => {
    assert.equal(range('').isFull, true);
    assert.equal(VersionRange.fromSpecifierSet(parseSpecifierSet('')).equals(VersionRange.full()), true);
  });

  it('knows when nothing can match', () => {
    for (const spec of ['<0', '<0.dev0', '>2, <1', '>=1.0, <1.0', '==1.0, !=1.0', '==1.0.*, ==1.1.*', '<1.0, >=1.0.dev0', '~=1.4.2, <1.4.2']) {
      assert.equal(range(spec).isEmpty, true, spec);
      assert.equal(range(spec).toString(), '<none>', spec);
    }
    for (const spec of ['<0.dev1', '>=0, <0.0.0.0.1', '<=0.dev0', '>1.0, <1.0.0.0.1']) assert.equal(range(spec).isEmpty, false, spec);
  });

  it('knows when everything matches', () => {
    assert.equal(range('>=0.dev0').isFull, true);
    assert.equal(range('>=0').isFull, false, '0.dev0 is below 0');
    assert.equal(range('!=1.0').union(range('==1.0')).isFull, true);
    assert.equal(range('>1.0').union(range('<=1.0')).isFull, false, '1.0.post1 is in neither');
    assert.equal(range('>1.0').union(range('<1.0.0.0.1')).isFull, true);
  });

  it('single versions', () => {
    for (const [spec, pinned] of [
      ['==1.0', '1.0'],
      ['==1.0+abc', '1.0+abc'],
      ['>=1.0, <=1.0', '1.0'],
      ['==1.0.0, <2', '1.0.0'],
      ['===2.0', null],
      ['==1.0.*', null],
      ['>=1.0', null],
      ['==1.0, !=1.0+abc', null],
    ] as [string, string | null][]) {
      const r = range(spec);
      assert.equal(r.isSingleVersion, pinned !== null, spec);
      assert.equal(r.singleVersion?.toString() ?? null, pinned, spec);
    }
    assert.equal(VersionRange.exactly(v('1.0')).isSingleVersion, true);
    assert.equal(VersionRange.full().isSingleVersion, false);
    assert.equal(VersionRange.empty().isSingleVersion, false);
  });

  it('static constructors', () => {
    assert.equal(VersionRange.atLeast(v('1.0')).equals(range('>=1.0')), true);
    assert.equal(VersionRange.exactly(v('1.0')).equals(range('==1.0')), true);
    assert.equal(VersionRange.exactly(v('1.0+x')).equals(range('==1.0+x')), true);
    // below() is the plain order: 1.0rc1 is below 1.0, unlike the specifier <1.0.
    assert.equal(VersionRange.below(v('1.0')).contains(v('1.0rc1')), true);
    assert.equal(VersionRange.below(v('1.0')).equals(range('<1.0')), false);
    assert.equal(VersionRange.below(v('1.0.dev0')).equals(range('<1.0')), true);
    assert.equal(VersionRange.fromSpecifier(parseSpecifier('>=1.0')).equals(range('>=1.0')), true);
    assert.equal(VersionRange.empty().isEmpty, true);
    assert.equal(VersionRange.full().isFull, true);
  });
});

describe('toString', () => {
  const table: [string, string][] = [
    ['', '*'],
    ['<0', '<none>'],
    ['>=1.0, <2.0', '>=1.0, <2.0'],
    ['>=1.0, <2.0, !=1.5', '>=1.0, <2.0, !=1.5'],
    ['!=1.5', '!=1.5'],
    ['!=1.5.*', '!=1.5.*'],
    ['!=1.5.*, !=1.7, >=1', '>=1, !=1.5.*, !=1.7'],
    ['==3.1', '==3.1'],
    ['==1.0+abc', '==1.0+abc'],
    ['==1.2.*', '==1.2.*'],
    ['~=1.4.2', '>=1.4.2, <1.5'],
    ['<=1.0', '<=1.0'],
    ['>1.0', '>1.0'],
    ['>1.0.post1', '>=1.0.post2.dev0'],
    ['>=2', '>=2'],
  ];
  for (const [spec, expected] of table) {
    it(`"${spec}" reads ${expected}`, () => assert.equal(range(spec).toString(), expected));
  }

  it('joins disjoint intervals with ||', () => {
    assert.equal(range('>=1.0, <2.0').union(range('==3.1')).toString(), '>=1.0, <2.0 || ==3.1');
    assert.equal(range('>1.0').complement().toString(), '<=1.0.post*');
    assert.equal(range('==1.0, ==1.0').complement().toString(), '!=1.0');
  });
});

/** Versions near every bound a specifier set mentions, plus random ones. */
function candidatesFor(spec: string, random: () => number): Version[] {
  const texts = spec
    .split(',')
    .map((clause) => clause.trim().replace(/^[<>=!~]+/, '').replace(/\.\*$/, ''))
    .filter((text) => text !== '')
    .flatMap(neighbours);
  for (let i = 0; i < 6; i++) texts.push(randomVersion(random));
  return texts.map((text) => v(text));
}

describe('property: ranges agree with specifier sets', () => {
  it('fromSpecifierSet(s).contains(v) === s.contains(v, { prereleases: true })', () => {
    const random = seededRandom(440);
    let checks = 0;
    for (let i = 0; i < 3000; i++) {
      const text = randomSpecifierSet(random);
      const set = parseSpecifierSet(text);
      const r = VersionRange.fromSpecifierSet(set);
      for (const candidate of candidatesFor(text, random)) {
        assert.equal(r.contains(candidate), set.contains(candidate, { prereleases: true }), `${candidate.toString()} in "${text}" (range ${r.toString()})`);
        checks++;
      }
    }
    assert.ok(checks > 50_000, `${checks} checks`);
  });

  it('single clauses over the full cross product of a small version universe', () => {
    const random = seededRandom(1);
    const universe = new Set<string>();
    for (const base of ['0', '1', '1.0', '1.0.0', '1.0.1', '1.1', '2', '1!1.0']) for (const n of neighbours(base)) universe.add(n);
    for (const n of neighbours('1.0rc1')) universe.add(n);
    for (const n of neighbours('1.0.post1')) universe.add(n);
    for (const n of neighbours('1.0.dev1')) universe.add(n);
    const versions = [...universe].map((text) => v(text));
    const ops = ['==', '!=', '<=', '>=', '<', '>', '~='];
    let checks = 0;
    for (const specVersion of universe) {
      for (const op of ops) {
        const text = `${op}${specVersion}`;
        let set;
        try {
          set = parseSpecifierSet(text);
        } catch {
          continue; // e.g. ~=1 or <1.0+abc: not a valid clause
        }
        const r = VersionRange.fromSpecifierSet(set);
        for (const candidate of versions) {
          assert.equal(r.contains(candidate), set.contains(candidate, { prereleases: true }), `${candidate.toString()} in "${text}"`);
          checks++;
        }
      }
    }
    void random;
    assert.ok(checks > 10_000, `${checks} checks`);
  });
});

describe('property: range algebra laws', () => {
  const random = seededRandom(2718);
  // Ranges from specifier sets, and unions of them (several intervals).
  const ranges: VersionRange[] = [VersionRange.full(), VersionRange.empty()];
  for (let i = 0; i < 150; i++) {
    let r = range(randomSpecifierSet(random));
    if (random() < 0.4) r = r.union(range(randomSpecifierSet(random)));
    if (random() < 0.2) r = r.complement();
    ranges.push(r);
  }
  const probes: Version[] = [];
  for (let i = 0; i < 200; i++) probes.push(...neighbours(randomVersion(random)).slice(0, 8).map((text) => v(text)));

  function sameMembers(a: VersionRange, b: VersionRange, what: string): void {
    assert.equal(a.equals(b), true, `${what}: ${a.toString()} vs ${b.toString()}`);
  }

  it('r ∩ ¬r = ∅, r ∪ ¬r = full, ¬¬r = r', () => {
    for (const r of ranges) {
      assert.equal(r.intersect(r.complement()).isEmpty, true, r.toString());
      assert.equal(r.union(r.complement()).isFull, true, r.toString());
      sameMembers(r.complement().complement(), r, 'double complement');
      assert.equal(r.isDisjoint(r.complement()), true);
      assert.equal(r.equals(r), true);
    }
  });

  it('De Morgan, commutativity, difference, subset, and pointwise meaning', () => {
    for (let i = 0; i < 1500; i++) {
      const a = pick(random, ranges);
      const b = pick(random, ranges);
      sameMembers(a.union(b).complement(), a.complement().intersect(b.complement()), '¬(a ∪ b) = ¬a ∩ ¬b');
      sameMembers(a.intersect(b).complement(), a.complement().union(b.complement()), '¬(a ∩ b) = ¬a ∪ ¬b');
      sameMembers(a.union(b), b.union(a), 'a ∪ b = b ∪ a');
      sameMembers(a.intersect(b), b.intersect(a), 'a ∩ b = b ∩ a');
      sameMembers(a.difference(b), a.intersect(b.complement()), 'a \\ b = a ∩ ¬b');
      sameMembers(a.difference(b).union(a.intersect(b)), a, '(a \\ b) ∪ (a ∩ b) = a');
      assert.equal(a.difference(b).isDisjoint(b), true, 'a \\ b is disjoint from b');
      assert.equal(a.intersect(b).isSubsetOf(a), true);
      assert.equal(a.isSubsetOf(a.union(b)), true);
      assert.equal(a.isSubsetOf(b), a.union(b).equals(b), 'a ⊆ b iff a ∪ b = b');
      assert.equal(a.isDisjoint(b), a.intersect(b).isEmpty);
      for (let k = 0; k < 10; k++) {
        const x = pick(random, probes);
        assert.equal(a.union(b).contains(x), a.contains(x) || b.contains(x));
        assert.equal(a.intersect(b).contains(x), a.contains(x) && b.contains(x));
        assert.equal(a.difference(b).contains(x), a.contains(x) && !b.contains(x));
        assert.equal(a.complement().contains(x), !a.contains(x));
      }
    }
  });

  it('associativity of union and intersection', () => {
    for (let i = 0; i < 500; i++) {
      const [a, b, c] = [pick(random, ranges), pick(random, ranges), pick(random, ranges)];
      sameMembers(a.union(b).union(c), a.union(b.union(c)), 'union');
      sameMembers(a.intersect(b).intersect(c), a.intersect(b.intersect(c)), 'intersect');
      sameMembers(a.intersect(b.union(c)), a.intersect(b).union(a.intersect(c)), 'distributivity');
    }
  });

  it('stays canonical: equal sets built different ways are equal', () => {
    sameMembers(range('>=1.0, <2.0'), range('>=1.0').intersect(range('<2.0')), 'intersect');
    sameMembers(range('>=1.0, <3.0'), range('>=1.0, <2.0').union(range('>=2.0.dev0, <3.0')), 'touching intervals merge');
    sameMembers(range('<1.0'), range('<1.0.dev0'), '<1.0 is <1.0.dev0');
    sameMembers(range('<=1.0'), range('<1.0.post0.dev0'), '<=1.0 ends where 1.0.post0.dev0 starts');
    sameMembers(range('==1.0.*'), range('>=1.0.dev0, <1.1.dev0'), 'wildcard');
    sameMembers(range('>1.0.post1'), range('>=1.0.post2.dev0'), '> post');
    assert.equal(range('>1.0').equals(range('>=1.0.0.0.1')), false, 'no next release after 1.0');
  });

  it('handles many intervals', () => {
    const clauses = Array.from({ length: 200 }, (_, i) => `!=1.${i}`);
    const r = range(clauses.join(', '));
    assert.equal(r.contains(v('1.57')), false);
    assert.equal(r.contains(v('1.57.1')), true);
    assert.equal(r.contains(v('1.57+x')), false);
    assert.equal(r.complement().contains(v('1.199+abc')), true);
    assert.equal(r.union(r.complement()).isFull, true);
  });
});
