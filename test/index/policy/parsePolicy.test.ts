import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isPavedError } from '../../../src/errors.js';
import { DEFAULT_POLICY, defaultPolicy, type Policy } from '../../../src/index/policy/policy.js';
import { detectPolicyFormat, MAX_POLICY_BYTES, parsePolicy, renderPolicy, type PolicyFormat } from '../../../src/index/policy/parsePolicy.js';

const FULL_TOML = `
version = 1
allow-only = false
allow = ["flask>=3", { project = "Internal_Tools", reason = "ours" }]
deny = [
  "requests <2.20",
  { project = "evil-pkg", reason = "malware seen 2026-03" },
  { project = "urllib3", specifier = "<1.26.5", reason = "CVE-2021-33503" },
]

[release-age]
enabled = true
min-days = 3
applies-to = ["upstream"]
exempt = ["certifi", "tzdata>=2024.1"]
unknown-upload-time = "quarantine"

[vulnerabilities]
block = "critical"
quarantine = "low"
unknown-severity = "high"
ignore = ["GHSA-9wx4-h78v-vm56", "PYSEC-2023-74"]

[malware]
block = "high"
quarantine = "medium"
applies-to = ["upstream", "uploads"]

[typosquatting]
action = "block"
popular-count = 8000
max-distance = 2
exempt = ["reqeusts-mock"]

[licenses]
enabled = true
allow = ["MIT", "BSD-*", "apache-2.0", "PSF-2.0"]
deny = ["AGPL-*", "GPL-3.0+"]
action = "block"
unknown = "quarantine"
`;

const FULL_YAML = `
version: 1
allow-only: false
allow:
  - flask>=3
  - project: Internal_Tools
    reason: ours
deny:
  - requests <2.20
  - project: evil-pkg
    reason: malware seen 2026-03
  - { project: urllib3, specifier: "<1.26.5", reason: CVE-2021-33503 }
release-age:
  enabled: true
  min-days: 3
  applies-to: [upstream]
  exempt: [certifi, "tzdata>=2024.1"]
  unknown-upload-time: quarantine
vulnerabilities:
  block: critical
  quarantine: low
  unknown-severity: high
  ignore: [GHSA-9wx4-h78v-vm56, PYSEC-2023-74]
malware:
  block: high
  quarantine: medium
  applies-to: [upstream, uploads]
typosquatting:
  action: block
  popular-count: 8000
  max-distance: 2
  exempt: [reqeusts-mock]
licenses:
  enabled: true
  allow: [MIT, BSD-*, apache-2.0, PSF-2.0]
  deny: [AGPL-*, GPL-3.0+]
  action: block
  unknown: quarantine
`;

function expectedFull(): Policy {
  const p = defaultPolicy();
  p.allow = [
    { project: 'flask', specifier: '>=3', reason: null },
    { project: 'internal-tools', specifier: '', reason: 'ours' },
  ];
  p.deny = [
    { project: 'requests', specifier: '<2.20', reason: null },
    { project: 'evil-pkg', specifier: '', reason: 'malware seen 2026-03' },
    { project: 'urllib3', specifier: '<1.26.5', reason: 'CVE-2021-33503' },
  ];
  p.releaseAge = {
    enabled: true,
    minDays: 3,
    appliesTo: { upstream: true, uploads: false },
    exempt: [
      { project: 'certifi', specifier: '', reason: null },
      { project: 'tzdata', specifier: '>=2024.1', reason: null },
    ],
    unknownUploadTime: 'quarantine',
  };
  p.vulnerabilities = { ...p.vulnerabilities, block: 'critical', quarantine: 'low', unknownSeverity: 'high', ignore: ['GHSA-9wx4-h78v-vm56', 'PYSEC-2023-74'] };
  p.malware = { ...p.malware, block: 'high', quarantine: 'medium' };
  p.typosquatting = { ...p.typosquatting, action: 'block', popularCount: 8000, maxDistance: 2, exempt: ['reqeusts-mock'] };
  p.licenses = { ...p.licenses, enabled: true, allow: ['MIT', 'BSD-*', 'Apache-2.0', 'PSF-2.0'], deny: ['AGPL-*', 'GPL-3.0-or-later'], action: 'block', unknown: 'quarantine' };
  return p;
}

