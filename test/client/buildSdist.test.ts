/**
 * Installing releases that exist only as sdists, from a real paved server: the sdist is built in
 * an isolated build environment whose requirements come from the same index, installed, and
 * cached, so a second install builds nothing. The in-tree back-end logs each hook call to a file,
 * which is the evidence of whether a build happened.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIndexClient, type IndexClient } from '../../src/client/indexClient/indexClient.js';
import { createSdistBuilder, isStaticSdistMetadata, type SdistBuildEvent } from '../../src/client/buildSdist.js';
import { installRequirements, resolveWheels, type InstallEvent } from '../../src/client/installRequirements.js';
import { isPavedError } from '../../src/errors.js';
import { findInterpreter, type PythonInterpreter } from '../../src/installer/interpreter.js';
import { createLocalImporter, importFiles } from '../../src/index/importDistributions.js';
import { emptyCoreMetadata } from '../../src/standards/coreMetadata.js';
import { buildSdist, buildWheel, sdistFilenameFor, wheelFilenameFor } from '../fixtures/buildDistributions.js';
import { HISTORY } from '../fixtures/corpus.js';
import { inTreeBackendSdist, type InTreeBackendOptions } from '../fixtures/inTreeBackend.js';
import { describeRun, run } from '../fixtures/pythonTools.js';
import { startTestServer, type TestServer } from '../fixtures/testServer.js';

let server: TestServer;
let work: string;
let client: IndexClient;
let interpreter: PythonInterpreter;
let counter = 0;

const logOf = (name: string): string => join(work, `${name}.log`);

async function readLog(name: string): Promise<string[]> {
  const path = logOf(name);
  return existsSync(path) ? (await readFile(path, 'utf8')).trim().split('\n') : [];
}

async function publish(files: { filename: string; bytes: Buffer }[]): Promise<void> {
  const dir = join(work, `upload-${counter++}`);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const f of files) {
    const path = join(dir, f.filename);
    await writeFile(path, f.bytes);
    paths.push(path);
  }
  const summary = await importFiles('root/main', paths, await createLocalImporter(server.storage, 'root/main'));
  assert.deepEqual(summary.refused, [], JSON.stringify(summary.refused));
}

async function sdistOf(options: Omit<InTreeBackendOptions, 'log'>): Promise<{ filename: string; bytes: Buffer }> {
  return { filename: sdistFilenameFor(options), bytes: await inTreeBackendSdist({ ...options, log: logOf(options.name) }) };
}

async function wheelOf(name: string, version: string, files?: Record<string, string>): Promise<{ filename: string; bytes: Buffer }> {
  return { filename: wheelFilenameFor({ name, version }), bytes: await buildWheel({ name, version, ...(files === undefined ? {} : { files }) }) };
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isPavedError(error), `expected a PavedError, got ${error instanceof Error ? error.stack : String(error)}`);
    return { code: error.code, message: error.message };
  }
  assert.fail('expected a failure');
}

function builds(events: InstallEvent[]): SdistBuildEvent[] {
  return events.flatMap((e) => (e.type === 'build' ? [e.event] : []));
}

describe('building sdists for installRequirements', () => {
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-build-sdist-'));
    server = await startTestServer();
    await publish([
      await wheelOf('helper', '1.0'),
      await wheelOf('buildhelper', '1.0'),
      await wheelOf('buildextra', '2.0'),
      await sdistOf({ name: 'demo', version: '1.0', requiresDist: ['helper>=1'] }),
      await sdistOf({ name: 'needsbuild', version: '1.0', buildRequires: ['buildhelper>=1'], wheelBuildRequires: ['buildextra'], imports: ['buildhelper', 'buildextra'] }),
      await sdistOf({ name: 'static', version: '1.0', requiresDist: [], pkgInfo: { 'Metadata-Version': '2.2', Name: 'static', Version: '1.0', 'Requires-Dist': 'helper' } }),
      await sdistOf({ name: 'dynamic', version: '1.0', requiresDist: ['helper'], pkgInfo: { 'Metadata-Version': '2.2', Name: 'dynamic', Version: '1.0', Dynamic: 'Requires-Dist' } }),
      await sdistOf({ name: 'selfish', version: '1.0', buildRequires: ['selfish'] }),
      await sdistOf({ name: 'cyc-a', version: '1.0', buildRequires: ['cyc-b'] }),
      await sdistOf({ name: 'cyc-b', version: '1.0', buildRequires: ['cyc-a'] }),
      await sdistOf({ name: 'broken', version: '1.0', mode: 'fail' }),
      await sdistOf({ name: 'hangs', version: '1.0', mode: 'hang' }),
    ]);
    await server.listen();
    client = createIndexClient({ indexUrls: [`${server.url}/simple/`], cacheDir: join(work, 'client-cache'), env: {} });
    interpreter = await findInterpreter({ python: '3.11' });
  });
  after(async () => {
    await client?.close();
    await server?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('installs a project that exists only as an sdist, then a second install takes the built wheel from the cache', { timeout: 120_000 }, async () => {
    const cacheDir = join(work, 'cache-demo');
    const events: InstallEvent[] = [];
    const venv = join(work, 'venv-demo');
    const result = await installRequirements({ requirements: [{ requirement: 'demo' }], client, venvDir: venv, python: interpreter.path, cacheDir, onEvent: (e) => events.push(e) });
    assert.deepEqual(result.installed.map((p) => `${p.name} ${p.version}`), ['demo 1.0', 'helper 1.0']);
    const probe = await run(join(venv, 'bin', 'python'), ['-c', 'import demo, helper, importlib.metadata as m; print(demo.VALUE, m.version("demo"), m.requires("demo"))']);
    assert.equal(probe.stdout.trim(), "1.0 1.0 ['helper>=1']", describeRun(probe));
    // Metadata from prepare_metadata_for_build_wheel, then the wheel from build_wheel.
    assert.deepEqual(await readLog('demo'), ['get_requires_for_build_wheel', 'prepare_metadata_for_build_wheel', 'get_requires_for_build_wheel', 'build_wheel']);
    assert.ok(builds(events).some((e) => e.type === 'built' && !e.cached && e.sdist === 'demo-1.0.tar.gz'));
    const built = await readdir(join(cacheDir, 'built-v1'), { recursive: true });
    assert.ok(built.some((p) => basename(p) === 'demo-1.0-py3-none-any.whl'), built.join(','));

    const again: InstallEvent[] = [];
    const venv2 = join(work, 'venv-demo-2');
    // Without the resolution memo (which would skip reading metadata altogether), so the sdist's cached metadata is what is read.
    await installRequirements({ requirements: [{ requirement: 'demo' }], client, venvDir: venv2, python: interpreter.path, cacheDir, memo: false, onEvent: (e) => again.push(e) });
    const probe2 = await run(join(venv2, 'bin', 'python'), ['-c', 'import demo; print(demo.VALUE)']);
    assert.equal(probe2.stdout.trim(), '1.0', describeRun(probe2));
    assert.equal((await readLog('demo')).length, 4, 'no hook ran again');
    assert.ok(builds(again).some((e) => e.type === 'built' && e.cached));
    assert.ok(builds(again).some((e) => e.type === 'sdist-metadata' && e.from === 'cache'));
  });

  it('installs the [build-system] requirements and those get_requires_for_build_wheel names into the build environment, from the index', { timeout: 120_000 }, async () => {
    const cacheDir = join(work, 'cache-needs');
    const events: InstallEvent[] = [];
    const venv = join(work, 'venv-needs');
    await installRequirements({ requirements: [{ requirement: 'needsbuild' }], client, venvDir: venv, python: interpreter.path, cacheDir, onEvent: (e) => events.push(e) });
    assert.ok((await readLog('needsbuild')).includes('imported buildhelper'));
    assert.ok((await readLog('needsbuild')).includes('imported buildextra'));
    const envs = builds(events).filter((e) => e.type === 'build-env');
    assert.deepEqual(envs.map((e) => (e.type === 'build-env' ? e.requirements : [])), [['buildhelper>=1'], ['buildextra', 'buildhelper>=1']]);
    // Build requirements stay in the build environment, not the target.
    const listed = await run(join(venv, 'bin', 'python'), ['-c', 'import importlib.util as u; print(u.find_spec("buildhelper") is None)']);
    assert.equal(listed.stdout.trim(), 'True');
    // The environments are cached by their requirement set.
    const cachedEnvs = (await readdir(join(cacheDir, 'build-envs-v1'))).filter((n) => !n.startsWith('.'));
    assert.equal(cachedEnvs.length, 2);
    for (const env of cachedEnvs) assert.ok(existsSync(join(cacheDir, 'build-envs-v1', env, '.paved-build-env')));
  });

  it('takes dependencies from PKG-INFO when PEP 643 makes it static, and asks the back-end when Requires-Dist is dynamic', { timeout: 60_000 }, async () => {
    const events: SdistBuildEvent[] = [];
    const builder = createSdistBuilder({ client, interpreter, cacheDir: join(work, 'cache-643'), onEvent: (e) => events.push(e) });
    const staticResolved = await resolveWheels({ requirements: [{ requirement: 'static' }], client, interpreter, builder });
    assert.deepEqual(staticResolved.wheels.map((w) => w.name), ['helper', 'static']);
    assert.deepEqual(await readLog('static'), [], 'no hook ran: PKG-INFO was enough');
    assert.ok(events.some((e) => e.type === 'sdist-metadata' && e.sdist === 'static-1.0.tar.gz' && e.from === 'pkg-info'));

    const dynamicResolved = await resolveWheels({ requirements: [{ requirement: 'dynamic' }], client, interpreter, builder });
    assert.deepEqual(dynamicResolved.wheels.map((w) => w.name), ['dynamic', 'helper']);
    assert.deepEqual(await readLog('dynamic'), ['get_requires_for_build_wheel', 'prepare_metadata_for_build_wheel']);
  });

  it('without a builder, sdist-only releases are still skipped and named', async () => {
    const e = await failure(resolveWheels({ requirements: [{ requirement: 'demo' }], client, interpreter }));
    assert.equal(e.code, 'PAVED_E_NO_SOLUTION');
    assert.match(e.message, /demo 1\.0 \(sdist only\)/);
  });

  it('noBuild keeps sdist-only releases out of an install', async () => {
    const e = await failure(installRequirements({ requirements: [{ requirement: 'demo' }], client, venvDir: join(work, 'venv-nobuild'), python: interpreter.path, cacheDir: join(work, 'cache-nobuild'), build: { noBuild: true } }));
    assert.equal(e.code, 'PAVED_E_NO_SOLUTION');
    assert.ok(!existsSync(join(work, 'venv-nobuild')));
  });

  it('refuses a project whose build needs itself', { timeout: 60_000 }, async () => {
    const e = await failure(installRequirements({ requirements: [{ requirement: 'selfish' }], client, venvDir: join(work, 'venv-selfish'), python: interpreter.path, cacheDir: join(work, 'cache-selfish') }));
    assert.equal(e.code, 'PAVED_E_BUILD_CYCLE');
    assert.match(e.message, /building selfish needs selfish itself/);
    assert.ok(!existsSync(join(work, 'venv-selfish')));
  });

  it('refuses a cycle of build requirements, naming the chain', { timeout: 60_000 }, async () => {
    const e = await failure(installRequirements({ requirements: [{ requirement: 'cyc-a' }], client, venvDir: join(work, 'venv-cyc'), python: interpreter.path, cacheDir: join(work, 'cache-cyc') }));
    assert.equal(e.code, 'PAVED_E_BUILD_CYCLE');
    assert.match(e.message, /cyc-a → cyc-b → cyc-a/);
  });

  it('a failing build stops the install with the back-end\'s output and changes nothing', { timeout: 60_000 }, async () => {
    const venv = join(work, 'venv-broken');
    const e = await failure(installRequirements({ requirements: [{ requirement: 'broken' }], client, venvDir: venv, python: interpreter.path, cacheDir: join(work, 'cache-broken') }));
    assert.equal(e.code, 'PAVED_E_BUILD_FAILED');
    assert.match(e.message, /building broken-1\.0\.tar\.gz failed: build_wheel/);
    assert.match(e.message, /the compiler exploded/);
    assert.ok(!existsSync(venv));
  });

  it('a hanging build is stopped after build.timeoutMs', { timeout: 60_000 }, async () => {
    const started = Date.now();
    const e = await failure(installRequirements({ requirements: [{ requirement: 'hangs' }], client, venvDir: join(work, 'venv-hangs'), python: interpreter.path, cacheDir: join(work, 'cache-hangs'), build: { timeoutMs: 1500 } }));
    assert.equal(e.code, 'PAVED_E_BUILD_TIMEOUT');
    assert.match(e.message, /building hangs-1\.0\.tar\.gz failed: build_wheel .* did not finish within 2 s/);
    assert.ok(Date.now() - started < 30_000);
  });

  it('a hostile sdist from a find-links folder is refused before anything runs', { timeout: 60_000 }, async () => {
    const folder = join(work, 'hostile-links');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(folder);
    await writeFile(
      join(folder, 'evil-1.0.tar.gz'),
      await buildSdist({ name: 'evil', version: '1.0', extraEntries: [{ name: 'evil-1.0/../../escaped.txt', data: 'x' }] }),
    );
    await writeFile(join(folder, 'linky-1.0.tar.gz'), await buildSdist({ name: 'linky', version: '1.0', extraEntries: [{ name: 'linky-1.0/etc', type: 'symlink', linkname: '/etc' }] }));
    const local = createIndexClient({ indexUrls: [], findLinks: [folder], env: {} });
    try {
      for (const name of ['evil', 'linky']) {
        const e = await failure(installRequirements({ requirements: [{ requirement: name }], client: local, venvDir: join(work, `venv-${name}`), python: interpreter.path, cacheDir: join(work, 'cache-hostile') }));
        assert.equal(e.code, 'PAVED_E_UNSAFE_SDIST', e.message);
        assert.match(e.message, new RegExp(`${name}-1\\.0\\.tar\\.gz is refused`));
        assert.ok(!existsSync(join(work, `venv-${name}`)));
      }
      assert.ok(!existsSync(join(work, 'escaped.txt')) && !existsSync(join(work, 'cache-hostile', 'escaped.txt')));
    } finally {
      await local.close();
    }
  });

  it('isStaticSdistMetadata follows PEP 643', () => {
    const base = { ...emptyCoreMetadata(), name: 'x', version: '1' };
    assert.equal(isStaticSdistMetadata({ ...base, metadataVersion: '2.1' }), false);
    assert.equal(isStaticSdistMetadata({ ...base, metadataVersion: '2.2' }), true);
    assert.equal(isStaticSdistMetadata({ ...base, metadataVersion: '2.4', dynamic: ['Summary'] }), true);
    assert.equal(isStaticSdistMetadata({ ...base, metadataVersion: '2.2', dynamic: ['requires-dist'] }), false);
    assert.equal(isStaticSdistMetadata({ ...base, metadataVersion: '10.0' }), true);
  });
});

describe('building with real setuptools from the corpus', () => {
  let realServer: TestServer;
  let realWork: string;
  let realClient: IndexClient;

  before(async () => {
    realWork = await mkdtemp(join(tmpdir(), 'paved-setuptools-'));
    realServer = await startTestServer();
    const corpus = (await readdir(HISTORY)).filter((f) => /^(setuptools-67\.6\.1|setuptools-65\.5\.0|wheel-0\.40\.0)-/.test(f)).map((f) => join(HISTORY, f));
    assert.equal(corpus.length, 3);
    const sdist = await buildSdist({
      name: 'legacy-proj',
      version: '2.3',
      pkgInfo: { metadataVersion: '2.1' },
      files: {
        // No [build-system]: pip's legacy default, setuptools>=40.8.0 and whatever it asks for (wheel).
        'setup.cfg': '[metadata]\nname = legacy-proj\nversion = 2.3\n\n[options]\npackages = find:\ninstall_requires =\n    wheel>=0.40\n',
        'setup.py': 'from setuptools import setup\nsetup()\n',
        'legacy_proj/__init__.py': 'GREETING = "built by setuptools"\n',
      },
    });
    const dir = join(realWork, 'upload');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir);
    await writeFile(join(dir, 'legacy_proj-2.3.tar.gz'), sdist);
    const summary = await importFiles('root/main', [...corpus, join(dir, 'legacy_proj-2.3.tar.gz')], await createLocalImporter(realServer.storage, 'root/main'));
    assert.deepEqual(summary.refused, [], JSON.stringify(summary.refused));
    await realServer.listen();
    realClient = createIndexClient({ indexUrls: [`${realServer.url}/simple/`], cacheDir: join(realWork, 'client-cache'), env: {} });
    interpreter ??= await findInterpreter({ python: '3.11' });
  });
  after(async () => {
    await realClient?.close();
    await realServer?.close();
    if (realWork !== undefined) await rm(realWork, { recursive: true, force: true });
  });

  it('builds a setup.cfg project with the legacy setuptools back-end and installs it', { timeout: 240_000 }, async () => {
    const events: InstallEvent[] = [];
    const venv = join(realWork, 'venv');
    const result = await installRequirements({ requirements: [{ requirement: 'legacy-proj' }], client: realClient, venvDir: venv, python: interpreter.path, cacheDir: join(realWork, 'cache'), onEvent: (e) => events.push(e) });
    assert.deepEqual(result.installed.map((p) => `${p.name} ${p.version}`), ['legacy-proj 2.3', 'wheel 0.40.0']);
    const probe = await run(join(venv, 'bin', 'python'), ['-c', 'import legacy_proj, importlib.metadata as m; print(legacy_proj.GREETING, "|", m.version("legacy-proj"), "|", m.requires("legacy-proj"))']);
    // setuptools 67 still writes the old `name (>=x)` form of Requires-Dist.
    assert.match(probe.stdout.trim(), /^built by setuptools \| 2\.3 \| \['wheel ?\(?>=0\.40\)?'\]$/, describeRun(probe));
    const envs = builds(events).filter((e) => e.type === 'build-env').map((e) => (e.type === 'build-env' ? e.requirements.join(' ') : ''));
    assert.deepEqual(envs, ['setuptools>=40.8.0', 'setuptools>=40.8.0 wheel']);
    // The newest setuptools the index has was chosen for the build environment.
    const nested = builds(events).flatMap((e) => (e.type === 'build-env-install' && e.event.type === 'resolved' ? [e.event] : []));
    assert.ok(nested.length >= 1);
    assert.ok(!existsSync(join(venv, 'lib', 'python3.11', 'site-packages', 'setuptools')), 'setuptools stays in the build environment');
  });
});
