/**
 * The command line's network settings as a user meets them: `--timeout`, `PAVED_HTTP_TIMEOUT` and
 * `timeout` in `[tool.paved]` or the user config file on the resolving commands (install, lock),
 * their bad values, and an index URL with a query string (refused, its values never printed).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { jsonEvents, paved } from './pavedCli.js';

let server: Server;
let index: string;
let work: string;
let requests: string[] = [];
const hanging = new Set<ServerResponse>();

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'paved-net-settings-'));
  // Accepts every request and never answers.
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    hanging.add(response);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  index = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`;
});
beforeEach(() => {
  requests = [];
});
after(async () => {
  for (const response of hanging) response.destroy();
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
  await rm(work, { recursive: true, force: true });
});

function errorOf(stdout: string): { code: string; message: string; hint?: string } {
  const error = jsonEvents(stdout).find((event) => event.type === 'error');
  assert.ok(error !== undefined, `no error event in ${stdout}`);
  return error as unknown as { code: string; message: string; hint?: string };
}

describe('the HTTP timeout', () => {
  it('install --timeout 0.3 fails a silent index after 300 ms (tried twice), naming the flag in the hint', async () => {
    const started = Date.now();
    const r = await paved(['--json', 'install', 'demo', '--dry-run', '--target-venv', join(work, 'v'), '--cache-dir', join(work, 'c1'), '--no-config', '--timeout', '0.3', '--index-url', index]);
    assert.notEqual(r.code, 0);
    const error = errorOf(r.stdout);
    assert.equal(error.code, 'PAVED_E_TIMEOUT');
    assert.match(error.message, /\/simple\/demo\/ did not answer within 300 ms/);
    assert.match(error.hint ?? '', /--timeout SECONDS or PAVED_HTTP_TIMEOUT/);
    assert.deepEqual(requests, ['/simple/demo/', '/simple/demo/']);
    assert.ok(Date.now() - started < 20_000);
  });

  it('PAVED_HTTP_TIMEOUT sets it for paved lock', async () => {
    const project = join(work, 'proj');
    await rm(project, { recursive: true, force: true });
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'pyproject.toml'), '[project]\nname = "app"\nversion = "1.0"\nrequires-python = ">=3.8"\ndependencies = ["demo"]\n');
    const r = await paved(['--json', 'lock', '--project', project, '--no-config', '--cache-dir', join(work, 'c2')], { env: { PAVED_HTTP_TIMEOUT: '0.25', PAVED_INDEX_URL: index } });
    const error = errorOf(r.stdout);
    assert.equal(error.code, 'PAVED_E_TIMEOUT', error.message);
    assert.match(error.message, /did not answer within 250 ms/);
  });

  it('bad values are refused before any request: --timeout is a usage error, PAVED_HTTP_TIMEOUT a config error', async () => {
    const flag = await paved(['--json', 'install', 'demo', '--dry-run', '--target-venv', join(work, 'v'), '--no-config', '--timeout', 'soon', '--index-url', index]);
    assert.equal(errorOf(flag.stdout).code, 'PAVED_E_INVALID_ARGUMENT');
    assert.match(errorOf(flag.stdout).message, /--timeout must be a positive number of seconds, not "soon"/);
    const env = await paved(['--json', 'install', 'demo', '--dry-run', '--target-venv', join(work, 'v'), '--no-config', '--index-url', index], { env: { PAVED_HTTP_TIMEOUT: '0' } });
    assert.equal(errorOf(env.stdout).code, 'PAVED_E_INVALID_CONFIG');
    assert.match(errorOf(env.stdout).message, /PAVED_HTTP_TIMEOUT/);
    assert.deepEqual(requests, []);
  });
});

describe('the HTTP timeout from configuration files', () => {
  const newProject = async (name: string, tool: string): Promise<string> => {
    const project = join(work, name);
    await rm(project, { recursive: true, force: true });
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'pyproject.toml'), `[project]\nname = "app"\nversion = "1.0"\nrequires-python = ">=3.8"\ndependencies = ["demo"]\n\n[tool.paved]\n${tool}`);
    return project;
  };

  it('timeout in [tool.paved] makes paved lock give up on a silent index after that long (tried twice)', async () => {
    const project = await newProject('proj-timeout', 'timeout = 0.3\n');
    const started = Date.now();
    const r = await paved(['--json', 'lock', '--project', project, '--no-config', '--cache-dir', join(work, 'c3')], { env: { PAVED_INDEX_URL: index } });
    const error = errorOf(r.stdout);
    assert.equal(error.code, 'PAVED_E_TIMEOUT', error.message);
    assert.match(error.message, /\/simple\/demo\/ did not answer within 300 ms/);
    assert.deepEqual(requests, ['/simple/demo/', '/simple/demo/']);
    // The default 30 s would have taken a minute.
    assert.ok(Date.now() - started < 20_000);
  });

  it('PAVED_HTTP_TIMEOUT overrides the project\'s timeout', async () => {
    const project = await newProject('proj-timeout-env', 'timeout = 600\n');
    const r = await paved(['--json', 'lock', '--project', project, '--no-config', '--cache-dir', join(work, 'c4')], { env: { PAVED_INDEX_URL: index, PAVED_HTTP_TIMEOUT: '0.25' } });
    const error = errorOf(r.stdout);
    assert.equal(error.code, 'PAVED_E_TIMEOUT', error.message);
    assert.match(error.message, /did not answer within 250 ms/);
  });

  it('timeout in the user config file applies to paved install', async () => {
    const config = join(work, 'user-timeout.toml');
    await writeFile(config, 'timeout = 0.35\n');
    const r = await paved(['--json', 'install', 'demo', '--dry-run', '--target-venv', join(work, 'v'), '--cache-dir', join(work, 'c5'), '--index-url', index], { env: { PAVED_CONFIG_FILE: config } });
    const error = errorOf(r.stdout);
    assert.equal(error.code, 'PAVED_E_TIMEOUT', error.message);
    assert.match(error.message, /did not answer within 350 ms/);
  });

  it('a bad timeout in pyproject.toml or the user file is refused before any request, naming the file and the key', async () => {
    const project = await newProject('proj-bad-timeout', 'timeout = 0\n');
    const fromProject = await paved(['--json', 'lock', '--project', project, '--no-config', '--cache-dir', join(work, 'c6')], { env: { PAVED_INDEX_URL: index } });
    assert.notEqual(fromProject.code, 0);
    const projectError = errorOf(fromProject.stdout);
    assert.equal(projectError.code, 'PAVED_E_INVALID_PYPROJECT');
    assert.match(projectError.message, /proj-bad-timeout\/pyproject\.toml: tool\.paved\.timeout must be a positive number of seconds/);
    const config = join(work, 'user-bad-timeout.toml');
    await writeFile(config, 'timeout = "soon"\n');
    const fromUser = await paved(['--json', 'install', 'demo', '--dry-run', '--target-venv', join(work, 'v'), '--cache-dir', join(work, 'c7'), '--index-url', index], { env: { PAVED_CONFIG_FILE: config } });
    assert.notEqual(fromUser.code, 0);
    const userError = errorOf(fromUser.stdout);
    assert.equal(userError.code, 'PAVED_E_INVALID_CONFIG');
    assert.match(userError.message, /user-bad-timeout\.toml: timeout must be a positive number of seconds \(at most a day\), not "soon"/);
    assert.deepEqual(requests, []);
  });
});

describe('an index URL with a query string', () => {
  it('is refused with PAVED_E_CONFIG; the query values are never printed nor sent', async () => {
    const r = await paved(['--json', 'install', 'demo', '--dry-run', '--target-venv', join(work, 'v'), '--no-config', '--index-url', `${index}?token=SECRET123`]);
    assert.notEqual(r.code, 0);
    const error = errorOf(r.stdout);
    assert.equal(error.code, 'PAVED_E_CONFIG');
    assert.match(error.message, /\/simple\/\?token=…' has a query string/);
    assert.doesNotMatch(r.stdout + r.stderr, /SECRET123/);
    assert.deepEqual(requests, []);
  });
});
