import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isPavedError } from '../../src/errors.js';
import { resolve, type ResolveOptions } from '../../src/resolver/resolve.js';
import { parseCoreMetadata } from '../../src/standards/coreMetadata.js';
import { normalizeName } from '../../src/standards/names.js';
import { HISTORY, readWheelMetadata } from '../fixtures/corpus.js';
import { LINUX_311, TableProvider, checkResolution, pins, type PackageTable } from './tableProvider.js';

/* The pip and setuptools releases of the corpus, as their wheels' METADATA declares them. */


async function corpusTable(): Promise<PackageTable> {
  const table: PackageTable = {};
  for (const file of readdirSync(HISTORY).filter((f) => f.endsWith('.whl'))) {
    const metadata = parseCoreMetadata(await readWheelMetadata(join(HISTORY, file)));
    const name = normalizeName(metadata.name);
    if (!['pip', 'setuptools', 'wheel'].includes(name)) continue;
    table[name] ??= {};
    (table[name] as Record<string, { deps: string[]; requiresPython?: string }>)[metadata.version] = {
      deps: metadata.requiresDist,
      ...(metadata.requiresPython === null ? {} : { requiresPython: metadata.requiresPython.trim() }),
    };
  }
  return table;
}

const BASE = { environment: LINUX_311, pythonVersion: '3.11.7' } satisfies ResolveOptions;

describe('backtracking over the corpus history of pip and setuptools', () => {
  let table: PackageTable = {};
  before(async () => {
    table = await corpusTable();
    // A build tool whose newer releases want ever newer pip and setuptools.
    table['build-tool'] = {
      '3.0': ['pip>=24', 'setuptools>=67'],
      '2.5': ['pip>=23.2', 'setuptools>=66,<67'],
      '2.0': ['pip>=23,<24', 'setuptools>=65,<67'],
      '1.5': ['pip>=22,<23', 'setuptools>=58,<60'],
      '1.0': ['pip<20', 'setuptools<45'],
    };
    table['pytest'] = { '7.4.0': [], '8.2.0': [] };
  });

  it('reads the real releases', () => {
    assert.deepEqual(Object.keys(table.pip ?? {}).sort(), ['18.1', '19.2.3', '22.0.4', '23.0.1', '23.2.1', '24.2']);
    assert.equal(Object.keys(table.setuptools ?? {}).length, 8);
  });

  it('with no constraints takes the newest of everything', async () => {
    const provider = new TableProvider(table);
    const roots = ['build-tool', 'wheel[test]'];
    const resolution = await resolve(roots, provider, BASE);
    assert.deepEqual(pins(resolution), { 'build-tool': '3.0', pip: '24.2', pytest: '8.2.0', setuptools: '67.6.1', 'wheel[test]': '0.43.0' });
    assert.deepEqual(checkResolution(resolution, provider, roots, BASE), []);
  });

  it('constraints force backtracking through older build-tool and wheel releases', async () => {
    const provider = new TableProvider(table);
    const roots = ['build-tool', 'wheel[test]'];
    const options = { ...BASE, constraints: ['pip<23.1', 'setuptools<60,!=58.1.0'] };
    const resolution = await resolve(roots, provider, options);
    assert.deepEqual(pins(resolution), { 'build-tool': '1.0', pip: '19.2.3', pytest: '8.2.0', setuptools: '41.2.0', 'wheel[test]': '0.40.0' });
    assert.deepEqual(checkResolution(resolution, provider, roots, options), []);
    assert.ok(resolution.stats.conflicts >= 2, `only ${resolution.stats.conflicts} conflicts`);
    assert.ok(resolution.stats.backtracks >= 1);
    assert.deepEqual(provider.repeatedCalls(), []);
  });

  it('Requires-Python of real releases steers the choice for an older interpreter', async () => {
    const provider = new TableProvider(table);
    const options = { ...BASE, pythonVersion: '3.7.9' };
    const resolution = await resolve(['pip', 'wheel'], provider, options);
    assert.deepEqual(pins(resolution), { pip: '23.2.1', wheel: '0.40.0' });
    await assert.rejects(resolve(['pip>=24'], new TableProvider(table), options), (error: unknown) => {
      assert.ok(isPavedError(error, 'PAVED_E_NO_SOLUTION'));
      assert.match(error.message, /pip==24\.2 requires Python >=3\.8 \(the target is Python 3\.7\.9\)/);
      return true;
    });
  });

  it('an unsatisfiable set is explained in readable lines', async () => {
    const options = { ...BASE, constraints: ['pip<23.1', 'setuptools<60,!=58.1.0'] };
    await assert.rejects(resolve(['build-tool>=1.5', 'wheel[test]'], new TableProvider(table), options), (error: unknown) => {
      assert.ok(isPavedError(error, 'PAVED_E_NO_SOLUTION'));
      const text = error.message;
      assert.match(text, /root depends on build-tool>=1\.5/);
      assert.match(text, /build-tool==1\.5 depends on setuptools>=58,<60/);
      assert.match(text, /no versions of setuptools match >=58,<60,!=58\.1\.0/);
      assert.match(text, /the constraint setuptools!=58\.1\.0,<60 forbids setuptools/);
      assert.match(text, /version solving failed\.$/);
      for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
        assert.match(line, /^(\(\d+\) )?\s*(Because|And because|Thus)/, `not a derivation line: ${line}`);
      }
      return true;
    });
  });
});

describe('backtracking over many versions', () => {
  it('walks down 100 releases of a package to the one a constraint allows', async () => {
    const table: PackageTable = { x: {}, y: {} };
    for (let i = 0; i < 100; i++) {
      (table.x as Record<string, string[]>)[`1.${i}`] = [`y==${i}.0`];
      (table.y as Record<string, string[]>)[`${i}.0`] = [];
    }
    const provider = new TableProvider(table);
    const options = { ...BASE, constraints: ['y<5'] };
    const resolution = await resolve(['x'], provider, options);
    assert.deepEqual(pins(resolution), { x: '1.4', y: '4.0' });
    assert.deepEqual(checkResolution(resolution, provider, ['x'], options), []);
    assert.deepEqual(provider.repeatedCalls(), []);
  });
});
