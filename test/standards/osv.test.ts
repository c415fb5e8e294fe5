import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPavedError } from '../../src/errors.js';
import { advisoryAffects, cvss3BaseScore, fixedVersions, parseOsvAdvisory, severityAtLeast } from '../../src/standards/osv.js';
import { parseVersion } from '../../src/standards/version.js';

type Events = Record<string, string>[];

function advisory(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'PYSEC-0000-1', modified: '2024-01-01T00:00:00Z', ...fields };
}

function withRanges(ranges: { type?: string; events: Events }[], versions?: string[], name = 'demo') {
  return parseOsvAdvisory(
    advisory({
      affected: [
        {
          package: { ecosystem: 'PyPI', name, purl: `pkg:pypi/${name}` },
          ranges: ranges.map((r) => ({ type: r.type ?? 'ECOSYSTEM', events: r.events })),
          ...(versions === undefined ? {} : { versions }),
        },
      ],
    }),
  );
}

describe('advisoryAffects: ECOSYSTEM ranges', () => {
  const cases: { name: string; events: Events; affected: string[]; safe: string[] }[] = [
    { name: 'introduced 0, fixed', events: [{ introduced: '0' }, { fixed: '2.7.2' }], affected: ['0.1', '2.7.1', '2.7.2rc1', '2.7.2.dev0'], safe: ['2.7.2', '2.7.2.post1', '3.0'] },
    { name: 'introduced, fixed', events: [{ introduced: '2.3.0' }, { fixed: '2.31.0' }], affected: ['2.3', '2.3.0', '2.30.0', '2.31.0rc1'], safe: ['2.2.9', '2.3.0rc1', '2.31', '2.31.0'] },
    { name: 'last_affected is inclusive', events: [{ introduced: '0' }, { last_affected: '1.11.0' }], affected: ['1.0', '1.11', '1.11.0'], safe: ['1.11.0.post1', '1.11.1', '2.0'] },
    { name: 'introduced only: every later version', events: [{ introduced: '1.5' }], affected: ['1.5', '99'], safe: ['1.4', '1.5a1'] },
    { name: 'unsorted events', events: [{ fixed: '1.2.0' }, { introduced: '2.0' }, { fixed: '2.0.3' }, { introduced: '0' }], affected: ['1.1', '2.0', '2.0.2'], safe: ['1.2.0', '1.9', '2.0.3', '3.0'] },
    { name: 'two intervals in one range', events: [{ introduced: '1.0' }, { fixed: '1.2' }, { introduced: '2.0' }, { fixed: '2.2' }], affected: ['1.0', '1.1', '2.1'], safe: ['0.9', '1.2', '1.9', '2.2'] },
    { name: 'epochs order before everything else', events: [{ introduced: '1!0' }, { fixed: '1!2.0' }], affected: ['1!1.0', '1!0'], safe: ['5.0', '2024.1', '1!2.0'] },
    { name: 'pre-release fixed', events: [{ introduced: '0' }, { fixed: '3.0.0b2' }], affected: ['2.9', '3.0.0a1', '3.0.0b1'], safe: ['3.0.0b2', '3.0.0rc1', '3.0'] },
    { name: 'limit caps the range', events: [{ introduced: '0' }, { limit: '5.0' }], affected: ['4.9'], safe: ['5.0', '6'] },
    { name: 'non-PEP 440 event is skipped', events: [{ introduced: '1.0' }, { fixed: 'abc-not-a-version' }, { fixed: '1.4' }], affected: ['1.3'], safe: ['1.4', '0.9'] },
    { name: 'version spellings compare by PEP 440', events: [{ introduced: 'V1.0-ALPHA.1' }, { fixed: '1.0.0' }], affected: ['1.0a1', '1.0rc2'], safe: ['1.0', '1.0.0.0'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = withRanges([{ events: c.events }]);
      for (const v of c.affected) assert.equal(advisoryAffects(a, 'demo', v), true, `${v} should be affected`);
      for (const v of c.safe) assert.equal(advisoryAffects(a, 'demo', v), false, `${v} should be safe`);
    });
  }

  it('several ranges: affected when in any one', () => {
    const a = withRanges([{ events: [{ introduced: '0' }, { fixed: '1.0' }] }, { events: [{ introduced: '3.0' }, { fixed: '3.1' }] }]);
    assert.deepEqual(['0.5', '1.0', '2.0', '3.0.5', '3.1'].map((v) => advisoryAffects(a, 'demo', v)), [true, false, false, true, false]);
  });

  it('GIT and SEMVER ranges are ignored for PyPI versions', () => {
    const a = withRanges([
      { type: 'GIT', events: [{ introduced: '0' }, { fixed: '74ea7cf7a6a27a4eeb2ae24e162bcc942a6706d5' }] },
      { type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] },
    ]);
    assert.equal(advisoryAffects(a, 'demo', '1.0'), false);
  });

  it('accepts a parsed Version and any spelling of the project name', () => {
    const a = withRanges([{ events: [{ introduced: '0' }, { fixed: '2' }] }], undefined, 'Zope.Interface');
    assert.equal(a.affected[0]?.name, 'zope-interface');
    for (const name of ['zope.interface', 'ZOPE_INTERFACE', 'zope-interface', 'Zope..Interface']) {
      assert.equal(advisoryAffects(a, name, parseVersion('1.0')), true, name);
    }
    assert.equal(advisoryAffects(a, 'zopeinterface', '1.0'), false);
  });

  it('a local build is compared by its full version', () => {
    const a = withRanges([{ events: [{ introduced: '0' }, { fixed: '2.0' }] }]);
    assert.equal(advisoryAffects(a, 'demo', '1.9+internal.3'), true);
    assert.equal(advisoryAffects(a, 'demo', '2.0+internal.3'), false);
  });
});

