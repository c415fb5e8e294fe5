import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isPavedError } from '../../../src/errors.js';
import { checkMemberName, DEFAULT_ARCHIVE_LIMITS, resolveArchiveLimits, type ArchiveLimits } from '../../../src/index/upload/archiveLimits.js';
import { inspectDistribution } from '../../../src/index/upload/inspectDistribution.js';
import {
  buildSdist,
  buildTar,
  buildWheel,
  buildZip,
  createFixtureDir,
  sdistFilenameFor,
  wheelFilenameFor,
  type FixtureDir,
  type SdistOptions,
  type WheelOptions,
} from '../../fixtures/buildDistributions.js';

const CORPUS = new URL('../../../../shared/corpus/', import.meta.url).pathname;
const CORPUS_DIRS = [join(CORPUS, 'pypi-subset'), join(CORPUS, 'history')];
// Generous: every refusal below is immediate when the checks work, and takes seconds to
// minutes (inflating gigabytes) when they do not.
const QUICKLY_MS = 5000;

let fixtures: FixtureDir;
before(async () => {
  fixtures = await createFixtureDir('paved-inspect-');
});
after(async () => {
  await fixtures.cleanup();
});

async function inspectBytes(bytes: Buffer, filename: string, limits?: Partial<ArchiveLimits>) {
  return inspectDistribution(await fixtures.write(bytes), filename, limits);
}

async function assertRefused(bytes: Buffer, filename: string, code: string, message: RegExp, limits?: Partial<ArchiveLimits>): Promise<void> {
  const path = await fixtures.write(bytes);
  const started = performance.now();
  await assert.rejects(inspectDistribution(path, filename, limits), (error: unknown) => {
    assert.ok(isPavedError(error), `expected a PavedError, got ${String(error)}`);
    assert.equal(error.code, code, `wrong code for: ${error.message}`);
    assert.match(error.message, message);
    return true;
  });
  const elapsed = performance.now() - started;
  assert.ok(elapsed < QUICKLY_MS, `refusal took ${Math.round(elapsed)} ms`);
}

const PKG = { name: 'Example.Pkg', version: '1.0' };

function wheelOf(options: Partial<WheelOptions> = {}): Promise<Buffer> {
  return buildWheel({ ...PKG, ...options });
}
const WHEEL_NAME = wheelFilenameFor(PKG);

function sdistOf(options: Partial<SdistOptions> = {}): Promise<Buffer> {
  return buildSdist({ ...PKG, ...options });
}
const SDIST_NAME = sdistFilenameFor(PKG);
const ZIP_SDIST_NAME = sdistFilenameFor({ ...PKG, format: 'zip' });

interface OracleFacts {
  name: string;
  version: string;
  requiresPython: string | null;
  metadataHex: string;
}

/** Reads every corpus wheel's METADATA with Python's zipfile and email parser: an independent reader. */
function pythonOracle(paths: string[]): Map<string, OracleFacts> | null {
  const script = `
import sys, json, zipfile, email.parser
out = {}
for path in sys.argv[1:]:
    with zipfile.ZipFile(path) as z:
        name = [n for n in z.namelist() if n.count('/') == 1 and n.split('/')[0].endswith('.dist-info') and n.endswith('/METADATA')][0]
        raw = z.read(name)
    msg = email.parser.BytesHeaderParser().parsebytes(raw)
    rp = msg.get('Requires-Python')
    out[path] = {'name': msg['Name'], 'version': msg['Version'], 'requiresPython': rp.strip() if rp else None, 'metadataHex': raw.hex()}
print(json.dumps(out))
`;
  const result = spawnSync('python3', ['-c', script, ...paths], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) return null;
  return new Map(Object.entries(JSON.parse(result.stdout) as Record<string, OracleFacts>));
}

