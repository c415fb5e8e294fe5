import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPavedError } from '../../src/errors.js';
import { resolveUniversal, type UniversalEvent, type UniversalResolution, type UniversalResolveOptions } from '../../src/resolver/universal.js';
import { evaluateMarker, markerEnvironmentFor, parseMarker, type MarkerEnvironment } from '../../src/standards/markers.js';
import { parseVersion } from '../../src/standards/version.js';
import { TableProvider, type PackageTable } from './tableProvider.js';

function summary(result: UniversalResolution): Record<string, string> {
  return Object.fromEntries(result.packages.map((p) => [`${p.name}==${p.version.toString()}`, p.marker ?? '*']));
}

async function lock(table: PackageTable, roots: string[], options: Partial<UniversalResolveOptions> = {}): Promise<UniversalResolution> {
  return resolveUniversal(roots, new TableProvider(table), { requiresPython: '>=3.9', ...options });
}

describe('universal resolution', () => {
  const table: PackageTable = {
    pytest: { '8.0': { deps: ['pluggy', 'tomli; python_version < "3.11"', 'colorama; sys_platform == "win32"', 'exceptiongroup; python_version < "3.11"'], requiresPython: '>=3.8' } },
    pluggy: { '1.5': { requiresPython: '>=3.8' } },
    tomli: { '2.0': [] },
    colorama: { '0.4': [] },
    exceptiongroup: { '1.2': ['typing-extensions; python_version < "3.13"'] },
    'typing-extensions': { '4.12': [] },
    httpx: { '0.28': ['anyio', 'socksio; extra == "socks"', 'h2; extra == "http2"'] },
    anyio: { '4.0': [] },
    socksio: { '1.0': [] },
    h2: { '4.0': [] },
    black: { '24.0': [] },
  };

  it('keeps marker-dependent packages with the markers of the paths that reach them', async () => {
    const result = await lock(table, ['pytest']);
    assert.deepEqual(summary(result), {
      'colorama==0.4': 'sys_platform == "win32"',
      'exceptiongroup==1.2': 'python_version < "3.11"',
      'pluggy==1.5': '*',
      'pytest==8.0': '*',
      'tomli==2.0': 'python_version < "3.11"',
      'typing-extensions==4.12': 'python_version < "3.11"',
    });
    assert.deepEqual(result.forks, ['>=3.9']);
  });

  it('a Requires-Python above a marker leaves what it excludes out of the lock', async () => {
    const result = await lock(table, ['pytest'], { requiresPython: '>=3.11' });
    assert.deepEqual(Object.keys(summary(result)), ['colorama==0.4', 'pluggy==1.5', 'pytest==8.0']);
  });

  it('environments leave other platforms out', async () => {
    const result = await lock(table, ['pytest'], { environments: ['sys_platform == "linux"'] });
    assert.equal(result.packages.some((p) => p.name === 'colorama'), false);
  });

  it('extras and groups of the project become "in extras" / "in dependency_groups" markers', async () => {
    const result = await lock(table, ['httpx', 'httpx[socks] ; "socks" in extras', 'black ; "dev" in dependency_groups']);
    assert.deepEqual(summary(result), {
      'anyio==4.0': '*',
      'black==24.0': '"dev" in dependency_groups',
      'httpx==0.28': '*',
      'socksio==1.0': '"socks" in extras',
    });
    assert.deepEqual(result.packages.find((p) => p.name === 'httpx')?.extras, ['socks']);
    assert.deepEqual(result.packages.find((p) => p.name === 'httpx')?.dependencies, [{ name: 'anyio' }, { name: 'socksio' }]);
  });

  it('forks per Python version when one set of pins cannot serve the whole range', async () => {
    const forking: PackageTable = {
      numpy: { '1.26': { requiresPython: '>=3.9' }, '2.1': { requiresPython: '>=3.10' } },
      scipy: { '1.13': { deps: ['numpy>=1.22'], requiresPython: '>=3.9' }, '1.14': { deps: ['numpy>=2'], requiresPython: '>=3.10' } },
    };
    // Fine without forking: the newest pins that fit 3.9 serve every version.
    assert.deepEqual(summary(await lock(forking, ['scipy'])), { 'numpy==1.26': '*', 'scipy==1.13': '*' });
    // A requirement only 3.10+ can meet forces per-version pins.
    const result = await lock(forking, ['scipy', 'numpy>=2 ; python_version >= "3.10"', 'numpy<2 ; python_version < "3.10"']);
    const s = summary(result);
    assert.equal(s['numpy==1.26'], 'python_version < "3.10"');
    assert.equal(s['numpy==2.1'], 'python_version >= "3.10"');
    assert.equal(result.packages.filter((p) => p.name === 'scipy').length, 2);
    assert.ok(result.forks.length >= 2);
  });

  it('names the Python version that has no solution', async () => {
    const t: PackageTable = { modern: { '1.0': { requiresPython: '>=3.11' } } };
    await assert.rejects(lock(t, ['modern']), (error: unknown) => {
      assert.ok(isPavedError(error, 'PAVED_E_NO_SOLUTION'));
      assert.match(error.message, /Python 3\.9\.\*/);
      assert.match(error.message, /requires Python >=3\.11/);
      return true;
    });
    assert.deepEqual(summary(await lock(t, ['modern'], { requiresPython: '>=3.11' })), { 'modern==1.0': '*' });
  });

  it('keeps preferred pins unless asked to upgrade', async () => {
    const t: PackageTable = { a: { '1.0': [], '2.0': [] } };
    const preferred = new Map([['a', parseVersion('1.0')]]);
    assert.deepEqual(Object.keys(summary(await lock(t, ['a'], { preferred }))), ['a==1.0']);
    assert.deepEqual(Object.keys(summary(await lock(t, ['a'], { preferred, upgrade: ['a'] }))), ['a==2.0']);
  });
});

