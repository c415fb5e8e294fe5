/** Options every command understands, read once from flags and environment. */
export interface GlobalOptions {
  json: boolean;
  verbose: boolean;
  /** Data directory for local mode (`--data`, `PAVED_DATA`, default `./paved-data`). */
  data: string;
  /** Server URL for remote mode (`--server`, `PAVED_SERVER`). */
  server: string | undefined;
  /** Token for remote mode (`--token`, `PAVED_TOKEN`); never printed. */
  token: string | undefined;
}

export function readGlobalOptions(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): GlobalOptions {
  const s = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    json: flags['json'] === true,
    verbose: flags['verbose'] === true,
    data: s(flags['data']) ?? s(env['PAVED_DATA']) ?? 'paved-data',
    server: s(flags['server']) ?? s(env['PAVED_SERVER']),
    token: s(flags['token']) ?? s(env['PAVED_TOKEN']),
  };
}
