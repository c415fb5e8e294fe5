/**
 * Malware scanner throughput: scans every wheel and sdist in a directory (default
 * `/opt/pypi/files` when present, else the corpus) one after the other and reports files, MB,
 * seconds, MB/s of archives scanned, and how many files got a finding of `high` or more (the
 * default quarantine threshold: on real public packages each one is a false positive to judge).
 *
 *   node --import tsx bench/scanner.ts [DIR] [--json] [--list]
 *
 * `--list` prints every finding of `high` or more with its file and line, and the per-rule counts.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atLeast, type Finding } from '../src/index/scan/findings.js';
import { scanDistribution, SCANNER_VERSION } from '../src/index/scan/scanDistribution.js';

const DISTRIBUTION = /\.(?:whl|tar\.gz|tgz|tar|zip)$/;

function defaultDirs(): string[] {
  if (existsSync('/opt/pypi/files')) return ['/opt/pypi/files'];
  const corpus = fileURLToPath(new URL('../../shared/corpus/', import.meta.url));
  return [join(corpus, 'pypi-subset'), join(corpus, 'history')];
}

interface Report {
  scannerVersion: string;
  dirs: string[];
  files: number;
  megabytes: number;
  seconds: number;
  megabytesPerSecond: number;
  scannedSourceMegabytes: number;
  filesWithHighFindings: number;
  highFindingsByRule: Record<string, number>;
  errors: { file: string; message: string }[];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const list = args.includes('--list');
  const positional = args.filter((a) => !a.startsWith('--'));
  const dirs = positional.length > 0 ? positional : defaultDirs();
  const files = dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => DISTRIBUTION.test(name))
      .sort()
      .map((name) => ({ name, path: join(dir, name), size: statSync(join(dir, name)).size })),
  );
  const report: Report = {
    scannerVersion: SCANNER_VERSION,
    dirs,
    files: files.length,
    megabytes: files.reduce((sum, f) => sum + f.size, 0) / 1e6,
    seconds: 0,
    megabytesPerSecond: 0,
    scannedSourceMegabytes: 0,
    filesWithHighFindings: 0,
    highFindingsByRule: {},
    errors: [],
  };
  const flagged: { name: string; findings: Finding[] }[] = [];
  const started = process.hrtime.bigint();
  for (const file of files) {
    try {
      const result = await scanDistribution(file.path, file.name);
      report.scannedSourceMegabytes += result.scannedBytes / 1e6;
      const high = result.findings.filter((f) => atLeast(f.severity, 'high'));
      if (high.length > 0) {
        report.filesWithHighFindings++;
        flagged.push({ name: file.name, findings: high });
        for (const f of high) report.highFindingsByRule[f.rule] = (report.highFindingsByRule[f.rule] ?? 0) + 1;
      }
    } catch (error) {
      report.errors.push({ file: file.name, message: error instanceof Error ? error.message : String(error) });
    }
  }
  report.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  report.megabytesPerSecond = report.megabytes / report.seconds;

  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `scanner-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), `${JSON.stringify({ ...report, flagged }, null, 2)}\n`);

  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const rate = report.files === 0 ? 0 : (100 * report.filesWithHighFindings) / report.files;
  const lines = [
    `scanner ${report.scannerVersion} over ${dirs.join(', ')}`,
    `  files                 ${report.files}`,
    `  archives              ${report.megabytes.toFixed(1)} MB`,
    `  source scanned        ${report.scannedSourceMegabytes.toFixed(1)} MB`,
    `  seconds               ${report.seconds.toFixed(2)}`,
    `  throughput            ${report.megabytesPerSecond.toFixed(1)} MB/s of archives`,
    `  files with >= high    ${report.filesWithHighFindings} (${rate.toFixed(2)}%)`,
    `  unreadable            ${report.errors.length}`,
  ];
  if (list) {
    for (const [rule, count] of Object.entries(report.highFindingsByRule).sort((a, b) => b[1] - a[1])) lines.push(`  rule ${rule}: ${count}`);
    for (const { name, findings } of flagged) {
      for (const f of findings) lines.push(`  ${name} ${f.file}:${f.line ?? '-'} ${f.severity} ${f.rule} ${f.message} | ${f.excerpt ?? ''}`);
    }
    for (const e of report.errors) lines.push(`  error ${e.file}: ${e.message}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
