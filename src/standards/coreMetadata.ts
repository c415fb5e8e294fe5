/**
 * Core metadata (https://packaging.python.org/en/latest/specifications/core-metadata/): the
 * `METADATA` / `PKG-INFO` document inside every wheel and sdist, and the file served beside a
 * wheel under PEP 658. Versions 1.0, 1.1, 1.2, 2.1, 2.2, 2.3 and 2.4 are understood (plus the
 * unofficial 2.0 that old bdist_wheel wrote, and later 2.x minors read field by field).
 *
 * The document comes from outside (uploads, mirrored wheels, an upstream index), so parsing is
 * bounded: every field, the description, the field count and the whole text have limits, and
 * breaking one is a clear PAVED_E_INVALID_METADATA rather than a slow server.
 *
 * Parsing only checks what is needed to build the model (the three required fields and a
 * Metadata-Version we can read); whether the values are *valid* is a separate question answered
 * by `validateCoreMetadata`, because a mirror must still be able to read metadata that a strict
 * upload check would refuse.
 */
import { PavedError } from '../errors.js';
import { isValidName } from './names.js';
import { parseSpecifierSet } from './specifier.js';
import { tryParseVersion } from './version.js';

/** The parsed core metadata of one distribution. Multi-use fields keep their order. */
export interface CoreMetadata {
  metadataVersion: string;
  name: string;
  version: string;
  dynamic: string[];
  platforms: string[];
  supportedPlatforms: string[];
  summary: string | null;
  description: string | null;
  descriptionContentType: string | null;
  keywords: string | null;
  homePage: string | null;
  downloadUrl: string | null;
  author: string | null;
  authorEmail: string | null;
  maintainer: string | null;
  maintainerEmail: string | null;
  license: string | null;
  licenseExpression: string | null;
  licenseFiles: string[];
  classifiers: string[];
  requiresDist: string[];
  requiresPython: string | null;
  requiresExternal: string[];
  projectUrls: string[];
  providesExtra: string[];
  providesDist: string[];
  obsoletesDist: string[];
  /**
   * Headers not in the spec (e.g. the 1.1 `Requires`/`Provides`/`Obsoletes`, `Import-Name`), in
   * order, with the name as written. A repeated single-use field also lands here (the first
   * occurrence wins), and so does a body description when a `Description` header already gave one.
   */
  otherFields: [string, string][];
}

/** Bounds applied while parsing; all sizes are UTF-8 bytes. */
export interface CoreMetadataLimits {
  /** Largest value of any one field other than the description. Default 64 KiB. */
  maxFieldBytes?: number;
  /** Largest description (header or body). Default 4 MiB. */
  maxDescriptionBytes?: number;
  /** Most header fields. Default 2000. */
  maxFields?: number;
  /** Largest whole document. Default 8 MiB. */
  maxTotalBytes?: number;
}

const DEFAULT_LIMITS: Required<CoreMetadataLimits> = {
  maxFieldBytes: 64 * 1024,
  maxDescriptionBytes: 4 * 1024 * 1024,
  maxFields: 2000,
  maxTotalBytes: 8 * 1024 * 1024,
};

type StringKey = {
  [K in keyof CoreMetadata]: CoreMetadata[K] extends string | null ? K : never;
}[keyof CoreMetadata];
type ListKey = {
  [K in keyof CoreMetadata]: CoreMetadata[K] extends string[] ? K : never;
}[keyof CoreMetadata];

interface FieldSpec {
  /** Spelling used when rendering and in messages. */
  header: string;
  /** Metadata-Version that introduced the field, as [major, minor]. */
  since: [number, number];
  target: { kind: 'single'; key: StringKey } | { kind: 'multi'; key: ListKey };
}

