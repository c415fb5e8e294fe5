import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPavedError } from '../../src/errors.js';
import { resolve } from '../../src/resolver/resolve.js';
import { LINUX_311, TableProvider, checkResolution, type PackageTable } from './tableProvider.js';

/* Deterministic pseudo-random numbers (mulberry32), so a failure is reproducible from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 200 packages with 1–8 releases each, depending on later packages with
 * ranges that often conflict. One release per package (the "witness") is
 * made consistent with the other witnesses, so a solution always exists,
 * though rarely the newest-first one.
 */
function randomIndex(seed: number, size = 200): { table: PackageTable; roots: string[] } {
  const next = random(seed);
  const pick = (n: number): number => Math.floor(next() * n);
  const versions: string[][] = [];
  const witness: string[] = [];
  for (let p = 0; p < size; p++) {
    const count = 1 + pick(8);
    versions.push(Array.from({ length: count }, (_, i) => `${1 + Math.floor(i / 3)}.${i % 3}`));
    witness.push((versions[p] as string[])[pick(count)] as string);
  }
  const table: PackageTable = {};
  for (let p = 0; p < size; p++) {
    const releases: Record<string, string[]> = {};
    for (const v of versions[p] as string[]) {
      const deps: string[] = [];
      const depCount = p >= size - 10 ? 0 : pick(4);
      for (let d = 0; d < depCount; d++) {
        const target = p + 1 + pick(Math.min(30, size - p - 1));
        const targetVersions = versions[target] as string[];
        const w = witness[target] as string;
        const kind = pick(4);
        if (v === witness[p]) {
          // The witness release only asks for ranges its dependencies' witnesses meet.
          deps.push(kind === 0 ? `p${target}==${w}` : kind === 1 ? `p${target}>=${w}` : kind === 2 ? `p${target}<=${w}` : `p${target}`);
        } else {
          const bound = targetVersions[pick(targetVersions.length)] as string;
          deps.push(kind === 0 ? `p${target}==${bound}` : kind === 1 ? `p${target}>=${bound}` : kind === 2 ? `p${target}<${bound}` : `P_${target}!=${bound}`);
        }
      }
      releases[v] = deps;
    }
    table[`p${p}`] = releases;
  }
  const roots = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? `p${i}` : `p${i}>=${witness[i]}`));
  return { table, roots };
}

describe('a random 200-package index', () => {
  for (const seed of [1, 2, 3, 4, 5, 42]) {
    it(`resolves and meets every requirement (seed ${seed})`, async () => {
      const { table, roots } = randomIndex(seed);
      const provider = new TableProvider(table);
      const options = { environment: LINUX_311, pythonVersion: '3.11.7' };
      const resolution = await resolve(roots, provider, options);
      assert.deepEqual(checkResolution(resolution, provider, roots, options), []);
      assert.deepEqual(provider.repeatedCalls(), []);
      assert.ok(resolution.packages.size > 10);
    });
  }

  it('an unsatisfiable variant explains itself in lines that end in failure', async () => {
    const { table } = randomIndex(7, 60);
    table.p0 = { '1.0': ['p1>=1.0'] };
    table.p1 = { '1.0': ['p2==1.0'], '1.1': ['p2==1.1'] };
    table.p2 = { '1.0': ['p3<1'], '1.1': ['p3<1'] };
    table.p3 = { '1.0': [] };
    await assert.rejects(resolve(['p0', 'p3>=1'], new TableProvider(table), { environment: LINUX_311, pythonVersion: '3.11.7' }), (error: unknown) => {
      assert.ok(isPavedError(error, 'PAVED_E_NO_SOLUTION'));
      assert.match(error.message, /p2 depends on p3<1/);
      assert.match(error.message, /root depends on p3>=1/);
      assert.match(error.message, /version solving failed\.$/);
      return true;
    });
  });
});
