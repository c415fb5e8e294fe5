#!/usr/bin/env node
// The whole test suite: checks prerequisites (installing Debian's twine when
// missing and we are root), type-checks, then runs every test/**/*.test.ts with
// node's test runner. Extra arguments narrow to files whose path contains them.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function ensureDebianPackages() {
  const needed = [];
  if (!have('twine')) needed.push('twine');
  if (spawnSync('python3', ['-c', 'import venv, ensurepip'], { stdio: 'ignore' }).status !== 0) needed.push('python3-venv');
  if (needed.length === 0) return;
  const cmd = `apt-get update && apt-get install -y ${needed.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`The tests need ${needed.join(', ')}. Install with:\n  sudo sh -c '${cmd}'`);
    process.exit(2);
  }
  console.log(`installing ${needed.join(', ')} (Debian) for the end-to-end tests`);
  const r = spawnSync('sh', ['-c', `DEBIAN_FRONTEND=noninteractive ${cmd}`], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`could not install ${needed.join(', ')}; run: ${cmd}`);
    process.exit(2);
  }
}

function listTests(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...listTests(p));
    else if (entry.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

ensureDebianPackages();

const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--noEmit'], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('type check failed');
  process.exit(1);
}

const filters = process.argv.slice(2);
const files = listTests(join(root, 'test')).filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { stdio: 'inherit', cwd: root });
process.exit(run.status ?? 1);