function expectInvalid(text: string, format: PolicyFormat, ...patterns: RegExp[]): void {
  assert.throws(
    () => parsePolicy(text, format),
    (error: unknown) => {
      assert.ok(isPavedError(error, 'PAVED_E_INVALID_POLICY'), `expected PAVED_E_INVALID_POLICY, got ${String(error)}`);
      for (const pattern of patterns) assert.match(error.message, pattern);
      assert.ok(error.hint !== undefined && error.hint.length > 0, 'has a hint');
      return true;
    },
  );
}

describe('parsePolicy', () => {
  for (const [format, text] of [
    ['toml', FULL_TOML],
    ['yaml', FULL_YAML],
  ] as const) {
    it(`reads a full ${format} policy`, () => assert.deepEqual(parsePolicy(text, format), expectedFull()));
    it(`an empty ${format} file is the default policy`, () => {
      assert.deepEqual(parsePolicy('', format), DEFAULT_POLICY);
      assert.deepEqual(parsePolicy('# nothing but a comment\n', format), DEFAULT_POLICY);
    });
  }

  it('keeps defaults for keys left out of a section', () => {
    const p = parsePolicy('[release-age]\nmin-days = 14\n', 'toml');
    assert.equal(p.releaseAge.minDays, 14);
    assert.equal(p.releaseAge.enabled, true);
    assert.deepEqual(p.releaseAge.appliesTo, DEFAULT_POLICY.releaseAge.appliesTo);
  });

  it('accepts "auto" and "none"', () => {
    const p = parsePolicy('typosquatting:\n  max-distance: auto\nvulnerabilities:\n  block: none\nmalware:\n  quarantine: none\n', 'yaml');
    assert.equal(p.typosquatting.maxDistance, null);
    assert.equal(p.vulnerabilities.block, 'none');
    assert.equal(p.malware.quarantine, 'none');
  });

  it('the shipped docs/policy.md examples parse to the same policy', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/policy.md', import.meta.url)), 'utf8');
    const toml = /```toml\n([\s\S]*?)```/.exec(doc)?.[1];
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(toml !== undefined && yaml !== undefined, 'docs/policy.md has a toml and a yaml example');
    assert.deepEqual(parsePolicy(yaml, 'yaml'), parsePolicy(toml, 'toml'));
  });
});

