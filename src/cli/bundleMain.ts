/**
 * The entry point of the bundled CLI (`dist/bundle/main.js`, built by scripts/bundle.mjs): runs
 * the whole CLI, bundled as one CommonJS file beside it (`paved.cjs`), through a V8 code cache.
 *
 * Why: Node 20 has no compile cache of its own, and compiling the code a command runs is a good
 * part of its start-up: ~20 ms of a ~0.2 s warm `paved install`. V8 can hand back the code it
 * compiled as bytes (`createCachedData`) and take them again on the next run, but only for a
 * classic script (`vm.Script`), not for an ES module; hence one CommonJS file. Its modules still
 * start only when a command imports them (esbuild keeps them lazy), so a command runs the same
 * code it would as an ES module.
 *
 * The cache is one file per command in `code-cache/` beside the bundle (as Python keeps
 * `__pycache__` beside its modules), written after the first successful run of that command
 * (a command's `--help` compiles too little to stand for it; `paved --version` and
 * `paved --help` have their own) and rewritten when the bundle or
 * Node changes or V8 refuses it. It is only ever an optimisation: a missing, unreadable, damaged
 * or unwritable cache (a read-only installation) means compiling as usual. Only Node built-ins
 * are used here; this file runs before the CLI does.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { commandName } from './commandWord.js';

/** The format of a cache file's first line; another number is a cache to rewrite. */
const CACHE_FORMAT = 1;

/** What a cache file was made from: it is used only for the same bundle on the same Node. */
interface CacheHeader {
  format: number;
  bundle: string;
  size: number;
  mtimeMs: number;
  node: string;
  arch: string;
}

/** The cached code in `file` if it was made from this bundle on this Node, else undefined. */
function readCodeCache(file: string, header: CacheHeader): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  const newline = bytes.indexOf(10);
  if (newline < 0 || newline > 4096) return undefined;
  const data = bytes.subarray(newline + 1);
  try {
    const stored = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as Partial<CacheHeader> & { sha256?: unknown };
    for (const key of Object.keys(header) as (keyof CacheHeader)[]) if (stored[key] !== header[key]) return undefined;
    // V8 checks where the code came from but not that the bytes are whole, and a damaged cache stops Node outright.
    if (stored.sha256 !== sha256(data)) return undefined;
  } catch {
    return undefined;
  }
  return data;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes a cache file under a temporary name, then a rename, so a concurrent run reads a whole file or none. */
function writeCodeCache(file: string, header: CacheHeader, data: Buffer): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, Buffer.concat([Buffer.from(`${JSON.stringify({ ...header, sha256: sha256(data) })}\n`, 'utf8'), data]));
    renameSync(temporary, file);
  } catch {
    // A read-only or full disk: the next run compiles again, as without a cache.
  }
}

/**
 * A command's help or version compiles little of that command, and its cache would then stand
 * for the command's real runs. (`paved --version`, `paved --help` and `paved help` name no
 * command, or only `help`, and have a cache of their own.)
 */
function helpOfACommand(command: string | undefined, args: readonly string[]): boolean {
  return command !== undefined && command !== 'help' && args.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V');
}

function start(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const bundle = join(here, 'paved.cjs');
  // scripts/bundle.mjs makes it ASCII without a shebang line.
  const source = readFileSync(bundle, 'latin1');
  const stat = statSync(bundle);
  const header: CacheHeader = { format: CACHE_FORMAT, bundle, size: stat.size, mtimeMs: stat.mtimeMs, node: process.version, arch: process.arch };
  const args = process.argv.slice(2);
  const command = commandName(process.argv);
  const file = join(here, 'code-cache', `${command === undefined ? 'none' : /^[a-z][a-z-]{0,30}$/.test(command) ? command : 'other'}.bin`);
  const cached = readCodeCache(file, header);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, ...(cached === undefined ? {} : { cachedData: cached }) });
  if ((cached === undefined || script.cachedDataRejected === true) && !helpOfACommand(command, args)) {
    // At exit, the code this run compiled (the functions it called included), for the next run.
    process.once('exit', (code) => {
      if (code === 0) writeCodeCache(file, header, script.createCachedData());
    });
  }
  const module = { exports: {} };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  run(module.exports, createRequire(bundle), module, bundle, here);
}

start();
