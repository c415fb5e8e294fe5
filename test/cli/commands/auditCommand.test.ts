/**
 * `paved audit` and `paved advisories` end to end, as child processes of the real CLI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPavedError } from '../../../src/errors.js';
import { createAdvisoryApiClient } from '../../../src/client/advisoryApiClient.js';
import type { AuditResult } from '../../../src/cli/commands/auditCommand.js';
import { describeRun, run, type RunResult } from '../../fixtures/pythonTools.js';
import { OSV_PYPI_ZIP, osvAdvisory } from '../../fixtures/osvData.js';
import { jsonResult, pavedEnv, REPO_ROOT } from '../../e2e/pavedCli.js';

const ENTRY = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

function paved(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: REPO_ROOT, env: pavedEnv(env), timeoutMs: 120_000 });
}

describe('paved audit', () => {
  let dir: string;
  let small: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paved-audit-'));
    // A small advisory directory for the fast cases: one unknown, one critical, one withdrawn.
    small = join(dir, 'osv');
    await mkdir(small);
    const docs = [
      osvAdvisory('TEST-1', 'demo-lib', [{ introduced: '0' }, { fixed: '1.5' }], { aliases: ['CVE-2099-1'], summary: 'demo leaks secrets' }),
      osvAdvisory('TEST-2', 'Demo_Lib', [{ introduced: '1.0' }, { fixed: '1.2' }], { database_specific: { severity: 'CRITICAL' } }),
      osvAdvisory('TEST-3', 'demo-lib', [{ introduced: '0' }], { withdrawn: '2024-02-01T00:00:00Z' }),
    ];
    for (const d of docs) await writeFile(join(small, `${String(d['id'])}.json`), JSON.stringify(d));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const write = async (name: string, text: string) => {
    const path = join(dir, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, text);
    return path;
  };

  it('a requirements file pinning a known-vulnerable requests fails with the advisory named (real OSV zip)', async () => {
    const req = await write('vulnerable.txt', 'requests==2.28.1\nJinja2==3.1.4\nflask>=2\n');
    const r = await paved(['audit', '-r', req, '--advisories', OSV_PYPI_ZIP]);
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /requests 2\.28\.1/);
    assert.match(r.stdout, /PYSEC-2023-74 \(CVE-2023-32681, GHSA-j8r2-6x86-q33q\).*fixed in 2\.31\.0/);
    assert.match(r.stdout, /not audited: flask/);
    assert.match(r.stdout, /found 1 known vulnerability in 1 of 2 packages/);
  });

  it('a safe requirements file passes (real OSV zip)', async () => {
    const req = await write('safe.txt', 'requests==2.32.3\njinja2==3.1.4\n');
    const r = await paved(['audit', '-r', req, '--advisories', OSV_PYPI_ZIP]);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /no known vulnerabilities in 2 packages/);
  });

  it('--json gives the result; withdrawn advisories never count; several -r files are merged', async () => {
    const a = await write('a.txt', 'demo-lib==1.1\n');
    const b = await write('b.txt', 'demo.lib==1.1.0\nother==9\n');
    const r = await paved(['--json', 'audit', '-r', a, '-r', b, '--advisories', small]);
    assert.equal(r.code, 1, describeRun(r));
    const result = jsonResult<AuditResult>(r);
    assert.equal(result.scanned, 2);
    assert.deepEqual(result.unpinned, []);
    assert.equal(result.vulnerable.length, 1);
    const v = result.vulnerable[0];
    assert.deepEqual(v?.sources, [`${a}:1`, `${b}:1`]);
    assert.deepEqual(v?.advisories.map((x) => [x.id, x.severity, x.fixedVersions]), [['TEST-2', 'critical', ['1.2']], ['TEST-1', 'unknown', ['1.5']]]);
    assert.equal(v?.advisories[1]?.summary, 'demo leaks secrets');
  });

  it('--severity sets the bar: below it is reported as a count and passes', async () => {
    const req = await write('sev.txt', 'demo-lib==1.4\n');
    const high = await paved(['--json', 'audit', '-r', req, '--advisories', small, '--severity', 'high']);
    assert.equal(high.code, 0, describeRun(high));
    assert.equal(jsonResult<AuditResult>(high).belowThreshold, 1);
    const low = await paved(['audit', '-r', req, '--advisories', small]);
    assert.equal(low.code, 1, describeRun(low));
    assert.match(low.stdout, /TEST-1 \(CVE-2099-1\)  unknown  fixed in 1\.5/);
  });

  it('--lock reads a pylock.toml', async () => {
    const lock = await write(
      'pylock.toml',
      'lock-version = "1.0"\ncreated-by = "test"\n\n[[packages]]\nname = "demo-lib"\nversion = "1.0"\n\n[[packages]]\nname = "safe"\nversion = "1.0"\n\n[[packages]]\nname = "vcs-thing"\n',
    );
    const r = await paved(['--json', 'audit', '--lock', lock, '--advisories', small]);
    assert.equal(r.code, 1, describeRun(r));
    const result = jsonResult<AuditResult>(r);
    assert.equal(result.scanned, 2);
    assert.deepEqual(result.vulnerable.map((v) => [v.name, v.version, v.advisories.map((x) => x.id)]), [['demo-lib', '1.0', ['TEST-2', 'TEST-1']]]);
    assert.deepEqual(result.unpinned.map((u) => u.name), ['vcs-thing']);
  });

  it('--venv reads the installed distributions of a venv (fake dist-info, real OSV zip)', async () => {

    for (const [name, version] of [['Jinja2', '2.7.1'], ['py', '1.11.0'], ['requests', '2.32.3']] as const) {
      await write(join('venv', 'lib', 'python3.11', 'site-packages', `${name}-${version}.dist-info`, 'METADATA'), `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`);
    }
    await write(join('venv', 'pyvenv.cfg'), 'home = /usr/bin\n');
    const r = await paved(['--json', 'audit', '--venv', join(dir, 'venv'), '--advisories', OSV_PYPI_ZIP]);
    assert.equal(r.code, 1, describeRun(r));
    const result = jsonResult<AuditResult>(r);
    assert.equal(result.scanned, 3);
    assert.deepEqual(result.vulnerable.map((v) => v.name), ['Jinja2', 'py']);
    assert.ok(result.vulnerable[0]?.advisories.some((a) => a.id === 'PYSEC-2014-8'));
    assert.ok(result.vulnerable[1]?.advisories.some((a) => a.id === 'PYSEC-2022-42969'));
  });

  const usage: { name: string; args: () => string[]; stderr: RegExp }[] = [
    { name: 'nothing to audit', args: () => ['audit'], stderr: /nothing to audit/ },
    { name: 'a bad --severity', args: () => ['audit', '-r', 'x.txt', '--severity', 'severe'], stderr: /Allowed choices are low, medium, high, critical/ },
    { name: 'a missing requirements file', args: () => ['audit', '-r', join(dir, 'missing.txt'), '--advisories', small], stderr: /does not exist/ },
    { name: 'no advisory data anywhere', args: () => ['audit', '-r', join(dir, 'safe.txt'), '--data', join(dir, 'empty-data')], stderr: /no advisories have been imported[\s\S]*hint: Run: paved advisories import/ },
    { name: 'a hostile advisory source', args: () => ['audit', '-r', join(dir, 'safe.txt'), '--advisories', join(dir, 'safe.txt')], stderr: /not a readable zip/ },
  ];
  for (const u of usage) {
    it(`exits 2, not 1, on ${u.name}`, async () => {
      const r = await paved(u.args());
      assert.equal(r.code, 2, describeRun(r));
      assert.match(r.stderr, u.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /); // no stack trace
    });
  }

  it('advisories import into --data, then audit and show read it from there', async () => {
    const data = join(dir, 'data');
    const imported = await paved(['--json', '--data', data, 'advisories', 'import', small]);
    assert.equal(imported.code, 0, describeRun(imported));
    assert.deepEqual(
      (({ imported: i, updated, withdrawn, version, total }) => ({ i, updated, withdrawn, version, total }))(jsonResult<{ imported: number; updated: number; withdrawn: number; version: number; total: number }>(imported)),
      { i: 3, updated: 0, withdrawn: 1, version: 1, total: 3 },
    );
    const again = await paved(['--data', data, 'advisories', 'import', small]);
    assert.match(again.stdout, /0 new, 0 updated, 0 skipped; 3 advisories stored, data version 1/);

    const req = await write('data-audit.txt', 'demo-lib==1.1\n');
    const audit = await paved(['--data', data, 'audit', '-r', req]);
    assert.equal(audit.code, 1, describeRun(audit));
    assert.match(audit.stdout, /TEST-2.*critical/);

    const show = await paved(['--data', data, 'advisories', 'show', 'Demo.Lib']);
    assert.equal(show.code, 0, describeRun(show));
    assert.match(show.stdout, /3 advisories for Demo\.Lib/);
    assert.match(show.stdout, /TEST-3.*WITHDRAWN/);
    const showVersion = await paved(['--json', '--data', data, 'advisories', 'show', 'demo-lib', '1.3']);
    assert.deepEqual(jsonResult<{ advisories: { id: string }[] }>(showVersion).advisories.map((a) => a.id), ['TEST-1']);
  });

  it('--server reads advisories through GET /+api/advisories/{project}, with the token', async () => {
    const seen: { url: string; authorization: string | undefined }[] = [];
    const documents: Record<string, unknown[]> = {
      'demo-lib': [osvAdvisory('SRV-1', 'demo-lib', [{ introduced: '0' }, { fixed: '2.0' }])],
    };
    const server: Server = createServer((request, response) => {
      seen.push({ url: request.url ?? '', authorization: request.headers.authorization });
      const match = /^\/\+api\/advisories\/([^/?]+)$/.exec(request.url ?? '');
      if (match === null) return void response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'PAVED_E_NOT_FOUND', message: 'no such route' } }));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ advisories: documents[decodeURIComponent(match[1] ?? '')] ?? [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const req = await write('server.txt', 'Demo_Lib==1.0\nsafe==1.0\n');
      const r = await paved(['--server', url, 'audit', '-r', req], { PAVED_TOKEN: 'pvd_secret_token' });
      assert.equal(r.code, 1, describeRun(r));
      assert.match(r.stdout, /SRV-1/);
      assert.deepEqual(seen.map((s) => s.url).sort(), ['/+api/advisories/demo-lib', '/+api/advisories/safe']);
      assert.ok(seen.every((s) => s.authorization === 'Bearer pvd_secret_token'));
      assert.doesNotMatch(r.stdout + r.stderr, /pvd_secret_token/);

      const api = createAdvisoryApiClient(url, undefined);
      assert.deepEqual((await api.forProject('DEMO.lib')).map((a) => a.id), ['SRV-1']);
      documents['bad'] = [{ id: 'X-1' }];
      await assert.rejects(api.forProject('bad'), (e: unknown) => isPavedError(e, 'PAVED_E_SERVER') && /X-1: modified/.test(e.message));
    } finally {
      await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
    }
  });
});
