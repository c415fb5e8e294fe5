import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBytecodeCompiler } from '../../src/installer/bytecodeCompiler.js';
import { findInterpreter, type PythonInterpreter } from '../../src/installer/interpreter.js';

const pycOf = (dir: string, module: string, tag: string): string => join(dir, '__pycache__', `${module}.${tag}.pyc`);

describe('createBytecodeCompiler', () => {
  let root: string;
  let python: PythonInterpreter;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'paved-compile-'));
    python = await findInterpreter({ python: '3.11' });
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('compiles many files over shared processes, skips what does not compile, and keeps going after it', async () => {
    const dir = join(root, 'many');
    await mkdir(dir, { recursive: true });
    const files: string[] = [];
    for (let i = 0; i < 70; i++) {
      const file = join(dir, `m${i}.py`);
      await writeFile(file, i === 5 ? 'print "python 2"\n' : `X = ${i}\n`);
      files.push(file);
    }
    const compiler = createBytecodeCompiler(python.path, { workers: 2, chunkSize: 8 });
    try {
      // Two installs at once, as a sync's wheels are.
      await Promise.all([compiler.compile(files.slice(0, 40)), compiler.compile(files.slice(40))]);
      const tag = python.cacheTag;
      for (let i = 0; i < 70; i++) assert.equal(existsSync(pycOf(dir, `m${i}`, tag)), i !== 5, `m${i}`);
      // The processes stay usable for the next wheel.
      const later = join(dir, 'later.py');
      await writeFile(later, 'Y = 1\n');
      await compiler.compile([later, join(dir, 'missing.py')]);
      assert.ok(existsSync(pycOf(dir, 'later', tag)));
    } finally {
      await compiler.close();
    }
  });

  it('leaves a file it cannot send (a newline in its path) uncompiled and settles a call after close', async () => {
    const dir = join(root, 'odd');
    await mkdir(dir, { recursive: true });
    const odd = join(dir, 'a\nb.py');
    await writeFile(odd, 'Z = 1\n');
    const compiler = createBytecodeCompiler(python.path);
    await compiler.compile([odd]);
    assert.equal(existsSync(join(dir, '__pycache__')), false);
    await compiler.close();
    const normal = join(dir, 'normal.py');
    await writeFile(normal, 'Z = 1\n');
    await compiler.compile([normal]);
    assert.equal(existsSync(pycOf(dir, 'normal', python.cacheTag)), false, 'a closed compiler starts nothing');
  });

  it('gives up on a chunk that takes too long, and compiles the next one with a new process', async () => {
    const dir = join(root, 'slow');
    await mkdir(dir, { recursive: true });
    // An interpreter that hangs the first time it is started, and is Python after that.
    const marker = join(dir, 'started-once');
    const hanging = join(dir, 'python');
    await writeFile(hanging, `#!/bin/sh\nif [ ! -e '${marker}' ]; then : > '${marker}'; exec sleep 30; fi\nexec '${python.path}' "$@"\n`, { mode: 0o755 });
    const compiler = createBytecodeCompiler(hanging, { workers: 1, chunkTimeoutMs: 500 });
    try {
      const first = join(dir, 'first.py');
      await writeFile(first, 'F = 1\n');
      const started = Date.now();
      await compiler.compile([first]);
      assert.ok(Date.now() - started >= 400, 'waited for the time limit');
      assert.equal(existsSync(pycOf(dir, 'first', python.cacheTag)), false);
      const next = join(dir, 'next.py');
      await writeFile(next, 'N = 1\n');
      await compiler.compile([next]);
      assert.ok(existsSync(pycOf(dir, 'next', python.cacheTag)));
    } finally {
      await compiler.close();
    }
  });
});