// Order here is the order renderCoreMetadata writes, which follows the spec's own listing.
const FIELDS: FieldSpec[] = [
  { header: 'Metadata-Version', since: [1, 0], target: { kind: 'single', key: 'metadataVersion' } },
  { header: 'Name', since: [1, 0], target: { kind: 'single', key: 'name' } },
  { header: 'Version', since: [1, 0], target: { kind: 'single', key: 'version' } },
  { header: 'Dynamic', since: [2, 2], target: { kind: 'multi', key: 'dynamic' } },
  { header: 'Platform', since: [1, 0], target: { kind: 'multi', key: 'platforms' } },
  { header: 'Supported-Platform', since: [1, 1], target: { kind: 'multi', key: 'supportedPlatforms' } },
  { header: 'Summary', since: [1, 0], target: { kind: 'single', key: 'summary' } },
  { header: 'Description', since: [1, 0], target: { kind: 'single', key: 'description' } },
  { header: 'Description-Content-Type', since: [2, 1], target: { kind: 'single', key: 'descriptionContentType' } },
  { header: 'Keywords', since: [1, 0], target: { kind: 'single', key: 'keywords' } },
  { header: 'Home-page', since: [1, 0], target: { kind: 'single', key: 'homePage' } },
  { header: 'Download-URL', since: [1, 1], target: { kind: 'single', key: 'downloadUrl' } },
  { header: 'Author', since: [1, 0], target: { kind: 'single', key: 'author' } },
  { header: 'Author-email', since: [1, 0], target: { kind: 'single', key: 'authorEmail' } },
  { header: 'Maintainer', since: [1, 2], target: { kind: 'single', key: 'maintainer' } },
  { header: 'Maintainer-email', since: [1, 2], target: { kind: 'single', key: 'maintainerEmail' } },
  { header: 'License', since: [1, 0], target: { kind: 'single', key: 'license' } },
  { header: 'License-Expression', since: [2, 4], target: { kind: 'single', key: 'licenseExpression' } },
  { header: 'License-File', since: [2, 4], target: { kind: 'multi', key: 'licenseFiles' } },
  { header: 'Classifier', since: [1, 1], target: { kind: 'multi', key: 'classifiers' } },
  { header: 'Requires-Dist', since: [1, 2], target: { kind: 'multi', key: 'requiresDist' } },
  { header: 'Requires-Python', since: [1, 2], target: { kind: 'single', key: 'requiresPython' } },
  { header: 'Requires-External', since: [1, 2], target: { kind: 'multi', key: 'requiresExternal' } },
  { header: 'Project-URL', since: [1, 2], target: { kind: 'multi', key: 'projectUrls' } },
  { header: 'Provides-Extra', since: [2, 1], target: { kind: 'multi', key: 'providesExtra' } },
  { header: 'Provides-Dist', since: [1, 2], target: { kind: 'multi', key: 'providesDist' } },
  { header: 'Obsoletes-Dist', since: [1, 2], target: { kind: 'multi', key: 'obsoletesDist' } },
];

const FIELD_BY_LOWER = new Map(FIELDS.map((f) => [f.header.toLowerCase(), f]));

/**
 * The metadata as JSON, the way PEP 566 (and pip's installation report) writes it: each field's
 * name lower-cased with `_` for `-`, multiple-use fields as lists, `keywords` as a list split on
 * commas; fields that are absent are left out.
 */
export function coreMetadataJson(m: CoreMetadata): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const field of FIELDS) {
    const key = field.header.toLowerCase().replace(/-/g, '_');
    if (field.target.kind === 'multi') {
      const values = m[field.target.key];
      if (values.length > 0) out[key] = [...values];
      continue;
    }
    const value = m[field.target.key];
    if (value === null) continue;
    out[key] = key === 'keywords' ? value.split(',').map((k) => k.trim()).filter((k) => k !== '') : value;
  }
  return out;
}

/** Metadata-Version values published as standards (2.0 was never one, but was widely written). */
export const KNOWN_METADATA_VERSIONS = ['1.0', '1.1', '1.2', '2.0', '2.1', '2.2', '2.3', '2.4', '2.5'] as const;

// A header name is printable ASCII without the colon, like RFC 822 (and Python's email parser).
const HEADER_LINE = /^([\x21-\x39\x3b-\x7e]+):/;
// The spec's "7 spaces and a pipe" continuation for multi-line 1.x values, or setuptools' 8 spaces.
const PIPE_INDENT = '       |';
const SPACE_INDENT = '        ';

function invalid(message: string, hint?: string): PavedError {
  return new PavedError('PAVED_E_INVALID_METADATA', message, {
    hint: hint ?? 'Rebuild the distribution with a current build back-end (setuptools, hatchling, flit, poetry-core…).',
  });
}

