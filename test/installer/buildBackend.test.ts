import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPavedError } from '../../src/errors.js';
import {
  buildMetadataWithBackend,
  buildWheelWithBackend,
  getRequiresForBuildWheel,
  prepareMetadataForBuildWheel,
  readBuildSystem,
  type BuildBackendEvent,
  type BuildHookOptions,
} from '../../src/installer/buildBackend.js';
import { createVenv, type Venv } from '../../src/installer/createVenv.js';
import { findInterpreter } from '../../src/installer/interpreter.js';
import { unpackSdist } from '../../src/installer/unpackSdist.js';
import { inTreeBackendSdist, type InTreeBackendOptions } from '../fixtures/inTreeBackend.js';

let work: string;
let venv: Venv;
let counter = 0;

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> | undefined }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isPavedError(error), `expected a PavedError, got ${String(error)}`);
    return { code: error.code, message: error.message, details: error.details };
  }
  assert.fail('expected a failure');
}

/** Unpacks an in-tree-backend sdist and returns hook options for it. */
async function tree(options: Partial<InTreeBackendOptions> = {}, extra: Partial<BuildHookOptions> = {}): Promise<BuildHookOptions & { log: string }> {
  const n = counter++;
  const log = join(work, `log-${n}`);
  const archive = join(work, `sdist-${n}.tar.gz`);
  await writeFile(archive, await inTreeBackendSdist({ name: 'demo', version: '1.0', log, ...options }));
  const { sourceDir } = await unpackSdist(archive, join(work, `src-${n}`));
  return { python: venv.python, sourceDir, buildSystem: await readBuildSystem(sourceDir, 'demo-1.0.tar.gz'), sdist: 'demo-1.0.tar.gz', log, ...extra };
}

async function readLog(path: string): Promise<string[]> {
  return existsSync(path) ? (await readFile(path, 'utf8')).trim().split('\n') : [];
}

async function pyprojectTree(text: string | null, setup: (dir: string) => Promise<void> = async () => {}): Promise<string> {
  const dir = join(work, `tree-${counter++}`);
  await mkdir(dir, { recursive: true });
  if (text !== null) await writeFile(join(dir, 'pyproject.toml'), text);
  await setup(dir);
  return dir;
}

describe('readBuildSystem', () => {
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-backend-'));
  });

  it('falls back to the legacy setuptools back-end like pip when nothing or only requires is declared', async () => {
    const none = await readBuildSystem(await pyprojectTree(null), 'x.tar.gz');
    assert.deepEqual(none, { requires: ['setuptools>=40.8.0'], backend: 'setuptools.build_meta:__legacy__', backendPath: [], declared: false });
    const noTable = await readBuildSystem(await pyprojectTree('[project]\nname = "x"\n'), 'x.tar.gz');
    assert.equal(noTable.backend, 'setuptools.build_meta:__legacy__');
    const requiresOnly = await readBuildSystem(await pyprojectTree('[build-system]\nrequires = ["setuptools>=60", "wheel"]\n'), 'x.tar.gz');
    assert.deepEqual(requiresOnly, { requires: ['setuptools>=60', 'wheel'], backend: 'setuptools.build_meta:__legacy__', backendPath: [], declared: false });
  });

  it('reads a declared back-end and resolves backend-path inside the tree', async () => {
    const dir = await pyprojectTree('[build-system]\nrequires = []\nbuild-backend = "backend:impl"\nbackend-path = [".", "tools"]\n');
    const bs = await readBuildSystem(dir, 'x.tar.gz');
    assert.equal(bs.backend, 'backend:impl');
    assert.equal(bs.declared, true);
    assert.equal(bs.backendPath.length, 2);
    assert.ok(bs.backendPath[1]?.endsWith('/tools'));
  });

  const bad: { name: string; text: string; pattern: RegExp }[] = [
    { name: 'invalid TOML', text: '[build-system\nrequires = [', pattern: /not valid TOML/ },
    { name: 'a table without requires', text: '[build-system]\nbuild-backend = "x"\n', pattern: /requires must be a list of strings/ },
    { name: 'an invalid requirement', text: '[build-system]\nrequires = ["not a requirement!!"]\n', pattern: /invalid requirement/ },
    { name: 'a back-end name with code in it', text: '[build-system]\nrequires = []\nbuild-backend = "os; import os"\n', pattern: /not a module:object name/ },
    { name: 'backend-path climbing out', text: '[build-system]\nrequires = []\nbuild-backend = "b"\nbackend-path = ["../.."]\n', pattern: /points outside the source tree/ },
    { name: 'an absolute backend-path', text: '[build-system]\nrequires = []\nbuild-backend = "b"\nbackend-path = ["/usr/lib/python3"]\n', pattern: /points outside the source tree/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} with a clear error`, async () => {
      const e = await failure(readBuildSystem(await pyprojectTree(c.text), 'x-1.0.tar.gz'));
      assert.equal(e.code, 'PAVED_E_INVALID_BUILD_SYSTEM');
      assert.match(e.message, /^x-1\.0\.tar\.gz: /);
      assert.match(e.message, c.pattern);
    });
  }

  it('refuses an oversized pyproject.toml', async () => {
    const e = await failure(readBuildSystem(await pyprojectTree(`# ${'x'.repeat(2 * 1024 * 1024)}\n`), 'x.tar.gz'));
    assert.equal(e.code, 'PAVED_E_INVALID_BUILD_SYSTEM');
    assert.match(e.message, /limit/);
  });
});

