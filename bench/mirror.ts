/**
 * Benchmark: pip installing the closure of `jupyter` from /opt/pypi through
 * paved's vetted mirror (cold: paved fetches, verifies, scans and stores every
 * file on first request; warm: everything already in paved's store) against
 * the same pip installing directly from nginx serving the same tree as static
 * files. See bench/README.md.
 *
 *   node --import tsx bench/mirror.ts [--json] [--runs N] [--profile] [--keep]
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createVenv, describeRun, run, type RunResult, type Venv } from '../test/fixtures/pythonTools.js';
import { createChildRegistry, findFreePort, readCpuSeconds, readRssKiB, runBenchmark, stopOnExitAndInterrupt, waitForHttp, type ChildRegistry } from './childProcesses.js';
import { median } from './benchInputs.js';
import { compilePaved } from './compilePaved.js';
import { profileSummaryLines, summarizeCpuProfile, type ProfileSummary } from './cpuProfileSummary.js';
import { renderNginxConfig } from './staticNginx.js';
import { saveAndPrintReport } from './reportOutput.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PYPI = '/opt/pypi';
const TARGET = 'jupyter';
const PIP_TIMEOUT_MS = 900_000;

interface Options {
  json: boolean;
  runs: number;
  profile: boolean;
  keep: boolean;
  pypi: string;
}

/** One timed `pip install` into a fresh venv (venv creation not timed). */
interface PipRun {
  seconds: number;
  /** CPU seconds the server (paved, or nginx master + workers) used during the run. */
  serverCpuSeconds: number;
  /** Requests the upstream nginx saw during the run (mirror runs only). */
  upstreamRequests: number | null;
}

/** `install` into a fresh venv, or `download -d` only (no unpacking: closer to the server's share). */
type Mode = 'install' | 'download';
/** static: nginx directly; cold: paved with an empty store; warm: paved with every file stored. */
type Phase = 'static' | 'cold' | 'warm';

interface Scenario {
  mode: Mode;
  phase: Phase;
  name: string;
  runs: PipRun[];
  minSeconds: number;
  medianSeconds: number;
}

interface Report {
  date: string;
  command: string;
  machine: { cpus: number; cpuModel: string; node: string; nginx: string; pip: string; python: string; loadAverage: string };
  closure: { packages: number; wheels: number; sdists: number; megabytes: number };
  server: string;
  scenarios: Scenario[];
  /** Medians: paved cold or warm ÷ static, per mode. */
  ratios: Record<Mode, { coldOverStatic: number; warmOverStatic: number }>;
  paved: {
    rssAfterColdKiB: number | null;
    rssAfterWarmKiB: number | null;
    filesFetched: number;
    megabytesFetched: number;
    filesHeld: number;
    filesWithFindings: number;
    blobStoreMegabytes: number;
  };
  notes: string[];
  profile: ProfileSummary | null;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      runs: { type: 'string', default: '2' },
      profile: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      pypi: { type: 'string', default: PYPI },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, not '${values.runs}'`);
  return { json: values.json === true, runs, profile: values.profile === true, keep: values.keep === true, pypi: values.pypi ?? PYPI };
}

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

function have(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function nginxBinary(): string {
  if (have('nginx')) return 'nginx';
  if (existsSync('/usr/sbin/nginx')) return '/usr/sbin/nginx';
  const command = 'apt-get install -y nginx-light || apt-get install -y nginx';
  if (process.getuid?.() !== 0) throw new Error(`the benchmark needs nginx; install with:\n  sudo sh -c '${command}'`);
  log('installing nginx from Debian');
  const r = spawnSync('sh', ['-c', `DEBIAN_FRONTEND=noninteractive ${command}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`could not install nginx; run: ${command}`);
  return have('nginx') ? 'nginx' : '/usr/sbin/nginx';
}

/**
 * Starts nginx with `docroot` as its root. The static baseline keeps the
 * access log off (the config a platform team would write); the upstream of
 * the mirror logs requests so the benchmark can count what paved fetched.
 */