// UTF-8 length without encoding when the UTF-16 length already decides (bytes are between
// 1× and 3× the code units).
function exceeds(value: string, limit: number): number | null {
  if (value.length * 3 <= limit) return null;
  if (value.length > limit) return Buffer.byteLength(value, 'utf8');
  const bytes = Buffer.byteLength(value, 'utf8');
  return bytes > limit ? bytes : null;
}

function dedentContinuation(line: string): string {
  if (line.startsWith(PIPE_INDENT) || line.startsWith(SPACE_INDENT)) return line.slice(8);
  if (line.startsWith('\t')) return line.slice(1);
  return line.replace(/^[ \t]+/, '');
}

function parseMetadataVersion(raw: string): [number, number] | null {
  const match = /^(\d{1,4})\.(\d{1,4})$/.exec(raw);
  if (match === null) return null;
  return [Number(match[1]), Number(match[2])];
}

/** A metadata document with every field empty (name, version and Metadata-Version blank): a base to build on. */
export function emptyCoreMetadata(): CoreMetadata {
  return {
    metadataVersion: '',
    name: '',
    version: '',
    dynamic: [],
    platforms: [],
    supportedPlatforms: [],
    summary: null,
    description: null,
    descriptionContentType: null,
    keywords: null,
    homePage: null,
    downloadUrl: null,
    author: null,
    authorEmail: null,
    maintainer: null,
    maintainerEmail: null,
    license: null,
    licenseExpression: null,
    licenseFiles: [],
    classifiers: [],
    requiresDist: [],
    requiresPython: null,
    requiresExternal: [],
    projectUrls: [],
    providesExtra: [],
    providesDist: [],
    obsoletesDist: [],
    otherFields: [],
  };
}

/**
 * Parses a core metadata document (RFC 822-style headers, then an optional body).
 *
 * - Header names are case-insensitive; continuation lines (leading space or tab) are joined with
 *   newlines after removing the `       |` (spec) or 8-space (setuptools) indentation.
 * - The body after the first blank line is the description (the 2.1+ way). When a `Description`
 *   header is also present the header wins and the body is kept in `otherFields` as
 *   `Description`: the reference implementation (packaging) refuses to pick one, and
 *   `validateCoreMetadata` reports the conflict.
 * - CRLF and lone CR become LF everywhere, a leading BOM is dropped.
 *
 * Throws PAVED_E_INVALID_METADATA for a missing Metadata-Version/Name/Version, a
 * Metadata-Version that is not 1.x or 2.x, NUL bytes, or a broken limit.
 */
