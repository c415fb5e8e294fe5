/**
 * Typosquatting: a project name that imitates a popular one (`reqeusts`, `djnago`,
 * `python-requests`, `pythondateutil`, `rnatplotlib`) is how malware most often reaches a
 * developer who mistypes an install command.
 *
 * The detector is built once from the popular list and answers per name in microseconds: the
 * edit-distance check uses a symmetric-deletion index (every string reachable from a protected
 * name by deleting up to its allowed distance of characters), so a query generates its own few
 * deletions and verifies only the names that share one, instead of comparing against thousands.
 */
import { PavedError } from '../../errors.js';
import { normalizeName } from '../../standards/names.js';

/** Why a name looks like a squat of a popular one. */
export type TyposquatTechnique =
  | 'transposition'
  | 'repeated-character'
  | 'omitted-character'
  | 'inserted-character'
  | 'substitution'
  | 'homoglyph'
  | 'separator'
  | 'affix'
  | 'edit-distance';

/** The popular project a name imitates. */
export interface TyposquatMatch {
  /** Normalised name of the popular project. */
  target: string;
  technique: TyposquatTechnique;
  /** Optimal-string-alignment distance between the two normalised names. */
  distance: number;
}

/** Checks one project name; null when it imitates nothing (or is itself popular). */
export type TyposquatDetector = (name: string) => TyposquatMatch | null;

/** How the detector is built. */
export interface TyposquatOptions {
  /** The first N names of the list are protected (default 5000); all names of the list are trusted. */
  protectCount?: number;
  /** Fixed largest edit distance; default by length: none below 4 characters, 1 up to 9, 2 from 10. */
  maxDistance?: number | null;
  /** Names never flagged. */
  exempt?: readonly string[];
}

const MAX_CSV_BYTES = 16 * 1024 * 1024;
const MAX_QUERY_LENGTH = 100;
// Edit distance on very short names matches too much to mean anything (`six` vs `sip`).
const MIN_EDIT_TARGET_LENGTH = 4;
// Stripping an affix must leave something recognisable: `numpy` minus `py` is not `num`'s twin.
const MIN_AFFIX_CORE_LENGTH = 4;
const AFFIXES = ['python3', 'python', 'py3', 'py'];

/**
 * Reads the popular-packages CSV (`download_count,project` with a header line, as published by
 * hugovk/top-pypi-packages) into normalised names ordered by downloads, most first. Rows that are
 * not `number,name` are skipped.
 */
export function loadPopularPackages(csvText: string): string[] {
  if (csvText.length > MAX_CSV_BYTES) {
    throw new PavedError('PAVED_E_INVALID_POPULAR_LIST', `the popular-packages list is larger than ${MAX_CSV_BYTES} bytes`, {
      hint: 'Use a download_count,project CSV of the top PyPI projects (tens of thousands of rows at most).',
    });
  }
  const rows: { downloads: number; name: string; order: number }[] = [];
  const seen = new Set<string>();
  const lines = csvText.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const match = /^\s*"?(\d+)"?\s*,\s*"?([A-Za-z0-9][A-Za-z0-9._-]*)"?\s*$/.exec(lines[i] as string);
    if (match === null) continue;
    const name = normalizeName(match[2] as string);
    if (seen.has(name)) continue;
    seen.add(name);
    rows.push({ downloads: Number(match[1]), name, order: i });
  }
  rows.sort((a, b) => b.downloads - a.downloads || a.order - b.order);
  return rows.map((row) => row.name);
}

/** Optimal string alignment distance (Damerau-Levenshtein without repeated edits of one substring). */
export function damerauLevenshtein(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let prevPrev = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (prevPrev[j - 2] as number) + 1);
      cur[j] = best;
    }
    [prevPrev, prev, cur] = [prev, cur, prevPrev];
  }
  return prev[m] as number;
}

/**
 * OSA distance when it is at most `max`, else some number above `max`. Stops as soon as two
 * consecutive rows exceed `max` (a transposition looks two rows back). Uses the caller's scratch
 * rows so a query allocates nothing per comparison.
 */
