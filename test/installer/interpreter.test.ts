import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPavedError } from '../../src/errors.js';
import { createInterpreterCache, findInterpreter, findInterpreters, inspectInterpreter, listInterpreterCandidates } from '../../src/installer/interpreter.js';
import { tagToString } from '../../src/standards/tags.js';
import { run } from '../fixtures/pythonTools.js';

describe('interpreter discovery and inspection', () => {
  let root: string;
  let python311: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'paved-interp-'));
    python311 = (await findInterpreter({ python: '3.11' })).path;
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('describes the machine python3 as Python itself does', async () => {
    const info = await inspectInterpreter(python311);
    const truth = await run(python311, ['-c', 'import platform, sys, sysconfig, json; print(json.dumps([platform.python_version(), sys.platform, platform.machine(), sysconfig.get_paths()["purelib"], sys.implementation.cache_tag]))']);
    const [version, platform, machine, purelib, cacheTag] = JSON.parse(truth.stdout) as string[];
    assert.equal(info.version, version);
    assert.equal(info.sysPlatform, platform);
    assert.equal(info.machine, machine);
    assert.equal(info.paths.purelib, purelib);
    assert.equal(info.cacheTag, cacheTag);
    assert.equal(info.implementation, 'cpython');
    assert.equal(info.isVenv, false);
    assert.equal(info.markerEnvironment.python_full_version, version);
    assert.equal(info.markerEnvironment.sys_platform, platform);
    assert.deepEqual(info.venvScheme.purelib, `lib/python${info.versionInfo[0]}.${info.versionInfo[1]}/site-packages`);
    assert.equal(info.venvScheme.scripts, 'bin');
    const tags = info.tags.map(tagToString);
    const tag = `cp${info.versionInfo[0]}${info.versionInfo[1]}`;
    assert.equal(tags[0]?.startsWith(`${tag}-${tag}-`), true, tags[0]);
    assert.ok(tags.includes('py3-none-any'));
    if (info.sysPlatform === 'linux' && info.glibc !== null) assert.ok(tags.includes(`${tag}-${tag}-manylinux_2_17_${info.machine}`));
  });

  it('caches by path and mtime: a second look does not run the interpreter', async () => {
    const cache = createInterpreterCache();
    const first = await inspectInterpreter(python311, { cache });
    const second = await inspectInterpreter(python311, { cache });
    assert.equal(first, second);
    // A fake interpreter that counts its runs: touched → inspected again.
    const counter = join(root, 'count');
    const fake = join(root, 'fakepython');
    await writeFile(fake, `#!/bin/sh\necho run >> ${counter}\nexec ${python311} "$@"\n`);
    await chmod(fake, 0o755);
    const diskCache = join(root, 'cache');
    await inspectInterpreter(fake, { cache, cacheDir: diskCache });
    await inspectInterpreter(fake, { cache, cacheDir: diskCache });
    await inspectInterpreter(fake, { cacheDir: diskCache });
    const runs = (await run('cat', [counter])).stdout.trim().split('\n').length;
    assert.equal(runs, 1, 'in-memory and on-disk caches both hit');
  });

  it('finds pyenv-style trees, skips duplicates and broken interpreters', async () => {
    const pyenv = join(root, 'pyenv');
    for (const version of ['3.11.99', 'broken']) await mkdir(join(pyenv, 'versions', version, 'bin'), { recursive: true });
    await symlink(python311, join(pyenv, 'versions', '3.11.99', 'bin', 'python3'));
    await writeFile(join(pyenv, 'versions', 'broken', 'bin', 'python3'), '#!/bin/sh\nexit 3\n');
    await chmod(join(pyenv, 'versions', 'broken', 'bin', 'python3'), 0o755);
    const bin = join(root, 'bin');
    await mkdir(bin, { recursive: true });
    await symlink(python311, join(bin, 'python3'));
    await symlink(python311, join(bin, 'python3.11'));
    const candidates = await listInterpreterCandidates({ path: bin, pyenvRoots: [pyenv] });
    assert.deepEqual(candidates, [join(bin, 'python3'), join(pyenv, 'versions', 'broken', 'bin', 'python3')]);
    const found = await findInterpreters({ path: bin, pyenvRoots: [pyenv] });
    assert.deepEqual(found.map((i) => i.path), [join(bin, 'python3')]);
  });

  it('runs only the candidates whose path names no other version for a version request, all of them when those do not match', async () => {
    const pyenv = join(root, 'pyenv-hints');
    const counter = join(root, 'other-version-runs');
    await mkdir(join(pyenv, 'versions', '3.10.99', 'bin'), { recursive: true });
    const other = join(pyenv, 'versions', '3.10.99', 'bin', 'python3');
    await writeFile(other, `#!/bin/sh\necho run >> ${counter}\nexit 3\n`);
    await chmod(other, 0o755);
    const bin = join(root, 'bin-hints');
    await mkdir(bin, { recursive: true });
    await symlink(python311, join(bin, 'python3'));
    const chosen = await findInterpreter({ python: '3.11', path: bin, pyenvRoots: [pyenv] });
    assert.equal(chosen.path, join(bin, 'python3'));
    assert.equal((await run('cat', [counter])).code, 1, 'versions/3.10.99 was not run');
    await assert.rejects(findInterpreter({ python: '3.10', path: bin, pyenvRoots: [pyenv] }), (error: unknown) => isPavedError(error, 'PAVED_E_NO_INTERPRETER'));
    assert.equal((await run('cat', [counter])).stdout.trim(), 'run', 'with no match among the likely ones, every candidate is run');
  });

  it('chooses by version request and requires-python, newest first', async () => {
    const all = await findInterpreters();
    assert.ok(all.length >= 1);
    const newest = await findInterpreter();
    assert.equal(newest.version, all[0]?.version);
    const chosen = await findInterpreter({ python: '3.11' });
    assert.match(chosen.version, /^3\.11\./);
    if (all.some((i) => i.versionInfo[1] < 11)) {
      const older = await findInterpreter({ requiresPython: '>=3.8,<3.11' });
      assert.ok(older.versionInfo[1] < 11 && older.versionInfo[1] >= 8);
    }
    assert.equal((await findInterpreter({ python: python311 })).path, python311);
  });

  it('chooses the newest of the best-ranked interpreters when the caller ranks them', async () => {
    const all = await findInterpreters();
    const newest = all[0];
    const older = all.find((i) => i.version !== newest?.version && i.versionInfo[0] === 3);
    assert.ok(newest !== undefined && older !== undefined, `this machine has two Pythons 3 (pyenv): ${all.map((i) => i.version).join(', ')}`);
    const chosen = await findInterpreter({ rank: (i) => (i.version === older.version ? 0 : 1) });
    assert.equal(chosen.version, older.version);
    // A rank nothing meets better than the rest leaves the newest.
    assert.equal((await findInterpreter({ rank: () => 1 })).version, newest.version);
    // The request still decides which interpreters are ranked at all.
    assert.match((await findInterpreter({ python: '3.11', rank: (i) => (i.version === older.version ? 0 : 1) })).version, /^3\.11\./);
  });

  const failures: [string, Parameters<typeof findInterpreter>[0], string][] = [
    ['no such version', { python: '2.9' }, 'PAVED_E_NO_INTERPRETER'],
    ['unsatisfiable requires-python', { requiresPython: '>=4' }, 'PAVED_E_NO_INTERPRETER'],
    ['garbage request', { python: '3.12; rm -rf ~' }, 'PAVED_E_NO_INTERPRETER'],
    ['missing path', { python: '/nonexistent/python3' }, 'PAVED_E_INTERPRETER'],
    ['not a python', { python: '/bin/true' }, 'PAVED_E_INTERPRETER'],
  ];
  for (const [title, options, code] of failures) {
    it(`fails clearly: ${title}`, async () => {
      await assert.rejects(findInterpreter(options), (error: unknown) => isPavedError(error, code));
    });
  }
});
