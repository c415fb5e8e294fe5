import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPavedError } from '../../src/errors.js';
import { resolveUniversal, type UniversalResolution, type UniversalResolveOptions } from '../../src/resolver/universal.js';
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
