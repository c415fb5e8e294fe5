/**
 * Which credentials go with a request. Only the origins of the configured index URLs ever get
 * any, whatever a page links or a redirect points to: a file hosted on another origin, or a
 * redirect away from the index, is fetched without them. For an index origin the first source
 * that has something wins: user info in the index URL, explicit per-origin credentials, the
 * netrc file, then the `PAVED_INDEX_TOKEN` token (sent as `__token__`, as twine and paved's server
 * expect).
 */
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

function basic(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/**
 * Builds `authorizationFor(url)` for a set of index URLs. The netrc file is read once, now.
 */
export function createCredentialLookup(
  indexUrls: URL[],
  options: CredentialOptions,
  env: Record<string, string | undefined>,
): (url: URL) => string | null {
  const netrcPath = options.netrcPath !== undefined ? options.netrcPath : (env['NETRC'] ?? join(env['HOME'] ?? homedir(), '.netrc'));
  const token = options.token !== undefined ? options.token : (env['PAVED_INDEX_TOKEN'] ?? null);
  let netrc: NetrcEntry[] | null = null;
  const byOrigin = new Map<string, string | null>();
  for (const url of indexUrls) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    const origin = url.origin;
    if (url.username !== '' || url.password !== '') {
      // The first index URL of an origin with user info decides; later ones cannot override it.
      if (!byOrigin.has(origin) || byOrigin.get(origin) === null) {
        byOrigin.set(origin, basic({ username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }));
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
    byOrigin.set(origin, token !== null && token !== '' ? basic({ username: '__token__', password: token }) : null);
  }
  return (url) => byOrigin.get(url.origin) ?? null;
}
