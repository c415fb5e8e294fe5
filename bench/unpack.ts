/**
 * Micro benchmark: unpacking wheels into an empty wheel cache, this tree's `unpackToCache`
 * against the one at a git ref (default `main`), in the same process, on this thread.
 * Each round unpacks every wheel of the set, one after the other, into a fresh cache
 * directory, once with each version (the order alternates between rounds); the report gives
 * the median wall, user-CPU and system-CPU milliseconds per round (user CPU is what this
 * code decides; system CPU is mostly the file system's). Both versions must describe
 * every wheel the same way, or the benchmark stops.
 *
 *   node --import tsx bench/unpack.ts [--baseline <git ref>] [--rounds N] [--jupyter] [--wheels <dir>] [--tmpdir DIR] [--json]
 *
 * `--jupyter` takes jupyter's closure from /opt/pypi (resolved by pip from that tree alone)
 * instead of the corpus set. The ref's wheelCache.ts is copied under `.cache/bench-unpack/` with
 * its relative imports pointed at this tree's `src/`, so only that file differs.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_LIMITS, unpackToCache as unpackHere } from '../src/installer/wheelCache.js';
import { describeRun, isolatedPipEnv, run } from '../test/fixtures/pythonTools.js';
import { saveAndPrintReport } from './reportOutput.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = resolve(REPO, '../shared/corpus/pypi-subset');
const PYPI = '/opt/pypi';
const log = (message: string): void => void process.stderr.write(`bench: ${message}\n`);

type UnpackToCache = typeof unpackHere;

interface Variant {
  label: string;
  unpack: UnpackToCache;
  wallMs: number[];
  userMs: number[];
  systemMs: number[];
}

interface Report {
  date: string;
  machine: { cpus: number; cpuModel: string; node: string; loadAverageBefore: string; loadAverageAfter: string; tmpdir: string };
  set: { name: string; wheels: number; bytes: number; members: number };
  rounds: number;
  variants: { label: string; medianWallMs: number; medianUserMs: number; medianSystemMs: number; wallMs: number[]; userMs: number[]; systemMs: number[] }[];
}

/** The ref's wheelCache.ts, importable beside this tree's: its relative imports point here. */
async function loadBaseline(ref: string): Promise<UnpackToCache> {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: REPO, encoding: 'utf8' }).trim();
  const source = execFileSync('git', ['show', `${commit}:src/installer/wheelCache.ts`], { cwd: REPO, encoding: 'utf8' });
  const installer = join(REPO, 'src', 'installer');
  const rewritten = source.replace(/(from\s+')(\.{1,2}\/[^']+)(')/g, (_, open: string, spec: string, close: string) => `${open}${pathToFileURL(join(installer, spec)).href}${close}`);
  const dir = join(REPO, '.cache', 'bench-unpack', commit);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'wheelCache.ts');
  writeFileSync(file, rewritten);
  const module = (await import(pathToFileURL(file).href)) as { unpackToCache: UnpackToCache };
  return module.unpackToCache;
}

