/**
 * `paved --json run` as a script driving it sees it: standard output is the program's alone,
 * byte for byte; paved's NDJSON events and its last line, the result, are on standard error; the
 * exit status is the program's, a signal's as a shell reports it. A script without PEP 723
 * metadata outside any project runs on a bare interpreter, so no index is needed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRun } from '../fixtures/pythonTools.js';
import { jsonEvents, paved } from './pavedCli.js';

describe('paved --json run', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-run-json-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  const script = async (name: string, body: string): Promise<string> => {
    const path = join(work, name);
    await writeFile(path, body);
    return path;
  };

  it("leaves stdout to the program and ends stderr with the result: command, exit code, environment", async () => {
    const path = await script('plain.py', 'import sys\nsys.stdout.write("line 1\\n{not json}\\n")\nsys.stderr.write("to stderr\\n")\nsys.exit(3)\n');
    const r = await paved(['--json', 'run', '--python', '3.11', path, 'arg'], { cwd: work });
    assert.equal(r.code, 3, describeRun(r));
    assert.equal(r.stdout, 'line 1\n{not json}\n');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.ok(lines.includes('to stderr'), r.stderr);
    const events = jsonEvents(lines.filter((l) => l !== 'to stderr').join('\n'));
    const result = events.at(-1);
    assert.equal(result?.type, 'result', r.stderr);
    const data = result?.['data'] as { command: string[]; exitCode: number; environment: string | null };
    assert.equal(data.exitCode, 3);
    assert.deepEqual(data.command.slice(1), [path, 'arg']);
    assert.equal(data.environment, null);
  });

  it('a program killed by a signal exits 128 + its number (SIGKILL: 137), in the result too', async () => {
    const path = await script('killed.py', 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n');
    const r = await paved(['--json', 'run', '--python', '3.11', path], { cwd: work });
    assert.equal(r.code, 137, describeRun(r));
    assert.equal(r.stdout, '');
    assert.equal((jsonEvents(r.stderr).at(-1)?.['data'] as { exitCode: number }).exitCode, 137);
  });

  it('a failure (here: no project around a program that is not a script) is one error line on stderr, nothing on stdout', async () => {
    const r = await paved(['--json', 'run', '--no-config', '--python', '3.11', join(work, 'missing.py')], { cwd: work });
    assert.equal(r.code, 1, describeRun(r));
    assert.equal(r.stdout, '');
    const events = jsonEvents(r.stderr);
    assert.equal(events.at(-1)?.type, 'error', r.stderr);
  });
});
