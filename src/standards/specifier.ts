import { PavedError } from '../errors.js';
import { compareReleases, tryParseVersion, type Version } from './version.js';

/** The PEP 440 comparison operators. */
export type SpecifierOperator = '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '===';

/** How pre-releases (and dev releases) are treated; unset means the PEP 440 default. */
export interface PrereleaseOptions {
  /** true: accept them; false: never; unset: only when a specifier names one (and, in `filter`, when nothing else matches). */
  prereleases?: boolean;
}

/** Refused outright beyond this: bounds the work hostile metadata can cause. */
const MAX_SPECIFIER_SET_LENGTH = 10_000;
const MAX_SPECIFIER_LENGTH = 1100;

const OPERATOR_PATTERN = /^(===|~=|==|!=|<=|>=|<|>)/;

/**
 * One clause of a version specifier, e.g. `>=1.0` or `!=2.1.*`.
 * Build with {@link parseSpecifier}.
 */
export class Specifier {
  readonly operator: SpecifierOperator;
  /** The version, normalised (`===` keeps it as written), without a trailing `.*`. */
  readonly version: string;
  /** true for `==X.*` and `!=X.*`. */
  readonly hasWildcard: boolean;
  /** The parsed version; null only for `===` with a string that is not a PEP 440 version. */
  readonly parsedVersion: Version | null;

  /** @internal Use {@link parseSpecifier}. */
  constructor(operator: SpecifierOperator, version: string, hasWildcard: boolean, parsedVersion: Version | null) {
    this.operator = operator;
    this.version = version;
    this.hasWildcard = hasWildcard;
    this.parsedVersion = parsedVersion;
  }

  /**
   * True when the clause names a pre-release (`>=2.0b1`), which opts the
   * specifier into pre-releases. `!=` and wildcards never do.
   */
  get allowsPrereleases(): boolean {
    if (this.operator === '!=' || this.hasWildcard) return false;
    return this.parsedVersion?.isPrerelease ?? false;
  }

  /** Key under which two clauses mean the same thing (`==1.0` and `==1.0.0`). */
  get canonicalKey(): string {
    if (this.operator === '===') return `===${this.version.toLowerCase()}`;
    if (this.hasWildcard || this.operator === '~=' || this.parsedVersion === null) return this.toString();
    const v = this.parsedVersion;
    const release = [...v.release];
    while (release.length > 1 && release[release.length - 1] === 0) release.pop();
    return this.operator + v.with({ release }).toString();
  }

  /** Whether `version` satisfies this clause, including the pre-release policy. */
  contains(version: Version | string, options: PrereleaseOptions = {}): boolean {
    const candidate = toCandidate(version);
    if (candidate.parsed === null) return this.operator === '===' && this.matches(candidate);
    const allowPre = options.prereleases ?? this.allowsPrereleases;
    if (!allowPre && candidate.parsed.isPrerelease) return false;
    return this.matches(candidate);
  }

  /** @internal The operator's meaning alone, ignoring the pre-release policy. */
  matches(candidate: Candidate): boolean {
    if (this.operator === '===') return candidate.text.toLowerCase() === this.version.toLowerCase();
    const c = candidate.parsed;
    const v = this.parsedVersion;
    if (c === null || v === null) return false;
    switch (this.operator) {
      case '==':
        return this.hasWildcard ? prefixMatches(c, v) : equalsClause(c, v);
      case '!=':
        return !(this.hasWildcard ? prefixMatches(c, v) : equalsClause(c, v));
      case '<=':
        return c.comparePublic(v) <= 0;
      case '>=':
        return c.compare(v) >= 0;
      case '<':
        return c.compare(v) < 0 && !isPrereleaseOf(c, v);
      case '>':
        return c.compare(v) > 0 && !isPostOrLocalOf(c, v);
      case '~=':
        return c.compare(v) >= 0 && prefixMatches(c, v.with({ release: v.release.slice(0, -1) }));
    }
  }

  toString(): string {
    return `${this.operator}${this.version}${this.hasWildcard ? '.*' : ''}`;
  }
}

/** @internal A version to test: the text (what `===` compares) and its parse, if any. */
export interface Candidate {
  readonly text: string;
  readonly parsed: Version | null;
}

function toCandidate(version: Version | string): Candidate {
  if (typeof version === 'string') return { text: version, parsed: tryParseVersion(version) };
  return { text: version.toString(), parsed: version };
}

