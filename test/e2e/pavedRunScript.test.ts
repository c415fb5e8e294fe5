/**
 * `paved run script.py` (PEP 723) through the real CLI against a live paved server: two runs
 * started at the same moment both succeed and the script environment is built once (the other
 * run waits for the lock and reuses it); `--no-build` refuses an sdist-only dependency with the
 * same error `paved install --no-build` gives, and without it the sdist is built and the script
 * runs; `--build-timeout` is read.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalImporter, importFiles } from '../../src/index/importDistributions.js';
import { buildWheel, sdistFilenameFor, wheelFilenameFor } from '../fixtures/buildDistributions.js';
import { inTreeBackendSdist } from '../fixtures/inTreeBackend.js';
import { describeRun } from '../fixtures/pythonTools.js';
import { startTestServer, type TestServer } from '../fixtures/testServer.js';
import { paved } from './pavedCli.js';

/** The `--json` events among a run's standard error (`paved run` reports there; the script may write there too). */
function events(output: string): { type: string; [key: string]: unknown }[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; [key: string]: unknown });
}

describe('paved run script.py', () => {
  let server: TestServer;
  let work: string;
  let index: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-run-script-'));
    const upload = join(work, 'upload');
    await mkdir(upload);
    const files: string[] = [];
    const wheel = async (name: string, version: string, requiresDist: string[], initPy: string): Promise<void> => {
      const path = join(upload, wheelFilenameFor({ name, version }));
      await writeFile(path, await buildWheel({ name, version, metadata: { requiresDist }, files: { [`${name}/__init__.py`]: initPy } }));
      files.push(path);
    };
    await wheel('tinydep', '1.0', [], 'V = "dep"\n');
    await wheel('greeter', '2.0', ['tinydep>=1'], 'import tinydep\nGREETING = "hello from greeter with " + tinydep.V\n');
    const sdist = join(upload, sdistFilenameFor({ name: 'sdistonly', version: '1.0' }));
    await writeFile(sdist, await inTreeBackendSdist({ name: 'sdistonly', version: '1.0', requiresDist: ['tinydep>=1'], initPy: 'import tinydep\nVALUE = "built " + tinydep.V\n', log: join(work, 'sdistonly.log') }));
    files.push(sdist);
    server = await startTestServer();
    const summary = await importFiles('root/main', files, await createLocalImporter(server.storage, 'root/main'));
    assert.deepEqual(summary.refused, [], JSON.stringify(summary.refused));
    await server.listen();
    index = `${server.url}/simple/`;
  });
  after(async () => {
    await server?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  const script = async (name: string, dependencies: string[], body: string): Promise<string> => {
    const path = join(work, name);
    await writeFile(path, `# /// script\n# requires-python = ">=3.11,<3.12"\n# dependencies = ${JSON.stringify(dependencies)}\n# ///\n${body}\n`);
    return path;
  };

  it('two runs started together both succeed, and the environment is built once', { timeout: 180_000 }, async () => {
    const cache = join(work, 'cache-concurrent');
    const path = await script('greet.py', ['greeter>=2'], 'import greeter\nprint(greeter.GREETING)');
    const args = ['--json', 'run', '--no-config', '--index-url', index, '--cache-dir', cache, path];
    const [a, b] = await Promise.all([paved(args, { timeoutMs: 150_000 }), paved(args, { timeoutMs: 150_000 })]);
    for (const r of [a, b]) {
      assert.equal(r.code, 0, describeRun(r));
      // With --json, paved's events and result go to stderr: stdout is the script's alone.
      assert.equal(r.stdout, 'hello from greeter with dep\n', describeRun(r));
      const result = events(r.stderr).at(-1);
      assert.equal(result?.type, 'result', describeRun(r));
      assert.equal((result?.['data'] as { exitCode: number }).exitCode, 0);
    }
    const said = [a, b].map((r) => events(r.stderr).map((e) => e['event']).filter((e) => typeof e === 'string'));
    const built = said.filter((s) => s.includes('script-environment-ready'));
    const reused = said.filter((s) => s.includes('script-environment-reused'));
    assert.equal(built.length, 1, `one run built the environment: ${JSON.stringify(said)}`);
    assert.equal(reused.length, 1, `the other reused it: ${JSON.stringify(said)}`);
    assert.equal(said.filter((s) => s.includes('script-environment-building')).length, 1, 'nobody else started building');
    // One environment, no lock file left behind.
    const entries = await readdir(join(cache, 'environments-v1'));
    assert.equal(entries.filter((e) => !e.endsWith('.lock')).length, 1, entries.join(', '));
    assert.deepEqual(entries.filter((e) => e.includes('.lock')), []);
  });

  it('--no-build refuses an sdist-only dependency with the error paved install --no-build gives; without it the sdist is built', { timeout: 180_000 }, async () => {
    const cache = join(work, 'cache-build');
    const path = await script('built.py', ['sdistonly'], 'import sdistonly\nprint(sdistonly.VALUE)');
    const common = ['--no-config', '--index-url', index, '--cache-dir', cache];
    const refused = await paved(['run', '--no-build', ...common, path]);
    assert.equal(refused.code, 1, describeRun(refused));
    assert.match(refused.stderr, /sdistonly 1\.0 \(sdist only\)/);
    const install = await paved(['install', '--no-build', ...common, '--python', '3.11', '--target-venv', join(work, 'install-venv'), 'sdistonly']);
    assert.equal(install.code, 1, describeRun(install));
    const errorLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('error:') || l.startsWith('hint:') || l.includes('Not considered'));
    assert.deepEqual(errorLines(refused.stderr), errorLines(install.stderr));
    // Nothing was left that a later run would take for a finished environment.
    const left = await readdir(join(cache, 'environments-v1')).catch(() => []);
    assert.deepEqual(left, []);

    const badTimeout = await paved(['run', '--build-timeout', '0', ...common, path]);
    assert.equal(badTimeout.code, 1);
    assert.match(badTimeout.stderr, /--build-timeout must be a positive number/);

    const ran = await paved(['run', '--build-timeout', '300', ...common, path], { timeoutMs: 150_000 });
    assert.equal(ran.code, 0, describeRun(ran));
    assert.equal(ran.stdout.trim().split('\n').at(-1), 'built dep');
    assert.match(ran.stdout + ran.stderr, /built sdistonly-1\.0-py3-none-any\.whl from sdistonly-1\.0\.tar\.gz/);
  });
});
