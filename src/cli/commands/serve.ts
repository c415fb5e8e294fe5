import type { Command } from 'commander';
import cluster from 'node:cluster';
import { createWriteStream } from 'node:fs';
import { scheduleRefresh } from '../../index/advisories/advisoryDatabase.js';
import { openDataDir, DEFAULT_INDEX } from '../../index/dataDir.js';
import { createIndexServer } from '../../index/http/createIndexServer.js';
import type { ServerEvents } from '../../index/serverEvents.js';
import { PavedError } from '../../errors.js';
import { runCommand } from '../runCommand.js';
import { parseSize } from '../parseSize.js';

/** Flags as commander hands them over (camelCase). */
interface ServeFlags {
  host: string;
  port: string;
  defaultIndex: string;
  accessLog: string;
  maxUploadSize: string;
  upstreamTimeout: string;
  upstreamRetries: string;
  advisoriesUrl?: string;
  advisoriesEvery: string;
  workers: string;
  pageCache: string;
}

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) throw new PavedError('PAVED_E_INVALID_ARGUMENT', `${flag} must be a number from ${min} to ${max}, not '${text}'`);
  return n;
}

/**
 * With --workers N the primary process only forks N servers that share the
 * listening socket (node:cluster) and forwards SIGTERM/SIGINT to them; each
 * worker drains its in-flight requests and exits, then the primary exits.
 * SQLite in WAL mode is safe for several processes on one data directory.
 */
function runPrimary(workers: number): Promise<void> {
  return new Promise((resolve) => {
    let alive = workers;
    let stopping = false;
    const startedAt = new Map<number, number>();
    const fork = () => {
      const worker = cluster.fork();
      startedAt.set(worker.id, Date.now());
    };
    for (let i = 0; i < workers; i++) fork();
    cluster.on('exit', (worker, code) => {
      alive -= 1;
      // A worker that dies at once (port in use, bad data directory) would die again: stop instead of looping.
      const quick = Date.now() - (startedAt.get(worker.id) ?? 0) < 5000;
      if (!stopping && code !== 0 && !quick) {
        process.stderr.write(`paved: worker ${worker.process.pid} exited with ${code}; starting another\n`);
        alive += 1;
        fork();
        return;
      }
      if (!stopping && code !== 0) {
        stopping = true;
        process.exitCode = 1;
        for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      }
      if (alive === 0) resolve();
    });
    const stop = (signal: NodeJS.Signals) => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the index server on a data directory (embedded default: SQLite + files under ./paved-data)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '3141')
    .option('--default-index <owner/name>', 'the index behind /simple/', DEFAULT_INDEX)
    .option('--access-log <file>', "where the JSON access log goes ('-' = stdout, 'off')", '-')
    .option('--max-upload-size <size>', 'largest distribution accepted (e.g. 500M, 2G)', '1G')
    .option('--upstream-timeout <seconds>', 'mirrors: time allowed for an upstream answer', '15')
    .option('--upstream-retries <n>', 'mirrors: retries after network errors and 5xx, with back-off', '2')
    .option('--advisories-url <url>', 'import OSV advisories from this zip URL at start and on a schedule')
    .option('--advisories-every <hours>', 'how often to re-import --advisories-url', '24')
    .option('--workers <n>', 'server processes sharing the port (use the machine\'s cores)', '1')
    .option('--page-cache <size>', 'memory for rendered simple pages per process (bounds RSS however many projects)', '64M')
    .action(async (flags: ServeFlags, cmd: Command) => {
      await serve(flags, cmd);
      // A cluster worker keeps its IPC channel open: end it explicitly when it failed to start.
      if (cluster.isWorker && process.exitCode !== undefined && process.exitCode !== 0) process.exit(process.exitCode);
    });
}

function serve(flags: ServeFlags, cmd: Command): Promise<void> {
  return runCommand(cmd, async (global, reporter) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PavedError('PAVED_E_INVALID_ARGUMENT', `--port must be 0..65535, not '${flags.port}'`);
      const workers = wholeNumber(flags.workers, '--workers', 1, 64);
      const upstreamTimeoutMs = wholeNumber(flags.upstreamTimeout, '--upstream-timeout', 0.1, 600) * 1000;
      const upstreamRetries = wholeNumber(flags.upstreamRetries, '--upstream-retries', 0, 10);
      const advisoriesEveryMs = wholeNumber(flags.advisoriesEvery, '--advisories-every', 0.01, 24 * 365) * 3600_000;
      if (workers > 1 && cluster.isPrimary) {
        reporter.info(`paved: starting ${workers} server processes`, { event: 'workers', workers });
        await runPrimary(workers);
        return;
      }
      const storage = await openDataDir(global.data);
      const logTarget = flags.accessLog ?? '-';
      const log = logTarget === 'off' ? null : logTarget === '-' ? process.stdout : createWriteStream(logTarget, { flags: 'a' });
      const line = (o: unknown) => log?.write(`${JSON.stringify(o)}\n`);
      const events: ServerEvents = {
        access: (entry) => line({ type: 'access', ...entry }),
        fault: (info) => process.stderr.write(`${JSON.stringify({ type: 'fault', time: new Date().toISOString(), ...info })}\n`),
        notice: (event, fields) => line({ type: event, time: new Date().toISOString(), ...fields }),
      };
      const defaultIndex = flags.defaultIndex ?? DEFAULT_INDEX;
      if ((await storage.catalog.getIndex(defaultIndex)) === null) {
        throw new PavedError('PAVED_E_INDEX_NOT_FOUND', `the default index '${defaultIndex}' does not exist`, { hint: `create it with \`paved index create ${defaultIndex}\`` });
      }
      const app = await createIndexServer({
        storage,
        defaultIndex,
        events,
        logAccess: log !== null,
        limits: { maxUploadBytes: parseSize(flags.maxUploadSize ?? '1G') },
        upstream: { timeoutMs: upstreamTimeoutMs, retries: upstreamRetries },
        pageCacheBytes: parseSize(flags.pageCache ?? '64M'),
      });
      // One process refreshes advisories; the others see the new data through the shared file.
      const stopRefresh =
        flags.advisoriesUrl !== undefined && (cluster.worker === undefined || cluster.worker.id === 1)
          ? scheduleRefresh(storage.advisories, flags.advisoriesUrl, advisoriesEveryMs, (outcome) =>
              outcome.ok
                ? events.notice('advisories.refreshed', { imported: outcome.result.imported, updated: outcome.result.updated, version: outcome.result.version })
                : events.fault({ requestId: '-', code: 'PAVED_E_ADVISORY_REFRESH', message: outcome.error instanceof Error ? outcome.error.message : String(outcome.error), stack: undefined }),
              { runNow: true },
            )
          : () => {};
      let address: string;
      try {
        address = await app.listen({ host: flags.host ?? '127.0.0.1', port });
      } catch (error) {
        await storage.close();
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new PavedError('PAVED_E_ADDRESS_IN_USE', `port ${port} on ${flags.host} is already in use`, { hint: 'stop the other server or pass --port' });
        if (code === 'EACCES') throw new PavedError('PAVED_E_ADDRESS_IN_USE', `not allowed to listen on port ${port}`, { hint: 'ports below 1024 need privileges; pass --port 3141' });
        throw error;
      }
      reporter.info(`paved serving ${storage.description} at ${address} (default index ${defaultIndex}; pip: --index-url ${address}/simple/)`, { event: 'listening', url: address, data: storage.description });
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        reporter.info(`${signal}: finishing in-flight requests, then stopping`, { event: 'stopping' });
        stopRefresh();
        await app.close();
        await storage.close();
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
  });
}