function boundedDistance(a: string, b: string, max: number, rows: [Int32Array, Int32Array, Int32Array]): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = a.length;
  const m = b.length;
  let [prevPrev, prev, cur] = rows;
  for (let j = 0; j <= m; j++) prev[j] = j;
  let prevRowMin = 0;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    const caPrev = i > 1 ? a.charCodeAt(i - 2) : -1;
    for (let j = 1; j <= m; j++) {
      const cb = b.charCodeAt(j - 1);
      let value = (prev[j - 1] as number) + (ca === cb ? 0 : 1);
      const del = (prev[j] as number) + 1;
      const ins = (cur[j - 1] as number) + 1;
      if (del < value) value = del;
      if (ins < value) value = ins;
      if (j > 1 && ca === b.charCodeAt(j - 2) && caPrev === cb) {
        const swap = (prevPrev[j - 2] as number) + 1;
        if (swap < value) value = swap;
      }
      cur[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max && prevRowMin > max) return max + 1;
    prevRowMin = rowMin;
    const recycled = prevPrev;
    prevPrev = prev;
    prev = cur;
    cur = recycled;
  }
  return prev[m] as number;
}

/** Which of a-z, any digit, `-` occur: each edit changes at most two bits, so a cheap necessary test for closeness. */
function charMask(name: string): number {
  let mask = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) mask |= 1 << (c - 0x61);
    else if (c >= 0x30 && c <= 0x39) mask |= 1 << 26;
    else mask |= 1 << 27;
  }
  return mask;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function withoutSeparators(name: string): string {
  return name.replace(/-/g, '');
}

/** Visual lookalikes folded to one spelling: `rn`→`m`, `vv`→`w`, `1`/`i`→`l`, `0`→`o`. */
function foldHomoglyphs(name: string): string {
  return name.replace(/rn/g, 'm').replace(/vv/g, 'w').replace(/[1i]/g, 'l').replace(/0/g, 'o');
}

/** The name with a py/python affix removed at either end (separators already gone). */
function affixCores(compact: string): string[] {
  const cores: string[] = [];
  for (const affix of AFFIXES) {
    if (compact.startsWith(affix)) cores.push(compact.slice(affix.length));
    if (compact.endsWith(affix)) cores.push(compact.slice(0, -affix.length));
  }
  return cores.filter((core) => core.length >= MIN_AFFIX_CORE_LENGTH);
}

function classifyEdit(candidate: string, target: string, distance: number): TyposquatTechnique {
  if (distance !== 1) return 'edit-distance';
  if (candidate.length === target.length) {
    let i = 0;
    while (candidate[i] === target[i]) i++;
    if (candidate[i + 1] === target[i] && candidate[i] === target[i + 1] && candidate.slice(i + 2) === target.slice(i + 2)) return 'transposition';
    const pair = [candidate[i], target[i]].sort().join('');
    return pair === '1l' || pair === '0o' || pair === 'il' ? 'homoglyph' : 'substitution';
  }
  if (candidate.length === target.length + 1) {
    let i = 0;
    while (i < target.length && candidate[i] === target[i]) i++;
    const extra = candidate[i];
    return extra === candidate[i - 1] || extra === candidate[i + 1] ? 'repeated-character' : 'inserted-character';
  }
  return 'omitted-character';
}

/**
 * Builds a detector over `popular` (normalised or not, ordered by downloads). A name is flagged
 * when it is not in the list at all, not exempt, and imitates one of the first `protectCount`
 * names by edit distance (≤ 1, ≤ 2 for names of 10+ characters), separators added or removed,
 * py/python prefixes or suffixes added or removed, or visual lookalikes. When several popular
 * names match, the closest wins, then the most downloaded.
 */
