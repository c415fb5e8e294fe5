import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCoreMetadata } from '../../../src/standards/coreMetadata.js';
import type { Finding } from '../../../src/index/scan/findings.js';
import { defaultPolicy, type Policy } from '../../../src/index/policy/policy.js';
import {
  evaluateFile,
  evaluateProject,
  summarizeProjectStatus,
  type AdvisoryFacts,
  type Approval,
  type EvaluationContext,
  type FileFacts,
  type Verdict,
} from '../../../src/index/policy/evaluateFile.js';
import { createTyposquatDetector } from '../../../src/index/policy/typosquatting.js';

const NOW = new Date('2026-04-20T12:00:00Z');
const OLD = '2026-01-01T00:00:00Z';
const detector = createTyposquatDetector(['requests', 'django', 'numpy', 'flask']);

function facts(fields: Partial<FileFacts> = {}): FileFacts {
  return {
    project: 'demo',
    version: '1.0',
    filename: 'demo-1.0-py3-none-any.whl',
    source: 'upstream',
    uploadTime: OLD,
    metadata: parseCoreMetadata('Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-Expression: MIT\n'),
    advisories: [],
    scan: [],
    ...fields,
  };
}

function context(fields: Partial<EvaluationContext> = {}): EvaluationContext {
  return { now: NOW, approvals: [], typosquat: detector, ...fields };
}

function policy(edit: (p: Policy) => void = () => {}): Policy {
  const p = defaultPolicy();
  edit(p);
  return p;
}

function advisory(id: string, severity: AdvisoryFacts['severity'], extra: Partial<AdvisoryFacts> = {}): AdvisoryFacts {
  return { id, aliases: [], summary: `problem ${id}`, severity, withdrawn: null, ...extra };
}

function scanFinding(rule: string, severity: Finding['severity'], line: number | null = 3): Finding {
  return { rule, severity, file: 'setup.py', line, message: `${rule} found`, excerpt: null };
}

function approval(fields: Partial<Approval>): Approval {
  return { project: 'demo', version: null, filename: null, action: 'allow', by: 'alice', reason: 'reviewed', at: '2026-04-19T00:00:00Z', ...fields };
}

function rules(verdict: Verdict): string[] {
  return verdict.findings.map((f) => `${f.rule}:${f.action}`);
}

