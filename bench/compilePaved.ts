import { spawnSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Compiles paved with tsc into `outDir` and returns the CLI entry point
 * (`node <main>` is what `npm start` runs, without tsx's loader cost). A
 * private output folder per benchmark means a concurrent `npm run build`, or
 * another benchmark, cannot swap files under a running server. Type errors in
 * others' work in progress do not stop the benchmark (tsc still emits); the
 * first few in `src/` are passed to `warn`. `data/` (the popular-packages
 * list the policy reads) is copied next to the output, where an installed
 * paved finds it relative to its compiled files.
 */
export function compilePaved(repo: string, outDir: string, warn: (message: string) => void): string {
  const tsc = spawnSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(repo, 'tsconfig.json'), '--outDir', outDir], { encoding: 'utf8' });
  const main = join(outDir, 'src/cli/main.js');
  if (!existsSync(main)) throw new Error(`tsc produced no ${main}:\n${tsc.stdout}${tsc.stderr}`);
  if (tsc.status !== 0) {
    const srcErrors = tsc.stdout.split('\n').filter((l) => l.startsWith('src/'));
    if (srcErrors.length > 0) warn(`tsc reports errors in src/ (compiled anyway):\n  ${srcErrors.slice(0, 5).join('\n  ')}`);
  }
  if (existsSync(join(repo, 'data'))) cpSync(join(repo, 'data'), join(outDir, 'data'), { recursive: true });
  return main;
}
