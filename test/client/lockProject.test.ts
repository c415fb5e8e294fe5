import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IndexClient, IndexFile } from '../../src/client/indexClient/indexClient.js';
import { lockProject } from '../../src/client/lockProject.js';
import { isPavedError } from '../../src/errors.js';
import { lockMatchesInputs, describeInputChanges } from '../../src/project/lockInputs.js';
import { parsePylock, serializePylock } from '../../src/project/pylock.js';
import type { PavedLockInputs } from '../../src/project/pylockModel.js';
import { emptyCoreMetadata } from '../../src/standards/coreMetadata.js';
import { parseDistributionFilename } from '../../src/standards/distributionFilename.js';

const sha = (c: string): string => c.repeat(64);
let counter = 0;

function file(filename: string, requiresPython: string | null = null): IndexFile {
  const parsed = parseDistributionFilename(filename);
  const digest = (counter++ % 16).toString(16);
  return {
    filename, url: `https://user:secret@example.test/files/${filename}`.replace('user:secret@', ''), parsed, version: parsed.version, hashes: { sha256: sha(digest) }, sha256: sha(digest),
    requiresPython, yanked: false, coreMetadata: true, size: 100, uploadTime: '2026-01-02T03:04:05.000Z', source: 'https://example.test/simple/', sourceKind: 'index',
  };
}

function client(projects: Record<string, IndexFile[]>, deps: Record<string, string[]>): IndexClient {
  return {
    getProject: async (name) => ({ name, index: 'https://example.test/simple/', files: projects[name] ?? [], versions: null, projectStatus: null }),
    getMetadata: async (f) => ({ ...emptyCoreMetadata(), name: f.parsed.name, version: f.version, requiresDist: deps[`${f.parsed.name}-${f.version}`] ?? [] }),
    download: async () => {
      throw new Error('not used');
    },
    close: async () => {},
  };
}

const PROJECTS = {
  app: [file('app-1.0-py3-none-any.whl'), file('app-2.0-py3-none-any.whl'), file('app-2.0.tar.gz')],
  fast: [
    file('fast-1.0-cp38-cp38-manylinux_2_17_x86_64.whl'),
    file('fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl'),
    file('fast-1.0-cp311-cp311-win_amd64.whl'),
    file('fast-1.0-cp311-cp311-macosx_11_0_arm64.whl'),
    file('fast-1.0.tar.gz'),
  ],
  tomli: [file('tomli-2.0-py3-none-any.whl')],
  colorama: [file('colorama-0.4-py2.py3-none-any.whl')],
  pytest: [file('pytest-8.0-py3-none-any.whl', '>=3.8')],
  socks: [file('socks-1.0-py3-none-any.whl')],
};
const DEPS = {
  'app-1.0': ['fast', 'tomli; python_version < "3.11"'],
  'app-2.0': ['fast', 'tomli; python_version < "3.11"', 'socks; extra == "socks"'],
  'pytest-8.0': ['colorama; sys_platform == "win32"'],
};

function inputs(overrides: Partial<PavedLockInputs> = {}): PavedLockInputs {
  return { requiresPython: '>=3.10', environments: [], dependencies: ['app'], optionalDependencies: { socks: ['app[socks]'] }, dependencyGroups: { dev: ['pytest'] }, ...overrides };
}

