/**
 * Dynamic dependencies are asked from the build back-end once per change of what it reads: a
 * second `paved sync` of an unchanged project uses the remembered answer (no back-end run, said
 * with --json), and a change to a file listed in `[tool.paved] cache-keys` asks again and rebuilds
 * the project's editable install. The real CLI against a live paved server holding the corpus and
 * the history wheels (setuptools).
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HISTORY, PYPI_SUBSET } from '../fixtures/corpus.js';
import { describeRun, run } from '../fixtures/pythonTools.js';
import { startCorpusWorkspace, type CorpusWorkspace } from '../fixtures/testServer.js';
import { jsonEvents, paved } from './pavedCli.js';

// setup.py reads requirements.in: nothing in pyproject.toml says so, only cache-keys can.
const PYPROJECT = `[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "cached"
version = "0.1.0"
requires-python = ">=3.11"
dynamic = ["dependencies"]

[tool.setuptools]
py-modules = []

[tool.paved]
cache-keys = ["requirements.in"]
`;

const SETUP_PY = `from setuptools import setup

with open("requirements.in") as f:
    setup(install_requires=[line.strip() for line in f if line.strip() and not line.startswith("#")])
`;

/** The --json info events about the dynamic dependencies: where they came from. */
function dynamicEvents(stdout: string): { message: string; cached: boolean }[] {
  return jsonEvents(stdout)
    .filter((e) => e.type === 'info' && Array.isArray(e['dynamic']))
    .map((e) => ({ message: String(e['message']), cached: e['cached'] === true }));
}

describe('dynamic dependencies are remembered', () => {
  let workspace: CorpusWorkspace;
  let env: Record<string, string>;

  before(async () => {
    workspace = await startCorpusWorkspace('paved-dynamic-cache-', [PYPI_SUBSET, HISTORY]);
    env = { PAVED_INDEX_URL: workspace.index, PAVED_CACHE_DIR: workspace.cache, PAVED_PYTHON: '3.11', PAVED_CONFIG_FILE: '/dev/null' };
  });
  after(() => workspace?.close());

  it('a second sync does not run the back-end; a change to a cache-keys file does', { timeout: 240_000 }, async () => {
    const project = join(workspace.work, 'cached');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'pyproject.toml'), PYPROJECT);
    await writeFile(join(project, 'setup.py'), SETUP_PY);
    await writeFile(join(project, 'requirements.in'), '# read by setup.py\nidna\n');
    const sync = () => paved(['--json', 'sync', '--project', project], { env, timeoutMs: 180_000 });

    const first = await sync();
    assert.equal(first.code, 0, describeRun(first));
    assert.deepEqual(dynamicEvents(first.stdout).map((e) => e.cached), [false], first.stdout);
    assert.match(dynamicEvents(first.stdout)[0]?.message ?? '', /from its build back-end/);

    const second = await sync();
    assert.equal(second.code, 0, describeRun(second));
    const said = dynamicEvents(second.stdout);
    assert.deepEqual(said.map((e) => e.cached), [true], second.stdout);
    assert.match(said[0]?.message ?? '', /as its build back-end gave them before \(pyproject\.toml, setup\.py, setup\.cfg, requirements\.in and Python 3\.11\.\d+ unchanged\): 1 dependencies/);
    assert.ok(!second.stdout.includes('from its build back-end'), second.stdout);

    // A file nobody listed changes nothing; requirements.in (a cache key) is read again.
    await writeFile(join(project, 'NOTES.txt'), 'not an input\n');
    const unlisted = await sync();
    assert.deepEqual(dynamicEvents(unlisted.stdout).map((e) => e.cached), [true], unlisted.stdout);
    await writeFile(join(project, 'requirements.in'), '# read by setup.py\nidna\ncertifi\n');
    const changed = await sync();
    assert.equal(changed.code, 0, describeRun(changed));
    assert.deepEqual(dynamicEvents(changed.stdout).map((e) => e.cached), [false], changed.stdout);
    assert.match(dynamicEvents(changed.stdout)[0]?.message ?? '', /from its build back-end .*: 2 dependencies/);
    const imported = await run(join(project, '.venv', 'bin', 'python'), ['-c', 'import idna, certifi; print("ok")']);
    assert.equal(imported.stdout, 'ok\n', describeRun(imported));
    // The editable install of the project itself was rebuilt too: its installed metadata has the new requirement.
    const requires = await run(join(project, '.venv', 'bin', 'python'), ['-c', 'import importlib.metadata as m; print(sorted(m.requires("cached")))']);
    assert.equal(requires.stdout, "['certifi', 'idna']\n", describeRun(requires));
  });

  it('refuses a glob in cache-keys instead of keying on a file that never exists', async () => {
    const project = join(workspace.work, 'globbed');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'pyproject.toml'), PYPROJECT.replace('cache-keys = ["requirements.in"]', 'cache-keys = ["requirements/*.in"]'));
    const r = await paved(['--json', 'lock', '--project', project], { env });
    assert.equal(r.code, 1, describeRun(r));
    const error = jsonEvents(r.stdout).at(-1);
    assert.equal(error?.['code'], 'PAVED_E_INVALID_PYPROJECT');
    assert.match(String(error?.['message']), /tool\.paved\.cache-keys\[0\] is a glob pattern/);
  });
});
