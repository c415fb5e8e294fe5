/**
 * Two paved processes working on one project's `.venv` at the same moment (two terminals, an
 * editor's `paved run` beside the user's `paved sync`): the real CLI, started together against a
 * live server, must all succeed and leave one intact environment, judged by importing from it and
 * by the machine's own `pip check`.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRun, isolatedPipEnv, run } from '../fixtures/pythonTools.js';
import { startCorpusWorkspace, type CorpusWorkspace } from '../fixtures/testServer.js';
import { paved } from './pavedCli.js';

const PYPROJECT = `[project]
name = "together"
version = "0.1"
requires-python = ">=3.11,<3.12"
dependencies = ["flask", "rich", "httpx"]
`;

describe('concurrent paved sync and run on one project', () => {
  let workspace: CorpusWorkspace;
  let env: Record<string, string>;

  before(async () => {
    workspace = await startCorpusWorkspace('paved-sync-concurrent-');
    env = { PAVED_INDEX_URL: workspace.index, PAVED_CACHE_DIR: workspace.cache, PAVED_CONFIG_FILE: '/dev/null' };
  });
  after(() => workspace?.close());

  const newProject = async (name: string): Promise<string> => {
    const dir = join(workspace.work, name);
    await mkdir(dir);
    await writeFile(join(dir, 'pyproject.toml'), PYPROJECT);
    return dir;
  };

  /** The environment works and is whole: imports, the machine's pip finds nothing broken, and nothing of the work is left beside it. */
  const assertIntact = async (project: string): Promise<void> => {
    const python = join(project, '.venv', 'bin', 'python');
    const imported = await run(python, ['-c', 'import flask, rich, httpx; print("ok")']);
    assert.equal(imported.stdout, 'ok\n', describeRun(imported));
    const check = await run('python3', ['-m', 'pip', '--python', python, '--disable-pip-version-check', 'check'], { env: isolatedPipEnv(), timeoutMs: 60_000 });
    assert.equal(check.code, 0, describeRun(check));
    const distInfos = (await readdir(join(project, '.venv', 'lib', 'python3.11', 'site-packages'))).filter((e) => e.endsWith('.dist-info'));
    const names = distInfos.map((d) => d.split('-')[0]?.toLowerCase());
    assert.equal(new Set(names).size, names.length, `one installation of each: ${distInfos.join(', ')}`);
    assert.deepEqual((await readdir(project)).filter((e) => e.startsWith('.venv') && e !== '.venv').sort(), [], 'no lock file or half-made environment left');
  };

  it('three paved sync started together into a missing .venv all succeed; one makes it, the others find it current', { timeout: 240_000 }, async () => {
    const project = await newProject('sync-together');
    // Locked first, so the three race on the environment only.
    const locked = await paved(['lock', '--project', project], { env });
    assert.equal(locked.code, 0, describeRun(locked));
    const runs = await Promise.all([1, 2, 3].map(() => paved(['sync', '--project', project], { env, timeoutMs: 180_000 })));
    for (const r of runs) assert.equal(r.code, 0, describeRun(r));
    assert.equal(runs.filter((r) => /synced .*\.venv/.test(r.stdout)).length, 1, runs.map(describeRun).join('\n'));
    assert.equal(runs.filter((r) => /\.venv already matches the lock/.test(r.stdout)).length, 2, runs.map(describeRun).join('\n'));
    await assertIntact(project);
  });

  it('three paved run started together in a project without .venv all run the program in a whole environment', { timeout: 240_000 }, async () => {
    const project = await newProject('run-together');
    const locked = await paved(['lock', '--project', project], { env });
    assert.equal(locked.code, 0, describeRun(locked));
    const program = ['run', '--project', project, '--', 'python', '-c', 'import flask, rich, httpx; print("ran")'];
    const runs = await Promise.all([1, 2, 3].map(() => paved(program, { env, timeoutMs: 180_000 })));
    for (const r of runs) {
      assert.equal(r.code, 0, describeRun(r));
      assert.equal(r.stdout, 'ran\n', describeRun(r));
    }
    await assertIntact(project);
  });

  it('three paved install into one missing --target-venv, started together, all succeed and leave one whole environment', { timeout: 240_000 }, async () => {
    const project = await newProject('install-together');
    const venv = join(project, '.venv');
    const runs = await Promise.all([1, 2, 3].map(() => paved(['install', 'flask', 'rich', 'httpx', '--target-venv', venv, '--python', '3.11'], { env, timeoutMs: 180_000 })));
    for (const r of runs) assert.equal(r.code, 0, describeRun(r));
    assert.equal(runs.filter((r) => /created \S*\.venv/.test(r.stdout)).length, 1, runs.map(describeRun).join('\n'));
    await assertIntact(project);
  });
});
