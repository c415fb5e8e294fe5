import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPavedError, type PavedError } from '../../src/errors.js';
import { expandDependencyGroups, findProjectRoot, MAX_PYPROJECT_BYTES, parsePyproject, readPyproject } from '../../src/project/pyproject.js';

/** Asserts that `fn` throws a PavedError with `code` whose message contains every fragment. */
function assertPavedError(fn: () => unknown, code: string, ...fragments: string[]): PavedError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(isPavedError(caught), `expected a PavedError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const fragment of fragments) assert.ok(caught.message.includes(fragment), `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(fragment)}`);
  return caught;
}

const REAL_WORLD = `# Acme billing service
[build-system]
requires = ["hatchling>=1.18"]
build-backend = "hatchling.build"

[project]
name = "Acme_Billing.Service"
version = "2.3.0"
description = "Bills things"
requires-python = ">=3.10, <4"
dependencies = [
    "requests>=2.31",  # HTTP
    'pydantic[email]~=2.5',
    "tomli; python_version < '3.11'",
]
dynamic = ["readme"]

[project.optional-dependencies]
Postgres_Driver = ["psycopg[binary]>=3.1"]
docs = []

[dependency-groups]
test = ["pytest>=8", "coverage[toml]"]
lint = ["ruff==0.4.4"]
dev = [{include-group = "test"}, {include-group = "LINT"}, "ipython"]

[tool.paved]
index-url = "https://pypi.acme.com/simple/"
extra-index-url = ["https://mirror.acme.com/simple/"]
find-links = ["./wheels"]
environments = ["sys_platform == 'linux'", "sys_platform == 'darwin'"]
python = "3.12"
offline = false
cache-dir = ".cache/paved"
keyring-provider = "subprocess"
timeout = 2.5
colour = "blue"

[tool.ruff]
line-length = 100
`;

describe('parsePyproject', () => {
  it('reads a real-world pyproject.toml: project, extras, groups with includes, build system, tool.paved', () => {
    const file = parsePyproject(REAL_WORLD, '/srv/app/pyproject.toml');
    assert.ok(file.project !== null);
    assert.equal(file.project.name, 'Acme_Billing.Service');
    assert.equal(file.project.normalizedName, 'acme-billing-service');
    assert.equal(file.project.version, '2.3.0');
    assert.equal(file.project.requiresPython, '>=3.10, <4');
    assert.deepEqual(file.project.dependencies, ['requests>=2.31', 'pydantic[email]~=2.5', "tomli; python_version < '3.11'"]);
    assert.deepEqual(file.project.optionalDependencies, { 'postgres-driver': ['psycopg[binary]>=3.1'], docs: [] });
    assert.deepEqual(file.project.dynamic, ['readme']);
    assert.deepEqual(file.expandedGroups, {
      test: ['pytest>=8', 'coverage[toml]'],
      lint: ['ruff==0.4.4'],
      dev: ['pytest>=8', 'coverage[toml]', 'ruff==0.4.4', 'ipython'],
    });
    assert.deepEqual(file.dependencyGroups['dev']?.[1], { kind: 'include', group: 'lint' });
    assert.deepEqual(file.defaultGroups, ['dev'], 'a dev group is installed by default, as uv does');
    assert.deepEqual(file.buildSystem, { requires: ['hatchling>=1.18'], buildBackend: 'hatchling.build', backendPath: [] });
    assert.equal(file.paved.indexUrl, 'https://pypi.acme.com/simple/');
    assert.deepEqual(file.paved.extraIndexUrls, ['https://mirror.acme.com/simple/']);
    assert.deepEqual(file.paved.findLinks, ['./wheels']);
    assert.deepEqual(file.paved.environments, ["sys_platform == 'linux'", "sys_platform == 'darwin'"]);
    assert.equal(file.paved.python, '3.12');
    assert.equal(file.paved.offline, false);
    assert.equal(file.paved.cacheDir, '.cache/paved');
    assert.equal(file.paved.keyringProvider, 'subprocess');
    assert.equal(file.paved.timeoutMs, 2500);
    assert.deepEqual(file.warnings, ['/srv/app/pyproject.toml: unknown key tool.paved.colour (ignored)']);
  });

  it('accepts a file without [project] (virtual project) and one with nothing at all', () => {
    const virtual = parsePyproject('[dependency-groups]\ndocs = ["mkdocs"]\n');
    assert.equal(virtual.project, null);
    assert.deepEqual(virtual.defaultGroups, [], 'no dev group: nothing by default');
    const empty = parsePyproject('');
    assert.equal(empty.project, null);
    assert.equal(empty.buildSystem, null);
    assert.deepEqual(empty.paved.extraIndexUrls, []);
  });

  it('version may be absent or dynamic, but not both set and dynamic', () => {
    assert.equal(parsePyproject('[project]\nname = "a"\ndynamic = ["version"]\n').project?.version, null);
    assert.equal(parsePyproject('[project]\nname = "a"\n').project?.version, null);
    assertPavedError(() => parsePyproject('[project]\nname = "a"\nversion = "1"\ndynamic = ["version"]\n'), 'PAVED_E_INVALID_PYPROJECT', 'project.version', 'dynamic');
  });

  it('[[tool.paved.index]] entries with a default; default-groups as a list or "all"', () => {
    const file = parsePyproject(`
