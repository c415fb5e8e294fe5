#!/usr/bin/env node
/**
 * Bundles the paved CLI with esbuild into `dist/bundle/`, which `npm start` and the `paved` bin
 * run:
 * - `paved.cjs`: the whole CLI in one CommonJS file. Its modules start only when a command
 *   imports them, so `paved install` runs no server code.
 * - `main.js`: the entry point (src/cli/bundleMain.ts), which runs `paved.cjs` through a V8 code
 *   cache kept in `code-cache/` beside it.
 * - `unpackWorker.cjs`: the wheel-unpacking worker threads' code (see src/installer/unpackPool.ts).
 *
 * Why: Node 20 has no compile cache, and loading ~200 separate ES modules (our files plus
 * commander, yauzl, smol-toml, …) costs ~0.2 s before `paved install` does anything — as much
 * as a whole warm install. One bundle loads in ~0.05 s, and with its code cache V8 compiles
 * nothing it compiled in an earlier run of the same command. A code cache needs a classic
 * script, not an ES module, hence CommonJS.
 *
 * Kept outside the bundle: better-sqlite3 (a native addon) and fastify (its logger, pino, finds
 * worker files relative to its own folder); both are only loaded by the server commands.
 *
 *   node scripts/bundle.mjs [--outdir DIR]   (default dist/bundle)
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({ options: { outdir: { type: 'string', default: join(REPO, 'dist/bundle') } }, strict: true });
const outdir = resolve(values.outdir);

rmSync(outdir, { recursive: true, force: true });
const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', metafile: false };
const results = await Promise.all([
  build({
    ...common,
    // The unpacking worker is a second entry: worker threads load it by file (see src/installer/unpackPool.ts).
    entryPoints: { paved: join(REPO, 'src/cli/main.ts'), unpackWorker: join(REPO, 'src/installer/unpackWorker.ts') },
    outdir,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    external: ['better-sqlite3', 'fastify'],
    // The source is ES modules: import.meta is the bundle's own (its url, and resolve through require).
    define: { 'import.meta': '__pavedImportMeta' },
    banner: { js: '"use strict";\n' + "const __pavedImportMeta = { url: require('node:url').pathToFileURL(__filename).href, resolve: (specifier) => require('node:url').pathToFileURL(require.resolve(specifier)).href };" },
    sourcemap: 'linked',
  }),
  build({ ...common, entryPoints: { main: join(REPO, 'src/cli/bundleMain.ts') }, outdir, format: 'esm' }),
]);
if (results.some((r) => r.errors.length > 0)) process.exit(1);
// main.js reads paved.cjs as one-byte text and compiles it as a script: the shebang line is
// emptied (not removed, so the source map's lines still match), and the few non-ASCII characters
// esbuild leaves (in comments) are escaped, since one of them makes the whole 1.8 MB a two-byte
// string that takes several times longer to read.
const cjs = join(outdir, 'paved.cjs');
writeFileSync(cjs, readFileSync(cjs, 'utf8').replace(/^#!.*/, '').replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
process.stdout.write(`bundled src/cli/main.ts into ${outdir}\n`);