async function startNginx(registry: ChildRegistry, binary: string, prefix: string, docroot: string, accessLog: string | null): Promise<{ child: ChildProcess; url: string }> {
  const port = await findFreePort();
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, d), { recursive: true });
  const layout = { prefix, docroot, configFile: join(prefix, 'nginx.conf'), port };
  let config = renderNginxConfig(layout, { runAsRoot: process.getuid?.() === 0 });
  if (accessLog !== null) config = config.replace('access_log off;', `access_log ${accessLog};`);
  writeFileSync(layout.configFile, config);
  const child = registry.start('nginx', binary, ['-p', prefix, '-c', layout.configFile], { logFile: join(prefix, 'stderr.log') });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/simple/`, 10_000, () => child.exitCode === null);
  return { child, url };
}

function countLines(file: string): number {
  if (!existsSync(file)) return 0;
  const text = readFileSync(file, 'utf8');
  return text === '' ? 0 : text.split('\n').filter((l) => l !== '').length;
}

/** Runs a paved command to completion and returns the data of its `--json` result line. */
async function runPaved(main: string, args: string[]): Promise<unknown> {
  const r = await run(process.execPath, [main, '--json', ...args], { cwd: REPO, timeoutMs: 120_000 });
  for (const line of r.stdout.trim().split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { type?: string; data?: unknown };
    if (event.type === 'result') return event.data;
  }
  throw new Error(`paved ${args.join(' ')} gave no result: ${describeRun(r)}`);
}

function scenario(mode: Mode, phase: Phase, name: string, runs: PipRun[]): Scenario {
  const seconds = runs.map((r) => r.seconds);
  return { mode, phase, name, runs, minSeconds: Math.min(...seconds), medianSeconds: median(seconds) };
}

function directorySize(dir: string): number {
  let bytes = 0;
  if (!existsSync(dir)) return 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) bytes += directorySize(p);
    else if (entry.isFile()) bytes += statSync(p).size;
  }
  return bytes;
}

/** pip's `--dry-run --report`: what the closure is, checked to come from the tree alone. */
async function resolveClosure(venv: Venv, indexUrl: string, pypi: string, reportFile: string): Promise<Report['closure']> {
  const r = await venv.pip(['install', '--dry-run', '--ignore-installed', '--report', reportFile, '--index-url', indexUrl, TARGET], { timeoutMs: PIP_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`${TARGET} does not resolve from ${pypi} alone: ${describeRun(r)}`);
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { install?: { download_info?: { url?: string } }[] };
  let wheels = 0;
  let sdists = 0;
  let bytes = 0;
  for (const item of report.install ?? []) {
    const url = item.download_info?.url ?? '';
    const name = decodeURIComponent(basename(new URL(url).pathname));
    if (name.endsWith('.whl')) wheels += 1;
    else sdists += 1;
    const local = join(pypi, 'files', name);
    if (existsSync(local)) bytes += statSync(local).size;
  }
  return { packages: (report.install ?? []).length, wheels, sdists, megabytes: bytes / 1e6 };
}

interface AuditEntry {
  action: string;
  details?: { size?: number; findings?: unknown };
}

function fmtS(s: number): string {
  return `${s.toFixed(1)} s`;
}

function renderReport(r: Report): string {
  const lines: string[] = [];
  lines.push(`pip install ${TARGET} — paved mirror vs nginx static — ${r.date}`);
  lines.push(`machine: ${r.machine.cpus} CPU (${r.machine.cpuModel}), load ${r.machine.loadAverage}, node ${r.machine.node}, ${r.machine.nginx}, ${r.machine.pip}, ${r.machine.python}`);
  lines.push(`closure: ${r.closure.packages} packages (${r.closure.wheels} wheels, ${r.closure.sdists} sdists), ${r.closure.megabytes.toFixed(1)} MB; server: ${r.server}`);
  lines.push('');
  lines.push(`${'scenario'.padEnd(44)}${'runs'.padStart(5)}${'min'.padStart(9)}${'median'.padStart(9)}  server CPU (median)  upstream requests`);
  for (const s of r.scenarios) {
    const cpu = median(s.runs.map((x) => x.serverCpuSeconds));
    const upstream = s.runs.map((x) => x.upstreamRequests).filter((x): x is number => x !== null);
    lines.push(`${s.name.padEnd(44)}${String(s.runs.length).padStart(5)}${fmtS(s.minSeconds).padStart(9)}${fmtS(s.medianSeconds).padStart(9)}  ${fmtS(cpu).padStart(19)}  ${upstream.length === 0 ? '' : upstream.join(', ')}`);
  }
  lines.push('');
  for (const mode of ['install', 'download'] as const) {
    lines.push(`pip ${mode.padEnd(9)} mirror cold / static: ${r.ratios[mode].coldOverStatic.toFixed(2)}×   mirror warm / static: ${r.ratios[mode].warmOverStatic.toFixed(2)}×   (medians)`);
  }
  lines.push(
    `paved: fetched and scanned ${r.paved.filesFetched} files, ${r.paved.megabytesFetched.toFixed(1)} MB (${r.paved.filesHeld} held, ${r.paved.filesWithFindings} with findings); blob store ${r.paved.blobStoreMegabytes.toFixed(1)} MB`,
  );
  const mb = (k: number | null) => (k === null ? '?' : `${(k / 1024).toFixed(1)} MB`);
  lines.push(`paved RSS: ${mb(r.paved.rssAfterColdKiB)} after the cold install, ${mb(r.paved.rssAfterWarmKiB)} after the warm installs and downloads`);
  for (const n of r.notes) lines.push(`NOTE: ${n}`);
  if (r.profile !== null) {
    lines.push('');
    lines.push(...profileSummaryLines('CPU profile of paved during a cold download', r.profile, { areas: 12, functions: 20 }));
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = readOptions();
  if (!existsSync(join(options.pypi, 'simple')) || !existsSync(join(options.pypi, 'files'))) {
    process.stdout.write(`bench/mirror.ts: ${options.pypi} (simple/ and files/) not found on this machine; nothing to measure.\n`);
    return;
  }
  const nginx = nginxBinary();
  const registry = createChildRegistry();
  const tmp = mkdtempSync(join(tmpdir(), 'paved-bench-mirror-'));
  const run = stopOnExitAndInterrupt({ stop: () => registry.stopAll(), tmp, keep: options.keep, log });
  log(`working in ${tmp}`);
  try {
    log('bundling paved into .cache/bench-dist-mirror (scripts/bundle.mjs)');
    const main = compilePaved(REPO, join(REPO, '.cache/bench-dist-mirror'), (m) => log(`warning: ${m}`));

    const staticServer = await startNginx(registry, nginx, join(tmp, 'nginx-static'), options.pypi, null);
    const upstreamLog = join(tmp, 'nginx-upstream', 'access.log');
    const upstream = await startNginx(registry, nginx, join(tmp, 'nginx-upstream'), options.pypi, upstreamLog);
    log(`nginx: static baseline at ${staticServer.url}, the mirror's upstream at ${upstream.url}`);

    let venvCount = 0;
    const freshVenv = () => createVenv(join(tmp, `venv-${++venvCount}`), { timeoutMs: 120_000 });
    const probe = await freshVenv();
    const pipVersion = (await probe.pip(['--version'])).stdout.trim().split(' from ')[0] ?? '?';
    const pythonVersion = (await probe.python3(['--version'])).stdout.trim();
    log(`checking that ${TARGET} resolves from ${options.pypi} alone (${pipVersion}, --dry-run)`);
    const closure = await resolveClosure(probe, `${staticServer.url}/simple/`, options.pypi, join(tmp, 'dry-run.json'));
    log(`closure: ${closure.packages} packages (${closure.wheels} wheels, ${closure.sdists} sdists), ${closure.megabytes.toFixed(1)} MB`);
    rmSync(probe.dir, { recursive: true, force: true });

    const downloader = await freshVenv();
    /**
     * One timed pip run against `indexUrl`. `install`: into a fresh venv
     * (removed after). `download`: `pip download -d` into a fresh folder,
     * the same resolution and transfers without unpacking and compiling,
     * so the server's share of the time shows better.
     */
    const pipTimed = async (mode: Mode, what: string, indexUrl: string, serverPid: number, countUpstream: boolean): Promise<PipRun> => {
      const venv = mode === 'install' ? await freshVenv() : downloader;
      const dest = join(tmp, `download-${++venvCount}`);
      const args = mode === 'install' ? ['install', '--index-url', indexUrl, TARGET] : ['download', '-d', dest, '--index-url', indexUrl, TARGET];
      const upstreamBefore = countLines(upstreamLog);
      const cpuBefore = readCpuSeconds(serverPid);
      const started = process.hrtime.bigint();
      const r: RunResult = await venv.pip(args, { timeoutMs: PIP_TIMEOUT_MS });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const serverCpuSeconds = readCpuSeconds(serverPid) - cpuBefore;
      if (r.code !== 0) throw new Error(`pip ${mode} ${TARGET} (${what}) failed: ${describeRun(r)}`);
      const got = mode === 'install' ? (/Successfully installed (.*)/.exec(r.stdout)?.[1]?.split(' ').length ?? 0) : readdirSync(dest).length;
      if (got !== closure.packages) throw new Error(`pip ${mode} got ${got} packages (${what}), the dry run said ${closure.packages}: ${describeRun(r)}`);
      const upstreamRequests = countUpstream ? countLines(upstreamLog) - upstreamBefore : null;
      rmSync(mode === 'install' ? venv.dir : dest, { recursive: true, force: true });
      log(`  pip ${mode}, ${what}: ${fmtS(seconds)}, server CPU ${fmtS(serverCpuSeconds)}${upstreamRequests === null ? '' : `, ${upstreamRequests} upstream requests`}`);
      return { seconds, serverCpuSeconds, upstreamRequests };
    };

    let pavedCount = 0;
    /** A fresh data dir: root/pypi mirrors the upstream nginx, root/main has it as base; then `paved serve`. */
    const startPaved = async (nodeFlags: string[] = []) => {
      const data = join(tmp, `data-${++pavedCount}`);
      await runPaved(main, ['--data', data, 'index', 'create', 'root/pypi', '--mirror', `${upstream.url}/simple/`]);
      await runPaved(main, ['--data', data, 'index', 'update', 'root/main', '--bases', 'root/pypi']);
      const port = await findFreePort();
      const child = registry.start('paved serve', process.execPath, [...nodeFlags, main, '--data', data, 'serve', '--host', '127.0.0.1', '--port', String(port), '--access-log', 'off'], {
        logFile: join(tmp, 'paved-serve.log'),
        cwd: REPO,
        discardStdout: true,
      });
      const url = `http://127.0.0.1:${port}`;
      await waitForHttp(`${url}/simple/`, 30_000, () => child.exitCode === null);
      log(`paved serving at ${url} (pid ${child.pid}, data ${data}); root/main → root/pypi → ${upstream.url}/simple/`);
      return { child, url, data, pid: child.pid ?? -1, indexUrl: `${url}/root/main/simple/` };
    };

    const staticUrl = `${staticServer.url}/simple/`;
    const staticPid = staticServer.child.pid ?? -1;
    const runs: Record<Mode, Record<Phase, PipRun[]>> = { install: { static: [], cold: [], warm: [] }, download: { static: [], cold: [], warm: [] } };
    // Static first: it also brings /opt/pypi into the page cache, so the cold
    // mirror run is not charged for the disk.
    runs.install.static.push(await pipTimed('install', 'static #1', staticUrl, staticPid, false));
    runs.download.static.push(await pipTimed('download', 'static #1', staticUrl, staticPid, false));

    const paved = await startPaved();
    runs.install.cold.push(await pipTimed('install', 'mirror cold', paved.indexUrl, paved.pid, true));
    const rssAfterColdKiB = readRssKiB(paved.pid);
    // Warm and static alternate, so a change in the machine's load between
    // runs lands on both sides.
    for (let i = 1; i <= options.runs; i++) {
      runs.install.warm.push(await pipTimed('install', `mirror warm #${i}`, paved.indexUrl, paved.pid, true));
      if (i < options.runs) runs.install.static.push(await pipTimed('install', `static #${i + 1}`, staticUrl, staticPid, false));
    }
    for (let i = 1; i <= options.runs; i++) {
      runs.download.warm.push(await pipTimed('download', `mirror warm #${i}`, paved.indexUrl, paved.pid, true));
      if (i < options.runs) runs.download.static.push(await pipTimed('download', `static #${i + 1}`, staticUrl, staticPid, false));
    }
    const rssAfterWarmKiB = readRssKiB(paved.pid);

    const audit = (await runPaved(main, ['--data', paved.data, 'audit-log', '--limit', '100000'])) as AuditEntry[];
    const fetched = audit.filter((e) => e.action === 'mirror.fetch');
    const held = audit.filter((e) => e.action === 'mirror.quarantine' || e.action === 'mirror.block');
    const withFindings = fetched.filter((e) => typeof e.details?.findings === 'number' && e.details.findings > 0).length;
    const blobStoreMegabytes = directorySize(join(paved.data, 'blobs')) / 1e6;
    await registry.stop(paved.child);

    // A second empty paved for the cold download.
    const second = await startPaved();
    runs.download.cold.push(await pipTimed('download', 'mirror cold', second.indexUrl, second.pid, true));
    await registry.stop(second.child);

    let profile: ProfileSummary | null = null;
    if (options.profile) {
      // One more cold download, paved under the profiler; not counted in the figures.
      const profDir = join(tmp, 'cpuprofile');
      const profiled = await startPaved(['--cpu-prof', '--cpu-prof-dir', profDir]);
      await pipTimed('download', 'mirror cold, paved under --cpu-prof (not counted)', profiled.indexUrl, profiled.pid, true);
      await registry.stop(profiled.child);
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file === undefined) log('paved wrote no CPU profile');
      else {
        profile = summarizeCpuProfile(join(profDir, file), 25);
        log(`CPU profile: ${join(profDir, file)}`);
      }
    }

    const scenarios: Scenario[] = [];
    const ratios = {} as Report['ratios'];
    for (const mode of ['install', 'download'] as const) {
      const st = scenario(mode, 'static', `pip ${mode} → nginx (static ${options.pypi})`, runs[mode].static);
      const co = scenario(mode, 'cold', `pip ${mode} → paved mirror, cold`, runs[mode].cold);
      const wa = scenario(mode, 'warm', `pip ${mode} → paved mirror, warm`, runs[mode].warm);
      scenarios.push(st, co, wa);
      ratios[mode] = { coldOverStatic: co.medianSeconds / st.medianSeconds, warmOverStatic: wa.medianSeconds / st.medianSeconds };
    }
    const loads = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const report: Report = {
      date: new Date().toISOString(),
      command: `node --import tsx bench/mirror.ts ${process.argv.slice(2).join(' ')}`.trim(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        node: process.version,
        nginx: (spawnSync(nginx, ['-v'], { encoding: 'utf8' }).stderr ?? '').trim(),
        pip: pipVersion,
        python: pythonVersion,
        loadAverage: loads,
      },
      closure,
      server: 'paved built JS (tsc → node), --access-log off; upstream and baseline: nginx on 127.0.0.1',
      scenarios,
      ratios,
      paved: {
        rssAfterColdKiB,
        rssAfterWarmKiB,
        filesFetched: fetched.length,
        megabytesFetched: fetched.reduce((n, e) => n + (typeof e.details?.size === 'number' ? e.details.size : 0), 0) / 1e6,
        filesHeld: held.length,
        filesWithFindings: withFindings,
        blobStoreMegabytes,
      },
      notes: [
        `${options.pypi}'s pages carry no upload-time, so the release-age rule (default: hold upstream files younger than 7 days, unknown upload time allowed) holds nothing back here; every other rule of the default policy ran on every file.`,
        'pip runs with --no-cache-dir in a fresh venv each time (venv creation not timed): "warm" means warm in paved\'s store, not in pip\'s cache, so the difference to static is the server.',
        '`pip download -d` does the same resolution and transfers without unpacking and byte-compiling, so the server\'s share of the time shows better than in `pip install`.',
      ],
      profile,
    };

    saveAndPrintReport(REPO, 'mirror', report, options.json, renderReport, log);
  } catch (error) {
    if (!run.interrupted()) throw error;
  } finally {
    registry.stopAll();
    if (options.keep || options.profile) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

runBenchmark('bench/mirror.ts', main);
