/**
 * Platform tags: the third part of a PEP 425 tag. Lists the platforms a Linux or macOS machine
 * accepts (PEP 600 manylinux, PEP 656 musllinux, macOS deployment targets) and reads a platform
 * tag back into what it requires, so the server and the installer can reason about wheels.
 */
import { PavedError } from '../errors.js';

/** What a platform tag says about the machine a wheel needs. */
export type PlatformTagInfo =
  | { kind: 'manylinux'; glibc: [number, number]; arch: string }
  | { kind: 'musllinux'; musl: [number, number]; arch: string }
  | { kind: 'macos'; version: [number, number]; arch: string }
  | { kind: 'windows' | 'linux' | 'any' | 'other'; arch: string | null };

/** Options for `linuxPlatforms`: the CPU architecture and the C library the interpreter links. */
export interface LinuxPlatformOptions {
  /** As in `uname -m` for the interpreter: x86_64, aarch64, i686, armv7l, armv8l, ppc64le, s390x, … */
  arch: string;
  /** glibc version, when the interpreter links glibc. */
  glibc?: [number, number];
  /** musl version, when the interpreter links musl. */
  musl?: [number, number];
}

// The pre-PEP 600 names, kept because old wheels (and pip) still use them.
const LEGACY_MANYLINUX: ReadonlyMap<number, string> = new Map([
  [17, 'manylinux2014'],
  [12, 'manylinux2010'],
  [5, 'manylinux1'],
]);
const LEGACY_MANYLINUX_GLIBC: ReadonlyMap<string, [number, number]> = new Map([
  ['manylinux2014', [2, 17]],
  ['manylinux2010', [2, 12]],
  ['manylinux1', [2, 5]],
]);

function normalizeArch(arch: string): string {
  const normalized = arch.trim().toLowerCase().replace(/[.-]/g, '_');
  if (!/^[a-z0-9_]+$/.test(normalized)) {
    throw new PavedError('PAVED_E_INVALID_PLATFORM', `"${arch}" is not a CPU architecture name`, {
      hint: 'Use the machine name as Python reports it, e.g. x86_64, aarch64, i686, armv7l, ppc64le, s390x.',
    });
  }
  return normalized;
}

/**
 * Platform tags a Linux interpreter accepts, most specific first: `manylinux_2_{minor}_{arch}`
 * from the glibc version down to 2.17 (2.5 on x86_64/i686) with the legacy aliases right after
 * the version they stand for, then `musllinux_1_{minor}_{arch}` down to 1.0, then `linux_{arch}`.
 */
export function linuxPlatforms(opts: LinuxPlatformOptions): string[] {
  const arch = normalizeArch(opts.arch);
  // A 32-bit userland on a 64-bit ARM kernel reports armv8l and can run armv7l wheels too.
  const archs = arch === 'armv8l' ? ['armv8l', 'armv7l'] : [arch];
  const platforms: string[] = [];
  if (opts.glibc !== undefined) {
    const [major, minor] = opts.glibc;
    const archSet = new Set(archs);
    // manylinux only defines glibc 2.x; 2.5 (manylinux1) was only ever built for Intel.
    const oldestMinor = archSet.has('x86_64') || archSet.has('i686') ? 5 : 17;
    if (major === 2) {
      for (const a of archs) {
        for (let m = minor; m >= oldestMinor; m--) {
          platforms.push(`manylinux_2_${m}_${a}`);
          const legacy = LEGACY_MANYLINUX.get(m);
          if (legacy !== undefined) platforms.push(`${legacy}_${a}`);
        }
      }
    }
  }
  if (opts.musl !== undefined) {
    const [major, minor] = opts.musl;
    for (const a of archs) {
      for (let m = minor; m >= 0; m--) platforms.push(`musllinux_${major}_${m}_${a}`);
    }
  }
  for (const a of archs) platforms.push(`linux_${a}`);
  return platforms;
}

function versionPair(major: string | undefined, minor: string | undefined): [number, number] {
  return [Number(major), Number(minor)];
}

