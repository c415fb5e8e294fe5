import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPavedError } from '../../src/errors.js';
import { createVenv, type Venv } from '../../src/installer/createVenv.js';
import { findInterpreter } from '../../src/installer/interpreter.js';
import { readInstalledDistributions, type InstalledDistribution } from '../../src/installer/readInstalledDistributions.js';
import { planSync, syncVenv, type SyncEvent, type WantedDistribution } from '../../src/installer/syncVenv.js';
import { createWheelCache, sha256File, type WheelCache } from '../../src/installer/wheelCache.js';
import { buildWheel } from '../fixtures/buildDistributions.js';
import { PYPI_SUBSET } from '../fixtures/corpus.js';
import { describeRun, isolatedPipEnv, run } from '../fixtures/pythonTools.js';

const corpus = (name: string, version: string, file: string): WantedDistribution => ({ name, version, wheelPath: join(PYPI_SUBSET, file) });
const RICH = [
  corpus('rich', '15.0.0', 'rich-15.0.0-py3-none-any.whl'),
  corpus('Pygments', '2.21.0', 'pygments-2.21.0-py3-none-any.whl'),
  corpus('markdown-it-py', '4.2.0', 'markdown_it_py-4.2.0-py3-none-any.whl'),
  corpus('mdurl', '0.1.2', 'mdurl-0.1.2-py3-none-any.whl'),
];

async function installed(venv: Venv): Promise<string[]> {
  return (await readInstalledDistributions(venv.root)).distributions.map((d) => `${d.name.toLowerCase()}==${d.version}`).sort();
}

/** `result.environment` says what reading the environment says: every distribution, where it is, what it requires. */
async function assertEnvironmentKnown(venv: Venv, environment: readonly InstalledDistribution[] | null): Promise<void> {
  assert.notEqual(environment, null, 'the sync knows the environment it left');
  const shown = (list: readonly InstalledDistribution[]): string[] => list.map((d) => JSON.stringify([d.name, d.version, d.path, d.requiresDist])).sort();
  assert.deepEqual(shown(environment ?? []), shown((await readInstalledDistributions(venv.root)).distributions));
}

