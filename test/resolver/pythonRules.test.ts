import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPavedError } from '../../src/errors.js';
import { resolve, type ResolveOptions, type ResolverEvent } from '../../src/resolver/resolve.js';
import { parseVersion } from '../../src/standards/version.js';
import { LINUX_311, TableProvider, WINDOWS_311, checkResolution, pins, type PackageTable } from './tableProvider.js';

const BASE = { environment: LINUX_311, pythonVersion: '3.11.7' } satisfies ResolveOptions;

async function solved(table: PackageTable, roots: string[], options: Partial<ResolveOptions> = {}): Promise<Record<string, string>> {
  const provider = new TableProvider(table);
  const full = { ...BASE, ...options };
  const resolution = await resolve(roots, provider, full);
  assert.deepEqual(checkResolution(resolution, provider, roots, { ...full, constraints: full.constraints ?? [] }), []);
  assert.deepEqual(provider.repeatedCalls(), []);
  return pins(resolution);
}

async function failure(table: PackageTable, roots: string[], options: Partial<ResolveOptions> = {}, code = 'PAVED_E_NO_SOLUTION'): Promise<string> {
  try {
    await resolve(roots, new TableProvider(table), { ...BASE, ...options });
  } catch (error) {
    assert.ok(isPavedError(error, code), `expected ${code}, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`expected ${code}`);
}

describe('extras', () => {
  const table: PackageTable = {
    app: {
      '1.0': ['core>=1', 'click; extra == "cli"', 'flask>=2; extra == "web"', 'app[cli,web]; extra == "all"', 'old-lib<1; extra == "legacy"'],
    },
    core: { '1.0': [], '2.0': [] },
    click: { '8.0': [] },
    flask: { '1.0': [], '2.0': ['werkzeug'], '3.0': ['werkzeug>=3'] },
    werkzeug: { '2.0': [], '3.0': [] },
    'old-lib': { '0.9': [], '1.0': [] },
  };

  it('a plain requirement leaves the extras out', async () => {
    assert.deepEqual(await solved(table, ['app']), { app: '1.0', core: '2.0' });
  });

  it('an extra adds its requirements, at the same version of the project', async () => {
    assert.deepEqual(await solved(table, ['App[Web]']), { 'app[web]': '1.0', core: '2.0', flask: '3.0', werkzeug: '3.0' });
  });

  it('an extra that requests other extras of the same project brings them all', async () => {
    assert.deepEqual(await solved(table, ['app[all]']), { 'app[all,cli,web]': '1.0', click: '8.0', core: '2.0', flask: '3.0', werkzeug: '3.0' });
  });

  it('lists the extras dependencies with the base ones', async () => {
    const resolution = await resolve(['app[web]'], new TableProvider(table), BASE);
    assert.deepEqual(resolution.packages.get('app')?.dependencies, ['core', 'flask']);
    assert.deepEqual(resolution.packages.get('app')?.extras, ['web']);
  });

  it('an extra that conflicts with a root requirement is explained by name', async () => {
    const message = await failure(table, ['app[legacy]', 'old-lib>=1']);
    assert.match(message, /app\[legacy\] depends on old-lib<1/);
    assert.match(message, /root depends on old-lib>=1/);
  });

  it('an extra the release does not define adds nothing (as pip warns and goes on)', async () => {
    assert.deepEqual(await solved(table, ['app[nope]']), { 'app[nope]': '1.0', core: '2.0' });
  });
});

describe('markers', () => {
  const table: PackageTable = {
    tool: { '1.0': ['colorama; sys_platform == "win32"', 'uvloop; sys_platform != "win32" and python_version >= "3.8"', 'tomli; python_version < "3.11"'] },
    colorama: { '0.4.6': [] },
    uvloop: { '0.19': [] },
    tomli: { '2.0': [] },
  };

  it('a dependency only for win32 is dropped on Linux', async () => {
    assert.deepEqual(await solved(table, ['tool']), { tool: '1.0', uvloop: '0.19' });
  });

  it('and kept on Windows', async () => {
    assert.deepEqual(await solved(table, ['tool'], { environment: WINDOWS_311 }), { colorama: '0.4.6', tool: '1.0' });
  });

  it('root requirements with a false marker are dropped', async () => {
    assert.deepEqual(await solved(table, ['tool', 'tomli; python_version < "3.8"']), { tool: '1.0', uvloop: '0.19' });
  });
});

describe('requires-python', () => {
  const table: PackageTable = {
    lib: { '1.0': { requiresPython: '>=3.7' }, '2.0': { requiresPython: '>=3.12' }, '2.1': { requiresPython: '>=3.12' } },
  };

  it('releases the target Python cannot run are not candidates', async () => {
    assert.deepEqual(await solved(table, ['lib']), { lib: '1.0' });
    assert.deepEqual(await solved(table, ['lib'], { pythonVersion: '3.12.1' }), { lib: '2.1' });
  });

  it('the explanation names the Requires-Python and the target', async () => {
    const message = await failure(table, ['lib>=2']);
    assert.match(message, /lib>=2\.0 requires Python >=3\.12 \(the target is Python 3\.11\.7\)/);
    assert.match(message, /root depends on lib>=2/);
  });

  it('an unreadable Requires-Python is ignored rather than failing', async () => {
    assert.deepEqual(await solved({ lib: { '1.0': { requiresPython: 'not a spec' } } }, ['lib']), { lib: '1.0' });
  });
});

describe('yanked releases', () => {
  const table: PackageTable = { lib: { '1.0': [], '1.1': { yanked: 'broken build' }, '1.2': { yanked: true } } };

  it('are skipped', async () => {
    assert.deepEqual(await solved(table, ['lib']), { lib: '1.0' });
  });

  it('are used when pinned exactly with == or ===', async () => {
    assert.deepEqual(await solved(table, ['lib==1.1']), { lib: '1.1' });
    assert.deepEqual(await solved(table, ['lib===1.2']), { lib: '1.2' });
  });

  it('a range that only yanked releases satisfy fails, saying they are yanked', async () => {
    const message = await failure(table, ['lib>1.0']);
    assert.match(message, /no versions of lib match >1\.0/);
    assert.match(message, /1\.1, 1\.2 are yanked/);
  });
});

describe('pre-releases', () => {
  const table: PackageTable = {
    lib: { '1.0': [], '2.0rc1': [], '2.0.dev3': [] },
    'only-pre': { '0.1b1': [], '0.1b2': [] },
  };

  it('are skipped by default when a final release fits', async () => {
    assert.deepEqual(await solved(table, ['lib']), { lib: '1.0' });
  });

  it('are chosen when a requirement names one', async () => {
    assert.deepEqual(await solved(table, ['lib>=2.0rc1']), { lib: '2.0rc1' });
  });

  it('are chosen when no final release fits', async () => {
    assert.deepEqual(await solved(table, ['only-pre']), { 'only-pre': '0.1b2' });
    assert.deepEqual(await solved(table, ['lib>1.0']), { lib: '2.0rc1' });
  });

  it("'allow' takes the newest, 'if-necessary' ignores an explicit one when a final fits, 'disallow' never", async () => {
    assert.deepEqual(await solved(table, ['lib'], { prereleases: 'allow' }), { lib: '2.0rc1' });
    assert.deepEqual(await solved(table, ['lib>=1.0rc1'], { prereleases: 'if-necessary' }), { lib: '1.0' });
    const message = await failure(table, ['only-pre'], { prereleases: 'disallow' });
    assert.match(message, /0\.1b1, 0\.1b2 are pre-releases/);
  });
});

describe('preferred versions and upgrades', () => {
  const table: PackageTable = { a: { '1.0': ['b'], '2.0': ['b'] }, b: { '1.0': [], '1.5': [], '2.0': [] } };
  const preferred = new Map([
    ['A', parseVersion('1.0')],
    ['b', parseVersion('1.5')],
  ]);

  it('keeps locked versions that still fit', async () => {
    assert.deepEqual(await solved(table, ['a'], { preferred }), { a: '1.0', b: '1.5' });
  });

  it('moves off a locked version the requirements no longer allow', async () => {
    assert.deepEqual(await solved(table, ['a>=2', 'b<1.5'], { preferred }), { a: '2.0', b: '1.0' });
  });

  it('upgrade: true ignores every pin, a list only those named', async () => {
    assert.deepEqual(await solved(table, ['a'], { preferred, upgrade: true }), { a: '2.0', b: '2.0' });
    assert.deepEqual(await solved(table, ['a'], { preferred, upgrade: ['B'] }), { a: '1.0', b: '2.0' });
  });
});

describe('constraints', () => {
  const table: PackageTable = { a: { '1.0': ['b'], '2.0': ['b>=2'] }, b: { '1.0': [], '2.0': [] }, unrelated: { '1.0': [] } };

  it('limit versions of needed packages, forcing a backtrack to an older dependant', async () => {
    assert.deepEqual(await solved(table, ['a'], { constraints: ['b<2', 'unrelated==1.0'] }), { a: '1.0', b: '1.0' });
  });

  it('a constraint with a false marker is ignored', async () => {
    assert.deepEqual(await solved(table, ['a'], { constraints: ['b<2; sys_platform == "win32"'] }), { a: '2.0', b: '2.0' });
  });

  it('are named in the explanation', async () => {
    const message = await failure(table, ['a>=2'], { constraints: ['b<2'] });
    assert.match(message, /the constraint b<2 forbids b/);
  });
});

describe('refusals and broken input', () => {
  it('a direct URL requirement is refused with a clear error', async () => {
    const message = await failure({}, ['pkg @ https://example.com/pkg-1.0-py3-none-any.whl'], {}, 'PAVED_E_URL_REQUIREMENT');
    assert.match(message, /direct URL/);
    await failure({}, ['a'], { constraints: ['pkg @ file:///tmp/x.whl'] }, 'PAVED_E_URL_REQUIREMENT');
  });

  it('a release that depends on a URL or has broken metadata is skipped, and the explanation says why', async () => {
    const table: PackageTable = { a: { '1.0': [], '2.0': ['b @ https://example.com/b.whl'], '3.0': ['c >=>= 1'] } };
    assert.deepEqual(await solved(table, ['a']), { a: '1.0' });
    const message = await failure(table, ['a>=2']);
    assert.match(message, /a==2\.0 cannot be used: it depends on b by direct URL/);
    assert.match(message, /a==3\.0 cannot be used: its metadata has an invalid requirement/);
  });

  it('an invalid root requirement is a requirement error', async () => {
    await failure({}, ['a >=>= 1'], {}, 'PAVED_E_INVALID_REQUIREMENT');
  });

  it('a project the index does not have', async () => {
    const message = await failure({}, ['ghost>=1']);
    assert.match(message, /no versions of ghost match >=1/);
    const any = await failure({}, ['ghost']);
    assert.match(any, /there is no usable version of ghost/);
  });

  it('dependency cycles and self-dependencies resolve', async () => {
    assert.deepEqual(await solved({ a: { '1.0': ['b', 'a'] }, b: { '1.0': ['a>=1'] } }, ['a']), { a: '1.0', b: '1.0' });
  });

  it('provider failures reach the caller', async () => {
    const provider = new TableProvider({ a: { '1.0': ['b'] } });
    provider.getDependencies = async () => {
      throw new Error('index down');
    };
    await assert.rejects(resolve(['a'], provider, BASE), /index down/);
  });
});

describe('fetching', () => {
  it('asks for several packages at once, never twice for the same thing, and hints prefetches', async () => {
    const table: PackageTable = { app: { '1.0': ['a', 'b', 'c', 'd'] } };
    for (const name of ['a', 'b', 'c', 'd']) table[name] = { '1.0': [], '2.0': [] };
    const provider = new TableProvider(table);
    provider.delay = 5;
    const resolution = await resolve(['app'], provider, BASE);
    assert.deepEqual(provider.repeatedCalls(), []);
    assert.ok(provider.maxInFlight >= 4, `only ${provider.maxInFlight} calls at once`);
    assert.ok(provider.prefetched.includes('a@2.0'));
    assert.equal(resolution.stats.providerCalls, [...provider.calls.values()].reduce((x, y) => x + y, 0));
  });

  it('walks the closure it will most likely pick ahead of the solver, extras included, markers respected', async () => {
    const provider = new TableProvider({
      slow: { '1.0': [] },
      a: { '0.9': [], '1.0': ['b'] },
      b: { '1.0': ['c[x]', 'w; sys_platform == "win32"'] },
      c: { '1.0': ['d; extra == "x"', 'u; extra == "y"'] },
      d: { '1.0': [] },
      u: { '1.0': [] },
      w: { '1.0': [] },
    });
    // The solver waits for every pending project's versions before deciding anything: while
    // 'slow' is held back it decides nothing, so whatever is fetched meanwhile is speculation.
    let release = (): void => {};
    const held = new Promise<void>((done) => (release = done));
    const list = provider.listVersions.bind(provider);
    provider.listVersions = async (name) => {
      if (name === 'slow') await held;
      return list(name);
    };
    const resolving = resolve(['slow', 'a'], provider, BASE);
    for (let i = 0; i < 500 && !provider.calls.has('versions:d'); i++) await new Promise((r) => setTimeout(r, 2));
    const before = [...provider.calls.keys()];
    release();
    const resolution = await resolving;
    assert.ok(before.includes('versions:d'), `fetched before the solver decided anything: ${before.join(', ')}`);
    assert.ok(before.includes('deps:c@1.0'));
    assert.ok(!provider.calls.has('versions:w') && !provider.calls.has('versions:u'), 'a dependency for win32 or for an extra nobody asked for is not fetched');
    assert.deepEqual(provider.repeatedCalls(), []);
    assert.deepEqual(pins(resolution), { a: '1.0', b: '1.0', 'c[x]': '1.0', d: '1.0', slow: '1.0' });
  });

  it('reports decisions, conflicts and backtracks as events', async () => {
    const events: ResolverEvent[] = [];
    const table: PackageTable = { a: { '1.0': ['b'], '2.0': ['b>=2'] }, b: { '1.0': [], '2.0': [] } };
    const resolution = await resolve(['a'], new TableProvider(table), { ...BASE, constraints: ['b<2'], onEvent: (e) => events.push(e) });
    const decisions = events.filter((e) => e.type === 'decision');
    assert.equal(decisions.length, resolution.stats.decisions);
    assert.ok(decisions.every((e) => e.type === 'decision' && !e.package.includes('root')));
    assert.equal(events.filter((e) => e.type === 'conflict').length, resolution.stats.conflicts);
  });
});