export function createTyposquatDetector(popular: readonly string[], options: TyposquatOptions = {}): TyposquatDetector {
  const protectCount = options.protectCount ?? 5000;
  const trusted = new Set(popular.map(normalizeName));
  const exempt = new Set((options.exempt ?? []).map(normalizeName));
  const targets = [...new Set(popular.map(normalizeName))].slice(0, protectCount);

  const allowedDistance = (target: string): number => {
    if (options.maxDistance !== undefined && options.maxDistance !== null) {
      return target.length < MIN_EDIT_TARGET_LENGTH ? 0 : options.maxDistance;
    }
    if (target.length < MIN_EDIT_TARGET_LENGTH) return 0;
    return target.length >= 10 ? 2 : 1;
  };

  // key → indices of targets (ranks), in rank order because targets are added in rank order.
  const byDeletion = new Map<string, number[]>();
  const bySeparatorless = new Map<string, number[]>();
  const byHomoglyph = new Map<string, number[]>();
  const byCore = new Map<string, number[]>();
  // Targets allowed more than one edit, by length: few enough to compare directly (an index of
  // their two-deletion neighbourhoods would hold ~600 000 strings).
  const farByLength = new Map<number, number[]>();
  const add = <K>(map: Map<K, number[]>, key: K, rank: number): void => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [rank]);
    else if (list[list.length - 1] !== rank) list.push(rank);
  };
  targets.forEach((target, rank) => {
    const compact = withoutSeparators(target);
    add(bySeparatorless, compact, rank);
    add(byHomoglyph, foldHomoglyphs(compact), rank);
    add(byCore, compact, rank);
    for (const core of affixCores(compact)) add(byCore, core, rank);
    const allowed = allowedDistance(target);
    if (allowed >= 1) {
      add(byDeletion, target, rank);
      for (let i = 0; i < target.length; i++) {
        if (i > 0 && target[i] === target[i - 1]) continue;
        add(byDeletion, target.slice(0, i) + target.slice(i + 1), rank);
      }
    }
    if (allowed >= 2) add(farByLength, target.length, rank);
  });
  const maxAllowed = targets.reduce((max, target) => Math.max(max, allowedDistance(target)), 0);
  const masks = Int32Array.from(targets, charMask);
  const rowLength = MAX_QUERY_LENGTH + maxAllowed + 2;
  const rows: [Int32Array, Int32Array, Int32Array] = [new Int32Array(rowLength), new Int32Array(rowLength), new Int32Array(rowLength)];

  return (rawName: string): TyposquatMatch | null => {
    if (rawName.length === 0 || rawName.length > MAX_QUERY_LENGTH) return null;
    const name = normalizeName(rawName);
    if (trusted.has(name) || exempt.has(name)) return null;

    // Deliberate-looking disguises (separators, affixes, lookalikes) beat plain edits: `yaml` is
    // pyyaml without its prefix, not yarl with a typo. Then the closest, then the most downloaded.
    let best: { rank: number; tier: number; technique: TyposquatTechnique; distance: number } | null = null;
    const consider = (rank: number, kind: 'disguise' | 'edit', technique: TyposquatTechnique, distance: number): void => {
      const tier = kind === 'disguise' ? 0 : 1;
      if (best === null || tier < best.tier || (tier === best.tier && (distance < best.distance || (distance === best.distance && rank < best.rank)))) {
        best = { rank, tier, technique, distance };
      }
    };

    const compact = withoutSeparators(name);
    for (const rank of bySeparatorless.get(compact) ?? []) {
      consider(rank, 'disguise', 'separator', damerauLevenshtein(name, targets[rank] as string));
    }
    for (const rank of byHomoglyph.get(foldHomoglyphs(compact)) ?? []) {
      const target = targets[rank] as string;
      if (withoutSeparators(target) !== compact) consider(rank, 'disguise', 'homoglyph', damerauLevenshtein(name, target));
    }
    for (const key of [compact, ...affixCores(compact)]) {
      for (const rank of byCore.get(key) ?? []) {
        const target = targets[rank] as string;
        if (withoutSeparators(target) !== compact) consider(rank, 'disguise', 'affix', damerauLevenshtein(name, target));
      }
    }

    // Within one edit, a name and a target share a string after at most one deletion each.
    const checked = new Set<number>();
    const nameMask = charMask(name);
    const tryEdit = (rank: number): void => {
      if (checked.has(rank)) return;
      checked.add(rank);
      const target = targets[rank] as string;
      const allowed = allowedDistance(target);
      if (popcount(nameMask ^ (masks[rank] as number)) > 2 * allowed) return;
      const distance = boundedDistance(name, target, allowed, rows);
      if (distance === 0 || distance > allowed) return;
      consider(rank, 'edit', classifyEdit(name, target, distance), distance);
    };
    const lookup = (key: string): void => {
      for (const rank of byDeletion.get(key) ?? []) tryEdit(rank);
    };
    lookup(name);
    for (let i = 0; i < name.length; i++) {
      if (i > 0 && name[i] === name[i - 1]) continue;
      lookup(name.slice(0, i) + name.slice(i + 1));
    }
    for (let length = name.length - maxAllowed; length <= name.length + maxAllowed; length++) {
      for (const rank of farByLength.get(length) ?? []) tryEdit(rank);
    }

    if (best === null) return null;
    const found: { rank: number; tier: number; technique: TyposquatTechnique; distance: number } = best;
    return { target: targets[found.rank] as string, technique: found.technique, distance: found.distance };
  };
}
