#!/usr/bin/env node
/**
 * Bundles the paved CLI with esbuild into `dist/bundle/` (`main.js` plus one chunk per
 * command module, loaded on demand, and `unpackWorker.js` for the wheel-unpacking worker
 * threads), the entry point `npm start` and the `paved` bin run.
 *
 * Why: Node 20 has no compile cache, and loading ~200 separate ES modules (our files plus
 * commander, yauzl, smol-toml, …) costs ~0.2 s before `paved install` does anything — as much
 * as a whole warm install. One bundle per command loads in ~0.07 s.
 *
 * Kept outside the bundle: better-sqlite3 (a native addon) and fastify (its logger, pino, finds
 * worker files relative to its own folder); both are only loaded by the server commands.
 *
 *   node scripts/bundle.mjs [--outdir DIR]   (default dist/bundle)
 */
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({ options: { outdir: { type: 'string', default: join(REPO, 'dist/bundle') } }, strict: true });
const outdir = resolve(values.outdir);

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  // The unpacking worker is a second entry: worker threads load it by file (see src/installer/unpackPool.ts).
  entryPoints: [join(REPO, 'src/cli/main.ts'), join(REPO, 'src/installer/unpackWorker.ts')],
  entryNames: '[name]',
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'fastify'],
  // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
  banner: { js: "import { createRequire as __pavedCreateRequire } from 'node:module'; const require = __pavedCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: false,
});
if (result.errors.length > 0) process.exit(1);
process.stdout.write(`bundled src/cli/main.ts into ${outdir}\n`);
