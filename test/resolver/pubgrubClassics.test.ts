import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPavedError } from '../../src/errors.js';
import { resolve, type Resolution } from '../../src/resolver/resolve.js';
import { LINUX_311, TableProvider, checkResolution, pins, type PackageTable } from './tableProvider.js';

/* The worked examples of the PubGrub documentation, with ^x.y.z written as >=x.y.z,<x+1. */

const OPTIONS = { environment: LINUX_311, pythonVersion: '3.11.7' };

async function solveTable(table: PackageTable, roots: string[]): Promise<{ resolution: Resolution; provider: TableProvider }> {
  const provider = new TableProvider(table);
  const resolution = await resolve(roots, provider, OPTIONS);
  assert.deepEqual(checkResolution(resolution, provider, roots, OPTIONS), []);
  assert.deepEqual(provider.repeatedCalls(), [], 'the provider was asked the same thing twice');
  return { resolution, provider };
}

async function failure(table: PackageTable, roots: string[]): Promise<string> {
  const provider = new TableProvider(table);
  try {
    await resolve(roots, provider, OPTIONS);
  } catch (error) {
    assert.ok(isPavedError(error, 'PAVED_E_NO_SOLUTION'), `expected PAVED_E_NO_SOLUTION, got ${String(error)}`);
    assert.ok(error.hint !== undefined);
    return error.message;
  }
  assert.fail('expected no solution');
}

describe('PubGrub classics', () => {
  it('no conflicts', async () => {
    const { resolution } = await solveTable(
      {
        foo: { '1.0.0': ['bar>=1.0.0,<2.0.0'] },
        bar: { '1.0.0': [], '2.0.0': [] },
      },
      ['foo>=1.0.0,<2.0.0'],
    );
    assert.deepEqual(pins(resolution), { bar: '1.0.0', foo: '1.0.0' });
    assert.deepEqual(resolution.packages.get('foo')?.dependencies, ['bar']);
    assert.equal(resolution.stats.conflicts, 0);
  });

  it('avoids a conflict during decision making', async () => {
    const { resolution } = await solveTable(
      {
        foo: { '1.1.0': ['bar>=2.0.0,<3.0.0'], '1.0.0': [] },
        bar: { '1.0.0': [], '1.1.0': [], '2.0.0': [] },
      },
      ['foo>=1.0.0,<2.0.0', 'bar>=1.0.0,<2.0.0'],
    );
    assert.deepEqual(pins(resolution), { bar: '1.1.0', foo: '1.0.0' });
  });

  it('performs conflict resolution', async () => {
    const { resolution } = await solveTable(
      {
        foo: { '2.0.0': ['bar>=1.0.0,<2.0.0'], '1.0.0': [] },
        bar: { '1.0.0': ['foo>=1.0.0,<2.0.0'] },
      },
      ['foo>=1.0.0'],
    );
    assert.deepEqual(pins(resolution), { foo: '1.0.0' });
    assert.ok(resolution.stats.conflicts >= 1);
  });

  it('resolves a conflict with a partial satisfier', async () => {
    const { resolution } = await solveTable(
      {
        foo: { '1.1.0': ['left>=1.0.0,<2.0.0', 'right>=1.0.0,<2.0.0'], '1.0.0': [] },
        left: { '1.0.0': ['shared>=1.0.0'] },
        right: { '1.0.0': ['shared<2.0.0'] },
        shared: { '2.0.0': [], '1.0.0': ['target>=1.0.0,<2.0.0'] },
        target: { '2.0.0': [], '1.0.0': [] },
      },
      ['foo>=1.0.0,<2.0.0', 'target>=2.0.0,<3.0.0'],
    );
    assert.deepEqual(pins(resolution), { foo: '1.0.0', target: '2.0.0' });
  });

  it('reports a linear failure', async () => {
    const message = await failure(
      {
        foo: { '1.0.0': ['bar>=2.0.0,<3.0.0'] },
        bar: { '2.0.0': ['baz>=3.0.0,<4.0.0'] },
        baz: { '1.0.0': [], '3.0.0': [] },
      },
      ['foo>=1.0.0,<2.0.0', 'baz>=1.0.0,<2.0.0'],
    );
    assert.match(message, /foo depends on bar>=2\.0\.0,<3\.0\.0/);
    assert.match(message, /bar depends on baz>=3\.0\.0,<4\.0\.0/);
    assert.match(message, /root depends on baz>=1\.0\.0,<2\.0\.0/);
    assert.match(message, /root depends on foo>=1\.0\.0,<2\.0\.0/);
    assert.match(message, /version solving failed\.$/);
    assert.doesNotMatch(message, /\(root\)|undefined|\[object/);
  });

  it('reports a branching failure with a numbered line it refers back to', async () => {
    const message = await failure(
      {
        foo: { '1.0.0': ['a>=1.0.0,<2.0.0', 'b>=1.0.0,<2.0.0'], '1.1.0': ['x>=1.0.0,<2.0.0', 'y>=1.0.0,<2.0.0'] },
        a: { '1.0.0': ['b>=2.0.0,<3.0.0'] },
        b: { '1.0.0': [], '2.0.0': [] },
        x: { '1.0.0': ['y>=2.0.0,<3.0.0'] },
        y: { '1.0.0': [], '2.0.0': [] },
      },
      ['foo>=1.0.0,<2.0.0'],
    );
    for (const fact of [
      /foo==1\.0\.0 depends on a>=1\.0\.0,<2\.0\.0/,
      /a depends on b>=2\.0\.0,<3\.0\.0/,
      /foo==1\.0\.0 depends on b>=1\.0\.0,<2\.0\.0/,
      /foo==1\.1\.0 depends on x>=1\.0\.0,<2\.0\.0/,
      /x depends on y>=2\.0\.0,<3\.0\.0/,
      /foo==1\.1\.0 depends on y>=1\.0\.0,<2\.0\.0/,
      /root depends on foo>=1\.0\.0,<2\.0\.0, version solving failed\./,
    ]) {
      assert.match(message, fact);
    }
    assert.match(message, /^\(1\) /m, 'a line that is referred to later carries a number');
    assert.match(message, /\(1\)[,.]/, 'and is referred to by it');
  });

  it('explains the example from the design: a>=2 depends on b<1, root depends on b>=1', async () => {
    const message = await failure(
      {
        a: { '2.0': ['b<1'], '2.1': ['b<1'], '1.0': [] },
        b: { '0.5': [], '1.0': [] },
      },
      ['a>=2', 'b>=1'],
    );
    assert.match(message, /a>=2\.0 depends on b<1/);
    assert.match(message, /root depends on b>=1/);
    assert.match(message, /root depends on a>=2/);
    assert.match(message, /version solving failed\.$/);
  });
});
