/**
 * `paved install` flags a pip/uv user expects (-U, --upgrade-package, --no-deps, --dry-run,
 * --report, --reinstall, --compile) and direct wheel references (`name @ file://…`,
 * `name @ http://…#sha256=…`, a bare wheel path), driven through the real CLI against a live
 * paved server holding the corpus plus tiny wheels built here, judged by the venv's own Python
 * and the machine's pip.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { collectDistributionFiles, createLocalImporter, importFiles } from '../../src/index/importDistributions.js';
import { buildWheel, wheelFilenameFor } from '../fixtures/buildDistributions.js';
import { PYPI_SUBSET } from '../fixtures/corpus.js';
import { describeRun, isolatedPipEnv, run, type RunResult } from '../fixtures/pythonTools.js';
import { startTestServer, type TestServer } from '../fixtures/testServer.js';
import { jsonResult, paved } from './pavedCli.js';

// The corpus's compiled wheels are cp311.
const PYTHON = '3.11';

interface InstallData {
  dryRun: boolean;
  installed: { name: string; version: string; upgradedFrom?: string; reinstalled?: boolean }[];
  removed: { name: string; version: string }[];
}

function machinePip(venvPython: string, args: string[]): Promise<RunResult> {
  return run('python3', ['-m', 'pip', '--python', venvPython, '--disable-pip-version-check', ...args], { env: isolatedPipEnv(), timeoutMs: 60_000 });
}

async function pythonSays(venv: string, code: string): Promise<string> {
  const r = await run(join(venv, 'bin', 'python'), ['-c', code]);
  assert.equal(r.code, 0, describeRun(r));
  return r.stdout.trim();
}

describe('paved install flags and direct wheel references', () => {
  let server: TestServer;
  let work: string;
  let index: string;
  let cache: string;
  let wheels: string;
  let urlWheel: string;
  let urlSha: string;
  let fileServer: Server;
  let fileBase: string;

  const install = (args: string[], venv: string): Promise<RunResult> =>
    paved(['install', ...args, '--index-url', index, '--target-venv', venv, '--python', PYTHON, '--cache-dir', cache, '--json']);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-install-flags-'));
    cache = join(work, 'cache');
    wheels = join(work, 'wheels');
    await mkdir(wheels);
    const write = async (options: Parameters<typeof buildWheel>[0], dir = wheels): Promise<string> => {
      const path = join(dir, wheelFilenameFor(options));
      await writeFile(path, await buildWheel(options));
      return path;
    };
    await write({ name: 'tinydemo', version: '1.0', files: { 'tinydemo/__init__.py': 'V = 1\n' } });
    await write({ name: 'tinydemo', version: '2.0', files: { 'tinydemo/__init__.py': 'V = 2\n', 'tinydemo/extra.py': 'X = 1\n' } });
    await write({ name: 'tinyapp', version: '1.0', metadata: { requiresDist: ['idna>=3'] }, files: { 'tinyapp/__init__.py': 'import idna\n' } });
    // A pre-release: chosen only with --pre (or a specifier that names one).
    await write({ name: 'tinydemo', version: '3.0rc1', files: { 'tinydemo/__init__.py': 'V = 3\n' } });
    // One release, two wheels: the platform one is "best" for this interpreter, a pinned hash may choose the other.
    await write({ name: 'twofiles', version: '1.0', files: { 'twofiles/__init__.py': 'KIND = "pure"\n' } });
    await write({ name: 'twofiles', version: '1.0', tags: 'cp311-cp311-manylinux_2_17_x86_64', files: { 'twofiles/__init__.py': 'KIND = "binary"\n' } });

    // Not on the index: only reachable by URL or path.
    const direct = join(work, 'direct');
    await mkdir(direct);
    urlWheel = await write({ name: 'urlpkg', version: '1.5', metadata: { requiresDist: ['tinydemo>=1'] }, files: { 'urlpkg/__init__.py': 'import tinydemo\nV = "1.5"\n' } }, direct);
    urlSha = createHash('sha256').update(await readFile(urlWheel)).digest('hex');

    server = await startTestServer();
    const files = (await collectDistributionFiles([PYPI_SUBSET, wheels])).files;
    const summary = await importFiles('root/main', files, await createLocalImporter(server.storage, 'root/main'), { jobs: 8 });
    assert.equal(summary.added, 52);
    await server.listen();
    index = `${server.url}/simple/`;

    fileServer = createServer((req, res) => {
      const name = decodeURIComponent((req.url ?? '/').split('?')[0]?.slice(1) ?? '');
      if (name.includes('/') || name.includes('..')) return void res.writeHead(404).end();
      readFile(join(direct, name)).then(
        (body) => res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((ok) => fileServer.listen(0, '127.0.0.1', ok));
    fileBase = `http://127.0.0.1:${(fileServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    await server?.close();
    await new Promise((ok) => (fileServer === undefined ? ok(undefined) : fileServer.close(ok)));
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('--dry-run resolves and reports what would be installed, creating nothing', { timeout: 60_000 }, async () => {
    const venv = join(work, 'dry-venv');
    const reportPath = join(work, 'dry-report.json');
    const r = await install(['tinyapp', '--dry-run', '--report', reportPath], venv);
    assert.equal(r.code, 0, describeRun(r));
    const data = jsonResult<InstallData>(r);
    assert.equal(data.dryRun, true);
    assert.deepEqual(data.installed.map((p) => `${p.name} ${p.version}`), ['idna 3.20', 'tinyapp 1.0']);
    assert.ok(!existsSync(venv), 'no environment was created');

    // pip's installation report, version 1.
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as {
      version: string;
      install: { metadata: { name: string; version: string; requires_dist?: string[] }; download_info: { url: string; archive_info: { hashes: { sha256: string } } }; requested: boolean; is_direct: boolean }[];
      environment: Record<string, string>;
    };
    assert.equal(report.version, '1');
    assert.equal(report.environment['python_version'], '3.11');
    const byName = new Map(report.install.map((i) => [i.metadata.name.toLowerCase(), i]));
    assert.deepEqual([...byName.keys()].sort(), ['idna', 'tinyapp']);
    const app = byName.get('tinyapp');
    assert.equal(app?.requested, true);
    assert.equal(byName.get('idna')?.requested, false);
    assert.deepEqual(app?.metadata.requires_dist, ['idna>=3']);
    // The whole core metadata, as pip writes it (PEP 566 JSON): idna's classifiers, summary and licence too.
    const idnaMetadata = byName.get('idna')?.metadata as unknown as Record<string, unknown>;
    assert.equal(typeof idnaMetadata['summary'], 'string', JSON.stringify(idnaMetadata).slice(0, 400));
    assert.ok(Array.isArray(idnaMetadata['classifier']) && (idnaMetadata['classifier'] as string[]).some((c) => c.startsWith('Programming Language :: Python')), JSON.stringify(idnaMetadata['classifier']));
    assert.match(app?.download_info.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/.*tinyapp-1\.0-py3-none-any\.whl$/);
    const appBytes = await readFile(join(wheels, 'tinyapp-1.0-py3-none-any.whl'));
    assert.equal(app?.download_info.archive_info.hashes.sha256, createHash('sha256').update(appBytes).digest('hex'));

    // --report - prints the report on standard output instead of the summary.
    const out = await paved(['install', 'tinyapp', '--dry-run', '--report', '-', '--index-url', index, '--target-venv', venv, '--python', PYTHON, '--cache-dir', cache]);
    assert.equal(out.code, 0, describeRun(out));
    assert.equal((JSON.parse(out.stdout) as { version: string }).version, '1');
    assert.ok(!existsSync(venv));
  });

  it('keeps an installed old version, moves it with -U or --upgrade-package, and --reinstall installs again', { timeout: 90_000 }, async () => {
    const venv = join(work, 'upgrade-venv');
    const first = await install(['tinydemo==1.0'], venv);
    assert.equal(first.code, 0, describeRun(first));
    assert.equal(await pythonSays(venv, 'import tinydemo; print(tinydemo.V)'), '1');

    const kept = await install(['tinydemo'], venv);
    assert.equal(kept.code, 0, describeRun(kept));
    assert.deepEqual(jsonResult<InstallData>(kept).installed, [], 'the installed version fits, so nothing moves');

    const dry = await install(['tinydemo', '-U', '--dry-run'], venv);
    assert.deepEqual(jsonResult<InstallData>(dry).installed, [{ name: 'tinydemo', version: '2.0', upgradedFrom: '1.0' }]);
    assert.equal(await pythonSays(venv, 'import tinydemo; print(tinydemo.V)'), '1', 'a dry run changes nothing');

    const upgraded = await install(['tinydemo', '--upgrade'], venv);
    assert.equal(upgraded.code, 0, describeRun(upgraded));
    const data = jsonResult<InstallData>(upgraded);
    assert.deepEqual(data.installed, [{ name: 'tinydemo', version: '2.0', upgradedFrom: '1.0' }]);
    assert.deepEqual(data.removed, [{ name: 'tinydemo', version: '1.0' }]);
    assert.equal(await pythonSays(venv, 'import tinydemo, tinydemo.extra; print(tinydemo.V)'), '2');

    // Back to 1.0, then up through --upgrade-package naming a dependency of the request.
    assert.equal((await install(['tinydemo==1.0'], venv)).code, 0);
    const viaApp = await install(['urlpkg @ ' + pathToFileURL(urlWheel).href, '--upgrade-package', 'tinydemo'], venv);
    assert.equal(viaApp.code, 0, describeRun(viaApp));
    assert.ok(jsonResult<InstallData>(viaApp).installed.some((p) => p.name === 'tinydemo' && p.version === '2.0'));

    await rm(join(venv, 'lib', 'python3.11', 'site-packages', 'tinydemo', 'extra.py'));
    const again = await install(['tinydemo', '--reinstall'], venv);
    assert.equal(again.code, 0, describeRun(again));
    assert.deepEqual(jsonResult<InstallData>(again).installed, [{ name: 'tinydemo', version: '2.0', reinstalled: true }]);
    assert.equal(await pythonSays(venv, 'import tinydemo.extra; print(tinydemo.extra.X)'), '1', 'the deleted file is back');
  });

  it('--no-deps installs only the named requirement', { timeout: 60_000 }, async () => {
    const venv = join(work, 'nodeps-venv');
    const r = await install(['tinyapp', '--no-deps'], venv);
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(jsonResult<InstallData>(r).installed.map((p) => p.name), ['tinyapp']);
    assert.equal(await pythonSays(venv, 'import importlib.util as u; print(u.find_spec("idna") is None)'), 'True');
  });

  it('installs a wheel named by file:// URL with its dependencies and PEP 610 direct_url.json that pip reads', { timeout: 90_000 }, async () => {
    const venv = join(work, 'url-venv');
    const url = pathToFileURL(urlWheel).href;
    const r = await install([`urlpkg @ ${url}`], venv);
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(jsonResult<InstallData>(r).installed.map((p) => `${p.name} ${p.version}`), ['tinydemo 2.0', 'urlpkg 1.5']);
    const directUrl = JSON.parse(await pythonSays(venv, 'import importlib.metadata as m; print(m.distribution("urlpkg").read_text("direct_url.json"))')) as { url: string; archive_info: { hashes: { sha256: string } } };
    assert.equal(directUrl.url, url);
    assert.equal(directUrl.archive_info.hashes.sha256, urlSha);
    assert.equal(await pythonSays(venv, 'import urlpkg; print(urlpkg.V)'), '1.5');

    const listed = await machinePip(join(venv, 'bin', 'python'), ['list', '--format', 'json']);
    assert.equal(listed.code, 0, describeRun(listed));
    assert.ok((JSON.parse(listed.stdout) as { name: string; version: string }[]).some((p) => p.name === 'urlpkg' && p.version === '1.5'), listed.stdout);
    const freeze = await machinePip(join(venv, 'bin', 'python'), ['freeze']);
    assert.ok(freeze.stdout.split('\n').includes(`urlpkg @ ${url}#sha256=${urlSha}`), describeRun(freeze));
    const check = await machinePip(join(venv, 'bin', 'python'), ['check']);
    assert.equal(check.code, 0, describeRun(check));

    // A requirement on the same project that the wheel does not meet has no solution.
    const conflict = await install([`urlpkg @ ${url}`, 'urlpkg>=2'], join(work, 'conflict-venv'));
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stdout + conflict.stderr, /urlpkg/);
    assert.ok(!existsSync(join(work, 'conflict-venv')));
  });

  it('installs a wheel from an http URL with a matching #sha256, and from a bare path', { timeout: 90_000 }, async () => {
    const venv = join(work, 'http-venv');
    const url = `${fileBase}/urlpkg-1.5-py3-none-any.whl`;
    const r = await install([`urlpkg @ ${url}#sha256=${urlSha}`], venv);
    assert.equal(r.code, 0, describeRun(r));
    const directUrl = JSON.parse(await pythonSays(venv, 'import importlib.metadata as m; print(m.distribution("urlpkg").read_text("direct_url.json"))')) as { url: string; archive_info: { hash: string } };
    assert.equal(directUrl.url, url);
    assert.equal(directUrl.archive_info.hash, `sha256=${urlSha}`);

    const bare = join(work, 'bare-venv');
    const b = await install([urlWheel, '--no-deps'], bare);
    assert.equal(b.code, 0, describeRun(b));
    assert.deepEqual(jsonResult<InstallData>(b).installed.map((p) => p.name), ['urlpkg']);
    const fromPath = JSON.parse(await pythonSays(bare, 'import importlib.metadata as m; print(m.distribution("urlpkg").read_text("direct_url.json"))')) as { url: string };
    assert.equal(fromPath.url, pathToFileURL(urlWheel).href);
  });

  it('reads bare wheel paths from -r files, with --hash options under --require-hashes', { timeout: 60_000 }, async () => {
    const venv = join(work, 'reqfile-venv');
    const reqs = join(work, 'direct-reqs.txt');
    await writeFile(reqs, `# a local build\n${urlWheel} --hash=sha256:${urlSha}\n`);
    const r = await install(['-r', reqs, '--require-hashes', '--no-deps'], venv);
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(jsonResult<InstallData>(r).installed.map((p) => `${p.name} ${p.version}`), ['urlpkg 1.5']);

    await writeFile(reqs, `${urlWheel} --hash=sha256:${'2'.repeat(64)}\n`);
    const bad = await install(['-r', reqs, '--require-hashes', '--no-deps', '--reinstall'], join(work, 'reqfile-bad-venv'));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /sha256/);
    assert.ok(!existsSync(join(work, 'reqfile-bad-venv')));
  });

  it('refuses a wheel whose #sha256 does not match, or whose name is not the one required, installing nothing', { timeout: 60_000 }, async () => {
    const venv = join(work, 'bad-hash-venv');
    const wrong = await install([`urlpkg @ ${fileBase}/urlpkg-1.5-py3-none-any.whl#sha256=${'0'.repeat(64)}`], venv);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stdout + wrong.stderr, /PAVED_E_HASH_MISMATCH|sha256/);
    const wrongFile = await install([`urlpkg @ ${pathToFileURL(urlWheel).href}#sha256=${'1'.repeat(64)}`], venv);
    assert.notEqual(wrongFile.code, 0);
    assert.match(wrongFile.stdout + wrongFile.stderr, /sha256/);
    const misnamed = await install([`other @ ${pathToFileURL(urlWheel).href}`], venv);
    assert.notEqual(misnamed.code, 0);
    assert.match(misnamed.stdout + misnamed.stderr, /urlpkg/);
    const sdist = await install([`urlpkg @ ${fileBase}/urlpkg-1.5.tar.gz`], venv);
    assert.notEqual(sdist.code, 0);
    assert.match(sdist.stdout + sdist.stderr, /PAVED_E_URL_REQUIREMENT|not point at a wheel/);
    assert.ok(!existsSync(venv), 'nothing was created');
  });

  it('reads requirements files as pip does: a bad line stops the install, a --hash or --require-hashes line checks hashes, --no-index, --pre and ${VAR}', { timeout: 120_000 }, async () => {
    const reqs = join(work, 'pip-rules.txt');
    const writeReqs = (text: string): Promise<void> => writeFile(reqs, text);
    const failure = (r: RunResult): string => (JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { type?: string; code?: string }).code ?? r.stdout;

    // The common "=" for "==" typo: nothing is installed (pip: Invalid requirement), no environment is made.
    await writeReqs('tinydemo=1.0\nidna\n');
    const typo = await install(['-r', reqs], join(work, 'typo-venv'));
    assert.notEqual(typo.code, 0);
    assert.equal(failure(typo), 'PAVED_E_INVALID_REQUIREMENTS');
    assert.match(typo.stdout, /pip-rules\.txt:1: cannot read requirement/);
    assert.ok(!existsSync(join(work, 'typo-venv')));
    await writeReqs('--bogus-option\nidna\n');
    assert.equal(failure(await install(['-r', reqs], join(work, 'typo-venv'))), 'PAVED_E_INVALID_REQUIREMENTS');

    // One --hash turns hash checking on (as in pip): tinyapp's dependency idna has none, so nothing installs.
    const tinyapp = join(wheels, 'tinyapp-1.0-py3-none-any.whl');
    const appSha = createHash('sha256').update(await readFile(tinyapp)).digest('hex');
    await writeReqs(`tinyapp==1.0 --hash=sha256:${appSha}\n`);
    assert.equal(failure(await install(['-r', reqs], join(work, 'hash-venv'))), 'PAVED_E_HASH_REQUIRED');
    // So does a --require-hashes line.
    await writeReqs('--require-hashes\ntinydemo==1.0\n');
    assert.equal(failure(await install(['-r', reqs], join(work, 'hash-venv'))), 'PAVED_E_HASH_REQUIRED');
    assert.ok(!existsSync(join(work, 'hash-venv')));

    // --no-index in the file: the index (with tinydemo 2.0) is not asked; the folder's 1.0 is installed.
    const folder = join(work, 'only-one');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'tinydemo-1.0-py3-none-any.whl'), await readFile(join(wheels, 'tinydemo-1.0-py3-none-any.whl')));
    await writeReqs(`--no-index\n--find-links ${folder}\ntinydemo\n`);
    const noIndex = await install(['-r', reqs], join(work, 'no-index-venv'));
    assert.equal(noIndex.code, 0, describeRun(noIndex));
    assert.deepEqual(jsonResult<InstallData>(noIndex).installed.map((p) => `${p.name} ${p.version}`), ['tinydemo 1.0']);

    // --pre, on the command line or in the file; without it the pre-release is passed over.
    assert.deepEqual(jsonResult<InstallData>(await install(['tinydemo', '--dry-run'], join(work, 'pre-venv'))).installed.map((p) => p.version), ['2.0']);
    assert.deepEqual(jsonResult<InstallData>(await install(['tinydemo', '--pre', '--dry-run'], join(work, 'pre-venv'))).installed.map((p) => p.version), ['3.0rc1']);
    await writeReqs('--pre\ntinydemo\n');
    assert.deepEqual(jsonResult<InstallData>(await install(['-r', reqs, '--dry-run'], join(work, 'pre-venv'))).installed.map((p) => p.version), ['3.0rc1']);

    // ${NAME} is the environment variable (here the index itself, given only through the file), and -i is --index-url.
    await writeReqs('--index-url ${PAVED_TEST_INDEX}\ntinydemo==1.0\n');
    const fromVar = await paved(['install', '-r', reqs, '--target-venv', join(work, 'var-venv'), '--python', PYTHON, '--cache-dir', cache, '--dry-run', '--json'], { env: { PAVED_TEST_INDEX: index } });
    assert.equal(fromVar.code, 0, describeRun(fromVar));
    const short = await paved(['install', '-i', index, 'tinydemo==1.0', '--target-venv', join(work, 'var-venv'), '--python', PYTHON, '--cache-dir', cache, '--dry-run', '--json']);
    assert.equal(short.code, 0, describeRun(short));
  });

  it("hashes choose among a release's files; a URL line whose marker is false is ignored; a non-sha256 hash is refused", { timeout: 90_000 }, async () => {
    const reqs = join(work, 'hash-choice.txt');
    const pure = createHash('sha256').update(await readFile(join(wheels, 'twofiles-1.0-py3-none-any.whl'))).digest('hex');
    const unpinned = await install(['twofiles==1.0'], join(work, 'twofiles-best'));
    assert.equal(unpinned.code, 0, describeRun(unpinned));
    assert.equal(await pythonSays(join(work, 'twofiles-best'), 'import twofiles; print(twofiles.KIND)'), 'binary');
    await writeFile(reqs, `twofiles==1.0 --hash=sha256:${pure}\n`);
    const venv = join(work, 'twofiles-pinned');
    const pinned = await install(['-r', reqs], venv);
    assert.equal(pinned.code, 0, describeRun(pinned));
    assert.equal(await pythonSays(venv, 'import twofiles; print(twofiles.KIND)'), 'pure');

    await writeFile(reqs, `urlpkg @ ${pathToFileURL(urlWheel).href} ; sys_platform == "win32"\ntinydemo==1.0\n`);
    const skipped = await install(['-r', reqs, '--dry-run'], join(work, 'marker-venv'));
    assert.equal(skipped.code, 0, describeRun(skipped));
    assert.deepEqual(jsonResult<InstallData>(skipped).installed.map((p) => p.name), ['tinydemo']);

    await writeFile(reqs, `tinydemo==1.0 --hash=sha512:${'ab'.repeat(64)}\n`);
    const sha512 = await install(['-r', reqs, '--dry-run'], join(work, 'marker-venv'));
    assert.notEqual(sha512.code, 0);
    assert.match(sha512.stdout, /PAVED_E_INVALID_REQUIREMENTS.*not a sha256 digest/);
  });

  it('installs wheel files with no index configured when they are all it needs', { timeout: 60_000 }, async () => {
    const venv = join(work, 'no-index-files-venv');
    const r = await paved(['install', urlWheel, join(wheels, 'tinydemo-1.0-py3-none-any.whl'), '--target-venv', venv, '--python', PYTHON, '--cache-dir', cache, '--json']);
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(jsonResult<InstallData>(r).installed.map((p) => `${p.name} ${p.version}`), ['tinydemo 1.0', 'urlpkg 1.5']);
    // A hostile wheel is refused when unpacked, and the environment made for the install goes with it.
    const hostile = join(work, 'hostile', 'evil-1.0-py3-none-any.whl');
    await mkdir(join(work, 'hostile'), { recursive: true });
    await writeFile(hostile, await buildWheel({ name: 'evil', version: '1.0', extraEntries: [{ name: '../../escape.py', data: 'x' }] }));
    const refused = await paved(['install', hostile, '--target-venv', join(work, 'hostile-venv'), '--python', PYTHON, '--cache-dir', cache, '--json']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout, /PAVED_E_UNSAFE_WHEEL/);
    assert.ok(!existsSync(join(work, 'hostile-venv')), 'no half-made environment is left');
    // A name no file provides is then simply not found, not "no index configured".
    const missing = await paved(['install', urlWheel, '--target-venv', join(work, 'no-index-missing'), '--python', PYTHON, '--cache-dir', cache, '--json']);
    assert.notEqual(missing.code, 0);
    assert.doesNotMatch(missing.stdout, /PAVED_E_NO_INDEX/);
    assert.match(missing.stdout, /tinydemo/);
  });

  it('--compile writes bytecode for the installed modules', { timeout: 60_000 }, async () => {
    const venv = join(work, 'compile-venv');
    const r = await install(['tinydemo', '--compile'], venv);
    assert.equal(r.code, 0, describeRun(r));
    const pycache = join(venv, 'lib', 'python3.11', 'site-packages', 'tinydemo', '__pycache__');
    const compiled = (await readdir(pycache)).sort();
    assert.deepEqual(compiled, ['__init__.cpython-311.pyc', 'extra.cpython-311.pyc']);
    // Recorded, so uninstalling removes them too.
    const un = await paved(['uninstall', 'tinydemo', '--target-venv', venv]);
    assert.equal(un.code, 0, describeRun(un));
    assert.ok(!existsSync(pycache));
  });
});
