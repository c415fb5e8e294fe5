/**
 * The HTML serialization of the simple API (PEP 503, with PEP 592/629/658/714/792 attributes):
 * rendering our own pages, and a tolerant parser for pages from any index.
 *
 * The parser is a small hand-written tokenizer that follows the HTML tokenizer's rules for the
 * parts that matter (tags, quoted attributes, comments, raw-text elements, character
 * references) and ignores the rest. Every step consumes input, so any byte soup — unclosed tags,
 * stray quotes, megabytes of noise — finishes in linear time with whatever anchors it could read.
 */
import { PavedError } from '../errors.js';
import {
  checkApiVersion,
  PROJECT_STATUSES,
  SIMPLE_API_VERSION,
  type ProjectList,
  type ProjectPage,
  type ProjectStatusName,
  type SimpleFile,
} from './simpleApi.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values alike. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

// Which hash goes in the URL fragment (only one fits) and in metadata attributes: the spec
// recommends sha256; after that the stronger ones, then whatever the index has.
const HASH_PREFERENCE = ['sha256', 'sha384', 'sha512', 'sha3_256', 'blake2b', 'sha224', 'sha1', 'md5'];

function preferredHash(hashes: Record<string, string>): [string, string] | null {
  for (const name of HASH_PREFERENCE) {
    const value = hashes[name];
    if (value !== undefined) return [name, value];
  }
  for (const [name, value] of Object.entries(hashes)) return [name, value];
  return null;
}

function metadataAttribute(value: true | Record<string, string>): string {
  if (value === true) return 'true';
  const hash = preferredHash(value);
  return hash === null ? 'true' : `${hash[0]}=${hash[1]}`;
}

function fileAnchor(file: SimpleFile): string {
  const hash = preferredHash(file.hashes);
  const href = hash === null ? file.url : `${file.url}#${encodeURIComponent(hash[0])}=${encodeURIComponent(hash[1])}`;
  let attributes = `href="${escapeHtml(href)}"`;
  if (file.requiresPython !== null) attributes += ` data-requires-python="${escapeHtml(file.requiresPython)}"`;
  if (file.yanked !== false) attributes += ` data-yanked="${file.yanked === true ? '' : escapeHtml(file.yanked)}"`;
  if (file.coreMetadata !== false) {
    // PEP 714: the new spelling for current clients, the old one for pip < 23.2 and friends.
    const value = escapeHtml(metadataAttribute(file.coreMetadata));
    attributes += ` data-core-metadata="${value}" data-dist-info-metadata="${value}"`;
  }
  if (typeof file.gpgSig === 'boolean') attributes += ` data-gpg-sig="${file.gpgSig ? 'true' : 'false'}"`;
  return `<a ${attributes}>${escapeHtml(file.filename)}</a><br>`;
}

/**
 * Renders a project page as PEP 503 HTML5. Always declares `SIMPLE_API_VERSION`. The status
 * metas appear only when the page has a status. Every value is escaped, so hostile filenames,
 * reasons or URLs cannot inject markup (URLs are expected to be http(s) URLs chosen by the server).
 */
export function renderProjectPageHtml(page: ProjectPage): string {
  const name = escapeHtml(page.name);
  const head = [`<meta name="pypi:repository-version" content="${SIMPLE_API_VERSION}">`];
  if (page.projectStatus !== null) {
    head.push(`<meta name="pypi:project-status" content="${escapeHtml(page.projectStatus.status)}">`);
    if (page.projectStatus.reason !== null) {
      head.push(`<meta name="pypi:project-status-reason" content="${escapeHtml(page.projectStatus.reason)}">`);
    }
  }
  const parts = [
    '<!DOCTYPE html>\n<html>\n<head>\n',
    ...head.map((line) => `${line}\n`),
    `<title>Links for ${name}</title>\n</head>\n<body>\n<h1>Links for ${name}</h1>\n`,
  ];
  for (const file of page.files) parts.push(fileAnchor(file), '\n');
  parts.push('</body>\n</html>\n');
  return parts.join('');
}

