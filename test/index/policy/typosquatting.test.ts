import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTyposquatDetector, damerauLevenshtein, loadPopularPackages } from '../../../src/index/policy/typosquatting.js';

const CSV = readFileSync(fileURLToPath(new URL('../../../data/top-pypi-packages.csv', import.meta.url)), 'utf8');
const POPULAR = loadPopularPackages(CSV);
const detect = createTyposquatDetector(POPULAR);

describe('loadPopularPackages', () => {
  it('reads the shipped list: header skipped, normalised names, most downloaded first', () => {
    assert.match(CSV.split('\n')[0] as string, /^download_count,project/);
    assert.equal(POPULAR.length, 15000);
    assert.equal(POPULAR[0], 'boto3');
    assert.ok(POPULAR.includes('requests'));
    assert.ok(POPULAR.every((name) => /^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)));
  });

  it('normalises, de-duplicates, orders by downloads and skips junk rows', () => {
    const csv = 'download_count,project\n5,"Foo_Bar"\n10,"zope.interface"\n7,foo-bar\nnot,a,row\n,"x"\n3,"-bad"\r\n9,"Baz"\r\n';
    assert.deepEqual(loadPopularPackages(csv), ['zope-interface', 'baz', 'foo-bar']);
  });
});

describe('damerauLevenshtein', () => {
  const cases: [string, string, number][] = [
    ['requests', 'requests', 0],
    ['reqeusts', 'requests', 1],
    ['requets', 'requests', 1],
    ['requestss', 'requests', 1],
    ['djnago', 'django', 1],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3],
  ];
  for (const [a, b, d] of cases) it(`${a} ↔ ${b} = ${d}`, () => assert.equal(damerauLevenshtein(a, b), d));
});

describe('typosquat detector against the real top-PyPI list', () => {
  const positives: [string, string, string][] = [
    ['reqeusts', 'requests', 'transposition'],
    ['requets', 'requests', 'omitted-character'],
    ['requestss', 'requests', 'repeated-character'],
    ['python-requests', 'requests', 'affix'],
    ['requests-python', 'requests', 'affix'],
    ['djnago', 'django', 'transposition'],
    ['numpyy', 'numpy', 'repeated-character'],
    ['urlib3', 'urllib3', 'omitted-character'],
    ['colourama', 'colorama', 'inserted-character'],
    ['pythondateutil', 'python-dateutil', 'separator'],
    ['python_date_util', 'python-dateutil', 'separator'],
    ['yaml', 'pyyaml', 'affix'],
    ['py-yaml', 'pyyaml', 'separator'],
    ['rnatplotlib', 'matplotlib', 'homoglyph'],
    ['tensorfl0w', 'tensorflow', 'homoglyph'],
    ['f1ask', 'flask', 'homoglyph'],
    ['boto4', 'boto3', 'substitution'],
    ['Reqeusts', 'requests', 'transposition'],
    // long names allow two edits
    ['djangorestframwork', 'djangorestframework', 'omitted-character'],
    ['djangorestfarmewrok', 'djangorestframework', 'edit-distance'],
  ];
  for (const [name, target, technique] of positives) {
    it(`flags ${name} as imitating ${target} (${technique})`, () => {
      const match = detect(name);
      assert.ok(match !== null, `${name} not flagged`);
      assert.equal(match.target, target);
      assert.equal(match.technique, technique);
      assert.equal(match.distance, damerauLevenshtein(name.toLowerCase().replace(/[-_.]+/g, '-'), target));
    });
  }

  it('does not flag a name that is itself on the list, at any rank (beautifulsoup is, at ~6900)', () => {
    assert.ok(POPULAR.indexOf('beautifulsoup') > 5000);
    assert.equal(detect('beautifulsoup'), null);
    assert.equal(detect('requests'), null);
    assert.equal(detect('Requests'), null);
    assert.equal(detect('python_dateutil'), null, 'the same name once normalised');
  });

  it('flags none of the first 2000 names of the list', () => {
    const flagged = POPULAR.slice(0, 2000).filter((name) => detect(name) !== null);
    assert.deepEqual(flagged, []);
  });

  it('python-requests is not on the list, so it is flagged', () => {
    assert.ok(!POPULAR.includes('python-requests'));
    assert.notEqual(detect('python-requests'), null);
  });

  const negatives = ['xyzzy-frobnicator', 'acme-billing-service', 'my-internal-tool', 'qqqqqq', 'a', 'ab', 'num', 'x'.repeat(300), ''];
  for (const name of negatives) {
    it(`leaves ${JSON.stringify(name.slice(0, 20))} alone`, () => assert.equal(detect(name), null));
  }

  it('does not use edit distance on very short names (six vs sux)', () => {
    assert.ok(POPULAR.includes('six'));
    assert.equal(detect('sux'), null);
  });

  it('honours exempt names and a fixed max distance', () => {
    const withExempt = createTyposquatDetector(POPULAR, { exempt: ['Reqeusts'] });
    assert.equal(withExempt('reqeusts'), null);
    const strict = createTyposquatDetector(POPULAR.slice(0, 100), { maxDistance: 1 });
    assert.equal(strict('djangorestfarmewrok'), null);
    const loose = createTyposquatDetector(['requests'], { maxDistance: 2 });
    assert.equal(loose('reqsts')?.target, 'requests');
  });

  it('protects only the first protectCount names but trusts the whole list', () => {
    const topTen = createTyposquatDetector(POPULAR, { protectCount: 10 });
    assert.equal(topTen('djnago'), null, 'django is below the top 10');
    assert.equal(topTen('reqeusts')?.target, 'requests');
  });

  it('prefers the closest, then the most downloaded target', () => {
    const small = createTyposquatDetector(['abcdef', 'abcdeg', 'abcxyz']);
    assert.equal(small('abcdex')?.target, 'abcdef');
  });

  it('checks a name in well under a millisecond (measured loosely; benchmarks measure properly)', () => {
    const names = POPULAR.slice(0, 2000).map((name) => `${name}x`);
    const start = process.hrtime.bigint();
    for (const name of names) detect(name);
    const perName = Number(process.hrtime.bigint() - start) / 1e6 / names.length;
    assert.ok(perName < 1, `${perName.toFixed(3)} ms per name`);
  });

  it('flags few of the real projects of /opt/pypi that are not on the list (false positives)', { skip: !existsSync('/opt/pypi/simple') }, () => {
    const names = readdirSync('/opt/pypi/simple');
    const flagged = names.filter((name) => detect(name) !== null);
    // Measured 2 of 843 (httpcore2, httpx2: forks named like the original plus a digit).
    assert.ok(flagged.length / names.length < 0.01, `flagged: ${flagged.join(', ')}`);
  });
});
