import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { simplifiedRangeText } from '../../src/resolver/rangeText.js';
import { parseSpecifierSet } from '../../src/standards/specifier.js';
import { parseVersion } from '../../src/standards/version.js';
import { VersionRange } from '../../src/standards/versionRange.js';

const KNOWN = ['0.9', '1.0', '1.1', '2.0', '3.0'].map(parseVersion);
const range = (spec: string): VersionRange => VersionRange.fromSpecifierSet(parseSpecifierSet(spec));

describe('simplifiedRangeText', () => {
  const cases: [string, VersionRange, string][] = [
    ['every known version', range('>=0.1'), ''],
    ['the full range', VersionRange.full(), ''],
    ['the newest releases', range('>=1.5'), '>=2.0'],
    ['the oldest releases', range('<=1.0.5'), '<1.1'],
    ['a middle run', range('>=1.0,<2.5'), '>=1.0, <3.0'],
    ['one release', range('==1.1'), '==1.1'],
    ['two runs', range('==0.9').union(range('>=2.0')), '==0.9 || >=2.0'],
    ['nothing known inside: written as is', range('>=4'), '>=4'],
  ];
  for (const [what, r, expected] of cases) {
    it(what, () => assert.equal(simplifiedRangeText(r, KNOWN), expected));
  }

  it('with no known versions the range is written as is', () => {
    assert.equal(simplifiedRangeText(range('>=1,<2'), []), '>=1, <2');
  });
});