export function parseCoreMetadata(text: string, limits: CoreMetadataLimits = {}): CoreMetadata {
  const max = { ...DEFAULT_LIMITS, ...limits };
  const total = exceeds(text, max.maxTotalBytes);
  if (total !== null) {
    throw invalid(`the metadata is ${total} bytes; the limit is ${max.maxTotalBytes}`);
  }
  if (text.includes('\0')) throw invalid('the metadata contains a NUL byte');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');

  // Lines are taken one at a time up to the end of the headers: the body (often most of the
  // text) is cut off in one piece rather than split into lines and joined again.
  const headers: [string, string[]][] = [];
  let bodyStart = -1;
  for (let at = 0; at < text.length; ) {
    const newline = text.indexOf('\n', at);
    const end = newline === -1 ? text.length : newline;
    const line = text.slice(at, end);
    const next = newline === -1 ? text.length : newline + 1;
    if (line === '') {
      bodyStart = next;
      break;
    }
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      // A continuation before any header has nothing to continue; the email parser drops it too.
      const last = headers[headers.length - 1];
      if (last !== undefined) last[1].push(dedentContinuation(line));
      at = next;
      continue;
    }
    const match = HEADER_LINE.exec(line);
    if (match === null) {
      // Like the email parser: a line that is not a header starts the body.
      bodyStart = at;
      break;
    }
    if (headers.length >= max.maxFields) {
      throw invalid(`the metadata has more than ${max.maxFields} fields`);
    }
    const name = match[1] as string;
    headers.push([name, [line.slice(name.length + 1).replace(/^[ \t]+/, '')]]);
    at = next;
  }

  const m = emptyCoreMetadata();
  const seen = new Set<string>();
  for (const [name, parts] of headers) {
    const value = parts.join('\n').replace(/[ \t]+$/, '');
    const spec = FIELD_BY_LOWER.get(name.toLowerCase());
    const label = spec?.header ?? name;
    const limit = spec?.target.key === 'description' ? max.maxDescriptionBytes : max.maxFieldBytes;
    const size = exceeds(value, limit);
    if (size !== null) throw invalid(`field '${label}' is ${size} bytes; the limit is ${limit}`);
    if (spec === undefined) {
      m.otherFields.push([name, value]);
    } else if (spec.target.kind === 'multi') {
      m[spec.target.key].push(value);
    } else if (seen.has(spec.target.key)) {
      m.otherFields.push([name, value]);
    } else {
      seen.add(spec.target.key);
      m[spec.target.key] = value;
    }
  }

  if (bodyStart >= 0 && bodyStart < text.length) {
    const body = text.slice(bodyStart);
    if (body !== '') {
      const size = exceeds(body, max.maxDescriptionBytes);
      if (size !== null) {
        throw invalid(`the description is ${size} bytes; the limit is ${max.maxDescriptionBytes}`);
      }
      if (seen.has('description')) m.otherFields.push(['Description', body]);
      else m.description = body;
    }
  }

  for (const [key, header] of [
    ['metadataVersion', 'Metadata-Version'],
    ['name', 'Name'],
    ['version', 'Version'],
  ] as const) {
    if (!seen.has(key) || m[key].trim() === '') {
      throw invalid(`the metadata has no ${header} field`, `Every core metadata document needs Metadata-Version, Name and Version.`);
    }
  }
  m.metadataVersion = m.metadataVersion.trim();
  const mv = parseMetadataVersion(m.metadataVersion);
  if (mv === null) throw invalid(`Metadata-Version '${clip(m.metadataVersion)}' is not a version like 2.1`);
  if (mv[0] !== 1 && mv[0] !== 2) {
    throw invalid(
      `Metadata-Version ${m.metadataVersion} is not supported (paved reads 1.x and 2.x)`,
      'A new major metadata version is not backwards compatible; upgrade paved or build with an older back-end.',
    );
  }
  return m;
}

/**
 * Like `parseCoreMetadata`, for the raw bytes of a METADATA/PKG-INFO file: checks the total size
 * before decoding and refuses bytes that are not UTF-8 (the spec's only encoding) instead of
 * silently replacing them.
 */
