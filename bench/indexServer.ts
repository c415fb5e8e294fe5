/**
 * Benchmark: paved's index server against nginx serving the same simple pages
 * as static files. Measures requests/s and p99 of cached pages (one hot page,
 * and a rotation over every project), import and upload throughput, and the
 * server's RSS as the number of files grows. See bench/README.md.
 *
 *   node --import tsx bench/indexServer.ts [--quick] [--json] [--profile]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { normalizeName } from '../src/standards/names.js';
import { compilePaved } from './compilePaved.js';
import { createChildRegistry, findFreePort, readCpuSeconds, readRssKiB, runBenchmark, stopOnExitAndInterrupt, waitForHttp, type ChildRegistry } from './childProcesses.js';
import { summarizeCpuProfile, type ProfileSummary } from './cpuProfileSummary.js';
import { writeNginxConfig, writeStaticPage } from './staticNginx.js';
import { errorCount, runWrk, type WrkResult } from './wrk.js';
import { saveAndPrintReport } from './reportOutput.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = '/work/shared/corpus/pypi-subset';
const BIG = '/opt/pypi/files';
const JSON_ACCEPT = 'application/vnd.pypi.simple.v1+json';
const DIST_FILE = /\.(whl|tar\.gz|zip|tar\.bz2|tgz|egg)$/;

interface Options {
  quick: boolean;
  json: boolean;
  tsx: boolean;
  big: boolean;
  profile: boolean;
  keep: boolean;
  durationSeconds: number;
  threads: number;
  connections: number;
  corpus: string;
  bigDir: string;
}

interface Throughput {
  what: string;
  files: number;
  added: number;
  refused: number;
  bytes: number;
  seconds: number;
  filesPerSecond: number;
  megabytesPerSecond: number;
}

/** A wrk run plus what it cost the server under test. */
interface Measured extends WrkResult {
  /** Server CPU time (user + system, all its processes) per request served. */
  cpuUsPerRequest: number;
  /** Server CPU seconds per wall second: how many cores it managed to use. */
  coresUsed: number;
}

interface Scenario {
  name: string;
  description: string;
  paved: Measured;
  nginx: Measured | null;
  /** node:http serving the same bytes with no framework: the floor for a Node server. */
  nodeFloor?: Measured;
  /** paved req/s ÷ nginx req/s; the target is ≥ 0.5. */
  ratio: number | null;
}

interface Report {
  date: string;
  command: string;
  machine: { cpus: number; cpuModel: string; node: string; nginx: string; wrk: string; note: string };
  wrk: { threads: number; connections: number; durationSeconds: number };
  server: string;
  imports: Throughput[];
  rss: { stage: string; kib: number | null; files: number }[];
  scenarios: Scenario[];
  profile: ProfileSummary | null;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      tsx: { type: 'boolean', default: false },
      'no-big': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      duration: { type: 'string' },
      threads: { type: 'string', default: '2' },
      connections: { type: 'string', default: '64' },
      corpus: { type: 'string', default: CORPUS },
      'big-dir': { type: 'string', default: BIG },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const positive = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, not '${v}'`);
    return n;
  };
  return {
    quick,
    json: values.json === true,
    tsx: values.tsx === true,
    big: !quick && values['no-big'] !== true,
    profile: values.profile === true,
    keep: values.keep === true,
    durationSeconds: positive('duration', values.duration ?? (quick ? '3' : '10')),
    threads: positive('threads', values.threads ?? '2'),
    connections: positive('connections', values.connections ?? '64'),
    corpus: values.corpus ?? CORPUS,
    bigDir: values['big-dir'] ?? BIG,
  };
}

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

function have(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** nginx and wrk from Debian; installed when missing and we are root. */
function ensureTools(): void {
  const missing = ['nginx', 'wrk'].filter((c) => !have(c) && !existsSync(`/usr/sbin/${c}`));
  if (missing.length === 0) return;
  const command = 'apt-get install -y nginx-light wrk || apt-get install -y nginx wrk';
  if (process.getuid?.() !== 0) {
    throw new Error(`the benchmark needs ${missing.join(' and ')}; install with:\n  sudo sh -c '${command}'`);
  }
  log(`installing ${missing.join(', ')} from Debian`);
  const r = spawnSync('sh', ['-c', `DEBIAN_FRONTEND=noninteractive ${command}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`could not install ${missing.join(', ')}; run: ${command}`);
}