/* `==1.0` matches 1.0+anything; `==1.0+x` only that local version. */
function equalsClause(c: Version, v: Version): boolean {
  return v.local === null ? c.comparePublic(v) === 0 : c.compare(v) === 0;
}

/* `==1.2.*`: same epoch, and the release zero-padded starts with 1.2 (so 1 matches ==1.0.*). */
function prefixMatches(c: Version, prefix: Version): boolean {
  if (c.epoch !== prefix.epoch) return false;
  for (let i = 0; i < prefix.release.length; i++) {
    if ((c.release[i] ?? 0) !== prefix.release[i]) return false;
  }
  return true;
}

function sameRelease(c: Version, v: Version): boolean {
  return c.epoch === v.epoch && compareReleases(c.release, v.release) === 0;
}

/*
 * `<V` must not admit a pre-release of V unless V is one. For a final V that
 * is every pre/dev release of V's release (1.0rc1, 1.0.dev3 for <1.0); for a
 * post-release V it is V's own dev releases (1.0.post1.dev2 for <1.0.post1).
 */
function isPrereleaseOf(c: Version, v: Version): boolean {
  if (v.isPrerelease || !c.isPrerelease || !sameRelease(c, v)) return false;
  return v.post === null || (c.pre === null && c.post === v.post);
}

/*
 * `>V` must not admit V's local versions, nor V's post-releases unless V is
 * itself a post (or dev) release: >1.0 rejects 1.0.post1 and 1.0+x;
 * >1.0rc1 rejects 1.0rc1.post1; >1.0.post1 accepts 1.0.post2.
 */
function isPostOrLocalOf(c: Version, v: Version): boolean {
  if (c.local !== null && c.comparePublic(v) === 0) return true;
  if (v.post !== null || v.dev !== null || c.post === null || !sameRelease(c, v)) return false;
  return c.pre === v.pre || (c.pre !== null && v.pre !== null && c.pre[0] === v.pre[0] && c.pre[1] === v.pre[1]);
}

function invalidSpecifier(message: string, details: Record<string, unknown>): PavedError {
  return new PavedError('PAVED_E_INVALID_SPECIFIER', message, {
    hint: 'Write comma-separated clauses such as ">=1.2, <2", "~=1.4.2", "==3.1.*" or "!=2.0.1".',
    details,
  });
}

function shown(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Why `clause` is not a valid specifier, or its parse. */
function parseClause(clause: string): Specifier | string {
  if (clause.length > MAX_SPECIFIER_LENGTH) return `it is longer than ${MAX_SPECIFIER_LENGTH} characters`;
  const text = clause.trim();
  const op = OPERATOR_PATTERN.exec(text)?.[1] as SpecifierOperator | undefined;
  if (op === undefined) {
    return text === '' ? 'it is empty' : 'it does not start with an operator (~=, ==, !=, <=, >=, <, >, ===)';
  }
  const rest = text.slice(op.length).trim();
  if (rest === '') return `the operator '${op}' has no version after it`;
  if (/[\s;)]/.test(rest)) return `'${shown(rest)}' contains whitespace, ';' or ')'`;
  if (op === '===') {
    // Arbitrary equality: a plain string, kept verbatim; a parse lets ranges and pre-release checks use it.
    return new Specifier(op, rest, false, tryParseVersion(rest));
  }
  const hasWildcard = rest.endsWith('.*');
  const versionText = hasWildcard ? rest.slice(0, -2) : rest;
  const version = tryParseVersion(versionText);
  if (version === null) return `'${shown(versionText)}' is not a valid PEP 440 version`;
  if (hasWildcard) {
    if (op !== '==' && op !== '!=') return `a '.*' prefix match is only allowed after == or !=`;
    if (version.pre !== null || version.post !== null || version.dev !== null || version.local !== null) {
      return `a '.*' prefix match must follow a plain release number, such as ==1.2.*`;
    }
  }
  if (version.local !== null && op !== '==' && op !== '!=') {
    return `a local version label ('+${version.local.join('.')}') is only allowed after == or !=`;
  }
  if (op === '~=' && version.release.length < 2) return `'~=' needs at least two release numbers, such as ~=1.4`;
  return new Specifier(op, version.toString(), hasWildcard, version);
}

/**
 * Parses one clause such as `>=1.0` or `== 2.1.*`.
 * @throws PavedError PAVED_E_INVALID_SPECIFIER
 */
