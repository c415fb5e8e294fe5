/**
 * `paved lock`, `sync`, `add`, `remove`, `tree`, `export` and `run` as a user runs them: the
 * real CLI as a child process on a project folder, against a live paved server holding the
 * corpus, judged by importing what was installed and by the machine's own pip.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parsePylock } from '../../src/project/pylock.js';
import { HISTORY } from '../fixtures/corpus.js';
import { createVenv, describeRun, isolatedPipEnv, run, type RunResult } from '../fixtures/pythonTools.js';
import { importFolders, startCorpusWorkspace, startTestServer, startWheelsWorkspace, type CorpusWorkspace, type TestServer } from '../fixtures/testServer.js';
import { jsonEvents, jsonResult, paved } from './pavedCli.js';

function machinePip(venvPython: string, args: string[]): Promise<RunResult> {
  return run('python3', ['-m', 'pip', '--python', venvPython, '--disable-pip-version-check', ...args], { env: isolatedPipEnv(), timeoutMs: 60_000 });
}

async function installedNames(venv: string): Promise<string[]> {
  const lib = join(venv, 'lib');
  const [pythonDir] = await readdir(lib);
  const entries = await readdir(join(lib, pythonDir as string, 'site-packages'));
  return entries
    .filter((e) => e.endsWith('.dist-info'))
    .map((e) => (e.slice(0, -'.dist-info'.length).split('-')[0] as string).toLowerCase().replace(/[-_.]+/g, '-'))
    .sort();
}

async function writeProject(dir: string, pyproject: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'pyproject.toml'), pyproject);
}

describe('paved lock / sync on a project', () => {
  let work: string;
  let index: string;
  let cache: string;
  let workspace: CorpusWorkspace;

  before(async () => {
    workspace = await startCorpusWorkspace('paved-lock-e2e-');
    ({ index, work, cache } = workspace);
  });
  after(async () => {
    await workspace?.close();
  });

  const PYPROJECT = `[project]
name = "webapp"
version = "1.0"
requires-python = ">=3.11"
# Everything the service needs at run time.
dependencies = [
    "flask",
    "fastapi",
    "httpx",
    "rich",
    "sqlalchemy",
    "twisted",  # the old event loop, still used by the scheduler
]

[dependency-groups]
dev = ["pytest", "black"]

[tool.paved]
environments = ["sys_platform == 'linux'"]
python = "3.11"  # the corpus's compiled wheels are cp311
`;

  it('locks the corpus project, syncs it exactly, re-locks byte-identically, and removes what a removed dependency brought', { timeout: 240_000 }, async () => {
    const project = join(work, 'webapp');
    await writeProject(project, PYPROJECT);
    const env = { PAVED_INDEX_URL: index, PAVED_CACHE_DIR: cache };

    const locked = await paved(['lock', '--project', project, '--json'], { env });
    assert.equal(locked.code, 0, describeRun(locked));
    const lockResult = jsonResult<{ packages: number; changed: boolean; forks: string[] }>(locked);
    assert.equal(lockResult.packages, 43);
    assert.equal(lockResult.changed, true);
    const text = await readFile(join(project, 'pylock.toml'), 'utf8');
    const { lock } = parsePylock(text);
    const byName = new Map(lock.packages.map((p) => [p.name, p]));
    assert.equal(byName.get('pytest')?.marker, '"dev" in dependency_groups');
    assert.equal(byName.get('flask')?.marker, null);
    for (const p of lock.packages) {
      assert.equal(p.wheels.length, 1, p.name);
      assert.match(p.wheels[0]?.hashes['sha256'] ?? '', /^[0-9a-f]{64}$/);
      assert.equal(p.index, index);
    }

    // Re-locking with nothing changed writes the same bytes, and --check agrees.
    const again = await paved(['lock', '--project', project, '--json'], { env });
    assert.equal(again.code, 0, describeRun(again));
    assert.equal(jsonResult<{ changed: boolean }>(again).changed, false);
    assert.equal(await readFile(join(project, 'pylock.toml'), 'utf8'), text);
    assert.equal((await paved(['lock', '--check', '--project', project], { env })).code, 0);

    const synced = await paved(['sync', '--frozen', '--project', project, '--json'], { env });
    assert.equal(synced.code, 0, describeRun(synced));
    const syncResult = jsonResult<{ install: { name: string }[]; remove: unknown[]; python: string }>(synced);
    assert.equal(syncResult.install.length, 43);
    assert.match(syncResult.python, /^3\.11\./);
    const python = join(project, '.venv', 'bin', 'python');
    const imported = await run(python, ['-c', 'import flask, fastapi, httpx, rich, sqlalchemy, twisted, pytest, black; print("ok")']);
    assert.equal(imported.stdout.trim(), 'ok', describeRun(imported));
    const check = await machinePip(python, ['check']);
    assert.equal(check.code, 0, describeRun(check));

    // Without the dev group, sync takes pytest and black (and what only they need) away.
    const noDev = await paved(['sync', '--frozen', '--no-default-groups', '--project', project, '--json'], { env });
    assert.equal(noDev.code, 0, describeRun(noDev));
    const removedNames = jsonResult<{ remove: { name: string }[] }>(noDev).remove.map((r) => r.name.toLowerCase());
    for (const name of ['pytest', 'black', 'pluggy', 'iniconfig']) assert.ok(removedNames.includes(name), `${name} removed: ${removedNames.join(',')}`);
    // Back with the dev group: what sync says it did, for a person.
    const withDev = await paved(['sync', '--frozen', '--project', project], { env });
    assert.equal(withDev.code, 0, describeRun(withDev));
    assert.match(withDev.stdout, /^ {2}\+ pytest /m);
    assert.match(withDev.stdout, /^\d+ unchanged; 0 downloaded, the rest from the cache$/m);

    // `paved remove` edits pyproject.toml in place (the comment on twisted's line goes with it) and sync removes twisted and what only it needed.
    const removed = await paved(['remove', 'twisted', '--project', project, '--json'], { env });
    assert.equal(removed.code, 0, describeRun(removed));
    const edited = await readFile(join(project, 'pyproject.toml'), 'utf8');
    assert.doesNotMatch(edited, /"twisted"/);
    assert.match(edited, /# Everything the service needs at run time\./);
    const names = await installedNames(join(project, '.venv'));
    for (const gone of ['twisted', 'automat', 'constantly', 'hyperlink', 'incremental', 'zope-interface']) assert.ok(!names.includes(gone), `${gone} still installed`);
    assert.ok(names.includes('flask') && names.includes('pytest'));
    const afterCheck = await machinePip(python, ['check']);
    assert.equal(afterCheck.code, 0, describeRun(afterCheck));

    // A lock made from today's pyproject.toml is used as it is: no index needed.
    const offline = await paved(['sync', '--project', project], { env: { ...env, PAVED_INDEX_URL: 'http://127.0.0.1:9/simple/' } });
    assert.equal(offline.code, 0, describeRun(offline));
    assert.match(offline.stdout, /already matches the lock/);

    // The tree starts from the project's requirements; --invert answers "why is this here".
    const tree = await paved(['tree', '--frozen', '--project', project], { env });
    assert.equal(tree.code, 0, describeRun(tree));
    assert.match(tree.stdout, /├── fastapi 0\.142\.2\n│   ├── annotated-doc/);
    const inverted = await paved(['tree', '--frozen', '--invert', '--project', project], { env });
    assert.match(inverted.stdout, /├── markupsafe 3\.0\.3\n│   ├── flask 3\.1\.3 \(\*\)\n│   ├── jinja2 3\.1\.6 \(\*\)\n│   └── werkzeug 3\.1\.9\n│       └── flask 3\.1\.3 \(\*\)/);

    // `paved run` runs in the synced environment.
    const ran = await paved(['run', '--frozen', '--project', project, '--', 'python', '-c', 'import sys, flask; print(sys.prefix)'], { env });
    assert.equal(ran.code, 0, describeRun(ran));
    assert.equal(ran.stdout.trim().split('\n').at(-1), join(project, '.venv'));
  });

  it('sync --frozen refuses a lock that pyproject.toml no longer matches, and a lock whose hash was changed installs nothing', { timeout: 120_000 }, async () => {
    const project = join(work, 'small');
    await writeProject(project, `[project]\nname = "small"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["rich"]\n\n[tool.paved]\npython = "3.11"\n`);
    const env = { PAVED_INDEX_URL: index, PAVED_CACHE_DIR: join(work, 'cache-small') };
    assert.equal((await paved(['lock', '--project', project], { env })).code, 0);

    // With --frozen, tree and export read the lock alone: no index is configured here.
    const noIndex = { PAVED_CACHE_DIR: join(work, 'cache-small') };
    const tree = await paved(['tree', '--frozen', '--no-config', '--project', project], { env: noIndex });
    assert.equal(tree.code, 0, describeRun(tree));
    assert.match(tree.stdout, /└── rich 15\.0\.0\n    ├── markdown-it-py 4\.2\.0/);
    const exported = join(work, 'small-requirements.txt');
    const exportRun = await paved(['export', '--frozen', '--no-config', '--project', project, '-o', exported], { env: noIndex });
    assert.equal(exportRun.code, 0, describeRun(exportRun));
    // Real pip accepts the export as a fully hashed requirements file.
    const pipVenv = await createVenv(join(work, 'pip-venv'));
    const pipInstall = await pipVenv.pip(['install', '--require-hashes', '--no-deps', '-r', exported, '--index-url', index]);
    assert.equal(pipInstall.code, 0, describeRun(pipInstall));
    assert.match(pipInstall.stdout, /Successfully installed .*rich-15\.0\.0/);
    assert.equal((await pipVenv.python3(['-c', 'import rich, markdown_it, pygments, mdurl; print("ok")'])).stdout.trim(), 'ok');
    await writeFile(join(project, 'pyproject.toml'), `[project]\nname = "small"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["rich", "click"]\n\n[tool.paved]\npython = "3.11"\n`);
    const frozen = await paved(['sync', '--frozen', '--project', project], { env });
    assert.equal(frozen.code, 1, describeRun(frozen));
    assert.match(frozen.stderr, /does not match pyproject\.toml/);
    assert.match(frozen.stderr, /dependencies: \+ click/);
    assert.equal(existsSync(join(project, '.venv')), false);

    // Tamper with one hash: the download is refused and no environment appears.
    await writeFile(join(project, 'pyproject.toml'), `[project]\nname = "small"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["rich"]\n\n[tool.paved]\npython = "3.11"\n`);
    const lockPath = join(project, 'pylock.toml');
    const original = await readFile(lockPath, 'utf8');
    const digest = /sha256 = "([0-9a-f]{64})"/.exec(original)?.[1] as string;
    await writeFile(lockPath, original.replace(`sha256 = "${digest}"`, `sha256 = "${digest.replace(/^./, (c) => (c === '0' ? '1' : '0'))}"`));
    const tampered = await paved(['sync', '--frozen', '--project', project], { env });
    assert.equal(tampered.code, 1, describeRun(tampered));
    assert.match(tampered.stderr, /sha256/);
    assert.equal(existsSync(join(project, '.venv', 'lib')), false);
  });

  it('a malformed pyproject.toml and an index answering garbage are clear errors', { timeout: 60_000 }, async () => {
    const project = join(work, 'broken');
    await writeProject(project, '[project]\nname = "broken"\ndependencies = ["flask",\n');
    const r = await paved(['lock', '--project', project], { env: { PAVED_INDEX_URL: index } });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, /pyproject\.toml/);
    assert.match(r.stderr, /line \d+/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);

    const garbage: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body><a href="../../../../etc/passwd">flask-9.9-py3-none-any.whl</a><a href="javascript:alert(1)">x</a>\u0000\u00ff<<<</body>');
    });
    await new Promise<void>((resolveListen) => garbage.listen(0, '127.0.0.1', resolveListen));
    try {
      const port = (garbage.address() as AddressInfo).port;
      await writeProject(project, '[project]\nname = "broken"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["flask"]\n');
      const g = await paved(['lock', '--project', project, '--index-url', `http://127.0.0.1:${port}/simple/`, '--cache-dir', join(work, 'cache-garbage')]);
      assert.equal(g.code, 1, describeRun(g));
      assert.match(g.stderr, /^error: /m);
      assert.doesNotMatch(g.stderr, /\n\s+at /);
      assert.equal(existsSync(join(project, 'pylock.toml')), false);
    } finally {
      await new Promise((resolveClose) => garbage.close(resolveClose));
    }
  });
});

describe('a universal lock synced on two Pythons', () => {
  let workspace: Awaited<ReturnType<typeof startWheelsWorkspace>>;
  let server: TestServer;
  let work: string;

  before(async () => {
    workspace = await startWheelsWorkspace('paved-universal-', [
      ['app', '1.0', { requiresDist: ['backport>=1; python_version < "3.11"', 'winonly; sys_platform == "win32"', 'lib'], requiresPython: '>=3.8' }],
      ['backport', '1.2', { requiresPython: '>=3.8' }],
      ['winonly', '1.0'],
      ['lib', '1.0', { requiresPython: '>=3.9' }],
      ['lib', '2.0', { requiresPython: '>=3.10' }],
    ]);
    ({ server, work } = workspace);
  });
  after(() => workspace?.close());

  it('locks requires-python >=3.9 once, with markers, forking where one pin cannot serve all, and syncs on 3.9 and 3.12', { timeout: 180_000 }, async () => {
    const project = join(work, 'proj');
    await writeProject(project, `[project]\nname = "proj"\nversion = "1"\nrequires-python = ">=3.9"\ndependencies = [\n  "app",\n  "lib>=2; python_version >= '3.10'",\n]\n`);
    const env = { PAVED_INDEX_URL: `${server.url}/simple/`, PAVED_CACHE_DIR: join(work, 'cache') };
    const locked = await paved(['lock', '--project', project, '--json'], { env });
    assert.equal(locked.code, 0, describeRun(locked));
    const { lock } = parsePylock(await readFile(join(project, 'pylock.toml'), 'utf8'));
    const entries = lock.packages.map((p) => `${p.name} ${p.version} ${p.marker ?? '*'}`);
    assert.deepEqual(entries, [
      'app 1.0 *',
      'backport 1.2 python_version < "3.11"',
      'lib 1.0 python_version < "3.10"',
      'lib 2.0 python_version >= "3.10"',
      'winonly 1.0 sys_platform == "win32"',
    ]);

    const expected: Record<string, string[]> = { '3.9': ['app', 'backport', 'lib==1.0'], '3.12': ['app', 'lib==2.0'] };
    const venv = join(project, '.venv');
    for (const [python, wanted] of Object.entries(expected)) {
      // The 3.9 environment is not removed by hand: asking for 3.12 makes sync replace it.
      const synced = await paved(['sync', '--frozen', '--python', python, '--project', project, '--json'], { env });
      assert.equal(synced.code, 0, describeRun(synced));
      assert.match(jsonResult<{ python: string }>(synced).python, new RegExp(`^${python.replace('.', '\\.')}\\.`));
      const replaced = jsonEvents(synced.stdout).filter((e) => e.type === 'info' && e['venvReplaced'] !== undefined);
      assert.equal(replaced.length, python === '3.12' ? 1 : 0, synced.stdout);
      if (python === '3.12') assert.match((replaced[0]?.['venvReplaced'] as { reason: string }).reason, /it is Python 3\.9\.\d+, not 3\.12/);
      const listed = await run(join(venv, 'bin', 'python'), ['-c', 'import importlib.metadata as m; print(" ".join(sorted(d.metadata["Name"] + "==" + d.version for d in m.distributions())))']);
      const have = listed.stdout.trim().split(' ');
      for (const w of wanted) {
        const [name, version] = w.split('==') as [string, string | undefined];
        assert.ok(have.some((h) => h.startsWith(`${name}==`) && (version === undefined || h === `${name}==${version}`)), `${w} on ${python}: ${have.join(' ')}`);
      }
      assert.ok(!have.some((h) => h.startsWith('winonly')), `winonly on ${python}`);
      if (python === '3.12') assert.ok(!have.some((h) => h.startsWith('backport')), 'backport on 3.12');
    }

    // Asking again for the Python it has changes nothing; a pip-style install asking for another is refused, not ignored.
    const same = await paved(['sync', '--frozen', '--python', '3.12', '--project', project, '--json'], { env });
    assert.equal(same.code, 0, describeRun(same));
    assert.ok(!jsonEvents(same.stdout).some((e) => e['venvReplaced'] !== undefined), same.stdout);
    const refused = await paved(['install', 'lib', '--python', '3.9', '--target-venv', venv, '--json'], { env });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout, /PAVED_E_INTERPRETER_MISMATCH/);

    // The project raises requires-python above the environment's Python: the next sync (no --python) makes it again.
    const back = await paved(['sync', '--frozen', '--python', '3.9', '--project', project], { env });
    assert.equal(back.code, 0, describeRun(back));
    await writeProject(project, `[project]\nname = "proj"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["app", "lib>=2"]\n`);
    const relocked = await paved(['lock', '--project', project], { env });
    assert.equal(relocked.code, 0, describeRun(relocked));
    const raised = await paved(['sync', '--frozen', '--project', project], { env });
    assert.equal(raised.code, 0, describeRun(raised));
    assert.match(raised.stdout, /replacing \S*\.venv \(its Python 3\.9\.\d+ is outside the lock's requires-python >=3\.11\) with one on Python 3\.1[1-9]/);
    const version = await run(join(venv, 'bin', 'python'), ['-c', 'import sys; print(sys.version_info >= (3, 11))']);
    assert.equal(version.stdout.trim(), 'True', describeRun(version));

    // With no index configured at all, a frozen sync fetches what the lock names from the lock's own URLs.
    await rm(venv, { recursive: true, force: true });
    const lockOnly = await paved(['sync', '--frozen', '--project', project], { env: { PAVED_CACHE_DIR: join(work, 'cache-lock-only') } });
    assert.equal(lockOnly.code, 0, describeRun(lockOnly));
    assert.equal((await run(join(venv, 'bin', 'python'), ['-c', 'import importlib.metadata as m; print(m.version("lib"))'])).stdout.trim(), '2.0');
  });
});

describe('required-environments: a lock that must install on platforms it was not made on', () => {
  let workspace: Awaited<ReturnType<typeof startWheelsWorkspace>>;

  before(async () => {
    // native 2.0 dropped its Windows wheel; gui has only a Linux wheel but is needed on Linux only.
    workspace = await startWheelsWorkspace('paved-required-env-', [
      ['app', '1.0', { requiresDist: ['native', 'gui; sys_platform == "linux"'] }],
      ['native', '1.0', {}, 'cp311-abi3-manylinux_2_17_x86_64'],
      ['native', '1.0', {}, 'cp311-abi3-win_amd64'],
      ['native', '2.0', {}, 'cp311-abi3-manylinux_2_17_x86_64'],
      ['gui', '1.0', {}, 'cp311-abi3-manylinux_2_17_x86_64'],
    ]);
  });
  after(() => workspace?.close());

  it('locks the newest release with a wheel for each required environment, syncs it here, and explains what cannot be', { timeout: 180_000 }, async () => {
    const project = join(workspace.work, 'proj');
    const pyproject = (tool: string): string => `[project]\nname = "proj"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["app"]\n${tool}`;
    await writeProject(project, pyproject(''));
    const env = { PAVED_INDEX_URL: `${workspace.server.url}/simple/`, PAVED_CACHE_DIR: join(workspace.work, 'cache'), PAVED_PYTHON: '3.11' };
    const versions = async (): Promise<string[]> => parsePylock(await readFile(join(project, 'pylock.toml'), 'utf8')).lock.packages.map((p) => `${p.name} ${p.version ?? ''}`);

    assert.equal((await paved(['lock', '--project', project], { env })).code, 0);
    assert.deepEqual(await versions(), ['app 1.0', 'gui 1.0', 'native 2.0']);

    await writeProject(project, pyproject(`\n[tool.paved]\nrequired-environments = ["sys_platform == 'win32' and platform_machine == 'AMD64'"]\n`));
    const stale = await paved(['sync', '--frozen', '--project', project], { env });
    assert.equal(stale.code, 1, describeRun(stale));
    assert.match(stale.stderr, /required-environments changed/);

    const locked = await paved(['lock', '--project', project], { env });
    assert.equal(locked.code, 0, describeRun(locked));
    assert.match(locked.stdout, /native 2\.0: left out, no wheel for the required environment sys_platform == 'win32' and platform_machine == 'AMD64'/);
    // The previous pin gives way; gui stays, as nothing needs it on Windows.
    assert.deepEqual(await versions(), ['app 1.0', 'gui 1.0', 'native 1.0']);
    const synced = await paved(['sync', '--frozen', '--project', project], { env });
    assert.equal(synced.code, 0, describeRun(synced));
    const installed = await run(join(project, '.venv', 'bin', 'python'), ['-c', 'import importlib.metadata as m; print(m.version("native"), m.version("gui"))']);
    assert.equal(installed.stdout.trim(), '1.0 1.0', describeRun(installed));

    await writeProject(project, pyproject(`\n[tool.paved]\nrequired-environments = ["sys_platform == 'darwin'"]\n`));
    const impossible = await paved(['lock', '--project', project], { env });
    assert.equal(impossible.code, 1, describeRun(impossible));
    assert.match(impossible.stderr, /Left out, because they have no wheel for a required environment \(\[tool\.paved\] required-environments\): native 2\.0, 1\.0 \(sys_platform == 'darwin'\)/);
    assert.deepEqual(await versions(), ['app 1.0', 'gui 1.0', 'native 1.0'], 'the old lock is left as it was');

    await writeProject(project, pyproject(`\n[tool.paved]\nrequired-environments = ["sys_platform =="]\n`));
    const bad = await paved(['lock', '--project', project], { env });
    assert.notEqual(bad.code, 0, describeRun(bad));
    assert.match(bad.stderr, /required-environments\[0\] is not a valid marker/);
  });
});

describe('locking from the history corpus', () => {
  let server: TestServer;
  let work: string;

  before(async () => {
    server = await startTestServer();
    await importFolders(server, [HISTORY]);
    await server.listen();
    work = await mkdtemp(join(tmpdir(), 'paved-history-'));
  });
  after(async () => {
    await server?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('picks the newest versions the ranges allow, and explains an impossible set', { timeout: 60_000 }, async () => {
    const project = join(work, 'tools');
    await writeProject(project, `[project]\nname = "tools"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["pip>=22,<24", "setuptools<66", "wheel"]\n`);
    const env = { PAVED_INDEX_URL: `${server.url}/simple/`, PAVED_CACHE_DIR: join(work, 'cache') };
    const ok = await paved(['lock', '--project', project], { env });
    assert.equal(ok.code, 0, describeRun(ok));
    const { lock } = parsePylock(await readFile(join(project, 'pylock.toml'), 'utf8'));
    assert.deepEqual(lock.packages.map((p) => `${p.name}==${p.version}`), ['pip==23.2.1', 'setuptools==65.5.0', 'wheel==0.43.0']);

    await writeProject(project, `[project]\nname = "tools"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["pip>=25", "setuptools<66"]\n`);
    const bad = await paved(['lock', '--project', project], { env });
    assert.equal(bad.code, 1, describeRun(bad));
    assert.match(bad.stderr, /pip>=25/);
    assert.match(bad.stderr, /version solving failed/);
    // The old lock is left as it was.
    assert.deepEqual(parsePylock(await readFile(join(project, 'pylock.toml'), 'utf8')).lock.packages.length, 3);
  });

  it('names a dependency no index has (a misspelt name) and says what to do', { timeout: 60_000 }, async () => {
    const project = join(work, 'misspelt');
    await writeProject(project, `[project]\nname = "misspelt"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["wheel", "setuptoolz"]\n`);
    const env = { PAVED_INDEX_URL: `${server.url}/simple/`, PAVED_CACHE_DIR: join(work, 'cache') };
    const r = await paved(['lock', '--project', project], { env });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, /setuptoolz is not on any index/);
    assert.match(r.stderr, /hint: Check the spelling of setuptoolz/);
    // Scripts get the same facts in the --json error line's details.
    const json = await paved(['--json', 'lock', '--project', project], { env });
    const error = jsonEvents(json.stdout).find((e) => e.type === 'error') as { code?: string; details?: { notFound?: string[]; packages?: string[] } } | undefined;
    assert.equal(error?.code, 'PAVED_E_NO_SOLUTION', json.stdout);
    assert.deepEqual(error?.details?.notFound, ['setuptoolz']);
    assert.ok(error?.details?.packages?.includes('setuptoolz'), json.stdout);
  });
});

describe('sync picks a Python the lock has wheels for', () => {
  let workspace: Awaited<ReturnType<typeof startWheelsWorkspace>>;

  before(async () => {
    // native has a wheel for CPython 3.11 only (an in-house extension built for production's Python).
    workspace = await startWheelsWorkspace('paved-lock-fit-', [
      ['app', '1.0', { requiresDist: ['native'] }],
      ['native', '1.0', {}, 'cp311-cp311-manylinux_2_17_x86_64'],
    ]);
  });
  after(() => workspace?.close());

  it('makes .venv with the newest Python every locked package has a wheel for, not simply the newest Python', { timeout: 120_000 }, async () => {
    const project = join(workspace.work, 'fit');
    await writeProject(project, `[project]\nname = "fit"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["app"]\n`);
    const env = { PAVED_INDEX_URL: `${workspace.server.url}/simple/`, PAVED_CACHE_DIR: join(workspace.work, 'cache') };
    const locked = await paved(['lock', '--project', project], { env });
    assert.equal(locked.code, 0, describeRun(locked));
    const synced = await paved(['sync', '--frozen', '--project', project, '--json'], { env });
    assert.equal(synced.code, 0, describeRun(synced));
    assert.match(jsonResult<{ python: string }>(synced).python, /^3\.11\./);
    const imported = await run(join(project, '.venv', 'bin', 'python'), ['-c', 'import importlib.metadata as m; print(m.version("native"))']);
    assert.equal(imported.stdout.trim(), '1.0', describeRun(imported));
    // Asked for by name, another Python still gets the lock's own explanation.
    const asked = await paved(['sync', '--frozen', '--python', '3.12', '--project', project], { env });
    assert.equal(asked.code, 1, describeRun(asked));
    assert.match(asked.stderr, /native 1\.0 has no wheel for this interpreter/);
  });
});
