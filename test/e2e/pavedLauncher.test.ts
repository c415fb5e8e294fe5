/**
 * `bin/paved`, the command npm installs: it runs the bundle, and for the commands that connect
 * only through paved's own HTTP client it keeps NODE_EXTRA_CA_CERTS away from Node's start-up
 * (where Node would parse every certificate before any code runs) and main.js puts it back.
 * Checked here as a user sees it: an HTTPS index whose CA is only in NODE_EXTRA_CA_CERTS still
 * works, the program `paved run` starts sees the variable as it was given, and Node's own
 * start-up reading (its warning for a missing file) happens for the other commands only.
 *
 * The launcher and a bundle are laid out in a temporary folder (`bin/paved` beside
 * `dist/bundle/`), so this test never rebuilds the repository's own dist/ under another test.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PYPI_SUBSET } from '../fixtures/corpus.js';
import { describeRun, run } from '../fixtures/pythonTools.js';
import { buildStaticIndex } from '../fixtures/staticIndex.js';
import { pavedEnv, REPO_ROOT } from './pavedCli.js';

const NODE_WARNING = /Warning: Ignoring extra certs from/;

describe('bin/paved (the npm bin)', () => {
  let dir: string;
  let launcher: string;
  let caFile: string;
  let server: Server;
  let indexUrl: string;
  const env = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
    const base = pavedEnv(extra);
    if (extra['NODE_EXTRA_CA_CERTS'] === undefined) delete base['NODE_EXTRA_CA_CERTS'];
    return base;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paved-launcher-'));
    await mkdir(join(dir, 'pkg', 'bin'), { recursive: true });
    launcher = join(dir, 'pkg', 'bin', 'paved');
    await copyFile(join(REPO_ROOT, 'bin', 'paved'), launcher);
    execFileSync('chmod', ['+x', launcher]);
    const build = await run(process.execPath, [join(REPO_ROOT, 'scripts/bundle.mjs'), '--outdir', join(dir, 'pkg', 'dist', 'bundle')], { cwd: REPO_ROOT, timeoutMs: 180_000 });
    assert.equal(build.code, 0, describeRun(build));

    // A private CA and a certificate for 127.0.0.1 signed by it.
    const openssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Paved Launcher Test CA']);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
    await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem']);
    caFile = join(dir, 'ca.pem');

    // A static index of one wheel, served over HTTPS: a directory answers with its index.html.
    const index = await buildStaticIndex([join(PYPI_SUBSET, 'idna-3.20-py3-none-any.whl')], { json: false });
    const root = index.dir;
    server = createServer({ key: await readFile(join(dir, 'server.key')), cert: await readFile(join(dir, 'server.pem')) }, (request, response) => {
      const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'https://x').pathname));
      if (path.includes('..')) return void response.writeHead(404).end();
      readFile(join(root, path.endsWith('/') ? `${path}index.html` : path)).then(
        (body) => response.writeHead(200, { 'Content-Type': path.endsWith('/') ? 'text/html' : 'application/octet-stream' }).end(body),
        () => response.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    indexUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('installs from an HTTPS index whose CA is only in NODE_EXTRA_CA_CERTS', { timeout: 120_000 }, async () => {
    const args = ['install', '--index-url', indexUrl, '--target-venv', join(dir, 'venv'), '--cache-dir', join(dir, 'cache'), 'idna'];
    const installed = await run(launcher, args, { cwd: dir, env: env({ NODE_EXTRA_CA_CERTS: caFile }), timeoutMs: 120_000 });
    assert.equal(installed.code, 0, describeRun(installed));
    const imported = await run(join(dir, 'venv', 'bin', 'python'), ['-c', 'import idna; print(idna.__name__)'], { env: env({}) });
    assert.equal(imported.stdout.trim(), 'idna', describeRun(imported));

    // Without the CA the same install fails on the certificate: the test above proved something.
    const untrusted = await run(launcher, [...args.slice(0, 4), join(dir, 'venv-untrusted'), '--cache-dir', join(dir, 'cache-untrusted'), 'idna'], { cwd: dir, env: env({}), timeoutMs: 120_000 });
    assert.notEqual(untrusted.code, 0, describeRun(untrusted));
    assert.match(untrusted.stderr, /certificate/i);
  });

  it('gives the program `paved run` starts NODE_EXTRA_CA_CERTS as it was, and Node does not read it first', { timeout: 120_000 }, async () => {
    const script = join(dir, 'show.py');
    await writeFile(script, '# /// script\n# dependencies = []\n# ///\nimport os\nprint(os.environ.get("NODE_EXTRA_CA_CERTS"), os.environ.get("PAVED_DEFERRED_EXTRA_CA_CERTS"))\n');
    const missing = join(dir, 'no-such-bundle.pem');
    const ran = await run(launcher, ['--verbose', 'run', '--index-url', indexUrl, '--cache-dir', join(dir, 'cache'), script], { cwd: dir, env: env({ NODE_EXTRA_CA_CERTS: missing }), timeoutMs: 120_000 });
    assert.equal(ran.code, 0, describeRun(ran));
    assert.equal(ran.stdout.trim(), `${missing} None`);
    // Node reads the variable as it starts (and warns about a missing file) unless the launcher hands it
    // over, which it does for client commands, after global options such as --verbose too.
    assert.doesNotMatch(ran.stderr, NODE_WARNING);
    const version = await run(launcher, ['--version'], { cwd: dir, env: env({ NODE_EXTRA_CA_CERTS: missing }) });
    assert.equal(version.stdout.trim(), '0.1.0');
    assert.match(version.stderr, NODE_WARNING);
  });

  it('keeps the code V8 compiled for a command beside the bundle, used by the next run; a damaged cache only costs a compile', { timeout: 120_000 }, async () => {
    const cacheDir = join(dir, 'pkg', 'dist', 'bundle', 'code-cache');
    const installCache = join(cacheDir, 'install.bin');
    await rm(cacheDir, { recursive: true, force: true });
    const install = async (venv: string) => {
      const r = await run(launcher, ['install', '--index-url', indexUrl, '--target-venv', join(dir, venv), '--cache-dir', join(dir, 'cache'), 'idna'], { cwd: dir, env: env({ NODE_EXTRA_CA_CERTS: caFile }), timeoutMs: 120_000 });
      assert.equal(r.code, 0, describeRun(r));
      const imported = await run(join(dir, venv, 'bin', 'python'), ['-c', 'import idna'], { env: env({}) });
      assert.equal(imported.code, 0, describeRun(imported));
    };
    const header = (bytes: Buffer) => JSON.parse(bytes.subarray(0, bytes.indexOf(10)).toString('utf8')) as Record<string, unknown>;

    // A command's --help compiles too little to stand for the command, and a failed run leaves
    // nothing either; `paved --version` names no command and has a cache of its own.
    assert.equal((await run(launcher, ['install', '--help'], { cwd: dir, env: env({}) })).code, 0);
    const failed = await run(launcher, ['lock', '--project', join(dir, 'no-such-project')], { cwd: dir, env: env({}) });
    assert.notEqual(failed.code, 0, describeRun(failed));
    await assert.rejects(stat(cacheDir), { code: 'ENOENT' });
    assert.equal((await run(launcher, ['--version'], { cwd: dir, env: env({}) })).code, 0);
    assert.deepEqual(await readdir(cacheDir), ['none.bin']);

    await install('venv-cc1');
    const first = await readFile(installCache);
    assert.equal(header(first)['node'], process.version);
    assert.ok(first.length > 100_000, `a cache of the code an install ran, not ${first.length} bytes`);
    const { mtimeMs } = await stat(installCache);

    // The next install takes it as it is: not refused, so not written again.
    await install('venv-cc2');
    assert.deepEqual(await readFile(installCache), first);
    assert.equal((await stat(installCache)).mtimeMs, mtimeMs);

    // Damaged bytes (V8 itself would stop Node on them) are noticed, compiled past and replaced.
    const damaged = Buffer.from(first);
    for (let at = first.indexOf(10) + 200; at < damaged.length; at += 997) damaged[at] = (damaged[at] as number) ^ 0xff;
    await writeFile(installCache, damaged);
    await install('venv-cc3');
    const replaced = await readFile(installCache);
    assert.notDeepEqual(replaced, damaged);
    assert.equal(header(replaced)['sha256'], createHash('sha256').update(replaced.subarray(replaced.indexOf(10) + 1)).digest('hex'));

    // Where no cache can be written (here a file stands where its folder would be), commands run as without one.
    await rm(cacheDir, { recursive: true, force: true });
    await writeFile(cacheDir, 'not a folder\n');
    await install('venv-cc4');
    assert.equal((await run(launcher, ['--version'], { cwd: dir, env: env({}) })).stdout.trim(), '0.1.0');
    assert.equal(await readFile(cacheDir, 'utf8'), 'not a folder\n');
    await rm(cacheDir, { force: true });
  });
});