describe('evaluateFile: each rule', () => {
  const cases: { name: string; policy?: Policy; facts?: Partial<FileFacts>; ctx?: Partial<EvaluationContext>; action: string; fired: string[]; until?: string | null }[] = [
    { name: 'a clean, old file is allowed', action: 'allow', fired: [] },
    { name: 'deny by name blocks every version', policy: policy((p) => p.deny.push({ project: 'demo', specifier: '', reason: 'no' })), action: 'block', fired: ['deny:block'] },
    { name: 'deny with a specifier blocks matching versions', policy: policy((p) => p.deny.push({ project: 'demo', specifier: '<2', reason: null })), action: 'block', fired: ['deny:block'] },
    { name: 'deny with a specifier spares other versions', policy: policy((p) => p.deny.push({ project: 'demo', specifier: '<1', reason: null })), action: 'allow', fired: [] },
    { name: 'deny covers pre-releases in range', policy: policy((p) => p.deny.push({ project: 'demo', specifier: '<2', reason: null })), facts: { version: '1.5rc1' }, action: 'block', fired: ['deny:block'] },
    { name: 'allow-only: unlisted project blocked', policy: policy((p) => (p.allowOnly = true)), action: 'block', fired: ['allow-only:block'] },
    { name: 'allow-only: listed project allowed', policy: policy((p) => ((p.allowOnly = true), p.allow.push({ project: 'demo', specifier: '', reason: null }))), action: 'allow', fired: [] },
    { name: 'allow-only: version outside the listed range blocked', policy: policy((p) => ((p.allowOnly = true), p.allow.push({ project: 'demo', specifier: '>=2', reason: null }))), action: 'block', fired: ['allow-only:block'] },
    { name: 'release age holds a young upstream file until upload + minDays', facts: { uploadTime: '2026-04-18T12:00:00Z' }, action: 'quarantine', fired: ['release-age:quarantine'], until: '2026-04-25T12:00:00.000Z' },
    { name: 'release age honours fractional days', policy: policy((p) => (p.releaseAge.minDays = 0.5)), facts: { uploadTime: '2026-04-20T06:00:00Z' }, action: 'quarantine', fired: ['release-age:quarantine'], until: '2026-04-20T18:00:00.000Z' },
    { name: 'release age does not apply to uploads by default', facts: { uploadTime: '2026-04-20T11:00:00Z', source: 'upload' }, action: 'allow', fired: [] },
    { name: 'release age exempt project', policy: policy((p) => p.releaseAge.exempt.push({ project: 'demo', specifier: '', reason: null })), facts: { uploadTime: '2026-04-20T11:00:00Z' }, action: 'allow', fired: [] },
    { name: 'release age exempt only for matching versions', policy: policy((p) => p.releaseAge.exempt.push({ project: 'demo', specifier: '>=2', reason: null })), facts: { uploadTime: '2026-04-20T11:00:00Z' }, action: 'quarantine', fired: ['release-age:quarantine'], until: '2026-04-27T11:00:00.000Z' },
    { name: 'release age disabled', policy: policy((p) => (p.releaseAge.enabled = false)), facts: { uploadTime: '2026-04-20T11:00:00Z' }, action: 'allow', fired: [] },
    { name: 'unknown upload time is allowed by default', facts: { uploadTime: null }, action: 'allow', fired: [] },
    { name: 'unknown upload time can be held for review', policy: policy((p) => (p.releaseAge.unknownUploadTime = 'quarantine')), facts: { uploadTime: 'not a date' }, action: 'quarantine', fired: ['release-age:quarantine'], until: null },
    { name: 'critical advisory blocks', facts: { advisories: [advisory('GHSA-1', 'critical')] }, action: 'block', fired: ['vulnerability:block'] },
    { name: 'high advisory blocks (default threshold)', facts: { advisories: [advisory('GHSA-1', 'high')] }, action: 'block', fired: ['vulnerability:block'] },
    { name: 'medium advisory quarantines', facts: { advisories: [advisory('GHSA-1', 'medium')] }, action: 'quarantine', fired: ['vulnerability:quarantine'], until: null },
    { name: 'low advisory is shown but allowed', facts: { advisories: [advisory('GHSA-1', 'low')] }, action: 'allow', fired: ['vulnerability:allow'] },
    { name: 'unknown severity counts as medium by default', facts: { advisories: [advisory('PYSEC-1', 'unknown')] }, action: 'quarantine', fired: ['vulnerability:quarantine'] },
    { name: 'unknown severity counted as critical when configured', policy: policy((p) => (p.vulnerabilities.unknownSeverity = 'critical')), facts: { advisories: [advisory('PYSEC-1', 'unknown')] }, action: 'block', fired: ['vulnerability:block'] },
    { name: 'withdrawn advisory ignored', facts: { advisories: [advisory('GHSA-1', 'critical', { withdrawn: '2025-01-01T00:00:00Z' })] }, action: 'allow', fired: [] },
    { name: 'ignored advisory (by alias, any case) is noted, not acted on', policy: policy((p) => p.vulnerabilities.ignore.push('cve-2024-1')), facts: { advisories: [advisory('GHSA-1', 'critical', { aliases: ['CVE-2024-1'] })] }, action: 'allow', fired: ['vulnerability:allow'] },
    { name: 'block threshold none only quarantines', policy: policy((p) => ((p.vulnerabilities.block = 'none'), (p.vulnerabilities.quarantine = 'low'))), facts: { advisories: [advisory('GHSA-1', 'critical')] }, action: 'quarantine', fired: ['vulnerability:quarantine'] },
    { name: 'vulnerabilities disabled', policy: policy((p) => (p.vulnerabilities.enabled = false)), facts: { advisories: [advisory('GHSA-1', 'critical')] }, action: 'allow', fired: [] },
    { name: 'critical scanner finding blocks', facts: { scan: [scanFinding('install-time-download', 'critical')] }, action: 'block', fired: ['malware:block'] },
    { name: 'high scanner finding quarantines', facts: { scan: [scanFinding('obfuscation', 'high')] }, action: 'quarantine', fired: ['malware:quarantine'], until: null },
    { name: 'scanner findings below the threshold do not fire', facts: { scan: [scanFinding('long-line', 'medium'), scanFinding('note', 'info')] }, action: 'allow', fired: [] },
    { name: 'typosquat quarantines', facts: { project: 'reqeusts' }, action: 'quarantine', fired: ['typosquatting:quarantine'], until: null },
    { name: 'typosquat set to block', policy: policy((p) => (p.typosquatting.action = 'block')), facts: { project: 'djnago' }, action: 'block', fired: ['typosquatting:block'] },
    { name: 'typosquat exempt', policy: policy((p) => p.typosquatting.exempt.push('reqeusts')), facts: { project: 'reqeusts' }, action: 'allow', fired: [] },
    { name: 'a name on the allow list is not a typosquat', policy: policy((p) => p.allow.push({ project: 'reqeusts', specifier: '', reason: null })), facts: { project: 'reqeusts' }, action: 'allow', fired: [] },
    { name: 'typosquat does not apply to uploads by default', facts: { project: 'reqeusts', source: 'upload' }, action: 'allow', fired: [] },
    { name: 'typosquat skipped without a detector', facts: { project: 'reqeusts' }, ctx: { typosquat: null }, action: 'allow', fired: [] },
    {
      name: 'licence denied',
      policy: policy((p) => ((p.licenses.enabled = true), (p.licenses.deny = ['GPL-*']))),
      facts: { metadata: parseCoreMetadata('Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-Expression: GPL-3.0-only\n') },
      action: 'quarantine',
      fired: ['license:quarantine'],
    },
    {
      name: 'licence denied, block action',
      policy: policy((p) => ((p.licenses.enabled = true), (p.licenses.deny = ['GPL-*']), (p.licenses.action = 'block'))),
      facts: { metadata: parseCoreMetadata('Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nClassifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)\n') },
      action: 'block',
      fired: ['license:block'],
    },
    { name: 'licence acceptable', policy: policy((p) => ((p.licenses.enabled = true), (p.licenses.allow = ['MIT']))), action: 'allow', fired: [] },
    {
      name: 'unknown licence with unknown = quarantine',
      policy: policy((p) => ((p.licenses.enabled = true), (p.licenses.unknown = 'quarantine'))),
      facts: { metadata: parseCoreMetadata('Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n') },
      action: 'quarantine',
      fired: ['license:quarantine'],
    },
    { name: 'licence rule off by default', facts: { metadata: parseCoreMetadata('Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-Expression: AGPL-3.0-only\n') }, action: 'allow', fired: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const verdict = evaluateFile(c.policy ?? policy(), facts(c.facts), context(c.ctx));
      assert.equal(verdict.action, c.action);
      assert.deepEqual(rules(verdict), c.fired);
      if (c.until !== undefined) assert.equal(verdict.until, c.until);
      if (verdict.action !== 'quarantine') assert.equal(verdict.until, null);
    });
  }

  it('scanner findings name file, line and rule', () => {
    const verdict = evaluateFile(policy(), facts({ scan: [scanFinding('exec-base64', 'critical', 12), scanFinding('pth-file', 'high', null)] }), context());
    assert.deepEqual(
      verdict.findings.map((f) => [f.ref, f.file, f.line]),
      [
        ['exec-base64', 'setup.py', 12],
        ['pth-file', 'setup.py', null],
      ],
    );
    assert.match(verdict.findings[0]?.message ?? '', /exec-base64 \(critical\) at setup\.py:12/);
  });

  it('advisory findings name the advisory', () => {
    const verdict = evaluateFile(policy(), facts({ advisories: [advisory('GHSA-abcd', 'high')] }), context());
    assert.equal(verdict.findings[0]?.ref, 'GHSA-abcd');
    assert.match(verdict.findings[0]?.message ?? '', /GHSA-abcd \(high\): problem GHSA-abcd/);
  });

  it('marks rules it could not judge yet as pending', () => {
    const p = policy((x) => (x.licenses.enabled = true));
    const verdict = evaluateFile(p, facts({ scan: null, metadata: null }), context());
    assert.equal(verdict.action, 'allow');
    assert.deepEqual(verdict.pending, ['malware', 'license']);
    assert.deepEqual(evaluateFile(p, facts(), context()).pending, []);
  });

  it('normalises the project name of the facts', () => {
    const p = policy((x) => x.deny.push({ project: 'demo-pkg', specifier: '', reason: null }));
    assert.equal(evaluateFile(p, facts({ project: 'Demo_Pkg' }), context()).action, 'block');
  });
});

