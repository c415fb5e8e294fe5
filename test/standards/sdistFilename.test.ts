import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPavedError } from '../../src/errors.js';
import { parseSdistFilename, type SdistExtension } from '../../src/standards/sdistFilename.js';

const isInvalidFilename = (e: unknown): boolean => isPavedError(e, 'PAVED_E_INVALID_FILENAME') && e.hint !== undefined && e.hint.length > 0;

describe('parseSdistFilename without a project', () => {
  // Real sdist filenames seen on PyPI: PEP 625 ones and legacy ones with dashes or other archives.
  const table: Array<[filename: string, name: string, normalizedName: string, version: string, extension: SdistExtension]> = [
    ['python-dateutil-2.8.2.tar.gz', 'python-dateutil', 'python-dateutil', '2.8.2', '.tar.gz'],
    ['python_dateutil-2.9.0.post0.tar.gz', 'python_dateutil', 'python-dateutil', '2.9.0.post0', '.tar.gz'],
    ['requests-2.31.0.tar.gz', 'requests', 'requests', '2.31.0', '.tar.gz'],
    ['Django-4.2.7.tar.gz', 'Django', 'django', '4.2.7', '.tar.gz'],
    ['zope.interface-6.1.tar.gz', 'zope.interface', 'zope-interface', '6.1', '.tar.gz'],
    ['backports.ssl_match_hostname-3.7.0.1.tar.gz', 'backports.ssl_match_hostname', 'backports-ssl-match-hostname', '3.7.0.1', '.tar.gz'],
    ['pep8-naming-0.13.3.tar.gz', 'pep8-naming', 'pep8-naming', '0.13.3', '.tar.gz'],
    ['django-2fa-1.0.tar.gz', 'django-2fa', 'django-2fa', '1.0', '.tar.gz'],
    ['pywin32-ctypes-0.2.0.zip', 'pywin32-ctypes', 'pywin32-ctypes', '0.2.0', '.zip'],
    ['PyYAML-5.4.1.tar.bz2', 'PyYAML', 'pyyaml', '5.4.1', '.tar.bz2'],
    ['simplejson-2.1.0.tgz', 'simplejson', 'simplejson', '2.1.0', '.tgz'],
    ['lzma-0.5.tar.xz', 'lzma', 'lzma', '0.5', '.tar.xz'],
    ['oldpkg-0.1.tar', 'oldpkg', 'oldpkg', '0.1', '.tar'],
    ['numpy-2.0.0rc1.tar.gz', 'numpy', 'numpy', '2.0.0rc1', '.tar.gz'],
    ['foo-bar-1.0-beta.tar.gz', 'foo-bar', 'foo-bar', '1.0b0', '.tar.gz'],
    ['foo-1.0.dev3+g1a2b3c.tar.gz', 'foo', 'foo', '1.0.dev3+g1a2b3c', '.tar.gz'],
    ['Foo-1.0RC2.zip', 'Foo', 'foo', '1.0rc2', '.zip'],
    ['a-1.tar.gz', 'a', 'a', '1', '.tar.gz'],
  ];
  for (const [filename, name, normalizedName, version, extension] of table) {
    it(filename, () => {
      assert.deepEqual(parseSdistFilename(filename), { filename, name, normalizedName, version, extension });
    });
  }
});

describe('parseSdistFilename with a project', () => {
  const table: Array<[filename: string, project: string, name: string, version: string]> = [
    ['python-dateutil-2.8.2.tar.gz', 'python-dateutil', 'python-dateutil', '2.8.2'],
    ['python_dateutil-2.9.0.post0.tar.gz', 'Python.Dateutil', 'python_dateutil', '2.9.0.post0'],
    // The project name decides the split even where the version alone would be ambiguous.
    ['foo-1.0-1.tar.gz', 'foo', 'foo', '1.0.post1'],
    ['foo-2-1.0.tar.gz', 'foo-2', 'foo-2', '1.0'],
  ];
  for (const [filename, project, name, version] of table) {
    it(`${filename} for ${project}`, () => {
      const sdist = parseSdistFilename(filename, project);
      assert.equal(sdist.name, name);
      assert.equal(sdist.version, version);
    });
  }

  it('without a project, the last dash that leaves a valid version wins', () => {
    assert.deepEqual([parseSdistFilename('foo-1.0-1.tar.gz').name, parseSdistFilename('foo-1.0-1.tar.gz').version], ['foo-1.0', '1']);
  });

  it('rejects a filename of another project', () => {
    assert.throws(() => parseSdistFilename('requests-2.31.0.tar.gz', 'requests-oauthlib'), isInvalidFilename);
    assert.throws(() => parseSdistFilename('requests-oauthlib-1.3.1.tar.gz', 'requests'), isInvalidFilename);
    assert.throws(() => parseSdistFilename('foo-2-1.0.tar.gz', 'foo'), isInvalidFilename);
  });
});

describe('parseSdistFilename rejects malformed and hostile names', () => {
  const bad: Array<[string, string]> = [
    ['', 'empty'],
    ['requests.tar.gz', 'no version'],
    ['requests-.tar.gz', 'empty version'],
    ['requests-latest.tar.gz', 'not a version'],
    ['-1.0.tar.gz', 'no name'],
    ['requests-2.31.0.rar', 'unknown extension'],
    ['requests-2.31.0.egg', 'egg'],
    ['requests-2.31.0.TAR.GZ', 'uppercase extension'],
    ['requests-2.31.0', 'no extension'],
    ['../requests-2.31.0.tar.gz', 'parent directory'],
    ['a/requests-2.31.0.tar.gz', 'slash'],
    ['a\\requests-2.31.0.tar.gz', 'backslash'],
    ['requests-2.31.0.tar.gz\u0000', 'NUL'],
    ['requests-2.31.0\r.tar.gz', 'carriage return'],
    ['.requests-2.31.0.tar.gz', 'leading dot'],
    ['requests-2.31.0..tar.gz', 'double dot'],
    ['requests-2.31.0\u200b.tar.gz', 'zero-width space'],
    ['re\u0301quests-2.31.0.tar.gz', 'combining accent (not NFC)'],
    ['ｒequests-2.31.0.tar.gz', 'fullwidth letter (NFKC differs)'],
    [`requests-${'1.'.repeat(125)}1.tar.gz`, 'over 255 bytes'],
  ];
  for (const [filename, why] of bad) {
    it(`${why}: ${JSON.stringify(filename.length > 60 ? `${filename.slice(0, 60)}…` : filename)}`, () => {
      assert.throws(() => parseSdistFilename(filename), isInvalidFilename);
    });
  }
});
