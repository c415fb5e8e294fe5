/**
 * `paved sync` installing the project itself in editable mode (PEP 660), as uv and Poetry do:
 * the real CLI against a live paved server holding the corpus and the history wheels (setuptools
 * and wheel for the build environment), judged by importing, by editing the source, and by the
 * machine's own pip.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HISTORY, PYPI_SUBSET } from '../fixtures/corpus.js';
import { inTreeBackendSource } from '../fixtures/inTreeBackend.js';
import { describeRun, isolatedPipEnv, run, type RunResult } from '../fixtures/pythonTools.js';
import { startCorpusWorkspace, type CorpusWorkspace } from '../fixtures/testServer.js';
import { jsonEvents, jsonResult, paved } from './pavedCli.js';

function machinePip(venvPython: string, args: string[]): Promise<RunResult> {
  return run('python3', ['-m', 'pip', '--python', venvPython, '--disable-pip-version-check', ...args], { env: isolatedPipEnv(), timeoutMs: 60_000 });
}

interface SyncResult {
  install: { name: string; version: string }[];
  upgrade: { name: string; from: string; version: string }[];
  remove: { name: string }[];
}

const pyproject = (version: string): string => `[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "greeter"
version = "${version}"
requires-python = ">=3.11"
dependencies = ["idna"]
`;

describe('paved sync installs the project itself, editable', () => {
  let workspace: CorpusWorkspace;
  let work: string;
  let env: Record<string, string>;

  before(async () => {
    workspace = await startCorpusWorkspace('paved-editable-', [PYPI_SUBSET, HISTORY]);
    work = workspace.work;
    env = { PAVED_INDEX_URL: workspace.index, PAVED_CACHE_DIR: workspace.cache, PAVED_PYTHON: '3.11' };
  });
  after(() => workspace?.close());

  it('builds it with its back-end, keeps it while nothing changes, rebuilds on a new version, and leaves it out on request', { timeout: 240_000 }, async () => {
    const project = join(work, 'greeter');
    await mkdir(join(project, 'src', 'greeter'), { recursive: true });
    await writeFile(join(project, 'pyproject.toml'), pyproject('0.1.0'));
    const source = join(project, 'src', 'greeter', '__init__.py');
    await writeFile(source, 'def hello():\n    return "hello"\n');

    // A dry run builds nothing and plans the project at its stated version.
    const planned = await paved(['sync', '--dry-run', '--project', project, '--json'], { env });
    assert.equal(planned.code, 0, describeRun(planned));
    assert.deepEqual(jsonResult<SyncResult>(planned).install.map((p) => `${p.name} ${p.version}`).sort(), ['greeter 0.1.0', 'idna 3.20']);
    assert.equal(existsSync(join(project, '.venv')), false);
    assert.equal(existsSync(join(project, 'pylock.toml')), false, 'a dry run writes no lock either');
    assert.ok(jsonEvents(planned.stdout).some((e) => e.type === 'info' && /would write \S*pylock\.toml \(1 package\)/.test(String(e['message']))), planned.stdout);

    const first = await paved(['sync', '--project', project, '--json'], { env });
    assert.equal(first.code, 0, describeRun(first));
    assert.deepEqual(jsonResult<SyncResult>(first).install.map((p) => `${p.name} ${p.version}`).sort(), ['greeter 0.1.0', 'idna 3.20']);

    const python = join(project, '.venv', 'bin', 'python');
    const said = await run(python, ['-c', 'import greeter; print(greeter.hello()); print(greeter.__file__)']);
    assert.equal(said.code, 0, describeRun(said));
    assert.deepEqual(said.stdout.trim().split('\n'), ['hello', source], 'imported from the project folder itself');
    // Editable: a change to the source shows without syncing again.
    await writeFile(source, 'def hello():\n    return "changed"\n');
    assert.equal((await run(python, ['-c', 'import greeter; print(greeter.hello())'])).stdout.trim(), 'changed');

    // pip sees an editable install of the project, and a consistent environment.
    const listed = await machinePip(python, ['list', '--format=json']);
    assert.equal(listed.code, 0, describeRun(listed));
    const entry = (JSON.parse(listed.stdout) as { name: string; version: string; editable_project_location?: string }[]).find((p) => p.name === 'greeter');
    assert.equal(entry?.version, '0.1.0');
    assert.equal(entry?.editable_project_location, project);
    const check = await machinePip(python, ['check']);
    assert.equal(check.code, 0, describeRun(check));

    // Nothing changed: nothing is built or installed again.
    const again = await paved(['sync', '--project', project, '--json'], { env });
    assert.equal(again.code, 0, describeRun(again));
    const quiet = jsonResult<SyncResult>(again);
    assert.deepEqual([quiet.install, quiet.upgrade, quiet.remove], [[], [], []]);

    // A new version in pyproject.toml is a new build.
    await writeFile(join(project, 'pyproject.toml'), pyproject('0.2.0'));
    const plannedBump = await paved(['sync', '--dry-run', '--project', project, '--json'], { env });
    assert.equal(plannedBump.code, 0, describeRun(plannedBump));
    assert.deepEqual(jsonResult<SyncResult>(plannedBump).upgrade.map((p) => `${p.name} ${p.from} -> ${p.version}`), ['greeter 0.1.0 -> 0.2.0']);
    const bumped = await paved(['sync', '--project', project, '--json'], { env });
    assert.equal(bumped.code, 0, describeRun(bumped));
    assert.deepEqual(jsonResult<SyncResult>(bumped).upgrade.map((p) => `${p.name} ${p.from} -> ${p.version}`), ['greeter 0.1.0 -> 0.2.0']);
    const version = await run(python, ['-c', 'import importlib.metadata as m; print(m.version("greeter"))']);
    assert.equal(version.stdout.trim(), '0.2.0', describeRun(version));

    // --no-install-project: the environment is the lock's alone.
    const without = await paved(['sync', '--no-install-project', '--project', project, '--json'], { env });
    assert.equal(without.code, 0, describeRun(without));
    assert.deepEqual(jsonResult<SyncResult>(without).remove.map((p) => p.name), ['greeter']);
    assert.equal((await run(python, ['-c', 'import greeter'])).code, 1, 'greeter is gone');
    assert.equal((await run(python, ['-c', 'import idna'])).code, 0, 'its dependencies stay');
  });

  it('paved install -e DIR and a requirements file\'s -e line install the project editable, as pip does', { timeout: 240_000 }, async () => {
    const project = join(work, 'tool');
    await mkdir(join(project, 'src', 'tool'), { recursive: true });
    await writeFile(join(project, 'pyproject.toml'), `${pyproject('1.0').replaceAll('greeter', 'tool')}\n[project.optional-dependencies]\ncli = ["click"]\n`);
    await writeFile(join(project, 'src', 'tool', '__init__.py'), 'NAME = "tool"\n');
    const venv = join(work, 'tool-venv');
    const python = join(venv, 'bin', 'python');

    const first = await paved(['install', '-e', project, '--target-venv', venv, '--json'], { env });
    assert.equal(first.code, 0, describeRun(first));
    assert.deepEqual(jsonResult<{ installed: { name: string }[] }>(first).installed.map((p) => p.name).sort(), ['idna', 'tool']);
    const imported = await run(python, ['-c', 'import tool; print(tool.__file__)']);
    assert.equal(imported.stdout.trim(), join(project, 'src', 'tool', '__init__.py'), describeRun(imported));
    const listed = await machinePip(python, ['list', '--format=json']);
    assert.equal((JSON.parse(listed.stdout) as { name: string; editable_project_location?: string }[]).find((p) => p.name === 'tool')?.editable_project_location, project);

    // From a requirements file (paths relative to the working directory, as pip reads them): built
    // and installed again, here with an extra, whose requirements come too. The same folder named
    // twice is one install, with the extras of both.
    await writeFile(join(work, 'requirements.txt'), '-e ./tool[cli]\n-e ./tool\nidna\n');
    const again = await paved(['install', '-r', 'requirements.txt', '--target-venv', venv, '--json'], { env, cwd: work });
    assert.equal(again.code, 0, describeRun(again));
    assert.deepEqual(jsonResult<{ installed: { name: string; reinstalled?: boolean }[] }>(again).installed, [
      { name: 'click', version: '8.5.0' },
      { name: 'tool', version: '1.0', reinstalled: true },
    ]);
    assert.equal((await run(python, ['-c', 'import click'])).code, 0, 'the extra\'s dependency is installed');
    const check = await machinePip(python, ['check']);
    assert.equal(check.code, 0, describeRun(check));

    // What cannot work says so.
    const badExtras = await paved(['install', '-e', `${project}[no extra!]`, '--target-venv', venv], { env });
    assert.equal(badExtras.code, 1, describeRun(badExtras));
    assert.match(badExtras.stderr, /\[no extra!\] is not a list of extras/);
    const notAProject = await paved(['install', '-e', join(work, 'cache'), '--target-venv', venv], { env });
    assert.equal(notAProject.code, 1, describeRun(notAProject));
    assert.match(notAProject.stderr, /has neither pyproject\.toml nor setup\.py/);
    const hashed = await paved(['install', '-e', project, '--require-hashes', '--target-venv', venv], { env });
    assert.equal(hashed.code, 1, describeRun(hashed));
    assert.match(hashed.stderr, /--require-hashes/);
    await writeFile(join(work, 'vcs.txt'), '-e git+https://example.invalid/x.git#egg=x\n');
    const vcs = await paved(['install', '-r', join(work, 'vcs.txt'), '--target-venv', venv], { env });
    assert.equal(vcs.code, 1, describeRun(vcs));
    assert.match(vcs.stderr, /only local project folders can be installed in editable mode/);
    const download = await paved(['download', '-r', 'requirements.txt', '-d', join(work, 'wheels')], { env, cwd: work });
    assert.equal(download.code, 1, describeRun(download));
    assert.match(download.stderr, /not something to download/);
  });

  it('a back-end without build_editable is a clear error, and no environment is made', { timeout: 120_000 }, async () => {
    const project = join(work, 'plain');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'backend.py'), inTreeBackendSource({ name: 'plain', version: '1.0', log: join(project, 'hooks.log') }));
    await writeFile(join(project, 'pyproject.toml'), '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n[project]\nname = "plain"\nversion = "1.0"\nrequires-python = ">=3.11"\ndependencies = []\n');
    const r = await paved(['sync', '--project', project], { env });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, /cannot be installed in editable mode: back-end backend has no build_editable hook \(PEP 660\)/);
    assert.match(r.stderr, /--no-install-project/);
    assert.equal(existsSync(join(project, '.venv')), false);

    const skipped = await paved(['sync', '--no-install-project', '--project', project], { env });
    assert.equal(skipped.code, 0, describeRun(skipped));
  });
});