/** `jupyter`'s closure in the /opt/pypi tree, as pip resolves it from `file://…/simple/` alone. */
async function jupyterWheels(pypi: string, tmp: string): Promise<string[]> {
  const report = join(tmp, 'jupyter-dry-run.json');
  const r = await run(
    'python3',
    ['-m', 'pip', 'install', '--isolated', '--dry-run', '--ignore-installed', '--quiet', '--report', report, '--index-url', `file://${pypi}/simple/`, '--no-cache-dir', 'jupyter'],
    { env: isolatedPipEnv(), timeoutMs: 600_000 },
  );
  if (r.code !== 0) throw new Error(`jupyter does not resolve from ${pypi} alone: ${describeRun(r)}`);
  const parsed = JSON.parse(readFileSync(report, 'utf8')) as { install?: { download_info?: { url?: string } }[] };
  return (parsed.install ?? []).map((item) => join(pypi, 'files', decodeURIComponent(basename(new URL(item.download_info?.url ?? '').pathname)))).filter((f) => f.endsWith('.whl'));
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** One round of one variant: every wheel into a fresh cache; returns what each wheel unpacked to. */
async function unpackAll(variant: Variant, wheels: { path: string; sha256: string }[], scratch: string): Promise<unknown[]> {
  const root = mkdtempSync(join(scratch, 'cache-'));
  const described: unknown[] = [];
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (const wheel of wheels) {
      // Read inside the timing, as the unpacking worker does (readVerifiedWheel reads, then unpacks).
      const bytes = readFileSync(wheel.path);
      const unpacked = await variant.unpack(root, wheel.path, bytes, wheel.sha256, DEFAULT_LIMITS);
      described.push({ ...unpacked, filesDir: '' });
    }
    variant.wallMs.push(performance.now() - started);
    const used = process.cpuUsage(cpu);
    variant.userMs.push(used.user / 1000);
    variant.systemMs.push(used.system / 1000);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return described;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      baseline: { type: 'string', default: 'main' },
      rounds: { type: 'string', default: '7' },
      jupyter: { type: 'boolean', default: false },
      wheels: { type: 'string', default: CORPUS },
      tmpdir: { type: 'string', default: tmpdir() },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, not '${values.rounds}'`);
  const scratch = mkdtempSync(join(values.tmpdir, 'paved-bench-unpack-'));
  try {
    const paths = values.jupyter ? await jupyterWheels(PYPI, scratch) : readdirSync(values.wheels).filter((f) => f.endsWith('.whl')).sort().map((f) => join(values.wheels, f));
    const wheels = paths.map((path) => ({ path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') }));
    const bytes = paths.reduce((sum, path) => sum + readFileSync(path).length, 0);
    const variants: Variant[] = [
      { label: `baseline (${values.baseline})`, unpack: await loadBaseline(values.baseline), wallMs: [], userMs: [], systemMs: [] },
      { label: 'this tree', unpack: unpackHere, wallMs: [], userMs: [], systemMs: [] },
    ];
    log(`${wheels.length} wheels (${(bytes / 1024 ** 2).toFixed(1)} MB), ${rounds} rounds + 1 warm-up`);
    const loadAverageBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
    let members = 0;
    for (let round = 0; round <= rounds; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      const results: unknown[][] = [];
      for (const variant of order) results.push(await unpackAll(variant, wheels, scratch));
      if (!isDeepStrictEqual(results[0], results[1])) throw new Error('the two versions unpacked the wheels differently');
      members = (results[0] as { files: unknown[] }[]).reduce((sum, w) => sum + w.files.length, 0);
      if (round === 0) for (const v of variants) v.wallMs.length = v.userMs.length = v.systemMs.length = 0;
      else log(`round ${round}: ${variants.map((v) => `${v.label} ${(v.wallMs.at(-1) as number).toFixed(0)} ms`).join(', ')}`);
    }
    const report: Report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', node: process.version, loadAverageBefore, loadAverageAfter: loadavg().map((l) => l.toFixed(2)).join(' '), tmpdir: values.tmpdir },
      set: { name: values.jupyter ? 'jupyter' : basename(values.wheels), wheels: wheels.length, bytes, members },
      rounds,
      variants: variants.map((v) => ({ label: v.label, medianWallMs: median(v.wallMs), medianUserMs: median(v.userMs), medianSystemMs: median(v.systemMs), wallMs: v.wallMs, userMs: v.userMs, systemMs: v.systemMs })),
    };
    saveAndPrintReport(REPO, 'unpack', report, values.json, render, log);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function render(r: Report): string {
  const lines = [
    `unpacking into an empty wheel cache — ${r.date} — ${r.rounds} rounds, medians`,
    `machine: ${r.machine.cpus} CPU (${r.machine.cpuModel}), node ${r.machine.node}, load ${r.machine.loadAverageBefore} → ${r.machine.loadAverageAfter}, cache in ${r.machine.tmpdir}`,
    `set ${r.set.name}: ${r.set.wheels} wheels, ${(r.set.bytes / 1024 ** 2).toFixed(1)} MB, ${r.set.members} members`,
    '',
    `${'version'.padEnd(28)} ${'wall ms'.padStart(9)} ${'user ms'.padStart(9)} ${'system ms'.padStart(10)}`,
  ];
  const base = r.variants[0];
  const change = (now: number, before: number): string => `${now >= before ? '+' : ''}${((now / before - 1) * 100).toFixed(0)}%`;
  for (const v of r.variants) {
    const ratio = base === undefined || v === base ? '' : `  (${change(v.medianWallMs, base.medianWallMs)} wall, ${change(v.medianUserMs, base.medianUserMs)} user)`;
    lines.push(`${v.label.padEnd(28)} ${v.medianWallMs.toFixed(0).padStart(9)} ${v.medianUserMs.toFixed(0).padStart(9)} ${v.medianSystemMs.toFixed(0).padStart(10)}${ratio}`);
  }
  return lines.join('\n');
}

await main();
