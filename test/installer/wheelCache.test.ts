import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPavedError } from '../../src/errors.js';
import { parseRecord, renderRecord } from '../../src/installer/record.js';
import { createWheelCache, unsafeMemberReason } from '../../src/installer/wheelCache.js';
import { buildWheel, buildZip, type WheelOptions, type ZipEntrySpec } from '../fixtures/buildDistributions.js';
import { PYPI_SUBSET } from '../fixtures/corpus.js';

const sha = (data: Buffer | string): string => `sha256=${createHash('sha256').update(data).digest('base64url')}`;
const META = 'Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n';
const WHEEL = 'Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n';

/** A wheel whose RECORD is written by hand, so it can lie. */
function handRecord(files: Record<string, string>, record: string): WheelOptions {
  return {
    name: 'evil',
    version: '1.0',
    files: { ...files, 'evil-1.0.dist-info/METADATA': META, 'evil-1.0.dist-info/WHEEL': WHEEL },
    omit: ['RECORD', 'METADATA', 'WHEEL'],
    extraEntries: [{ name: 'evil-1.0.dist-info/RECORD', data: record }],
  };
}

/** A wheel whose RECORD is right but one member's zip entry states a wrong inflated size. */
function lyingSizeWheel(member: ZipEntrySpec): Buffer {
  const data = typeof member.data === 'string' ? Buffer.from(member.data) : (member.data ?? Buffer.alloc(0));
  const record = `${member.name},${sha(data)},${data.length}\nevil-1.0.dist-info/METADATA,${sha(META)},\nevil-1.0.dist-info/WHEEL,${sha(WHEEL)},\nevil-1.0.dist-info/RECORD,,\n`;
  return buildZip([member, { name: 'evil-1.0.dist-info/METADATA', data: META }, { name: 'evil-1.0.dist-info/WHEEL', data: WHEEL }, { name: 'evil-1.0.dist-info/RECORD', data: record }]);
}

/** A wheel whose first member's deflate stream is broken at its first byte (an invalid block type). */
function corruptDeflateWheel(member: ZipEntrySpec): Buffer {
  const zip = lyingSizeWheel(member);
  zip[30 + Buffer.byteLength(member.name)] = 0xff;
  return zip;
}

/** Members past 256 KiB are inflated off this thread, smaller ones on it: both ways are tried. */
const BIG = Buffer.alloc(300_000, 'print("paved")\n');