describe('inspectDistribution: real wheels', () => {
  const files = CORPUS_DIRS.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.whl')).map((f) => join(dir, f)));

  it('finds the corpus (46 + 21 wheels)', () => {
    assert.ok(files.length >= 46 + 20, `only ${files.length} wheels found`);
  });

  it('inspects every corpus wheel with the name, version, requires-python and METADATA bytes Python reads', async (t) => {
    const oracle = pythonOracle(files);
    if (oracle === null) t.diagnostic('python3 not available: checking against the filename only');
    for (const path of files) {
      const filename = path.slice(path.lastIndexOf('/') + 1);
      const result = await inspectDistribution(path, filename);
      assert.equal(result.kind, 'wheel', filename);
      assert.equal(result.normalizedName, result.filename.normalizedName, filename);
      assert.equal(result.version, filename.split('-')[1], filename);
      assert.equal(result.filename.filename, filename);
      assert.ok(result.metadataBytes !== null && result.metadataBytes.length > 0, filename);
      const facts = oracle?.get(path);
      if (facts !== undefined) {
        assert.equal(result.name, facts.name, filename);
        assert.equal(result.requiresPython, facts.requiresPython, filename);
        assert.equal(result.metadata.requiresPython?.trim() ?? null, facts.requiresPython, filename);
        assert.equal(result.metadataBytes.toString('hex'), facts.metadataHex, `${filename}: METADATA bytes differ`);
      }
    }
  });

  it('reads specific values from well-known wheels', async () => {
    const cases: [string, string, string, string | null][] = [
      ['pypi-subset/flask-3.1.3-py3-none-any.whl', 'Flask', '3.1.3', '>=3.9'],
      ['pypi-subset/zope_interface-8.6-cp311-cp311-manylinux1_x86_64.manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_5_x86_64.whl', 'zope.interface', '8.6', '>=3.10'],
      ['history/pip-18.1-py2.py3-none-any.whl', 'pip', '18.1', '>=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*'],
      ['history/setuptools-40.6.2-py2.py3-none-any.whl', 'setuptools', '40.6.2', '>=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*'],
    ];
    for (const [relative, name, version, requiresPython] of cases) {
      const result = await inspectDistribution(join(CORPUS, relative), relative.split('/')[1] as string);
      assert.deepEqual([result.name, result.version, result.requiresPython], [name, version, requiresPython]);
    }
  });
});

describe('inspectDistribution: built distributions', () => {
  it('inspects a wheel and returns its METADATA bytes exactly', async () => {
    const metadata = 'Metadata-Version: 2.1\nName: Example.Pkg\nVersion: 1.0\nRequires-Python: >=3.9\nRequires-Dist: requests>=2\n\nLong description.\n';
    const result = await inspectBytes(await wheelOf({ metadata }), WHEEL_NAME);
    assert.equal(result.kind, 'wheel');
    assert.equal(result.name, 'Example.Pkg');
    assert.equal(result.normalizedName, 'example-pkg');
    assert.equal(result.version, '1.0');
    assert.equal(result.requiresPython, '>=3.9');
    assert.deepEqual(result.metadata.requiresDist, ['requests>=2']);
    assert.equal(result.metadataBytes?.toString('utf8'), metadata);
  });

  it('inspects sdists as .tar.gz and .zip, without a PEP 658 metadata file', async () => {
    for (const format of ['tar.gz', 'zip'] as const) {
      const bytes = await sdistOf({ format, pkgInfo: { requiresPython: '>=3.10' } });
      const result = await inspectBytes(bytes, sdistFilenameFor({ ...PKG, format }));
      assert.equal(result.kind, 'sdist', format);
      assert.equal(result.name, 'Example.Pkg', format);
      assert.equal(result.normalizedName, 'example-pkg', format);
      assert.equal(result.version, '1.0', format);
      assert.equal(result.requiresPython, '>=3.10', format);
      assert.equal(result.metadataBytes, null, format);
    }
    // The older .tgz and plain .tar spellings read the same way.
    const tar = await buildTar([{ name: 'example_pkg-1.0/PKG-INFO', data: 'Metadata-Version: 1.0\nName: Example.Pkg\nVersion: 1.0\n' }]);
    assert.equal((await inspectBytes(tar, 'example_pkg-1.0.tar')).version, '1.0');
    assert.equal((await inspectBytes(gzipSync(tar), 'example_pkg-1.0.tgz')).version, '1.0');
  });

  it('accepts the older spellings of names and versions in filenames and directories', async () => {
    // An old sdist: dashes kept in the name, in the filename and the top-level directory.
    const legacy = await buildSdist({ name: 'Foo-Bar', version: '2.0.0', topLevelDir: 'Foo-Bar-2.0.0' });
    const result = await inspectBytes(legacy, 'Foo-Bar-2.0.0.tar.gz');
    assert.equal(result.normalizedName, 'foo-bar');
    // Unnormalised version inside, normalised in the filename.
    const wheel = await buildWheel({ name: 'pkg', version: '1.0', metadata: { version: '1.0.0' }, distInfoName: 'pkg-1.0.0.dist-info' });
    const inspected = await inspectBytes(wheel, 'pkg-1.0-py3-none-any.whl');
    assert.equal(inspected.version, '1.0.0');
  });

  it('reads a Latin-1 PKG-INFO in an old sdist, but refuses non-UTF-8 METADATA in a wheel', async () => {
    const latin1 = Buffer.from('Metadata-Version: 1.0\nName: Example.Pkg\nVersion: 1.0\nAuthor: Jos\xe9\n', 'latin1');
    const sdist = gzipSync(await buildTar([{ name: 'example_pkg-1.0/PKG-INFO', data: latin1 }]));
    const result = await inspectBytes(sdist, SDIST_NAME);
    assert.equal(result.metadata.author, 'José');
    const wheel = await wheelOf({ metadata: latin1.toString('latin1') });
    // buildWheel writes strings as UTF-8, so swap in the raw Latin-1 bytes.
    const raw = buildZip([
      { name: 'example_pkg-1.0.dist-info/METADATA', data: latin1 },
      { name: 'example_pkg-1.0.dist-info/WHEEL', data: 'Wheel-Version: 1.0\n' },
      { name: 'example_pkg-1.0.dist-info/RECORD', data: '' },
    ]);
    assert.ok(wheel.length > 0);
    await assertRefused(raw, WHEEL_NAME, 'PAVED_E_INVALID_METADATA', /METADATA.*UTF-8/);
  });

  it('accepts a wheel whose zip lists directories and empty files', async () => {
    const bytes = await wheelOf({
      files: { 'example_pkg/__init__.py': '', 'example_pkg/py.typed': '' },
      extraEntries: [{ name: 'example_pkg/', data: '' }],
    });
    const result = await inspectBytes(bytes, WHEEL_NAME);
    assert.equal(result.name, 'Example.Pkg');
  });
});

