/**
 * OSV advisories (https://ossf.github.io/osv-schema/) for the PyPI ecosystem: parse one
 * advisory document, decide whether it affects a project version, say which versions fix it.
 *
 * Advisory data comes from outside (a zip, a directory, a URL), so parsing checks the type of
 * every field it reads and names the field when one is wrong; fields it does not read are
 * ignored, as the schema asks of consumers.
 */
import { PavedError } from '../errors.js';
import { normalizeName } from './names.js';
import { tryParseVersion, type Version } from './version.js';

/** How bad an advisory is, on the GHSA / CVSS qualitative scale. */
export type AdvisorySeverity = 'critical' | 'high' | 'medium' | 'low' | 'unknown';

/** Worst first; for sorting and thresholds. */
export const SEVERITY_ORDER: readonly AdvisorySeverity[] = ['critical', 'high', 'medium', 'low', 'unknown'];

/** One event of a range, in the order the advisory wrote it. */
export interface RangeEvent {
  kind: 'introduced' | 'fixed' | 'last_affected' | 'limit';
  version: string;
}

/** A range of affected versions; only `ECOSYSTEM` ranges are meaningful for PyPI. */
export interface AffectedRange {
  type: string;
  events: RangeEvent[];
}

/** What an advisory says about one PyPI project. */
export interface AffectedPackage {
  /** PEP 503 normalised project name. */
  name: string;
  purl: string | null;
  ranges: AffectedRange[];
  /** Versions the advisory lists explicitly, as written. */
  versions: string[];
}

/** One parsed OSV advisory, reduced to what paved uses. */
export interface Advisory {
  id: string;
  aliases: string[];
  summary: string;
  details: string;
  modified: string;
  published: string | null;
  /** When set, the advisory was retracted and affects nothing. */
  withdrawn: string | null;
  severity: AdvisorySeverity;
  /** CVSS base score when a CVSS v3 vector gave it, else null. */
  cvssScore: number | null;
  /** PyPI entries only; other ecosystems are dropped. */
  affected: AffectedPackage[];
  references: string[];
}

const CODE = 'PAVED_E_INVALID_ADVISORY';
const MAX_TEXT = 1024 * 1024;
const MAX_ITEMS = 100_000;

type Json = Record<string, unknown>;

class Reader {
  constructor(private readonly id: string) {}

  fail(field: string, problem: string): PavedError {
    return new PavedError(CODE, `advisory ${this.id}: ${field} ${problem}`, {
      hint: 'The advisory does not follow the OSV schema (https://ossf.github.io/osv-schema/); fix or drop it from the advisory data.',
    });
  }

  object(value: unknown, field: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.fail(field, `must be an object, not ${describe(value)}`);
    return value as Json;
  }

  optionalObject(value: unknown, field: string): Json | null {
    return value === undefined || value === null ? null : this.object(value, field);
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') throw this.fail(field, `must be a string, not ${describe(value)}`);
    if (value.length > MAX_TEXT) throw this.fail(field, `is ${value.length} characters long, more than ${MAX_TEXT}`);
    return value;
  }

  optionalString(value: unknown, field: string): string | null {
    return value === undefined || value === null ? null : this.string(value, field);
  }

  array(value: unknown, field: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw this.fail(field, `must be an array, not ${describe(value)}`);
    if (value.length > MAX_ITEMS) throw this.fail(field, `has ${value.length} items, more than ${MAX_ITEMS}`);
    return value;
  }

