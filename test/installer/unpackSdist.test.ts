import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { lstat, readFile, readlink, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isPavedError } from '../../src/errors.js';
import { unpackSdist, type SdistLimits } from '../../src/installer/unpackSdist.js';
import { buildSdist, buildTar, buildZip, createFixtureDir, type FixtureDir, type TarEntrySpec } from '../fixtures/buildDistributions.js';

let fixtures: FixtureDir;
let counter = 0;

async function unpack(bytes: Buffer, limits: SdistLimits = {}): Promise<{ dest: string; result: Awaited<ReturnType<typeof unpackSdist>> }> {
  const path = await fixtures.write(bytes);
  const dest = join(fixtures.dir, `out-${counter++}`);
  return { dest, result: await unpackSdist(path, dest, { sdist: 'demo-1.0.tar.gz', ...limits }) };
}

async function refusal(bytes: Buffer, limits: SdistLimits = {}): Promise<{ code: string; message: string; dest: string }> {
  const path = await fixtures.write(bytes);
  const dest = join(fixtures.dir, `out-${counter++}`);
  try {
    await unpackSdist(path, dest, { sdist: 'demo-1.0.tar.gz', ...limits });
  } catch (error) {
    assert.ok(isPavedError(error), `expected a PavedError, got ${String(error)}`);
    assert.ok(!existsSync(dest), 'nothing is left behind');
    return { code: error.code, message: error.message, dest };
  }
  assert.fail('expected the sdist to be refused');
}

const tarGz = async (entries: TarEntrySpec[]): Promise<Buffer> => gzipSync(await buildTar(entries));

