import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateMarker, parseMarker, type MarkerEnvironment } from '../../src/standards/markers.js';
import { parseWheelFilename } from '../../src/standards/wheelFilename.js';
import { platformTagMarker, pythonTagMarker, wheelMarker } from '../../src/standards/wheelEnvironments.js';

/** The marker environment of a real interpreter on a real platform. */
function environment(platform: 'linux' | 'linux-arm' | 'mac-arm' | 'mac-intel' | 'windows' | 'windows-arm', python: string, implementation = 'CPython'): MarkerEnvironment {
  const base = {
    linux: { sys_platform: 'linux', platform_system: 'Linux', os_name: 'posix', platform_machine: 'x86_64' },
    'linux-arm': { sys_platform: 'linux', platform_system: 'Linux', os_name: 'posix', platform_machine: 'aarch64' },
    'mac-arm': { sys_platform: 'darwin', platform_system: 'Darwin', os_name: 'posix', platform_machine: 'arm64' },
    'mac-intel': { sys_platform: 'darwin', platform_system: 'Darwin', os_name: 'posix', platform_machine: 'x86_64' },
    windows: { sys_platform: 'win32', platform_system: 'Windows', os_name: 'nt', platform_machine: 'AMD64' },
    'windows-arm': { sys_platform: 'win32', platform_system: 'Windows', os_name: 'nt', platform_machine: 'ARM64' },
  }[platform];
  return {
    ...base,
    python_version: python,
    python_full_version: `${python}.0`,
    platform_python_implementation: implementation,
    implementation_name: implementation.toLowerCase(),
    implementation_version: `${python}.0`,
    platform_release: '',
    platform_version: '',
  };
}

/** Whether the wheel named `filename` serves `env`, by its marker. */
function serves(filename: string, env: MarkerEnvironment): boolean {
  const marker = wheelMarker(parseWheelFilename(filename).tags);
  return marker === null || evaluateMarker(parseMarker(marker), env);
}

describe('wheelMarker', () => {
  it('is null for a wheel that serves every Python 3 everywhere', () => {
    assert.equal(wheelMarker(parseWheelFilename('six-1.16.0-py2.py3-none-any.whl').tags), null);
    assert.equal(wheelMarker(parseWheelFilename('idna-3.7-py3-none-any.whl').tags), null);
  });

  it('names every variable that tells platforms apart, so any of them can be asked', () => {
    assert.equal(platformTagMarker('win_amd64'), 'sys_platform == "win32" and platform_system == "Windows" and os_name == "nt" and platform_machine == "AMD64"');
    assert.equal(platformTagMarker('macosx_10_9_universal2'), 'sys_platform == "darwin" and platform_system == "Darwin" and os_name == "posix" and (platform_machine == "arm64" or platform_machine == "x86_64")');
    assert.equal(platformTagMarker('any'), null);
    assert.equal(pythonTagMarker('cp39', 'abi3'), 'python_version >= "3.9" and platform_python_implementation == "CPython"');
    assert.equal(pythonTagMarker('cp312', 'cp312'), 'python_version == "3.12" and platform_python_implementation == "CPython"');
    assert.equal(pythonTagMarker('py310', 'none'), 'python_version >= "3.10"');
  });

  it('serves exactly the interpreters and platforms its tags do', () => {
    const linux = 'fast-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl';
    assert.equal(serves(linux, environment('linux', '3.11')), true);
    assert.equal(serves(linux, environment('linux', '3.12')), false, 'another CPython ABI');
    assert.equal(serves(linux, environment('linux-arm', '3.11')), false, 'another CPU');
    assert.equal(serves(linux, environment('windows', '3.11')), false);
    assert.equal(serves(linux, environment('linux', '3.11', 'PyPy')), false, 'another implementation');

    const musl = 'fast-1.0-cp311-cp311-musllinux_1_2_aarch64.whl';
    assert.equal(serves(musl, environment('linux-arm', '3.11')), true);

    const universal2 = 'fast-1.0-cp310-abi3-macosx_10_12_universal2.whl';
    assert.equal(serves(universal2, environment('mac-arm', '3.13')), true, 'abi3 serves later CPythons');
    assert.equal(serves(universal2, environment('mac-intel', '3.10')), true);
    assert.equal(serves(universal2, environment('mac-intel', '3.9')), false, 'but not earlier ones');
    assert.equal(serves(universal2, environment('linux', '3.12')), false);

    const windows = 'fast-1.0-cp312-cp312-win_amd64.whl';
    assert.equal(serves(windows, environment('windows', '3.12')), true);
    assert.equal(serves(windows, environment('windows-arm', '3.12')), false);
    assert.equal(serves('fast-1.0-cp312-cp312-win32.whl', environment('windows', '3.12')), false, 'a 32-bit wheel is not for an AMD64 Python');

    const pure = 'tool-1.0-py39-none-any.whl';
    assert.equal(serves(pure, environment('windows', '3.12')), true);
    assert.equal(serves(pure, environment('linux', '3.8')), false);

    const pypy = 'fast-1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl';
    assert.equal(serves(pypy, environment('linux', '3.10', 'PyPy')), true);
    assert.equal(serves(pypy, environment('linux', '3.10')), false);
  });

  it('gives a platform it does not know a sys_platform of its own, which no known platform matches', () => {
    const odd = 'fast-1.0-cp312-cp312-android_21_arm64_v8a.whl';
    for (const platform of ['linux', 'linux-arm', 'mac-arm', 'windows'] as const) assert.equal(serves(odd, environment(platform, '3.12')), false, platform);
    assert.match(platformTagMarker('emscripten_3_1_58_wasm32') ?? '', /^sys_platform == "unknown platform emscripten_3_1_58_wasm32"$/);
  });
});
