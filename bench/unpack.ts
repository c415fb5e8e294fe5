/**
 * Micro benchmark: unpacking wheels into an empty wheel cache, this tree's `unpackToCache`
 * against the one at a git ref (default `main`). Each round unpacks every wheel of the set, one
 * after the other, into a fresh cache directory, once with each version (the order alternates
 * between rounds); the report gives the median wall, user-CPU and system-CPU milliseconds per
 * round (user CPU is what this code decides; system CPU is mostly the file system's). Both
 * versions must describe every wheel the same way, or the benchmark stops.
 *
 *   node --import tsx bench/unpack.ts [--baseline <git ref>] [--rounds N] [--warm | --workers N] [--jupyter] [--wheels <dir>] [--tmpdir DIR] [--json]
 *
 * By default every round of every version runs in a fresh process, cold, as an install's
 * unpacking workers do (each unpacks a few dozen wheels, and code not yet optimised is a good
 * part of their time). `--warm` runs all rounds in this process after a discarded warm-up
 * round instead. `--workers N` unpacks through `createWheelCache` with N unpacking workers, every
 * wheel asked for at once with its hash, as an install does (the workers are started, and their
 * modules loaded, on two tiny wheels before the timing starts). `--jupyter` takes jupyter's
 * closure from /opt/pypi (resolved by pip from that tree alone) instead of the corpus set. The
 * ref's wheelCache.ts, unpackPool.ts and unpackWorker.ts are copied under `.cache/bench-unpack/`
 * with their other relative imports pointed at this tree's `src/`, so only they differ.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as here from '../src/installer/wheelCache.js';
import { buildWheel } from '../test/fixtures/buildDistributions.js';
import { saveAndPrintReport } from './reportOutput.js';
import { jupyterClosure, median } from './benchInputs.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = resolve(REPO, '../shared/corpus/pypi-subset');
const PYPI = '/opt/pypi';
const log = (message: string): void => void process.stderr.write(`bench: ${message}\n`);

type WheelCacheModule = Pick<typeof here, 'unpackToCache' | 'createWheelCache' | 'DEFAULT_LIMITS'>;
/** The files copied from the baseline ref; they import each other, everything else from this tree. */
const COPIED = ['wheelCache.ts', 'unpackPool.ts', 'unpackWorker.ts'];

interface Wheel {
  path: string;
  sha256: string;
}

/** One round of one version. */
interface Round {
  wallMs: number;
  userMs: number;
  systemMs: number;
  members: number;
  /** sha256 of how every wheel was described (the manifests, less their directory). */
  described: string;
}

interface Report {
  date: string;
  mode: string;
  machine: { cpus: number; cpuModel: string; node: string; loadAverageBefore: string; loadAverageAfter: string; tmpdir: string };
  set: { name: string; wheels: number; bytes: number; members: number };
  rounds: number;
  versions: { label: string; medianWallMs: number; medianUserMs: number; medianSystemMs: number; wallMs: number[]; userMs: number[]; systemMs: number[] }[];
}

/** The ref's wheel cache, importable beside this tree's. */
async function loadBaseline(ref: string): Promise<WheelCacheModule> {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: REPO, encoding: 'utf8' }).trim();
  const installer = join(REPO, 'src', 'installer');
  const dir = join(REPO, '.cache', 'bench-unpack', commit);
  mkdirSync(dir, { recursive: true });
  for (const file of COPIED) {
    const source = execFileSync('git', ['show', `${commit}:src/installer/${file}`], { cwd: REPO, encoding: 'utf8' });
    const rewritten = source.replace(/(from\s+')(\.{1,2}\/[^']+)(')/g, (whole, open: string, spec: string, close: string) =>
      spec.startsWith('./') && COPIED.includes(basename(spec).replace(/\.js$/, '.ts')) ? whole : `${open}${pathToFileURL(join(installer, spec)).href}${close}`,
    );
    writeFileSync(join(dir, file), rewritten);
  }
  return (await import(pathToFileURL(join(dir, 'wheelCache.ts')).href)) as WheelCacheModule;
}