export function parseCoreMetadataBytes(bytes: Uint8Array, limits: CoreMetadataLimits = {}): CoreMetadata {
  const maxTotal = limits.maxTotalBytes ?? DEFAULT_LIMITS.maxTotalBytes;
  if (bytes.byteLength > maxTotal) throw invalid(`the metadata is ${bytes.byteLength} bytes; the limit is ${maxTotal}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid('the metadata is not valid UTF-8', 'Core metadata must be UTF-8; rebuild the distribution with a current build back-end.');
  }
  return parseCoreMetadata(text, limits);
}

function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

function compareVersionPair(a: [number, number], b: [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

const DESCRIPTION_TYPES = new Set(['text/plain', 'text/x-rst', 'text/markdown']);
const FORBIDDEN_DYNAMIC = new Set(['name', 'version', 'metadata-version']);

/**
 * Problems a strict reader (an upload check, `paved publish`) would refuse, one sentence each;
 * empty when the metadata is valid. Never throws.
 */
export function validateCoreMetadata(m: CoreMetadata): string[] {
  const problems: string[] = [];
  const mv = parseMetadataVersion(m.metadataVersion);
  if (mv === null) {
    problems.push(`Metadata-Version '${clip(m.metadataVersion)}' is not a version like 2.1`);
  } else if (!(KNOWN_METADATA_VERSIONS as readonly string[]).includes(m.metadataVersion)) {
    problems.push(`Metadata-Version ${m.metadataVersion} is not a known version (${KNOWN_METADATA_VERSIONS.join(', ')})`);
  }
  if (!isValidName(m.name)) problems.push(`Name '${clip(m.name)}' is not a valid project name`);
  if (tryParseVersion(m.version) === null) problems.push(`Version '${clip(m.version)}' is not a valid PEP 440 version`);
  if (m.requiresPython !== null) {
    try {
      parseSpecifierSet(m.requiresPython);
    } catch (error) {
      problems.push(`Requires-Python is invalid: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (m.summary !== null && m.summary.includes('\n')) problems.push('Summary spans several lines; it must be one line');
  if (m.descriptionContentType !== null) {
    const type = (m.descriptionContentType.split(';')[0] as string).trim().toLowerCase();
    if (!DESCRIPTION_TYPES.has(type)) {
      problems.push(`Description-Content-Type '${clip(m.descriptionContentType)}' is not text/plain, text/x-rst or text/markdown`);
    }
  }
  for (const field of m.dynamic) {
    const lower = field.trim().toLowerCase();
    if (FORBIDDEN_DYNAMIC.has(lower)) problems.push(`Dynamic names '${field}', which can never be dynamic`);
    else if (!FIELD_BY_LOWER.has(lower)) problems.push(`Dynamic names '${clip(field)}', which is not a core metadata field`);
  }
  for (const [name] of m.otherFields) {
    const spec = FIELD_BY_LOWER.get(name.toLowerCase());
    if (spec !== undefined) {
      problems.push(
        spec.target.key === 'description'
          ? `Description is given more than once (a header and the body, or repeated headers)`
          : `field '${spec.header}' appears more than once`,
      );
    }
  }

  if (mv !== null) {
    // bdist_wheel wrote 2.0 together with 2.1's fields long before 2.1 existed; accept that.
    const effective: [number, number] = mv[0] === 2 && mv[1] === 0 ? [2, 1] : mv;
    for (const spec of FIELDS) {
      if (compareVersionPair(spec.since, effective) <= 0) continue;
      // setuptools wrote License-File into 2.1 documents for years before 2.4 standardized it.
      if (spec.target.key === 'licenseFiles' && compareVersionPair(effective, [2, 1]) >= 0) continue;
      const value = m[spec.target.key];
      const present = Array.isArray(value) ? value.length > 0 : value !== null;
      if (present) {
        problems.push(`field '${spec.header}' needs Metadata-Version ${spec.since.join('.')} or later, but the document declares ${m.metadataVersion}`);
      }
    }
    // The spec asks 2.3+ extras to be normalized already; the reference implementation (and PyPI)
    // only insists they are valid names, and real wheels (Twisted's `all_non_platform`) rely on it.
    for (const extra of m.providesExtra) {
      if (!isValidName(extra)) problems.push(`Provides-Extra '${clip(extra)}' is not a valid extra name`);
    }
  }
  return problems;
}

function renderHeader(out: string[], header: string, value: string): void {
  out.push(`${header}: ${value.split('\n').join(`\n${SPACE_INDENT}`)}\n`);
}

/**
 * Writes `m` as a document for its own Metadata-Version: for 2.1 and later the description is the
 * body, for older versions it is an indented `Description` header. Fields are written in the spec's
 * order, then `otherFields` in theirs. `parseCoreMetadata(renderCoreMetadata(m))` gives back `m`
 * (values with trailing whitespace or an empty description excepted).
 */
export function renderCoreMetadata(m: CoreMetadata): string {
  const out: string[] = [];
  const mv = parseMetadataVersion(m.metadataVersion);
  // A second description kept in otherFields (see parseCoreMetadata) is written as a header, so the
  // main one must be a header too and come first, or the next parse would swap them.
  const hasSecondDescription = m.otherFields.some(([name]) => name.toLowerCase() === 'description');
  const descriptionAsBody = mv !== null && compareVersionPair(mv, [2, 1]) >= 0 && !hasSecondDescription;
  for (const spec of FIELDS) {
    if (spec.target.kind === 'multi') {
      for (const value of m[spec.target.key]) renderHeader(out, spec.header, value);
      continue;
    }
    const value = m[spec.target.key];
    if (value === null) continue;
    if (spec.target.key === 'description' && descriptionAsBody) continue;
    renderHeader(out, spec.header, value);
  }
  for (const [name, value] of m.otherFields) renderHeader(out, name, value);
  if (descriptionAsBody && m.description !== null && m.description !== '') {
    out.push('\n', m.description);
  }
  return out.join('');
}