describe('parsePolicy errors name the key path', () => {
  const cases: [string, string, PolicyFormat, RegExp[]][] = [
    ['bad specifier in a table', 'deny = ["a", "b", { project = "c", specifier = ">=1,<" }]', 'toml', [/deny\[2\]\.specifier: Invalid version specifier/]],
    ['bad specifier in a string', 'deny:\n  - a\n  - b\n  - c >=1,<\n', 'yaml', [/deny\[2\]: Invalid version specifier/]],
    ['bad name', 'allow = ["-bad-"]', 'toml', [/allow\[0\]: invalid project name "-bad-"/]],
    ['name too long', `deny = ["${'a'.repeat(300)}"]`, 'toml', [/deny\[0\]: project name is 300 characters long/]],
    ['extras refused', 'deny = ["requests[socks]"]', 'toml', [/deny\[0\]: .*no extras, markers or URLs/]],
    ['markers refused', "deny:\n  - \"requests; python_version < '3.8'\"\n", 'yaml', [/deny\[0\]: .*no extras, markers or URLs/]],
    ['missing project', 'deny = [{ specifier = "<2" }]', 'toml', [/deny\[0\]\.project: is required/]],
    ['unknown key in a rule', 'deny = [{ project = "x", version = "<2" }]', 'toml', [/deny\[0\]\.version: unknown key/]],
    ['unknown top-level key, with a suggestion', 'allow_only = true', 'toml', [/allow_only: unknown key; did you mean "allow-only"\?/]],
    ['camelCase key, with a suggestion', 'release-age:\n  minDays: 3\n', 'yaml', [/release-age\.minDays: unknown key; did you mean "min-days"\?/]],
    ['unknown section', '[mirror]\nurl = "x"', 'toml', [/mirror: unknown key \(known here: version, allow-only/]],
    ['wrong type: boolean', 'allow-only = "yes"', 'toml', [/allow-only: must be true or false, not the string "yes"/]],
    ['YAML 1.1 yes is not a boolean', 'allow-only: yes\n', 'yaml', [/allow-only: must be true or false/]],
    ['wrong type: number', '[release-age]\nmin-days = "7"', 'toml', [/release-age\.min-days: must be a number/]],
    ['out of range', '[release-age]\nmin-days = -1', 'toml', [/release-age\.min-days: must be between 0 and 3650, not -1/]],
    ['not a whole number', '[typosquatting]\npopular-count = 10.5', 'toml', [/typosquatting\.popular-count: must be a whole number/]],
    ['bad max-distance', 'typosquatting:\n  max-distance: far\n', 'yaml', [/typosquatting\.max-distance: must be "auto" or a whole number/]],
    ['bad choice', '[vulnerabilities]\nblock = "severe"', 'toml', [/vulnerabilities\.block: must be one of "low", "medium", "high", "critical", "none", not the string "severe"/]],
    ['bad applies-to', '[malware]\napplies-to = ["upstream", "mirror"]', 'toml', [/malware\.applies-to\[1\]: must be one of "upstream", "uploads"/]],
    ['section not a table', 'release-age = 7', 'toml', [/release-age: must be a table, not number 7/]],
    ['list expected', '[licenses]\nallow = "MIT"', 'toml', [/licenses\.allow: must be a list/]],
    ['free-text licence', '[licenses]\nallow = ["MIT", "Apache 2.0"]', 'toml', [/licenses\.allow\[1\]: "Apache 2.0" is not an SPDX licence id \(Did you mean "Apache-2.0"\?\)/]],
    ['licence expression', 'licenses:\n  deny: ["GPL-2.0 OR MIT"]\n', 'yaml', [/licenses\.deny\[0\]: .*is an expression/]],
    ['bad advisory id', '[vulnerabilities]\nignore = ["not an id!"]', 'toml', [/vulnerabilities\.ignore\[0\]: "not an id!" is not an advisory id/]],
    ['specifier on a typosquat exemption', '[typosquatting]\nexempt = ["reqeusts>=1"]', 'toml', [/typosquatting\.exempt\[0\]: .*only a project name belongs here/]],
    ['wrong version', 'version = 2', 'toml', [/version: must be 1/]],
    ['top level not a table', '- deny\n- allow\n', 'yaml', [/invalid policy: must be a table, not a list/]],
    ['a date where a string belongs', 'deny = [1979-05-27]', 'toml', [/deny\[0\]: must be a string like "requests<2.20" or a table/]],
    ['several problems at once', 'allow-only = 1\n[release-age]\nmin_days = 3\n[licenses]\naction = "warn"', 'toml', [/\(3 problems\)/, /allow-only: /, /release-age\.min_days: /, /licenses\.action: /]],
    ['TOML syntax error', '[release-age\nmin-days = 3', 'toml', [/policy is not valid TOML/]],
    ['YAML syntax error', 'deny: [a, b\n', 'yaml', [/policy is not valid YAML/]],
    ['duplicate YAML key', 'allow-only: true\nallow-only: false\n', 'yaml', [/policy is not valid YAML/]],
    ['several YAML documents', 'allow-only: true\n---\nallow-only: false\n', 'yaml', [/policy is not valid YAML/]],
    ['YAML merge keys are not a feature', 'base: &b { enabled: false }\nmalware:\n  <<: *b\n', 'yaml', [/base: unknown key/]],
  ];
  for (const [name, text, format, patterns] of cases) {
    it(`${name} (${format})`, () => expectInvalid(text, format, ...patterns));
  }

  it('caps the number of problems shown', () => {
    const text = `deny = [${Array.from({ length: 50 }, () => '"-bad"').join(', ')}]`;
    expectInvalid(text, 'toml', /\(50 problems\)/, /and 30 more$/);
  });
});

describe('hostile policy text', () => {
  it('refuses more than 1 MiB before parsing', () => {
    const text = `# ${'x'.repeat(MAX_POLICY_BYTES)}\n`;
    expectInvalid(text, 'toml', /more than the 1048576 allowed/);
    expectInvalid(text, 'yaml', /more than the 1048576 allowed/);
  });

  it('refuses deep nesting in both formats', () => {
    expectInvalid(`x = ${'['.repeat(5000)}${']'.repeat(5000)}`, 'toml', /not valid TOML/);
    expectInvalid(`x: ${'['.repeat(5000)}${']'.repeat(5000)}`, 'yaml', /deeper than 16/);
    expectInvalid(`x: ${'{a: '.repeat(2000)}1${'}'.repeat(2000)}`, 'yaml', /deeper than 16/);
  });

  it('survives deep block nesting the bracket check cannot see', () => {
    const text = Array.from({ length: 400 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n';
    expectInvalid(text, 'yaml', /k0: unknown key/);
  });

  it('refuses an alias bomb', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    expectInvalid(lines.join('\n'), 'yaml', /not valid YAML|unknown key/);
  });

  it('does not let __proto__ or constructor keys change anything', () => {
    expectInvalid('__proto__:\n  allow-only: true\n', 'yaml', /__proto__: unknown key/);
    expectInvalid('[__proto__]\nallow-only = true\n', 'toml', /__proto__: unknown key/);
    expectInvalid('deny = [{ project = "x", constructor = 1 }]', 'toml', /deny\[0\]\.constructor: unknown key/);
    assert.equal(({} as Record<string, unknown>)['allow-only'], undefined);
  });

  it('refuses NUL bytes, custom tags and huge lists', () => {
    expectInvalid('allow-only = true\0', 'toml', /NUL/);
    expectInvalid('deny: [!!binary aGVsbG8=]\n', 'yaml', /deny\[0\]/);
    expectInvalid(`deny = [${Array(10_001).fill('"a"').join(',')}]`, 'toml', /more than the 10000 allowed/);
  });

  it('shows a hostile long value shortened', () => {
    assert.throws(
      () => parsePolicy(`allow-only = "${'y'.repeat(5000)}"`, 'toml'),
      (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_POLICY') && error.message.length < 300,
    );
  });
});

describe('renderPolicy', () => {
  for (const format of ['toml', 'yaml'] as const) {
    it(`${format}: what it writes reads back to the same policy`, () => {
      for (const policy of [DEFAULT_POLICY, expectedFull()]) {
        const text = renderPolicy(policy, format);
        assert.deepEqual(parsePolicy(text, format), policy);
        assert.equal(detectPolicyFormat('policy', text), format);
      }
    });
  }

  it('writes every key, kebab-case', () => {
    const text = renderPolicy(DEFAULT_POLICY, 'toml');
    for (const key of ['allow-only', 'min-days', 'unknown-upload-time', 'unknown-severity', 'popular-count', 'max-distance = "auto"', 'applies-to']) {
      assert.ok(text.includes(key), key);
    }
  });
});

describe('detectPolicyFormat', () => {
  const cases: [string, string, PolicyFormat][] = [
    ['policy.toml', '', 'toml'],
    ['POLICY.YAML', '', 'yaml'],
    ['policy.yml', '', 'yaml'],
    ['policy.json', '{}', 'yaml'],
    ['policy', '# comment\n\n[release-age]\nmin-days = 3\n', 'toml'],
    ['policy', 'allow-only = true\n', 'toml'],
    ['policy', '# comment\nrelease-age:\n  min-days: 3\n', 'yaml'],
    ['-', '---\nallow-only: true\n', 'yaml'],
  ];
  for (const [filename, text, format] of cases) {
    it(`${filename} ${JSON.stringify(text.slice(0, 20))} → ${format}`, () => assert.equal(detectPolicyFormat(filename, text), format));
  }

  it('refuses text that is neither', () => {
    assert.throws(() => detectPolicyFormat('policy', 'hello world\n'), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_POLICY') && /\.toml or \.yaml/.test(error.hint ?? ''));
    assert.throws(() => detectPolicyFormat('policy', ''), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_POLICY'));
  });
});
