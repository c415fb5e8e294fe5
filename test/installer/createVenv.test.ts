import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPavedError } from '../../src/errors.js';
import { createVenv, openVenv } from '../../src/installer/createVenv.js';
import { findInterpreter, inspectInterpreter, type PythonInterpreter } from '../../src/installer/interpreter.js';
import { describeRun, run } from '../fixtures/pythonTools.js';

describe('createVenv', () => {
  let root: string;
  let python: PythonInterpreter;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'paved-createvenv-'));
    python = await findInterpreter({ python: '3.11' });
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('makes a venv Python recognises, with no pip, laid out like python -m venv --without-pip', async () => {
    const dir = join(root, 'v1');
    const venv = await createVenv(dir, python);
    const [major, minor] = python.versionInfo;
    const check = await run(venv.python, ['-c', 'import sys, sysconfig; print(sys.prefix != sys.base_prefix, sys.prefix, sysconfig.get_paths()["purelib"])']);
    assert.equal(check.code, 0, describeRun(check));
    assert.equal(check.stdout.trim(), `True ${dir} ${join(dir, 'lib', `python${major}.${minor}`, 'site-packages')}`);
    assert.equal(venv.scheme.purelib, join(dir, 'lib', `python${major}.${minor}`, 'site-packages'));
    assert.equal(venv.scheme.scripts, join(dir, 'bin'));
    const noPip = await run(venv.python, ['-c', 'import pip']);
    assert.notEqual(noPip.code, 0, 'no pip in a paved venv');

    const reference = join(root, 'reference');
    const made = await run(python.path, ['-m', 'venv', '--without-pip', reference]);
    assert.equal(made.code, 0, describeRun(made));
    const cfg = (text: string): Map<string, string> => new Map(text.trim().split('\n').map((line) => line.split(' = ') as [string, string]));
    const ours = cfg(await readFile(join(dir, 'pyvenv.cfg'), 'utf8'));
    const theirs = cfg(await readFile(join(reference, 'pyvenv.cfg'), 'utf8'));
    for (const key of ['home', 'include-system-site-packages', 'version', 'executable']) assert.equal(ours.get(key), theirs.get(key), key);
    for (const name of ['python', 'python3', `python${major}.${minor}`]) {
      assert.equal((await lstat(join(dir, 'bin', name))).isSymbolicLink(), true, name);
      assert.equal(await readlink(join(dir, 'bin', name)), await readlink(join(reference, 'bin', name)), name);
    }
    assert.equal(await readlink(join(dir, 'lib64')), await readlink(join(reference, 'lib64')));
  });

  it('bin/activate puts the venv first on PATH and deactivate restores it', async () => {
    const dir = join(root, 'activate me');
    await createVenv(dir, python, { prompt: "it's mine" });
    const script = `. '${dir}/bin/activate'; command -v python; echo "$VIRTUAL_ENV"; echo "$VIRTUAL_ENV_PROMPT"; deactivate; echo "\${VIRTUAL_ENV:-none}"`;
    const result = await run('bash', ['-c', script], { env: { PATH: '/usr/bin:/bin', PS1: '$ ' } });
    assert.equal(result.code, 0, describeRun(result));
    assert.deepEqual(result.stdout.trim().split('\n'), [join(dir, 'bin', 'python'), dir, "(it's mine) ", 'none']);
  });

  it('opens an existing venv (its own interpreter) and refuses what is not one', async () => {
    const dir = join(root, 'v2');
    await createVenv(dir, python);
    const opened = await openVenv(dir);
    assert.equal(opened.interpreter.isVenv, true);
    assert.equal(opened.interpreter.prefix, dir);
    assert.equal(opened.scheme.purelib, (await createVenv(join(root, 'v3'), opened.interpreter)).scheme.purelib.replace(join(root, 'v3'), dir));
    await mkdir(join(root, 'plain'));
    await assert.rejects(openVenv(join(root, 'plain')), (e: unknown) => isPavedError(e, 'PAVED_E_NOT_A_VENV'));
    await writeFile(join(root, 'plain', 'pyvenv.cfg'), 'home = /nowhere\n');
    await assert.rejects(openVenv(join(root, 'plain')), (e: unknown) => isPavedError(e, 'PAVED_E_NOT_A_VENV'));
  });

  it('refuses to overwrite an existing directory unless clear, and leaves no staging directory behind', async () => {
    const dir = join(root, 'v1');
    await assert.rejects(createVenv(dir, python), (e: unknown) => isPavedError(e, 'PAVED_E_VENV_EXISTS'));
    await writeFile(join(dir, 'marker'), 'x');
    await createVenv(dir, python, { clear: true });
    await assert.rejects(lstat(join(dir, 'marker')));
    await assert.rejects(createVenv(join(root, 'missing-parent', 'deeper', '\0bad'), python), (e: unknown) => isPavedError(e));
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual((await readdir(root)).filter((n) => n.includes('paved-')), []);
  });

  it('opens a python -m venv environment through its base interpreter: the same answers as running it, without running it', async () => {
    const dir = join(root, 'through-base');
    const made = await run(python.path, ['-m', 'venv', '--without-pip', dir]);
    assert.equal(made.code, 0, describeRun(made));
    const cacheDir = join(root, 'through-base-cache');
    const opened = await openVenv(dir, { cacheDir });
    // Only the base interpreter was inspected (and cached); the environment's own python never ran.
    assert.equal((await readdir(join(cacheDir, 'interpreters-v1'))).length, 1);
    const direct = await inspectInterpreter(join(dir, 'bin', 'python'));
    assert.equal(opened.interpreter.prefix, direct.prefix);
    assert.equal(opened.interpreter.isVenv, true);
    assert.equal(opened.interpreter.path, join(dir, 'bin', 'python'));
    assert.deepEqual(opened.interpreter.paths, direct.paths);
    assert.deepEqual(opened.interpreter.markerEnvironment, direct.markerEnvironment);
    assert.deepEqual(opened.interpreter.tags, direct.tags);
    assert.deepEqual(opened.scheme, (await openVenv(dir)).scheme);

    // A venv paved made from an interpreter found through a cache is opened from that cache entry.
    const pavedCache = join(root, 'paved-made-cache');
    const found = await findInterpreter({ python: '3.11', inspect: { cacheDir: pavedCache } });
    const cachedBefore = (await readdir(join(pavedCache, 'interpreters-v1'))).length;
    const made2 = await createVenv(join(root, 'paved-made'), found);
    assert.equal((await openVenv(made2.root, { cacheDir: pavedCache })).interpreter.prefix, made2.root);
    assert.equal((await readdir(join(pavedCache, 'interpreters-v1'))).length, cachedBefore, 'no new inspection for the venv');

    // A copied interpreter is not the file pyvenv.cfg names: it is inspected itself.
    const copied = join(root, 'copied');
    const madeCopy = await run(python.path, ['-m', 'venv', '--without-pip', '--copies', copied]);
    assert.equal(madeCopy.code, 0, describeRun(madeCopy));
    const copyCache = join(root, 'copied-cache');
    const openedCopy = await openVenv(copied, { cacheDir: copyCache });
    assert.equal(openedCopy.interpreter.prefix, copied);
    assert.equal((await readdir(join(copyCache, 'interpreters-v1'))).length, 1);
  });
});