describe('lockProject', () => {
  it('locks every package with markers, files for the range and hashes, and writes the same bytes twice', async () => {
    const c = client(PROJECTS, DEPS);
    const { lock } = await lockProject({ inputs: inputs(), projectName: 'demo', defaultRequiresPython: '>=3.11', defaultGroups: ['dev'], client: c });
    const byName = Object.fromEntries(lock.packages.map((p) => [p.name, p]));
    assert.deepEqual(Object.keys(byName), ['app', 'colorama', 'fast', 'pytest', 'socks', 'tomli']);
    assert.equal(byName['app']?.version, '2.0');
    assert.equal(byName['app']?.marker, null);
    assert.equal(byName['tomli']?.marker, 'python_version < "3.11"');
    assert.equal(byName['socks']?.marker, '"socks" in extras');
    assert.equal(byName['pytest']?.marker, '"dev" in dependency_groups');
    assert.equal(byName['colorama']?.marker, '"dev" in dependency_groups and sys_platform == "win32"');
    // cp38 cannot serve Python >=3.10; the sdist is kept for platforms without a wheel.
    assert.deepEqual(byName['fast']?.wheels.map((w) => w.name), ['fast-1.0-cp311-cp311-macosx_11_0_arm64.whl', 'fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl', 'fast-1.0-cp311-cp311-win_amd64.whl']);
    assert.equal(byName['fast']?.sdist?.name, 'fast-1.0.tar.gz');
    assert.match(byName['fast']?.wheels[0]?.hashes['sha256'] ?? '', /^[0-9a-f]{64}$/);
    assert.equal(byName['app']?.index, 'https://example.test/simple/');
    assert.deepEqual(byName['app']?.dependencies, [{ name: 'fast' }, { name: 'socks' }, { name: 'tomli' }]);
    assert.deepEqual(lock.extras, ['socks']);
    assert.deepEqual(lock.dependencyGroups, ['dev']);
    assert.deepEqual(lock.defaultGroups, ['dev']);

    const text = serializePylock(lock);
    assert.doesNotMatch(text, /secret/);
    const again = await lockProject({ inputs: inputs(), projectName: 'demo', defaultRequiresPython: '>=3.11', defaultGroups: ['dev'], client: c, previous: parsePylock(text).lock });
    assert.equal(serializePylock(again.lock), text);
    assert.ok(lockMatchesInputs(parsePylock(text).lock, inputs()));
    assert.deepEqual(describeInputChanges(parsePylock(text).lock, inputs({ dependencies: ['app', 'pytest'] })), ['dependencies: + pytest']);
  });

  it('environments leave other platforms files and packages out', async () => {
    const { lock } = await lockProject({ inputs: inputs({ environments: ['sys_platform == "linux"'] }), projectName: 'demo', defaultRequiresPython: '>=3.11', defaultGroups: [], client: client(PROJECTS, DEPS) });
    const fast = lock.packages.find((p) => p.name === 'fast');
    assert.deepEqual(fast?.wheels.map((w) => w.name), ['fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl']);
    assert.equal(lock.packages.some((p) => p.name === 'colorama'), false);
    assert.deepEqual(lock.environments, ['sys_platform == "linux"']);
  });

  it("lists only the wheels for platforms where a package's own marker holds", async () => {
    // The colorama of pytest is only needed on win32; a linux-only or mac-only wheel of it could never be installed.
    const projects = { ...PROJECTS, colorama: [file('colorama-0.4-py2.py3-none-any.whl'), file('colorama-0.4-cp311-cp311-win_amd64.whl'), file('colorama-0.4-cp311-cp311-manylinux_2_17_x86_64.whl')] };
    const { lock } = await lockProject({ inputs: inputs(), projectName: 'demo', defaultRequiresPython: '>=3.11', defaultGroups: ['dev'], client: client(projects, DEPS) });
    const colorama = lock.packages.find((p) => p.name === 'colorama');
    assert.equal(colorama?.marker, '"dev" in dependency_groups and sys_platform == "win32"');
    assert.deepEqual(colorama?.wheels.map((w) => w.name), ['colorama-0.4-cp311-cp311-win_amd64.whl', 'colorama-0.4-py2.py3-none-any.whl']);
    // A package needed everywhere keeps every platform's wheel.
    assert.equal(lock.packages.find((p) => p.name === 'fast')?.wheels.length, 3);
  });

  it('keeps the previous pins unless asked to upgrade', async () => {
    const c = client(PROJECTS, DEPS);
    const first = await lockProject({ inputs: inputs(), projectName: 'demo', defaultRequiresPython: '>=3.11', defaultGroups: [], client: c });
    const old = { ...first.lock, packages: first.lock.packages.map((p) => (p.name === 'app' ? { ...p, version: '1.0' } : p)) };
    const kept = await lockProject({ inputs: inputs(), projectName: 'demo', defaultRequiresPython: '>=3.11', defaultGroups: [], client: c, previous: old });
    assert.equal(kept.lock.packages.find((p) => p.name === 'app')?.version, '1.0');
    const upgraded = await lockProject({ inputs: inputs(), projectName: 'demo', defaultRequiresPython: '>=3.11', defaultGroups: [], client: c, previous: old, upgrade: ['app'] });
    assert.equal(upgraded.lock.packages.find((p) => p.name === 'app')?.version, '2.0');
  });

  it('fails with a derivation when nothing fits', async () => {
    await assert.rejects(
      lockProject({ inputs: inputs({ dependencies: ['app>=3'] }), projectName: 'demo', defaultRequiresPython: '>=3.11', defaultGroups: [], client: client(PROJECTS, DEPS) }),
      (error: unknown) => isPavedError(error, 'PAVED_E_NO_SOLUTION') && /app/.test(error.message),
    );
  });
});