/** A machine of one platform: `sys_platform`, `platform_system`, `os_name` and `platform_machine` as real ones report them. */
function machine(sysPlatform: string, python: string): MarkerEnvironment {
  const facts: Record<string, [string, string, string]> = {
    linux: ['Linux', 'posix', 'x86_64'],
    darwin: ['Darwin', 'posix', 'arm64'],
    win32: ['Windows', 'nt', 'AMD64'],
    freebsd14: ['FreeBSD', 'posix', 'amd64'],
  };
  const [platformSystem, osName, platformMachine] = facts[sysPlatform] as [string, string, string];
  return markerEnvironmentFor({ implementation: 'cpython', pythonFullVersion: python, sysPlatform, platformSystem, osName, platformMachine });
}

/** What an installer takes from the universal result on `env`: name → version of every entry whose marker holds there (two of one name fail). */
function installedOn(result: UniversalResolution, env: MarkerEnvironment): Record<string, string> {
  const chosen: Record<string, string> = {};
  for (const p of result.packages) {
    if (p.marker !== null && !evaluateMarker(parseMarker(p.marker), env)) continue;
    assert.equal(chosen[p.name], undefined, `two entries of ${p.name} apply on ${env.sys_platform} ${env.python_full_version}`);
    chosen[p.name] = p.version.toString();
  }
  return chosen;
}

