/**
 * Which credentials go with a request. Only the origins of the configured index URLs ever get
 * any, whatever a page links or a redirect points to: a file hosted on another origin, or a
 * redirect away from the index, is fetched without them. For an index origin the first source
 * that has something wins: user info in the index URL, explicit per-origin credentials, the
 * netrc file, then the `PAVED_INDEX_TOKEN` token (sent as `__token__`, as twine and paved's server
 * expect) — the token only to the origin of the first (default) index, never to a host an extra
 * index names. User info in an index URL covers that index's own part of its server first
 * (`credentialScope`), so two indexes of one server may carry different tokens.
 *
 * A keyring (pip's and uv's `keyring-provider = "subprocess"`) fills the gaps when configured: for
 * an index URL with a username but no password it runs `keyring get <index-url> <username>` and
 * takes the password from stdout (then tries the host as service name, as pip does); for an index
 * origin with no credentials from anywhere else it runs `keyring --mode creds get <index-url>`
 * (username and password on two lines, as uv does). The command runs at most once per origin,
 * just before the first request to it (`prepare`), without a shell, with stdin closed and a
 * 10 s limit; any failure means no credentials from the keyring plus a warning event that never
 * carries what the command printed.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PavedError } from '../../errors.js';
import { findNetrcEntry, parseNetrc, type NetrcEntry } from './netrc.js';

/** A username and password for HTTP basic auth. */
export interface BasicCredentials {
  username: string;
  password: string;
}

/** Where credentials come from, beside user info in the index URLs. */
export interface CredentialOptions {
  /** Credentials per origin (e.g. `https://pypi.acme.com`). */
  origins?: Record<string, BasicCredentials>;
  /** The netrc file; default `NETRC` from the environment, else `~/.netrc`; null reads none. */
  netrcPath?: string | null;
  /** A token sent as `__token__:<token>` to every index origin without other credentials; default `PAVED_INDEX_TOKEN`. */
  token?: string | null;
  /** Ask a keyring program for what the other sources lack; null or absent: never. */
  keyring?: KeyringOptions | null;
}

/** How to run the keyring program. */
export interface KeyringOptions {
  /** The program and leading arguments, e.g. `['keyring']`; `get …` is appended. */
  command: string[];
  /** Default 10 s. */
  timeoutMs?: number;
}

/** What credential lookup reports; never a secret. */
export type CredentialEvent = { type: 'warning'; source: 'keyring'; message: string };

/**
 * `authorizationFor(url)`: the Authorization header for a URL, or null. `prepare(url)` must be
 * awaited before the first request to a URL's origin when a keyring is configured; it runs the
 * keyring for that origin once (later calls share the answer) and never fails.
 */
export interface CredentialLookup {
  (url: URL): string | null;
  prepare(url: URL): Promise<void>;
}

const KEYRING_TIMEOUT_MS = 10_000;
const MAX_KEYRING_OUTPUT = 64 * 1024;

/** `final`: asking again under another service name cannot help (the program is missing, hangs or misbehaves). */
type KeyringAnswer = { ok: true; stdout: string } | { ok: false; problem: string; final: boolean };

/** Runs the keyring program once: no shell, stdin closed, output capped, killed at the time limit. */
function runKeyring(command: string[], args: string[], env: Record<string, string | undefined>, timeoutMs: number): Promise<KeyringAnswer> {
  return new Promise((resolve) => {
    const [program, ...leading] = command;
    if (program === undefined || program === '') {
      resolve({ ok: false, problem: 'no keyring command configured', final: true });
      return;
    }
    let settled = false;
    const finish = (answer: KeyringAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const chunks: Buffer[] = [];
    let size = 0;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(program, [...leading, ...args], { stdio: ['ignore', 'pipe', 'ignore'], shell: false, env: env as NodeJS.ProcessEnv, windowsHide: true });
    } catch (error) {
      resolve({ ok: false, problem: `could not start ${program}: ${(error as { code?: string }).code ?? 'spawn failed'}`, final: true });
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      // A grandchild may hold the pipe open; stop reading it so nothing waits on it.
      child.stdout?.destroy();
      finish({ ok: false, problem: `${program} did not answer within ${Math.round(timeoutMs / 1000)} s`, final: true });
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_KEYRING_OUTPUT) {
        child.kill('SIGKILL');
        finish({ ok: false, problem: `${program} printed more than ${MAX_KEYRING_OUTPUT} bytes`, final: true });
        return;
      }
      chunks.push(chunk);
    });
    child.once('error', (error) => {
      const code = (error as { code?: string }).code;
      finish({ ok: false, problem: code === 'ENOENT' ? `${program} was not found` : `could not run ${program}: ${code ?? 'spawn failed'}`, final: true });
    });
    child.once('close', (code, signal) => {
      if (code === 0) finish({ ok: true, stdout: Buffer.concat(chunks).toString('utf8') });
      else finish({ ok: false, problem: signal !== null ? `${program} was killed by ${signal}` : `${program} exited with status ${code ?? '?'}`, final: signal !== null });
    });
  });
}

/** stdout split into lines (a trailing line break gives a last empty line). */
function lines(stdout: string): string[] {
  return stdout.split(/\r?\n/);
}

/** Reads a netrc file; a missing file is no credentials, an unreadable one an error. */
function readNetrc(path: string | null): NetrcEntry[] {
  if (path === null) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new PavedError('PAVED_E_CONFIG', `could not read the netrc file ${path}: ${typeof code === 'string' ? code : 'read failed'}`, {
      hint: 'Fix its permissions, or point NETRC at another file.',
    });
  }
  return parseNetrc(text);
}