describe('lockProject with required-environments', () => {
  // native 2.0 dropped its Windows wheel; gui is needed on Linux only and has only Linux wheels.
  const projects = {
    app: [file('app-1.0-py3-none-any.whl')],
    native: [
      file('native-1.0-cp311-abi3-manylinux_2_17_x86_64.whl'),
      file('native-1.0-cp311-abi3-win_amd64.whl'),
      file('native-2.0-cp311-abi3-manylinux_2_17_x86_64.whl'),
      file('native-2.0-cp311-abi3-macosx_11_0_arm64.whl'),
      file('native-2.1-cp311-abi3-manylinux_2_17_x86_64.whl'),
      file('native-2.1.tar.gz'),
    ],
    gui: [file('gui-1.0-cp311-abi3-manylinux_2_17_x86_64.whl')],
  };
  const deps = { 'app-1.0': ['native', 'gui; sys_platform == "linux"'] };
  const lock = (requiredEnvironments: string[], more: Partial<Parameters<typeof lockProject>[0]> = {}): ReturnType<typeof lockProject> =>
    lockProject({
      inputs: { requiresPython: '>=3.11', environments: [], requiredEnvironments, dependencies: ['app'], optionalDependencies: {}, dependencyGroups: {} },
      projectName: 'demo',
      defaultRequiresPython: '>=3.11',
      defaultGroups: [],
      client: client(projects, deps),
      ...more,
    });
  const pins = (packages: { name: string; version: string | null }[]): string[] => packages.map((p) => `${p.name} ${p.version ?? ''}`);

  it('leaves out the releases without a wheel for a required environment, where the package is needed there', async () => {
    assert.deepEqual(pins((await lock([])).lock.packages), ['app 1.0', 'gui 1.0', 'native 2.1'], 'without it: the newest');
    const events: unknown[] = [];
    const { lock: locked } = await lock(['sys_platform == "win32" and platform_machine == "AMD64"'], { onEvent: (e) => events.push(e) });
    // gui has no Windows wheel either, but its marker keeps it off Windows.
    assert.deepEqual(pins(locked.packages), ['app 1.0', 'gui 1.0', 'native 1.0']);
    assert.deepEqual(
      events.filter((e) => (e as { type: string }).type === 'uncovered'),
      [{ type: 'uncovered', name: 'native', versions: ['2.1', '2.0'], environment: 'sys_platform == "win32" and platform_machine == "AMD64"' }],
    );
    // The setting is a lock input: written, read back, and a change is seen.
    const text = serializePylock(locked);
    assert.match(text, /^required-environments = \["sys_platform == \\"win32\\" and platform_machine == \\"AMD64\\""\]$/m);
    const read = parsePylock(text).lock;
    assert.deepEqual(read.pavedInputs?.requiredEnvironments, ['sys_platform == "win32" and platform_machine == "AMD64"']);
    assert.deepEqual(describeInputChanges(read, { ...(read.pavedInputs as PavedLockInputs), requiredEnvironments: [] }), ['required-environments changed']);
    // Without the setting nothing about it is written, so older locks keep their bytes.
    assert.doesNotMatch(serializePylock((await lock([])).lock), /required-environments/);
  });

  it('takes a release with an sdist as buildable there when building is allowed', async () => {
    const { lock: locked } = await lock(['sys_platform == "win32"'], { build: { cacheDir: '/nonexistent-never-used' } });
    assert.deepEqual(pins(locked.packages), ['app 1.0', 'gui 1.0', 'native 2.1']);
  });

  it('asks each environment: an Apple silicon Mac is served by 2.0 alone, and together with Windows by nothing', async () => {
    assert.deepEqual(pins((await lock(['sys_platform == "darwin" and platform_machine == "arm64"'])).lock.packages), ['app 1.0', 'gui 1.0', 'native 2.0']);
    await assert.rejects(lock(['sys_platform == "darwin" and platform_machine == "arm64"', 'sys_platform == "win32"']), (error: unknown) => {
      assert.ok(isPavedError(error, 'PAVED_E_NO_SOLUTION'));
      assert.match(error.message, /Left out, because they have no wheel for a required environment \(\[tool\.paved\] required-environments\): native 2\.1 \(sys_platform == "darwin" and platform_machine == "arm64"; sys_platform == "win32"\), native 2\.0 \(sys_platform == "win32"\), native 1\.0 \(sys_platform == "darwin" and platform_machine == "arm64"\)\.$/);
      assert.match(error.hint ?? '', /required-environments/);
      return true;
    });
  });

  it('refuses an environment the lock does not cover', async () => {
    await assert.rejects(lock(['python_version < "3.9"']), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_PYPROJECT') && /required-environments names "python_version < \\"3\.9\\"", which this lock does not cover \(requires-python >=3\.11\)/.test(error.message));
  });
});
