import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
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
    .action((flags: ServeFlags, cmd: Command) => runCommand(cmd, async (global, reporter) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PavedError('PAVED_E_INVALID_ARGUMENT', `--port must be 0..65535, not '${flags.port}'`);
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
      const app = await createIndexServer({ storage, defaultIndex, events, logAccess: log !== null, limits: { maxUploadBytes: parseSize(flags.maxUploadSize ?? '1G') } });
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
        await app.close();
        await storage.close();
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    }));
}