describe('inspectDistribution: unsafe members', () => {
  const unsafeNames: [string, RegExp][] = [
    ['../../etc/passwd', /wheel member '\.\.\/\.\.\/etc\/passwd' escapes the archive/],
    ['example_pkg/../../x.py', /escapes the archive/],
    ['/etc/x', /'\/etc\/x' is an absolute path/],
    ['C:\\x', /backslash/],
    ['C:/x', /drive letter/],
    ['example_pkg\\..\\..\\x.py', /backslash/],
    ['example_pkg/a\u0000b', /control character/],
    ['x/'.repeat(600) + 'y', /-character name/],
  ];
  for (const [name, message] of unsafeNames) {
    it(`refuses a wheel member named ${JSON.stringify(name.slice(0, 30))}`, async () => {
      const bytes = await wheelOf({ extraEntries: [{ name, data: 'boom' }] });
      await assertRefused(bytes, WHEEL_NAME, 'PAVED_E_UNSAFE_ARCHIVE', message);
    });
  }

  it('refuses symlink members in wheels and zip sdists', async () => {
    const wheel = await wheelOf({ extraEntries: [{ name: 'example_pkg/link', data: '/etc/passwd', symlink: true }] });
    await assertRefused(wheel, WHEEL_NAME, 'PAVED_E_UNSAFE_ARCHIVE', /wheel member 'example_pkg\/link' is a symbolic link/);
    const sdist = await sdistOf({ format: 'zip', extraEntries: [{ name: 'example_pkg-1.0/link', type: 'symlink', linkname: '../../..' }] });
    await assertRefused(sdist, ZIP_SDIST_NAME, 'PAVED_E_UNSAFE_ARCHIVE', /sdist member 'example_pkg-1.0\/link' is a symbolic link/);
  });

  it('refuses devices and FIFOs by their zip mode bits', async () => {
    for (const [mode, what] of [
      [0o010644, 'FIFO'],
      [0o020644, 'character device'],
      [0o060644, 'block device'],
      [0o140644, 'socket'],
    ] as const) {
      const bytes = await wheelOf({ extraEntries: [{ name: 'example_pkg/dev', data: '', mode }] });
      await assertRefused(bytes, WHEEL_NAME, 'PAVED_E_UNSAFE_ARCHIVE', new RegExp(`is a ${what}`));
    }
  });

  it('refuses symlinks, hard links, devices and escaping paths in tar sdists', async () => {
    const cases: [SdistOptions['extraEntries'] & object, RegExp][] = [
      [[{ name: 'example_pkg-1.0/evil', type: 'symlink', linkname: '/etc/passwd' }], /member 'example_pkg-1.0\/evil' is a symbolic link to '\/etc\/passwd'/],
      [[{ name: 'example_pkg-1.0/evil', type: 'hardlink', linkname: 'example_pkg-1.0/PKG-INFO' }], /member 'example_pkg-1.0\/evil' is a hard link/],
      [[{ name: 'example_pkg-1.0/../../evil', data: 'x' }], /escapes the archive/],
      [[{ name: '/tmp/evil', data: 'x' }], /absolute path/],
    ];
    for (const [extraEntries, message] of cases) {
      await assertRefused(await sdistOf({ extraEntries }), SDIST_NAME, 'PAVED_E_UNSAFE_ARCHIVE', message);
    }
    const device = gzipSync(await buildTar([{ name: 'example_pkg-1.0/PKG-INFO', data: 'x' }, { name: 'example_pkg-1.0/tty', type: 'character-device' }]));
    await assertRefused(device, SDIST_NAME, 'PAVED_E_UNSAFE_ARCHIVE', /is a character device/);
  });

  it('refuses duplicate member names', async () => {
    const wheel = await wheelOf({ extraEntries: [{ name: 'example_pkg/__init__.py', data: 'import os; os.system("evil")' }] });
    await assertRefused(wheel, WHEEL_NAME, 'PAVED_E_UNSAFE_ARCHIVE', /member 'example_pkg\/__init__.py' appears more than once/);
    // The same path spelled differently is still the same file once extracted.
    const sneaky = await wheelOf({ extraEntries: [{ name: 'example_pkg/./__init__.py', data: 'evil' }] });
    await assertRefused(sneaky, WHEEL_NAME, 'PAVED_E_UNSAFE_ARCHIVE', /appears more than once/);
    const sdist = await sdistOf({ extraEntries: [{ name: 'example_pkg-1.0/PKG-INFO', data: 'Metadata-Version: 2.1\nName: other\nVersion: 9\n' }] });
    await assertRefused(sdist, SDIST_NAME, 'PAVED_E_UNSAFE_ARCHIVE', /PKG-INFO' appears more than once/);
  });

  it('refuses a path that is both a file and a directory', async () => {
    const bytes = await wheelOf({ extraEntries: [{ name: 'example_pkg/__init__.py/x', data: '' }] });
    await assertRefused(bytes, WHEEL_NAME, 'PAVED_E_UNSAFE_ARCHIVE', /is a file, but .* uses it as a directory/);
  });

  it('refuses a member whose local header names a different file than the central directory', async () => {
    const bytes = buildZip([
      { name: 'example_pkg-1.0.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: Example.Pkg\nVersion: 1.0\n' },
      { name: 'example_pkg-1.0.dist-info/WHEEL', data: 'Wheel-Version: 1.0\n' },
      { name: 'example_pkg-1.0.dist-info/RECORD', data: '' },
      { name: 'example_pkg/ok.py', localName: '../../../evil', data: 'x' },
    ]);
    await assertRefused(bytes, WHEEL_NAME, 'PAVED_E_UNSAFE_ARCHIVE', /'example_pkg\/ok.py' is called '..\/..\/..\/evil' in its local header/);
  });
});

describe('inspectDistribution: bombs and size limits', () => {
  const zeros50MB = Buffer.alloc(50 * 1024 * 1024);

  it('refuses a member whose compression ratio is a zip bomb (100 MB of zeros)', async () => {
    const bytes = await wheelOf({ files: { 'example_pkg/__init__.py': '', 'example_pkg/zeros.bin': Buffer.alloc(100 * 1024 * 1024) } });
    assert.ok(bytes.length < 400 * 1024, `the bomb is ${bytes.length} bytes`);
    await assertRefused(bytes, WHEEL_NAME, 'PAVED_E_ARCHIVE_TOO_LARGE', /member 'example_pkg\/zeros.bin' declares 100 MiB inflated from .* ratio over the 200:1 limit/);
  });

  it('accepts small members that compress very well (real wheels ship zero-filled test data)', async () => {
    const bytes = await wheelOf({ files: { 'example_pkg/__init__.py': '', 'example_pkg/tensor.pb': Buffer.alloc(3 * 1024 * 1024) } });
    const inspection = await inspectBytes(bytes, WHEEL_NAME);
    assert.equal(inspection.version, '1.0');
  });

  it('refuses members that inflate past the size their headers declare', async () => {
    const base = await wheelOf();
    assert.ok(base.length > 0);
    for (const declaredSize of [1000, 9 * 1024 * 1024]) {
      // Small declared sizes take the one-shot path, large ones the streaming path: both must catch the lie.
      const bytes = buildZip([
        { name: 'example_pkg-1.0.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: Example.Pkg\nVersion: 1.0\n' },
        { name: 'example_pkg-1.0.dist-info/WHEEL', data: 'Wheel-Version: 1.0\n' },
        { name: 'example_pkg-1.0.dist-info/RECORD', data: '' },
        { name: 'example_pkg/liar.bin', data: zeros50MB, declaredSize },
      ]);
      await assertRefused(bytes, WHEEL_NAME, 'PAVED_E_ARCHIVE_TOO_LARGE', /member 'example_pkg\/liar.bin' inflates past the .* its header declares/);
    }
  });

  it('refuses members shorter than they declare', async () => {
    const bytes = buildZip([
      { name: 'example_pkg-1.0.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: Example.Pkg\nVersion: 1.0\n' },
      { name: 'example_pkg-1.0.dist-info/WHEEL', data: 'Wheel-Version: 1.0\n' },
      { name: 'example_pkg-1.0.dist-info/RECORD', data: '', declaredSize: 10 },
    ]);
    await assertRefused(bytes, WHEEL_NAME, 'PAVED_E_INVALID_ARCHIVE', /is 0 bytes but its header declares 10/);
  });

  it('refuses archives whose total inflated size is over the limit', async () => {
    const bytes = await wheelOf({ files: { 'example_pkg/a.bin': randomBytes(3000), 'example_pkg/b.bin': randomBytes(3000) } });
    await assertRefused(bytes, WHEEL_NAME, 'PAVED_E_ARCHIVE_TOO_LARGE', /declares more than 4.9 KiB of inflated data/, { maxUncompressedBytes: 5000 });
    const sdist = await sdistOf({ files: { 'a.bin': randomBytes(3000), 'b.bin': randomBytes(3000) } });
    await assertRefused(sdist, SDIST_NAME, 'PAVED_E_ARCHIVE_TOO_LARGE', /inflates to more than 4.9 KiB/, { maxUncompressedBytes: 5000 });
  });

  it('refuses a gzip bomb sdist (10 MB that inflates to 10 GB) without inflating it', async () => {
    // A tar header for a 1 GiB file, then gzip members of 1 MiB of zeros each, concatenated:
    // gunzip reads them as one stream.
    const header = (await buildTar([{ name: 'example_pkg-1.0/PKG-INFO', data: 'x' }])).subarray(0, 512);
    header.write('00000000000\0', 124, 'ascii'); // size placeholder, fixed below
    header.write((1024 ** 3).toString(8).padStart(11, '0') + '\0', 124, 'ascii');
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    const block = gzipSync(Buffer.alloc(1024 * 1024));
    const count = Math.ceil((10 * 1024 * 1024) / block.length);
    const bomb = Buffer.concat([gzipSync(header), ...Array.from({ length: count }, () => block)]);
    assert.ok(bomb.length >= 10 * 1024 * 1024 && bomb.length < 11 * 1024 * 1024);
    await assertRefused(bomb, SDIST_NAME, 'PAVED_E_ARCHIVE_TOO_LARGE', /gzip stream inflated .* ratio over the 200:1 limit \(a gzip bomb\)/);
  });

  it('refuses a tar member whose header alone is over the limit', async () => {
    const header = (await buildTar([{ name: 'example_pkg-1.0/big', data: 'x' }])).subarray(0, 512);
    header.write((8 * 1024 ** 3 - 1).toString(8).padStart(11, '0') + '\0', 124, 'ascii');
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    await assertRefused(gzipSync(header), SDIST_NAME, 'PAVED_E_ARCHIVE_TOO_LARGE', /member 'example_pkg-1.0\/big' is 8.0 GiB/);
  });

  it('refuses too many members', async () => {
    const files = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`example_pkg/m${i}.py`, '']));
    await assertRefused(await wheelOf({ files }), WHEEL_NAME, 'PAVED_E_ARCHIVE_TOO_LARGE', /has 13 members; the limit is 5/, { maxEntries: 5 });
    await assertRefused(await sdistOf({ files }), SDIST_NAME, 'PAVED_E_ARCHIVE_TOO_LARGE', /more than 5 members/, { maxEntries: 5 });
    // The default limit, against an end record claiming 100 001 members: refused before reading any.
    const forged = buildZip([{ name: 'a', data: 'x' }], { declaredEntryCount: 0xffff });
    await assertRefused(forged, WHEEL_NAME, 'PAVED_E_ARCHIVE_TOO_LARGE', /has 65535 members; the limit is 100/, { maxEntries: 100 });
    assert.equal(DEFAULT_ARCHIVE_LIMITS.maxEntries, 100_000);
  });

  it('applies the 8 MiB default cap to METADATA, and a configured one', async () => {
    const description = randomBytes(6 * 1024 * 1024).toString('base64'); // 8 MiB of text that does not compress 200:1
    await assertRefused(await wheelOf({ metadata: { description } }), WHEEL_NAME, 'PAVED_E_INVALID_METADATA', /METADATA is 8.0 MiB; the limit is 8.0 MiB/);
    await assertRefused(await wheelOf({ metadata: { description: 'x'.repeat(2000) } }), WHEEL_NAME, 'PAVED_E_INVALID_METADATA', /METADATA is 2.0 KiB; the limit is 1000 bytes/, {
      maxMetadataBytes: 1000,
    });
    await assertRefused(await sdistOf({ pkgInfo: { description: 'x'.repeat(2000) } }), SDIST_NAME, 'PAVED_E_INVALID_METADATA', /PKG-INFO is 2.0 KiB/, {
      maxMetadataBytes: 1000,
    });
  });

  it('refuses oversized metadata fields with the core-metadata limits', async () => {
    await assertRefused(await wheelOf({ metadata: { summary: 's'.repeat(70_000) } }), WHEEL_NAME, 'PAVED_E_INVALID_METADATA', /wheel METADATA: field 'Summary' is 70000 bytes/);
  });
});

