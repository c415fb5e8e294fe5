import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isPavedError } from '../../src/errors.js';
import { tagToString } from '../../src/standards/tags.js';
import { parseWheelFilename, wheelFilenameFor } from '../../src/standards/wheelFilename.js';

const corpusDirs = ['pypi-subset', 'history'].map((dir) => fileURLToPath(new URL(`../../../shared/corpus/${dir}/`, import.meta.url)));

const isInvalidFilename = (e: unknown): boolean => isPavedError(e, 'PAVED_E_INVALID_FILENAME') && e.hint !== undefined && e.hint.length > 0;

// Real filenames from a PyPI mirror, copied here so tests do not depend on the machine.
const realWheels: Array<[filename: string, normalizedName: string, version: string, build: string | null, pythonTags: string, abiTags: string, platformTags: string, tagCount: number]> = [
  ['Cython-0.29.37-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.manylinux_2_24_x86_64.whl', 'cython', '0.29.37', null, 'cp311', 'cp311', 'manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_24_x86_64', 3],
  ['Deprecated-1.2.18-py2.py3-none-any.whl', 'deprecated', '1.2.18', null, 'py2 py3', 'none', 'any', 2],
  ['Flask_RESTful-0.3.10-py2.py3-none-any.whl', 'flask-restful', '0.3.10', null, 'py2 py3', 'none', 'any', 2],
  ['PyQt5-5.15.11-cp38-abi3-manylinux_2_17_x86_64.whl', 'pyqt5', '5.15.11', null, 'cp38', 'abi3', 'manylinux_2_17_x86_64', 1],
  ['PySocks-1.7.1-py3-none-any.whl', 'pysocks', '1.7.1', null, 'py3', 'none', 'any', 1],
  ['casadi-3.7.2-cp311-none-manylinux2014_x86_64.whl', 'casadi', '3.7.2', null, 'cp311', 'none', 'manylinux2014_x86_64', 1],
  ['clang_format-23.1.1-py2.py3-none-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl', 'clang-format', '23.1.1', null, 'py2 py3', 'none', 'manylinux_2_27_x86_64 manylinux_2_28_x86_64', 4],
  ['cmake-3.31.10-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.whl', 'cmake', '3.31.10', null, 'py3', 'none', 'manylinux_2_12_x86_64 manylinux2010_x86_64', 2],
  ['cmeel_boost-1.90.0-0-cp311-cp311-manylinux_2_28_x86_64.whl', 'cmeel-boost', '1.90.0', '0', 'cp311', 'cp311', 'manylinux_2_28_x86_64', 1],
  ['cmeel_octomap-1.10.0-4-py3-none-manylinux_2_28_x86_64.whl', 'cmeel-octomap', '1.10.0', '4', 'py3', 'none', 'manylinux_2_28_x86_64', 1],
  ['imageio_ffmpeg-0.6.0-py3-none-manylinux2014_x86_64.whl', 'imageio-ffmpeg', '0.6.0', null, 'py3', 'none', 'manylinux2014_x86_64', 1],
  ['libtpu-0.0.42.1-cp311-cp311-manylinux_2_31_x86_64.whl', 'libtpu', '0.0.42.1', null, 'cp311', 'cp311', 'manylinux_2_31_x86_64', 1],
  ['numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', 'numpy', '1.26.4', null, 'cp311', 'cp311', 'manylinux_2_17_x86_64 manylinux2014_x86_64', 2],
  ['numpy-2.3.5-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl', 'numpy', '2.3.5', null, 'cp311', 'cp311', 'manylinux_2_27_x86_64 manylinux_2_28_x86_64', 2],
  ['nvidia_nvvm-13.0.88-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl', 'nvidia-nvvm', '13.0.88', null, 'py3', 'none', 'manylinux2010_x86_64 manylinux_2_12_x86_64', 2],
  ['opencv_python_headless-5.0.0.93-cp37-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl', 'opencv-python-headless', '5.0.0.93', null, 'cp37', 'abi3', 'manylinux2014_x86_64 manylinux_2_17_x86_64', 2],
  ['pin-4.1.0-0-cp311-cp311-manylinux_2_28_x86_64.whl', 'pin', '4.1.0', '0', 'cp311', 'cp311', 'manylinux_2_28_x86_64', 1],
  ['protobuf-7.36.2-cp310-abi3-manylinux2014_x86_64.whl', 'protobuf', '7.36.2', null, 'cp310', 'abi3', 'manylinux2014_x86_64', 1],
  ['py_spy-0.4.2-py2.py3-none-manylinux_2_5_x86_64.manylinux1_x86_64.whl', 'py-spy', '0.4.2', null, 'py2 py3', 'none', 'manylinux_2_5_x86_64 manylinux1_x86_64', 4],
  ['python_dateutil-2.9.0.post0-py2.py3-none-any.whl', 'python-dateutil', '2.9.0.post0', null, 'py2 py3', 'none', 'any', 2],
  ['qdldl-0.1.9.post1-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl', 'qdldl', '0.1.9.post1', null, 'cp311', 'cp311', 'manylinux_2_24_x86_64 manylinux_2_28_x86_64', 2],
  ['torch_geometric-2.8.0.post1-py3-none-any.whl', 'torch-geometric', '2.8.0.post1', null, 'py3', 'none', 'any', 1],
  ['tornado-6.5.10-cp39-abi3-manylinux1_x86_64.manylinux_2_28_x86_64.manylinux_2_5_x86_64.whl', 'tornado', '6.5.10', null, 'cp39', 'abi3', 'manylinux1_x86_64 manylinux_2_28_x86_64 manylinux_2_5_x86_64', 3],
  ['typing_extensions-4.16.0-py3-none-any.whl', 'typing-extensions', '4.16.0', null, 'py3', 'none', 'any', 1],
  ['websockets-15.0.1-cp311-cp311-manylinux_2_5_x86_64.manylinux1_x86_64.manylinux_2_17_x86_64.manylinux2014_x86_64.whl', 'websockets', '15.0.1', null, 'cp311', 'cp311', 'manylinux_2_5_x86_64 manylinux1_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64', 4],
  ['z3_solver-4.16.0.0-py3-none-manylinux_2_27_x86_64.whl', 'z3-solver', '4.16.0.0', null, 'py3', 'none', 'manylinux_2_27_x86_64', 1],
  ['zope_interface-8.6-cp311-cp311-manylinux1_x86_64.manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_5_x86_64.whl', 'zope-interface', '8.6', null, 'cp311', 'cp311', 'manylinux1_x86_64 manylinux2014_x86_64 manylinux_2_17_x86_64 manylinux_2_5_x86_64', 4],
  // Other platforms and older conventions seen on PyPI.
  ['numpy-1.26.4-cp312-cp312-win_amd64.whl', 'numpy', '1.26.4', null, 'cp312', 'cp312', 'win_amd64', 1],
  ['numpy-1.26.4-cp312-cp312-macosx_11_0_arm64.whl', 'numpy', '1.26.4', null, 'cp312', 'cp312', 'macosx_11_0_arm64', 1],
  ['numpy-1.26.4-pp39-pypy39_pp73-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', 'numpy', '1.26.4', null, 'pp39', 'pypy39_pp73', 'manylinux_2_17_x86_64 manylinux2014_x86_64', 2],
  ['cffi-1.15.1-cp37-cp37m-musllinux_1_1_x86_64.whl', 'cffi', '1.15.1', null, 'cp37', 'cp37m', 'musllinux_1_1_x86_64', 1],
  ['zope.interface-4.7.1-cp27-cp27mu-manylinux1_x86_64.whl', 'zope-interface', '4.7.1', null, 'cp27', 'cp27mu', 'manylinux1_x86_64', 1],
  ['pip-18.1-py2.py3-none-any.whl', 'pip', '18.1', null, 'py2 py3', 'none', 'any', 2],
  ['tensorflow-2.15.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', 'tensorflow', '2.15.0', null, 'cp311', 'cp311', 'manylinux_2_17_x86_64 manylinux2014_x86_64', 2],
  ['example_pkg-1.0rc1.dev2+local.7-1abc-py3-none-any.whl', 'example-pkg', '1.0rc1.dev2+local.7', '1abc', 'py3', 'none', 'any', 1],
  ['Example-1.0RC1-py3-none-any.whl', 'example', '1.0rc1', null, 'py3', 'none', 'any', 1],
];