  strings(value: unknown, field: string): string[] {
    return this.array(value, field).map((item, i) => this.string(item, `${field}[${i}]`));
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40) ?? ''}`.trim();
}

const EVENT_KINDS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;

/** True for `PyPI` (and a `PyPI:…` variant, the schema's ecosystem:suffix form). */
function isPypi(ecosystem: string): boolean {
  return ecosystem === 'PyPI' || ecosystem.startsWith('PyPI:');
}

/**
 * Parses one OSV advisory document (already JSON-decoded). Types are checked strictly and a
 * wrong one throws `PAVED_E_INVALID_ADVISORY` naming the field (`affected[0].ranges[1].events`);
 * unknown fields are ignored. Only PyPI entries of `affected` are kept, with normalised names.
 */
export function parseOsvAdvisory(json: unknown): Advisory {
  const top = new Reader('(no id)').object(json, 'the document');
  const idValue = top['id'];
  if (typeof idValue !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(idValue)) {
    throw new Reader('(no id)').fail('id', `must be a short identifier such as "PYSEC-2023-74", not ${describe(idValue)}`);
  }
  const r = new Reader(idValue);
  const modified = r.string(top['modified'], 'modified');
  if (Number.isNaN(Date.parse(modified))) throw r.fail('modified', `must be an RFC 3339 time, not ${JSON.stringify(modified.slice(0, 40))}`);
  const published = r.optionalString(top['published'], 'published');
  const withdrawn = r.optionalString(top['withdrawn'], 'withdrawn');

  const affected: AffectedPackage[] = [];
  r.array(top['affected'], 'affected').forEach((item, i) => {
    const field = `affected[${i}]`;
    const entry = r.object(item, field);
    const pkg = r.optionalObject(entry['package'], `${field}.package`);
    const ranges = r.array(entry['ranges'], `${field}.ranges`).map((rangeItem, j): AffectedRange => {
      const rf = `${field}.ranges[${j}]`;
      const range = r.object(rangeItem, rf);
      const type = r.string(range['type'], `${rf}.type`);
      const events = r.array(range['events'], `${rf}.events`).map((eventItem, k): RangeEvent => {
        const ef = `${rf}.events[${k}]`;
        const event = r.object(eventItem, ef);
        const kinds = EVENT_KINDS.filter((kind) => event[kind] !== undefined);
        const kind = kinds[0];
        if (kind === undefined || kinds.length > 1) throw r.fail(ef, 'must have exactly one of introduced, fixed, last_affected or limit');
        return { kind, version: r.string(event[kind], `${ef}.${kind}`) };
      });
      return { type, events };
    });
    const versions = r.strings(entry['versions'], `${field}.versions`);
    if (pkg === null) return; // entries without a package name a commit range only; nothing to match by name
    const ecosystem = r.string(pkg['ecosystem'], `${field}.package.ecosystem`);
    const name = r.string(pkg['name'], `${field}.package.name`);
    const purl = r.optionalString(pkg['purl'], `${field}.package.purl`);
    if (!isPypi(ecosystem)) return;
    if (name.trim() === '' || name.length > 200) throw r.fail(`${field}.package.name`, 'must be a project name');
    affected.push({ name: normalizeName(name.trim()), purl, ranges, versions });
  });

  const references: string[] = [];
  r.array(top['references'], 'references').forEach((item, i) => {
    const ref = r.object(item, `references[${i}]`);
    references.push(r.string(ref['url'], `references[${i}].url`));
  });

  const { severity, cvssScore } = readSeverity(r, top);
  return {
    id: idValue,
    aliases: r.strings(top['aliases'], 'aliases'),
    summary: r.optionalString(top['summary'], 'summary') ?? '',
    details: r.optionalString(top['details'], 'details') ?? '',
    modified,
    published,
    withdrawn,
    severity,
    cvssScore,
    affected,
    references,
  };
}

const GHSA_SEVERITY: Readonly<Record<string, AdvisorySeverity>> = {
  CRITICAL: 'critical',
  HIGH: 'high',
  MODERATE: 'medium',
  MEDIUM: 'medium',
  LOW: 'low',
};

function readSeverity(r: Reader, top: Json): { severity: AdvisorySeverity; cvssScore: number | null } {
  let cvssScore: number | null = null;
  r.array(top['severity'], 'severity').forEach((item, i) => {
    const entry = r.object(item, `severity[${i}]`);
    const type = r.string(entry['type'], `severity[${i}].type`);
    const score = r.string(entry['score'], `severity[${i}].score`);
    if ((type === 'CVSS_V3' || type === 'CVSS_V31' || type === 'CVSS_V30') && cvssScore === null) cvssScore = cvss3BaseScore(score);
  });
  const named = severityWord(top['database_specific']) ?? affectedSeverityWord(top['affected']);
  if (named !== null) return { severity: named, cvssScore };
  return { severity: cvssScore === null ? 'unknown' : severityOfScore(cvssScore), cvssScore };
}

/** `database_specific.severity` / `ecosystem_specific.severity` spelled the GHSA way; anything else is ignored. */
function severityWord(holder: unknown): AdvisorySeverity | null {
  if (typeof holder !== 'object' || holder === null || Array.isArray(holder)) return null;
  const word = (holder as Json)['severity'];
  return typeof word === 'string' ? (GHSA_SEVERITY[word.toUpperCase()] ?? null) : null;
}

function affectedSeverityWord(affected: unknown): AdvisorySeverity | null {
  if (!Array.isArray(affected)) return null;
  for (const entry of affected) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Json;
    const found = severityWord(e['database_specific']) ?? severityWord(e['ecosystem_specific']);
    if (found !== null) return found;
  }
  return null;
}

/** The CVSS qualitative rating of a base score (a 0.0 "none" counts as low: it was still reported). */
export function severityOfScore(score: number): AdvisorySeverity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}

const CVSS3_WEIGHTS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
};

/** CVSS v3.1 "Roundup": the smallest one-decimal number >= x, computed on integers so 4.000000001 stays 4.0. */
function roundUp(x: number): number {
  const scaled = Math.round(x * 100_000);
  return scaled % 10_000 === 0 ? scaled / 100_000 : (Math.floor(scaled / 10_000) + 1) / 10;
}

/**
 * The CVSS v3.0/v3.1 base score of a vector such as `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`
 * (the v3.1 formula; v3.0 differs only in rare rounding). Null for anything else, including
 * v4 vectors and vectors missing a base metric.
 */
export function cvss3BaseScore(vector: string): number | null {
  const parts = vector.trim().split('/');
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? '')) return null;
  const metrics = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const [key, value, extra] = part.split(':');
    if (key === undefined || value === undefined || extra !== undefined || metrics.has(key)) return null;
    metrics.set(key, value);
  }
  const scope = metrics.get('S');
  if (scope !== 'U' && scope !== 'C') return null;
  const weight = (key: string): number | null => CVSS3_WEIGHTS[key]?.[metrics.get(key) ?? ''] ?? null;
  const privileges = ({ N: 0.85, L: scope === 'C' ? 0.68 : 0.62, H: scope === 'C' ? 0.5 : 0.27 } as Record<string, number>)[metrics.get('PR') ?? ''];
  const [av, ac, ui, c, i, a] = ['AV', 'AC', 'UI', 'C', 'I', 'A'].map(weight);
  if (av == null || ac == null || ui == null || c == null || i == null || a == null || privileges === undefined) return null;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability = 8.22 * av * ac * privileges * ui;
  if (impact <= 0) return 0;
  return scope === 'U' ? roundUp(Math.min(impact + exploitability, 10)) : roundUp(Math.min(1.08 * (impact + exploitability), 10));
}

function entriesFor(advisory: Advisory, project: string): AffectedPackage[] {
  const name = normalizeName(project);
  return advisory.affected.filter((entry) => entry.name === name);
}

interface ParsedEvent {
  kind: RangeEvent['kind'];
  /** Null for `introduced: "0"`, which sorts before every version. */
  version: Version | null;
}

/** A range with its events parsed and sorted once, so matching is comparisons only. */
interface CompiledRange {
  events: ParsedEvent[];
  limits: Version[];
}

interface CompiledEntry {
  name: string;
  /**
   * Listed versions by {@link equalityKey}: PEP 440 `==`, where a listed version without a
   * local label matches any local build of it (so it is keyed without one).
   */
  listed: Set<string>;
  /** Listed versions that are not PEP 440, lower-cased; matched by text. */
  listedText: Set<string>;
  ranges: CompiledRange[];
}

/**
 * OSV's range evaluation needs the events sorted by version (introduced "0" first). Events
 * whose version is not PEP 440 are dropped: we cannot place them, and guessing would invent
 * matches.
 */
function compileRange(range: AffectedRange): CompiledRange {
  const events: ParsedEvent[] = [];
  for (const event of range.events) {
    if (event.kind === 'introduced' && event.version.trim() === '0') {
      events.push({ kind: 'introduced', version: null });
      continue;
    }
    const parsed = tryParseVersion(event.version);
    if (parsed !== null) events.push({ kind: event.kind, version: parsed });
  }
  events.sort((x, y) => (x.version === null ? (y.version === null ? 0 : -1) : y.version === null ? 1 : x.version.compare(y.version)));
  const limits = events.flatMap((e) => (e.kind === 'limit' && e.version !== null ? [e.version] : []));
  return { events: events.filter((e) => e.kind !== 'limit'), limits };
}

/** Walks the sorted events: an introduced at or below the version opens the range, a fixed at or below (last_affected below) closes it. */
function inRange(range: CompiledRange, version: Version): boolean {
  if (range.limits.length > 0 && !range.limits.some((limit) => version.compare(limit) < 0)) return false;
  let affected = false;
  for (const event of range.events) {
    if (event.kind === 'introduced') {
      if (event.version === null || event.version.compare(version) <= 0) affected = true;
    } else if (event.version !== null) {
      const c = event.version.compare(version);
      if (event.kind === 'fixed' ? c <= 0 : c < 0) affected = false;
    }
  }
  return affected;
}

/** A text equal for PEP 440-equal versions (1.0 and 1.0.0 both give `1`): for set lookups. */
function equalityKey(version: Version, withLocal: boolean): string {
  let end = version.release.length;
  while (end > 1 && version.release[end - 1] === 0) end--;
  return version.with({ release: version.release.slice(0, end), local: withLocal ? version.local : null }).toString();
}

/** Decides, for one advisory, whether a project version is affected. */
export type AdvisoryMatcher = (project: string, version: Version | string) => boolean;

/**
 * Prepares an advisory for many {@link advisoryAffects} questions (the index server asks one
 * per file it vets): versions and ranges are parsed and sorted once.
 */
export function compileAdvisoryMatcher(advisory: Advisory): AdvisoryMatcher {
  if (advisory.withdrawn !== null) return () => false;
  const entries: CompiledEntry[] = advisory.affected.map((entry) => {
    const listed = new Set<string>();
    const listedText = new Set<string>();
    for (const text of entry.versions) {
      const parsed = tryParseVersion(text);
      if (parsed === null) listedText.add(text.trim().toLowerCase());
      else listed.add(equalityKey(parsed, true));
    }
    return { name: entry.name, listed, listedText, ranges: entry.ranges.filter((r) => r.type === 'ECOSYSTEM').map(compileRange) };
  });
  return (project, version) => {
    const name = normalizeName(project);
    const parsed = typeof version === 'string' ? tryParseVersion(version) : version;
    let keys: string[] | null = null;
    for (const entry of entries) {
      if (entry.name !== name) continue;
      if (parsed === null) {
        if (typeof version === 'string' && entry.listedText.has(version.trim().toLowerCase())) return true;
        continue;
      }
      keys ??= parsed.local === null ? [equalityKey(parsed, false)] : [equalityKey(parsed, false), equalityKey(parsed, true)];
      if (keys.some((key) => entry.listed.has(key))) return true;
      if (entry.ranges.some((range) => inRange(range, parsed))) return true;
    }
    return false;
  };
}

/**
 * True when `advisory` affects `version` of `project` (any spelling of the name): the version
 * is in one of the advisory's ECOSYSTEM ranges (PEP 440 order; `fixed` exclusive,
 * `last_affected` inclusive) or in its explicit `versions` list (PEP 440 equality). GIT and
 * SEMVER ranges mean nothing for PyPI versions and are ignored; a withdrawn advisory affects
 * nothing. For many questions about one advisory, use {@link compileAdvisoryMatcher}.
 */
export function advisoryAffects(advisory: Advisory, project: string, version: Version | string): boolean {
  return compileAdvisoryMatcher(advisory)(project, version);
}

/** The `fixed` versions of the advisory's ECOSYSTEM ranges for `project`, PEP 440-sorted and unique; for reports. */
export function fixedVersions(advisory: Advisory, project: string): string[] {
  const found: Version[] = [];
  for (const entry of entriesFor(advisory, project)) {
    for (const range of entry.ranges) {
      if (range.type !== 'ECOSYSTEM') continue;
      for (const event of range.events) {
        const parsed = event.kind === 'fixed' ? tryParseVersion(event.version) : null;
        if (parsed !== null) found.push(parsed);
      }
    }
  }
  found.sort((a, b) => a.compare(b));
  // 1.2 and 1.2.0 are one version: keep the first spelling met.
  return found.filter((v, i) => i === 0 || !v.equals(found[i - 1] as Version)).map((v) => v.toString());
}

/**
 * True when `severity` is at least as bad as `threshold`. Most PyPI advisories carry no rating,
 * so 'unknown' ranks below 'low' but a 'low' threshold (report everything) still takes it.
 */
export function severityAtLeast(severity: AdvisorySeverity, threshold: AdvisorySeverity): boolean {
  if (threshold === 'low' || threshold === 'unknown') return true;
  return SEVERITY_ORDER.indexOf(severity) <= SEVERITY_ORDER.indexOf(threshold);
}