describe('inspectDistribution: broken archives', () => {
  it('refuses bytes that are not a zip, and a truncated zip', async () => {
    await assertRefused(Buffer.from('this is not a zip file at all, just text\n'.repeat(10)), WHEEL_NAME, 'PAVED_E_INVALID_ARCHIVE', /wheel is not a readable zip archive/);
    await assertRefused(Buffer.alloc(0), WHEEL_NAME, 'PAVED_E_INVALID_ARCHIVE', /not a readable zip/);
    const good = await wheelOf();
    await assertRefused(good.subarray(0, Math.floor(good.length / 2)), WHEEL_NAME, 'PAVED_E_INVALID_ARCHIVE', /not a readable zip/);
    // The end record survives but the members before it are cut.
    const cut = Buffer.concat([good.subarray(0, 40), good.subarray(good.length - 400)]);
    await assertRefused(cut, WHEEL_NAME, 'PAVED_E_INVALID_ARCHIVE', /wheel/);
  });

  it('refuses a member whose data fails its CRC', async () => {
    const bytes = buildZip([
      { name: 'example_pkg-1.0.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: Example.Pkg\nVersion: 1.0\n' },
      { name: 'example_pkg-1.0.dist-info/WHEEL', data: 'Wheel-Version: 1.0\n' },
      { name: 'example_pkg-1.0.dist-info/RECORD', data: '' },
      { name: 'example_pkg/__init__.py', data: 'print("hello")\n', crc32: 1234 },
    ]);
    await assertRefused(bytes, WHEEL_NAME, 'PAVED_E_INVALID_ARCHIVE', /member 'example_pkg\/__init__.py' fails its CRC-32 check/);
  });

  it('refuses sdists that are not gzip, truncated, or in a format paved cannot read', async () => {
    await assertRefused(await wheelOf(), SDIST_NAME, 'PAVED_E_INVALID_ARCHIVE', /sdist is not a valid gzip stream/);
    const good = await sdistOf();
    await assertRefused(good.subarray(0, good.length - 30), SDIST_NAME, 'PAVED_E_INVALID_ARCHIVE', /truncated/);
    await assertRefused(gzipSync(Buffer.from('not a tar archive '.repeat(100))), SDIST_NAME, 'PAVED_E_INVALID_ARCHIVE', /not a valid tar archive/);
    await assertRefused(good, 'example_pkg-1.0.tar.bz2', 'PAVED_E_INVALID_ARCHIVE', /format .tar.bz2 cannot be read/);
  });

  it('refuses filenames that are not distributions or not safe', async () => {
    const good = await wheelOf();
    await assertRefused(good, 'setup.exe', 'PAVED_E_INVALID_FILENAME', /neither a wheel nor an sdist/);
    await assertRefused(good, '../example_pkg-1.0-py3-none-any.whl', 'PAVED_E_INVALID_FILENAME', /unsafe filename/);
  });
});

