import { PavedError } from '../errors.js';

/** Pre-release phase, in its PEP 440 normalised spelling (alpha → a, beta → b, c/pre/preview → rc). */
export type PreReleaseLabel = 'a' | 'b' | 'rc';

/** One dot-separated part of a local version label: numeric parts are numbers, the rest lower-case strings. */
export type LocalSegment = string | number;

/** The parts a version is made of; see {@link Version.fromParts}. */
export interface VersionParts {
  epoch?: number;
  release: readonly number[];
  pre?: readonly [PreReleaseLabel, number] | null;
  post?: number | null;
  dev?: number | null;
  local?: readonly LocalSegment[] | null;
}

/** Longer input than this is refused outright: no real version comes close, and it bounds regex work on hostile input. */
const MAX_VERSION_LENGTH = 1000;

/*
 * The PEP 440 "Appendix B" grammar, written out once: the version with every
 * spelling the normalisation rules accept. Anchored, case-insensitive.
 */
const VERSION_PATTERN = new RegExp(
  '^v?' +
    '(?:(?<epoch>[0-9]+)!)?' +
    '(?<release>[0-9]+(?:\\.[0-9]+)*)' +
    '(?:[-_.]?(?<preL>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<preN>[0-9]+)?)?' +
    '(?:-(?<postImplicit>[0-9]+)|[-_.]?(?<postL>post|rev|r)[-_.]?(?<postN>[0-9]+)?)?' +
    '(?:[-_.]?(?<devL>dev)[-_.]?(?<devN>[0-9]+)?)?' +
    '(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?$',
  'i',
);

const PRE_LABELS: Readonly<Record<string, PreReleaseLabel>> = {
  a: 'a',
  alpha: 'a',
  b: 'b',
  beta: 'b',
  c: 'rc',
  rc: 'rc',
  pre: 'rc',
  preview: 'rc',
};

const PRE_RANK: Readonly<Record<PreReleaseLabel, number>> = { a: 0, b: 1, rc: 2 };

/**
 * Numbers are kept as JS numbers. Rather than compare digits that lost their
 * precision, we refuse a component above this (2^53, one past the largest safe
 * integer, so `n + 1` on a parsed component still compares exactly).
 */
const MAX_COMPONENT = 2 ** 53;

/**
 * A PEP 440 version. Immutable; compare with {@link Version.compare}, never
 * with the strings (1.0 == 1.0.0, 1.0a1 < 1.0 < 1.0.post1).
 */
export class Version {
  readonly epoch: number;
  readonly release: readonly number[];
  readonly pre: readonly [PreReleaseLabel, number] | null;
  readonly post: number | null;
  readonly dev: number | null;
  readonly local: readonly LocalSegment[] | null;
  #text: string | undefined;

  /** Internal: trusts its input. Use {@link parseVersion} or {@link Version.fromParts}. */
  private constructor(parts: Required<VersionParts>) {
    this.epoch = parts.epoch;
    this.release = Object.freeze([...parts.release]);
    this.pre = parts.pre === null ? null : Object.freeze([parts.pre[0], parts.pre[1]] as const);
    this.post = parts.post;
    this.dev = parts.dev;
    this.local = parts.local === null ? null : Object.freeze([...parts.local]);
  }

  /** Builds a version from its parts, checking them (non-negative integers, a non-empty release, valid local segments). */
  static fromParts(parts: VersionParts): Version {
    const full: Required<VersionParts> = {
      epoch: parts.epoch ?? 0,
      release: parts.release,
      pre: parts.pre ?? null,
      post: parts.post ?? null,
      dev: parts.dev ?? null,
      local: parts.local ?? null,
    };
    const numbers = [full.epoch, ...full.release];
    if (full.pre !== null) numbers.push(full.pre[1]);
    if (full.post !== null) numbers.push(full.post);
    if (full.dev !== null) numbers.push(full.dev);
    if (full.release.length === 0 || !numbers.every(isComponent)) {
      throw new PavedError('PAVED_E_INVALID_VERSION', 'Version parts must be non-negative integers with at least one release number.');
    }
    if (full.pre !== null && !(full.pre[0] in PRE_RANK)) {
      throw new PavedError('PAVED_E_INVALID_VERSION', `Unknown pre-release label '${String(full.pre[0])}'.`);
    }
    if (full.local !== null) {
      if (full.local.length === 0) throw new PavedError('PAVED_E_INVALID_VERSION', 'A local version label needs at least one segment.');
      for (const segment of full.local) {
        const ok = typeof segment === 'number' ? isComponent(segment) : /^[a-z0-9]*[a-z][a-z0-9]*$/.test(segment);
        if (!ok) throw new PavedError('PAVED_E_INVALID_VERSION', `Invalid local version segment '${String(segment)}'.`);
      }
    }
    return new Version(full);
  }

