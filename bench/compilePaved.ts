import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Bundles paved with `scripts/bundle.mjs` (esbuild) into `<outDir>/bundle` and returns the CLI
 * entry point: the same bundle `npm start` and the `paved` bin run. A private output folder
 * per benchmark means a concurrent `npm run build`, or another benchmark, cannot swap files
 * under a running server. esbuild does not type-check, so others' work in progress with type
 * errors does not stop a benchmark; `warn` gets esbuild's warnings. The output folder must lie
 * inside the repository, where the bundle finds `node_modules/` (better-sqlite3, fastify) and
 * `data/` (the popular-packages list the policy reads).
 */
export function compilePaved(repo: string, outDir: string, warn: (message: string) => void): string {
  const bundleDir = join(outDir, 'bundle');
  const bundled = spawnSync(process.execPath, [join(repo, 'scripts/bundle.mjs'), '--outdir', bundleDir], { encoding: 'utf8' });
  const main = join(bundleDir, 'main.js');
  if (bundled.status !== 0 || !existsSync(main)) throw new Error(`scripts/bundle.mjs produced no ${main}:\n${bundled.stdout}${bundled.stderr}`);
  if (bundled.stderr.trim() !== '') warn(bundled.stderr.trim());
  return main;
}

/**
 * The `paved` command as npm installs it: `bin/paved` (the launcher, which keeps
 * NODE_EXTRA_CA_CERTS out of Node's start-up for the client commands) beside a bundle in
 * `<outDir>/dist/bundle`. Returns the launcher's path; run it directly, not through node.
 */
export function compilePavedLauncher(repo: string, outDir: string, warn: (message: string) => void): string {
  compilePaved(repo, join(outDir, 'dist'), warn);
  const launcher = join(outDir, 'bin', 'paved');
  mkdirSync(join(outDir, 'bin'), { recursive: true });
  copyFileSync(join(repo, 'bin', 'paved'), launcher);
  chmodSync(launcher, 0o755);
  return launcher;
}