function nginxBinary(): string {
  return have('nginx') ? 'nginx' : '/usr/sbin/nginx';
}

/**
 * The command that runs paved: the bundle `npm start` runs by default (tsx's loader would add
 * start-up and per-module cost), built into a private folder (see `compilePaved`).
 */
function pavedCommand(options: Options): { node: string[]; label: string } {
  if (options.tsx) return { node: ['--import', 'tsx', join(REPO, 'src/cli/main.ts')], label: 'src/cli/main.ts via tsx' };
  const outDir = join(REPO, '.cache/bench-dist');
  log(`bundling paved into ${outDir} (scripts/bundle.mjs)`);
  const main = compilePaved(REPO, outDir, (m) => log(`warning: ${m}`));
  return { node: [main], label: 'bundled JS (esbuild → node)' };
}

/** Runs a paved command to completion and returns the data of its `--json` result line. */
async function runPaved(paved: string[], args: string[], env: NodeJS.ProcessEnv, onSpawn: (child: ChildProcess) => void): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...paved, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: REPO });
    onSpawn(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', reject);
    child.once('close', (c) => resolvePromise({ code: c, stdout: out, stderr: err }));
  });
  const lines = stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  for (const line of lines.reverse()) {
    const event = JSON.parse(line) as { type?: string; data?: unknown };
    if (event.type === 'result' && typeof event.data === 'object' && event.data !== null) {
      // Import exits 1 when some files were refused; the result still counts.
      return event.data as Record<string, unknown>;
    }
  }
  throw new Error(`paved ${args.join(' ')} exited ${code} without a result:\n${stdout}${stderr}`);
}

function distributionFiles(dir: string): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const entry of readdirSync(dir)) {
    if (!DIST_FILE.test(entry)) continue;
    const s = statSync(join(dir, entry));
    if (!s.isFile()) continue;
    count += 1;
    bytes += s.size;
  }
  return { count, bytes };
}

async function timedImport(what: string, run: () => Promise<Record<string, unknown>>, dir: string): Promise<Throughput> {
  const { count, bytes } = distributionFiles(dir);
  log(`${what}: ${count} files, ${(bytes / 1e6).toFixed(1)} MB`);
  const started = process.hrtime.bigint();
  const result = await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const refused = Array.isArray(result['refused']) ? result['refused'].length : 0;
  const added = typeof result['added'] === 'number' ? result['added'] : 0;
  if (refused > 0) log(`  ${refused} refused: ${JSON.stringify(result['refused']).slice(0, 500)}`);
  const t = { what, files: count, added, refused, bytes, seconds, filesPerSecond: count / seconds, megabytesPerSecond: bytes / 1e6 / seconds };
  log(`  ${t.filesPerSecond.toFixed(1)} files/s, ${t.megabytesPerSecond.toFixed(1)} MB/s (${seconds.toFixed(1)} s, ${added} added)`);
  return t;
}

/** GET without an Accept header (like wrk), so the body is what wrk is served. */
function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; contentType: string; body: Buffer }> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function listProjects(base: string, indexPrefix: string): Promise<string[]> {
  const res = await httpGet(`${base}${indexPrefix}/simple/`, { accept: JSON_ACCEPT });
  if (res.status !== 200) throw new Error(`${indexPrefix}/simple/ answered ${res.status}`);
  const doc = JSON.parse(res.body.toString('utf8')) as { projects?: { name?: unknown }[] };
  return (doc.projects ?? []).map((p) => (typeof p.name === 'string' ? normalizeName(p.name) : '')).filter((n) => n !== '').sort();
}

