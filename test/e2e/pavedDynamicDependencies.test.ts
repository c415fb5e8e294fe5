/**
 * A project whose dependencies are `dynamic` (setuptools reading them from requirements files):
 * `paved lock` asks the build back-end for them (PEP 517 `prepare_metadata_for_build_wheel`), as
 * uv does, instead of locking the project without them. The real CLI against a live paved server
 * holding the corpus and the history wheels (setuptools and wheel for the build environment).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parsePylock } from '../../src/project/pylock.js';
import { HISTORY, PYPI_SUBSET } from '../fixtures/corpus.js';
import { describeRun, run } from '../fixtures/pythonTools.js';
import { startCorpusWorkspace, type CorpusWorkspace } from '../fixtures/testServer.js';
import { jsonEvents, paved } from './pavedCli.js';

const PYPROJECT = `[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "dyn"
version = "0.1.0"
requires-python = ">=3.11"
dynamic = ["dependencies", "optional-dependencies"]

[tool.setuptools]
py-modules = []

[tool.setuptools.dynamic]
dependencies = { file = ["requirements.in"] }
optional-dependencies = { cli = { file = ["cli.in"] } }
`;

describe('paved lock with dynamic dependencies', () => {
  let workspace: CorpusWorkspace;
  let work: string;
  let env: Record<string, string>;

  before(async () => {
    workspace = await startCorpusWorkspace('paved-dynamic-', [PYPI_SUBSET, HISTORY]);
    work = workspace.work;
    env = { PAVED_INDEX_URL: workspace.index, PAVED_CACHE_DIR: workspace.cache, PAVED_PYTHON: '3.11' };
  });
  after(() => workspace?.close());

  it('locks what the back-end says the project needs, notices a change to requirements.in, and syncs it', { timeout: 240_000 }, async () => {
    const project = join(work, 'dyn');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'pyproject.toml'), PYPROJECT);
    await writeFile(join(project, 'requirements.in'), '# what the service needs\nidna\nrich>=13\n');
    await writeFile(join(project, 'cli.in'), 'click\n');

    const locked = await paved(['lock', '--json', '--project', project], { env });
    assert.equal(locked.code, 0, describeRun(locked));
    const { lock } = parsePylock(await readFile(join(project, 'pylock.toml'), 'utf8'));
    const byName = new Map(lock.packages.map((p) => [p.name, p]));
    for (const name of ['idna', 'rich', 'markdown-it-py', 'pygments', 'click']) assert.ok(byName.has(name), `${name} locked: ${[...byName.keys()].join(' ')}`);
    assert.equal(byName.get('rich')?.marker, null);
    assert.equal(byName.get('click')?.marker, '"cli" in extras');
    assert.deepEqual(lock.pavedInputs?.dependencies, ['idna', 'rich>=13']);
    assert.deepEqual(lock.pavedInputs?.optionalDependencies, { cli: ['click'] });
    assert.ok(jsonEvents(locked.stdout).some((e) => e.type === 'info' && /from its build back-end/.test(String(e['message']))), locked.stdout);

    assert.equal((await paved(['lock', '--check', '--project', project], { env })).code, 0);
    // The back-end reads requirements.in: a change there makes the lock stale although pyproject.toml is the same.
    await writeFile(join(project, 'requirements.in'), '# what the service needs\nidna\nrich>=13\ncertifi\n');
    const stale = await paved(['lock', '--check', '--project', project], { env });
    assert.equal(stale.code, 1, describeRun(stale));
    const frozen = await paved(['sync', '--frozen', '--project', project], { env });
    assert.equal(frozen.code, 1, describeRun(frozen));
    assert.match(frozen.stderr, /dependencies: \+ certifi/);

    const synced = await paved(['sync', '--extra', 'cli', '--project', project], { env });
    assert.equal(synced.code, 0, describeRun(synced));
    const imported = await run(join(project, '.venv', 'bin', 'python'), ['-c', 'import idna, rich, certifi, click; print("ok")']);
    assert.equal(imported.stdout.trim(), 'ok', describeRun(imported));
  });

  it('dynamic dependencies without a [build-system] are an error, not a lock without them', { timeout: 60_000 }, async () => {
    const project = join(work, 'nobackend');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'pyproject.toml'), '[project]\nname = "nobackend"\nversion = "1"\nrequires-python = ">=3.11"\ndynamic = ["dependencies"]\n');
    const locked = await paved(['lock', '--json', '--project', project], { env });
    assert.equal(locked.code, 1, describeRun(locked));
    assert.equal(jsonEvents(locked.stdout).at(-1)?.['code'], 'PAVED_E_DYNAMIC_DEPENDENCIES');
    assert.equal(existsSync(join(project, 'pylock.toml')), false);
  });
});
