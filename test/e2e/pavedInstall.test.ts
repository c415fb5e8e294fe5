/**
 * `paved install`, `uninstall` and `download` as a user runs them: the real CLI as a child
 * process against a live paved server holding the 46 corpus wheels, judged by the machine's own
 * pip (isolated from its configuration) and by importing what was installed.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRun, isolatedPipEnv, run, type RunResult } from '../fixtures/pythonTools.js';
import { startCorpusWorkspace, type CorpusWorkspace } from '../fixtures/testServer.js';
import { jsonEvents, jsonResult, paved } from './pavedCli.js';

// The corpus's compiled wheels are cp311.
const PYTHON = '3.11';

function machinePip(venvPython: string, args: string[]): Promise<RunResult> {
  return run('python3', ['-m', 'pip', '--python', venvPython, '--disable-pip-version-check', ...args], { env: isolatedPipEnv(), timeoutMs: 60_000 });
}

async function pipListNames(venvPython: string): Promise<Set<string>> {
  const listed = await machinePip(venvPython, ['list', '--format=json']);
  assert.equal(listed.code, 0, describeRun(listed));
  return new Set((JSON.parse(listed.stdout) as { name: string }[]).map((p) => p.name.toLowerCase().replace(/[-_.]+/g, '-')));
}

describe('paved install / uninstall / download', () => {
  let work: string;
  let index: string;
  let cache: string;
  let workspace: CorpusWorkspace;

  before(async () => {
    workspace = await startCorpusWorkspace('paved-install-');
    ({ index, work, cache } = workspace);
  });
  after(async () => {
    await workspace?.close();
  });

  it('installs flask and rich into a new venv that pip judges clean, then uninstalls rich', { timeout: 60_000 }, async () => {
    const venv = join(work, '.venv');
    const r = await paved(['install', 'flask', 'rich', '--index-url', index, '--target-venv', venv, '--python', PYTHON, '--cache-dir', cache, '--json']);
    assert.equal(r.code, 0, describeRun(r));
    const result = jsonResult<{ installed: { name: string; version: string }[]; removed: unknown[]; kept: number }>(r);
    const names = result.installed.map((p) => p.name);
    for (const n of ['flask', 'rich', 'werkzeug', 'jinja2', 'markupsafe', 'pygments']) assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
    assert.deepEqual(result.removed, []);
    assert.equal(result.kept, 0);

    const python = join(venv, 'bin', 'python');
    const imported = await run(python, ['-c', 'import flask, rich, markupsafe; print("ok")']);
    assert.equal(imported.stdout.trim(), 'ok', describeRun(imported));
    const check = await machinePip(python, ['check']);
    assert.equal(check.code, 0, describeRun(check));
    assert.ok((await pipListNames(python)).has('flask'));

    // Again: nothing to do, and the human summary says so.
    const again = await paved(['install', 'rich', '--index-url', index, '--target-venv', venv, '--cache-dir', cache]);
    assert.equal(again.code, 0, describeRun(again));
    assert.match(again.stdout, /already satisfied/);

    const un = await paved(['uninstall', 'rich', '--target-venv', venv, '--json']);
    assert.equal(un.code, 0, describeRun(un));
    const names2 = await pipListNames(python);
    assert.ok(!names2.has('rich'), 'rich is gone');
    assert.ok(names2.has('flask') && names2.has('pygments'), 'the rest stays');

    // As pip: what is not installed is skipped with a warning, and the command succeeds.
    const missing = await paved(['uninstall', 'rich', '--target-venv', venv]);
    assert.equal(missing.code, 0, describeRun(missing));
    assert.match(missing.stderr, /^warning: skipping rich: not installed in /m);

    // pip's script form: -y, and -r naming projects by requirement lines and wheel filenames.
    const list = join(work, 'uninstall.txt');
    await writeFile(list, '# what to take out\nPygments>=2 ; python_version >= "3"\n./wheels/jinja2-3.1.6-py3-none-any.whl\n-e ./elsewhere\nnever-installed\n');
    const fromFile = await paved(['uninstall', '-y', '-r', list, 'pygments', '--target-venv', venv, '--json']);
    assert.equal(fromFile.code, 0, describeRun(fromFile));
    assert.deepEqual(jsonResult<{ removed: { name: string }[] }>(fromFile).removed.map((r) => r.name.toLowerCase()).sort(), ['jinja2', 'pygments']);
    assert.deepEqual(jsonResult<{ skipped: string[] }>(fromFile).skipped, ['never-installed']);
    assert.ok(jsonEvents(fromFile.stdout).some((e) => e.type === 'warning' && /uninstall\.txt:4: -e \.\/elsewhere: name the project instead/.test(String(e['message']))), fromFile.stdout);
    const names3 = await pipListNames(python);
    assert.ok(!names3.has('pygments') && !names3.has('jinja2') && names3.has('flask'), [...names3].join(','));
    const none = await paved(['uninstall', '--target-venv', venv]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /nothing to uninstall/);
  });

  it('keeps unrelated packages when installing more', { timeout: 60_000 }, async () => {
    const venv = join(work, 'keep-venv');
    const first = await paved(['install', 'idna', '--index-url', index, '--target-venv', venv, '--python', PYTHON, '--cache-dir', cache]);
    assert.equal(first.code, 0, describeRun(first));
    const second = await paved(['install', 'click', '--index-url', index, '--target-venv', venv, '--cache-dir', cache, '--json']);
    assert.equal(second.code, 0, describeRun(second));
    assert.equal(jsonResult<{ kept: number }>(second).kept, 1);
    const names = await pipListNames(join(venv, 'bin', 'python'));
    assert.ok(names.has('idna') && names.has('click'));
  });

  it('downloads wheels into a folder and installs from it offline, with no index', { timeout: 60_000 }, async () => {
    const dest = join(work, 'wheelhouse');
    const d = await paved(['download', 'rich', '-d', dest, '--index-url', index, '--python', PYTHON, '--cache-dir', cache]);
    assert.equal(d.code, 0, describeRun(d));
    const files = await readdir(dest);
    assert.ok(files.some((f) => f.startsWith('rich-')) && files.some((f) => f.startsWith('pygments-')), files.join(','));

    const venv = join(work, 'offline-venv');
    const i = await paved(['install', 'rich', '--find-links', dest, '--offline', '--target-venv', venv, '--python', PYTHON, '--cache-dir', join(work, 'empty-cache')]);
    assert.equal(i.code, 0, describeRun(i));
    const imported = await run(join(venv, 'bin', 'python'), ['-c', 'import rich; print("ok")']);
    assert.equal(imported.stdout.trim(), 'ok', describeRun(imported));
  });

  it('explains an unsatisfiable requirement with the resolver derivation', { timeout: 60_000 }, async () => {
    const venv = join(work, 'never-venv');
    const r = await paved(['install', 'flask<0.1', '--index-url', index, '--target-venv', venv, '--python', PYTHON, '--cache-dir', cache]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /flask/);
    assert.match(r.stderr, /error: .*(no versions|depends|requires|forbidden|not|because)/is);
    assert.match(r.stderr, /hint: /);
    assert.ok(!existsSync(venv), 'no environment is left behind');
  });

  it('says which requested project no index has, instead of only that no version fits', { timeout: 60_000 }, async () => {
    const venv = join(work, 'misspelt-venv');
    const r = await paved(['install', 'rich', 'flaskk', '--index-url', index, '--target-venv', venv, '--python', PYTHON, '--cache-dir', cache]);
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, /flaskk is not on any index/);
    assert.doesNotMatch(r.stderr, /rich is not/);
    assert.match(r.stderr, /hint: Check the spelling of flaskk/);
    assert.ok(!existsSync(venv));
  });

  it('--require-hashes refuses a wrong hash and an unpinned line, installing nothing', { timeout: 60_000 }, async () => {
    const venv = join(work, 'hash-venv');
    const reqs = join(work, 'hashed.txt');
    await writeFile(reqs, `idna==3.20 --hash=sha256:${'0'.repeat(64)}\n`);
    const r = await paved(['install', '-r', reqs, '--require-hashes', '--index-url', index, '--target-venv', venv, '--python', PYTHON, '--cache-dir', cache]);
    assert.notEqual(r.code, 0, describeRun(r));
    assert.match(r.stderr, /sha256/);
    assert.ok(!existsSync(venv), 'nothing installed, not even an empty environment');

    await writeFile(reqs, 'idna>=3\n');
    const unpinned = await paved(['install', '-r', reqs, '--require-hashes', '--index-url', index, '--target-venv', venv, '--python', PYTHON, '--cache-dir', cache]);
    assert.notEqual(unpinned.code, 0);
    assert.match(unpinned.stderr, /not pinned/);
  });
});
