/**
 * Reads and writes policy files (TOML or YAML, same keys; see docs/policy.md).
 *
 * A policy file is written by people and decides what reaches every developer, so reading is
 * strict: an unknown key, a wrong type, a bad name, specifier or licence id is an error that
 * names the key path (`deny[2].specifier: …`) rather than a silently ignored line. All problems
 * are reported at once. Files in the policy are kebab-case (`min-days`); the `Policy` object is
 * camelCase.
 */
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { isPavedError, PavedError } from '../../errors.js';
import { parseProjectName } from '../../standards/names.js';
import { parseSpecifierSet } from '../../standards/specifier.js';
import {
  ADVISORY_SEVERITIES,
  defaultPolicy,
  FINDING_SEVERITIES,
  type AppliesTo,
  type KnownAdvisorySeverity,
  type FindingSeverity,
  type PackageRule,
  type Policy,
  type RuleAction,
  type VerdictAction,
} from './policy.js';
import { parseLicensePattern } from './spdx.js';

/** The two policy file formats. */
export type PolicyFormat = 'toml' | 'yaml';

/** Larger policy text is refused before parsing: real policies are a few KiB. */
export const MAX_POLICY_BYTES = 1024 * 1024;
const MAX_DEPTH = 16;
const MAX_LIST_LENGTH = 10_000;
const MAX_STRING_LENGTH = 2000;
const MAX_PROBLEMS_SHOWN = 20;
const DOCS_HINT = 'See docs/policy.md for every key, its type and an example.';

type Path = string;

class Problems {
  readonly list: string[] = [];
  add(path: Path, message: string): void {
    const text = message.replace(/\.$/, '');
    this.list.push(path === '' ? text : `${path}: ${text}`);
  }
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !ArrayBuffer.isView(value);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (isTable(value)) return 'a table';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value;
}

function join(path: Path, key: string): Path {
  return path === '' ? key : `${path}.${key}`;
}

function squash(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, '');
}

/**
 * Walks the keys of a table: calls the handler of each known key, reports unknown ones (with the
 * spelling they probably meant: `min_days` → `min-days`).
 */
function readTable(value: unknown, path: Path, problems: Problems, handlers: Record<string, (value: unknown, path: Path) => void>): void {
  if (!isTable(value)) {
    problems.add(path, `must be a table, not ${describe(value)}`);
    return;
  }
  const known = Object.keys(handlers);
  for (const key of Object.keys(value)) {
    const keyPath = join(path, key);
    const handler = Object.hasOwn(handlers, key) ? handlers[key] : undefined;
    if (handler === undefined) {
      const near = known.find((k) => squash(k) === squash(key));
      problems.add(keyPath, near !== undefined ? `unknown key; did you mean "${near}"?` : `unknown key (known here: ${known.join(', ')})`);
      continue;
    }
    handler(value[key], keyPath);
  }
}

function readBoolean(value: unknown, path: Path, problems: Problems, set: (v: boolean) => void): void {
  if (typeof value === 'boolean') set(value);
  else problems.add(path, `must be true or false, not ${describe(value)}`);
}

function readNumber(value: unknown, path: Path, problems: Problems, range: { min: number; max: number; integer: boolean }, set: (v: number) => void): void {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    problems.add(path, `must be a number, not ${describe(value)}`);
  } else if (range.integer && !Number.isInteger(n)) {
    problems.add(path, `must be a whole number, not ${n}`);
  } else if (n < range.min || n > range.max) {
    problems.add(path, `must be between ${range.min} and ${range.max}, not ${n}`);
  } else {
    set(n);
  }
}

function readString(value: unknown, path: Path, problems: Problems): string | null {
  if (typeof value !== 'string') {
    problems.add(path, `must be a string, not ${describe(value)}`);
    return null;
  }
  if (value.length > MAX_STRING_LENGTH) {
    problems.add(path, `is longer than ${MAX_STRING_LENGTH} characters`);
    return null;
  }
  return value;
}

function readChoice<T extends string>(value: unknown, path: Path, problems: Problems, choices: readonly T[], set: (v: T) => void): void {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) set(value as T);
  else problems.add(path, `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, not ${describe(value)}`);
}