describe('parseWheelFilename on real filenames', () => {
  for (const [filename, normalizedName, version, build, py, abi, plat, tagCount] of realWheels) {
    it(filename, () => {
      const wheel = parseWheelFilename(filename);
      assert.equal(wheel.filename, filename);
      assert.equal(wheel.name, filename.split('-')[0]);
      assert.equal(wheel.normalizedName, normalizedName);
      assert.equal(wheel.version, version);
      if (build === null) assert.equal(wheel.buildTag, null);
      else assert.equal(`${wheel.buildTag?.number}${wheel.buildTag?.suffix}`, build);
      assert.deepEqual(wheel.pythonTags, py.split(' '));
      assert.deepEqual(wheel.abiTags, abi.split(' '));
      assert.deepEqual(wheel.platformTags, plat.split(' '));
      assert.equal(wheel.tags.length, tagCount);
    });
  }

  it('splits a build tag into number and suffix', () => {
    assert.deepEqual(parseWheelFilename('example_pkg-1.0-12b_x.1-py3-none-any.whl').buildTag, { number: 12, suffix: 'b_x.1' });
  });

  it('expands the tag set', () => {
    const wheel = parseWheelFilename('py_spy-0.4.2-py2.py3-none-manylinux_2_5_x86_64.manylinux1_x86_64.whl');
    assert.deepEqual(wheel.tags.map(tagToString), [
      'py2-none-manylinux_2_5_x86_64',
      'py2-none-manylinux1_x86_64',
      'py3-none-manylinux_2_5_x86_64',
      'py3-none-manylinux1_x86_64',
    ]);
  });

  for (const dir of corpusDirs) {
    it(`parses every wheel in ${dir}`, () => {
      const names = readdirSync(dir).filter((name) => name.endsWith('.whl'));
      assert.ok(names.length > 0);
      for (const filename of names) {
        const wheel = parseWheelFilename(filename);
        assert.equal(wheel.normalizedName, filename.split('-')[0]?.toLowerCase().replace(/_/g, '-'), filename);
        assert.ok(wheel.tags.length >= 1, filename);
        // Every corpus wheel is already canonically named, so rebuilding the name gives it back.
        const tagSet = filename.slice(0, -4).split('-').slice(-3).join('-');
        assert.equal(wheelFilenameFor(wheel.normalizedName, wheel.version, tagSet), filename);
      }
    });
  }
});

