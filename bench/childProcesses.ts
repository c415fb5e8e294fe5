import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

/** Where a child's output goes; `discardStdout` sends stdout to /dev/null (a server's access log). */
export interface ChildOptions {
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  discardStdout?: boolean;
}

/**
 * Every long-lived process the benchmark starts (paved serve, nginx). They
 * are stopped on normal exit, on Ctrl-C and on a crash of the benchmark, so a
 * failed run never leaves a server holding a port or eating a core.
 */
export interface ChildRegistry {
  /** Starts `command`, output appended to `logFile`; stopped by `stopAll`. */
  start(name: string, command: string, args: string[], options: ChildOptions): ChildProcess;
  /** Tracks a child started elsewhere (a wrk run) so `stopAll` ends it too. */
  adopt(child: ChildProcess): void;
  /** Stops one child and waits for it to exit (SIGKILL after `graceMs`). */
  stop(child: ChildProcess, graceMs?: number): Promise<void>;
  /** Synchronous best effort, safe inside an `exit` handler; later starts are refused. */
  stopAll(): void;
}

export function createChildRegistry(): ChildRegistry {
  const children = new Set<ChildProcess>();
  let closed = false;
  const registry: ChildRegistry = {
    start(name, command, args, options) {
      if (closed) throw new Error(`not starting ${name}: the benchmark is stopping`);
      const log = createWriteStream(options.logFile, { flags: 'a' });
      const spawnOptions: SpawnOptions = { stdio: ['ignore', options.discardStdout === true ? 'ignore' : 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd ?? process.cwd() };
      const child = spawn(command, args, spawnOptions);
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
      children.add(child);
      child.once('exit', () => {
        children.delete(child);
        log.end();
      });
      child.once('error', (error) => {
        children.delete(child);
        process.stderr.write(`bench: could not start ${name}: ${error.message}\n`);
      });
      return child;
    },
    adopt(child) {
      if (closed) {
        child.kill('SIGTERM');
        return;
      }
      children.add(child);
      child.once('exit', () => children.delete(child));
    },
    async stop(child, graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    stopAll() {
      closed = true;
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      }
    },
  };
  return registry;
}

/** Resident set size of a process in KiB (VmRSS), or null once it is gone. */
export function readRssKiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match === null ? null : Number(match[1]);
  } catch {
    return null;
  }
}

/** A TCP port free on 127.0.0.1 right now (the kernel picks it). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers (any status) or `timeoutMs` passes. */
export async function waitForHttp(url: string, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`the process behind ${url} exited before it answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${lastError})`);
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux (getconf CLK_TCK)

/**
 * CPU seconds (user + system) used so far by `pid` and its direct children
 * (nginx's workers). Read before and after a run, the difference divided by
 * the requests served is the CPU cost of one request, a figure that does not
 * depend on how many cores the server could use or what wrk took from it.
 */
export function readCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat === null) continue;
    if (stat.pid === pid || stat.ppid === pid) ticks += stat.utime + stat.stime;
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

function readStat(pid: number): { pid: number; ppid: number; utime: number; stime: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const num = (i: number) => Number(fields[i]);
  return { pid, ppid: num(1), utime: num(11), stime: num(12) };
}

/**
 * Calls `stop` when the process exits, and on Ctrl-C or SIGTERM also removes `tmp` (unless
 * `keep`) after giving the children a moment to release their files, then exits 130. A run
 * cut short fails in whatever step it was in; `interrupted()` lets the caller stay quiet then.
 */
export function stopOnExitAndInterrupt(options: { stop: () => void; tmp: string; keep: boolean; log: (message: string) => void }): { interrupted(): boolean } {
  let interrupted = false;
  process.on('exit', options.stop);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      interrupted = true;
      options.log(`${signal}: stopping`);
      options.stop();
      setTimeout(() => {
        if (!options.keep) rmSync(options.tmp, { recursive: true, force: true });
        process.exit(130);
      }, 500);
    });
  }
  return { interrupted: () => interrupted };
}

/** Runs a benchmark's `main`: a failure is printed with its stack and makes the exit code 1. */
export function runBenchmark(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