function readList(value: unknown, path: Path, problems: Problems, item: (value: unknown, path: Path) => void): void {
  if (!Array.isArray(value)) {
    problems.add(path, `must be a list, not ${describe(value)}`);
    return;
  }
  if (value.length > MAX_LIST_LENGTH) {
    problems.add(path, `has ${value.length} entries, more than the ${MAX_LIST_LENGTH} allowed`);
    return;
  }
  value.forEach((entry, index) => item(entry, `${path}[${index}]`));
}

function readAppliesTo(value: unknown, path: Path, problems: Problems, set: (v: AppliesTo) => void): void {
  const result: AppliesTo = { upstream: false, uploads: false };
  const before = problems.list.length;
  readList(value, path, problems, (entry, entryPath) =>
    readChoice(entry, entryPath, problems, ['upstream', 'uploads'] as const, (choice) => {
      result[choice] = true;
    }),
  );
  if (problems.list.length === before) set(result);
}

/** `PROJECT` or `PROJECT SPECIFIER` (e.g. `requests<2.20`), validated; null after reporting a problem. */
function parseRuleText(text: string, path: Path, problems: Problems, allowSpecifier: boolean): { project: string; specifier: string } | null {
  const match = /^\s*([A-Za-z0-9._-]+)\s*(.*?)\s*$/s.exec(text);
  if (match === null) {
    problems.add(path, `${JSON.stringify(text)} is not a project name${allowSpecifier ? ' optionally followed by a version specifier' : ''}`);
    return null;
  }
  const project = readProjectName(match[1] as string, path, problems);
  const rest = match[2] as string;
  if (project === null) return null;
  if (rest === '') return { project, specifier: '' };
  if (!allowSpecifier) {
    problems.add(path, `${JSON.stringify(text)}: only a project name belongs here, no version specifier`);
    return null;
  }
  if (/^[[;@]/.test(rest) || rest.includes(';')) {
    problems.add(path, `${JSON.stringify(text)}: only a name and a version specifier are allowed here (no extras, markers or URLs)`);
    return null;
  }
  const specifier = readSpecifier(rest, path, problems);
  return specifier === null ? null : { project, specifier };
}

function readProjectName(text: string, path: Path, problems: Problems): string | null {
  try {
    return parseProjectName(text);
  } catch (error) {
    if (!isPavedError(error)) throw error;
    problems.add(path, error.message);
    return null;
  }
}

function readSpecifier(text: string, path: Path, problems: Problems): string | null {
  try {
    return parseSpecifierSet(text).toString();
  } catch (error) {
    if (!isPavedError(error)) throw error;
    problems.add(path, error.message);
    return null;
  }
}

/** A package rule as a string (`requests<2.20`) or a table (`{ project, specifier, reason }`). */
function readPackageRule(value: unknown, path: Path, problems: Problems, push: (rule: PackageRule) => void): void {
  if (typeof value === 'string') {
    const parsed = parseRuleText(value, path, problems, true);
    if (parsed !== null) push({ ...parsed, reason: null });
    return;
  }
  if (!isTable(value)) {
    problems.add(path, `must be a string like "requests<2.20" or a table with project, specifier and reason, not ${describe(value)}`);
    return;
  }
  const before = problems.list.length;
  let project: string | null = null;
  let specifier = '';
  let reason: string | null = null;
  readTable(value, path, problems, {
    project: (v, p) => {
      const text = readString(v, p, problems);
      if (text !== null) project = readProjectName(text, p, problems);
    },
    specifier: (v, p) => {
      const text = readString(v, p, problems);
      if (text !== null) specifier = readSpecifier(text, p, problems) ?? '';
    },
    reason: (v, p) => {
      reason = readString(v, p, problems);
    },
  });
  if (!Object.hasOwn(value, 'project')) problems.add(join(path, 'project'), 'is required');
  if (project !== null && problems.list.length === before) push({ project, specifier, reason });
}

function readRuleList(value: unknown, path: Path, problems: Problems): PackageRule[] {
  const rules: PackageRule[] = [];
  readList(value, path, problems, (entry, entryPath) => readPackageRule(entry, entryPath, problems, (rule) => rules.push(rule)));
  return rules;
}

function readNameList(value: unknown, path: Path, problems: Problems): string[] {
  const names: string[] = [];
  readList(value, path, problems, (entry, entryPath) => {
    const text = readString(entry, entryPath, problems);
    const parsed = text === null ? null : parseRuleText(text, entryPath, problems, false);
    if (parsed !== null && !names.includes(parsed.project)) names.push(parsed.project);
  });
  return names;
}

const ADVISORY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{1,99}$/;

function readAdvisoryIds(value: unknown, path: Path, problems: Problems): string[] {
  const ids: string[] = [];
  readList(value, path, problems, (entry, entryPath) => {
    const text = readString(entry, entryPath, problems);
    if (text === null) return;
    if (!ADVISORY_ID.test(text)) problems.add(entryPath, `${JSON.stringify(text.slice(0, 60))} is not an advisory id (like GHSA-xxxx-xxxx-xxxx, PYSEC-2024-1, CVE-2024-1234)`);
    else if (!ids.includes(text)) ids.push(text);
  });
  return ids;
}

function readLicensePatterns(value: unknown, path: Path, problems: Problems): string[] {
  const patterns: string[] = [];
  readList(value, path, problems, (entry, entryPath) => {
    const text = readString(entry, entryPath, problems);
    if (text === null) return;
    try {
      const pattern = parseLicensePattern(text);
      if (!patterns.includes(pattern)) patterns.push(pattern);
    } catch (error) {
      if (!isPavedError(error)) throw error;
      problems.add(entryPath, `${error.message}${error.hint === undefined ? '' : ` (${error.hint})`}`);
    }
  });
  return patterns;
}

const RULE_ACTIONS: readonly RuleAction[] = ['quarantine', 'block'];
const VERDICT_ACTIONS: readonly VerdictAction[] = ['allow', 'quarantine', 'block'];
const ADVISORY_THRESHOLDS: readonly (KnownAdvisorySeverity | 'none')[] = [...ADVISORY_SEVERITIES, 'none'];
const FINDING_THRESHOLDS: readonly (FindingSeverity | 'none')[] = [...FINDING_SEVERITIES, 'none'];

/** Builds a Policy from the parsed document (any JSON-like value), defaults for what it leaves out. */
function policyFromDocument(doc: unknown, problems: Problems): Policy {
  const policy = defaultPolicy();
  if (doc === null || doc === undefined) return policy; // an empty YAML file
  readTable(doc, '', problems, {
    version: (v, p) => {
      if (v !== 1 && v !== 1n) problems.add(p, `must be 1 (the only policy format so far), not ${describe(v)}`);
    },
    'allow-only': (v, p) => readBoolean(v, p, problems, (b) => (policy.allowOnly = b)),
    allow: (v, p) => (policy.allow = readRuleList(v, p, problems)),
    deny: (v, p) => (policy.deny = readRuleList(v, p, problems)),
    'release-age': (v, p) => {
      const section = policy.releaseAge;
      readTable(v, p, problems, {
        enabled: (x, q) => readBoolean(x, q, problems, (b) => (section.enabled = b)),
        'min-days': (x, q) => readNumber(x, q, problems, { min: 0, max: 3650, integer: false }, (n) => (section.minDays = n)),
        'applies-to': (x, q) => readAppliesTo(x, q, problems, (a) => (section.appliesTo = a)),
        exempt: (x, q) => (section.exempt = readRuleList(x, q, problems)),
        'unknown-upload-time': (x, q) => readChoice(x, q, problems, ['allow', 'quarantine'] as const, (c) => (section.unknownUploadTime = c)),
      });
    },
    vulnerabilities: (v, p) => {
      const section = policy.vulnerabilities;
      readTable(v, p, problems, {
        enabled: (x, q) => readBoolean(x, q, problems, (b) => (section.enabled = b)),
        block: (x, q) => readChoice(x, q, problems, ADVISORY_THRESHOLDS, (c) => (section.block = c)),
        quarantine: (x, q) => readChoice(x, q, problems, ADVISORY_THRESHOLDS, (c) => (section.quarantine = c)),
        'unknown-severity': (x, q) => readChoice(x, q, problems, ADVISORY_SEVERITIES, (c) => (section.unknownSeverity = c)),
        ignore: (x, q) => (section.ignore = readAdvisoryIds(x, q, problems)),
        'applies-to': (x, q) => readAppliesTo(x, q, problems, (a) => (section.appliesTo = a)),
      });
    },
    malware: (v, p) => {
      const section = policy.malware;
      readTable(v, p, problems, {
        enabled: (x, q) => readBoolean(x, q, problems, (b) => (section.enabled = b)),
        block: (x, q) => readChoice(x, q, problems, FINDING_THRESHOLDS, (c) => (section.block = c)),
        quarantine: (x, q) => readChoice(x, q, problems, FINDING_THRESHOLDS, (c) => (section.quarantine = c)),
        'applies-to': (x, q) => readAppliesTo(x, q, problems, (a) => (section.appliesTo = a)),
      });
    },
    typosquatting: (v, p) => {
      const section = policy.typosquatting;
      readTable(v, p, problems, {
        enabled: (x, q) => readBoolean(x, q, problems, (b) => (section.enabled = b)),
        action: (x, q) => readChoice(x, q, problems, RULE_ACTIONS, (c) => (section.action = c)),
        'popular-count': (x, q) => readNumber(x, q, problems, { min: 1, max: 100_000, integer: true }, (n) => (section.popularCount = n)),
        'max-distance': (x, q) => {
          if (x === 'auto') section.maxDistance = null;
          else if (typeof x === 'string') problems.add(q, `must be "auto" or a whole number from 1 to 3, not ${describe(x)}`);
          else readNumber(x, q, problems, { min: 1, max: 3, integer: true }, (n) => (section.maxDistance = n));
        },
        exempt: (x, q) => (section.exempt = readNameList(x, q, problems)),
        'applies-to': (x, q) => readAppliesTo(x, q, problems, (a) => (section.appliesTo = a)),
      });
    },
    licenses: (v, p) => {
      const section = policy.licenses;
      readTable(v, p, problems, {
        enabled: (x, q) => readBoolean(x, q, problems, (b) => (section.enabled = b)),
        allow: (x, q) => (section.allow = readLicensePatterns(x, q, problems)),
        deny: (x, q) => (section.deny = readLicensePatterns(x, q, problems)),
        action: (x, q) => readChoice(x, q, problems, RULE_ACTIONS, (c) => (section.action = c)),
        unknown: (x, q) => readChoice(x, q, problems, VERDICT_ACTIONS, (c) => (section.unknown = c)),
        'applies-to': (x, q) => readAppliesTo(x, q, problems, (a) => (section.appliesTo = a)),
      });
    },
  });
  return policy;
}

function invalidPolicy(message: string, hint: string = DOCS_HINT, details?: Record<string, unknown>): PavedError {
  return new PavedError('PAVED_E_INVALID_POLICY', message, details === undefined ? { hint } : { hint, details });
}

function parseDocument(text: string, format: PolicyFormat): unknown {
  if (format === 'toml') {
    try {
      return parseToml(text, { maxDepth: MAX_DEPTH, unsafeKeyBehaviour: 'keep' });
    } catch (error) {
      throw invalidPolicy(`policy is not valid TOML: ${firstLine(error)}`, 'Check the TOML syntax at the line shown (https://toml.io).');
    }
  }
  try {
    // 'core' schema: YAML 1.2 types only (no timestamps, no `yes`/`no` booleans, no merge keys).
    return parseYaml(text, { schema: 'core', maxAliasCount: 100, uniqueKeys: true, prettyErrors: true, strict: true });
  } catch (error) {
    throw invalidPolicy(`policy is not valid YAML: ${firstLine(error)}`, 'Check the YAML syntax at the line shown.');
  }
}

/** The parser's message without its source excerpt, plus where it happened. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = (message.split('\n')[0] ?? '').slice(0, 300);
  const line = typeof error === 'object' && error !== null && 'line' in error && typeof error.line === 'number' ? error.line : null;
  return line !== null && !/\bline\b/.test(first) ? `${first} (line ${line})` : first;
}

/**
 * Parses a policy file. Keys left out take their defaults (an empty file is DEFAULT_POLICY).
 * @throws PavedError PAVED_E_INVALID_POLICY naming every bad key path, e.g. `deny[2].specifier: …`
 */
export function parsePolicy(text: string, format: PolicyFormat): Policy {
  if (typeof text !== 'string') throw invalidPolicy('policy must be text');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_POLICY_BYTES) {
    throw invalidPolicy(`policy is ${bytes} bytes, more than the ${MAX_POLICY_BYTES} allowed`, 'A policy is a short file of rules; move long lists of names into fewer, broader rules.');
  }
  if (text.includes('\0')) throw invalidPolicy('policy contains a NUL byte; it is not a text file');
  if (format === 'yaml' && flowDepth(text) > MAX_DEPTH) {
    throw invalidPolicy(`policy nests brackets deeper than ${MAX_DEPTH} levels`);
  }
  const doc = parseDocument(text, format);
  const problems = new Problems();
  const policy = policyFromDocument(doc, problems);
  if (problems.list.length > 0) {
    const shown = problems.list.slice(0, MAX_PROBLEMS_SHOWN);
    const more = problems.list.length > shown.length ? `; and ${problems.list.length - shown.length} more` : '';
    const message = problems.list.length === 1 ? `invalid policy: ${shown[0] as string}` : `invalid policy (${problems.list.length} problems): ${shown.join('; ')}${more}`;
    throw invalidPolicy(message, DOCS_HINT, { problems: shown });
  }
  return policy;
}

