/**
 * Network access from code that runs at install or import: a package that fetches something
 * while being installed is either downloading its real payload or reporting home.
 */
import { describeContext, lacksTriggers, type RuleHit, type SeverityByContext, type SourceRule } from './ruleTypes.js';
import { findInCode, findInStrings } from './matchSource.js';

/** Rule ids of this family. */
export const NETWORK_RULES = {
  /** A network call (urllib, requests, httpx, http.client, sockets, curl/wget commands). */
  download: 'install-time-download',
  /** A download piped straight into a shell or PowerShell (`curl … | sh`, `IEX (… DownloadString …)`). */
  shellDownload: 'shell-download',
} as const;

const DOWNLOAD_SEVERITY: SeverityByContext = { install: 'high', import: 'medium', module: null };
const SHELL_DOWNLOAD_SEVERITY: SeverityByContext = { install: 'critical', import: 'high', module: 'medium' };

/** Calls that open a connection or fetch a URL. */
export const NETWORK_CALL =
  /\b(?:urlopen|urlretrieve|build_opener|HTTPS?Connection|create_connection)\s*\(|\brequests\s*\.\s*(?:get|post|put|patch|head|request|Session)\s*\(|\bhttpx\s*\.\s*(?:get|post|put|stream|request|Client|AsyncClient)\s*\(|\burllib3\s*\.\s*(?:PoolManager|request)\b|\baiohttp\s*\.\s*ClientSession\s*\(|\bsocket\s*\.\s*socket\s*\(|\.connect(?:_ex)?\s*\(\s*\(|\bftplib\s*\.\s*FTP|\bsmtplib\s*\.\s*SMTP|\bpycurl\s*\.\s*Curl\s*\(/g;

/** A command-line downloader inside a string (a command about to be run). */
const SHELL_FETCH = /(?:^|[\s;&|('"`])(?:curl|wget|Invoke-WebRequest|iwr|Invoke-RestMethod|irm|Start-BitsTransfer|bitsadmin|certutil\s+-urlcache)(?:\.exe)?\s+\S/i;
/** A download run at once by a shell. */
const SHELL_PIPE =
  /(?:curl|wget)\b[^|;]*\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b|\b(?:IEX|Invoke-Expression)\b[\s\S]*\b(?:DownloadString|DownloadFile|Invoke-WebRequest|iwr|irm)\b|\b(?:DownloadString|DownloadFile|Invoke-WebRequest|iwr|irm)\b[\s\S]*\|\s*(?:IEX|Invoke-Expression)\b/i;

const TRIGGERS =
  /urlopen|urlretrieve|build_opener|Connection|requests|httpx|urllib3|aiohttp|socket|connect|ftplib|smtplib|pycurl|curl|wget|Invoke|iwr|irm|Bits|bitsadmin|certutil|IEX|DownloadString|DownloadFile/i;

/** Whether a string literal is a command that downloads something. */
export function isShellFetch(value: string): boolean {
  return value.length < 4000 && SHELL_FETCH.test(value);
}

/** Network calls, and downloader commands in strings. */
export const networkRule: SourceRule = (file) => {
  const hits: RuleHit[] = [];
  if (lacksTriggers(file, TRIGGERS)) return hits;
  const where = describeContext(file.context);
  for (const match of findInStrings(file, (v) => v.length < 4000 && SHELL_PIPE.test(v))) {
    hits.push({ rule: NETWORK_RULES.shellDownload, severity: SHELL_DOWNLOAD_SEVERITY[file.context], line: match.line, message: `a download piped into a shell ${where}` });
  }
  // In library modules a network call is only the library's job: nothing to report or combine.
  if (file.context === 'module') return hits;
  for (const match of findInCode(file, NETWORK_CALL)) {
    hits.push({ rule: NETWORK_RULES.download, severity: DOWNLOAD_SEVERITY[file.context], line: match.line, message: `network call \`${match.text.replace(/\s+/g, '')}\` ${where}` });
  }
  for (const match of findInStrings(file, isShellFetch)) {
    hits.push({ rule: NETWORK_RULES.download, severity: DOWNLOAD_SEVERITY[file.context], line: match.line, message: `a command-line download (curl/wget/…) ${where}` });
  }
  return hits;
};