describe('parseWheelFilename rejects malformed and hostile names', () => {
  const bad: Array<[string, string]> = [
    ['', 'empty'],
    ['example_pkg-1.0-py3-none-any.zip', 'wrong extension'],
    ['example_pkg-1.0-py3-none-any.WHL', 'uppercase extension'],
    ['example_pkg-1.0-py3-none-any', 'no extension'],
    ['example_pkg-1.0-none-any.whl', 'four parts'],
    ['example-pkg-1.0-1-py3-none-any.whl', 'seven parts: dash in name'],
    ['example_pkg-1.0-1-2-py3-none-any.whl', 'seven parts'],
    ['example_pkg-1.0-beta-py3-none-any.whl', 'build tag not starting with a digit'],
    ['example_pkg-1.0--py3-none-any.whl', 'empty build tag'],
    ['example_pkg-one-py3-none-any.whl', 'bad version'],
    ['example_pkg-1.0.0.0x-py3-none-any.whl', 'bad version'],
    ['example_pkg--py3-none-any.whl', 'empty version'],
    ['-1.0-py3-none-any.whl', 'empty name'],
    ['_example-1.0-py3-none-any.whl', 'name starting with underscore'],
    ['exämple-1.0-py3-none-any.whl', 'non-ASCII name'],
    ['example_pkg-1.0-py3-none-.whl', 'empty platform'],
    ['example_pkg-1.0-py3.-none-any.whl', 'empty interpreter in set'],
    ['example_pkg-1.0-py 3-none-any.whl', 'space in tag'],
    ['../example_pkg-1.0-py3-none-any.whl', 'parent directory'],
    ['dir/example_pkg-1.0-py3-none-any.whl', 'slash'],
    ['dir\\example_pkg-1.0-py3-none-any.whl', 'backslash'],
    ['example_pkg-1.0-py3-none-any.whl\u0000.txt', 'NUL'],
    ['example_pkg-1.0-py3-none-any\n.whl', 'newline'],
    ['example_pkg-1.0-py3-none-any\u202e.whl', 'bidi override'],
    ['.example_pkg-1.0-py3-none-any.whl', 'leading dot'],
    ['example_pkg-1..0-py3-none-any.whl', 'double dot'],
    ['example_pkg-1.0-py3-none-any\uff0ewhl', 'fullwidth full stop'],
    ['example_pkg-\uff11.0-py3-none-any.whl', 'fullwidth digit'],
    [`${'a'.repeat(240)}-1.0-py3-none-any.whl`, 'over 255 bytes'],
  ];
  for (const [filename, why] of bad) {
    it(`${why}: ${JSON.stringify(filename.length > 60 ? `${filename.slice(0, 60)}…` : filename)}`, () => {
      assert.throws(() => parseWheelFilename(filename), isInvalidFilename);
    });
  }

  it('keeps the message short and printable for a hostile name', () => {
    const filename = `${'x'.repeat(300)}\u0007`;
    assert.throws(() => parseWheelFilename(filename), (e: unknown) => isInvalidFilename(e) && e instanceof Error && e.message.length < 200 && !e.message.includes('\u0007'));
  });
});