describe('evaluateFile: time', () => {
  const young = facts({ uploadTime: '2026-04-18T12:00:00Z' });
  const cases: [string, string, string | null][] = [
    ['2026-04-18T12:00:00Z', 'quarantine', '2026-04-25T12:00:00.000Z'],
    ['2026-04-25T11:59:59.999Z', 'quarantine', '2026-04-25T12:00:00.000Z'],
    ['2026-04-25T12:00:00Z', 'allow', null],
    ['2027-01-01T00:00:00Z', 'allow', null],
  ];
  for (const [now, action, until] of cases) {
    it(`at ${now} → ${action}`, () => {
      const verdict = evaluateFile(policy(), young, context({ now: new Date(now) }));
      assert.equal(verdict.action, action);
      assert.equal(verdict.until, until);
    });
  }

  it('a hold that also waits for an admin has no end time', () => {
    const verdict = evaluateFile(policy(), facts({ uploadTime: '2026-04-18T12:00:00Z', advisories: [advisory('GHSA-1', 'medium')] }), context());
    assert.equal(verdict.action, 'quarantine');
    assert.equal(verdict.until, null);
  });
});

describe('evaluateFile: precedence', () => {
  const denied = policy((p) => p.deny.push({ project: 'demo', specifier: '', reason: 'banned' }));
  const lockedDown = policy((p) => (p.allowOnly = true));
  const young = { uploadTime: '2026-04-19T00:00:00Z' };
  const critical = { advisories: [advisory('GHSA-9', 'critical')] };
  const malware = { scan: [scanFinding('exec-base64', 'critical')] };

  const cases: { name: string; policy: Policy; facts: Partial<FileFacts>; approvals: Approval[]; action: string; approvedBy: string | null; fired: string[] }[] = [
    { name: 'block approval beats a clean file', policy: policy(), facts: {}, approvals: [approval({ action: 'block', by: 'bob' })], action: 'block', approvedBy: 'bob', fired: ['approval:block'] },
    { name: 'allow approval does not beat the deny list', policy: denied, facts: {}, approvals: [approval({ action: 'allow' })], action: 'block', approvedBy: null, fired: ['deny:block', 'approval:allow'] },
    { name: 'block approval and deny agree; the approval is credited', policy: denied, facts: {}, approvals: [approval({ action: 'block', by: 'bob' })], action: 'block', approvedBy: 'bob', fired: ['approval:block', 'deny:block'] },
    { name: 'allow approval beats allow-only', policy: lockedDown, facts: {}, approvals: [approval({})], action: 'allow', approvedBy: 'alice', fired: ['allow-only:block', 'approval:allow'] },
    { name: 'allow approval beats a vulnerability block', policy: policy(), facts: critical, approvals: [approval({ version: '1.0' })], action: 'allow', approvedBy: 'alice', fired: ['vulnerability:block', 'approval:allow'] },
    { name: 'allow approval beats a malware block', policy: policy(), facts: malware, approvals: [approval({ filename: 'demo-1.0-py3-none-any.whl' })], action: 'allow', approvedBy: 'alice', fired: ['malware:block', 'approval:allow'] },
    { name: 'allow approval ends a release-age hold early', policy: policy(), facts: young, approvals: [approval({ version: '1.0' })], action: 'allow', approvedBy: 'alice', fired: ['release-age:quarantine', 'approval:allow'] },
    { name: 'an approval for another version does not apply', policy: policy(), facts: young, approvals: [approval({ version: '2.0' })], action: 'quarantine', approvedBy: null, fired: ['release-age:quarantine'] },
    { name: 'an approval for another file does not apply', policy: policy(), facts: critical, approvals: [approval({ filename: 'demo-1.0.tar.gz' })], action: 'block', approvedBy: null, fired: ['vulnerability:block'] },
    { name: 'an approval matches equivalent version spellings', policy: policy(), facts: { ...young, version: '1.0.0' }, approvals: [approval({ version: '1.0' })], action: 'allow', approvedBy: 'alice', fired: ['release-age:quarantine', 'approval:allow'] },
    { name: 'an approval for another project does not apply', policy: policy(), facts: young, approvals: [approval({ project: 'other' })], action: 'quarantine', approvedBy: null, fired: ['release-age:quarantine'] },
    {
      name: 'the most specific approval wins: file allow over project block',
      policy: policy(),
      facts: {},
      approvals: [approval({ action: 'block', by: 'bob' }), approval({ filename: 'demo-1.0-py3-none-any.whl', by: 'carol' })],
      action: 'allow',
      approvedBy: 'carol',
      fired: ['approval:allow'],
    },
    {
      name: 'between equally specific approvals the latest wins',
      policy: policy(),
      facts: {},
      approvals: [approval({ version: '1.0', action: 'allow', at: '2026-04-01T00:00:00Z' }), approval({ version: '1.0', action: 'block', by: 'bob', at: '2026-04-10T00:00:00Z' })],
      action: 'block',
      approvedBy: 'bob',
      fired: ['approval:block'],
    },
    { name: 'allow-only block beats quarantine rules', policy: lockedDown, facts: young, approvals: [], action: 'block', approvedBy: null, fired: ['allow-only:block', 'release-age:quarantine'] },
    { name: 'vulnerability block beats release age', policy: policy(), facts: { ...young, ...critical }, approvals: [], action: 'block', approvedBy: null, fired: ['vulnerability:block', 'release-age:quarantine'] },
    {
      name: 'every rule that fired is listed, strongest first',
      policy: policy(),
      facts: { ...young, project: 'reqeusts', advisories: [advisory('GHSA-2', 'medium')], scan: [scanFinding('x', 'critical')] },
      approvals: [],
      action: 'block',
      approvedBy: null,
      fired: ['malware:block', 'vulnerability:quarantine', 'typosquatting:quarantine', 'release-age:quarantine'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const verdict = evaluateFile(c.policy, facts(c.facts), context({ approvals: c.approvals }));
      assert.equal(verdict.action, c.action);
      assert.equal(verdict.approvedBy, c.approvedBy);
      assert.deepEqual(rules(verdict), c.fired);
    });
  }

  it('the approval finding says who, when and why', () => {
    const verdict = evaluateFile(policy(), facts(young), context({ approvals: [approval({ reason: 'security review #42' })] }));
    assert.match(verdict.findings.find((f) => f.rule === 'approval')?.message ?? '', /approved by alice at 2026-04-19T00:00:00Z: security review #42/);
  });
});

describe('evaluateProject', () => {
  const base = { approvals: [] as Approval[], typosquat: detector };
  const cases: { name: string; policy: Policy; project: string; approvals?: Approval[]; action: string; fired: string[] }[] = [
    { name: 'an ordinary project: decide per file', policy: policy(), project: 'demo', action: 'allow', fired: [] },
    { name: 'deny without specifier blocks the project', policy: policy((p) => p.deny.push({ project: 'demo', specifier: '', reason: null })), project: 'Demo', action: 'block', fired: ['deny:block'] },
    { name: 'deny with a specifier is left to the files', policy: policy((p) => p.deny.push({ project: 'demo', specifier: '<2', reason: null })), project: 'demo', action: 'allow', fired: [] },
    { name: 'allow-only and not listed: blocked', policy: policy((p) => (p.allowOnly = true)), project: 'demo', action: 'block', fired: ['allow-only:block'] },
    { name: 'allow-only and listed with a range: per file', policy: policy((p) => ((p.allowOnly = true), p.allow.push({ project: 'demo', specifier: '>=2', reason: null }))), project: 'demo', action: 'allow', fired: [] },
    { name: 'typosquat: the whole project is held', policy: policy(), project: 'reqeusts', action: 'quarantine', fired: ['typosquatting:quarantine'] },
    { name: 'project-level allow approval lifts allow-only', policy: policy((p) => (p.allowOnly = true)), project: 'demo', approvals: [approval({})], action: 'allow', fired: ['allow-only:block', 'approval:allow'] },
    { name: 'project-level block approval blocks', policy: policy(), project: 'demo', approvals: [approval({ action: 'block' })], action: 'block', fired: ['approval:block'] },
    { name: 'a version approval means decide per file', policy: policy((p) => (p.allowOnly = true)), project: 'demo', approvals: [approval({ version: '1.0' })], action: 'allow', fired: ['allow-only:block'] },
    { name: 'a version approval does not lift the deny list', policy: policy((p) => p.deny.push({ project: 'demo', specifier: '', reason: null })), project: 'demo', approvals: [approval({ version: '1.0' })], action: 'block', fired: ['deny:block'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const verdict = evaluateProject(c.policy, c.project, { ...base, approvals: c.approvals ?? [] });
      assert.equal(verdict.action, c.action);
      assert.deepEqual(verdict.findings.map((f) => `${f.rule}:${f.action}`), c.fired);
    });
  }

  it('agrees with evaluateFile on the project-level rules', () => {
    const p = policy((x) => (x.allowOnly = true));
    assert.equal(evaluateProject(p, 'demo', base).action, evaluateFile(p, facts(), context()).action);
  });
});

describe('summarizeProjectStatus', () => {
  const held = evaluateFile(policy(), facts({ uploadTime: '2026-04-19T00:00:00Z' }), context());
  const heldLater = evaluateFile(policy(), facts({ uploadTime: '2026-04-20T00:00:00Z', filename: 'demo-1.0.tar.gz' }), context());
  const blocked = evaluateFile(policy(), facts({ advisories: [advisory('GHSA-1', 'critical')] }), context());
  const allowed = evaluateFile(policy(), facts(), context());

  it('is null when any file is installable, or there are no files', () => {
    assert.equal(summarizeProjectStatus([held, allowed]), null);
    assert.equal(summarizeProjectStatus([]), null);
  });

  it('is quarantined, with the rules and the first end of a hold, when every file is held', () => {
    const status = summarizeProjectStatus([held, heldLater, blocked]);
    assert.equal(status?.status, 'quarantined');
    assert.match(status?.reason ?? '', /all 3 files of this project are quarantined or blocked by the index policy \(release-age, vulnerability\)/);
    assert.match(status?.reason ?? '', /first release-age hold ends at 2026-04-26T00:00:00.000Z/);
  });

  it('says blocked when nothing will ever be released by time', () => {
    assert.match(summarizeProjectStatus([blocked])?.reason ?? '', /^the only file of this project is blocked by the index policy \(vulnerability\)$/);
  });
});
