/**
 * The simple repository API (https://packaging.python.org/en/latest/specifications/simple-repository-api/)
 * as one model shared by its two serializations, HTML (PEP 503) and JSON (PEP 691), with the
 * later additions: yanking (PEP 592), core-metadata files (PEP 658/714), sizes, upload times and
 * version lists (PEP 700) and project status markers (PEP 792). This file holds the model and the
 * `Accept` negotiation; `simpleApiHtml.ts` and `simpleApiJson.ts` render and parse.
 */
import { PavedError } from '../errors.js';

/** One distribution file on a project page. */
export interface SimpleFile {
  filename: string;
  /** Absolute URL without the hash fragment. */
  url: string;
  /** Hash name (hashlib spelling, e.g. `sha256`) to lowercase hex digest. */
  hashes: Record<string, string>;
  requiresPython: string | null;
  /** PEP 592: false, true, or the reason (which implies yanked). */
  yanked: false | true | string;
  /** PEP 658/714: no metadata file, one without known hashes, or its hashes. */
  coreMetadata: false | true | Record<string, string>;
  /** PEP 700 size in bytes; JSON only, so null when read from HTML. */
  size: number | null;
  /** PEP 700 upload time, ISO 8601 in UTC ending in `Z`; JSON only. */
  uploadTime: string | null;
  /** Whether a detached `.asc` signature exists; undefined or null when the index does not say. */
  gpgSig?: boolean | null;
}

/** PEP 792 project status. */
export type ProjectStatusName = 'active' | 'archived' | 'quarantined' | 'deprecated';

/** Every status PEP 792 defines. */
export const PROJECT_STATUSES: readonly ProjectStatusName[] = ['active', 'archived', 'quarantined', 'deprecated'];

/** The page for one project (`/simple/<project>/`). */
export interface ProjectPage {
  /** The project name as the index spells it (normalized on our own pages). */
  name: string;
  apiVersion: string;
  /** PEP 700 list of all versions, including ones without files; JSON only, else null. */
  versions: string[] | null;
  files: SimpleFile[];
  /** PEP 792 status; null when the index gave none (which means active). */
  projectStatus: { status: ProjectStatusName; reason: string | null } | null;
}

/** The root page (`/simple/`) listing every project. */
export interface ProjectList {
  apiVersion: string;
  projects: { name: string }[];
}

/** The API version paved speaks and writes in its pages. */
export const SIMPLE_API_VERSION = '1.4';

/** The highest major API version a parser accepts (PEP 629: a new major is incompatible). */
export const SUPPORTED_API_MAJOR = 1;

/** The three serializations a client can negotiate. */
export type SimpleFormat = 'json' | 'html' | 'legacy-html';

const CONTENT_TYPES: Record<SimpleFormat, string> = {
  json: 'application/vnd.pypi.simple.v1+json',
  html: 'application/vnd.pypi.simple.v1+html',
  'legacy-html': 'text/html',
};

/** The `Content-Type` to answer with for a format (without charset). */
export function contentTypeOf(format: SimpleFormat): string {
  return CONTENT_TYPES[format];
}

/**
 * Checks an api-version string from a page against what we can read, so every parser rejects a
 * future major the same way.
 */
export function checkApiVersion(apiVersion: string, where: string): void {
  const match = /^(\d{1,6})\.(\d{1,6})$/.exec(apiVersion);
  if (match === null) {
    throw new PavedError('PAVED_E_INVALID_SIMPLE_PAGE', `${where}: api-version '${apiVersion.slice(0, 40)}' is not a version like 1.1`, {
      hint: 'The index does not follow the simple repository API (PEP 629 versions are MAJOR.MINOR).',
      details: { apiVersion },
    });
  }
  if (Number(match[1]) > SUPPORTED_API_MAJOR) {
    throw new PavedError(
      'PAVED_E_INVALID_SIMPLE_PAGE',
      `${where}: the index speaks simple API ${apiVersion}, but paved only understands 1.x`,
      { hint: 'Upgrade paved, or point it at an index that still serves API version 1.', details: { apiVersion } },
    );
  }
}

// Negotiation. Each of our formats is reachable by a few media types; a media range in Accept
// matches one of them exactly, by `type/*`, or by `*/*`.
interface Offer {
  format: SimpleFormat;
  type: string;
  subtypes: readonly string[];
}