/** Every wheel into a fresh cache under `scratch`, timed; the cache is removed afterwards (untimed). */
async function unpackAll(module: WheelCacheModule, wheels: Wheel[], scratch: string, workers: number): Promise<Round> {
  const root = mkdtempSync(join(scratch, 'cache-'));
  try {
    let described: unknown[];
    let cpu: NodeJS.CpuUsage;
    let started: number;
    if (workers === 0) {
      described = [];
      cpu = process.cpuUsage();
      started = performance.now();
      for (const wheel of wheels) {
        // Read inside the timing, as the unpacking worker does (readVerifiedWheel reads, then unpacks).
        const bytes = readFileSync(wheel.path);
        const unpacked = await module.unpackToCache(join(root, 'wheels-v1'), wheel.path, bytes, wheel.sha256, module.DEFAULT_LIMITS);
        described.push({ ...unpacked, filesDir: '' });
      }
    } else {
      const cache = module.createWheelCache(root, { workers });
      try {
        const tiny = await Promise.all(['one', 'two'].map(async (name) => {
          const path = join(root, `${name}-1.0-py3-none-any.whl`);
          const bytes = await buildWheel({ name, version: '1.0' });
          writeFileSync(path, bytes);
          return { path, sha256: createHash('sha256').update(bytes).digest('hex') };
        }));
        await Promise.all(tiny.map((wheel) => cache.unpack(wheel.path, { sha256: wheel.sha256 })));
        cpu = process.cpuUsage();
        started = performance.now();
        const unpacked = await Promise.all(wheels.map((wheel) => cache.unpack(wheel.path, { sha256: wheel.sha256 })));
        described = unpacked.map((wheel) => ({ ...wheel, filesDir: '' }));
      } finally {
        await cache.close();
      }
    }
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const members = (described as { files: unknown[] }[]).reduce((sum, w) => sum + w.files.length, 0);
    return { wallMs, userMs: used.user / 1000, systemMs: used.system / 1000, members, described: createHash('sha256').update(JSON.stringify(described)).digest('hex') };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The child process of a cold round: `--child <baseline ref | .> --list <file> --tmpdir <dir> --workers N`, prints its `Round`. */
async function child(version: string, list: string, scratch: string, workers: number): Promise<void> {
  const module = version === '.' ? here : await loadBaseline(version);
  const wheels = JSON.parse(readFileSync(list, 'utf8')) as Wheel[];
  process.stdout.write(JSON.stringify(await unpackAll(module, wheels, scratch, workers)));
}

function coldRound(version: string, list: string, scratch: string, workers: number): Round {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', version, '--list', list, '--tmpdir', scratch, '--workers', String(workers)];
  const out = execFileSync(process.execPath, args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out) as Round;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      baseline: { type: 'string', default: 'main' },
      rounds: { type: 'string', default: '7' },
      warm: { type: 'boolean', default: false },
      workers: { type: 'string', default: '0' },
      jupyter: { type: 'boolean', default: false },
      wheels: { type: 'string', default: CORPUS },
      tmpdir: { type: 'string', default: tmpdir() },
      json: { type: 'boolean', default: false },
      child: { type: 'string' },
      list: { type: 'string' },
    },
    strict: true,
  });
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`--workers must be a whole number, not '${values.workers}'`);
  if (values.child !== undefined) return child(values.child, values.list ?? '', values.tmpdir, workers);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, not '${values.rounds}'`);
  if (values.warm && workers > 0) throw new Error('--warm and --workers do not go together: workers start cold');
  const scratch = mkdtempSync(join(values.tmpdir, 'paved-bench-unpack-'));
  try {
    const paths = values.jupyter ? (await jupyterClosure(PYPI, scratch, 600_000)).filter((f) => f.endsWith('.whl')) : readdirSync(values.wheels).filter((f) => f.endsWith('.whl')).sort().map((f) => join(values.wheels, f));
    const wheels: Wheel[] = paths.map((path) => ({ path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') }));
    const bytes = paths.reduce((sum, path) => sum + readFileSync(path).length, 0);
    const list = join(scratch, 'wheels.json');
    writeFileSync(list, JSON.stringify(wheels));
    const versions = [
      { label: `baseline (${values.baseline})`, ref: values.baseline, module: values.warm ? await loadBaseline(values.baseline) : null, rounds: [] as Round[] },
      { label: 'this tree', ref: '.', module: here as WheelCacheModule, rounds: [] as Round[] },
    ];
    const mode = values.warm ? 'warm (one process, after a warm-up round)' : workers > 0 ? `cold, through ${workers} unpacking workers` : 'cold (a process per round)';
    log(`${wheels.length} wheels (${(bytes / 1024 ** 2).toFixed(1)} MB), ${rounds} rounds, ${mode}`);
    const loadAverageBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
    for (let round = values.warm ? 0 : 1; round <= rounds; round++) {
      const order = round % 2 === 0 ? versions : [...versions].reverse();
      for (const version of order) version.rounds.push(version.module !== null && values.warm ? await unpackAll(version.module, wheels, scratch, 0) : coldRound(version.ref, list, scratch, workers));
      const [a, b] = versions.map((v) => v.rounds.at(-1) as Round);
      if (a?.described !== b?.described) throw new Error('the two versions unpacked the wheels differently');
      if (round === 0) for (const v of versions) v.rounds.length = 0;
      else log(`round ${round}: ${versions.map((v) => `${v.label} ${(v.rounds.at(-1) as Round).wallMs.toFixed(0)} ms wall, ${(v.rounds.at(-1) as Round).userMs.toFixed(0)} ms user`).join('; ')}`);
    }
    const report: Report = {
      date: new Date().toISOString(),
      mode,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', node: process.version, loadAverageBefore, loadAverageAfter: loadavg().map((l) => l.toFixed(2)).join(' '), tmpdir: values.tmpdir },
      set: { name: values.jupyter ? 'jupyter' : basename(values.wheels), wheels: wheels.length, bytes, members: versions[0]?.rounds[0]?.members ?? 0 },
      rounds,
      versions: versions.map((v) => {
        const pick = (key: 'wallMs' | 'userMs' | 'systemMs'): number[] => v.rounds.map((r) => r[key]);
        return { label: v.label, medianWallMs: median(pick('wallMs')), medianUserMs: median(pick('userMs')), medianSystemMs: median(pick('systemMs')), wallMs: pick('wallMs'), userMs: pick('userMs'), systemMs: pick('systemMs') };
      }),
    };
    saveAndPrintReport(REPO, 'unpack', report, values.json, render, log);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function render(r: Report): string {
  const lines = [
    `unpacking into an empty wheel cache — ${r.date} — ${r.rounds} rounds, ${r.mode}, medians`,
    `machine: ${r.machine.cpus} CPU (${r.machine.cpuModel}), node ${r.machine.node}, load ${r.machine.loadAverageBefore} → ${r.machine.loadAverageAfter}, cache in ${r.machine.tmpdir}`,
    `set ${r.set.name}: ${r.set.wheels} wheels, ${(r.set.bytes / 1024 ** 2).toFixed(1)} MB, ${r.set.members} members`,
    '',
    `${'version'.padEnd(28)} ${'wall ms'.padStart(9)} ${'user ms'.padStart(9)} ${'system ms'.padStart(10)}`,
  ];
  const base = r.versions[0];
  const change = (now: number, before: number): string => `${now >= before ? '+' : ''}${((now / before - 1) * 100).toFixed(0)}%`;
  for (const v of r.versions) {
    const ratio = base === undefined || v === base ? '' : `  (${change(v.medianWallMs, base.medianWallMs)} wall, ${change(v.medianUserMs, base.medianUserMs)} user)`;
    lines.push(`${v.label.padEnd(28)} ${v.medianWallMs.toFixed(0).padStart(9)} ${v.medianUserMs.toFixed(0).padStart(9)} ${v.medianSystemMs.toFixed(0).padStart(10)}${ratio}`);
  }
  return lines.join('\n');
}

await main();
