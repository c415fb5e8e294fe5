/**
 * Where `paved install` and `paved download` take their indexes from, through the real CLI
 * against two live paved servers: the user config file alone, `PAVED_EXTRA_INDEX_URL` adding a
 * second index, `PAVED_PYTHON`, a requirements file's `--index-url` acting like the flag,
 * `[tool.paved]` of a pyproject.toml in the working directory, and `--no-config`.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createLocalImporter, importFiles } from '../../src/index/importDistributions.js';
import { buildWheel, wheelFilenameFor } from '../fixtures/buildDistributions.js';
import { describeRun, run } from '../fixtures/pythonTools.js';
import { startTestServer, type TestServer } from '../fixtures/testServer.js';
import { REPO_ROOT, jsonResult, paved, pavedEnv } from './pavedCli.js';

interface InstallData {
  installed: { name: string; version: string }[];
  python: string;
  index: string[];
}

describe('paved install configuration: user config file, PAVED_* variables, requirement-file options', () => {
  let first: TestServer;
  let second: TestServer;
  let work: string;
  let home: string;
  let configFile: string;
  let cache: string;
  let firstIndex: string;
  let secondIndex: string;

  const serve = async (wheels: { name: string; version: string; requiresDist?: string[] }[]): Promise<TestServer> => {
    const dir = await mkdtemp(join(work, 'upload-'));
    const paths: string[] = [];
    for (const w of wheels) {
      const path = join(dir, wheelFilenameFor(w));
      await writeFile(path, await buildWheel({ name: w.name, version: w.version, ...(w.requiresDist === undefined ? {} : { metadata: { requiresDist: w.requiresDist } }), files: { [`${w.name}/__init__.py`]: `V = "${w.version}"\n` } }));
      paths.push(path);
    }
    const server = await startTestServer();
    const summary = await importFiles('root/main', paths, await createLocalImporter(server.storage, 'root/main'));
    assert.deepEqual(summary.refused, []);
    await server.listen();
    return server;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-install-config-'));
    home = join(work, 'home');
    await mkdir(home);
    cache = join(work, 'cache');
    first = await serve([{ name: 'alpha', version: '1.0' }]);
    second = await serve([{ name: 'beta', version: '2.0' }, { name: 'gamma', version: '3.0', requiresDist: ['beta'] }]);
    firstIndex = `${first.url}/simple/`;
    secondIndex = `${second.url}/simple/`;
    configFile = join(work, 'paved.toml');
    await writeFile(configFile, `# the company index\nindex-url = "${firstIndex}"\n`);
  });
  after(async () => {
    await first?.close();
    await second?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  // HOME points at an empty folder so the machine's own ~/.config/paved never leaks in.
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ HOME: home, XDG_CONFIG_HOME: '', PAVED_CACHE_DIR: cache, PAVED_PYTHON: '3.11', ...extra });
  const imports = async (venv: string, code: string): Promise<string> => {
    const r = await run(join(venv, 'bin', 'python'), ['-c', code]);
    assert.equal(r.code, 0, describeRun(r));
    return r.stdout.trim();
  };

  it('installs from the index named only in the user config file, with PAVED_PYTHON choosing the interpreter', { timeout: 60_000 }, async () => {
    const venv = join(work, 'venv-config');
    const r = await paved(['install', 'alpha', '--target-venv', venv, '--json'], { env: env({ PAVED_CONFIG_FILE: configFile }) });
    assert.equal(r.code, 0, describeRun(r));
    const data = jsonResult<InstallData>(r);
    assert.deepEqual(data.installed.map((p) => `${p.name} ${p.version}`), ['alpha 1.0']);
    assert.match(data.python, /^3\.11\./);
    assert.deepEqual(data.index, [firstIndex]);
    assert.equal(await imports(venv, 'import alpha; print(alpha.V)'), '1.0');

    // Without any configuration there is no index, and the message says how to give one.
    const none = await paved(['install', 'alpha', '--target-venv', join(work, 'venv-none')], { env: env() });
    assert.equal(none.code, 1, describeRun(none));
    assert.match(none.stderr, /no index configured/);
    assert.match(none.stderr, /config\.toml/);
    // --no-config ignores the file.
    const ignored = await paved(['install', 'alpha', '--no-config', '--target-venv', join(work, 'venv-none')], { env: env({ PAVED_CONFIG_FILE: configFile }) });
    assert.equal(ignored.code, 1, describeRun(ignored));
  });

  it('PAVED_EXTRA_INDEX_URL adds a second index that provides the names the first lacks', { timeout: 60_000 }, async () => {
    const venv = join(work, 'venv-extra');
    const lacking = await paved(['install', 'alpha', 'gamma', '--target-venv', venv], { env: env({ PAVED_CONFIG_FILE: configFile }) });
    assert.equal(lacking.code, 1, 'gamma is only on the second index');
    const r = await paved(['install', 'alpha', 'gamma', '--target-venv', venv, '--json'], { env: env({ PAVED_CONFIG_FILE: configFile, PAVED_EXTRA_INDEX_URL: secondIndex }) });
    assert.equal(r.code, 0, describeRun(r));
    const data = jsonResult<InstallData>(r);
    assert.deepEqual(data.installed.map((p) => `${p.name} ${p.version}`), ['alpha 1.0', 'beta 2.0', 'gamma 3.0']);
    assert.deepEqual(data.index, [firstIndex, secondIndex]);
    assert.equal(await imports(venv, 'import alpha, beta, gamma; print(alpha.V, gamma.V)'), '1.0 3.0');
  });

  it("a requirements file's --index-url replaces the configured index, as the flag would", { timeout: 60_000 }, async () => {
    const venv = join(work, 'venv-reqfile');
    const requirements = join(work, 'requirements.txt');
    await writeFile(requirements, `--index-url ${secondIndex}\nbeta==2.0\n`);
    const r = await paved(['install', '-r', requirements, '--target-venv', venv, '--json'], { env: env({ PAVED_CONFIG_FILE: configFile }) });
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(jsonResult<InstallData>(r).index, [secondIndex]);
    assert.equal(await imports(venv, 'import beta; print(beta.V)'), '2.0');
  });

  it('[tool.paved] of a pyproject.toml in the working directory gives the index to install from', { timeout: 60_000 }, async () => {
    const dir = join(work, 'project');
    await mkdir(dir);
    await writeFile(join(dir, 'pyproject.toml'), `[project]\nname = "p"\nversion = "0"\n\n[tool.paved]\nindex-url = "${secondIndex}"\n`);
    const venv = join(dir, '.venv');
    // Run from the project folder (tsx and main.ts named by absolute path).
    const args = ['--import', pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, join(REPO_ROOT, 'src', 'cli', 'main.ts')];
    const installed = await run(process.execPath, [...args, 'install', 'gamma', '--target-venv', venv, '--json'], { cwd: dir, env: pavedEnv(env({ PAVED_CONFIG_FILE: configFile })), timeoutMs: 60_000 });
    assert.equal(installed.code, 0, describeRun(installed));
    assert.deepEqual(jsonResult<InstallData>(installed).index, [secondIndex], 'the project wins over the user file for the default index');
    assert.equal(await imports(venv, 'import gamma; print(gamma.V)'), '3.0');

    // From a folder inside the project, the same pyproject.toml is found, as paved lock finds it.
    const inner = join(dir, 'src', 'pkg');
    await mkdir(inner, { recursive: true });
    const below = await run(process.execPath, [...args, 'install', 'gamma', '--target-venv', join(work, 'inner-venv'), '--dry-run', '--json'], { cwd: inner, env: pavedEnv(env({ PAVED_CONFIG_FILE: configFile })), timeoutMs: 60_000 });
    assert.equal(below.code, 0, describeRun(below));
    assert.deepEqual(jsonResult<InstallData>(below).index, [secondIndex]);
  });
});
