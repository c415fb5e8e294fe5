/**
 * PEP 723 script environments built against a live paved server with corpus wheels: created
 * once, reused without installing, rebuilt when left incomplete, built once when two callers ask
 * at the same moment, and the script runs with its dependency importable.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIndexClient, type IndexClient } from '../../src/client/indexClient/indexClient.js';
import { ensureScriptEnvironment, scriptEnvironmentKey, type ScriptEnvironmentEvent } from '../../src/client/scriptEnvironment.js';
import { isPavedError } from '../../src/errors.js';
import { lockFileFor } from '../../src/installer/directoryLock.js';
import { findInterpreter } from '../../src/installer/interpreter.js';
import { readScriptMetadata } from '../../src/project/scriptMetadata.js';
import { describeRun, run } from '../fixtures/pythonTools.js';
import { importFolders, startTestServer, type TestServer } from '../fixtures/testServer.js';

const SCRIPT = `#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11,<3.12"
# dependencies = ["idna>=3", "markupsafe"]
# ///
import idna, markupsafe
print(idna.encode("bücher.example").decode(), markupsafe.escape("<b>"))
`;

describe('ensureScriptEnvironment', () => {
  let server: TestServer;
  let work: string;
  let cache: string;
  let client: IndexClient;

  before(async () => {
    server = await startTestServer();
    await importFolders(server);
    await server.listen();
    work = await mkdtemp(join(tmpdir(), 'paved-script-env-'));
    cache = join(work, 'cache');
    client = createIndexClient({ indexUrls: [`${server.url}/simple/`], cacheDir: cache });
  });
  after(async () => {
    await client?.close();
    await server?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('builds an environment once, reuses it without installing, and the script runs with its dependencies', { timeout: 90_000 }, async () => {
    const script = join(work, 'hello.py');
    await writeFile(script, SCRIPT);
    const metadata = await readScriptMetadata(script);
    assert.ok(metadata !== null);

    const events: ScriptEnvironmentEvent[] = [];
    const env = await ensureScriptEnvironment({ metadata, client, cacheDir: cache, onEvent: (e) => events.push(e) });
    assert.equal(env.reused, false);
    assert.match(env.pythonVersion, /^3\.11\./, 'requires-python chose the interpreter');
    assert.ok(env.venv.startsWith(join(cache, 'environments-v1')));
    assert.ok(events.some((e) => e.type === 'install' && e.event.type === 'sync' && e.event.event.type === 'installed'));

    const ran = await run(env.python, [script]);
    assert.equal(ran.code, 0, describeRun(ran));
    assert.equal(ran.stdout.trim(), 'xn--bcher-kva.example &lt;b&gt;');

    // Same dependencies in another order, written differently: the same environment, nothing installed.
    const again: ScriptEnvironmentEvent[] = [];
    const reused = await ensureScriptEnvironment({
      metadata: { dependencies: ['markupsafe', ' idna>=3'], requiresPython: '>=3.11,<3.12' },
      client,
      cacheDir: cache,
      onEvent: (e) => again.push(e),
    });
    assert.equal(reused.reused, true);
    assert.equal(reused.venv, env.venv);
    assert.deepEqual(again.map((e) => e.type), ['script-environment-reused']);
  });

  it('two builds of the same environment at once: one builds under the lock, the other waits and reuses it', { timeout: 90_000 }, async () => {
    const metadata = { dependencies: ['markupsafe'], requiresPython: '>=3.11,<3.12' };
    const seen: ScriptEnvironmentEvent[][] = [[], []];
    const [a, b] = await Promise.all(seen.map((events) => ensureScriptEnvironment({ metadata, client, cacheDir: cache, onEvent: (e) => events.push(e) })));
    assert.equal(a?.venv, b?.venv);
    assert.deepEqual([a?.reused, b?.reused].sort(), [false, true]);
    const builds = seen.filter((events) => events.some((e) => e.type === 'script-environment-building'));
    assert.equal(builds.length, 1, 'built once');
    const waiter = seen.find((events) => !events.some((e) => e.type === 'script-environment-building')) ?? [];
    assert.ok(waiter.some((e) => e.type === 'lock' && e.event.type === 'lock-waiting'), 'the other waited for the lock');
    assert.equal(waiter.at(-1)?.type, 'script-environment-reused');
    assert.ok(!existsSync(lockFileFor(a?.venv ?? '')), 'the lock file is gone');
  });

  it('keys environments by requirements, requires-python and interpreter', async () => {
    const interpreter = await findInterpreter({ python: '3.11' });
    const key = (dependencies: string[], requiresPython: string | null): string => scriptEnvironmentKey({ dependencies, requiresPython }, interpreter);
    assert.equal(key(['a', 'b'], null), key(['b', 'a', 'a'], null));
    assert.notEqual(key(['a'], null), key(['a', 'b'], null));
    assert.notEqual(key(['a'], null), key(['a'], '>=3.11'));
    assert.notEqual(key(['a'], null), scriptEnvironmentKey({ dependencies: ['a'], requiresPython: null }, { ...interpreter, version: '3.11.999' }));
  });

  it('rebuilds an environment left without its completion marker', { timeout: 90_000 }, async () => {
    const metadata = { dependencies: ['idna'], requiresPython: '>=3.11,<3.12' };
    const first = await ensureScriptEnvironment({ metadata, client, cacheDir: cache });
    await rm(join(first.venv, '.paved-environment.json'));
    // A leftover file from the crashed build must not survive the rebuild.
    await writeFile(join(first.venv, 'leftover'), 'x');
    const events: ScriptEnvironmentEvent[] = [];
    const second = await ensureScriptEnvironment({ metadata, client, cacheDir: cache, onEvent: (e) => events.push(e) });
    assert.equal(second.reused, false);
    assert.equal(second.venv, first.venv);
    assert.ok(!existsSync(join(second.venv, 'leftover')));
    assert.deepEqual(events.slice(0, 2).map((e) => (e.type === 'lock' ? e.event.type : e.type)), ['lock-acquired', 'script-environment-building']);
    const ran = await run(second.python, ['-c', 'import idna; print("ok")']);
    assert.equal(ran.stdout.trim(), 'ok', describeRun(ran));
  });

  it('leaves nothing reusable when the dependencies cannot be installed, and refuses an impossible requires-python', { timeout: 60_000 }, async () => {
    const metadata = { dependencies: ['idna<0.0.1'], requiresPython: null };
    await assert.rejects(ensureScriptEnvironment({ metadata, client, cacheDir: cache, python: '3.11' }), (e: unknown) => isPavedError(e, 'PAVED_E_NO_SOLUTION'));
    const interpreter = await findInterpreter({ python: '3.11' });
    assert.ok(!existsSync(join(cache, 'environments-v1', scriptEnvironmentKey(metadata, interpreter))));
    assert.ok(!existsSync(lockFileFor(join(cache, 'environments-v1', scriptEnvironmentKey(metadata, interpreter)))), 'a failed build released its lock');
    await assert.rejects(ensureScriptEnvironment({ metadata: { dependencies: [], requiresPython: '>=9' }, client, cacheDir: cache }), (e: unknown) => isPavedError(e, 'PAVED_E_NO_INTERPRETER'));
  });
});
