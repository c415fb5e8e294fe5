/**
 * What a project's build back-end reads (`cacheKeys` of pyproject.toml) and the cache of its
 * dynamic-dependency answers keyed by them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPavedError } from '../../src/errors.js';
import { buildInputFiles, buildInputsDigest, readCachedDynamicDependencies, writeCachedDynamicDependencies, type DynamicDependenciesKey } from '../../src/project/buildInputs.js';
import { parsePavedSettings, parsePyproject } from '../../src/project/pyproject.js';

const PROJECT = '[project]\nname = "p"\nversion = "1"\n';

describe('cache-keys in pyproject.toml', () => {
  it('takes [tool.paved] cache-keys (paths or { file }) and the files [tool.setuptools.dynamic] reads, after the defaults', () => {
    const file = parsePyproject(`${PROJECT}
[tool.paved]
cache-keys = ["requirements.in", { file = "constraints.txt" }]

[tool.setuptools.dynamic]
version = { file = "VERSION" }
dependencies = { file = ["requirements.in", "base.in"] }
optional-dependencies = { cli = { file = ["cli.in"] } }
`);
    assert.deepEqual(file.cacheKeys, ['requirements.in', 'constraints.txt', 'VERSION', 'base.in', 'cli.in']);
    assert.deepEqual(file.warnings, []);
    assert.deepEqual(buildInputFiles(file), ['pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.in', 'constraints.txt', 'VERSION', 'base.in', 'cli.in']);
    assert.deepEqual(parsePyproject(PROJECT).cacheKeys, []);
  });

  it('refuses globs, other tables and non-strings with the key path', () => {
    const problem = (value: string): string => {
      try {
        parsePyproject(`${PROJECT}\n[tool.paved]\ncache-keys = ${value}\n`);
      } catch (error) {
        assert.ok(isPavedError(error, 'PAVED_E_INVALID_PYPROJECT'), String(error));
        return error.message;
      }
      throw new Error(`${value} was accepted`);
    };
    assert.match(problem('["reqs/*.txt"]'), /tool\.paved\.cache-keys\[0\] is a glob pattern/);
    assert.match(problem('[{ git = true }]'), /tool\.paved\.cache-keys\[0\] must be a path or \{ file = "…" \}/);
    assert.match(problem('[1]'), /cache-keys\[0\] must be a file path/);
    assert.match(problem('"requirements.in"'), /cache-keys must be an array/);
  });

  it('is a project setting: the user config file warns about it as an unknown key', () => {
    const warnings: string[] = [];
    parsePavedSettings({ 'cache-keys': ['x'] }, { shown: 'paved.toml', code: 'PAVED_E_INVALID_CONFIG', prefix: '' }, warnings);
    assert.deepEqual(warnings, ['paved.toml: unknown key cache-keys (ignored)']);
  });
});

describe('the dynamic-dependency cache', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paved-build-inputs-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('keys on the inputs: a changed or a newly created file gives another digest', async () => {
    await writeFile(join(dir, 'pyproject.toml'), PROJECT);
    const files = ['pyproject.toml', 'setup.py', 'requirements.in'];
    const before = await buildInputsDigest(dir, files);
    assert.equal(await buildInputsDigest(dir, files), before);
    await writeFile(join(dir, 'requirements.in'), 'idna\n');
    const created = await buildInputsDigest(dir, files);
    assert.notEqual(created, before);
    await writeFile(join(dir, 'requirements.in'), 'idna\ncertifi\n');
    assert.notEqual(await buildInputsDigest(dir, files), created);
  });

  it('gives back what was stored for the same key only; a damaged entry reads as none', async () => {
    const cache = join(dir, 'cache');
    const key: DynamicDependenciesKey = { root: dir, name: 'p', fields: ['dependencies'], inputs: 'a'.repeat(64), interpreter: { implementation: 'cpython', version: '3.11.7', sysPlatform: 'linux', machine: 'x86_64' } };
    assert.equal(await readCachedDynamicDependencies(cache, key), null);
    const value = { dependencies: ['idna'], optionalDependencies: { cli: ['click'] } };
    await writeCachedDynamicDependencies(cache, key, value);
    assert.deepEqual(await readCachedDynamicDependencies(cache, key), value);
    assert.equal(await readCachedDynamicDependencies(cache, { ...key, interpreter: { ...key.interpreter, version: '3.12.1' } }), null);
    assert.equal(await readCachedDynamicDependencies(cache, { ...key, inputs: 'b'.repeat(64) }), null);
    await writeCachedDynamicDependencies(cache, key, { dependencies: 'idna' as unknown as string[], optionalDependencies: {} });
    assert.equal(await readCachedDynamicDependencies(cache, key), null);
  });
});
