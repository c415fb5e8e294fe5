import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isPavedError } from '../../src/errors.js';
import { checkSafeFilename, parseDistributionFilename } from '../../src/standards/distributionFilename.js';

const corpusDirs = ['pypi-subset', 'history'].map((dir) => fileURLToPath(new URL(`../../../shared/corpus/${dir}/`, import.meta.url)));

const isInvalidFilename = (e: unknown): boolean => isPavedError(e, 'PAVED_E_INVALID_FILENAME') && e.hint !== undefined && e.hint.length > 0;

describe('checkSafeFilename', () => {
  const safe = [
    'example_pkg-1.0-py3-none-any.whl',
    'python-dateutil-2.8.2.tar.gz',
    'Cython-0.29.37-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.manylinux_2_24_x86_64.whl',
    'foo-1.0+local.tar.gz',
    'a',
    'x'.repeat(255),
  ];
  for (const filename of safe) {
    it(`accepts ${JSON.stringify(filename.slice(0, 60))}`, () => {
      assert.doesNotThrow(() => checkSafeFilename(filename));
    });
  }

  const unsafe: Array<[string, string]> = [
    ['', 'empty'],
    ['.', 'dot'],
    ['..', 'dot dot'],
    ['.hidden.whl', 'leading dot'],
    ['a..b.whl', 'double dot inside'],
    ['a/b.whl', 'slash'],
    ['a\\b.whl', 'backslash'],
    ['/etc/passwd', 'absolute path'],
    ['C:\\evil.whl', 'windows path'],
    ['a\u0000b.whl', 'NUL'],
    ['a\tb.whl', 'tab'],
    ['a\u001bb.whl', 'escape'],
    ['a\u007fb.whl', 'DEL'],
    ['a\u0085b.whl', 'C1 next line'],
    ['a\u2028b.whl', 'line separator'],
    ['evil\u202egpj.whl', 'right-to-left override'],
    ['a\u200db.whl', 'zero-width joiner'],
    ['\ufeffa.whl', 'byte order mark'],
    ['a\ud800b.whl', 'lone surrogate'],
    ['a\uff0fb.whl', 'fullwidth solidus (NFKC gives /)'],
    ['a\u2024\u2024b.whl', 'one dot leader pair (NFKC gives ..)'],
    ['ﬁle.whl', 'ligature (NFKC differs)'],
    ['e\u0301.whl', 'decomposed accent (NFC differs)'],
    ['x'.repeat(256), '256 bytes'],
    ['é'.repeat(128), '256 bytes in UTF-8 though 128 characters'],
  ];
  for (const [filename, why] of unsafe) {
    it(`rejects ${why}`, () => {
      assert.throws(() => checkSafeFilename(filename), isInvalidFilename);
    });
  }

  it('does not echo control characters or huge names into the message', () => {
    assert.throws(
      () => checkSafeFilename(`${'y'.repeat(1000)}\u001b[31m`),
      (e: unknown) => isInvalidFilename(e) && e instanceof Error && e.message.length < 200 && !e.message.includes('\u001b'),
    );
  });
});

describe('parseDistributionFilename', () => {
  it('tells wheels from sdists', () => {
    const wheel = parseDistributionFilename('numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl');
    assert.equal(wheel.kind, 'wheel');
    assert.equal(wheel.normalizedName, 'numpy');
    assert.equal(wheel.version, '1.26.4');
    if (wheel.kind === 'wheel') assert.deepEqual(wheel.abiTags, ['cp311']);

    const sdist = parseDistributionFilename('python-dateutil-2.8.2.tar.gz');
    assert.equal(sdist.kind, 'sdist');
    assert.equal(sdist.normalizedName, 'python-dateutil');
    if (sdist.kind === 'sdist') assert.equal(sdist.extension, '.tar.gz');
  });

  it('checks the project for wheels and sdists', () => {
    assert.equal(parseDistributionFilename('Flask_RESTful-0.3.10-py2.py3-none-any.whl', 'flask-restful').normalizedName, 'flask-restful');
    assert.equal(parseDistributionFilename('python-dateutil-2.8.2.tar.gz', 'python_dateutil').version, '2.8.2');
    assert.throws(() => parseDistributionFilename('numpy-1.26.4-py3-none-any.whl', 'numpy-financial'), isInvalidFilename);
    assert.throws(() => parseDistributionFilename('numpy-1.26.4.tar.gz', 'scipy'), isInvalidFilename);
  });

  const unsupported = ['pkg-1.0-py2.7.egg', 'pkg-1.0.win32.exe', 'pkg-1.0.msi', 'pkg-1.0.rpm', 'README', 'pkg-1.0.tar.gz.sig', 'pkg-1.0-py3-none-any.whl.metadata'];
  for (const filename of unsupported) {
    it(`rejects ${filename}`, () => {
      assert.throws(() => parseDistributionFilename(filename), isInvalidFilename);
    });
  }

  it('rejects unsafe names before looking at the extension', () => {
    assert.throws(() => parseDistributionFilename('../../numpy-1.26.4.tar.gz'), (e: unknown) => isInvalidFilename(e) && e instanceof Error && /path separator/.test(e.message));
  });

  for (const dir of corpusDirs) {
    it(`parses every file in ${dir}`, () => {
      const names = readdirSync(dir);
      assert.ok(names.length > 0);
      for (const filename of names) {
        const parsed = parseDistributionFilename(filename);
        assert.equal(parsed.filename, filename);
        assert.ok(parsed.version.length > 0, filename);
      }
    });
  }
});