describe('unpackSdist', () => {
  before(async () => {
    fixtures = await createFixtureDir('paved-unpack-');
  });
  after(async () => {
    await fixtures.cleanup();
  });

  it('unpacks a .tar.gz sdist and names its single top-level directory as the source tree', async () => {
    const bytes = await buildSdist({ name: 'demo', version: '1.0', files: { 'pyproject.toml': '[project]\nname = "demo"\n', 'demo/__init__.py': 'X = 1\n' } });
    const { dest, result } = await unpack(bytes);
    assert.equal(result.sourceDir, join(dest, 'demo-1.0'));
    assert.equal(await readFile(join(result.sourceDir, 'demo', '__init__.py'), 'utf8'), 'X = 1\n');
    assert.match(await readFile(join(result.sourceDir, 'PKG-INFO'), 'utf8'), /Name: demo/);
    assert.equal(result.files, 3);
  });

  it('unpacks a .zip sdist the same way', async () => {
    const bytes = await buildSdist({ name: 'demo', version: '1.0', format: 'zip', files: { 'setup.py': 'print(1)\n' } });
    const { result } = await unpack(bytes);
    assert.equal(await readFile(join(result.sourceDir, 'setup.py'), 'utf8'), 'print(1)\n');
  });

  it('keeps the executable bit and relative links that stay inside', async () => {
    const bytes = await tarGz([
      { name: 'demo-1.0/', type: 'directory' },
      { name: 'demo-1.0/run.sh', data: '#!/bin/sh\n', mode: 0o755 },
      { name: 'demo-1.0/docs/README', type: 'symlink', linkname: '../run.sh' },
      { name: 'demo-1.0/copy.sh', type: 'hardlink', linkname: 'demo-1.0/run.sh' },
    ]);
    const { result } = await unpack(bytes);
    assert.ok(((await stat(join(result.sourceDir, 'run.sh'))).mode & 0o111) !== 0);
    assert.equal(await readlink(join(result.sourceDir, 'docs', 'README')), '../run.sh');
    assert.equal(await readFile(join(result.sourceDir, 'copy.sh'), 'utf8'), '#!/bin/sh\n');
    assert.ok(!(await lstat(join(result.sourceDir, 'copy.sh'))).isSymbolicLink());
  });

  const hostile: { name: string; entries: () => Promise<Buffer>; pattern: RegExp }[] = [
    { name: 'a ../ member', entries: () => tarGz([{ name: 'demo-1.0/../../evil.txt', data: 'x' }]), pattern: /"\.\." path segment/ },
    { name: 'an absolute member', entries: () => tarGz([{ name: '/tmp/evil.txt', data: 'x' }]), pattern: /absolute path/ },
    { name: 'a symlink to /etc', entries: () => tarGz([{ name: 'demo-1.0/etc', type: 'symlink', linkname: '/etc' }]), pattern: /link "demo-1\.0\/etc" points to "\/etc", outside the sdist/ },
    { name: 'a symlink climbing out', entries: () => tarGz([{ name: 'demo-1.0/up', type: 'symlink', linkname: '../../..' }]), pattern: /outside the sdist/ },
    {
      name: 'a write through an inside link',
      entries: () => tarGz([{ name: 'demo-1.0/sub/', type: 'directory' }, { name: 'demo-1.0/l', type: 'symlink', linkname: 'sub' }, { name: 'demo-1.0/l/x', data: 'x' }]),
      pattern: /written through the link "demo-1\.0\/l"/,
    },
    {
      name: 'a chain of links that leads out',
      entries: () => tarGz([{ name: 'd/x/', type: 'directory' }, { name: 'd/x/b', type: 'symlink', linkname: '../..' }, { name: 'd/a', type: 'symlink', linkname: 'x/b/..' }]),
      pattern: /outside the sdist|leads outside/,
    },
    { name: 'a hard link to /etc/passwd', entries: () => tarGz([{ name: 'demo-1.0/p', type: 'hardlink', linkname: '/etc/passwd' }]), pattern: /absolute path/ },
    { name: 'a hard link to a name not in the sdist', entries: () => tarGz([{ name: 'demo-1.0/p', type: 'hardlink', linkname: 'etc/passwd' }]), pattern: /not a file earlier/ },
    { name: 'a device file', entries: () => tarGz([{ name: 'demo-1.0/dev', type: 'character-device' }]), pattern: /character device/ },
    { name: 'a duplicated member', entries: () => tarGz([{ name: 'd/a', data: '1' }, { name: 'd/a', data: '2' }]), pattern: /appears twice/ },
    { name: 'a zip member with ../', entries: async () => buildZip([{ name: 'demo-1.0/../../evil.txt', data: 'x' }]), pattern: /"\.\." path segment/ },
    { name: 'a zip symlink to /etc', entries: async () => buildZip([{ name: 'demo-1.0/etc', data: '/etc', mode: 0o120777 }]), pattern: /outside the sdist/ },
  ];
  for (const c of hostile) {
    it(`refuses ${c.name} and leaves nothing behind`, async () => {
      const r = await refusal(await c.entries());
      assert.equal(r.code, 'PAVED_E_UNSAFE_SDIST', r.message);
      assert.match(r.message, /demo-1\.0\.tar\.gz is refused/);
      assert.match(r.message, c.pattern);
      assert.ok(!existsSync(join(fixtures.dir, 'evil.txt')));
    });
  }

  it('stops a gzip bomb after the ratio limit, long before it is all inflated', async () => {
    const bomb = await tarGz([{ name: 'demo-1.0/zeros', data: Buffer.alloc(64 * 1024 * 1024) }]);
    assert.ok(bomb.length < 200_000);
    const started = Date.now();
    const r = await refusal(bomb);
    assert.equal(r.code, 'PAVED_E_SDIST_TOO_LARGE');
    assert.match(r.message, /ratio over the 200:1 limit/);
    assert.ok(Date.now() - started < 20_000);
  });

  it('refuses a zip whose members declare more than the total limit, and too many members', async () => {
    const big = await refusal(buildZip([{ name: 'd/a', data: 'x'.repeat(2000) }]), { maxTotalBytes: 1000 });
    assert.equal(big.code, 'PAVED_E_SDIST_TOO_LARGE');
    assert.match(big.message, /more than 1000 bytes/);
    const many = await refusal(await tarGz(Array.from({ length: 20 }, (_, i) => ({ name: `d/f${i}`, data: 'x' }))), { maxEntries: 10 });
    assert.equal(many.code, 'PAVED_E_SDIST_TOO_LARGE');
    assert.match(many.message, /more than 10 members/);
  });

  it('refuses files that are not archives, and truncated ones, with a clear error', async () => {
    const notArchive = await refusal(Buffer.from('hello, this is not an sdist'));
    assert.equal(notArchive.code, 'PAVED_E_INVALID_SDIST');
    assert.match(notArchive.message, /not a gzip, tar or zip archive/);
    const whole = await buildSdist({ name: 'demo', version: '1.0', files: { 'a.txt': 'y'.repeat(100_000) } });
    const truncated = await refusal(whole.subarray(0, Math.floor(whole.length / 2)));
    assert.equal(truncated.code, 'PAVED_E_INVALID_SDIST');
    assert.match(truncated.message, /not a valid gzip stream \(unexpected end of file\)/);
  });

  it('refuses to unpack into a directory that already exists', async () => {
    const path = await fixtures.write(await buildSdist({ name: 'demo', version: '1.0' }));
    const dest = join(fixtures.dir, 'exists');
    await unpackSdist(path, dest);
    await assert.rejects(unpackSdist(path, dest), /EEXIST/);
    assert.deepEqual((await readdir(dest)).sort(), ['demo-1.0']);
  });
});
