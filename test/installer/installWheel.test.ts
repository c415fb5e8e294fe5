import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPavedError } from '../../src/errors.js';
import { createVenv, type Venv } from '../../src/installer/createVenv.js';
import { findInterpreter } from '../../src/installer/interpreter.js';
import { entryPointScript, installWheel, shebangFor, uninstallDistribution } from '../../src/installer/installWheel.js';
import { parseRecord } from '../../src/installer/record.js';
import { createWheelCache, type WheelCache } from '../../src/installer/wheelCache.js';
import { buildWheel } from '../fixtures/buildDistributions.js';
import { PYPI_SUBSET } from '../fixtures/corpus.js';
import { describeRun, isolatedPipEnv, run } from '../fixtures/pythonTools.js';

const RICH_CLOSURE = ['rich-15.0.0-py3-none-any.whl', 'pygments-2.21.0-py3-none-any.whl', 'markdown_it_py-4.2.0-py3-none-any.whl', 'mdurl-0.1.2-py3-none-any.whl'];

/** The machine's pip driving the venv (which has no pip of its own), isolated and offline. */
function pip(venv: Venv, args: string[]): ReturnType<typeof run> {
  return run('python3', ['-m', 'pip', '--python', venv.python, '--disable-pip-version-check', '--no-input', ...args], {
    env: isolatedPipEnv({ PIP_NO_INDEX: '1', http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9' }),
  });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

describe('installWheel', () => {
  let root: string;
  let cache: WheelCache;
  let venv: Venv;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'paved-install-'));
    cache = createWheelCache(join(root, 'cache'));
    venv = await createVenv(join(root, 'venv'), await findInterpreter({ python: '3.11' }));
    for (const file of RICH_CLOSURE) await installWheel(venv, await cache.unpack(join(PYPI_SUBSET, file)));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('installs real wheels that import and that importlib.metadata sees', async () => {
    const check = await run(venv.python, ['-c', 'import rich, pygments, markdown_it, mdurl; from importlib.metadata import version; print(version("rich"), version("Pygments"))']);
    assert.equal(check.code, 0, describeRun(check));
    assert.equal(check.stdout.trim(), '15.0.0 2.21.0');
  });

  it('is indistinguishable to pip: list, check and show', async () => {
    const list = await pip(venv, ['list', '--format', 'json']);
    assert.equal(list.code, 0, describeRun(list));
    const listed = (JSON.parse(list.stdout) as { name: string; version: string }[]).map((p) => `${p.name.toLowerCase()}==${p.version}`).sort();
    assert.deepEqual(listed, ['markdown-it-py==4.2.0', 'mdurl==0.1.2', 'pygments==2.21.0', 'rich==15.0.0']);
    const check = await pip(venv, ['check']);
    assert.equal(check.code, 0, describeRun(check));
    const show = await pip(venv, ['show', 'rich']);
    assert.match(show.stdout, /Requires: markdown-it-py, pygments/);
    assert.equal(await readFile(join(venv.scheme.purelib, 'rich-15.0.0.dist-info', 'INSTALLER'), 'utf8'), 'paved\n');
  });

  it('writes console scripts pip would write, which run', async () => {
    const script = join(venv.scheme.scripts, 'pygmentize');
    const text = await readFile(script, 'utf8');
    assert.equal(text, entryPointScript(venv.python, 'pygments.cmdline', 'main'));
    assert.ok(text.startsWith(`#!${venv.python}\n`));
    assert.equal((await stat(script)).mode & 0o777, 0o755);
    const result = await run(script, ['-V']);
    assert.equal(result.code, 0, describeRun(result));
    assert.match(result.stdout, /Pygments version 2\.21\.0/);
  });

  it('records every installed file with its sha256 and size', async () => {
    const distInfo = join(venv.scheme.purelib, 'pygments-2.21.0.dist-info');
    const rows = parseRecord(await readFile(join(distInfo, 'RECORD'), 'utf8'));
    const { createHash } = await import('node:crypto');
    for (const row of rows) {
      const path = join(venv.scheme.purelib, row.path);
      if (row.path === 'pygments-2.21.0.dist-info/RECORD') {
        assert.equal(row.hash, '');
        continue;
      }
      const data = await readFile(path);
      assert.equal(row.hash, `sha256=${createHash('sha256').update(data).digest('base64url')}`, row.path);
      assert.equal(row.size, data.length, row.path);
    }
    assert.ok(rows.some((r) => r.path === '../../../bin/pygmentize'));
  });

  it('hard-links from the cache: a second install of the same wheel shares inodes', async () => {
    const second = await createVenv(join(root, 'second'), venv.interpreter);
    const wheel = await cache.unpack(join(PYPI_SUBSET, 'mdurl-0.1.2-py3-none-any.whl'));
    const installed = await installWheel(second, wheel);
    assert.ok(installed.linked > 0);
    const a = await stat(join(venv.scheme.purelib, 'mdurl', '__init__.py'));
    const b = await stat(join(second.scheme.purelib, 'mdurl', '__init__.py'));
    assert.equal(a.ino, b.ino);
    assert.equal((await stat(join(wheel.filesDir, 'mdurl', '__init__.py'))).ino, a.ino);
    const copied = await createVenv(join(root, 'copied'), venv.interpreter);
    await installWheel(copied, wheel, { linkMode: 'copy' });
    assert.notEqual((await stat(join(copied.scheme.purelib, 'mdurl', '__init__.py'))).ino, a.ino);
  });

  it('compiles bytecode on request and lists it in RECORD', async () => {
    const compiled = await createVenv(join(root, 'compiled'), venv.interpreter);
    await installWheel(compiled, await cache.unpack(join(PYPI_SUBSET, 'mdurl-0.1.2-py3-none-any.whl')), { compile: true });
    const record = await readFile(join(compiled.scheme.purelib, 'mdurl-0.1.2.dist-info', 'RECORD'), 'utf8');
    assert.match(record, /mdurl\/__pycache__\/__init__\.cpython-311\.pyc,,/);
    assert.ok(await exists(join(compiled.scheme.purelib, 'mdurl', '__pycache__', '__init__.cpython-311.pyc')));
  });

  it('installs .data scheme directories, rewrites #!python and writes console and gui entry points', async () => {
    const target = await createVenv(join(root, 'data'), venv.interpreter);
    const wheelPath = join(root, 'demo_tool-1.0-py3-none-any.whl');
    await writeFile(
      wheelPath,
      await buildWheel({
        name: 'demo-tool',
        version: '1.0',
        files: {
          'demo_tool/__init__.py': 'def main():\n    print("demo main")\n    return 0\n',
          'demo_tool/gui.py': 'def run():\n    return 0\n',
          'demo_tool-1.0.data/scripts/demo-raw': '#!python\nimport sys\nprint("raw", sys.prefix)\n',
          'demo_tool-1.0.data/scripts/demo-sh': '#!/bin/sh\necho shell script\n',
          'demo_tool-1.0.data/data/share/demo/readme.txt': 'shared data\n',
          'demo_tool-1.0.data/headers/demo.h': '#define DEMO 1\n',
          'demo_tool-1.0.data/purelib/demo_extra.py': 'X = 1\n',
          'demo_tool-1.0.dist-info/entry_points.txt': '[console_scripts]\ndemo = demo_tool:main\n\n[gui_scripts]\ndemo-gui = demo_tool.gui:run [extra]\n\n[other]\nx = y:z\n',
        },
      }),
    );
    await installWheel(target, await cache.unpack(wheelPath), { directUrl: { url: `file://${wheelPath}`, archive_info: {} }, requested: true });
    const raw = await run(join(target.scheme.scripts, 'demo-raw'), []);
    assert.equal(raw.stdout.trim(), `raw ${target.root}`, describeRun(raw));
    assert.equal((await readFile(join(target.scheme.scripts, 'demo-raw'), 'utf8')).split('\n')[0], shebangFor(target.python).trim());
    assert.equal((await run(join(target.scheme.scripts, 'demo-sh'), [])).stdout, 'shell script\n');
    assert.equal((await run(join(target.scheme.scripts, 'demo'), [])).stdout, 'demo main\n');
    assert.ok(await exists(join(target.scheme.scripts, 'demo-gui')));
    assert.ok(!(await exists(join(target.scheme.scripts, 'x'))));
    assert.equal(await readFile(join(target.root, 'share', 'demo', 'readme.txt'), 'utf8'), 'shared data\n');
    assert.ok(await exists(join(target.headersBase, 'demo-tool', 'demo.h')));
    assert.ok(await exists(join(target.scheme.purelib, 'demo_extra.py')));
    const distInfo = join(target.scheme.purelib, 'demo_tool-1.0.dist-info');
    assert.deepEqual(JSON.parse(await readFile(join(distInfo, 'direct_url.json'), 'utf8')), { url: `file://${wheelPath}`, archive_info: {} });
    assert.ok(await exists(join(distInfo, 'REQUESTED')));
    const freeze = await pip(target, ['freeze']);
    assert.equal(freeze.stdout.trim(), `demo-tool @ file://${wheelPath}`, describeRun(freeze));

    const uninstall = await pip(target, ['uninstall', '-y', 'demo-tool']);
    assert.equal(uninstall.code, 0, describeRun(uninstall));
    assert.deepEqual((await readdir(target.scheme.scripts)).sort(), ['activate', 'python', 'python3', 'python3.11']);
    // pip removes a directory whose every file it uninstalls, here site-packages itself.
    assert.deepEqual(await readdir(target.scheme.purelib).catch(() => []), []);
    assert.ok(!(await exists(join(target.root, 'share', 'demo', 'readme.txt'))));
    assert.ok(!(await exists(join(target.headersBase, 'demo-tool', 'demo.h'))));
  });

  it('pip uninstall removes a paved-installed distribution cleanly (RECORD is complete)', async () => {
    const target = await createVenv(join(root, 'pipuninstall'), venv.interpreter);
    for (const file of RICH_CLOSURE) await installWheel(target, await cache.unpack(join(PYPI_SUBSET, file)), { compile: file.startsWith('rich') });
    const result = await pip(target, ['uninstall', '-y', 'rich', 'pygments']);
    assert.equal(result.code, 0, describeRun(result));
    assert.deepEqual((await readdir(target.scheme.purelib)).sort(), ['markdown_it', 'markdown_it_py-4.2.0.dist-info', 'mdurl', 'mdurl-0.1.2.dist-info']);
    assert.ok(!(await exists(join(target.scheme.scripts, 'pygmentize'))));
  });

  it('uninstallDistribution removes files, bytecode and directories, and refuses a RECORD reaching outside', async () => {
    const target = await createVenv(join(root, 'uninstall'), venv.interpreter);
    await installWheel(target, await cache.unpack(join(PYPI_SUBSET, 'pygments-2.21.0-py3-none-any.whl')));
    const imported = await run(target.python, ['-c', 'import pygments.lexers.python']);
    assert.equal(imported.code, 0, describeRun(imported));
    const removed = await uninstallDistribution(target, 'PyGments');
    assert.ok(removed.removed.length > 300);
    assert.deepEqual(await readdir(target.scheme.purelib), []);
    assert.deepEqual((await readdir(target.scheme.scripts)).sort(), ['activate', 'python', 'python3', 'python3.11']);
    await assert.rejects(uninstallDistribution(target, 'pygments'), (e: unknown) => isPavedError(e, 'PAVED_E_NOT_INSTALLED'));

    await installWheel(target, await cache.unpack(join(PYPI_SUBSET, 'mdurl-0.1.2-py3-none-any.whl')));
    const victim = join(root, 'victim.txt');
    await writeFile(victim, 'keep me');
    const recordPath = join(target.scheme.purelib, 'mdurl-0.1.2.dist-info', 'RECORD');
    await writeFile(recordPath, `${await readFile(recordPath, 'utf8')}../../../../victim.txt,,\n`);
    await assert.rejects(uninstallDistribution(target, 'mdurl'), (e: unknown) => isPavedError(e, 'PAVED_E_UNSAFE_RECORD'));
    assert.equal(await readFile(victim, 'utf8'), 'keep me');
    assert.ok(await exists(join(target.scheme.purelib, 'mdurl', '__init__.py')), 'nothing removed');
  });
});