describe('inspectDistribution: layout and metadata', () => {
  for (const file of ['METADATA', 'WHEEL', 'RECORD'] as const) {
    it(`refuses a wheel without ${file}`, async () => {
      await assertRefused(await wheelOf({ omit: [file] }), WHEEL_NAME, 'PAVED_E_INVALID_METADATA', new RegExp(`wheel has no example_pkg-1.0.dist-info/${file}`));
    });
  }

  it('refuses a wheel with no .dist-info, or two', async () => {
    const none = buildZip([{ name: 'example_pkg/__init__.py', data: '' }]);
    await assertRefused(none, WHEEL_NAME, 'PAVED_E_INVALID_METADATA', /wheel has no .dist-info directory/);
    const two = await wheelOf({ extraEntries: [{ name: 'other-1.0.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: other\nVersion: 1.0\n' }] });
    await assertRefused(two, WHEEL_NAME, 'PAVED_E_INVALID_METADATA', /wheel has 2 .dist-info directories/);
  });

  it('refuses Wheel-Version 2.0 and a WHEEL without one', async () => {
    await assertRefused(await wheelOf({ wheelFile: 'Wheel-Version: 2.0\nRoot-Is-Purelib: true\n' }), WHEEL_NAME, 'PAVED_E_INVALID_METADATA', /Wheel-Version 2.0; only 1.x/);
    await assertRefused(await wheelOf({ wheelFile: 'Root-Is-Purelib: true\n' }), WHEEL_NAME, 'PAVED_E_INVALID_METADATA', /has no Wheel-Version/);
    const accepted = await inspectBytes(await wheelOf({ wheelFile: 'Wheel-Version: 1.9\n' }), WHEEL_NAME);
    assert.equal(accepted.version, '1.0');
  });

  it('refuses a .dist-info directory that names another project or version', async () => {
    await assertRefused(await wheelOf({ distInfoName: 'other-1.0.dist-info' }), WHEEL_NAME, 'PAVED_E_METADATA_MISMATCH', /\.dist-info directory 'other-1.0.dist-info' does not match/);
    await assertRefused(await wheelOf({ distInfoName: 'example_pkg-2.0.dist-info' }), WHEEL_NAME, 'PAVED_E_METADATA_MISMATCH', /does not match the filename's project 'example-pkg' version 1.0/);
  });

  it('refuses a filename whose name or version disagrees with METADATA / PKG-INFO', async () => {
    await assertRefused(await wheelOf({ metadata: { name: 'requests' } }), WHEEL_NAME, 'PAVED_E_METADATA_MISMATCH', /wheel filename is for project 'example-pkg' but its METADATA says 'requests'/);
    await assertRefused(await wheelOf({ metadata: { version: '1.0.post1' } }), WHEEL_NAME, 'PAVED_E_METADATA_MISMATCH', /filename is for version 1.0 but its METADATA says 1.0.post1/);
    await assertRefused(await sdistOf({ pkgInfo: { name: 'requests' } }), SDIST_NAME, 'PAVED_E_METADATA_MISMATCH', /sdist filename is for project 'example-pkg' but its PKG-INFO says 'requests'/);
    await assertRefused(await sdistOf({ pkgInfo: { version: '2.0' } }), SDIST_NAME, 'PAVED_E_METADATA_MISMATCH', /PKG-INFO says 2.0/);
    // A wheel renamed to another project.
    await assertRefused(await wheelOf(), 'requests-1.0-py3-none-any.whl', 'PAVED_E_METADATA_MISMATCH', /'example_pkg-1.0.dist-info' does not match the filename's project 'requests'/);
  });

  it('refuses metadata without a name or version, or with an invalid one', async () => {
    await assertRefused(await wheelOf({ metadata: 'Metadata-Version: 2.1\nName: Example.Pkg\n' }), WHEEL_NAME, 'PAVED_E_INVALID_METADATA', /METADATA: the metadata has no Version field/);
    await assertRefused(await wheelOf({ metadata: { version: 'not-a-version' } }), WHEEL_NAME, 'PAVED_E_INVALID_METADATA', /invalid version 'not-a-version'/);
    await assertRefused(await wheelOf({ metadata: { name: '-bad name-' } }), WHEEL_NAME, 'PAVED_E_INVALID_METADATA', /invalid project name/);
  });

  it('refuses sdists without PKG-INFO, with two top-level directories, or a stray top-level file', async () => {
    await assertRefused(await sdistOf({ pkgInfo: null }), SDIST_NAME, 'PAVED_E_INVALID_METADATA', /sdist has no example_pkg-1.0\/PKG-INFO/);
    await assertRefused(await sdistOf({ format: 'zip', pkgInfo: null }), ZIP_SDIST_NAME, 'PAVED_E_INVALID_METADATA', /sdist has no example_pkg-1.0\/PKG-INFO/);
    const two = await sdistOf({ extraEntries: [{ name: 'other-1.0/PKG-INFO', data: 'x' }] });
    await assertRefused(two, SDIST_NAME, 'PAVED_E_INVALID_METADATA', /sdist has 2 top-level directories/);
    const stray = await sdistOf({ extraEntries: [{ name: 'setup.py', data: 'x' }] });
    await assertRefused(stray, SDIST_NAME, 'PAVED_E_INVALID_METADATA', /file 'setup.py' at the top level/);
    await assertRefused(gzipSync(await buildTar([])), SDIST_NAME, 'PAVED_E_INVALID_METADATA', /sdist is empty/);
  });

  it('refuses an sdist whose top-level directory names another project', async () => {
    await assertRefused(await sdistOf({ topLevelDir: 'other-1.0' }), SDIST_NAME, 'PAVED_E_METADATA_MISMATCH', /top-level directory 'other-1.0' does not match/);
  });
});

describe('archive member rules', () => {
  const table: [string, string | RegExp][] = [
    ['pkg/mod.py', 'pkg/mod.py'],
    ['pkg/', 'pkg'],
    ['./pkg//mod.py', 'pkg/mod.py'],
    ['pkg/a..b.py', 'pkg/a..b.py'],
    ['..', /escapes/],
    ['pkg/..', /escapes/],
    ['/abs', /absolute/],
    ['c:rel', /drive letter/],
    ['a\\b', /backslash/],
    ['', /empty name/],
    ['a\nb', /control character/],
  ];
  for (const [name, expected] of table) {
    it(`${JSON.stringify(name)} → ${String(expected)}`, () => {
      if (typeof expected === 'string') assert.equal(checkMemberName('wheel', name), expected);
      else assert.throws(() => checkMemberName('wheel', name), (e: unknown) => isPavedError(e, 'PAVED_E_UNSAFE_ARCHIVE') && expected.test(e.message));
    });
  }

  it('fills in default limits and refuses nonsense ones', () => {
    assert.deepEqual(resolveArchiveLimits({ maxEntries: 10 }), { ...DEFAULT_ARCHIVE_LIMITS, maxEntries: 10 });
    assert.equal(DEFAULT_ARCHIVE_LIMITS.maxUncompressedBytes, 2 * 1024 ** 3);
    assert.throws(() => resolveArchiveLimits({ maxCompressionRatio: 0 }), /maxCompressionRatio must be a positive number/);
    assert.throws(() => resolveArchiveLimits({ maxEntries: Number.NaN }), /maxEntries/);
  });
});