  /** @internal Same version with some parts replaced; no checks (callers derive from a valid version). */
  with(parts: Partial<VersionParts>): Version {
    return new Version({
      epoch: parts.epoch ?? this.epoch,
      release: parts.release ?? this.release,
      pre: parts.pre === undefined ? this.pre : parts.pre,
      post: parts.post === undefined ? this.post : parts.post,
      dev: parts.dev === undefined ? this.dev : parts.dev,
      local: parts.local === undefined ? this.local : parts.local,
    });
  }

  /** Pre-releases and developmental releases both count (PEP 440 excludes both by default). */
  get isPrerelease(): boolean {
    return this.pre !== null || this.dev !== null;
  }

  get isPostrelease(): boolean {
    return this.post !== null;
  }

  get isDevrelease(): boolean {
    return this.dev !== null;
  }

  /** The normalised public version: everything but the local label. */
  get public(): string {
    const text = this.toString();
    const plus = text.indexOf('+');
    return plus === -1 ? text : text.slice(0, plus);
  }

  /** Epoch and release only, e.g. `1!2.0` for `1!2.0rc1.post2+x`. */
  get baseVersion(): string {
    return (this.epoch === 0 ? '' : `${this.epoch}!`) + this.release.join('.');
  }

  get major(): number {
    return this.release[0] ?? 0;
  }

  get minor(): number {
    return this.release[1] ?? 0;
  }

  get micro(): number {
    return this.release[2] ?? 0;
  }

  /** This version without its local label (itself when it has none). */
  withoutLocal(): Version {
    return this.local === null ? this : this.with({ local: null });
  }

  /** Negative, zero or positive as this version sorts before, equal to or after `other` (PEP 440 order). */
  compare(other: Version): number {
    return comparePublicParts(this, other) || compareLocal(this.local, other.local);
  }

  /** Like {@link compare}, ignoring both local labels (how `==1.0`, `<=1.0` treat candidates). */
  comparePublic(other: Version): number {
    return comparePublicParts(this, other);
  }

  equals(other: Version): boolean {
    return this.compare(other) === 0;
  }

  /** The PEP 440 normalised form, e.g. `1!2.0rc1.post3.dev4+ubuntu.1`. */
  toString(): string {
    if (this.#text === undefined) {
      let text = this.baseVersion;
      if (this.pre !== null) text += `${this.pre[0]}${this.pre[1]}`;
      if (this.post !== null) text += `.post${this.post}`;
      if (this.dev !== null) text += `.dev${this.dev}`;
      if (this.local !== null) text += `+${this.local.join('.')}`;
      this.#text = text;
    }
    return this.#text;
  }

  toJSON(): string {
    return this.toString();
  }
}

function isComponent(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_COMPONENT;
}

/** Release segments compared with zero padding, so 1.0 == 1.0.0 and 1.0 < 1.0.0.1. */
export function compareReleases(a: readonly number[], b: readonly number[]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return 0;
}

/*
 * The pre-release slot orders three ways: a bare dev release (1.0.dev1) sorts
 * before every pre-release of 1.0, a version with no pre-release after them.
 */
