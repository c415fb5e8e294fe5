/**
 * PEP 425 compatibility tags (https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/):
 * parsing `interpreter-abi-platform` triples, expanding compressed tag sets, and computing the
 * ordered list of tags an interpreter accepts, so installers can rank wheels the same way pip does.
 */
import { PavedError } from '../errors.js';

/** One compatibility tag triple, always lowercase. */
export interface Tag {
  interpreter: string;
  abi: string;
  platform: string;
}

/** What we need to know about a target interpreter to list the tags it supports. */
export interface InterpreterInfo {
  /** Short implementation name: `cp` (CPython), `pp` (PyPy), or another PEP 425 abbreviation. */
  implementation: 'cp' | 'pp' | string;
  pythonVersion: [number, number];
  /**
   * ABI tags the interpreter loads, best first (e.g. `['cp311']`, `['cp313t']`, `['pypy310_pp73']`).
   * Defaults: CPython derives `cpXY` (`cpXYm` before 3.8); other implementations only get `none`,
   * because their ABI tag cannot be derived from the version alone.
   */
  abis?: string[];
  /** Platform tags, most specific first (e.g. from `linuxPlatforms()` or `macosPlatforms()`). */
  platforms: string[];
}

// Tag components are lowercase alphanumerics and underscores once normalised; anything else
// (spaces, slashes, dashes inside a part) is not something a build tool would ever produce.
const COMPONENT_PART = /^[a-z0-9_]+$/;

/** `py3-none-any` form of a tag. */
export function tagToString(tag: Tag): string {
  return `${tag.interpreter}-${tag.abi}-${tag.platform}`;
}

function splitTagText(text: string): [string, string, string] {
  const parts = text.trim().toLowerCase().split('-');
  if (parts.length !== 3) {
    throw new PavedError('PAVED_E_INVALID_TAG', `"${text}" is not a compatibility tag: expected three parts like py3-none-any`, {
      hint: 'A tag is interpreter-abi-platform, e.g. cp311-cp311-manylinux_2_17_x86_64 or py3-none-any.',
    });
  }
  return parts as [string, string, string];
}

function splitComponent(text: string, component: string, what: string): string[] {
  const pieces = component.split('.');
  for (const piece of pieces) {
    if (!COMPONENT_PART.test(piece)) {
      throw new PavedError('PAVED_E_INVALID_TAG', `"${text}" has an invalid ${what} tag "${piece}"`, {
        hint: 'Tag parts contain only letters, digits and underscores; dots separate alternatives (py2.py3).',
      });
    }
  }
  return pieces;
}

/** Parses a single (not compressed) tag such as `py3-none-any`. */
export function parseTag(text: string): Tag {
  const tags = parseCompressedTagSet(text);
  if (tags.length !== 1) {
    throw new PavedError('PAVED_E_INVALID_TAG', `"${text}" is a compressed tag set, not a single tag`, {
      hint: 'Use parseCompressedTagSet for tags like py2.py3-none-any.',
    });
  }
  return tags[0] as Tag;
}

/**
 * Expands a compressed tag set (`py2.py3-none-any`) into every tag it stands for, in the order
 * written (interpreter, then abi, then platform), without duplicates.
 */
export function parseCompressedTagSet(text: string): Tag[] {
  const [interpreters, abis, platforms] = splitTagText(text);
  const seen = new Set<string>();
  const tags: Tag[] = [];
  for (const interpreter of splitComponent(text, interpreters, 'interpreter')) {
    for (const abi of splitComponent(text, abis, 'abi')) {
      for (const platform of splitComponent(text, platforms, 'platform')) {
        const tag = { interpreter, abi, platform };
        const key = tagToString(tag);
        if (!seen.has(key)) {
          seen.add(key);
          tags.push(tag);
        }
      }
    }
  }
  return tags;
}

function defaultCpythonAbis([major, minor]: [number, number]): string[] {
  // Before 3.8 CPython builds defaulted to pymalloc, which shows in the ABI tag as `m`.
  return [major === 3 && minor < 8 ? `cp${major}${minor}m` : `cp${major}${minor}`];
}

function isFreeThreadedAbi(abi: string | undefined): boolean {
  const flags = abi === undefined ? null : /^cp\d+([a-z]*)$/.exec(abi);
  return flags !== null && (flags[1] ?? '').includes('t');
}

