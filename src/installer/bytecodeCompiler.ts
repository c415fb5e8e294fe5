/**
 * Byte-compiles installed `.py` files with the environment's own interpreter, as pip does with
 * `compileall.compile_file(path, force=True)`. The interpreter processes are started once and
 * kept for every wheel of an install: starting Python (and compileall's process pool) once per
 * wheel cost more than compiling, ~25 s for jupyter's 97 wheels against ~3 s this way.
 *
 * A worker reads paths on stdin, one per line; an empty line ends a chunk, and the worker answers
 * it with one empty line on stdout once every file of the chunk was tried. A file that does not
 * compile (a Python 2 leftover) is not an error, as with pip: the caller sees which `.pyc` exist.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** Compiles files for one environment; `close` stops its processes. */
export interface BytecodeCompiler {
  /** Tries every file; settles when all were tried (never rejects). */
  compile(files: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Options for `createBytecodeCompiler`. */
export interface BytecodeCompilerOptions {
  /** Processes at most; default the number of CPUs. */
  workers?: number;
  /** A chunk that takes longer stops its process (its files stay uncompiled); default 5 minutes. */
  chunkTimeoutMs?: number;
  /** Files per chunk; smaller chunks spread one big wheel over every process. Default 32. */
  chunkSize?: number;
}

// stdout carries only the end-of-chunk answers: anything compiling prints goes to stderr (ignored).
const WORKER = [
  'import sys, compileall',
  'answer = sys.stdout',
  'sys.stdout = sys.stderr',
  'for line in sys.stdin:',
  '    path = line.rstrip("\\n")',
  '    if path == "":',
  '        answer.write("\\n")',
  '        answer.flush()',
  '        continue',
  '    try:',
  '        compileall.compile_file(path, force=True, quiet=2)',
  '    except Exception:',
  '        pass',
].join('\n');

interface Chunk {
  files: readonly string[];
  done: () => void;
}

interface Worker {
  process: ChildProcessWithoutNullStreams;
  chunk: Chunk | null;
  timer: NodeJS.Timeout | null;
}

/** A compiler running `python` (the environment's interpreter); processes start on the first call. */
export function createBytecodeCompiler(python: string, options: BytecodeCompilerOptions = {}): BytecodeCompiler {
  const size = Math.max(1, options.workers ?? availableParallelism());
  const chunkSize = Math.max(1, options.chunkSize ?? 32);
  const timeoutMs = options.chunkTimeoutMs ?? 300_000;
  const workers: Worker[] = [];
  const queue: Chunk[] = [];
  let closed = false;

  /** Ends a worker's chunk (done or given up) and lets the worker take the next one. */
  const finish = (worker: Worker): void => {
    const chunk = worker.chunk;
    worker.chunk = null;
    if (worker.timer !== null) clearTimeout(worker.timer);
    worker.timer = null;
    chunk?.done();
  };

  const retire = (worker: Worker): void => {
    const at = workers.indexOf(worker);
    if (at !== -1) workers.splice(at, 1);
    finish(worker);
    dispatch();
  };

  const start = (): Worker => {
    const child = spawn(python, ['-I', '-c', WORKER], { stdio: ['pipe', 'pipe', 'ignore'] }) as unknown as ChildProcessWithoutNullStreams;
    const worker: Worker = { process: child, chunk: null, timer: null };
    child.stdout.on('data', (data: Buffer) => {
      // One newline per chunk answered; a worker has one chunk at a time.
      for (let i = 0; i < data.length; i++) {
        if (data[i] === 0x0a && worker.chunk !== null) {
          finish(worker);
          dispatch();
        }
      }
    });
    child.stdin.on('error', () => {});
    child.on('error', () => retire(worker));
    child.on('close', () => retire(worker));
    workers.push(worker);
    return worker;
  };

  function dispatch(): void {
    while (queue.length > 0) {
      if (closed) {
        for (const chunk of queue.splice(0)) chunk.done();
        return;
      }
      let worker = workers.find((w) => w.chunk === null);
      if (worker === undefined && workers.length < size) worker = start();
      if (worker === undefined) return;
      const chunk = queue.shift() as Chunk;
      const busy = worker;
      busy.chunk = chunk;
      busy.timer = setTimeout(() => {
        busy.process.kill('SIGKILL');
        retire(busy);
      }, timeoutMs);
      busy.process.stdin.write(`${chunk.files.join('\n')}\n\n`);
    }
  }

  return {
    compile(files) {
      // A path with a newline cannot be sent line by line; such a file stays uncompiled.
      const sendable = files.filter((f) => !f.includes('\n'));
      if (sendable.length === 0) return Promise.resolve();
      const chunks: Promise<void>[] = [];
      for (let at = 0; at < sendable.length; at += chunkSize) {
        chunks.push(new Promise<void>((done) => queue.push({ files: sendable.slice(at, at + chunkSize), done })));
      }
      dispatch();
      return Promise.all(chunks).then(() => undefined);
    },
    async close() {
      closed = true;
      dispatch();
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolveExit) => {
              if (w.process.exitCode !== null || w.process.signalCode !== null) return resolveExit();
              w.process.once('close', () => resolveExit());
              w.process.stdin.end();
            }),
        ),
      );
    },
  };
}
