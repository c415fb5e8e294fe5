/**
 * What several benchmarks share: the median of a series, and jupyter's closure in a local copy
 * of the public index, as pip resolves it.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describeRun, isolatedPipEnv, run } from '../test/fixtures/pythonTools.js';

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * `jupyter`'s closure in the /opt/pypi-style tree at `pypi`, as pip resolves it from
 * `file://…/simple/` alone: the paths of its files under `<pypi>/files/`. pip's report is left in
 * `tmp`.
 */
export async function jupyterClosure(pypi: string, tmp: string, timeoutMs: number): Promise<string[]> {
  const report = join(tmp, 'jupyter-dry-run.json');
  const r = await run(
    'python3',
    ['-m', 'pip', 'install', '--isolated', '--dry-run', '--ignore-installed', '--quiet', '--report', report, '--index-url', `file://${pypi}/simple/`, '--no-cache-dir', 'jupyter'],
    { env: isolatedPipEnv(), timeoutMs },
  );
  if (r.code !== 0) throw new Error(`jupyter does not resolve from ${pypi} alone: ${describeRun(r)}`);
  const parsed = JSON.parse(readFileSync(report, 'utf8')) as { install?: { download_info?: { url?: string } }[] };
  return (parsed.install ?? []).map((item) => join(pypi, 'files', decodeURIComponent(basename(new URL(item.download_info?.url ?? '').pathname))));
}