describe('advisoryAffects: versions lists and withdrawn', () => {
  const cases: { name: string; versions: string[]; affected: string[]; safe: string[] }[] = [
    { name: 'PEP 440 equality', versions: ['1.0', '2.0.0-alpha2', '3.0.post1'], affected: ['1.0.0', '1', '2.0a2', '3.0-1', '1.0+local'], safe: ['1.0.1', '2.0a1', '3.0', '2.0'] },
    { name: 'a listed local version matches only itself', versions: ['1.0+abc'], affected: ['1.0+abc', '1.0+ABC'], safe: ['1.0', '1.0+abd'] },
    { name: 'non-PEP 440 entries match by text', versions: ['2004-final'], affected: ['2004-FINAL'], safe: ['2004'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = withRanges([], c.versions);
      for (const v of c.affected) assert.equal(advisoryAffects(a, 'demo', v), true, `${v} should be affected`);
      for (const v of c.safe) assert.equal(advisoryAffects(a, 'demo', v), false, `${v} should be safe`);
    });
  }

  it('a version list counts next to GIT-only ranges', () => {
    const a = withRanges([{ type: 'GIT', events: [{ introduced: '0' }, { fixed: 'abc' }] }], ['1.2']);
    assert.equal(advisoryAffects(a, 'demo', '1.2'), true);
    assert.equal(advisoryAffects(a, 'demo', '1.3'), false);
  });

  it('a withdrawn advisory affects nothing', () => {
    const a = parseOsvAdvisory(
      advisory({
        withdrawn: '2022-09-09T05:28:00Z',
        affected: [{ package: { ecosystem: 'PyPI', name: 'demo' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], versions: ['1.0'] }],
      }),
    );
    assert.equal(a.withdrawn, '2022-09-09T05:28:00Z');
    assert.equal(advisoryAffects(a, 'demo', '1.0'), false);
  });

  it('other ecosystems are dropped and never match', () => {
    const a = parseOsvAdvisory(
      advisory({
        affected: [
          { package: { ecosystem: 'npm', name: 'demo' }, versions: ['1.0'] },
          { package: { ecosystem: 'PyPI', name: 'other' }, versions: ['1.0'] },
        ],
      }),
    );
    assert.deepEqual(a.affected.map((e) => e.name), ['other']);
    assert.equal(advisoryAffects(a, 'demo', '1.0'), false);
    assert.equal(advisoryAffects(a, 'other', '1.0'), true);
  });
});

