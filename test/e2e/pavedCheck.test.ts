/**
 * paved's environment check through the real CLI against a live paved server: `paved install`
 * and `paved sync` warn about unmet requirements and list them in their `--json` result, and
 * `paved check` prints them and exits 1 (0 when clean, 2 when there is nothing to check).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalImporter, importFiles } from '../../src/index/importDistributions.js';
import type { EnvironmentProblem } from '../../src/installer/checkEnvironment.js';
import { parsePylock, serializePylock } from '../../src/project/pylock.js';
import { buildWheel, wheelFilenameFor } from '../fixtures/buildDistributions.js';
import { describeRun } from '../fixtures/pythonTools.js';
import { startTestServer, type TestServer } from '../fixtures/testServer.js';
import { jsonEvents, jsonResult, paved } from './pavedCli.js';

describe('paved check, and the check after install and sync', () => {
  let server: TestServer;
  let work: string;
  let common: string[];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-check-e2e-'));
    const upload = join(work, 'upload');
    await mkdir(upload);
    const files: string[] = [];
    const wheel = async (name: string, version: string, requiresDist: string[] = []): Promise<void> => {
      const path = join(upload, wheelFilenameFor({ name, version }));
      await writeFile(path, await buildWheel({ name, version, metadata: { requiresDist } }));
      files.push(path);
    };
    await wheel('app', '1.0', ['lib>=2']);
    await wheel('lib', '1.0');
    await wheel('lib', '2.0');
    await wheel('feature', '1.0', ['speedup>=1 ; extra == "fast"']);
    await wheel('speedup', '1.0');
    server = await startTestServer();
    const summary = await importFiles('root/main', files, await createLocalImporter(server.storage, 'root/main'));
    assert.deepEqual(summary.refused, [], JSON.stringify(summary.refused));
    await server.listen();
    common = ['--no-config', '--index-url', `${server.url}/simple/`, '--cache-dir', join(work, 'cache')];
  });
  after(async () => {
    await server?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('install warns about what it leaves unmet, and paved check agrees and exits 1 until it is fixed', { timeout: 180_000 }, async () => {
    const venv = join(work, 'venv');
    const installed = await paved(['--json', 'install', ...common, '--python', '3.11', '--target-venv', venv, '--no-deps', 'app']);
    assert.equal(installed.code, 0, describeRun(installed));
    const missing = { kind: 'missing', name: 'app', version: '1.0', requirement: 'lib>=2', dependency: 'lib' };
    assert.deepEqual(jsonResult<{ problems: EnvironmentProblem[] }>(installed).problems, [missing]);
    assert.ok(jsonEvents(installed.stdout).some((e) => e.type === 'warning' && e['message'] === 'app 1.0 requires lib>=2, which is not installed'), installed.stdout);

    const check = await paved(['check', '--target-venv', venv, '--cache-dir', join(work, 'cache')]);
    assert.equal(check.code, 1, describeRun(check));
    assert.match(check.stdout, /^app 1\.0 requires lib>=2, which is not installed$/m);
    assert.match(check.stdout, /1 broken requirement in /);
    const checkJson = await paved(['--json', 'check', '--target-venv', venv]);
    assert.equal(checkJson.code, 1, describeRun(checkJson));
    assert.deepEqual(jsonResult<{ problems: EnvironmentProblem[]; checked: number }>(checkJson).problems, [missing]);

    const wrong = await paved(['install', ...common, '--target-venv', venv, 'lib==1.0']);
    assert.equal(wrong.code, 0, describeRun(wrong));
    assert.match(wrong.stderr, /^warning: app 1\.0 has requirement lib>=2, but you have lib 1\.0$/m);
    assert.equal((await paved(['check', '--target-venv', venv])).code, 1);

    const fixed = await paved(['--json', 'install', ...common, '--target-venv', venv, 'lib==2.0']);
    assert.equal(fixed.code, 0, describeRun(fixed));
    assert.deepEqual(jsonResult<{ problems: EnvironmentProblem[] }>(fixed).problems, []);
    const clean = await paved(['check', '--target-venv', venv]);
    assert.equal(clean.code, 0, describeRun(clean));
    assert.match(clean.stdout, /no broken requirements in .* \(2 distributions\)/);
  });

  it('the extras named on the command line are checked too', { timeout: 120_000 }, async () => {
    const venv = join(work, 'venv-extras');
    const r = await paved(['--json', 'install', ...common, '--python', '3.11', '--target-venv', venv, '--no-deps', 'feature[fast]']);
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(jsonResult<{ problems: EnvironmentProblem[] }>(r).problems, [{ kind: 'missing', name: 'feature', version: '1.0', requirement: 'speedup>=1', dependency: 'speedup', extra: 'fast' }]);
    // paved check alone does not know the extra was asked for, like pip check.
    assert.equal((await paved(['check', '--target-venv', venv])).code, 0);
  });

  it('sync reports none from a consistent lock, and the problems of a hand-edited one; paved check --project', { timeout: 180_000 }, async () => {
    const project = join(work, 'project');
    await mkdir(project);
    await writeFile(join(project, 'pyproject.toml'), '[project]\nname = "proj"\nversion = "0.1"\nrequires-python = ">=3.11"\ndependencies = ["app"]\n\n[tool.paved]\npython = "3.11"\n');
    const synced = await paved(['--json', 'sync', '--project', project, ...common]);
    assert.equal(synced.code, 0, describeRun(synced));
    assert.deepEqual(jsonResult<{ problems: EnvironmentProblem[] }>(synced).problems, []);
    assert.equal((await paved(['check', '--project', project])).code, 0);

    // A lock edited by hand to leave lib out: sync installs what it says, and says what is wrong.
    const lockPath = join(project, 'pylock.toml');
    const { lock } = parsePylock(await readFile(lockPath, 'utf8'));
    lock.packages = lock.packages.filter((p) => p.name !== 'lib').map((p) => ({ ...p, dependencies: p.dependencies.filter((d) => d.name !== 'lib') }));
    await writeFile(lockPath, serializePylock(lock));
    const resynced = await paved(['sync', '--frozen', '--project', project, ...common]);
    assert.equal(resynced.code, 0, describeRun(resynced));
    assert.match(resynced.stderr, /^warning: app 1\.0 requires lib>=2, which is not installed$/m);
    const check = await paved(['--json', 'check', '--project', project]);
    assert.equal(check.code, 1, describeRun(check));
    assert.deepEqual(jsonResult<{ problems: EnvironmentProblem[] }>(check).problems.map((p) => p.dependency), ['lib']);
  });

  it('paved check exits 2 when there is no environment to check, or it is named twice', async () => {
    const none = await paved(['check', '--target-venv', join(work, 'no-such-venv')]);
    assert.equal(none.code, 2, describeRun(none));
    assert.match(none.stderr, /^error: .*not a virtual environment/m);
    assert.doesNotMatch(none.stderr, /\n\s+at /, 'no stack trace');
    const both = await paved(['check', '--target-venv', 'a', '--project', 'b']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--target-venv and --project/);
    const help = await paved(['check', '--help']);
    assert.match(help.stdout, /pip check/);
  });
});