[dependency-groups]
dev = ["pytest"]
docs = ["sphinx"]
[tool.paved]
default-groups = ["Docs"]
[[tool.paved.index]]
name = "internal"
url = "https://pypi.acme.com/simple/"
default = true
[[tool.paved.index]]
name = "torch"
url = "https://download.pytorch.org/whl/cpu"
`);
    assert.deepEqual(file.paved.indexes, [
      { name: 'internal', url: 'https://pypi.acme.com/simple/', default: true },
      { name: 'torch', url: 'https://download.pytorch.org/whl/cpu', default: false },
    ]);
    assert.deepEqual(file.defaultGroups, ['docs']);
    assert.deepEqual(parsePyproject('[dependency-groups]\na = []\nb = []\n[tool.paved]\ndefault-groups = "all"\n').defaultGroups, ['a', 'b']);
  });

  const invalid: [string, string, string[]][] = [
    ['TOML syntax error with line and column', '[project]\nname = "a"\ndependencies = ["x",\n', ['line', 'column', 'not valid TOML']],
    ['duplicate key', '[project]\nname = "a"\nname = "b"\n', ['not valid TOML', 'line 3']],
    ['project is not a table', 'project = 3\n', ['project must be a table']],
    ['missing name', '[project]\nversion = "1.0"\n', ['project.name is missing']],
    ['bad name', '[project]\nname = "-bad-"\n', ['project.name', 'not a valid project name']],
    ['dynamic name', '[project]\nname = "a"\ndynamic = ["name"]\n', ['project.dynamic']],
    ['bad version', '[project]\nname = "a"\nversion = "one"\n', ['project.version', 'PEP 440']],
    ['bad requires-python', '[project]\nname = "a"\nrequires-python = ">=3.x"\n', ['project.requires-python']],
    ['requires-python not a string', '[project]\nname = "a"\nrequires-python = 3.10\n', ['project.requires-python must be a string']],
    ['bad dependency, named by index', '[project]\nname = "a"\ndependencies = ["ok", "also-ok", "x", "requests >= "]\n', ['project.dependencies[3]', 'not a valid requirement']],
    ['dependency not a string', '[project]\nname = "a"\ndependencies = ["ok", 3]\n', ['project.dependencies[1] must be a string']],
    ['dependencies not an array', '[project]\nname = "a"\ndependencies = "requests"\n', ['project.dependencies must be an array']],
    ['bad extra name', '[project]\nname = "a"\n[project.optional-dependencies]\n"a b" = []\n', ['optional-dependencies.a b', 'invalid extra name']],
    ['extras equal after PEP 685', '[project]\nname = "a"\n[project.optional-dependencies]\nfoo_bar = []\n"Foo.Bar" = []\n', ['same extra']],
    ['bad requirement in an extra', '[project]\nname = "a"\n[project.optional-dependencies]\npg = ["psycopg[", "x"]\n', ['project.optional-dependencies.pg[0]']],
    ['unknown include-group', '[dependency-groups]\ndev = [{include-group = "tests"}]\ntest = []\n', ['dependency-groups.dev', '"tests"', 'does not exist']],
    ['include cycle', '[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "C"}]\nc = [{include-group = "a"}]\n', ['includes itself', 'a → b → c → a']],
    ['self include', '[dependency-groups]\na = [{include-group = "a"}]\n', ['includes itself']],
    ['group table with other keys', '[dependency-groups]\na = [{include-group = "b", extra = 1}]\nb = []\n', ['dependency-groups.a[0]']],
    ['group item a number', '[dependency-groups]\na = [1]\n', ['dependency-groups.a[0]']],
    ['duplicate groups after normalisation', '[dependency-groups]\nTest = []\ntest = []\n', ['same group']],
    ['bad requirement in a group', '[dependency-groups]\ndev = ["pytest", "py test"]\n', ['dependency-groups.dev[1]']],
    ['build-system requires', '[build-system]\nrequires = ["setuptools>="]\n', ['build-system.requires[0]']],
    ['bad environment marker', '[tool.paved]\nenvironments = ["sys_platform = \'linux\'"]\n', ['tool.paved.environments[0]', 'not a valid marker']],
    ['bad index URL', '[tool.paved]\nindex-url = "pypi.acme.com/simple"\n', ['tool.paved.index-url', 'absolute URL']],
    ['index URL of another scheme', '[tool.paved]\nindex-url = "ftp://x/simple"\n', ['tool.paved.index-url', 'http(s) or file']],
    ['index without url', '[[tool.paved.index]]\nname = "x"\n', ['tool.paved.index[0].url is missing']],
    ['two default indexes', '[[tool.paved.index]]\nurl = "https://a/simple"\ndefault = true\n[[tool.paved.index]]\nurl = "https://b/simple"\ndefault = true\n', ['more than one index']],
    ['index-url and a default index', '[tool.paved]\nindex-url = "https://a/simple"\n[[tool.paved.index]]\nurl = "https://b/simple"\ndefault = true\n', ['both name the default']],
    ['offline not a boolean', '[tool.paved]\noffline = "yes"\n', ['tool.paved.offline must be true or false']],
    ['timeout of zero', '[tool.paved]\ntimeout = 0\n', ['tool.paved.timeout must be a positive number of seconds', 'not 0']],
    ['negative timeout', '[tool.paved]\ntimeout = -5\n', ['tool.paved.timeout', 'not -5']],
    ['timeout as a string', '[tool.paved]\ntimeout = "30"\n', ['tool.paved.timeout', 'not "30"']],
    ['timeout longer than a day', '[tool.paved]\ntimeout = 90000\n', ['tool.paved.timeout', 'at most a day']],
    ['timeout not a number', '[tool.paved]\ntimeout = nan\n', ['tool.paved.timeout', 'not NaN']],
    ['unknown keyring provider', '[tool.paved]\nkeyring-provider = "import"\n', ['tool.paved.keyring-provider', '"subprocess"']],
    ['default group that does not exist', '[dependency-groups]\ndev = []\n[tool.paved]\ndefault-groups = ["docs"]\n', ['tool.paved.default-groups[0]', '"docs"']],
    ['tool not a table', 'tool = []\n', ['tool must be a table']],
    ['__proto__ key', '[project]\nname = "a"\n[project.optional-dependencies]\n__proto__ = ["x"]\n', ['not valid TOML']],
  ];
  for (const [title, text, fragments] of invalid) {
    it(`refuses: ${title}`, () => {
      const error = assertPavedError(() => parsePyproject(text, 'app/pyproject.toml'), 'PAVED_E_INVALID_PYPROJECT', 'app/pyproject.toml', ...fragments);
      assert.ok(!error.message.includes('    at '), 'no stack trace in the message');
    });
  }

  it('reports the line and column of a TOML error in details', () => {
    const error = assertPavedError(() => parsePyproject('[project]\nname = "a"\nversion = 1.0.0\n'), 'PAVED_E_INVALID_PYPROJECT');
    assert.equal(error.details?.['line'], 3);
    assert.equal(typeof error.details?.['column'], 'number');
  });

  it('refuses hostile input: oversized text, deep nesting, control characters', () => {
    assertPavedError(() => parsePyproject('#'.repeat(MAX_PYPROJECT_BYTES + 1)), 'PAVED_E_INVALID_PYPROJECT', 'larger than');
    assertPavedError(() => parsePyproject(`x = ${'['.repeat(5000)}${']'.repeat(5000)}\n`), 'PAVED_E_INVALID_PYPROJECT', 'not valid TOML');
    assertPavedError(() => parsePyproject('[project]\nname = "a"\ndependencies = ["req\\u0000uests"]\n'), 'PAVED_E_INVALID_PYPROJECT', 'project.dependencies[0]');
    const long = 'a'.repeat(100_000);
    const error = assertPavedError(() => parsePyproject(`[project]\nname = "${long}"\n`), 'PAVED_E_INVALID_PYPROJECT', 'project.name');
    assert.ok(error.message.length < 500, 'a hostile name is shortened in the message');
  });
});

describe('expandDependencyGroups', () => {
  it('expands a diamond once per group, keeping order', () => {
    const groups = {
      base: [{ kind: 'requirement' as const, requirement: 'a' }],
      left: [{ kind: 'include' as const, group: 'base' }, { kind: 'requirement' as const, requirement: 'b' }],
      right: [{ kind: 'include' as const, group: 'base' }],
      all: [{ kind: 'include' as const, group: 'left' }, { kind: 'include' as const, group: 'right' }],
    };
    assert.deepEqual(expandDependencyGroups(groups)['all'], ['a', 'b', 'a']);
  });
});

describe('readPyproject and findProjectRoot', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-pyproject-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('reads a file; a missing one is PAVED_E_NO_PROJECT with a hint', async () => {
    await writeFile(join(work, 'pyproject.toml'), '[project]\nname = "demo"\nversion = "0.1.0"\n');
    assert.equal((await readPyproject(join(work, 'pyproject.toml'))).project?.name, 'demo');
    await assert.rejects(readPyproject(join(work, 'nowhere', 'pyproject.toml')), (error: unknown) => {
      assert.ok(isPavedError(error, 'PAVED_E_NO_PROJECT'));
      assert.match(error.message, /nowhere/);
      assert.match(error.hint ?? '', /\[project\] table/);
      return true;
    });
  });

  it('refuses a file that is not UTF-8, a directory, and an oversized file', async () => {
    const latin1 = join(work, 'latin1.toml');
    await writeFile(latin1, Buffer.from('[project]\nname = "caf\xe9"\n', 'latin1'));
    await assert.rejects(readPyproject(latin1), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_PYPROJECT') && /not UTF-8/.test(error.message));
    const dir = join(work, 'dir.toml');
    await mkdir(dir);
    await assert.rejects(readPyproject(dir), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_PYPROJECT') && /directory/.test(error.hint ?? ''));
    const big = join(work, 'big.toml');
    await writeFile(big, Buffer.alloc(MAX_PYPROJECT_BYTES + 1, 0x23));
    await assert.rejects(readPyproject(big), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_PYPROJECT') && /larger than/.test(error.message));
  });

  it('a UTF-8 byte-order mark is accepted', async () => {
    const bom = join(work, 'bom.toml');
    await writeFile(bom, '\uFEFF[project]\nname = "bom"\n');
    assert.equal((await readPyproject(bom)).project?.name, 'bom');
  });

  it('findProjectRoot walks up to the nearest pyproject.toml, null when none', async () => {
    const root = join(work, 'walk');
    await mkdir(join(root, 'app', 'src', 'pkg'), { recursive: true });
    await writeFile(join(root, 'app', 'pyproject.toml'), '[project]\nname = "app"\n');
    assert.equal(await findProjectRoot(join(root, 'app', 'src', 'pkg')), join(root, 'app'));
    assert.equal(await findProjectRoot(join(root, 'app')), join(root, 'app'));
    // A directory named pyproject.toml is not a project.
    await mkdir(join(root, 'odd', 'pyproject.toml'), { recursive: true });
    const fromOdd = await findProjectRoot(join(root, 'odd'));
    assert.notEqual(fromOdd, join(root, 'odd'));
    assert.equal(await findProjectRoot('/'), null);
  });
});