/** Fetches every page once (filling paved's page cache) and copies each to nginx's docroot. */
async function warmAndCopy(base: string, paths: string[], docroot: string): Promise<number> {
  let bytes = 0;
  const queue = [...paths];
  const worker = async () => {
    for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
      const res = await httpGet(`${base}${path}`);
      if (res.status !== 200 || !res.contentType.startsWith('text/html')) throw new Error(`${path} answered ${res.status} ${res.contentType}`);
      writeStaticPage(docroot, path, res.body);
      bytes += res.body.length;
      await httpGet(`${base}${path}`, { accept: JSON_ACCEPT });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return bytes;
}

async function startPaved(registry: ChildRegistry, paved: string[], data: string, tmp: string, nodeFlags: string[] = []) {
  const port = await findFreePort();
  const child = registry.start('paved serve', process.execPath, [...nodeFlags, ...paved, '--data', data, 'serve', '--host', '127.0.0.1', '--port', String(port), '--access-log', 'off'], {
    logFile: join(tmp, 'paved-serve.log'),
    cwd: REPO,
    // stdout carries only the access log (and the listening line): with
    // `--access-log off` it is empty, and if that flag is ignored the log
    // should cost a write to /dev/null, not a pipe this process must drain.
    discardStdout: true,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/simple/`, 30_000, () => child.exitCode === null);
  return { child, url };
}

function fmtUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us} µs`;
}

function renderReport(r: Report): string {
  const lines: string[] = [];
  lines.push(`paved index server vs nginx — ${r.date}`);
  lines.push(`machine: ${r.machine.cpus} CPU (${r.machine.cpuModel}), node ${r.machine.node}, ${r.machine.nginx}, ${r.machine.wrk}`);
  lines.push(`NOTE: ${r.machine.note}`);
  lines.push(`server: ${r.server}; wrk -t${r.wrk.threads} -c${r.wrk.connections} -d${r.wrk.durationSeconds}s --latency`);
  lines.push('');
  lines.push(`${'scenario'.padEnd(30)}${'target'.padEnd(7)}${'req/s'.padStart(7)}  ${'p50'.padEnd(10)}${'p99'.padEnd(10)}${'CPU µs/req'.padStart(7)} cores  paved/nginx req/s`);
  for (const s of r.scenarios) {
    const row = (target: string, w: Measured, ratio: string) =>
      `${s.name.padEnd(30)}${target.padEnd(7)}${w.requestsPerSecond.toFixed(0).padStart(7)}  ${fmtUs(w.p50Us).padEnd(10)}${fmtUs(w.p99Us).padEnd(10)}${w.cpuUsPerRequest.toFixed(1).padStart(7)}  ${w.coresUsed.toFixed(2).padStart(5)}  ${ratio}${errorCount(w) > 0 ? `  (${errorCount(w)} errors!)` : ''}`;
    lines.push(row('paved', s.paved, s.ratio === null ? '' : `${s.ratio.toFixed(2)}× ${s.ratio >= 0.5 ? '(within 2×)' : '(below target 0.5×)'}`));
    if (s.nginx !== null) lines.push(row('nginx', s.nginx, ''));
    if (s.nodeFloor !== undefined) lines.push(row('node', s.nodeFloor, `${(s.paved.requestsPerSecond / s.nodeFloor.requestsPerSecond).toFixed(2)}× of bare node:http (${(s.nodeFloor.requestsPerSecond / (s.nginx?.requestsPerSecond ?? NaN)).toFixed(2)}× nginx)`));
  }
  lines.push('');
  lines.push(`${'import / upload (whole CLI run)'.padEnd(48)}files       MB  seconds  files/s    MB/s`);
  for (const t of r.imports) {
    lines.push(`${t.what.padEnd(48)}${String(t.files).padStart(5)}  ${(t.bytes / 1e6).toFixed(1).padStart(7)}  ${t.seconds.toFixed(1).padStart(7)}  ${t.filesPerSecond.toFixed(1).padStart(7)}  ${t.megabytesPerSecond.toFixed(1).padStart(6)}${t.refused > 0 ? `  (${t.refused} refused)` : ''}`);
  }
  lines.push('');
  lines.push('server RSS (VmRSS)');
  for (const s of r.rss) lines.push(`  ${s.stage.padEnd(58)}${s.kib === null ? '?' : `${(s.kib / 1024).toFixed(1)} MB`.padStart(10)}  (${s.files} files in the catalog)`);
  if (r.profile !== null) {
    lines.push('');
    lines.push(`CPU profile of the server during the hot-page run (${r.profile.samples} samples), self time:`);
    for (const a of r.profile.areas.slice(0, 12)) lines.push(`  ${a.selfPercent.toFixed(1).padStart(5)}%  ${a.label}`);
    lines.push('  top functions:');
    for (const f of r.profile.functions.slice(0, 20)) lines.push(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.label}`);
  }
  return lines.join('\n');
}

function machineInfo(): Report['machine'] {
  const cpuModel = cpus()[0]?.model.trim() ?? 'unknown';
  const nginxVersion = (spawnSync(nginxBinary(), ['-v'], { encoding: 'utf8' }).stderr ?? '').trim();
  const wrkVersion = ((spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout ?? '').split('\n')[0] ?? '').replace(/ Copyright.*$/, '').trim();
  return {
    cpus: cpus().length,
    cpuModel,
    node: process.version,
    nginx: nginxVersion,
    wrk: wrkVersion,
    note: `wrk, the server under test and nginx share these ${cpus().length} CPUs: absolute numbers are low and the load generator steals time from the server; compare the ratios. paved is one Node process (one core at most for JS); nginx runs 'worker_processes auto' (${cpus().length} workers).`,
  };
}

async function main(): Promise<void> {
  const options = readOptions();
  ensureTools();
  if (!existsSync(options.corpus)) throw new Error(`corpus not found: ${options.corpus}`);
  const registry = createChildRegistry();
  const tmp = mkdtempSync(join(tmpdir(), 'paved-bench-'));
  const run = stopOnExitAndInterrupt({ stop: () => registry.stopAll(), tmp, keep: options.keep, log });

  const data = join(tmp, 'data');
  const wrkDir = join(tmp, 'wrk');
  mkdirSync(wrkDir);
  log(`working in ${tmp}`);
  try {
    const paved = pavedCommand(options);
    const pavedRun = (args: string[], env: NodeJS.ProcessEnv = process.env) => () => runPaved(paved.node, args, env, (child) => registry.adopt(child));
    const report: Report = {
      date: new Date().toISOString(),
      command: `node --import tsx bench/indexServer.ts ${process.argv.slice(2).join(' ')}`.trim(),
      machine: machineInfo(),
      wrk: { threads: options.threads, connections: options.connections, durationSeconds: options.durationSeconds },
      server: paved.label,
      imports: [],
      rss: [],
      scenarios: [],
      profile: null,
    };
    let filesInCatalog = 0;

    // Set-up in local mode before the server starts: indexes and an admin token.
    await pavedRun(['--data', data, 'index', 'create', 'bench/upload'])();
    await pavedRun(['--data', data, 'index', 'create', 'bench/big'])();
    const tokenResult = await pavedRun(['--data', data, 'token', 'create', '--user', 'bench', '--scope', 'admin:*', '--description', 'benchmark uploads'])();
    const token = tokenResult['token'];
    if (typeof token !== 'string') throw new Error('token create returned no token');
    const remoteEnv = { ...process.env, PAVED_TOKEN: token };

    let server = await startPaved(registry, paved.node, data, tmp);
    const rss = (stage: string) => {
      const kib = readRssKiB(server.child.pid ?? -1);
      report.rss.push({ stage, kib, files: filesInCatalog });
      log(`RSS ${stage}: ${kib === null ? '?' : `${(kib / 1024).toFixed(1)} MB`}`);
    };
    log(`paved serving at ${server.url} (pid ${server.child.pid})`);
    rss('after start (empty catalog)');

    const corpusImport = await timedImport('import --data (local) → root/main', pavedRun(['--data', data, 'import', 'root/main', options.corpus]), options.corpus);
    report.imports.push(corpusImport);
    filesInCatalog += corpusImport.added;
    const upload = await timedImport('import --server (HTTP upload) → bench/upload', pavedRun(['--server', server.url, 'import', 'bench/upload', options.corpus], remoteEnv), options.corpus);
    report.imports.push(upload);
    filesInCatalog += upload.added;

    const projects = await listProjects(server.url, '/root/main');
    if (!projects.includes('flask')) throw new Error(`no flask among the corpus projects: ${projects.join(' ')}`);
    const corpusPaths = projects.map((p) => `/simple/${encodeURIComponent(p)}/`);

    // nginx gets byte-identical copies of the pages paved serves.
    const docroot = join(tmp, 'docroot');
    const nginxPrefix = join(tmp, 'nginx');
    mkdirSync(nginxPrefix);
    const pageBytes = await warmAndCopy(server.url, corpusPaths, docroot);
    log(`${projects.length} corpus projects, ${(pageBytes / 1024).toFixed(0)} KiB of HTML pages copied for nginx`);
    rss('after corpus import + upload + warm-up');

    const nginxPort = await findFreePort();
    const layout = { prefix: nginxPrefix, docroot, configFile: join(nginxPrefix, 'nginx.conf'), port: nginxPort };
    writeNginxConfig(layout, { runAsRoot: process.getuid?.() === 0 });
    const nginx = registry.start('nginx', nginxBinary(), ['-p', nginxPrefix, '-c', layout.configFile], { logFile: join(nginxPrefix, 'stderr.log') });
    const nginxUrl = `http://127.0.0.1:${nginxPort}`;
    await waitForHttp(`${nginxUrl}/simple/flask/`, 10_000, () => nginx.exitCode === null);
    const [fromPaved, fromNginx] = await Promise.all([httpGet(`${server.url}/simple/flask/`), httpGet(`${nginxUrl}/simple/flask/`)]);
    if (!fromPaved.body.equals(fromNginx.body)) throw new Error('nginx does not serve the same bytes as paved for /simple/flask/');
    log(`nginx serving the copies at ${nginxUrl}`);

    const wrk = (name: string, url: string, paths: string[] | undefined, headers: Record<string, string> | undefined, durationSeconds: number) =>
      runWrk({ name, url, threads: options.threads, connections: options.connections, durationSeconds, scriptDir: wrkDir, onSpawn: (child) => registry.adopt(child), ...(paths ? { paths } : {}), ...(headers ? { headers } : {}) });
    // A short discarded run first, so JIT warm-up and connection set-up stay out of both servers' tails.
    const measure = async (name: string, url: string, pid: number, paths?: string[], headers?: Record<string, string>): Promise<Measured> => {
      log(`wrk ${name} → ${url}${paths ? ` (rotating over ${paths.length} pages)` : ''}`);
      await wrk(`${name}-warmup`, url, paths, headers, 1);
      const cpuBefore = readCpuSeconds(pid);
      const result = await wrk(name, url, paths, headers, options.durationSeconds);
      const cpu = readCpuSeconds(pid) - cpuBefore;
      const measured = { ...result, cpuUsPerRequest: result.requests === 0 ? 0 : (cpu * 1e6) / result.requests, coresUsed: cpu / result.durationSeconds };
      log(`  ${measured.requestsPerSecond.toFixed(0)} req/s, p99 ${fmtUs(measured.p99Us)}, ${measured.cpuUsPerRequest.toFixed(1)} µs CPU/request, ${measured.coresUsed.toFixed(2)} cores${errorCount(result) > 0 ? `, ${errorCount(result)} ERRORS` : ''}`);
      return measured;
    };
    const compare = async (name: string, description: string, path: string, paths?: string[]) => {
      const p = await measure(`${name}-paved`, `${server.url}${path}`, server.child.pid ?? -1, paths);
      const n = await measure(`${name}-nginx`, `${nginxUrl}${path}`, nginx.pid ?? -1, paths);
      report.scenarios.push({ name, description, paved: p, nginx: n, ratio: p.requestsPerSecond / n.requestsPerSecond });
    };
    const pavedOnly = async (name: string, description: string, path: string, paths?: string[], headers?: Record<string, string>) => {
      const p = await measure(`${name}-paved`, `${server.url}${path}`, server.child.pid ?? -1, paths, headers);
      report.scenarios.push({ name, description, paved: p, nginx: null, ratio: null });
    };

    await compare('hot page /simple/flask/', 'one cached HTML page', '/simple/flask/');
    {
      // Reference: the same page from bare node:http, what a Node server can reach here.
      const floorPort = await findFreePort();
      const floor = registry.start('node:http floor', process.execPath, ['--import', 'tsx', join(REPO, 'bench/nodeHttpFloor.ts'), join(docroot, 'simple/flask/index.html'), String(floorPort)], {
        logFile: join(tmp, 'node-floor.log'),
        cwd: REPO,
      });
      await waitForHttp(`http://127.0.0.1:${floorPort}/`, 10_000, () => floor.exitCode === null);
      const hot = report.scenarios[report.scenarios.length - 1]!;
      hot.nodeFloor = await measure('hot-node-floor', `http://127.0.0.1:${floorPort}/simple/flask/`, floor.pid ?? -1);
      await registry.stop(floor);
    }
    await compare(`rotate ${corpusPaths.length} corpus pages`, 'every corpus project page in turn (HTML)', '/', corpusPaths);
    await pavedOnly('hot page, JSON Accept', 'PEP 691 JSON of /simple/flask/', '/simple/flask/', undefined, { Accept: JSON_ACCEPT });
    await pavedOnly(`rotate ${corpusPaths.length} pages, JSON`, 'every corpus project page in turn (PEP 691 JSON)', '/', corpusPaths, { Accept: JSON_ACCEPT });
    rss('after the corpus wrk runs');

    if (options.big && existsSync(options.bigDir)) {
      const big = await timedImport('import --server (HTTP upload) → bench/big', pavedRun(['--server', server.url, 'import', 'bench/big', options.bigDir], remoteEnv), options.bigDir);
      report.imports.push(big);
      filesInCatalog += big.added;
      rss(`after uploading ${options.bigDir} (${big.files} files, ${(big.bytes / 1e9).toFixed(1)} GB)`);
      const bigProjects = await listProjects(server.url, '/bench/big');
      const bigPaths = bigProjects.map((p) => `/bench/big/simple/${encodeURIComponent(p)}/`);
      const bigPageBytes = await warmAndCopy(server.url, bigPaths, docroot);
      log(`${bigProjects.length} projects in bench/big, ${(bigPageBytes / 1e6).toFixed(1)} MB of HTML pages`);
      rss(`after hitting all ${bigPaths.length} bench/big pages once (HTML + JSON)`);
      await compare(`rotate ${bigPaths.length} /opt/pypi pages`, 'every bench/big project page in turn (HTML)', '/', bigPaths);
      await pavedOnly(`rotate ${bigPaths.length} pages, JSON`, 'every bench/big project page in turn (PEP 691 JSON)', '/', bigPaths, { Accept: JSON_ACCEPT });
      rss('after the /opt/pypi wrk runs');
    } else if (options.big) {
      log(`${options.bigDir} not found: skipping the large index`);
    }

    if (options.profile) {
      // A fresh server with the profiler on: only warm-up and the hot-page run land in the profile.
      await registry.stop(server.child);
      const profDir = join(tmp, 'cpuprofile');
      server = await startPaved(registry, paved.node, data, tmp, ['--cpu-prof', '--cpu-prof-dir', profDir]);
      await warmAndCopy(server.url, ['/simple/flask/'], join(tmp, 'scratch'));
      await measure('profile-hot-paved', `${server.url}/simple/flask/`, server.child.pid ?? -1);
      await registry.stop(server.child);
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file === undefined) log('the server wrote no CPU profile');
      else {
        report.profile = summarizeCpuProfile(join(profDir, file));
        log(`CPU profile: ${join(profDir, file)}`);
      }
    }

    await registry.stop(nginx);
    await registry.stop(server.child);

    saveAndPrintReport(REPO, 'indexServer', report, options.json, renderReport, log);
  } catch (error) {
    // A run cut short by Ctrl-C fails in whatever step it was in; that is not news.
    if (!run.interrupted()) throw error;
  } finally {
    registry.stopAll();
    if (options.keep || options.profile) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

runBenchmark('bench/indexServer.ts', main);

