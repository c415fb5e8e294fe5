/**
 * The admin CLI as an operator uses it: on a data directory while a server runs on it, and
 * against a running server's admin API; then `paved serve` itself as a child process, with a
 * graceful shutdown in the middle of an upload.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildWheel, wheelFilenameFor } from '../fixtures/buildDistributions.js';
import { buildMultipart } from '../fixtures/multipart.js';
import { describeRun } from '../fixtures/pythonTools.js';
import { basicToken, startTestServer, type TestServer } from '../fixtures/testServer.js';
import { jsonResult, paved, pavedArgs, pavedEnv, REPO_ROOT } from './pavedCli.js';
import { PYPI_SUBSET } from '../fixtures/corpus.js';

const CORPUS = PYPI_SUBSET;
const TOKEN_SHAPE = /paved_[a-z2-7]{12}_[A-Za-z0-9_-]{43}/;

interface ImportResult {
  index: string;
  total: number;
  added: number;
  identical: number;
  refused: { filename: string; code: string; message: string }[];
}

describe('paved admin CLI', () => {
  let server: TestServer;
  let work: string;
  let data: string;
  const local = (...args: string[]) => paved([...args, '--data', data]);

  before(async () => {
    server = await startTestServer();
    await server.listen();
    data = server.dataDir;
    work = await mkdtemp(join(tmpdir(), 'paved-cli-'));
  });
  after(async () => {
    await server?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('token create prints the token once; token list never shows a secret', async () => {
    const r = await local('token', 'create', '--user', 'ci', '--scope', 'upload:root/main', '--description', 'CI uploads', '--json');
    assert.equal(r.code, 0, describeRun(r));
    const created = jsonResult<{ token: string; id: string; user: string; scopes: string[] }>(r);
    assert.match(created.token, new RegExp(`^${TOKEN_SHAPE.source}$`));
    assert.equal(created.user, 'ci');
    assert.deepEqual(created.scopes, ['upload:root/main']);
    assert.equal(r.stdout.split(created.token).length - 1, 1, 'the token is printed exactly once');
    assert.equal(r.stderr, '');
    const secret = created.token.split('_').slice(2).join('_');

    // It works against the server that was already running.
    const res = await fetch(`${server.url}/root/main/`, { method: 'POST', headers: { authorization: basicToken(created.token), 'content-type': 'text/plain' }, body: 'x' });
    assert.equal(res.status, 400, 'authenticated, then refused for not being multipart');

    const human = await local('token', 'create', '--user', 'ci', '--scope', 'read:root/main');
    assert.equal(human.code, 0, describeRun(human));
    assert.match(human.stdout, new RegExp(`^${TOKEN_SHAPE.source}\\n`));
    assert.match(human.stdout, /shown once/);

    for (const args of [['token', 'list'], ['token', 'list', '--json'], ['token', 'list', '--user', 'ci', '--json']]) {
      const list = await local(...args);
      assert.equal(list.code, 0, describeRun(list));
      assert.doesNotMatch(list.stdout + list.stderr, TOKEN_SHAPE);
      assert.ok(!(list.stdout + list.stderr).includes(secret), `${args.join(' ')} shows no secret`);
      assert.ok(list.stdout.includes(created.id), `${args.join(' ')} lists the token id`);
    }
    const listed = jsonResult<{ id: string; user: string; description: string }[]>(await local('token', 'list', '--user', 'ci', '--json'));
    assert.equal(listed.length, 2);
    assert.ok(listed.some((t) => t.id === created.id && t.description === 'CI uploads'));
    for (const t of listed) assert.deepEqual(Object.keys(t).filter((k) => /secret|hash/i.test(k)), []);
  });

  it('index create, list and delete', async () => {
    const created = await local('index', 'create', 'team/stage', '--bases', 'root/main');
    assert.equal(created.code, 0, describeRun(created));
    assert.match(created.stdout, /created index team\/stage \(bases: root\/main\)/);

    const list = await local('index', 'list', '--json');
    const indexes = jsonResult<{ path: string; bases: string[] }[]>(list);
    assert.deepEqual(indexes.map((i) => i.path).sort(), ['root/main', 'team/stage']);
    assert.deepEqual(indexes.find((i) => i.path === 'team/stage')?.bases, ['root/main']);
    assert.equal((await fetch(`${server.url}/team/stage/simple/`)).status, 200);

    const again = await local('index', 'create', 'team/stage');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: .*already exists/m);
    assert.doesNotMatch(again.stderr, /\n\s+at /, 'no stack trace without --verbose');

    const bad = await local('index', 'create', '../etc');
    assert.equal(bad.code, 1, describeRun(bad));
    assert.match(bad.stderr, /^error: Invalid index owner/m);

    const deleted = await local('index', 'delete', 'team/stage');
    assert.equal(deleted.code, 0, describeRun(deleted));
    assert.deepEqual(jsonResult<{ path: string }[]>(await local('index', 'list', '--json')).map((i) => i.path), ['root/main']);
    assert.equal((await fetch(`${server.url}/team/stage/simple/`)).status, 404);
  });

  it('user create and list', async () => {
    const plain = await local('user', 'create', 'alice');
    assert.equal(plain.code, 0, describeRun(plain));
    const withPassword = await paved(['user', 'create', 'bob', '--admin', '--password-stdin', '--data', data], { input: 'correct horse battery staple\n' });
    assert.equal(withPassword.code, 0, describeRun(withPassword));
    assert.match(withPassword.stdout, /created user bob \(admin\)/);

    const users = jsonResult<{ name: string; isAdmin: boolean; hasPassword: boolean }[]>(await local('user', 'list', '--json'));
    const byName = new Map(users.map((u) => [u.name, u]));
    assert.deepEqual([byName.get('alice')?.isAdmin, byName.get('alice')?.hasPassword], [false, false]);
    assert.deepEqual([byName.get('bob')?.isAdmin, byName.get('bob')?.hasPassword], [true, true]);
    const human = await local('user', 'list');
    assert.doesNotMatch(human.stdout, /correct horse/);
    assert.match(human.stdout, /^bob\tadmin\tpassword$/m);
  });

  it('import reports 46 added, then 46 already present', { timeout: 120_000 }, async () => {
    const first = await local('import', 'root/main', CORPUS, '--json');
    assert.equal(first.code, 0, describeRun(first));
    const summary = jsonResult<ImportResult>(first);
    assert.deepEqual([summary.total, summary.added, summary.identical, summary.refused.length], [46, 46, 0, 0]);

    const second = await local('import', 'root/main', CORPUS, '--json');
    assert.equal(second.code, 0, describeRun(second));
    const again = jsonResult<ImportResult>(second);
    assert.deepEqual([again.total, again.added, again.identical, again.refused.length], [46, 0, 46, 0]);

    const human = await local('import', 'root/main', join(CORPUS, 'rich-15.0.0-py3-none-any.whl'));
    assert.equal(human.code, 0, describeRun(human));
    assert.match(human.stdout, /imported into root\/main: 0 added, 1 already present, 0 refused/);

    const page = await (await fetch(`${server.url}/simple/flask/`)).text();
    assert.ok(page.includes('flask-3.1.3-py3-none-any.whl</a>'), 'the running server serves what the CLI imported');
  });

  it('import refuses a bad file with a reason and exits 1', async () => {
    const dir = join(work, 'bad');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'x-1.0-py3-none-any.whl'), 'this is not a zip file\n');
    const good = wheelFilenameFor({ name: 'goodpkg', version: '1.0' });
    await writeFile(join(dir, good), await buildWheel({ name: 'goodpkg', version: '1.0' }));
    await writeFile(join(dir, 'README.txt'), 'not a distribution\n');

    const r = await local('import', 'root/main', dir, '--json');
    assert.equal(r.code, 1, describeRun(r));
    const summary = jsonResult<ImportResult & { ignored: number }>(r);
    assert.deepEqual([summary.total, summary.added, summary.ignored], [2, 1, 1]);
    assert.equal(summary.refused.length, 1);
    assert.equal(summary.refused[0]?.filename, 'x-1.0-py3-none-any.whl');
    assert.match(summary.refused[0]?.code ?? '', /^PAVED_E_/);
    assert.ok((summary.refused[0]?.message ?? '').length > 5, 'the refusal says why');

    const human = await local('import', 'root/main', dir);
    assert.equal(human.code, 1, describeRun(human));
    assert.match(human.stdout, /refused x-1\.0-py3-none-any\.whl: .+ \[PAVED_E_[A-Z_]+\]/);
    assert.equal((await fetch(`${server.url}/simple/x/`)).status, 404, 'the refused file is not published');
  });

  it('yank shows in the simple page (PEP 592) and unyank removes it', async () => {
    const r = await local('yank', 'root/main', 'rich', '15.0.0', '--reason', 'broken <console> output');
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /yanked rich-15\.0\.0-py3-none-any\.whl/);
    const html = await (await fetch(`${server.url}/simple/rich/`, { headers: { accept: 'text/html' } })).text();
    assert.match(html, /data-yanked="broken &lt;console&gt; output"/);
    const json = (await (await fetch(`${server.url}/simple/rich/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } })).json()) as { files: { yanked: unknown }[] };
    assert.deepEqual(json.files.map((f) => f.yanked), ['broken <console> output']);

    const undo = await local('unyank', 'root/main', 'rich', '15.0.0');
    assert.equal(undo.code, 0, describeRun(undo));
    const after = await (await fetch(`${server.url}/simple/rich/`, { headers: { accept: 'text/html' } })).text();
    assert.doesNotMatch(after, /data-yanked/);
  });

  it('index list and token create through --server with PAVED_TOKEN', async () => {
    const env = { PAVED_TOKEN: server.adminToken };
    const list = await paved(['index', 'list', '--server', server.url, '--json'], { env });
    assert.equal(list.code, 0, describeRun(list));
    assert.ok(jsonResult<{ path: string }[]>(list).some((i) => i.path === 'root/main'));

    const created = await paved(['token', 'create', '--user', 'deploy', '--scope', 'read:root/main', '--server', server.url, '--json'], { env });
    assert.equal(created.code, 0, describeRun(created));
    const token = jsonResult<{ token: string; user: string }>(created);
    assert.match(token.token, TOKEN_SHAPE);
    assert.equal(token.user, 'deploy');
    assert.ok(!(created.stdout + created.stderr).includes(server.adminToken), 'the admin token is never echoed');
    const adminCalls = server.access.filter((a) => a.path.startsWith('/+api/'));
    assert.ok(adminCalls.length >= 2);
    for (const a of adminCalls) assert.ok(!JSON.stringify(a).includes(server.adminToken), 'the access log holds no token');

    // The same list in local mode agrees with the server's answer.
    const viaData = jsonResult<{ user: string }[]>(await local('token', 'list', '--json'));
    assert.ok(viaData.some((t) => t.user === 'deploy'));

    const noToken = await paved(['token', 'list', '--server', server.url]);
    assert.equal(noToken.code, 1, describeRun(noToken));
    assert.match(noToken.stderr, /^error: authentication required/m);
    assert.match(noToken.stderr, /^hint: /m);

    const weak = await paved(['index', 'create', 'x/y', '--server', server.url], { env: { PAVED_TOKEN: token.token } });
    assert.equal(weak.code, 1, describeRun(weak));
    assert.match(weak.stderr, /^error: token [a-z2-7]{12} may not administer/m);
    assert.ok(!weak.stderr.includes(token.token));

    const down = await paved(['index', 'list', '--server', 'http://127.0.0.1:1'], { env });
    assert.equal(down.code, 1, describeRun(down));
    assert.match(down.stderr, /^error: could not reach http:\/\/127\.0\.0\.1:1\//m);
    assert.ok(!down.stderr.includes(server.adminToken));
  });
});

describe('paved serve', () => {
  let work: string;
  let child: ChildProcessByStdio<null, Readable, Readable> | null = null;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-serve-'));
  });
  after(async () => {
    if (child !== null && child.exitCode === null) child.kill('SIGKILL');
    await rm(work, { recursive: true, force: true });
  });

  it('serves, then finishes an in-flight upload on SIGTERM and exits 0', { timeout: 90_000 }, async () => {
    const data = join(work, 'data');
    const made = await paved(['token', 'create', '--user', 'ci', '--scope', 'upload:root/main', '--data', data, '--json']);
    assert.equal(made.code, 0, describeRun(made));
    const token = jsonResult<{ token: string }>(made).token;

    const proc = spawn(process.execPath, pavedArgs(['serve', '--data', data, '--port', '0']), { cwd: REPO_ROOT, env: pavedEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    const killer = setTimeout(() => proc.kill('SIGKILL'), 80_000);

    try {
      let url: string | null = null;
      for (let i = 0; i < 300 && url === null && proc.exitCode === null; i++) {
        url = /paved serving .* at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1] ?? null;
        if (url === null) await sleep(100);
      }
      assert.ok(url !== null, `no listening line; stdout:\n${stdout}\nstderr:\n${stderr}`);

      const health = await fetch(`${url}/+health`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, 'ok');

      const filename = wheelFilenameFor({ name: 'slowpkg', version: '1.0' });
      const wheel = await buildWheel({ name: 'slowpkg', version: '1.0', files: { 'slowpkg/__init__.py': `DATA = "${'x'.repeat(200_000)}"\n` } });
      const { body, contentType } = buildMultipart(
        [[':action', 'file_upload'], ['protocol_version', '1'], ['name', 'slowpkg'], ['version', '1.0'], ['filetype', 'bdist_wheel']],
        [{ field: 'content', filename, data: wheel }],
      );

      let sentTerm = false;
      const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(`${url}/root/main/`, {
          method: 'POST',
          headers: { 'content-type': contentType, 'content-length': body.length, authorization: basicToken(token), 'user-agent': 'paved-e2e-slow-upload' },
        });
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        void (async () => {
          const chunks = 8;
          const size = Math.ceil(body.length / chunks);
          for (let i = 0; i < chunks; i++) {
            req.write(body.subarray(i * size, (i + 1) * size));
            await sleep(150);
            if (i === 1) {
              proc.kill('SIGTERM');
              sentTerm = true;
            }
          }
          req.end();
        })();
      });
      const answer = await response;
      assert.ok(sentTerm);
      assert.equal(answer.status, 200, answer.text);
      assert.match(answer.text, /^OK: slowpkg-1\.0-py3-none-any\.whl/);

      const end = await exited;
      assert.deepEqual(end, { code: 0, signal: null }, `stderr:\n${stderr}`);
      assert.match(stdout, /SIGTERM: finishing in-flight requests/);

      // Access log: one JSON object per line with the request's id, status and duration, no secrets.
      const entries = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((e) => e['type'] === 'access');
      assert.ok(entries.length >= 2, stdout);
      for (const e of entries) {
        assert.equal(typeof e['requestId'], 'string');
        assert.equal(typeof e['status'], 'number');
        assert.equal(typeof e['durationMs'], 'number');
      }
      const upload = entries.find((e) => e['method'] === 'POST');
      assert.equal(upload?.['status'], 200);
      assert.equal(upload?.['userAgent'], 'paved-e2e-slow-upload');
      assert.ok(entries.some((e) => e['path'] === '/+health' && e['status'] === 200));
      assert.ok(!stdout.includes(token) && !stderr.includes(token), 'the token never reaches the logs');
      assert.ok(!stdout.includes(token.split('_').slice(2).join('_')));

      // The file was published durably: importing the same bytes afterwards finds it already there.
      const copy = join(work, 'again');
      await mkdir(copy, { recursive: true });
      await writeFile(join(copy, filename), wheel);
      const check = await paved(['import', 'root/main', copy, '--data', data, '--json']);
      assert.equal(check.code, 0, describeRun(check));
      assert.equal(jsonResult<ImportResult>(check).identical, 1);
    } finally {
      clearTimeout(killer);
    }
  });
});