function preTier(v: Version): number {
  if (v.pre !== null) return 1;
  return v.post === null && v.dev !== null ? 0 : 2;
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function comparePublicParts(a: Version, b: Version): number {
  if (a.epoch !== b.epoch) return sign(a.epoch - b.epoch);
  const release = compareReleases(a.release, b.release);
  if (release !== 0) return release;
  const tierA = preTier(a);
  const tierB = preTier(b);
  if (tierA !== tierB) return sign(tierA - tierB);
  if (a.pre !== null && b.pre !== null) {
    if (a.pre[0] !== b.pre[0]) return sign(PRE_RANK[a.pre[0]] - PRE_RANK[b.pre[0]]);
    if (a.pre[1] !== b.pre[1]) return sign(a.pre[1] - b.pre[1]);
  }
  // No post-release sorts first; no dev release sorts last.
  const postA = a.post ?? -1;
  const postB = b.post ?? -1;
  if (postA !== postB) return sign(postA - postB);
  const devA = a.dev ?? Infinity;
  const devB = b.dev ?? Infinity;
  if (devA !== devB) return devA < devB ? -1 : 1;
  return 0;
}

/* No label sorts first; numeric segments sort after alphanumeric ones; a longer label after its prefix. */
function compareLocal(a: readonly LocalSegment[] | null, b: readonly LocalSegment[] | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i] as LocalSegment;
    const y = b[i] as LocalSegment;
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return sign(x - y);
    } else if (typeof x === 'number') {
      return 1;
    } else if (typeof y === 'number') {
      return -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return sign(a.length - b.length);
}

function invalid(text: string, why: string): PavedError {
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return new PavedError('PAVED_E_INVALID_VERSION', `Invalid version '${shown}': ${why}.`, {
    hint: 'Use a PEP 440 version such as 1.2.3, 2.0rc1, 1.0.post2, 1.1.dev3 or 1!2.0+local.1.',
  });
}

function toComponent(digits: string, text: string): number {
  const n = Number(digits);
  if (n > MAX_COMPONENT) throw invalid(text, `the number ${digits.length > 20 ? `${digits.slice(0, 20)}...` : digits} is too large`);
  return n;
}

/**
 * Parses any spelling PEP 440 normalisation accepts (case, leading `v`,
 * `.`/`-`/`_` separators, alpha/beta/c/pre/preview/rev/r, implicit numbers,
 * `1.0-1` as a post-release, surrounding whitespace).
 * @throws PavedError PAVED_E_INVALID_VERSION
 */
export function parseVersion(text: string): Version {
  if (typeof text !== 'string') throw invalid(String(text), 'not a string');
  if (text.length > MAX_VERSION_LENGTH) throw invalid(text, `longer than ${MAX_VERSION_LENGTH} characters`);
  const trimmed = text.trim();
  if (trimmed === '') throw invalid(text, 'it is empty');
  const match = VERSION_PATTERN.exec(trimmed);
  const g = match?.groups;
  if (g === undefined) throw invalid(text, 'not a PEP 440 version');
  const release = (g.release as string).split('.').map((digits) => toComponent(digits, text));
  const preLabel = g.preL === undefined ? undefined : PRE_LABELS[g.preL.toLowerCase()];
  const pre: [PreReleaseLabel, number] | null =
    preLabel === undefined ? null : [preLabel, g.preN === undefined ? 0 : toComponent(g.preN, text)];
  let post: number | null = null;
  if (g.postImplicit !== undefined) post = toComponent(g.postImplicit, text);
  else if (g.postL !== undefined) post = g.postN === undefined ? 0 : toComponent(g.postN, text);
  const dev = g.devL === undefined ? null : g.devN === undefined ? 0 : toComponent(g.devN, text);
  const local =
    g.local === undefined
      ? null
      : g.local
          .toLowerCase()
          .split(/[-_.]/)
          .map((segment): LocalSegment => (/^[0-9]+$/.test(segment) ? toComponent(segment, text) : segment));
  return Version.fromParts({
    epoch: g.epoch === undefined ? 0 : toComponent(g.epoch, text),
    release,
    pre,
    post,
    dev,
    local,
  });
}

/** Like {@link parseVersion}, but returns null for anything that is not a PEP 440 version. */
export function tryParseVersion(text: string): Version | null {
  try {
    return parseVersion(text);
  } catch (error) {
    if (error instanceof PavedError) return null;
    throw error;
  }
}

/** Orders versions (or version strings) the PEP 440 way; for `Array.prototype.sort`. */
export function compareVersions(a: Version | string, b: Version | string): number {
  const left = typeof a === 'string' ? parseVersion(a) : a;
  const right = typeof b === 'string' ? parseVersion(b) : b;
  return left.compare(right);
}

/** The PEP 440 normalised spelling of a version string, e.g. `V1.0-ALPHA.1` → `1.0a1`. */
export function normalizeVersion(text: string): string {
  return parseVersion(text).toString();
}
