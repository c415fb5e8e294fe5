/**
 * Which proxy a request goes through, from the conventional environment variables
 * (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` for either scheme when its own is unset,
 * `NO_PROXY`; also lower-case, lower-case winning as curl does). Read once into a
 * `ProxySettings`; choosing is pure.
 */
import { BlockList, isIP } from 'node:net';
import { PavedError } from '../../errors.js';
import { redactUrl } from '../../standards/urls.js';

/** Proxies by target scheme, and the hosts that bypass them. */
export interface ProxySettings {
  httpProxy: URL | null;
  httpsProxy: URL | null;
  /** Entries of NO_PROXY, lower-cased: `*`, `host`, `.domain`, `host:port`, `10.0.0.0/8`, `::1/128`. */
  noProxy: string[];
}

/** A NO_PROXY entry in CIDR notation as a BlockList, or null when it is not one. */
function cidrBlock(entry: string): BlockList | null {
  const match = /^\[?([0-9a-f.:]+)\]?\/(\d{1,3})$/.exec(entry);
  if (match === null) return null;
  const address = match[1] as string;
  const prefix = Number(match[2]);
  const family = isIP(address);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) return null;
  const block = new BlockList();
  block.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return block;
}

function envValue(env: Record<string, string | undefined>, name: string): string | null {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value === undefined || value.trim() === '' ? null : value.trim();
}

function parseProxyUrl(raw: string, variable: string): URL {
  // `proxy:3128` without a scheme is common in the wild and means http.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new PavedError('PAVED_E_CONFIG', `${variable} is not a URL: '${redactUrl(raw)}'`, { hint: `Set ${variable} to e.g. http://proxy.example.com:3128.` });
  }
  if (url.protocol !== 'http:') {
    throw new PavedError('PAVED_E_CONFIG', `${variable} uses ${url.protocol.slice(0, -1)}, but paved only talks to proxies over http://`, {
      hint: `Set ${variable} to the proxy's http:// address (HTTPS traffic is still tunnelled end to end with CONNECT).`,
    });
  }
  return url;
}

/** Reads the proxy variables from an environment. */
export function readProxySettings(env: Record<string, string | undefined>): ProxySettings {
  // ALL_PROXY is the fallback for both schemes, as in curl, requests and uv.
  const all = envValue(env, 'ALL_PROXY');
  const https = envValue(env, 'HTTPS_PROXY');
  const http = envValue(env, 'HTTP_PROXY');
  const no = envValue(env, 'NO_PROXY');
  return {
    httpsProxy: https !== null ? parseProxyUrl(https, 'HTTPS_PROXY') : all !== null ? parseProxyUrl(all, 'ALL_PROXY') : null,
    httpProxy: http !== null ? parseProxyUrl(http, 'HTTP_PROXY') : all !== null ? parseProxyUrl(all, 'ALL_PROXY') : null,
    noProxy: no === null ? [] : no.split(/[\s,]+/).map((entry) => entry.trim().toLowerCase()).filter((entry) => entry !== ''),
  };
}

function bypasses(entry: string, host: string, port: string): boolean {
  if (entry === '*') return true;
  // `127.0.0.0/8`, `::1/128` (curl >= 7.86, requests, uv): only a host written as an IP
  // address is inside a range; names are not resolved to find out.
  const block = cidrBlock(entry);
  if (block !== null) {
    const family = isIP(host);
    return family !== 0 && block.check(host, family === 4 ? 'ipv4' : 'ipv6');
  }
  let name = entry;
  // `[::1]:8080`, `[::1]`, `host:8080`; a bare IPv6 address has colons but no port.
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const withPort = bracketed === null && (entry.match(/:/g) ?? []).length === 1 ? /^(.*):(\d+)$/.exec(entry) : null;
  if (bracketed !== null) {
    name = bracketed[1] as string;
    if (bracketed[2] !== undefined && bracketed[2] !== port) return false;
  } else if (withPort !== null) {
    if (withPort[2] !== port) return false;
    name = withPort[1] as string;
  }
  if (name.startsWith('*.')) name = name.slice(1);
  if (name.startsWith('.')) return host.endsWith(name) || host === name.slice(1);
  return host === name || host.endsWith(`.${name}`);
}

/** The proxy for a target URL, or null to connect directly. */
export function proxyFor(settings: ProxySettings, url: URL): URL | null {
  const proxy = url.protocol === 'https:' ? settings.httpsProxy : url.protocol === 'http:' ? settings.httpProxy : null;
  if (proxy === null) return null;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  if (settings.noProxy.some((entry) => bypasses(entry, host, port))) return null;
  return proxy;
}
