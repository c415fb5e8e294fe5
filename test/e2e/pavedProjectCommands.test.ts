/**
 * `paved tree`, `run`, `add` and `remove` details a user notices: a forked lock's tree, --invert
 * and --depth as uv counts it, arguments after the program going to the program, --json output of
 * `run` kept off the program's stdout, and which list `add`/`remove` edit and install.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRun, run } from '../fixtures/pythonTools.js';
import { startWheelsWorkspace, type TestServer } from '../fixtures/testServer.js';
import { jsonEvents, jsonResult, paved } from './pavedCli.js';

async function writeProject(dir: string, pyproject: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'pyproject.toml'), pyproject);
}

describe('paved tree / run / add / remove', () => {
  let workspace: Awaited<ReturnType<typeof startWheelsWorkspace>>;
  let server: TestServer;
  let work: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    workspace = await startWheelsWorkspace('paved-project-commands-', [
      ['httpx', '1.0', { requiresDist: ['idna', 'lib'] }],
      ['idna', '3.0'],
      ['lib', '1.0', { requiresPython: '>=3.9' }],
      ['lib', '2.0', { requiresPython: '>=3.10' }],
      ['blinker', '1.0'],
      ['rich', '1.0'],
    ]);
    ({ server, work } = workspace);
    env = { PAVED_INDEX_URL: `${server.url}/simple/`, PAVED_CACHE_DIR: join(work, 'cache') };
  });
  after(() => workspace?.close());

  it('tree shows every entry of a forked lock, --invert lists every package up to the project, --depth counts from the project', { timeout: 120_000 }, async () => {
    const project = join(work, 'forked');
    await writeProject(project, `[project]\nname = "proj"\nversion = "1"\nrequires-python = ">=3.9"\ndependencies = ["httpx", "idna", "lib>=2; python_version >= '3.10'"]\n`);
    const locked = await paved(['lock', '--project', project], { env });
    assert.equal(locked.code, 0, describeRun(locked));
    const tree = await paved(['tree', '--frozen', '--project', project], { env });
    assert.equal(tree.code, 0, describeRun(tree));
    // Both entries of lib under httpx, each with its marker; the project itself asks only for lib>=2.
    assert.equal(
      tree.stdout,
      [
        'proj 1',
        '├── httpx 1.0',
        '│   ├── idna 3.0',
        '│   ├── lib 1.0 ; python_version < "3.10"',
        '│   └── lib 2.0 ; python_version >= "3.10"',
        '├── idna 3.0',
        '└── lib 2.0 ; python_version >= "3.10"',
        '',
      ].join('\n'),
    );

    // Every package, direct dependencies too, each up to the project (idna <- httpx <- proj, and idna <- proj).
    const inverted = await paved(['tree', '--frozen', '--invert', '--project', project], { env });
    assert.equal(inverted.code, 0, describeRun(inverted));
    assert.equal(
      inverted.stdout,
      [
        'proj (inverted: each package, then what needs it)',
        '├── httpx 1.0',
        '│   └── proj 1 (the project)',
        '├── idna 3.0',
        '│   ├── httpx 1.0 (*)',
        '│   └── proj 1 (the project)',
        '├── lib 1.0 ; python_version < "3.10"',
        '│   └── httpx 1.0 (*)',
        '└── lib 2.0 ; python_version >= "3.10"',
        '    ├── httpx 1.0 (*)',
        '    └── proj 1 (the project)',
        '',
      ].join('\n'),
    );

    // --depth as uv counts it: 0 is the project alone, 1 adds what it requires itself.
    const depth = async (n: string, ...more: string[]): Promise<string> => {
      const r = await paved(['tree', '--frozen', '--depth', n, ...more, '--project', project], { env });
      assert.equal(r.code, 0, describeRun(r));
      return r.stdout;
    };
    assert.equal(await depth('0'), 'proj 1\n');
    assert.equal(await depth('1'), 'proj 1\n├── httpx 1.0\n├── idna 3.0\n└── lib 2.0 ; python_version >= "3.10"\n');
    assert.match(await depth('2'), /^├── httpx 1\.0\n│   ├── idna 3\.0\n/m);
    assert.equal(await depth('0', '--invert'), 'proj (inverted: each package, then what needs it)\n├── httpx 1.0\n├── idna 3.0\n├── lib 1.0 ; python_version < "3.10"\n└── lib 2.0 ; python_version >= "3.10"\n');
    const json = jsonResult<{ tree: { name: string; version: string; marker: string | null; children: { name: string; version: string }[] }[] }>(await paved(['--json', 'tree', '--frozen', '--project', project], { env }));
    assert.deepEqual(
      json.tree[0]?.children.map((c) => `${c.name} ${c.version}`),
      ['idna 3.0', 'lib 1.0', 'lib 2.0'],
    );
  });

  it('run passes everything after the program to it, and with --json keeps its stdout for the program', { timeout: 120_000 }, async () => {
    const project = join(work, 'runner');
    await writeProject(project, `[project]\nname = "runner"\nversion = "1"\nrequires-python = ">=3.9"\ndependencies = ["idna"]\n`);
    await writeFile(join(project, 'show.py'), 'import sys\nprint(sys.argv[1:])\nsys.exit(int(sys.argv[1]) if sys.argv[1:] and sys.argv[1].isdigit() else 0)\n');
    // Options after the program are the program's, even ones paved has (--python, --frozen).
    const ran = await paved(['run', '--project', project, 'show.py', '0', '--python', '3.11', '--flag', '--', '-x'], { env, cwd: project });
    assert.equal(ran.code, 0, describeRun(ran));
    assert.equal(ran.stdout, "['0', '--python', '3.11', '--flag', '--', '-x']\n", describeRun(ran));
    // `--` before the program still works, and the program's exit code is paved's.
    const dashed = await paved(['run', '--frozen', '--project', project, '--', 'python', join(project, 'show.py'), '3', '--verbose'], { env });
    assert.equal(dashed.code, 3, describeRun(dashed));
    assert.equal(dashed.stdout, "['3', '--verbose']\n");
    // paved's options before the program are still paved's; a global one after `run` too.
    const json = await paved(['run', '--json', '--frozen', '--project', project, 'python', join(project, 'show.py'), '--json'], { env });
    assert.equal(json.code, 0, describeRun(json));
    // With --json, standard output is the program's alone; paved's NDJSON ends with the result on standard error.
    assert.equal(json.stdout, "['--json']\n");
    const events = jsonEvents(json.stderr);
    assert.deepEqual(events.at(-1), { type: 'result', data: { command: ['python', join(project, 'show.py'), '--json'], exitCode: 0, environment: join(project, '.venv'), sync: 'unchanged' } });
    const failed = await paved(['--json', 'run', '--frozen', '--project', project, 'no-such-program'], { env });
    assert.equal(failed.code, 1);
    assert.equal(failed.stdout, '');
    assert.equal(jsonEvents(failed.stderr).at(-1)?.['code'], 'PAVED_E_RUN_FAILED');
  });

  it('add --optional installs the extra; --dev, --group and --optional together are refused; remove names what is missing', { timeout: 120_000 }, async () => {
    const project = join(work, 'editor');
    const pyproject = `[project]\nname = "editor"\nversion = "1"\nrequires-python = ">=3.9"\ndependencies = ["idna"]\n\n[project.optional-dependencies]\nweb = ["rich"]\n\n[dependency-groups]\ndev = ["httpx"]\n`;
    await writeProject(project, pyproject);
    const installed = async (): Promise<string[]> => {
      const listed = await run(join(project, '.venv', 'bin', 'python'), ['-c', 'import importlib.metadata as m; print(" ".join(sorted(d.metadata["Name"] for d in m.distributions())))']);
      return listed.stdout.trim().split(' ');
    };

    // Two target lists at once: refused before pyproject.toml is touched.
    for (const args of [['add', '--dev', '--optional', 'cli', 'blinker'], ['add', '--group', 'lint', '--dev', 'blinker'], ['add', '--group', 'lint', '--optional', 'web', 'blinker'], ['remove', '--dev', '--optional', 'web', 'rich']]) {
      const refused = await paved(['--json', ...args, '--project', project], { env });
      assert.equal(refused.code, 1, describeRun(refused));
      const error = jsonEvents(refused.stdout).at(-1);
      assert.equal(error?.['code'], 'PAVED_E_INVALID_ARGUMENT', describeRun(refused));
      assert.match(String(error?.['message']), /give only one of --optional, --group and --dev/);
      assert.equal(await readFile(join(project, 'pyproject.toml'), 'utf8'), pyproject);
    }

    // As uv does: the extra that was edited is installed, what it had already included.
    const added = await paved(['add', '--optional', 'web', 'blinker', '--project', project], { env });
    assert.equal(added.code, 0, describeRun(added));
    assert.match(await readFile(join(project, 'pyproject.toml'), 'utf8'), /web = \["rich", "blinker"\]/);
    for (const name of ['blinker', 'rich', 'idna', 'httpx']) assert.ok((await installed()).includes(name), `${name}: ${(await installed()).join(' ')}`);

    // The hint names what the list has, not what was left of it in memory.
    const missing = await paved(['remove', '--dev', 'httpx', 'nonexistent', '--project', project], { env });
    assert.equal(missing.code, 1, describeRun(missing));
    assert.match(missing.stderr, /error: nonexistent is not in /);
    assert.match(missing.stderr, /hint: dependency-groups\.dev lists: httpx\./);

    const removed = await paved(['remove', '--optional', 'web', 'blinker', '--project', project], { env });
    assert.equal(removed.code, 0, describeRun(removed));
    const left = await installed();
    assert.ok(!left.includes('blinker') && left.includes('rich'), left.join(' '));
  });
});