/**
 * Deepest nesting of YAML flow collections (`[`, `{`), skipping quoted text and comments on each
 * line. The parser recurses on them, so hostile depth is refused before it runs.
 */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') quote = null;
    else if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') {
      const next = text.indexOf('\n', i);
      if (next < 0) break;
      i = next - 1;
    } else if (c === '[' || c === '{') {
      depth++;
      if (depth > max) max = depth;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return max;
}

/**
 * Which format a policy file is in: by extension (`.toml`, `.yaml`, `.yml`, `.json` as YAML),
 * else by its first meaningful line (`[table]` or `key = …` is TOML, `key: …` is YAML).
 * @throws PavedError PAVED_E_INVALID_POLICY when neither fits
 */
export function detectPolicyFormat(filename: string, text: string): PolicyFormat {
  const lower = filename.toLowerCase();
  if (lower.endsWith('.toml')) return 'toml';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml') || lower.endsWith('.json')) return 'yaml';
  for (const raw of text.slice(0, 64 * 1024).split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (/^\[{1,2}[A-Za-z0-9_."' -]+\]{1,2}$/.test(line) || /^[A-Za-z0-9_."-]+\s*=/.test(line)) return 'toml';
    if (line === '---' || line.startsWith('{') || /^[A-Za-z0-9_."-]+\s*:/.test(line)) return 'yaml';
    break;
  }
  throw invalidPolicy(`cannot tell whether ${JSON.stringify(filename)} is TOML or YAML`, 'Name the policy file with a .toml or .yaml extension.');
}

function appliesToList(a: AppliesTo): string[] {
  return [...(a.upstream ? ['upstream'] : []), ...(a.uploads ? ['uploads'] : [])];
}

function ruleEntry(rule: PackageRule): string | Table {
  if (rule.reason === null) return `${rule.project}${rule.specifier}`;
  return rule.specifier === '' ? { project: rule.project, reason: rule.reason } : { project: rule.project, specifier: rule.specifier, reason: rule.reason };
}

/** The policy as the document a file holds (kebab-case keys, every key written out). */
function policyToDocument(policy: Policy): Table {
  const r = policy.releaseAge;
  const v = policy.vulnerabilities;
  const m = policy.malware;
  const t = policy.typosquatting;
  const l = policy.licenses;
  return {
    version: policy.version,
    'allow-only': policy.allowOnly,
    allow: policy.allow.map(ruleEntry),
    deny: policy.deny.map(ruleEntry),
    'release-age': { enabled: r.enabled, 'min-days': r.minDays, 'applies-to': appliesToList(r.appliesTo), exempt: r.exempt.map(ruleEntry), 'unknown-upload-time': r.unknownUploadTime },
    vulnerabilities: { enabled: v.enabled, block: v.block, quarantine: v.quarantine, 'unknown-severity': v.unknownSeverity, ignore: [...v.ignore], 'applies-to': appliesToList(v.appliesTo) },
    malware: { enabled: m.enabled, block: m.block, quarantine: m.quarantine, 'applies-to': appliesToList(m.appliesTo) },
    typosquatting: { enabled: t.enabled, action: t.action, 'popular-count': t.popularCount, 'max-distance': t.maxDistance ?? 'auto', exempt: [...t.exempt], 'applies-to': appliesToList(t.appliesTo) },
    licenses: { enabled: l.enabled, allow: [...l.allow], deny: [...l.deny], action: l.action, unknown: l.unknown, 'applies-to': appliesToList(l.appliesTo) },
  };
}

/** Writes a policy as a complete file (every key, defaults included) that parsePolicy reads back to the same policy. */
export function renderPolicy(policy: Policy, format: PolicyFormat): string {
  const doc = policyToDocument(policy);
  const header = '# paved index policy — every key is explained in docs/policy.md\n';
  if (format === 'toml') return `${header}${stringifyToml(doc)}\n`;
  return `${header}${stringifyYaml(doc, { lineWidth: 0 })}`;
}
