import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isPavedError } from '../../src/errors.js';
import { linuxPlatforms, macosPlatforms, parsePlatformTag, type PlatformTagInfo } from '../../src/standards/platformTags.js';

// Generated once from `packaging.tags.mac_platforms(version, arch)`; the tests never run Python.
const macFixture = JSON.parse(readFileSync(new URL('./fixtures/macosPlatforms.json', import.meta.url), 'utf8')) as {
  cases: Record<string, string[]>;
};

describe('linuxPlatforms', () => {
  it('x86_64 glibc 2.36: manylinux 2_36 down to 2_5 with legacy aliases in place, then linux', () => {
    const platforms = linuxPlatforms({ arch: 'x86_64', glibc: [2, 36] });
    assert.equal(platforms.length, 32 + 3 + 1);
    assert.deepEqual(platforms.slice(0, 2), ['manylinux_2_36_x86_64', 'manylinux_2_35_x86_64']);
    const at = (tag: string): number => platforms.indexOf(tag);
    assert.equal(at('manylinux2014_x86_64'), at('manylinux_2_17_x86_64') + 1);
    assert.equal(at('manylinux2010_x86_64'), at('manylinux_2_12_x86_64') + 1);
    assert.equal(at('manylinux1_x86_64'), at('manylinux_2_5_x86_64') + 1);
    assert.deepEqual(platforms.slice(-3), ['manylinux_2_5_x86_64', 'manylinux1_x86_64', 'linux_x86_64']);
  });

  it('aarch64 stops at manylinux2014 (glibc 2.17)', () => {
    assert.deepEqual(linuxPlatforms({ arch: 'aarch64', glibc: [2, 19] }), [
      'manylinux_2_19_aarch64',
      'manylinux_2_18_aarch64',
      'manylinux_2_17_aarch64',
      'manylinux2014_aarch64',
      'linux_aarch64',
    ]);
  });

  it('i686 goes down to manylinux1', () => {
    const platforms = linuxPlatforms({ arch: 'i686', glibc: [2, 12] });
    assert.deepEqual(platforms.slice(0, 2), ['manylinux_2_12_i686', 'manylinux2010_i686']);
    assert.deepEqual(platforms.slice(-3), ['manylinux_2_5_i686', 'manylinux1_i686', 'linux_i686']);
    assert.equal(platforms.length, 8 + 2 + 1);
  });

  it('a glibc older than any manylinux gives only linux_*', () => {
    assert.deepEqual(linuxPlatforms({ arch: 'ppc64le', glibc: [2, 16] }), ['linux_ppc64le']);
    assert.deepEqual(linuxPlatforms({ arch: 'x86_64', glibc: [2, 4] }), ['linux_x86_64']);
  });

  it('musl 1.2 x86_64', () => {
    assert.deepEqual(linuxPlatforms({ arch: 'x86_64', musl: [1, 2] }), [
      'musllinux_1_2_x86_64',
      'musllinux_1_1_x86_64',
      'musllinux_1_0_x86_64',
      'linux_x86_64',
    ]);
  });

  it('armv8l also accepts armv7l wheels, after its own', () => {
    assert.deepEqual(linuxPlatforms({ arch: 'armv8l', musl: [1, 1] }), [
      'musllinux_1_1_armv8l',
      'musllinux_1_0_armv8l',
      'musllinux_1_1_armv7l',
      'musllinux_1_0_armv7l',
      'linux_armv8l',
      'linux_armv7l',
    ]);
  });

  it('no C library known: only linux_*', () => {
    assert.deepEqual(linuxPlatforms({ arch: 's390x' }), ['linux_s390x']);
  });

  it('normalises the arch spelling', () => {
    assert.deepEqual(linuxPlatforms({ arch: 'X86-64' }), ['linux_x86_64']);
  });

  for (const arch of ['', 'x86 64', '../x', 'x86_64/evil', 'ärm']) {
    it(`rejects arch ${JSON.stringify(arch)}`, () => {
      assert.throws(() => linuxPlatforms({ arch, glibc: [2, 17] }), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_PLATFORM'));
    });
  }
});

describe('parsePlatformTag', () => {
  const table: Array<[string, PlatformTagInfo]> = [
    ['manylinux_2_17_x86_64', { kind: 'manylinux', glibc: [2, 17], arch: 'x86_64' }],
    ['manylinux_2_28_aarch64', { kind: 'manylinux', glibc: [2, 28], arch: 'aarch64' }],
    ['manylinux2014_x86_64', { kind: 'manylinux', glibc: [2, 17], arch: 'x86_64' }],
    ['manylinux2014_ppc64le', { kind: 'manylinux', glibc: [2, 17], arch: 'ppc64le' }],
    ['manylinux2010_i686', { kind: 'manylinux', glibc: [2, 12], arch: 'i686' }],
    ['manylinux1_x86_64', { kind: 'manylinux', glibc: [2, 5], arch: 'x86_64' }],
    ['MANYLINUX1_X86_64', { kind: 'manylinux', glibc: [2, 5], arch: 'x86_64' }],
    ['musllinux_1_2_x86_64', { kind: 'musllinux', musl: [1, 2], arch: 'x86_64' }],
    ['musllinux_1_1_armv7l', { kind: 'musllinux', musl: [1, 1], arch: 'armv7l' }],
    ['macosx_10_9_x86_64', { kind: 'macos', version: [10, 9], arch: 'x86_64' }],
    ['macosx_11_0_arm64', { kind: 'macos', version: [11, 0], arch: 'arm64' }],
    ['macosx_10_9_universal2', { kind: 'macos', version: [10, 9], arch: 'universal2' }],
    ['win_amd64', { kind: 'windows', arch: 'amd64' }],
    ['win32', { kind: 'windows', arch: 'x86' }],
    ['win_arm64', { kind: 'windows', arch: 'arm64' }],
    ['linux_x86_64', { kind: 'linux', arch: 'x86_64' }],
    ['linux_armv7l', { kind: 'linux', arch: 'armv7l' }],
    ['any', { kind: 'any', arch: null }],
    ['manylinux2015_x86_64', { kind: 'other', arch: null }],
    ['manylinux_x_17_x86_64', { kind: 'other', arch: null }],
    ['android_21_arm64_v8a', { kind: 'other', arch: null }],
    ['pyemscripten_2024_0_wasm32', { kind: 'other', arch: null }],
    ['', { kind: 'other', arch: null }],
    ['linux_', { kind: 'other', arch: null }],
  ];
  for (const [tag, expected] of table) {
    it(`${JSON.stringify(tag)} → ${expected.kind}`, () => {
      assert.deepEqual(parsePlatformTag(tag), expected);
    });
  }

  it('round-trips every tag linuxPlatforms produces', () => {
    for (const tag of linuxPlatforms({ arch: 'x86_64', glibc: [2, 36] })) {
      const info = parsePlatformTag(tag);
      assert.ok(info.kind === 'manylinux' || info.kind === 'linux', tag);
      assert.equal(info.arch, 'x86_64');
    }
  });
});

describe('macosPlatforms matches packaging', () => {
  for (const [key, expected] of Object.entries(macFixture.cases)) {
    it(key, () => {
      const [version, arch] = key.split('-') as [string, 'x86_64' | 'arm64'];
      const [major, minor] = version.split('.').map(Number) as [number, number];
      assert.deepEqual(macosPlatforms([major, minor], arch), expected);
    });
  }

  it('macOS 14 on Apple silicon starts with arm64 then universal2', () => {
    assert.deepEqual(macosPlatforms([14, 0], 'arm64').slice(0, 3), ['macosx_14_0_arm64', 'macosx_14_0_universal2', 'macosx_13_0_arm64']);
  });
});
