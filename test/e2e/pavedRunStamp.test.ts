/**
 * `paved run` skips syncing when nothing a sync depends on changed since the last one (the sync
 * stamp), and syncs as before whenever something did: a package removed behind paved's back, an
 * edited pyproject.toml, another selection of extras, a deleted lock. The `--json` result says
 * which (`sync`: ran / unchanged / off), and the program always sees the environment the lock
 * asks for. Real CLI, live paved server, the machine's pip as the outsider.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRun, isolatedPipEnv, run } from '../fixtures/pythonTools.js';
import { startWheelsWorkspace, type TestServer } from '../fixtures/testServer.js';
import { jsonEvents, paved } from './pavedCli.js';

interface RunResult {
  exitCode: number;
  sync: 'ran' | 'unchanged' | 'off';
}

describe('paved run and the sync stamp', () => {
  let workspace: Awaited<ReturnType<typeof startWheelsWorkspace>>;
  let server: TestServer;
  let project: string;

  const pyproject = (dependencies: string[]): string =>
    `[project]\nname = "stamped"\nversion = "0.1"\nrequires-python = ">=3.9"\ndependencies = [${dependencies.map((d) => JSON.stringify(d)).join(', ')}]\n\n[project.optional-dependencies]\nfast = ["speedup"]\n\n[tool.paved]\nindex-url = "${server.url}/simple/"\n`;

  /** `paved run` of a Python one-liner that prints which of `modules` import; returns the result and what it printed. */
  const runImports = async (modules: string[], extra: string[] = []): Promise<RunResult & { imported: string }> => {
    const code = `import importlib.util as u; print(",".join(m for m in ${JSON.stringify(modules)} if u.find_spec(m)))`;
    const r = await paved(['--json', 'run', '--python', '3.11', ...extra, 'python', '-c', code], { cwd: project, timeoutMs: 120_000 });
    assert.equal(r.code, 0, describeRun(r));
    const result = jsonEvents(r.stderr).at(-1);
    assert.equal(result?.type, 'result', r.stderr);
    return { ...(result?.['data'] as RunResult), imported: r.stdout.trim() };
  };

  before(async () => {
    workspace = await startWheelsWorkspace('paved-run-stamp-', [
      ['lib', '1.0'],
      ['other', '1.0'],
      ['speedup', '1.0'],
    ]);
    server = workspace.server;
    project = join(workspace.work, 'proj');
    await mkdir(project);
    await writeFile(join(project, 'pyproject.toml'), pyproject(['lib']));
  });
  after(() => workspace?.close());

  it('runs at once after a sync, and syncs again when the environment, pyproject.toml, the extras or the lock change', { timeout: 300_000 }, async () => {
    const synced = await paved(['sync', '--python', '3.11'], { cwd: project, timeoutMs: 120_000 });
    assert.equal(synced.code, 0, describeRun(synced));
    let r = await runImports(['lib', 'other']);
    assert.deepEqual([r.sync, r.imported], ['unchanged', 'lib']);
    // A script of the project (no PEP 723 block) runs in .venv the same way, on the same stamp.
    await writeFile(join(project, 'show.py'), 'import sys, lib\nprint(sys.prefix)\n');
    const script = await paved(['--json', 'run', '--python', '3.11', 'show.py'], { cwd: project, timeoutMs: 120_000 });
    assert.equal(script.code, 0, describeRun(script));
    assert.equal(script.stdout.trim(), join(project, '.venv'));
    assert.equal((jsonEvents(script.stderr).at(-1)?.['data'] as RunResult).sync, 'unchanged', script.stderr);

    // Removed behind paved's back (the machine's pip): the stamp no longer matches, and the sync puts it back.
    const pip = await run('python3', ['-m', 'pip', '--python', join(project, '.venv', 'bin', 'python'), 'uninstall', '-y', 'lib'], { env: isolatedPipEnv() });
    assert.equal(pip.code, 0, describeRun(pip));
    r = await runImports(['lib', 'other']);
    assert.deepEqual([r.sync, r.imported], ['ran', 'lib']);
    r = await runImports(['lib', 'other']);
    assert.deepEqual([r.sync, r.imported], ['unchanged', 'lib']);

    // A dependency added to pyproject.toml by hand: re-locked and installed before the program starts.
    await writeFile(join(project, 'pyproject.toml'), pyproject(['lib', 'other']));
    r = await runImports(['lib', 'other']);
    assert.deepEqual([r.sync, r.imported], ['ran', 'lib,other']);
    assert.match(await readFile(join(project, 'pylock.toml'), 'utf8'), /name = "other"/);

    // Another selection of extras is another sync, each way.
    r = await runImports(['lib', 'other', 'speedup'], ['--extra', 'fast']);
    assert.deepEqual([r.sync, r.imported], ['ran', 'lib,other,speedup']);
    r = await runImports(['lib', 'other', 'speedup'], ['--extra', 'fast']);
    assert.deepEqual([r.sync, r.imported], ['unchanged', 'lib,other,speedup']);
    r = await runImports(['lib', 'other', 'speedup']);
    assert.deepEqual([r.sync, r.imported], ['ran', 'lib,other']);

    // No lock any more: made again, and synced.
    await rm(join(project, 'pylock.toml'));
    r = await runImports(['lib', 'other']);
    assert.deepEqual([r.sync, r.imported], ['ran', 'lib,other']);

    // --no-sync never looks.
    r = await runImports(['lib'], ['--no-sync']);
    assert.deepEqual([r.sync, r.imported], ['off', 'lib']);
  });
});
