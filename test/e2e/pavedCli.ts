/**
 * Runs the `paved` command line as a child process (through tsx, so no build step), for
 * end-to-end tests that drive the CLI while a server runs in the test process.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from '../fixtures/pythonTools.js';

/** The repository root, where `src/cli/main.ts` lives. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Environment for the CLI with the PAVED_* variables of the caller removed, plus `extra`. */
export function pavedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PAVED_') && !key.startsWith('NODE_TEST')) env[key] = value;
  return { ...env, ...extra };
}

/** The arguments that start the CLI under node (for `spawn` when a test needs the live process). */
export function pavedArgs(args: string[]): string[] {
  return ['--import', 'tsx', 'src/cli/main.ts', ...args];
}

/** How long a server may take to notice another process's change to its data directory (its catalog serial cache, plus margin). */
export const CROSS_PROCESS_SETTLE_MS = 150;

/**
 * Runs `paved <args>` to completion. A command on a data directory (`--data`) is followed by a
 * short pause, as a user would see it: a server on the same directory notices another process's
 * change within 100 ms.
 */
export async function paved(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; /** Default the repository root. */ cwd?: string } = {}): Promise<RunResult> {
  // Elsewhere than the repository, tsx and main.ts are named by absolute path.
  const argv = options.cwd === undefined ? pavedArgs(args) : ['--import', join(REPO_ROOT, 'node_modules/tsx/dist/esm/index.mjs'), join(REPO_ROOT, 'src/cli/main.ts'), ...args];
  const result = await run(process.execPath, argv, { cwd: options.cwd ?? REPO_ROOT, env: pavedEnv(options.env), timeoutMs: options.timeoutMs ?? 60_000, ...(options.input === undefined ? {} : { input: options.input }) });
  if (args.includes('--data')) await new Promise((resolve) => setTimeout(resolve, CROSS_PROCESS_SETTLE_MS));
  return result;
}

/** The NDJSON events `--json` printed, in order. */
export function jsonEvents(stdout: string): { type: string; [key: string]: unknown }[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { type: string; [key: string]: unknown });
}

/** The `data` of the `result` event (the last line) of a `--json` run. */
export function jsonResult<T>(r: RunResult): T {
  const events = jsonEvents(r.stdout);
  const last = events.at(-1);
  if (last === undefined || last.type !== 'result') throw new Error(`no result line in: ${r.stdout}\n${r.stderr}`);
  return last['data'] as T;
}
