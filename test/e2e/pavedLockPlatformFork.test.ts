/**
 * `paved lock` on a project whose requirements want different versions of one package per
 * platform: the real CLI against a live paved server holding purpose-made wheels, then
 * `paved sync` on this (Linux) machine installs the linux pin.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parsePylock } from '../../src/project/pylock.js';
import { describeRun, run } from '../fixtures/pythonTools.js';
import { startWheelsWorkspace, type TestServer } from '../fixtures/testServer.js';
import { jsonResult, paved } from './pavedCli.js';

describe('a universal lock forked by platform', () => {
  let workspace: Awaited<ReturnType<typeof startWheelsWorkspace>>;
  let server: TestServer;
  let work: string;

  before(async () => {
    // app needs lib everywhere; the project pins lib per platform on top of that.
    workspace = await startWheelsWorkspace('paved-platform-fork-', [
      ['app', '1.0', { requiresDist: ['lib', 'winhelper; platform_system == "Windows"'] }],
      ['lib', '1.0'],
      ['lib', '2.0'],
      ['winhelper', '1.0'],
    ]);
    ({ server, work } = workspace);
  });
  after(() => workspace?.close());

  const linuxOnly = process.platform === 'linux' ? false : 'sync checks what a Linux machine installs';
  it('locks lib>=2 for linux and lib<2 for win32 as two entries, and sync on Linux installs lib 2.0', { timeout: 180_000, skip: linuxOnly }, async () => {
    const project = join(work, 'proj');
    await mkdir(project, { recursive: true });
    await writeFile(
      join(project, 'pyproject.toml'),
      `[project]\nname = "proj"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = [\n  "app",\n  "lib>=2; sys_platform == 'linux'",\n  "lib<2; sys_platform == 'win32'",\n]\n\n[tool.paved]\npython = "3.11"\n`,
    );
    const env = { PAVED_INDEX_URL: `${server.url}/simple/`, PAVED_CACHE_DIR: join(work, 'cache') };
    const locked = await paved(['lock', '--project', project, '--json'], { env });
    assert.equal(locked.code, 0, describeRun(locked));
    assert.deepEqual(jsonResult<{ forks: string[] }>(locked).forks, [
      '>=3.11; sys_platform == "linux" | >=3.11; sys_platform != "linux" and sys_platform != "win32"',
      '>=3.11; sys_platform == "win32"',
    ]);
    const text = await readFile(join(project, 'pylock.toml'), 'utf8');
    const { lock } = parsePylock(text);
    assert.deepEqual(
      lock.packages.map((p) => `${p.name} ${p.version} ${p.marker ?? '*'}`),
      ['app 1.0 *', 'lib 1.0 sys_platform == "win32"', 'lib 2.0 sys_platform != "win32"', 'winhelper 1.0 sys_platform == "win32"'],
    );
    // app names both lib entries; each entry's marker tells which one applies.
    assert.deepEqual(lock.packages.find((p) => p.name === 'app')?.dependencies, [
      { name: 'lib', version: '1.0' },
      { name: 'lib', version: '2.0' },
      { name: 'winhelper' },
    ]);
    // Forking is deterministic: locking again writes the same bytes.
    const again = await paved(['lock', '--project', project, '--json'], { env });
    assert.equal(again.code, 0, describeRun(again));
    assert.equal(jsonResult<{ changed: boolean }>(again).changed, false);
    assert.equal(await readFile(join(project, 'pylock.toml'), 'utf8'), text);

    const synced = await paved(['sync', '--frozen', '--project', project, '--json'], { env });
    assert.equal(synced.code, 0, describeRun(synced));
    const version = await run(join(project, '.venv', 'bin', 'python'), ['-c', 'import importlib.metadata as m; print(m.version("lib"))']);
    assert.equal(version.stdout.trim(), '2.0', describeRun(version));
    const names = await run(join(project, '.venv', 'bin', 'python'), ['-c', 'import importlib.metadata as m; print(" ".join(sorted(d.metadata["Name"] for d in m.distributions())))']);
    assert.doesNotMatch(names.stdout, /winhelper/);
  });
});