describe('fixedVersions', () => {
  it('lists the fixed events of ECOSYSTEM ranges, sorted and unique', () => {
    const a = withRanges([
      { events: [{ introduced: '2.0' }, { fixed: '2.0.3' }, { introduced: '0' }, { fixed: '1.2.0' }] },
      { events: [{ introduced: '0' }, { fixed: '1.2' }] },
      { type: 'GIT', events: [{ introduced: '0' }, { fixed: 'deadbeef' }] },
    ]);
    assert.deepEqual(fixedVersions(a, 'DEMO'), ['1.2.0', '2.0.3']);
    assert.deepEqual(fixedVersions(a, 'unrelated'), []);
  });
});

describe('severity', () => {
  const cvss: [string, number | null][] = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', 8.1],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 8.8],
    ['CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H', 9.1],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 5.5],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', 6.5],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:N', 0],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H', null],
    ['CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', null],
    ['CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', null],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', null],
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', null],
    ['', null],
  ];
  for (const [vector, score] of cvss) {
    it(`CVSS base score of ${vector || '(empty)'} is ${String(score)}`, () => assert.equal(cvss3BaseScore(vector), score));
  }

  const severities: [string, Record<string, unknown>, string, number | null][] = [
    ['GHSA word wins', { database_specific: { severity: 'MODERATE' }, severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] }, 'medium', 9.8],
    ['derived from CVSS v3', { severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] }, 'critical', 9.8],
    ['CVSS v4 only', { severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }] }, 'unknown', null],
    ['none', {}, 'unknown', null],
    ['unknown word falls through to CVSS', { database_specific: { severity: 'SEVERE' }, severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N' }] }, 'medium', 5.5],
    ['per-package word', { affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, ecosystem_specific: { severity: 'HIGH' } }] }, 'high', null],
  ];
  for (const [name, fields, severity, score] of severities) {
    it(name, () => {
      const a = parseOsvAdvisory(advisory(fields));
      assert.equal(a.severity, severity);
      assert.equal(a.cvssScore, score);
    });
  }

  it('thresholds: low takes everything, unknown is below low otherwise', () => {
    assert.equal(severityAtLeast('unknown', 'low'), true);
    assert.equal(severityAtLeast('unknown', 'medium'), false);
    assert.equal(severityAtLeast('high', 'medium'), true);
    assert.equal(severityAtLeast('medium', 'high'), false);
    assert.equal(severityAtLeast('critical', 'critical'), true);
  });
});

