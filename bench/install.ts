/**
 * Benchmark: `paved install` against pip 23.2.1 installing the same closure from the same
 * paved server, cold (empty cache) and warm (cache filled, fresh environment), plus
 * resolve-only rows (`pip install --dry-run --report` vs `paved install --dry-run`). Prints
 * time, ratio and peak RSS per row. See bench/README.md.
 *
 *   node --import tsx bench/install.ts [--json] [--runs N] [--no-big] [--profile] [--keep] [--tasks id,id] [--tmpdir DIR] [--latency MS]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeRun, isolatedPipEnv, run, type RunResult } from '../test/fixtures/pythonTools.js';
import { createChildRegistry, findFreePort, readRssKiB, runBenchmark, stopOnExitAndInterrupt, waitForHttp } from './childProcesses.js';
import { compilePaved, compilePavedLauncher } from './compilePaved.js';
import { startDelayProxy } from './delayProxy.js';
import { profileSummaryLines, summarizeCpuProfile, type ProfileSummary } from './cpuProfileSummary.js';
import { saveAndPrintReport } from './reportOutput.js';
import { jupyterClosure, median } from './benchInputs.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = resolve(REPO, '../shared/corpus/pypi-subset');
const PYPI = '/opt/pypi';
const TIMEOUT_MS = 900_000;

interface Options {
  /** The rows to measure (`--tasks id,id`; default all). */
  tasks: Task[];
  json: boolean;
  runs: number;
  big: boolean;
  profile: boolean;
  keep: boolean;
  corpus: string;
  pypi: string;
  /** Where caches and environments go (`--tmpdir`; default the OS temp dir): its file system decides much of an install's time. */
  tmpdir: string;
  /** Milliseconds added to every request by a proxy in front of the server (`--latency`; default 0, no proxy). */
  latencyMs: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      runs: { type: 'string', default: '3' },
      'no-big': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      corpus: { type: 'string', default: CORPUS },
      pypi: { type: 'string', default: PYPI },
      tasks: { type: 'string' },
      tmpdir: { type: 'string' },
      latency: { type: 'string', default: '0' },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, not '${values.runs}'`);
  const latencyMs = Number(values.latency);
  if (!Number.isInteger(latencyMs) || latencyMs < 0) throw new Error(`--latency must be a whole number of milliseconds, not '${values.latency}'`);
  const tasks = values.tasks === undefined ? TASKS : TASKS.filter((t) => values.tasks?.split(',').includes(t.id));
  if (tasks.length === 0) throw new Error(`--tasks names none of: ${TASKS.map((t) => t.id).join(', ')}`);
  return {
    tasks,
    json: values.json === true,
    runs,
    big: values['no-big'] !== true,
    profile: values.profile === true,
    keep: values.keep === true,
    corpus: values.corpus ?? CORPUS,
    pypi: values.pypi ?? PYPI,
    tmpdir: values.tmpdir ?? tmpdir(),
    latencyMs,
  };
}

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

/** One set of requirements installed from one index of the server. */
interface PackageSet {
  name: string;
  requirements: string[];
  /** Index path on the server (`owner/name`). */
  index: string;
  /** Wheel files imported into that index. */
  files: string[];
}

/** One timed run of one tool. */
interface Sample {
  seconds: number;
  peakRssKiB: number | null;
}

type Tool = 'pip' | 'paved';
type Phase = 'cold' | 'warm';

/** A row of the table: one task, one phase, both tools. */
interface Row {
  set: string;
  task: string;
  phase: Phase;
  pip: Sample[];
  paved: Sample[];
  pipMedian: number | null;
  pavedMedian: number | null;
  /** pip ÷ paved (medians): how many times faster paved is. */
  ratio: number | null;
  note: string | null;
}

interface Report {
  date: string;
  command: string;
  machine: { cpus: number; cpuModel: string; node: string; pip: string; python: string; loadAverageBefore: string; loadAverageAfter: string; tmpdir: string };
  /** Milliseconds a proxy added to every request (0: the clients talked to the server directly). */
  latencyMs: number;
  runs: number;
  sets: { name: string; requirements: string[]; packages: number }[];
  rows: Row[];
  notes: string[];
  profiles: { label: string; summary: ProfileSummary }[];
}

/** What one invocation of a task needs: where to install and which cache to use. */
interface TaskContext {
  set: PackageSet;
  indexUrl: string;
  cacheDir: string;
  /** A directory that does not exist yet (paved creates it; pip gets a `python -m venv` made there first). */
  venvDir: string;
}

/**
 * A task both tools perform. Add a row (e.g. `paved lock` against `pip-compile`) by adding a
 * task: `pipArgs` are given to `python -m pip`, `pavedArgs` to the paved CLI (null when the
 * CLI cannot do it yet, with `missing` saying why), and `expectInstalled` says whether the run
 * must end with the whole closure installed.
 */
interface Task {
  id: string;
  pipArgs(ctx: TaskContext): string[];
  pavedArgs(ctx: TaskContext, pavedHelp: PavedHelp): string[] | null;
  missing: string;
  /** pip needs a venv to run in; paved is given `--target-venv` (and may create it). */
  pipNeedsVenv: boolean;
  expectInstalled: boolean;
}

/** Which optional flags the paved CLI under test has (other engineers are adding them). */
interface PavedHelp {
  installDryRun: boolean;
}

const TASKS: Task[] = [
  {
    id: 'install',
    pipArgs: (c) => ['install', '--index-url', c.indexUrl, '--cache-dir', c.cacheDir, ...c.set.requirements],
    pavedArgs: (c) => ['install', '--index-url', c.indexUrl, '--target-venv', c.venvDir, '--python', '3.11', '--cache-dir', c.cacheDir, ...c.set.requirements],
    missing: '',
    pipNeedsVenv: true,
    expectInstalled: true,
  },
  {
    // pip byte-compiles what it installs unless told not to; paved compiles only on request.
    // This row takes that work out of pip's time, so the ratio compares unpacking and linking alone.
    id: 'install (pip --no-compile)',
    pipArgs: (c) => ['install', '--no-compile', '--index-url', c.indexUrl, '--cache-dir', c.cacheDir, ...c.set.requirements],
    pavedArgs: (c) => ['install', '--index-url', c.indexUrl, '--target-venv', c.venvDir, '--python', '3.11', '--cache-dir', c.cacheDir, ...c.set.requirements],
    missing: '',
    pipNeedsVenv: true,
    expectInstalled: true,
  },
  {
    // Both tools byte-compile: pip by default, paved with --compile.
    id: 'install (both compile)',
    pipArgs: (c) => ['install', '--index-url', c.indexUrl, '--cache-dir', c.cacheDir, ...c.set.requirements],
    pavedArgs: (c) => ['install', '--compile', '--index-url', c.indexUrl, '--target-venv', c.venvDir, '--python', '3.11', '--cache-dir', c.cacheDir, ...c.set.requirements],
    missing: '',
    pipNeedsVenv: true,
    expectInstalled: true,
  },
  {
    id: 'resolve only',
    pipArgs: (c) => ['install', '--dry-run', '--ignore-installed', '--report', '-', '--quiet', '--index-url', c.indexUrl, '--cache-dir', c.cacheDir, ...c.set.requirements],
    pavedArgs: (c, help) => (help.installDryRun ? ['install', '--dry-run', '--index-url', c.indexUrl, '--target-venv', c.venvDir, '--python', '3.11', '--cache-dir', c.cacheDir, ...c.set.requirements] : null),
    missing: '`paved install --dry-run` does not exist in this build yet',
    pipNeedsVenv: true,
    expectInstalled: false,
  },
  {
    // `paved lock` resolves for every Python >=3.11 on Linux (a universal lock with hashes of
    // every file), which is more than pip's one-interpreter resolve; pip has no lock of its own.
    id: 'lock (paved lock)',
    pipArgs: (c) => ['install', '--dry-run', '--ignore-installed', '--report', '-', '--quiet', '--index-url', c.indexUrl, '--cache-dir', c.cacheDir, ...c.set.requirements],
    pavedArgs: (c) => {
      if (c.venvDir !== '') {
        mkdirSync(c.venvDir, { recursive: true });
        const deps = c.set.requirements.map((r) => JSON.stringify(r)).join(', ');
        writeFileSync(join(c.venvDir, 'pyproject.toml'), `[project]\nname = "bench"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = [${deps}]\n\n[tool.paved]\nenvironments = ["sys_platform == 'linux'"]\n`);
      }
      return ['lock', '--project', c.venvDir, '--no-config', '--index-url', c.indexUrl, '--cache-dir', c.cacheDir];
    },
    missing: '',
    pipNeedsVenv: true,
    expectInstalled: false,
  },
];

/** Process groups of the timed runs in progress, ended with the benchmark (GNU time does not pass SIGTERM on). */
const runningGroups = new Set<number>();

function stopTimedRuns(): void {
  for (const pgid of runningGroups) {
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

/** Runs a program in its own process group to completion, collecting its output. */
function runInGroup(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env, cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pgid = child.pid ?? -1;
    runningGroups.add(pgid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => stopTimedRuns(), TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      runningGroups.delete(pgid);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      runningGroups.delete(pgid);
      resolvePromise({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Runs a command under GNU time for its peak RSS; the wall time is measured here. */
async function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, rssFile: string): Promise<{ result: RunResult; sample: Sample }> {
  const useTime = existsSync('/usr/bin/time');
  // The previous run's files are written back to disk first (untimed), so that no run pays for
  // the last one's writeback; both tools get the same (as hyperfine's `--prepare sync`).
  spawnSync('sync');
  const started = process.hrtime.bigint();
  const result = useTime ? await runInGroup('/usr/bin/time', ['-f', '%M', '-o', rssFile, cmd, ...args], env) : await runInGroup(cmd, args, env);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  let peakRssKiB: number | null = null;
  if (useTime && existsSync(rssFile)) {
    const last = readFileSync(rssFile, 'utf8').trim().split('\n').slice(-1)[0] ?? '';
    peakRssKiB = /^\d+$/.test(last) ? Number(last) : null;
  }
  return { result, sample: { seconds, peakRssKiB } };
}

/** The data of paved's `--json` result line. */
function pavedResult(stdout: string): Record<string, unknown> | null {
  for (const line of stdout.trim().split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { type?: string; data?: Record<string, unknown> };
    if (event.type === 'result') return event.data ?? null;
  }
  return null;
}

async function runPaved(main: string, args: string[]): Promise<Record<string, unknown>> {
  const r = await run(process.execPath, [main, '--json', ...args], { cwd: REPO, timeoutMs: TIMEOUT_MS });
  const data = pavedResult(r.stdout);
  if (r.code !== 0 || data === null) throw new Error(`paved ${args.slice(0, 4).join(' ')} … failed: ${describeRun(r)}`);
  return data;
}

function fmtS(s: number | null): string {
  if (s === null) return '—';
  return s >= 10 ? `${s.toFixed(1)} s` : `${s.toFixed(2)} s`;
}

function fmtMB(kib: (number | null)[]): string {
  const known = kib.filter((k): k is number => k !== null);
  return known.length === 0 ? '—' : `${(Math.max(...known) / 1024).toFixed(0)} MB`;
}

function renderReport(r: Report): string {
  const lines: string[] = [];
  lines.push(`paved install vs pip — ${r.date} — ${r.runs} run(s) per cell, medians`);
  lines.push(`machine: ${r.machine.cpus} CPU (${r.machine.cpuModel}), node ${r.machine.node}, ${r.machine.pip}, ${r.machine.python}, load ${r.machine.loadAverageBefore} → ${r.machine.loadAverageAfter}, caches and venvs in ${r.machine.tmpdir}`);
  if (r.latencyMs > 0) lines.push(`network: every request held ${r.latencyMs} ms by a proxy in front of the server (a round trip to a remote index)`);
  for (const s of r.sets) lines.push(`set ${s.name}: ${s.requirements.join(' ')} (${s.packages} packages in the closure)`);
  lines.push('');
  lines.push(`${'set'.padEnd(9)}${'task'.padEnd(28)}${'phase'.padEnd(7)}${'pip'.padStart(9)}${'paved'.padStart(9)}${'pip/paved'.padStart(11)}${'pip RSS'.padStart(10)}${'paved RSS'.padStart(11)}`);
  for (const row of r.rows) {
    const ratio = row.ratio === null ? '—' : `${row.ratio.toFixed(1)}×`;
    lines.push(
      `${row.set.padEnd(9)}${row.task.padEnd(28)}${row.phase.padEnd(7)}${fmtS(row.pipMedian).padStart(9)}${fmtS(row.pavedMedian).padStart(9)}${ratio.padStart(11)}${fmtMB(row.pip.map((x) => x.peakRssKiB)).padStart(10)}${fmtMB(row.paved.map((x) => x.peakRssKiB)).padStart(11)}${row.note === null ? '' : `  (${row.note})`}`,
    );
  }
  lines.push('');
  lines.push('targets (DESIGN.md): install cold ≥ 10×, install warm ≥ 50×');
  for (const n of r.notes) lines.push(`NOTE: ${n}`);
  for (const p of r.profiles) {
    lines.push('');
    lines.push(...profileSummaryLines(`CPU profile, ${p.label}`, p.summary, { areas: 10, functions: 15 }));
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = readOptions();
  const registry = createChildRegistry();
  const tmp = mkdtempSync(join(options.tmpdir, 'paved-bench-install-'));
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  stopOnExitAndInterrupt({
    stop: () => {
      stopTimedRuns();
      registry.stopAll();
    },
    tmp,
    keep: options.keep,
    log,
  });
  log(`working in ${tmp}`);
  const notes: string[] = [];
  try {
    log('bundling paved into .cache/bench-dist-install (scripts/bundle.mjs)');
    const main = compilePaved(REPO, join(REPO, '.cache/bench-dist-install'), (m) => log(`warning: ${m}`));
    // The timed runs start paved as a user's shell does: through the npm bin, bin/paved.
    const launcher = compilePavedLauncher(REPO, join(REPO, '.cache/bench-dist-install-bin'), (m) => log(`warning: ${m}`));
    const installHelp = spawnSync(process.execPath, [main, 'install', '--help'], { encoding: 'utf8' }).stdout;
    const help: PavedHelp = { installDryRun: installHelp.includes('--dry-run') };

    const sets: PackageSet[] = [];
    const corpusFiles = readdirSync(options.corpus)
      .filter((f) => f.endsWith('.whl'))
      .map((f) => join(options.corpus, f));
    sets.push({ name: 'corpus', requirements: ['flask', 'fastapi', 'httpx', 'rich', 'pytest', 'black', 'twisted', 'sqlalchemy'], index: 'bench/corpus', files: corpusFiles });
    if (options.big && existsSync(join(options.pypi, 'simple')) && existsSync(join(options.pypi, 'files'))) {
      log(`resolving jupyter from ${options.pypi} with pip (to know which files to import)`);
      sets.push({ name: 'jupyter', requirements: ['jupyter'], index: 'bench/jupyter', files: await jupyterClosure(options.pypi, tmp, TIMEOUT_MS) });
    } else if (options.big) notes.push(`${options.pypi} not found: the jupyter set was skipped`);

    const data = join(tmp, 'data');
    for (const set of sets) {
      await runPaved(main, ['--data', data, 'index', 'create', set.index]);
      const imported = await runPaved(main, ['--data', data, 'import', set.index, ...set.files]);
      log(`imported ${set.files.length} files into ${set.index}: ${JSON.stringify({ added: imported['added'], held: imported['held'], refused: (imported['refused'] as unknown[] | undefined)?.length })}`);
    }
    const port = await findFreePort();
    const server = registry.start('paved serve', process.execPath, [main, '--data', data, 'serve', '--host', '127.0.0.1', '--port', String(port), '--access-log', 'off'], {
      logFile: join(tmp, 'paved-serve.log'),
      cwd: REPO,
      discardStdout: true,
    });
    const serverUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${serverUrl}/simple/`, 30_000, () => server.exitCode === null);
    log(`paved serving at ${serverUrl} (pid ${server.pid})`);
    const proxy = options.latencyMs > 0 ? await startDelayProxy(serverUrl, options.latencyMs) : null;
    if (proxy !== null) log(`clients go through ${proxy.url}, which holds every request ${options.latencyMs} ms`);
    const url = proxy?.url ?? serverUrl;

    const pipVersion = spawnSync('python3', ['-m', 'pip', '--version'], { encoding: 'utf8', env: isolatedPipEnv() }).stdout.trim().split(' from ')[0] ?? '?';
    const pythonVersion = spawnSync('python3', ['--version'], { encoding: 'utf8' }).stdout.trim();

    let counter = 0;
    const fresh = (what: string) => join(tmp, `${what}-${++counter}`);
    const pipEnv = (venv: string) => isolatedPipEnv({ VIRTUAL_ENV: venv, PATH: `${join(venv, 'bin')}:${process.env['PATH'] ?? ''}` });
    const makeVenv = async (dir: string) => {
      const made = await run('python3', ['-m', 'venv', dir], { env: isolatedPipEnv(), timeoutMs: 120_000 });
      if (made.code !== 0) throw new Error(`python3 -m venv ${dir} failed: ${describeRun(made)}`);
    };

    /** One run of `task` by `tool`; checks it did what it should. Venv creation for pip is not timed. */
    const runOnce = async (tool: Tool, task: Task, ctx: TaskContext, closure: number | null, nodeFlags: string[] = []): Promise<Sample & { packages: number }> => {
      let packages: number;
      let r: { result: RunResult; sample: Sample };
      if (tool === 'pip') {
        await makeVenv(ctx.venvDir);
        const args = ['-m', 'pip', '--isolated', '--disable-pip-version-check', '--no-input', ...task.pipArgs(ctx)];
        r = await timed(join(ctx.venvDir, 'bin', 'python'), args, pipEnv(ctx.venvDir), fresh('rss'));
        if (r.result.code !== 0) throw new Error(`pip ${task.id} (${ctx.set.name}) failed: ${describeRun(r.result)}`);
        const got = task.expectInstalled ? (/Successfully installed (.*)/.exec(r.result.stdout)?.[1]?.trim().split(' ').length ?? 0) : ((JSON.parse(r.result.stdout) as { install?: unknown[] }).install?.length ?? 0);
        if (closure !== null && got !== closure) throw new Error(`pip ${task.id} (${ctx.set.name}) got ${got} packages, expected ${closure}: ${describeRun(r.result)}`);
        packages = got;
      } else {
        const args = task.pavedArgs(ctx, help) as string[];
        const env = nodeFlags.length === 0 ? { ...process.env } : { ...process.env, NODE_OPTIONS: [process.env['NODE_OPTIONS'] ?? '', ...nodeFlags].join(' ').trim() };
        r = await timed(launcher, [...args, '--json'], env, fresh('rss'));
        const result = r.result.code === 0 ? pavedResult(r.result.stdout) : null;
        if (result === null) throw new Error(`paved ${task.id} (${ctx.set.name}) failed: ${describeRun(r.result)}`);
        packages = (result['installed'] as unknown[] | undefined)?.length ?? 0;
        if (task.expectInstalled && closure !== null && packages !== closure) throw new Error(`paved ${task.id} (${ctx.set.name}) installed ${packages} packages, expected ${closure}`);
      }
      // Environments and cold caches stay until the end: on ext4, thousands of inodes deleted just
      // before a timed run make the next run's file creation several times slower (the inode
      // allocator skips recently deleted inodes for a minute), whichever tool made them.
      return { ...r.sample, packages };
    };

    const rows: Row[] = [];
    const profiles: Report['profiles'] = [];
    const reportSets: Report['sets'] = [];
    for (const set of sets) {
      const indexUrl = `${url}/${set.index}/simple/`;
      // Warm caches, filled once by an untimed install of each tool; pip's says how big the closure is.
      const warmCache: Record<Tool, string> = { pip: fresh('pip-cache-warm'), paved: fresh('paved-cache-warm') };
      log(`${set.name}: filling the warm caches (untimed install by each tool)`);
      const closure = (await runOnce('pip', TASKS[0]!, { set, indexUrl, cacheDir: warmCache.pip, venvDir: fresh('venv') }, null)).packages;
      await runOnce('paved', TASKS[0]!, { set, indexUrl, cacheDir: warmCache.paved, venvDir: fresh('venv') }, closure);
      reportSets.push({ name: set.name, requirements: set.requirements, packages: closure });
      for (const task of options.tasks) {
        for (const phase of ['cold', 'warm'] as const) {
          const row: Row = { set: set.name, task: task.id, phase, pip: [], paved: [], pipMedian: null, pavedMedian: null, ratio: null, note: null };
          const pavedCan = task.pavedArgs({ set, indexUrl, cacheDir: '', venvDir: '' }, help) !== null;
          if (!pavedCan) row.note = task.missing;
          // pip and paved alternate, so a change in the machine's load lands on both.
          for (let i = 1; i <= options.runs; i++) {
            for (const tool of ['pip', 'paved'] as const) {
              if (tool === 'paved' && !pavedCan) continue;
              const cacheDir = phase === 'cold' ? fresh(`${tool}-cache-cold`) : warmCache[tool];
              const { packages: _packages, ...sample } = await runOnce(tool, task, { set, indexUrl, cacheDir, venvDir: fresh('venv') }, closure);
              row[tool].push(sample);
              log(`  ${set.name} ${task.id} ${phase} ${tool} #${i}: ${fmtS(sample.seconds)}, peak RSS ${fmtMB([sample.peakRssKiB])}`);
            }
          }
          row.pipMedian = median(row.pip.map((s) => s.seconds));
          row.pavedMedian = row.paved.length === 0 ? null : median(row.paved.map((s) => s.seconds));
          row.ratio = row.pavedMedian === null ? null : row.pipMedian / row.pavedMedian;
          rows.push(row);
        }
      }
      if (options.profile) {
        for (const phase of ['cold', 'warm'] as const) {
          const profDir = fresh('cpuprofile');
          const cacheDir = phase === 'cold' ? fresh('paved-cache-cold') : warmCache.paved;
          await runOnce('paved', TASKS[0]!, { set, indexUrl, cacheDir, venvDir: fresh('venv') }, closure, ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
          const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
          if (file !== undefined) {
            profiles.push({ label: `paved install ${set.name} ${phase}`, summary: summarizeCpuProfile(join(profDir, file), 25) });
            log(`CPU profile: ${join(profDir, file)}`);
          }
        }
      }
    }
    log(`paved server RSS at the end: ${fmtMB([readRssKiB(server.pid ?? -1)])}`);
    await proxy?.close();
    await registry.stop(server);
    if (!help.installDryRun) notes.push('resolve only: paved has no `install --dry-run` yet; only pip was timed');
    notes.push('pip: a fresh `python3 -m venv` per run (not timed); paved: creates the venv itself (timed). Cold = empty cache dir, warm = a cache filled by one untimed install; every run gets a fresh environment. Nothing is deleted until the end (deletions slow the next run\'s file creation on ext4), and `sync` runs (untimed) before every timed run, so no run pays for the writeback of the one before.');
    notes.push('peak RSS: GNU time %M (largest process of the run); ratio = pip median ÷ paved median.');

    const report: Report = {
      date: new Date().toISOString(),
      command: `node --import tsx bench/install.ts ${process.argv.slice(2).join(' ')}`.trim(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        node: process.version,
        pip: pipVersion,
        python: pythonVersion,
        loadAverageBefore: loadBefore,
        loadAverageAfter: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
        // Caches and environments live here: the file system decides much of an install's time.
        tmpdir: `${options.tmpdir} (${spawnSync('stat', ['-f', '-c', '%T', options.tmpdir], { encoding: 'utf8' }).stdout.trim() || '?'})`,
      },
      latencyMs: options.latencyMs,
      runs: options.runs,
      sets: reportSets,
      rows,
      notes,
      profiles,
    };
    saveAndPrintReport(REPO, 'install', report, options.json, renderReport, log);
  } finally {
    registry.stopAll();
    if (options.keep || options.profile) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

mkdirSync(join(REPO, 'bench/results'), { recursive: true });
runBenchmark('bench/install.ts', main);
