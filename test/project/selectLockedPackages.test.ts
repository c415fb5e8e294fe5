import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPavedError } from '../../src/errors.js';
import { parsePylock } from '../../src/project/pylock.js';
import { selectPackagesForEnvironment, type LockTarget } from '../../src/project/selectLockedPackages.js';
import type { MarkerEnvironment } from '../../src/standards/markers.js';
import { supportedTags } from '../../src/standards/tags.js';

const ENV: MarkerEnvironment = {
  os_name: 'posix', sys_platform: 'linux', platform_machine: 'x86_64', platform_python_implementation: 'CPython', platform_release: '', platform_system: 'Linux',
  platform_version: '', python_version: '3.11', python_full_version: '3.11.7', implementation_name: 'cpython', implementation_version: '3.11.7',
};
const LINUX_311: LockTarget = {
  environment: ENV,
  tags: supportedTags({ implementation: 'cp', pythonVersion: [3, 11], platforms: ['manylinux_2_17_x86_64', 'manylinux2014_x86_64', 'linux_x86_64'] }),
  pythonVersion: '3.11.7',
};
const MAC_312: LockTarget = {
  environment: { ...ENV, sys_platform: 'darwin', platform_system: 'Darwin', platform_machine: 'arm64', python_version: '3.12', python_full_version: '3.12.1' },
  tags: supportedTags({ implementation: 'cp', pythonVersion: [3, 12], platforms: ['macosx_11_0_arm64'] }),
  pythonVersion: '3.12.1',
};

const H = (c: string): string => `{ sha256 = "${c.repeat(64)}" }`;
const w = (name: string, c: string): string => `{ url = "https://f.example/${name}", hashes = ${H(c)} }`;

const LOCK = `lock-version = "1.0"
requires-python = ">=3.10"
extras = ["fast"]
dependency-groups = ["dev"]
default-groups = ["main"]
created-by = "test"

[[packages]]
name = "numpy"
version = "2.0"
wheels = [
  ${w('numpy-2.0-cp311-cp311-manylinux_2_17_x86_64.whl', 'a')},
  ${w('numpy-2.0-cp311-abi3-linux_x86_64.whl', 'b')},
  ${w('numpy-2.0-py3-none-any.whl', 'c')},
  ${w('numpy-2.0-cp312-cp312-macosx_11_0_arm64.whl', 'd')},
]

[[packages]]
name = "uvloop"
version = "1.0"
marker = "'fast' in extras and sys_platform != 'win32'"
wheels = [${w('uvloop-1.0-py3-none-any.whl', 'e')}]

[[packages]]
name = "pytest"
version = "8.0"
marker = "'dev' in dependency_groups"
wheels = [${w('pytest-8.0-py3-none-any.whl', 'f')}]

[[packages]]
name = "colorama"
version = "0.4"
marker = "sys_platform == 'win32'"
wheels = [${w('colorama-0.4-py3-none-any.whl', '1')}]

[[packages]]
name = "tomli"
version = "2.0"
marker = "python_version < '3.11'"
sdist = ${w('tomli-2.0.tar.gz', '2')}

[[packages]]
name = "srconly"
version = "3.0"
sdist = ${w('srconly-3.0.tar.gz', '3')}
wheels = [${w('srconly-3.0-cp39-cp39-win_amd64.whl', '4')}]
`;

function codeOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (error) {
    assert.ok(isPavedError(error), String(error));
    return { code: error.code, message: error.message };
  }
  assert.fail('expected a failure');
}

const summary = (target: LockTarget, text = LOCK): string[] =>
  selectPackagesForEnvironment(parsePylock(text).lock, target).map((s) => `${s.package.name} ${s.kind} ${s.filename}`);

