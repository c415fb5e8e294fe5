import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What one wrk run measured. Latencies are in microseconds. */
export interface WrkResult {
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  bytesRead: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  /** Socket errors plus non-2xx/3xx answers; a run with errors is suspect. */
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

/** How to drive wrk: `paths` rotates over many URLs, otherwise `url` alone. */
export interface WrkRun {
  url: string;
  paths?: string[];
  threads: number;
  connections: number;
  durationSeconds: number;
  headers?: Record<string, string>;
  /** Where the generated Lua script goes. */
  scriptDir: string;
  name: string;
  /** Called with the wrk process, so the caller can stop it on Ctrl-C. */
  onSpawn?: (child: ChildProcess) => void;
}

const MARKER = 'PAVED_BENCH_RESULT ';

/*
 * The `done` hook prints exact numbers (microseconds, counts) as one JSON
 * line, so nothing depends on wrk's rounded human units ("1.23ms", "12.3k").
 */
const DONE_HOOK = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${MARKER}{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;

/** The Lua script for a run: the result hook, plus a path rotation when asked. */
export function renderWrkScript(paths: string[] | undefined): string {
  if (paths === undefined || paths.length === 0) return DONE_HOOK;
  const list = paths.map((p) => `  ${luaString(p)},`).join('\n');
  // Each wrk thread has its own Lua state; starting threads at different
  // offsets keeps them from walking the list in lockstep.
  return `local paths = {\n${list}\n}
local n = #paths
local i = 0
setup = function(thread)
  thread:set("offset", math.random(0, n - 1))
end
init = function(args)
  i = (offset or 0)
end
request = function()
  i = i % n + 1
  return wrk.format(nil, paths[i])
end
${DONE_HOOK}`;
}

function luaString(s: string): string {
  if (!/^[\x20-\x7e]*$/.test(s)) throw new Error(`path not printable ASCII: ${JSON.stringify(s)}`);
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Reads the result line the `done` hook printed; throws when wrk printed none. */
export function parseWrkOutput(stdout: string): WrkResult {
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (line === undefined) throw new Error(`wrk printed no result line:\n${stdout}`);
  const raw: unknown = JSON.parse(line.slice(MARKER.length));
  const n = (key: string): number => {
    const value = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[key] : undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`wrk result line lacks '${key}': ${line}`);
    return value;
  };
  const durationSeconds = n('duration_us') / 1e6;
  const requests = n('requests');
  return {
    requests,
    durationSeconds,
    requestsPerSecond: durationSeconds > 0 ? requests / durationSeconds : 0,
    bytesRead: n('bytes'),
    p50Us: n('p50'),
    p90Us: n('p90'),
    p99Us: n('p99'),
    maxUs: n('max'),
    errors: { connect: n('connect'), read: n('read'), write: n('write'), status: n('status'), timeout: n('timeout') },
  };
}

/** Total of a result's errors. */
export function errorCount(r: WrkResult): number {
  return r.errors.connect + r.errors.read + r.errors.write + r.errors.status + r.errors.timeout;
}

/** Runs wrk once and returns what it measured. */
export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const scriptPath = join(run.scriptDir, `${run.name.replace(/[^a-z0-9-]+/gi, '_')}.lua`);
  writeFileSync(scriptPath, renderWrkScript(run.paths));
  const args = ['-t', String(run.threads), '-c', String(run.connections), '-d', `${run.durationSeconds}s`, '--latency', '-s', scriptPath];
  for (const [k, v] of Object.entries(run.headers ?? {})) args.push('-H', `${k}: ${v}`);
  args.push(run.url);
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    run.onSpawn?.(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', reject);
    child.once('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  if (code !== 0) throw new Error(`wrk ${args.join(' ')} exited ${code}: ${stderr}${stdout}`);
  return parseWrkOutput(stdout);
}
