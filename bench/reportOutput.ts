import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Saves a benchmark report under bench/results/<name>-<date>.json and prints
 * it: JSON with --json, the rendered table otherwise.
 */
export function saveAndPrintReport<R extends { date: string }>(repo: string, name: string, report: R, json: boolean, render: (report: R) => string, log: (message: string) => void): void {
  mkdirSync(join(repo, 'bench/results'), { recursive: true });
  const saved = join(repo, 'bench/results', `${name}-${report.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(saved, `${JSON.stringify(report, null, 2)}\n`);
  log(`results saved to ${saved}`);
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `\n${render(report)}\n`);
}