describe('syncVenv', () => {
  let root: string;
  let cache: WheelCache;
  let venv: Venv;
  let demo1: string;
  let demo2: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'paved-sync-'));
    cache = createWheelCache(join(root, 'cache'));
    venv = await createVenv(join(root, 'venv'), await findInterpreter({ python: '3.11' }));
    demo1 = join(root, 'demo-1.0-py3-none-any.whl');
    demo2 = join(root, 'demo-2.0-py3-none-any.whl');
    await writeFile(demo1, await buildWheel({ name: 'demo', version: '1.0', files: { 'demo/__init__.py': 'V = 1\n', 'demo/only_in_one.py': '' } }));
    await writeFile(demo2, await buildWheel({ name: 'demo', version: '2.0', files: { 'demo/__init__.py': 'V = 2\n' } }));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('installs into an empty venv, reporting progress events', async () => {
    const events: SyncEvent[] = [];
    const result = await syncVenv(venv, [...RICH, { name: 'demo', version: '1.0', wheelPath: demo1 }], { cache, onEvent: (e) => events.push(e), concurrency: 3 });
    assert.deepEqual(result.installed, ['Pygments', 'demo', 'markdown-it-py', 'mdurl', 'rich']);
    assert.deepEqual(await installed(venv), ['demo==1.0', 'markdown-it-py==4.2.0', 'mdurl==0.1.2', 'pygments==2.21.0', 'rich==15.0.0']);
    assert.equal(events[0]?.type, 'plan');
    assert.equal(events.filter((e) => e.type === 'unpacked').length, 5);
    assert.equal(events.filter((e) => e.type === 'installed').length, 5);
    await assertEnvironmentKnown(venv, result.environment);
    assert.ok(result.environment?.some((d) => d.name === 'rich' && d.requiresDist.some((r) => r.startsWith('pygments'))), 'requirements come along');
    const check = await run('python3', ['-m', 'pip', '--python', venv.python, 'check'], { env: isolatedPipEnv({ PIP_NO_INDEX: '1' }) });
    assert.equal(check.code, 0, describeRun(check));
  });

  it('adds, upgrades and removes exactly, keeping the rest untouched', async () => {
    const plan = await planSync(venv, [RICH[0] as WantedDistribution, RICH[1] as WantedDistribution, RICH[2] as WantedDistribution, RICH[3] as WantedDistribution, { name: 'demo', version: '2.0', wheelPath: demo2 }]);
    assert.deepEqual(plan.upgrade.map((s) => [s.name, s.from, s.version]), [['demo', '1.0', '2.0']]);
    assert.equal(plan.keep.length, 4);
    const result = await syncVenv(venv, [RICH[3] as WantedDistribution, corpus('idna', '3.20', 'idna-3.20-py3-none-any.whl'), { name: 'Demo', version: '2.0', wheelPath: demo2 }], { cache });
    assert.deepEqual(result.installed, ['idna']);
    assert.deepEqual(result.upgraded, ['Demo']);
    assert.deepEqual(result.removed.map((n) => n.toLowerCase()).sort(), ['markdown-it-py', 'pygments', 'rich']);
    assert.deepEqual(result.kept, ['mdurl']);
    assert.deepEqual(await installed(venv), ['demo==2.0', 'idna==3.20', 'mdurl==0.1.2']);
    await assertEnvironmentKnown(venv, result.environment);
    const v = await run(venv.python, ['-c', 'import demo, os; print(demo.V, os.path.exists(os.path.join(os.path.dirname(demo.__file__), "only_in_one.py")))']);
    assert.equal(v.stdout.trim(), '2 False', describeRun(v));
    assert.deepEqual((await readdir(venv.scheme.scripts)).sort(), ['activate', 'idna', 'python', 'python3', 'python3.11'], 'pygmentize, rich-less scripts gone');
    // Downgrade, by sha256 alone (served from the cache).
    const again = await syncVenv(venv, [{ name: 'demo', version: '1.0', sha256: await sha256File(demo1) }, { name: 'mdurl', version: '0.1.2', sha256: await sha256File(join(PYPI_SUBSET, 'mdurl-0.1.2-py3-none-any.whl')) }], { cache });
    assert.deepEqual(again.upgraded, ['demo']);
    assert.deepEqual(await installed(venv), ['demo==1.0', 'mdurl==0.1.2']);
    await assertEnvironmentKnown(venv, again.environment);
    // A cache entry unpacked by an older paved does not know its wheel's requirements: the environment is then not claimed known.
    const sha = await sha256File(demo2);
    const manifestPath = join(cache.root, sha, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { wheel: { requiresDist?: string[] } };
    delete manifest.wheel.requiresDist;
    await writeFile(manifestPath, JSON.stringify(manifest));
    const old = await syncVenv(venv, [{ name: 'demo', version: '2.0', sha256: sha }, { name: 'mdurl', version: '0.1.2', sha256: await sha256File(join(PYPI_SUBSET, 'mdurl-0.1.2-py3-none-any.whl')) }], { cache: createWheelCache(join(root, 'cache')) });
    assert.deepEqual(old.upgraded, ['demo']);
    assert.equal(old.environment, null);
    await syncVenv(venv, [{ name: 'demo', version: '1.0', sha256: await sha256File(demo1) }, { name: 'mdurl', version: '0.1.2', sha256: await sha256File(join(PYPI_SUBSET, 'mdurl-0.1.2-py3-none-any.whl')) }], { cache });
  });

  it('changes nothing when a wheel is bad, missing, mismatched or the request is contradictory', async () => {
    const before = await installed(venv);
    const evil = join(root, 'evil-1.0-py3-none-any.whl');
    await writeFile(evil, await buildWheel({ name: 'evil', version: '1.0', extraEntries: [{ name: '../../escape.py', data: 'x' }] }));
    const cases: [WantedDistribution[], string][] = [
      [[...RICH, { name: 'evil', version: '1.0', wheelPath: evil }], 'PAVED_E_UNSAFE_WHEEL'],
      [[...RICH, { name: 'demo', version: '2.0', wheelPath: demo2, sha256: 'a'.repeat(64) }], 'PAVED_E_HASH_MISMATCH'],
      [[...RICH, { name: 'demo', version: '3.0', wheelPath: demo2 }], 'PAVED_E_WHEEL_MISMATCH'],
      [[...RICH, { name: 'other', version: '1.0', sha256: 'b'.repeat(64) }], 'PAVED_E_NOT_IN_CACHE'],
      [[...RICH, { name: 'demo', version: '1.0', wheelPath: demo1 }, { name: 'DEMO', version: '2.0', wheelPath: demo2 }], 'PAVED_E_DUPLICATE_DISTRIBUTION'],
    ];
    for (const [wanted, code] of cases) {
      await assert.rejects(syncVenv(venv, wanted, { cache }), (e: unknown) => isPavedError(e, code), code);
      assert.deepEqual(await installed(venv), before, code);
    }
    assert.deepEqual((await readdir(venv.scheme.purelib)).filter((n) => n.startsWith('.')), []);
  });

  it('keeps names it is told to keep and plans without acting on a dry run', async () => {
    const dry = await syncVenv(venv, [], { cache, dryRun: true, keep: ['mdurl'] });
    assert.deepEqual(dry.plan.remove.map((s) => s.name), ['demo']);
    assert.deepEqual(dry.kept, ['mdurl']);
    assert.equal(dry.environment, null, 'a dry run changed nothing it could know');
    assert.deepEqual(await installed(venv), ['demo==1.0', 'mdurl==0.1.2']);
    const done = await syncVenv(venv, [], { cache, keep: ['MDURL'] });
    assert.deepEqual(done.removed, ['demo']);
    assert.deepEqual(await installed(venv), ['mdurl==0.1.2']);
    await assertEnvironmentKnown(venv, done.environment);
  });

});