describe('selectPackagesForEnvironment', () => {
  it('picks the best-ranked wheel for the interpreter, else the sdist, and skips packages whose marker does not hold', () => {
    assert.deepEqual(summary(LINUX_311), ['numpy wheel numpy-2.0-cp311-cp311-manylinux_2_17_x86_64.whl', 'srconly sdist srconly-3.0.tar.gz']);
    assert.deepEqual(summary(MAC_312), ['numpy wheel numpy-2.0-cp312-cp312-macosx_11_0_arm64.whl', 'srconly sdist srconly-3.0.tar.gz']);
  });

  it('evaluates extras and dependency groups in markers', () => {
    assert.deepEqual(summary({ ...LINUX_311, extras: ['Fast'], dependencyGroups: ['dev'] }), [
      'numpy wheel numpy-2.0-cp311-cp311-manylinux_2_17_x86_64.whl',
      'pytest wheel pytest-8.0-py3-none-any.whl',
      'srconly sdist srconly-3.0.tar.gz',
      'uvloop wheel uvloop-1.0-py3-none-any.whl',
    ]);
  });

  it('refuses extras and groups the lock does not have, listing those it has', () => {
    const e = codeOf(() => summary({ ...LINUX_311, extras: ['slow'] }));
    assert.equal(e.code, 'PAVED_E_UNKNOWN_EXTRA');
    assert.match(e.message, /no extra slow; it has fast/);
    const g = codeOf(() => summary({ ...LINUX_311, dependencyGroups: ['docs'] }));
    assert.equal(g.code, 'PAVED_E_UNKNOWN_GROUP');
    assert.match(g.message, /no dependency group docs; it has dev, main/);
  });

  it('refuses a target outside requires-python or the environments', () => {
    const old = { ...LINUX_311, pythonVersion: '3.9.1', environment: { ...ENV, python_version: '3.9', python_full_version: '3.9.1' } };
    const e = codeOf(() => summary(old));
    assert.equal(e.code, 'PAVED_E_LOCK_NOT_FOR_ENVIRONMENT');
    assert.match(e.message, /requires Python >=3\.10, and the target is Python 3\.9\.1/);
    const linuxOnly = LOCK.replace('requires-python = ">=3.10"', `requires-python = ">=3.10"\nenvironments = ["sys_platform == 'linux'"]`);
    assert.equal(summary(LINUX_311, linuxOnly).length, 2);
    const m = codeOf(() => summary(MAC_312, linuxOnly));
    assert.equal(m.code, 'PAVED_E_LOCK_NOT_FOR_ENVIRONMENT');
    assert.match(m.message, /environments "sys_platform == 'linux'", and none matches the target \(darwin, arm64, Python 3\.12\.1\)/);
  });

  it('names package, version and best tag when neither a wheel nor an sdist fits', () => {
    const text = `lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "winonly"\nversion = "1.0"\nwheels = [${w('winonly-1.0-cp311-cp311-win_amd64.whl', 'a')}]\n`;
    const e = codeOf(() => summary(LINUX_311, text));
    assert.equal(e.code, 'PAVED_E_NO_WHEEL');
    assert.match(e.message, /winonly 1\.0 has no wheel for this interpreter \(best tag cp311-cp311-manylinux_2_17_x86_64\) and no sdist/);
  });

  it('fails when two entries of one name both apply, and accepts them under disjoint markers', () => {
    const two = (m1: string, m2: string): string =>
      `lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "x"\nversion = "1.0"\nmarker = "${m1}"\nwheels = [${w('x-1.0-py3-none-any.whl', 'a')}]\n[[packages]]\nname = "x"\nversion = "2.0"\nmarker = "${m2}"\nwheels = [${w('x-2.0-py3-none-any.whl', 'b')}]\n`;
    assert.deepEqual(summary(LINUX_311, two("python_version < '3.11'", "python_version >= '3.11'")), ['x wheel x-2.0-py3-none-any.whl']);
    const e = codeOf(() => summary(LINUX_311, two("os_name == 'posix'", "python_version >= '3.11'")));
    assert.equal(e.code, 'PAVED_E_DUPLICATE_DISTRIBUTION');
    assert.match(e.message, /two entries of x that both apply here: 1\.0 and 2\.0/);
  });

  it('refuses a wheel that belongs to another project and a vcs source that applies', () => {
    const other = `lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "x"\nversion = "1.0"\nwheels = [${w('evil-1.0-py3-none-any.whl', 'a')}]\n`;
    assert.equal(codeOf(() => summary(LINUX_311, other)).code, 'PAVED_E_WHEEL_MISMATCH');
    const vcs = `lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "x"\nvcs = { type = "git", url = "https://g.example/x", commit-id = "abc" }\n`;
    const e = codeOf(() => summary(LINUX_311, vcs));
    assert.equal(e.code, 'PAVED_E_UNSUPPORTED_SOURCE');
    assert.match(e.message, /x is locked from a vcs source/);
  });
});