export function parseSpecifier(text: string): Specifier {
  const result = parseClause(text);
  if (typeof result === 'string') {
    throw invalidSpecifier(`Invalid version specifier '${shown(text)}': ${result}.`, { specifier: shown(text) });
  }
  return result;
}

/**
 * A comma-separated conjunction of clauses: a version matches when it
 * matches every clause. No clauses means any (final) version.
 */
export class SpecifierSet {
  readonly specifiers: readonly Specifier[];

  /** Duplicate clauses (same canonical meaning) are dropped, the first spelling kept. */
  constructor(specifiers: Iterable<Specifier>) {
    const seen = new Set<string>();
    const kept: Specifier[] = [];
    for (const spec of specifiers) {
      const key = spec.canonicalKey;
      if (seen.has(key)) continue;
      seen.add(key);
      kept.push(spec);
    }
    this.specifiers = Object.freeze(kept);
  }

  /** No clauses: every version matches (subject to the pre-release policy). */
  get isEmpty(): boolean {
    return this.specifiers.length === 0;
  }

  /** Some clause names a pre-release, so pre-releases are in play by default. */
  get allowsPrereleases(): boolean {
    return this.specifiers.some((spec) => spec.allowsPrereleases);
  }

  /**
   * Whether `version` satisfies every clause. Pre-releases are rejected unless
   * `options.prereleases` is true or a clause names one. A string that is not
   * a PEP 440 version can only match `===` clauses.
   */
  contains(version: Version | string, options: PrereleaseOptions = {}): boolean {
    const candidate = toCandidate(version);
    if (candidate.parsed === null) {
      return this.specifiers.length > 0 && this.specifiers.every((spec) => spec.operator === '===' && spec.matches(candidate));
    }
    const allowPre = options.prereleases ?? this.allowsPrereleases;
    if (!allowPre && candidate.parsed.isPrerelease) return false;
    return this.specifiers.every((spec) => spec.matches(candidate));
  }

  /**
   * The versions that satisfy the set, in their original order. With no
   * explicit policy, pre-releases are returned only when no final release
   * matches (PEP 440's "accept pre-releases when nothing else satisfies").
   */
  filter<T extends Version | string>(versions: Iterable<T>, options: PrereleaseOptions = {}): T[] {
    const policy = options.prereleases ?? (this.allowsPrereleases ? true : undefined);
    const matched: T[] = [];
    const finals: T[] = [];
    for (const version of versions) {
      const candidate = toCandidate(version);
      const ok =
        candidate.parsed === null
          ? this.specifiers.length > 0 && this.specifiers.every((spec) => spec.operator === '===' && spec.matches(candidate))
          : this.specifiers.every((spec) => spec.matches(candidate));
      if (!ok) continue;
      matched.push(version);
      if (!(candidate.parsed?.isPrerelease ?? false)) finals.push(version);
    }
    if (policy === true) return matched;
    if (policy === false) return finals;
    return finals.length > 0 ? finals : matched;
  }

  /** Both sets' clauses together (duplicates dropped): the versions both accept. */
  intersect(other: SpecifierSet): SpecifierSet {
    return new SpecifierSet([...this.specifiers, ...other.specifiers]);
  }

  /** Canonical form: clauses sorted, joined by commas (`<2,>=1.0`). */
  toString(): string {
    return this.specifiers
      .map((spec) => spec.toString())
      .sort()
      .join(',');
  }
}

/**
 * Parses a comma-separated specifier list such as `>=1.0, <2, !=1.5.*`.
 * Empty input (or empty clauses between commas, as pip tolerates) gives fewer clauses.
 * @throws PavedError PAVED_E_INVALID_SPECIFIER, naming the bad clause
 */
export function parseSpecifierSet(text: string): SpecifierSet {
  if (typeof text !== 'string') throw invalidSpecifier('A version specifier must be a string.', {});
  if (text.length > MAX_SPECIFIER_SET_LENGTH) {
    throw invalidSpecifier(`Version specifier is longer than ${MAX_SPECIFIER_SET_LENGTH} characters.`, { length: text.length });
  }
  const specs: Specifier[] = [];
  for (const clause of text.split(',')) {
    if (clause.trim() === '') continue;
    const result = parseClause(clause);
    if (typeof result === 'string') {
      throw invalidSpecifier(`Invalid version specifier '${shown(text)}': in '${shown(clause.trim())}', ${result}.`, {
        specifier: shown(text),
        clause: shown(clause.trim()),
      });
    }
    specs.push(result);
  }
  return new SpecifierSet(specs);
}
