/**
 * Where a wheel can be installed, as a PEP 508 marker: the environments its compatibility tags
 * (PEP 425) serve. `cp311-cp311-manylinux_2_17_x86_64` serves CPython 3.11 on x86-64 Linux,
 * which is `python_version == "3.11" and platform_python_implementation == "CPython" and
 * sys_platform == "linux" and platform_system == "Linux" and os_name == "posix" and
 * platform_machine == "x86_64"`. A lock uses it to ask whether a release has a wheel for an
 * environment it must serve (`[tool.paved] required-environments`).
 *
 * Each platform names every variable that tells platforms apart (`sys_platform`,
 * `platform_system`, `os_name`), so a question asked with any one of them gets the same answer.
 * A platform tag paved does not know (`android_21_arm64_v8a`, `emscripten_3_1_58_wasm32`) gets a
 * `sys_platform` of its own, so it serves no environment that names a known platform.
 */
import { parsePlatformTag } from './platformTags.js';
import type { Tag } from './tags.js';

const LINUX = 'sys_platform == "linux" and platform_system == "Linux" and os_name == "posix"';
const MACOS = 'sys_platform == "darwin" and platform_system == "Darwin" and os_name == "posix"';
const WINDOWS = 'sys_platform == "win32" and platform_system == "Windows" and os_name == "nt"';

/** `platform_machine` on Windows for each architecture of a `win_*` tag. */
const WINDOWS_MACHINE: Record<string, string> = { amd64: 'AMD64', x86: 'x86', arm64: 'ARM64', ia64: 'IA64', arm32: 'ARM' };

/** `platform_machine` values a macOS binary format runs as. */
function macMachines(arch: string): string[] {
  if (arch === 'universal2') return ['arm64', 'x86_64'];
  if (arch === 'intel' || arch === 'fat64' || arch === 'fat32' || arch === 'universal' || arch === 'fat3' || arch === 'fat') return ['x86_64'];
  return [arch];
}

function machineIn(values: readonly string[]): string {
  const atoms = values.map((v) => `platform_machine == ${JSON.stringify(v)}`);
  return atoms.length === 1 ? (atoms[0] as string) : `(${atoms.join(' or ')})`;
}

/** The marker of the platforms a platform tag serves, or null for `any`. */
export function platformTagMarker(platform: string): string | null {
  const info = parsePlatformTag(platform);
  switch (info.kind) {
    case 'any':
      return null;
    case 'manylinux':
    case 'musllinux':
      return `${LINUX} and ${machineIn([info.arch])}`;
    case 'macos':
      return `${MACOS} and ${machineIn(macMachines(info.arch))}`;
  }
  if (info.kind === 'linux' && info.arch !== null) return `${LINUX} and ${machineIn([info.arch])}`;
  if (info.kind === 'windows' && info.arch !== null) return `${WINDOWS} and ${machineIn([WINDOWS_MACHINE[info.arch] ?? info.arch])}`;
  return `sys_platform == ${JSON.stringify(`unknown platform ${platform}`)}`;
}

/** `3.11` from `311`, `2.7` from `27`, `3` from `3`. */
function dotted(digits: string): string {
  return digits.length === 1 ? digits : `${digits[0] as string}.${digits.slice(1)}`;
}

const IMPLEMENTATION: Record<string, string> = { cp: 'CPython', pp: 'PyPy', ip: 'IronPython', jy: 'Jython', gp: 'GraalVM' };

/** The marker of the Pythons an interpreter and ABI tag pair serves, or null for every Python 3. */
export function pythonTagMarker(interpreter: string, abi: string): string | null {
  const match = /^([a-z]+?)(\d+)$/.exec(interpreter);
  if (match === null) return `platform_python_implementation == ${JSON.stringify(`unknown interpreter ${interpreter}`)}`;
  const [, kind, digits] = match as unknown as [string, string, string];
  const version = dotted(digits);
  if (kind === 'py') {
    // py3 serves every Python 3; py39 serves 3.9 and later (an interpreter accepts older pyXY tags).
    if (digits.length === 1) return digits === '3' ? null : `python_version < "3"`;
    return `python_version >= "${version}"`;
  }
  const implementation = IMPLEMENTATION[kind];
  const which = `platform_python_implementation == ${JSON.stringify(implementation ?? `unknown interpreter ${interpreter}`)}`;
  if (digits.length === 1) return which;
  // abi3 is the stable ABI: this CPython and every later one. Any other ABI (cp311, none) is that version's.
  return abi === 'abi3' ? `python_version >= "${version}" and ${which}` : `python_version == "${version}" and ${which}`;
}

/** The marker of one tag: its Pythons and its platforms; null when it serves everywhere (`py3-none-any`). */
export function tagMarker(tag: Tag): string | null {
  const parts = [pythonTagMarker(tag.interpreter, tag.abi), platformTagMarker(tag.platform)].filter((p): p is string => p !== null);
  // Each part is a conjunction (alternatives are parenthesised), so they join with `and` as they are.
  return parts.length === 0 ? null : parts.join(' and ');
}

/** The marker of a wheel's tags (any one of them), or null when one serves everywhere. */
export function wheelMarker(tags: readonly Tag[]): string | null {
  const markers = new Set<string>();
  for (const tag of tags) {
    const marker = tagMarker(tag);
    if (marker === null) return null;
    markers.add(marker);
  }
  return [...markers].map((m) => (markers.size > 1 ? `(${m})` : m)).join(' or ');
}