describe('parseOsvAdvisory', () => {
  it('reads a real PYSEC advisory and tolerates unknown fields', () => {
    const a = parseOsvAdvisory({
      id: 'PYSEC-2023-74',
      schema_version: '1.6.0',
      details: 'Requests is a HTTP library.',
      affected: [
        {
          package: { name: 'requests', ecosystem: 'PyPI', purl: 'pkg:pypi/requests' },
          ranges: [
            { type: 'GIT', repo: 'https://github.com/psf/requests', events: [{ introduced: '0' }, { fixed: '74ea7cf7' }] },
            { type: 'ECOSYSTEM', events: [{ introduced: '2.3.0' }, { fixed: '2.31.0' }] },
          ],
          versions: ['2.3.0', '2.30.0'],
          database_specific: { source: 'x' },
        },
      ],
      references: [{ type: 'ADVISORY', url: 'https://github.com/psf/requests/security/advisories/GHSA-j8r2-6x86-q33q' }],
      aliases: ['CVE-2023-32681', 'GHSA-j8r2-6x86-q33q'],
      modified: '2023-06-05T01:13:00.534973Z',
      published: '2023-05-26T18:15:00Z',
      credits: [{ name: 'someone' }],
    });
    assert.deepEqual(
      { id: a.id, aliases: a.aliases, summary: a.summary, withdrawn: a.withdrawn, severity: a.severity, refs: a.references.length, published: a.published },
      { id: 'PYSEC-2023-74', aliases: ['CVE-2023-32681', 'GHSA-j8r2-6x86-q33q'], summary: '', withdrawn: null, severity: 'unknown', refs: 1, published: '2023-05-26T18:15:00Z' },
    );
    assert.equal(advisoryAffects(a, 'requests', '2.28.1'), true);
    assert.equal(advisoryAffects(a, 'requests', '2.31.0'), false);
    assert.deepEqual(fixedVersions(a, 'requests'), ['2.31.0']);
  });

  const hostile: [string, unknown, RegExp][] = [
    ['not an object', [], /the document must be an object/],
    ['null', null, /the document must be an object/],
    ['no id', { modified: '2024-01-01T00:00:00Z' }, /id must be/],
    ['id with a path', advisory({ id: '../../etc/passwd' }), /id must be/],
    ['id too long', advisory({ id: 'A'.repeat(500) }), /id must be/],
    ['no modified', { id: 'X-1' }, /modified must be a string/],
    ['modified not a time', advisory({ modified: 'yesterday' }), /modified must be an RFC 3339 time/],
    ['aliases not an array', advisory({ aliases: 'CVE-1' }), /aliases must be an array/],
    ['alias not a string', advisory({ aliases: ['CVE-1', 7] }), /aliases\[1\] must be a string/],
    ['affected an object', advisory({ affected: {} }), /affected must be an array/],
    ['package name a number', advisory({ affected: [{ package: { ecosystem: 'PyPI', name: 3 } }] }), /affected\[0\]\.package\.name must be a string/],
    ['empty package name', advisory({ affected: [{ package: { ecosystem: 'PyPI', name: '' } }] }), /affected\[0\]\.package\.name must be a project name/],
    ['events not objects', advisory({ affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, ranges: [{ type: 'ECOSYSTEM', events: ['0'] }] }] }), /affected\[0\]\.ranges\[0\]\.events\[0\] must be an object/],
    ['event with two kinds', advisory({ affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1' }] }] }] }), /events\[0\] must have exactly one/],
    ['event with no kind', advisory({ affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, ranges: [{ type: 'ECOSYSTEM', events: [{ fixd: '1' }] }] }] }), /events\[0\] must have exactly one/],
    ['event version a number', advisory({ affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: 1.2 }] }] }] }), /events\[0\]\.fixed must be a string/],
    ['range without type', advisory({ affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, ranges: [{ events: [] }] }] }), /ranges\[0\]\.type must be a string/],
    ['versions of numbers', advisory({ affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, versions: [1] }] }), /versions\[0\] must be a string/],
    ['huge details', advisory({ details: 'x'.repeat(2 * 1024 * 1024) }), /details is \d+ characters long/],
    ['too many aliases', advisory({ aliases: new Array(100_001).fill('a') }), /aliases has 100001 items/],
    ['reference without url', advisory({ references: [{ type: 'WEB' }] }), /references\[0\]\.url must be a string/],
    ['severity score not a string', advisory({ severity: [{ type: 'CVSS_V3', score: 9.8 }] }), /severity\[0\]\.score must be a string/],
    ['wrong ecosystem type', advisory({ affected: [{ package: { ecosystem: ['PyPI'], name: 'x' } }] }), /package\.ecosystem must be a string/],
  ];
  for (const [name, json, message] of hostile) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => parseOsvAdvisory(json),
        (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_ADVISORY') && message.test(e.message),
      );
    });
  }

  it('JSON-ish prototype keys do not confuse it', () => {
    const a = parseOsvAdvisory(JSON.parse('{"id":"X-1","modified":"2024-01-01T00:00:00Z","__proto__":{"withdrawn":"2020-01-01T00:00:00Z"},"affected":[{"package":{"ecosystem":"PyPI","name":"x"},"versions":["1"]}]}'));
    assert.equal(a.withdrawn, null);
    assert.equal(advisoryAffects(a, 'x', '1'), true);
  });
});