describe('PEP 517 hooks with an in-tree back-end', () => {
  before(async () => {
    work ??= await mkdtemp(join(tmpdir(), 'paved-backend-'));
    venv = await createVenv(join(work, 'build-env'), await findInterpreter({ python: '3.11' }));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('asks for build requirements, prepares metadata and builds a wheel', async () => {
    const events: BuildBackendEvent[] = [];
    const options = await tree({ wheelBuildRequires: ['wheel>=0.40'], requiresDist: ['idna>=3'] }, { onEvent: (e) => events.push(e) });
    assert.deepEqual(await getRequiresForBuildWheel(options), ['wheel>=0.40']);
    const distInfo = await prepareMetadataForBuildWheel(options, join(work, 'meta'));
    assert.equal(basename(distInfo ?? ''), 'demo-1.0.dist-info');
    assert.match(await readFile(join(distInfo as string, 'METADATA'), 'utf8'), /Requires-Dist: idna>=3/);
    const wheel = await buildWheelWithBackend(options, join(work, 'wheels'));
    assert.equal(basename(wheel), 'demo-1.0-py3-none-any.whl');
    assert.ok(existsSync(wheel));
    assert.deepEqual(await readLog(options.log), ['get_requires_for_build_wheel', 'prepare_metadata_for_build_wheel', 'build_wheel']);
    assert.ok(events.some((e) => e.type === 'hook-output' && e.hook === 'build_wheel' && e.line === 'compiling step 99'));
    assert.deepEqual(events.filter((e) => e.type === 'hook-started').map((e) => e.hook), ['get_requires_for_build_wheel', 'prepare_metadata_for_build_wheel', 'build_wheel']);
  });

  it('learns metadata by building the wheel when the back-end has no prepare_metadata_for_build_wheel', async () => {
    const options = await tree({ prepareMetadata: false, requiresDist: ['attrs'] });
    const built = await buildMetadataWithBackend(options, join(work, `fallback-${counter++}`));
    assert.equal(built.distInfoDir, null);
    assert.equal(basename(built.wheelPath ?? ''), 'demo-1.0-py3-none-any.whl');
    assert.deepEqual(built.metadata.requiresDist, ['attrs']);
    assert.deepEqual(await readLog(options.log), ['build_wheel']);
  });

  it('uses prepare_metadata_for_build_wheel without building when the back-end has it', async () => {
    const options = await tree({ requiresDist: ['attrs'] });
    const built = await buildMetadataWithBackend(options, join(work, `prepared-${counter++}`));
    assert.equal(built.wheelPath, null);
    assert.equal(built.metadata.version, '1.0');
    assert.deepEqual(await readLog(options.log), ['prepare_metadata_for_build_wheel']);
  });

  it('a failing back-end gives PAVED_E_BUILD_FAILED naming the sdist and hook, with the tail of its output', async () => {
    const options = await tree({ mode: 'fail' }, { outputTailLines: 12 });
    const e = await failure(buildWheelWithBackend(options, join(work, 'fail-wheels')));
    assert.equal(e.code, 'PAVED_E_BUILD_FAILED');
    assert.match(e.message, /^building demo-1\.0\.tar\.gz failed: build_wheel of back-end backend failed \(exit code 1\)/);
    assert.match(e.message, /error: the compiler exploded/);
    assert.match(e.message, /RuntimeError: build failed on purpose/);
    assert.ok(!e.message.includes('compiling step 10\n'), 'only the tail is shown');
    assert.equal((e.details?.['output'] as string[]).length, 12);
  });

  it('a hanging back-end is stopped after the timeout with PAVED_E_BUILD_TIMEOUT', { timeout: 30_000 }, async () => {
    const options = await tree({ mode: 'hang' }, { timeoutMs: 1500 });
    const started = Date.now();
    const e = await failure(buildWheelWithBackend(options, join(work, 'hang-wheels')));
    assert.equal(e.code, 'PAVED_E_BUILD_TIMEOUT');
    assert.match(e.message, /build_wheel of back-end backend did not finish within 2 s/);
    assert.match(e.message, /compiling step 99/);
    assert.ok(Date.now() - started < 15_000);
  });

  it('a back-end that cannot be imported is named in the error', async () => {
    const options = await tree();
    const e = await failure(getRequiresForBuildWheel({ ...options, buildSystem: { ...options.buildSystem, backend: 'no_such_backend_module' } }));
    assert.equal(e.code, 'PAVED_E_BUILD_FAILED');
    assert.match(e.message, /no_such_backend_module could not be run: the back-end cannot be imported/);
    assert.match(e.message, /ModuleNotFoundError/);
  });

  it('a back-end returning a path instead of a file name is refused', async () => {
    const options = await tree();
    await writeFile(join(options.sourceDir, 'evil.py'), 'def build_wheel(d, config_settings=None, metadata_directory=None):\n    return "../../etc/passwd"\n');
    const e = await failure(buildWheelWithBackend({ ...options, buildSystem: { ...options.buildSystem, backend: 'evil' } }, join(work, 'evil-wheels')));
    assert.equal(e.code, 'PAVED_E_BUILD_FAILED');
    assert.match(e.message, /not the name of what it wrote/);
  });
});