const WINDOWS_ARCH: ReadonlyMap<string, string> = new Map([
  ['win32', 'x86'],
  ['win_amd64', 'amd64'],
  ['win_arm64', 'arm64'],
  ['win_ia64', 'ia64'],
  ['win_arm32', 'arm32'],
]);

/**
 * Reads a platform tag (`manylinux_2_17_x86_64`, `manylinux2014_aarch64`, `musllinux_1_2_x86_64`,
 * `macosx_11_0_arm64`, `win_amd64`, `linux_x86_64`, `any`) into what it requires.
 * Windows architectures are reported as x86, amd64, arm64; macOS arch is the binary format
 * as written (x86_64, arm64, universal2, intel, …). Unknown platforms are `other`.
 */
export function parsePlatformTag(tag: string): PlatformTagInfo {
  const text = tag.toLowerCase();
  if (text === 'any') return { kind: 'any', arch: null };
  let match = /^manylinux_(\d+)_(\d+)_([a-z0-9_]+)$/.exec(text);
  if (match !== null) return { kind: 'manylinux', glibc: versionPair(match[1], match[2]), arch: match[3] as string };
  match = /^(manylinux1|manylinux2010|manylinux2014)_([a-z0-9_]+)$/.exec(text);
  if (match !== null) {
    const glibc = LEGACY_MANYLINUX_GLIBC.get(match[1] as string) as [number, number];
    return { kind: 'manylinux', glibc: [glibc[0], glibc[1]], arch: match[2] as string };
  }
  match = /^musllinux_(\d+)_(\d+)_([a-z0-9_]+)$/.exec(text);
  if (match !== null) return { kind: 'musllinux', musl: versionPair(match[1], match[2]), arch: match[3] as string };
  match = /^macosx_(\d+)_(\d+)_([a-z0-9_]+)$/.exec(text);
  if (match !== null) return { kind: 'macos', version: versionPair(match[1], match[2]), arch: match[3] as string };
  const windowsArch = WINDOWS_ARCH.get(text);
  if (windowsArch !== undefined) return { kind: 'windows', arch: windowsArch };
  match = /^linux_([a-z0-9_]+)$/.exec(text);
  if (match !== null) return { kind: 'linux', arch: match[1] as string };
  return { kind: 'other', arch: null };
}

function compareVersion(a: [number, number], b: [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

// Which binary formats a macOS release of a given version can load for a CPU, best first.
function macBinaryFormats(version: [number, number], arch: 'x86_64' | 'arm64'): string[] {
  if (arch === 'arm64') return ['arm64', 'universal2'];
  // Intel fat binaries only exist from 10.4 (Tiger) on.
  if (compareVersion(version, [10, 4]) < 0) return [];
  return ['x86_64', 'intel', 'fat64', 'fat32', 'universal2', 'universal'];
}

/**
 * Platform tags a macOS machine accepts, most specific first. Up to 10.15 each release is a
 * 10.x minor; from 11 on, each release is a major and only x.0 is listed. macOS 11+ on Intel
 * also takes every 10.x build back to 10.4; on Apple silicon only `universal2` 10.x builds.
 */
export function macosPlatforms(version: [number, number], arch: 'x86_64' | 'arm64'): string[] {
  const platforms: string[] = [];
  const push = (major: number, minor: number, formats: string[]): void => {
    for (const format of formats) platforms.push(`macosx_${major}_${minor}_${format}`);
  };
  if (version[0] === 10) {
    for (let minor = version[1]; minor >= 0; minor--) push(10, minor, macBinaryFormats([10, minor], arch));
  }
  if (version[0] >= 11) {
    for (let major = version[0]; major >= 11; major--) push(major, 0, macBinaryFormats([major, 0], arch));
    for (let minor = 16; minor >= 4; minor--) {
      push(10, minor, arch === 'x86_64' ? macBinaryFormats([10, minor], arch) : ['universal2']);
    }
  }
  return platforms;
}