describe('wheel cache', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'paved-wheelcache-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('unpacks once by sha256, atomically, and serves later requests from the cache', async () => {
    const cache = createWheelCache(join(root, 'c1'));
    const path = join(PYPI_SUBSET, 'rich-15.0.0-py3-none-any.whl');
    const [a, b] = await Promise.all([cache.unpack(path), cache.unpack(path)]);
    assert.deepEqual(a, b);
    assert.equal(a.name, 'rich');
    assert.equal(a.version, '15.0.0');
    assert.equal(a.distInfo, 'rich-15.0.0.dist-info');
    assert.equal(a.filesDir, join(root, 'c1', 'wheels-v1', a.sha256, 'files'));
    assert.deepEqual(await readdir(cache.root), [a.sha256]);
    assert.deepEqual(await cache.get(a.sha256), a);
    // With the expected hash known, the file is not even read.
    assert.deepEqual(await cache.unpack('/nonexistent.whl', { sha256: a.sha256 }), a);
    assert.equal(await cache.get('0'.repeat(64)), null);
    await assert.rejects(cache.unpack(path, { sha256: 'f'.repeat(64) }), (e: unknown) => isPavedError(e, 'PAVED_E_HASH_MISMATCH'));
  });

  const hostile: [string, WheelOptions | (() => Buffer), string][] = [
    ['a ".." member', { name: 'evil', version: '1.0', extraEntries: [{ name: '../evil.py', data: 'x' }] }, 'PAVED_E_UNSAFE_WHEEL'],
    ['a nested ".." member', { name: 'evil', version: '1.0', extraEntries: [{ name: 'evil/../../x.py', data: 'x' }] }, 'PAVED_E_UNSAFE_WHEEL'],
    ['an absolute member', { name: 'evil', version: '1.0', extraEntries: [{ name: '/etc/evil.py', data: 'x' }] }, 'PAVED_E_UNSAFE_WHEEL'],
    ['a drive-letter member', { name: 'evil', version: '1.0', extraEntries: [{ name: 'C:/evil.py', data: 'x' }] }, 'PAVED_E_UNSAFE_WHEEL'],
    ['a backslash member', { name: 'evil', version: '1.0', extraEntries: [{ name: 'evil\\..\\x.py', data: 'x' }] }, 'PAVED_E_UNSAFE_WHEEL'],
    ['a symlink member', { name: 'evil', version: '1.0', extraEntries: [{ name: 'evil/link', data: '/etc/passwd', symlink: true }] }, 'PAVED_E_UNSAFE_WHEEL'],
    ['a member that is also a directory', { name: 'evil', version: '1.0', extraEntries: [{ name: 'evil/x', data: 'a' }, { name: 'evil/x/y.py', data: 'b' }] }, 'PAVED_E_UNSAFE_WHEEL'],
    ['a member missing from RECORD', { name: 'evil', version: '1.0', extraEntries: [{ name: 'evil/sneaky.py', data: 'import os' }] }, 'PAVED_E_HASH_MISMATCH'],
    ['a RECORD hash mismatch', handRecord({ 'evil/__init__.py': 'print(1)\n' }, `evil/__init__.py,${sha('print(2)\n')},9\nevil-1.0.dist-info/METADATA,${sha(META)},\nevil-1.0.dist-info/WHEEL,${sha(WHEEL)},\n`), 'PAVED_E_HASH_MISMATCH'],
    ['a RECORD size mismatch', handRecord({ 'evil/__init__.py': 'print(1)\n' }, `evil/__init__.py,${sha('print(1)\n')},99\nevil-1.0.dist-info/METADATA,${sha(META)},\nevil-1.0.dist-info/WHEEL,${sha(WHEEL)},\n`), 'PAVED_E_HASH_MISMATCH'],
    ['a weak RECORD hash', handRecord({ 'evil/__init__.py': 'x' }, `evil/__init__.py,md5=${createHash('md5').update('x').digest('base64url')},1\nevil-1.0.dist-info/METADATA,${sha(META)},\nevil-1.0.dist-info/WHEEL,${sha(WHEEL)},\n`), 'PAVED_E_HASH_MISMATCH'],
    ['no RECORD', { name: 'evil', version: '1.0', omit: ['RECORD'] }, 'PAVED_E_INVALID_WHEEL'],
    ['two dist-info directories', { name: 'evil', version: '1.0', files: { 'evil/__init__.py': '', 'other-1.0.dist-info/METADATA': META } }, 'PAVED_E_INVALID_WHEEL'],
    ['Wheel-Version 2', { name: 'evil', version: '1.0', wheelFile: 'Wheel-Version: 2.0\nRoot-Is-Purelib: true\n' }, 'PAVED_E_INVALID_WHEEL'],
    ['an unknown .data scheme', { name: 'evil', version: '1.0', files: { 'evil-1.0.data/etc/passwd': 'x' } }, 'PAVED_E_INVALID_WHEEL'],
    ['a dist-info of another project', { name: 'evil', version: '1.0', distInfoName: 'pip-1.0.dist-info' }, 'PAVED_E_INVALID_WHEEL'],
    ['a truncated file', () => Buffer.from('PK\u0003\u0004 truncated'), 'PAVED_E_INVALID_WHEEL'],
    ['a member inflating past its declared size', () => lyingSizeWheel({ name: 'evil/big.py', data: Buffer.alloc(50_000, 0x20), declaredSize: 10 }), 'PAVED_E_UNSAFE_WHEEL'],
    ['a member shorter than its declared size', () => lyingSizeWheel({ name: 'evil/short.py', data: 'x = 1\n', declaredSize: 5000 }), 'PAVED_E_INVALID_WHEEL'],
    ['a stored member shorter than its declared size', () => lyingSizeWheel({ name: 'evil/stored.py', data: 'x = 1\n', compress: false, declaredSize: 5000 }), 'PAVED_E_INVALID_WHEEL'],
    ['a member inflating one byte past its declared size', () => lyingSizeWheel({ name: 'evil/one.py', data: 'x = 1\n', declaredSize: 5 }), 'PAVED_E_UNSAFE_WHEEL'],
    ['a member one byte shorter than its declared size', () => lyingSizeWheel({ name: 'evil/one.py', data: 'x = 1\n', declaredSize: 7 }), 'PAVED_E_INVALID_WHEEL'],
    ['a big member inflating one byte past its declared size', () => lyingSizeWheel({ name: 'evil/big.py', data: BIG, declaredSize: BIG.length - 1 }), 'PAVED_E_UNSAFE_WHEEL'],
    ['a big member one byte shorter than its declared size', () => lyingSizeWheel({ name: 'evil/big.py', data: BIG, declaredSize: BIG.length + 1 }), 'PAVED_E_INVALID_WHEEL'],
    ['an empty member declaring content', () => lyingSizeWheel({ name: 'evil/empty.py', data: '', compress: true, declaredSize: 10 }), 'PAVED_E_INVALID_WHEEL'],
    ['a member whose deflate stream is corrupt', () => corruptDeflateWheel({ name: 'evil/bad.py', data: 'x = 1\n' }), 'PAVED_E_INVALID_WHEEL'],
    ['a big member whose deflate stream is corrupt', () => corruptDeflateWheel({ name: 'evil/bad.py', data: BIG }), 'PAVED_E_INVALID_WHEEL'],
  ];
  for (const [title, spec, code] of hostile) {
    it(`refuses a wheel with ${title}, leaving nothing in the cache`, async () => {
      const cache = createWheelCache(join(root, `hostile-${title.replace(/\W+/g, '-')}`));
      const path = join(root, `${title.replace(/\W+/g, '-')}.whl`);
      await writeFile(path, typeof spec === 'function' ? spec() : await buildWheel(spec));
      await assert.rejects(cache.unpack(path), (e: unknown) => isPavedError(e, code));
      assert.deepEqual(await readdir(cache.root).catch(() => []), []);
    });
  }

  describe('through unpacking worker threads', () => {
    // One pool for the hostile wheels: a worker survives a refused wheel and takes the next.
    const cache = (): ReturnType<typeof createWheelCache> => createWheelCache(join(root, 'workers'), { workers: 2 });
    let shared: ReturnType<typeof createWheelCache>;
    before(() => {
      shared = cache();
    });
    after(() => shared.close());

    it('unpacks the same as this thread does, and a wrong hash is refused on the worker', async () => {
      const path = join(PYPI_SUBSET, 'rich-15.0.0-py3-none-any.whl');
      const digest = createHash('sha256').update(await readFile(path)).digest('hex');
      const here = await createWheelCache(join(root, 'here')).unpack(path);
      const [a, b] = await Promise.all([shared.unpack(path, { sha256: digest }), shared.unpack(path, { sha256: digest })]);
      assert.deepEqual(a, b);
      assert.deepEqual({ ...a, filesDir: '' }, { ...here, filesDir: '' });
      assert.deepEqual(await readdir(shared.root), [digest]);
      await assert.rejects(shared.unpack(path, { sha256: 'e'.repeat(64) }), (e: unknown) => isPavedError(e, 'PAVED_E_HASH_MISMATCH'));
    });

    for (const [title, spec, code] of hostile) {
      it(`refuses a wheel with ${title}, with the same code`, async () => {
        const path = join(root, `w-${title.replace(/\W+/g, '-')}.whl`);
        const bytes = typeof spec === 'function' ? spec() : await buildWheel(spec);
        await writeFile(path, bytes);
        const digest = createHash('sha256').update(bytes).digest('hex');
        await assert.rejects(shared.unpack(path, { sha256: digest }), (e: unknown) => isPavedError(e, code));
        assert.equal(await shared.get(digest), null);
      });
    }
  });

  it('bounds what a member may inflate to', async () => {
    const cache = createWheelCache(join(root, 'bomb'), { maxFileBytes: 1000 });
    const path = join(root, 'bomb.whl');
    await writeFile(path, await buildWheel({ name: 'bomb', version: '1.0', files: { 'bomb/__init__.py': Buffer.alloc(100_000, 0x20) } }));
    await assert.rejects(cache.unpack(path), (e: unknown) => isPavedError(e, 'PAVED_E_UNSAFE_WHEEL'));
    assert.deepEqual(await readdir(cache.root).catch(() => []), []);
  });

  const names: [string, string | null][] = [
    ['pkg/mod.py', null],
    ['pkg/', null],
    ['../x', 'a ".." path segment'],
    ['a/./b', 'an empty or "." path segment'],
    ['a//b', 'an empty or "." path segment'],
    ['/x', 'an absolute path'],
    ['a\u0000b', 'a control character in its name'],
    ['', 'an empty name'],
  ];
  for (const [name, reason] of names) {
    it(`member name ${JSON.stringify(name)} → ${reason ?? 'safe'}`, () => {
      assert.equal(unsafeMemberReason(name), reason);
    });
  }

  it('reads and writes RECORD CSV, quoting like Python', () => {
    const rows = [
      { path: 'a,b.py', hash: 'sha256=x', size: 1 },
      { path: 'q"uote.py', hash: '', size: null },
      { path: 'plain.py', hash: 'sha256=y', size: 20 },
    ];
    const text = renderRecord(rows);
    assert.equal(text, '"a,b.py",sha256=x,1\n"q""uote.py",,\nplain.py,sha256=y,20\n');
    assert.deepEqual(parseRecord(text), rows);
    assert.deepEqual(parseRecord('x.py,sha256=z,3\r\ny.py,,'), [{ path: 'x.py', hash: 'sha256=z', size: 3 }, { path: 'y.py', hash: '', size: null }]);
    assert.throws(() => parseRecord('x.py,h,notasize\n'), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_RECORD'));
    assert.throws(() => parseRecord('"open,h,1\n'), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_RECORD'));
  });
});