/** Renders the root page listing projects; `hrefFor` gives each project's link (usually relative). */
export function renderProjectListHtml(list: ProjectList, hrefFor: (name: string) => string): string {
  const parts = [
    '<!DOCTYPE html>\n<html>\n<head>\n',
    `<meta name="pypi:repository-version" content="${SIMPLE_API_VERSION}">\n`,
    '<title>Simple index</title>\n</head>\n<body>\n',
  ];
  for (const project of list.projects) {
    parts.push(`<a href="${escapeHtml(hrefFor(project.name))}">${escapeHtml(project.name)}</a><br>\n`);
  }
  parts.push('</body>\n</html>\n');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------
// Parsing

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

const ENTITY = /&(?:#([0-9]{1,8});?|#[xX]([0-9a-fA-F]{1,7});?|([a-zA-Z][a-zA-Z0-9]{1,31});?)/g;

function codePoint(value: number): string {
  if (value === 0 || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(value);
}

/** Decodes character references: numeric ones and the few named ones simple pages use. */
export function decodeHtmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (whole, decimal: string | undefined, hex: string | undefined, named: string | undefined) => {
    if (decimal !== undefined) return codePoint(Number.parseInt(decimal, 10));
    if (hex !== undefined) return codePoint(Number.parseInt(hex, 16));
    const replacement = NAMED_ENTITIES[(named as string).toLowerCase()];
    if (replacement === undefined) return whole;
    // Named references need their semicolon, except the legacy four HTML still accepts bare.
    if (!whole.endsWith(';') && !['amp', 'lt', 'gt', 'quot'].includes((named as string).toLowerCase())) return whole;
    return replacement;
  });
}

interface RawAnchor {
  attributes: Map<string, string>;
  text: string;
}

interface ScannedPage {
  anchors: RawAnchor[];
  metas: Map<string, string>;
  baseHref: string | null;
}

const INTERESTING = new Set(['a', 'meta', 'base']);
// Elements whose content is text up to their end tag: an anchor inside them is not an anchor.
const RAW_TEXT = new Set(['script', 'style', 'title', 'textarea', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext']);

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function scanHtml(html: string): ScannedPage {
  const n = html.length;
  const anchors: RawAnchor[] = [];
  const metas = new Map<string, string>();
  let baseHref: string | null = null;
  let open: { attributes: Map<string, string>; text: string[] } | null = null;
  let pos = 0;

  const closeAnchor = (): void => {
    if (open !== null) anchors.push({ attributes: open.attributes, text: decodeHtmlEntities(open.text.join('')) });
    open = null;
  };

  while (pos < n) {
    const lt = html.indexOf('<', pos);
    if (lt < 0) {
      if (open !== null) open.text.push(html.slice(pos));
      break;
    }
    if (open !== null && lt > pos) open.text.push(html.slice(pos, lt));
    const next = html.charCodeAt(lt + 1);

    if (next === 0x21 /* ! */) {
      if (html.startsWith('<!--', lt)) {
        const end = html.indexOf('-->', lt + 4);
        pos = end < 0 ? n : end + 3;
      } else {
        const end = html.indexOf('>', lt + 2);
        pos = end < 0 ? n : end + 1;
      }
      continue;
    }
    if (next === 0x3f /* ? */) {
      const end = html.indexOf('>', lt + 2);
      pos = end < 0 ? n : end + 1;
      continue;
    }
    if (next === 0x2f /* / */) {
      let p = lt + 2;
      const nameStart = p;
      while (p < n && !isSpace(html.charCodeAt(p)) && html.charCodeAt(p) !== 0x3e && html.charCodeAt(p) !== 0x2f) p++;
      const end = html.indexOf('>', p);
      pos = end < 0 ? n : end + 1;
      if (p > nameStart && isAsciiLetter(html.charCodeAt(nameStart)) && html.slice(nameStart, p).toLowerCase() === 'a') closeAnchor();
      continue;
    }
    if (!isAsciiLetter(next)) {
      // A lone '<' is text.
      if (open !== null) open.text.push('<');
      pos = lt + 1;
      continue;
    }

    let p = lt + 1;
    const nameStart = p;
    while (p < n) {
      const c = html.charCodeAt(p);
      if (isSpace(c) || c === 0x3e || c === 0x2f) break;
      p++;
    }
    const tagName = html.slice(nameStart, p).toLowerCase();
    const keep = INTERESTING.has(tagName);
    const attributes = new Map<string, string>();
    let complete = false;
    while (p < n) {
      let c = html.charCodeAt(p);
      if (isSpace(c) || c === 0x2f) {
        p++;
        continue;
      }
      if (c === 0x3e) {
        p++;
        complete = true;
        break;
      }
      const attrStart = p;
      p++; // The first character is always part of the name, even '=' or a quote.
      while (p < n) {
        c = html.charCodeAt(p);
        if (isSpace(c) || c === 0x2f || c === 0x3e || c === 0x3d) break;
        p++;
      }
      const attrName = keep ? html.slice(attrStart, p).toLowerCase() : '';
      while (p < n && isSpace(html.charCodeAt(p))) p++;
      let value = '';
      if (p < n && html.charCodeAt(p) === 0x3d /* = */) {
        p++;
        while (p < n && isSpace(html.charCodeAt(p))) p++;
        const quote = html.charCodeAt(p);
        if (quote === 0x22 || quote === 0x27) {
          const close = html.indexOf(quote === 0x22 ? '"' : "'", p + 1);
          if (close < 0) {
            p = n; // An unclosed quote runs to the end; the tag is never emitted.
            break;
          }
          if (keep) value = html.slice(p + 1, close);
          p = close + 1;
        } else {
          const valueStart = p;
          while (p < n) {
            c = html.charCodeAt(p);
            if (isSpace(c) || c === 0x3e) break;
            p++;
          }
          if (keep) value = html.slice(valueStart, p);
        }
      }
      // HTML keeps the first of duplicated attributes.
      if (keep && !attributes.has(attrName)) attributes.set(attrName, decodeHtmlEntities(value));
    }
    pos = p;
    if (!complete) break;

    if (tagName === 'a') {
      closeAnchor(); // Anchors do not nest; a new one ends the previous.
      open = { attributes, text: [] };
    } else if (tagName === 'meta') {
      const name = attributes.get('name');
      const content = attributes.get('content');
      if (name !== undefined && content !== undefined && !metas.has(name.toLowerCase())) metas.set(name.toLowerCase(), content);
    } else if (tagName === 'base') {
      const href = attributes.get('href');
      if (baseHref === null && href !== undefined) baseHref = href;
    } else if (RAW_TEXT.has(tagName)) {
      const endTag = new RegExp(`</${tagName}[\\s/>]`, 'ig');
      endTag.lastIndex = pos;
      const found = endTag.exec(html);
      if (found === null) break;
      if (open !== null && tagName === 'title') open.text.push(html.slice(pos, found.index));
      pos = found.index;
    }
  }
  closeAnchor();
  return { anchors, metas, baseHref };
}

function resolveBase(pageUrl: string, baseHref: string | null): URL {
  let page: URL;
  try {
    page = new URL(pageUrl);
  } catch {
    throw new PavedError('PAVED_E_INVALID_SIMPLE_PAGE', `the page URL '${pageUrl.slice(0, 200)}' is not an absolute URL`);
  }
  if (baseHref === null) return page;
  try {
    return new URL(baseHref.trim(), page);
  } catch {
    return page;
  }
}

function apiVersionOf(metas: Map<string, string>): string {
  const declared = metas.get('pypi:repository-version')?.trim();
  // PEP 629: a page without the meta is version 1.0.
  if (declared === undefined || declared === '') return '1.0';
  checkApiVersion(declared, 'simple page');
  return declared;
}

const HASH_FRAGMENT = /^([A-Za-z0-9_]{1,32})=([0-9A-Fa-f]{1,256})$/;

function parseMetadataAttribute(value: string | undefined): false | true | Record<string, string> {
  if (value === undefined) return false;
  const trimmed = value.trim();
  if (trimmed.toLowerCase() === 'false') return false;
  const match = HASH_FRAGMENT.exec(trimmed);
  // Anything other than a hash still announces that the file exists (PEP 658's "true").
  if (match === null) return true;
  return { [(match[1] as string).toLowerCase()]: (match[2] as string).toLowerCase() };
}

function lastPathSegment(url: URL): string {
  const path = url.pathname;
  const segment = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

// A filename becomes a path in caches and venvs: refuse anything that could leave its directory.
function isSafeFilename(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\x00-\x1f]/.test(name);
}

function anchorToFile(anchor: RawAnchor, base: URL): SimpleFile | null {
  const href = anchor.attributes.get('href');
  if (href === undefined || href.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(href.trim(), base);
  } catch {
    return null;
  }
  const hashes: Record<string, string> = {};
  const fragment = HASH_FRAGMENT.exec(url.hash.slice(1));
  if (fragment !== null) hashes[(fragment[1] as string).toLowerCase()] = (fragment[2] as string).toLowerCase();
  url.hash = '';
  // pip takes the filename from the URL, not the text, so a page cannot show one file and serve another.
  let filename = lastPathSegment(url);
  if (filename === '') filename = anchor.text.trim();
  if (!isSafeFilename(filename)) return null;

  const requiresPython = anchor.attributes.get('data-requires-python')?.trim();
  const yanked = anchor.attributes.get('data-yanked');
  const gpgSig = anchor.attributes.get('data-gpg-sig')?.trim().toLowerCase();
  const coreMetadata = anchor.attributes.has('data-core-metadata')
    ? parseMetadataAttribute(anchor.attributes.get('data-core-metadata'))
    : parseMetadataAttribute(anchor.attributes.get('data-dist-info-metadata'));
  return {
    filename,
    url: url.href,
    hashes,
    requiresPython: requiresPython === undefined || requiresPython === '' ? null : requiresPython,
    yanked: yanked === undefined ? false : yanked === '' ? true : yanked,
    coreMetadata,
    size: null,
    uploadTime: null,
    gpgSig: gpgSig === 'true' ? true : gpgSig === 'false' ? false : null,
  };
}

/**
 * Reads a project page from any index. Tolerant: unknown markup is skipped, anchors without a
 * usable href or with an unsafe filename are dropped, relative hrefs resolve against `<base href>`
 * and then `pageUrl`. The filename comes from the URL's last path segment (the anchor text only
 * when the path ends in `/`). Throws PAVED_E_INVALID_SIMPLE_PAGE only for an unsupported
 * `pypi:repository-version` major or a `pageUrl` that is not absolute.
 */
export function parseProjectPageHtml(html: string, pageUrl: string, name: string): ProjectPage {
  const scanned = scanHtml(html);
  const apiVersion = apiVersionOf(scanned.metas);
  const base = resolveBase(pageUrl, scanned.baseHref);
  const files: SimpleFile[] = [];
  for (const anchor of scanned.anchors) {
    const file = anchorToFile(anchor, base);
    if (file !== null) files.push(file);
  }
  let projectStatus: ProjectPage['projectStatus'] = null;
  const status = scanned.metas.get('pypi:project-status')?.trim().toLowerCase();
  // An unknown status is ignored, like an unknown attribute: the page itself is still usable.
  if (status !== undefined && (PROJECT_STATUSES as readonly string[]).includes(status)) {
    const reason = scanned.metas.get('pypi:project-status-reason');
    projectStatus = { status: status as ProjectStatusName, reason: reason === undefined || reason === '' ? null : reason };
  }
  return { name, apiVersion, versions: null, files, projectStatus };
}

/**
 * Reads the root project list from any index: one project per anchor, named by the anchor text
 * (or, when that is empty, the last segment of the href).
 */
export function parseProjectListHtml(html: string, pageUrl: string): ProjectList {
  const scanned = scanHtml(html);
  const apiVersion = apiVersionOf(scanned.metas);
  const base = resolveBase(pageUrl, scanned.baseHref);
  const projects: { name: string }[] = [];
  for (const anchor of scanned.anchors) {
    let projectName = anchor.text.trim();
    if (projectName === '') {
      const href = anchor.attributes.get('href');
      if (href === undefined) continue;
      try {
        const segments = new URL(href.trim(), base).pathname.split('/').filter((s) => s !== '');
        projectName = decodeURIComponent(segments[segments.length - 1] ?? '');
      } catch {
        continue;
      }
    }
    if (projectName !== '') projects.push({ name: projectName });
  }
  return { apiVersion, projects };
}