describe('universal resolution forking by platform', () => {
  const lib: PackageTable['lib'] = { '1.0': { requiresPython: '>=3.8' }, '2.0': { requiresPython: '>=3.10' } };

  it('gives each platform its own pins when the project asks for different versions per platform', async () => {
    const table: PackageTable = { lib: { '1.0': [], '2.0': [] }, flask: { '3.0': ['click'] }, click: { '8.1': ['colorama; platform_system == "Windows"'] }, colorama: { '0.4': [] } };
    const roots = ['flask', 'lib>=2; sys_platform == "linux"', 'lib<2; sys_platform == "win32"'];
    const events: UniversalEvent[] = [];
    const result = await lock(table, roots, { onEvent: (e) => events.push(e) });
    assert.deepEqual(summary(result), {
      'click==8.1': '*',
      // Only the win32 fork reached it: the fork's marker, which implies platform_system == "Windows".
      'colorama==0.4': 'sys_platform == "win32"',
      'flask==3.0': '*',
      'lib==1.0': 'sys_platform == "win32"',
      'lib==2.0': 'sys_platform == "linux"',
    });
    assert.deepEqual(installedOn(result, machine('linux', '3.12.1')), { click: '8.1', flask: '3.0', lib: '2.0' });
    assert.deepEqual(installedOn(result, machine('win32', '3.9.13')), { click: '8.1', colorama: '0.4', flask: '3.0', lib: '1.0' });
    assert.deepEqual(installedOn(result, machine('darwin', '3.11.4')), { click: '8.1', flask: '3.0' });
    // One failed resolution for everything, then linux, win32 and the rest: no Python forks.
    assert.equal(result.stats.resolutions, 4);
    const fork = events.find((e) => e.type === 'fork');
    assert.deepEqual(fork?.type === 'fork' ? [fork.by, fork.within, fork.forks] : null, [
      'platform',
      '>=3.9',
      ['>=3.9; sys_platform == "linux"', '>=3.9; sys_platform == "win32"', '>=3.9; sys_platform != "linux" and sys_platform != "win32"'],
    ]);
    // Deterministic: the same input gives the same result.
    assert.deepEqual(await lock(table, roots), result);
  });

  it('forks on a transitive conflict, however the platform is spelled, and reads merged markers back as one comparison', async () => {
    const table: PackageTable = {
      a: { '1.0': ['lib>=2; sys_platform == "linux"'] },
      b: { '1.0': ['lib<2; platform_system == "Windows"'] },
      lib: { '1.0': [], '2.0': [] },
      common: { '1.0': ['dep; sys_platform != "win32"'] },
      dep: { '1.0': [] },
    };
    const result = await lock(table, ['a', 'b', 'common']);
    assert.deepEqual(summary(result), {
      'a==1.0': '*',
      'b==1.0': '*',
      'common==1.0': '*',
      // Pieces from the linux fork and the "every other platform" fork, joined again.
      'dep==1.0': 'sys_platform != "win32"',
      'lib==1.0': 'platform_system == "Windows"',
      'lib==2.0': 'sys_platform == "linux"',
    });
    assert.deepEqual(result.packages.find((p) => p.name === 'a')?.dependencies, [
      { name: 'lib', version: '1.0' },
      { name: 'lib', version: '2.0' },
    ]);
    assert.equal(installedOn(result, machine('win32', '3.12.1'))['lib'], '1.0');
    assert.equal(installedOn(result, machine('linux', '3.12.1'))['lib'], '2.0');
    assert.equal(installedOn(result, machine('freebsd14', '3.12.1'))['dep'], '1.0');

    // Both lines in one release's metadata: that release is unusable as a whole, and the fork still finds them.
    const inOne: PackageTable = { x: { '1.0': ['lib>=2; sys_platform == "linux"', 'lib<2; sys_platform == "win32"'] }, lib: { '1.0': [], '2.0': [] } };
    assert.deepEqual(summary(await lock(inOne, ['x'])), { 'lib==1.0': 'sys_platform == "win32"', 'lib==2.0': 'sys_platform == "linux"', 'x==1.0': '*' });

    // platform_machine splits too, when no OS comparison is involved.
    const machines = await lock({ lib: { '1.0': [], '2.0': [] } }, ['lib>=2; platform_machine == "x86_64"', 'lib<2; platform_machine == "aarch64"']);
    assert.deepEqual(summary(machines), { 'lib==1.0': 'platform_machine == "aarch64"', 'lib==2.0': 'platform_machine == "x86_64"' });
  });

  it('forks a platform by Python only where that platform still needs it', async () => {
    // On linux, 3.10+ wants lib>=2, which needs Python 3.10; win32 wants lib<2 everywhere.
    const table: PackageTable = { lib };
    const result = await lock(table, ['lib', 'lib>=2; sys_platform == "linux" and python_version >= "3.10"', 'lib<2; sys_platform == "win32"']);
    assert.deepEqual(summary(result), {
      'lib==1.0': 'python_version < "3.10" or sys_platform != "linux"',
      'lib==2.0': 'python_version >= "3.10" and sys_platform == "linux"',
    });
    assert.equal(installedOn(result, machine('linux', '3.9.18'))['lib'], '1.0');
    assert.equal(installedOn(result, machine('linux', '3.13.0'))['lib'], '2.0');
    assert.equal(installedOn(result, machine('win32', '3.13.0'))['lib'], '1.0');
    // The whole range, three platforms, and seven Python forks of linux alone (not 3 × 7).
    assert.equal(result.stats.resolutions, 1 + 3 + 7);
    assert.deepEqual(result.forks, [
      '3.9.*; sys_platform == "linux" | >=3.9; sys_platform == "win32" | >=3.9; sys_platform != "linux" and sys_platform != "win32"',
      '>=3.10; sys_platform == "linux"',
    ]);
  });

  it('forks only the platforms the environments admit', async () => {
    const table: PackageTable = { lib: { '1.0': [], '2.0': [] } };
    const roots = ['lib>=2; sys_platform == "linux"', 'lib<2; sys_platform == "win32"'];
    const two = await lock(table, roots, { environments: ['sys_platform == "linux"', 'sys_platform == "win32"'] });
    assert.deepEqual(summary(two), { 'lib==1.0': 'sys_platform == "win32"', 'lib==2.0': 'sys_platform == "linux"' });
    assert.deepEqual(two.forks, ['>=3.9; sys_platform == "linux"', '>=3.9; sys_platform == "win32"']);
    assert.equal(two.stats.resolutions, 3);
    // Without win32 in the environments its line never applies: nothing conflicts, nothing forks.
    const noWindows = await lock(table, roots, { environments: ['sys_platform == "linux"', 'sys_platform == "darwin"'] });
    assert.deepEqual(summary(noWindows), { 'lib==2.0': 'sys_platform == "linux"' });
    assert.deepEqual(noWindows.forks, ['>=3.9']);
    assert.equal(noWindows.stats.resolutions, 1);
  });

  it('keeps each fork on the pin the previous lock had there', async () => {
    const roots = ['lib>=2; sys_platform == "linux"', 'lib<2; sys_platform == "win32"'];
    const previous = await lock({ lib: { '1.0': [], '2.0': [] } }, roots);
    // Newer releases appeared on both sides of the split since the previous lock.
    const newer: PackageTable = { lib: { '1.0': [], '1.1': [], '2.0': [], '2.1': [] } };
    const preferredEntries = previous.packages.map((p) => ({ name: p.name, version: p.version, marker: p.marker }));
    assert.deepEqual(summary(await lock(newer, roots, { preferredEntries })), { 'lib==1.0': 'sys_platform == "win32"', 'lib==2.0': 'sys_platform == "linux"' });
    assert.deepEqual(summary(await lock(newer, roots, { preferredEntries, upgrade: true })), { 'lib==1.1': 'sys_platform == "win32"', 'lib==2.1': 'sys_platform == "linux"' });
  });

  it('names the platform fork (and Python) that has no solution', async () => {
    await assert.rejects(lock({ lib: { '1.0': [], '2.0': [] } }, ['lib>=3; sys_platform == "linux"', 'lib<2; sys_platform == "win32"']), (error: unknown) => {
      assert.ok(isPavedError(error, 'PAVED_E_NO_SOLUTION'));
      assert.match(error.message, /^No solution where sys_platform == "linux" \(requires-python is >=3\.9\):\nBecause no versions of lib match >=3 and root depends on lib>=3, version solving failed\.$/);
      assert.match(error.hint ?? '', /environments/);
      return true;
    });
    // linux needs lib>=2, which no Python 3.9 can use: the fork named is linux on 3.9.
    await assert.rejects(lock({ lib }, ['lib>=2; sys_platform == "linux"', 'lib<2; sys_platform == "win32"']), (error: unknown) => {
      assert.ok(isPavedError(error, 'PAVED_E_NO_SOLUTION'));
      assert.match(error.message, /^No solution for Python 3\.9\.\* where sys_platform == "linux" \(requires-python is >=3\.9\):\n/);
      assert.match(error.message, /lib==2\.0 requires Python >=3\.10/);
      assert.match(error.hint ?? '', /environments.*requires-python/);
      return true;
    });
  });
});