// Order is the server's preference when quality and specificity tie: plain text/html first so a
// bare `*/*` (curl, old clients) gets the page every client understands.
const OFFERS: readonly Offer[] = [
  { format: 'legacy-html', type: 'text', subtypes: ['html'] },
  { format: 'json', type: 'application', subtypes: ['vnd.pypi.simple.v1+json', 'vnd.pypi.simple.latest+json'] },
  { format: 'html', type: 'application', subtypes: ['vnd.pypi.simple.v1+html', 'vnd.pypi.simple.latest+html'] },
];

// Beyond this many media ranges a header is abuse, not a preference list; Node already caps the
// header size, this caps the work.
const MAX_MEDIA_RANGES = 64;

// Headers seen on nearly every request, answered without parsing (the results are what the
// general algorithm gives; the tests check both paths).
const COMMON_ACCEPT: ReadonlyMap<string, SimpleFormat> = new Map<string, SimpleFormat>([
  ['application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01', 'json'], // pip
  ['application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01', 'json'], // uv
  ['*/*', 'legacy-html'], // curl, requests
]);

interface Match {
  q: number;
  specificity: number;
  position: number;
}

// RFC 9110 qvalue: 0 to 1 with at most three decimals. Anything else makes the range unusable.
function parseQ(text: string): number | null {
  if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(text)) return null;
  return Number(text);
}

/**
 * Picks the serialization for an `Accept` header (PEP 691): q-values, `type/*` and `*\/*`
 * wildcards, and the `latest` aliases are honoured; `q=0` excludes. Ties go to the more specific
 * range, then to the range listed first, then to legacy HTML, JSON, HTML in that order. No header
 * (or an empty one) means `legacy-html`; nothing acceptable gives null, which the server answers
 * with 406. Malformed ranges are skipped, never fatal.
 */
export function negotiateSimpleFormat(accept: string | undefined): SimpleFormat | null {
  if (accept === undefined) return 'legacy-html';
  const known = COMMON_ACCEPT.get(accept);
  if (known !== undefined) return known;
  if (accept.trim() === '') return 'legacy-html';
  const best: (Match | null)[] = OFFERS.map(() => null);
  let start = 0;
  let position = 0;
  while (start <= accept.length && position < MAX_MEDIA_RANGES) {
    let end = accept.indexOf(',', start);
    if (end < 0) end = accept.length;
    const range = accept.slice(start, end);
    start = end + 1;
    const parsed = parseMediaRange(range);
    if (parsed === null) continue;
    position++;
    for (let i = 0; i < OFFERS.length; i++) {
      const offer = OFFERS[i] as Offer;
      let specificity: number;
      if (parsed.type === '*' && parsed.subtype === '*') specificity = 0;
      else if (parsed.type !== offer.type) continue;
      else if (parsed.subtype === '*') specificity = 1;
      else if (offer.subtypes.includes(parsed.subtype)) specificity = 2;
      else continue;
      const current = best[i] ?? null;
      // RFC 9110: the most specific matching range decides the quality, even when lower.
      if (current === null || specificity > current.specificity) {
        best[i] = { q: parsed.q, specificity, position };
      }
    }
  }
  let chosen = -1;
  for (let i = 0; i < OFFERS.length; i++) {
    const candidate = best[i] ?? null;
    if (candidate === null || candidate.q <= 0) continue;
    const incumbent = chosen < 0 ? null : (best[chosen] as Match);
    if (
      incumbent === null ||
      candidate.q > incumbent.q ||
      (candidate.q === incumbent.q &&
        (candidate.specificity > incumbent.specificity ||
          (candidate.specificity === incumbent.specificity && candidate.position < incumbent.position)))
    ) {
      chosen = i;
    }
  }
  return chosen < 0 ? null : (OFFERS[chosen] as Offer).format;
}

function parseMediaRange(range: string): { type: string; subtype: string; q: number } | null {
  const semicolon = range.indexOf(';');
  const mediaType = (semicolon < 0 ? range : range.slice(0, semicolon)).trim().toLowerCase();
  const slash = mediaType.indexOf('/');
  if (slash <= 0 || slash === mediaType.length - 1) return null;
  const type = mediaType.slice(0, slash);
  const subtype = mediaType.slice(slash + 1);
  if (type === '*' && subtype !== '*') return null;
  let q = 1;
  if (semicolon >= 0) {
    for (const parameter of range.slice(semicolon + 1).split(';')) {
      const eq = parameter.indexOf('=');
      if (eq < 0) continue;
      if (parameter.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const parsed = parseQ(parameter.slice(eq + 1).trim());
      if (parsed === null) return null;
      q = parsed;
    }
  }
  return { type, subtype, q };
}