/** A URL's user info as written: percent-decoded, or as it is where it is not valid percent-encoding (a literal `%` in a password, as pip accepts). */
function decodeUserInfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The part of an origin an index's own credentials cover: its URL without the final `simple/`
 * (or devpi's `+simple/`) segment, since the files it links sit beside that (`/acme/main/+f/…`,
 * `/packages/…`); the whole URL when it does not end so.
 */
export function credentialScope(url: URL): string {
  return url.pathname.replace(/\/\+?simple\/?$/, '/');
}

function basic(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** The Basic authorization a URL's own user info stands for (an index, a proxy or a file URL), or null when it has none. */
export function userInfoAuthorization(url: URL): string | null {
  if (url.username === '' && url.password === '') return null;
  return basic({ username: decodeUserInfo(url.username), password: decodeUserInfo(url.password) });
}

/**
 * Builds the credential lookup for a set of index URLs. The netrc file is read once, now; the
 * keyring (when configured) runs per origin in `prepare`.
 */
export function createCredentialLookup(
  indexUrls: URL[],
  options: CredentialOptions,
  env: Record<string, string | undefined>,
  onEvent: (event: CredentialEvent) => void = () => undefined,
): CredentialLookup {
  const netrcPath = options.netrcPath !== undefined ? options.netrcPath : (env['NETRC'] ?? join(env['HOME'] ?? homedir(), '.netrc'));
  const token = options.token !== undefined ? options.token : (env['PAVED_INDEX_TOKEN'] ?? null);
  const keyring = options.keyring ?? null;
  let netrc: NetrcEntry[] | null = null;
  const byOrigin = new Map<string, string | null>();
  // User info written into an index URL covers that index's scope first: two indexes of one
  // server with different tokens each get their own (see `credentialScope`).
  const scoped: { origin: string; scope: string; authorization: string }[] = [];
  // The token is the default index's: never sent to another host an extra index names (a public one).
  const firstHttp = indexUrls.find((u) => u.protocol === 'http:' || u.protocol === 'https:');
  const tokenOrigin = firstHttp?.origin ?? null;
  // Origins the keyring is asked about: the service (index URL without credentials) and the username, if known.
  const keyringQueries = new Map<string, { service: string; host: string; username: string | null }>();
  const keyringRuns = new Map<string, Promise<void>>();
  for (const url of indexUrls) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    const origin = url.origin;
    const service = new URL(url.href);
    service.username = '';
    service.password = '';
    if (url.username !== '' || url.password !== '') {
      const authorization = userInfoAuthorization(url) as string;
      if (url.password !== '') scoped.push({ origin, scope: credentialScope(url), authorization });
      // The first index URL of an origin with user info decides for the rest of the origin.
      if (!byOrigin.has(origin) || byOrigin.get(origin) === null) {
        byOrigin.set(origin, authorization);
        if (keyring !== null && url.password === '') keyringQueries.set(origin, { service: service.href, host: url.host, username: decodeUserInfo(url.username) });
        else keyringQueries.delete(origin);
      }
      continue;
    }
    if (byOrigin.has(origin)) continue;
    const explicit = options.origins?.[origin];
    if (explicit !== undefined) {
      byOrigin.set(origin, basic(explicit));
      continue;
    }
    netrc ??= readNetrc(netrcPath);
    const entry = findNetrcEntry(netrc, url.hostname);
    if (entry !== null && (entry.login !== null || entry.password !== null)) {
      byOrigin.set(origin, basic({ username: entry.login ?? '', password: entry.password ?? '' }));
      continue;
    }
    const useToken = token !== null && token !== '' && origin === tokenOrigin;
    byOrigin.set(origin, useToken ? basic({ username: '__token__', password: token }) : null);
    if (keyring !== null && !useToken) keyringQueries.set(origin, { service: service.href, host: url.host, username: null });
  }

  async function ask(origin: string, query: { service: string; host: string; username: string | null }, settings: KeyringOptions): Promise<void> {
    const timeoutMs = settings.timeoutMs ?? KEYRING_TIMEOUT_MS;
    const problems: string[] = [];
    // pip asks for the index URL first, then the host alone.
    for (const service of [query.service, query.host]) {
      const args = query.username === null ? ['--mode', 'creds', 'get', service] : ['get', service, query.username];
      const answer = await runKeyring(settings.command, args, env, timeoutMs);
      if (!answer.ok) {
        problems.push(answer.problem);
        if (answer.final) break;
        continue;
      }
      const out = lines(answer.stdout);
      if (query.username !== null) {
        const password = out[0] ?? '';
        if (password !== '') {
          byOrigin.set(origin, basic({ username: query.username, password }));
          return;
        }
        problems.push('it printed no password');
      } else {
        const [username = '', password = ''] = out;
        if (username !== '' && password !== '') {
          byOrigin.set(origin, basic({ username, password }));
          return;
        }
        problems.push('it did not print a username and a password');
      }
    }
    const who = query.username === null ? '' : ` (user ${query.username})`;
    onEvent({ type: 'warning', source: 'keyring', message: `the keyring gave no credentials for ${query.service}${who}: ${[...new Set(problems)].join('; ')}` });
  }

  // Longest scope first: the most specific index that covers a URL lends it its credentials.
  scoped.sort((a, b) => b.scope.length - a.scope.length);
  const lookup = ((url: URL) => scoped.find((s) => s.origin === url.origin && url.pathname.startsWith(s.scope))?.authorization ?? byOrigin.get(url.origin) ?? null) as CredentialLookup;
  lookup.prepare = (url: URL): Promise<void> => {
    const query = keyringQueries.get(url.origin);
    if (keyring === null || query === undefined) return Promise.resolve();
    let run = keyringRuns.get(url.origin);
    if (run === undefined) {
      run = ask(url.origin, query, keyring);
      keyringRuns.set(url.origin, run);
    }
    return run;
  };
  return lookup;
}