describe('wheelFilenameFor', () => {
  const table: Array<[name: string, version: string, tags: string, build: string | number | undefined, expected: string]> = [
    ['Example.Pkg', '1.0', 'py3-none-any', undefined, 'example_pkg-1.0-py3-none-any.whl'],
    ['python-dateutil', '2.9.0-post0', 'py2.py3-none-any', undefined, 'python_dateutil-2.9.0.post0-py2.py3-none-any.whl'],
    ['numpy', '01.026.4', 'cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64', undefined, 'numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl'],
    ['cmeel-boost', '1.90.0', 'cp311-cp311-manylinux_2_28_x86_64', 0, 'cmeel_boost-1.90.0-0-cp311-cp311-manylinux_2_28_x86_64.whl'],
    ['foo', '1.0+Local-Build', 'PY3-NONE-ANY', '2b', 'foo-1.0+local.build-2b-py3-none-any.whl'],
  ];
  for (const [name, version, tags, build, expected] of table) {
    it(`${name} ${version} ${tags} → ${expected}`, () => {
      const filename = wheelFilenameFor(name, version, tags, build);
      assert.equal(filename, expected);
      assert.equal(parseWheelFilename(filename).filename, expected);
    });
  }

  it('rejects an invalid name, version, tag set or build tag', () => {
    assert.throws(() => wheelFilenameFor('-bad', '1.0', 'py3-none-any'), (e: unknown) => isPavedError(e));
    assert.throws(() => wheelFilenameFor('good', 'not a version', 'py3-none-any'), (e: unknown) => isPavedError(e));
    assert.throws(() => wheelFilenameFor('good', '1.0', 'py3-none'), (e: unknown) => isPavedError(e));
    assert.throws(() => wheelFilenameFor('good', '1.0', 'py3-none-any', 'b1'), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_FILENAME'));
  });
});
