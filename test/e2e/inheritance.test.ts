/**
 * Index inheritance seen by pip: `acme/dev` inherits `acme/prod`. The indexes and the token are
 * made by the CLI on the data directory while the server runs on it, so this also proves the
 * server picks up changes made behind its back without a restart.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildWheel, wheelFilenameFor } from '../fixtures/buildDistributions.js';
import { createVenv, describeRun, twineUpload, type Venv } from '../fixtures/pythonTools.js';
import { startTestServer, type TestServer } from '../fixtures/testServer.js';
import { jsonResult, paved } from './pavedCli.js';

describe('index inheritance through pip', () => {
  let server: TestServer;
  let work: string;
  let venv: Venv;
  let token: string;

  before(async () => {
    server = await startTestServer();
    await server.listen();
    work = await mkdtemp(join(tmpdir(), 'paved-inherit-'));
    venv = await createVenv(join(work, 'venv'));
  });
  after(async () => {
    await server?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('serves indexes and tokens the CLI creates on the live data directory', async () => {
    const missing = await fetch(`${server.url}/acme/dev/simple/`);
    assert.equal(missing.status, 404);

    for (const args of [['index', 'create', 'acme/prod'], ['index', 'create', 'acme/dev', '--bases', 'acme/prod']]) {
      const r = await paved([...args, '--data', server.dataDir]);
      assert.equal(r.code, 0, describeRun(r));
    }
    const t = await paved(['token', 'create', '--user', 'ci', '--scope', 'upload:acme/dev', '--scope', 'upload:acme/prod', '--data', server.dataDir, '--json']);
    assert.equal(t.code, 0, describeRun(t));
    token = jsonResult<{ token: string }>(t).token;

    const dev = await fetch(`${server.url}/acme/dev/simple/`);
    assert.equal(dev.status, 200);
  });

  it('takes uploads to each index with twine', async () => {
    const upload = async (index: string, name: string, version: string, requiresDist: string[] = []) => {
      const path = join(work, wheelFilenameFor({ name, version }));
      await writeFile(path, await buildWheel({ name, version, metadata: { requiresDist } }));
      const r = await twineUpload(`${server.url}/${index}/`, token, [path]);
      assert.equal(r.code, 0, describeRun(r));
    };
    await upload('acme/prod', 'acme-prodlib', '2.0.0');
    await upload('acme/dev', 'acme-devtool', '0.1.0', ['acme-prodlib>=2']);
  });

  it('pip installs the dev project from acme/dev, with its dependency from acme/prod through dev', { timeout: 120_000 }, async () => {
    const r = await venv.pip(['install', '--index-url', `${server.url}/acme/dev/simple/`, 'acme-devtool']);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /Successfully installed acme-devtool-0\.1\.0 acme-prodlib-2\.0\.0|Successfully installed acme-prodlib-2\.0\.0 acme-devtool-0\.1\.0/);
    const imported = await venv.python3(['-c', 'import acme_devtool, acme_prodlib; print(acme_devtool.__version__, acme_prodlib.__version__)']);
    assert.equal(imported.code, 0, describeRun(imported));
    assert.equal(imported.stdout.trim(), '0.1.0 2.0.0');
  });

  it('pip on acme/prod cannot see the dev-only project', { timeout: 120_000 }, async () => {
    const r = await venv.pip(['download', '--no-deps', '-d', join(work, 'dl'), '--index-url', `${server.url}/acme/prod/simple/`, 'acme-devtool']);
    assert.notEqual(r.code, 0, describeRun(r));
    assert.match(r.stderr, /No matching distribution found for acme-devtool/);

    const ok = await venv.pip(['download', '--no-deps', '-d', join(work, 'dl'), '--index-url', `${server.url}/acme/prod/simple/`, 'acme-prodlib']);
    assert.equal(ok.code, 0, describeRun(ok));
  });

  it('sees a base removed by the CLI without a restart', { timeout: 120_000 }, async () => {
    const before = await (await fetch(`${server.url}/acme/dev/simple/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } })).json() as { projects: { name: string }[] };
    assert.deepEqual(before.projects.map((p) => p.name).sort(), ['acme-devtool', 'acme-prodlib']);

    const r = await paved(['index', 'update', 'acme/dev', '--bases', '', '--data', server.dataDir]);
    assert.equal(r.code, 0, describeRun(r));
    const after = await (await fetch(`${server.url}/acme/dev/simple/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } })).json() as { projects: { name: string }[] };
    assert.deepEqual(after.projects.map((p) => p.name), ['acme-devtool']);

    const pip = await venv.pip(['download', '--no-deps', '-d', join(work, 'dl2'), '--index-url', `${server.url}/acme/dev/simple/`, 'acme-prodlib']);
    assert.notEqual(pip.code, 0, describeRun(pip));
    assert.match(pip.stderr, /No matching distribution found for acme-prodlib/);
  });
});
