/**
 * Where code talks to: a URL with a public IPv4 literal instead of a name, and the paste, webhook,
 * tunnel and out-of-band-testing sites that stolen data is usually sent to.
 */
import { describeContext, lacksTriggers, type RuleHit, type SeverityByContext, type SourceRule } from './ruleTypes.js';
import { findInStrings } from './matchSource.js';

/** Rule ids of this family. */
export const HOST_RULES = {
  /** A URL (or socket address, or curl/wget target) with a public IPv4 literal. */
  rawIp: 'raw-ip-address',
  /** A paste site, chat webhook, tunnel or interaction-capture host. */
  exfiltrationHost: 'exfiltration-host',
} as const;

const RAW_IP_SEVERITY: SeverityByContext = { install: 'high', import: 'high', module: 'low' };
const EXFIL_SEVERITY: SeverityByContext = { install: 'high', import: 'high', module: 'low' };

const URL_IP = /\b(?:https?|ftp|wss?|tcp|udp):\/\/(?:[^/@\s]*@)?(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])/gi;
const FETCH_IP = /\b(?:curl|wget|nc|ncat|netcat)\s+(?:-\S+\s+)*(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])/gi;
const BARE_IP = /^\s*(\d{1,3}(?:\.\d{1,3}){3})\s*$/;

const EXFIL_HOST =
  /\b(?:pastebin\.com|paste\.ee|hastebin\.com|hastebin|ghostbin\.|rentry\.co|transfer\.sh|discord(?:app)?\.com\/api\/webhooks|api\.telegram\.org\/bot|webhook\.site|ngrok\.io|ngrok\.app|ngrok-free\.app|ngrok\.com|requestcatcher\.com|burpcollaborator\.net|oastify\.com|oast\.(?:pro|live|site|online|fun|me)|interact\.sh|pipedream\.net|requestbin\.|canarytokens\.com|dnslog\.cn|ceye\.io|serveo\.net|trycloudflare\.com|gofile\.io|anonfiles\.com)/i;

/**
 * Whether a dotted quad is a public unicast address: loopback, private (RFC 1918), link-local,
 * shared (RFC 6598), documentation (RFC 5737), benchmarking, multicast and reserved ranges are
 * not where a payload would be fetched from across the internet.
 */
export function isPublicIpv4(text: string): boolean {
  const parts = text.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return false;
  const [a, b, c] = parts as [number, number, number, number];
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  if ((a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return false;
  if (a === 192 && b === 0 && c === 0) return false;
  return true;
}

function publicIpIn(value: string): string | null {
  if (value.length > 20000) return null;
  for (const pattern of [URL_IP, FETCH_IP]) {
    pattern.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(value)) !== null) {
      if (isPublicIpv4(match[1] as string)) return match[1] as string;
    }
  }
  return null;
}

const TRIGGERS = new RegExp(`://|curl|wget|\\bnc\\b|ncat|netcat|connect|socket|${EXFIL_HOST.source}`, 'i');

/** Public IPv4 literals in URLs or connect calls, and exfiltration hosts. */
export const hostRule: SourceRule = (file) => {
  const hits: RuleHit[] = [];
  if (lacksTriggers(file, TRIGGERS)) return hits;
  const where = describeContext(file.context);
  for (const logical of file.source.logical) {
    const connects = /\.connect(?:_ex)?\s*\(\s*\(|\bcreate_connection\s*\(|\bsocket\b/.test(logical.code);
    for (const literal of logical.strings) {
      let ip = publicIpIn(literal.value);
      if (ip === null && connects) {
        const bare = BARE_IP.exec(literal.value);
        if (bare !== null && isPublicIpv4(bare[1] as string)) ip = bare[1] as string;
      }
      if (ip !== null) {
        hits.push({ rule: HOST_RULES.rawIp, severity: RAW_IP_SEVERITY[file.context], line: literal.line, message: `talks to the raw IP address ${ip} ${where}` });
      }
    }
  }
  for (const match of findInStrings(file, (v) => v.length < 20000 && EXFIL_HOST.test(v))) {
    const host = EXFIL_HOST.exec(match.literal.value)?.[0] ?? '';
    hits.push({ rule: HOST_RULES.exfiltrationHost, severity: EXFIL_SEVERITY[file.context], line: match.line, message: `refers to ${host}, a paste/webhook/tunnel site ${where}` });
  }
  return hits;
};