function* cpythonTags(info: InterpreterInfo): Generator<Tag> {
  const [major, minor] = info.pythonVersion;
  const interpreter = `cp${major}${minor}`;
  // abi3 and none get their own, fixed places in the order below, whatever the caller passed.
  const abis = (info.abis ?? defaultCpythonAbis(info.pythonVersion)).filter((abi) => abi !== 'abi3' && abi !== 'none');
  for (const abi of abis) {
    for (const platform of info.platforms) yield { interpreter, abi, platform };
  }
  // The stable ABI exists since 3.2; free-threaded builds cannot load abi3 but have abi3t instead.
  const threaded = isFreeThreadedAbi(abis[0]);
  const hasStableAbi = major > 3 || (major === 3 && minor >= 2);
  const stableAbi = hasStableAbi ? (threaded ? 'abi3t' : 'abi3') : null;
  if (stableAbi !== null) {
    for (const platform of info.platforms) yield { interpreter, abi: stableAbi, platform };
  }
  for (const platform of info.platforms) yield { interpreter, abi: 'none', platform };
  if (stableAbi !== null) {
    for (let older = minor - 1; older >= 2; older--) {
      for (const platform of info.platforms) yield { interpreter: `cp${major}${older}`, abi: stableAbi, platform };
    }
  }
}

function* genericTags(info: InterpreterInfo): Generator<Tag> {
  const [major, minor] = info.pythonVersion;
  const interpreter = `${info.implementation}${major}${minor}`;
  const abis = [...(info.abis ?? [])];
  if (!abis.includes('none')) abis.push('none');
  for (const abi of abis) {
    for (const platform of info.platforms) yield { interpreter, abi, platform };
  }
}

function pythonVersionsNewestFirst([major, minor]: [number, number]): string[] {
  const versions = [`py${major}${minor}`, `py${major}`];
  for (let older = minor - 1; older >= 0; older--) versions.push(`py${major}${older}`);
  return versions;
}

function* compatibleTags(info: InterpreterInfo, interpreter: string | null): Generator<Tag> {
  const versions = pythonVersionsNewestFirst(info.pythonVersion);
  for (const version of versions) {
    for (const platform of info.platforms) yield { interpreter: version, abi: 'none', platform };
  }
  if (interpreter !== null) yield { interpreter, abi: 'none', platform: 'any' };
  for (const version of versions) yield { interpreter: version, abi: 'none', platform: 'any' };
}

/**
 * Every tag the interpreter accepts, most preferred first, in the same order as
 * `packaging.tags.sys_tags()` would give on that interpreter: interpreter-specific tags
 * (for CPython: own ABI, abi3, none, then abi3 of older minors), then pure-Python tags.
 */
export function supportedTags(info: InterpreterInfo): Tag[] {
  const [major, minor] = info.pythonVersion;
  const implementation = info.implementation.toLowerCase();
  const normalized: InterpreterInfo = {
    ...info,
    implementation,
    abis: info.abis?.map((abi) => abi.toLowerCase()),
    platforms: info.platforms.map((platform) => platform.toLowerCase()),
  };
  const tags: Tag[] = [];
  if (implementation === 'cp') {
    tags.push(...cpythonTags(normalized), ...compatibleTags(normalized, `cp${major}${minor}`));
  } else {
    // PyPy wheels built for "any PyPy 3" say pp3; other implementations have no such shorthand.
    const anyInterpreter = implementation === 'pp' ? `pp${major}` : null;
    tags.push(...genericTags(normalized), ...compatibleTags(normalized, anyInterpreter));
  }
  return tags;
}

/** Returns a lookup from tag to its rank in `supported` (0 = best), or null when unsupported. */
export function tagPriority(supported: Tag[]): (tag: Tag) => number | null {
  const ranks = new Map<string, number>();
  supported.forEach((tag, index) => {
    const key = tagToString(tag);
    // A tag listed twice keeps its better (earlier) rank.
    if (!ranks.has(key)) ranks.set(key, index);
  });
  return (tag) => ranks.get(tagToString(tag)) ?? null;
}

/** Best (lowest) rank among a wheel's tags, or null when none of them is supported. */
export function bestTagRank(wheelTags: Tag[], priority: (tag: Tag) => number | null): number | null {
  let best: number | null = null;
  for (const tag of wheelTags) {
    const rank = priority(tag);
    if (rank !== null && (best === null || rank < best)) best = rank;
  }
  return best;
}
