// Deterministic generators of PEP 440 versions and specifiers for the property
// and oracle tests (not a test file itself).

/** A small seeded PRNG (mulberry32), so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

export interface VersionShape {
  epoch: boolean;
  pre: boolean;
  post: boolean;
  dev: boolean;
  local: boolean;
}

const ALL: VersionShape = { epoch: true, pre: true, post: true, dev: true, local: true };

/**
 * A normalised version string built from small numbers, so that generated
 * versions collide often (equal releases, neighbouring pre/post/dev numbers).
 */
export function randomVersion(random: () => number, shape: Partial<VersionShape> = {}): string {
  const s = { ...ALL, ...shape };
  let text = '';
  if (s.epoch && random() < 0.1) text += `${pick(random, [1, 2])}!`;
  const length = pick(random, [1, 2, 2, 3, 3, 4]);
  const release: number[] = [];
  for (let i = 0; i < length; i++) release.push(pick(random, [0, 0, 1, 1, 2, 3, 10]));
  text += release.join('.');
  if (s.pre && random() < 0.3) text += `${pick(random, ['a', 'b', 'rc'])}${pick(random, [0, 1, 2])}`;
  if (s.post && random() < 0.25) text += `.post${pick(random, [0, 1, 2])}`;
  if (s.dev && random() < 0.25) text += `.dev${pick(random, [0, 1, 2])}`;
  if (s.local && random() < 0.15) text += `+${pick(random, ['abc', '1', 'abc.5', 'abc.10', '5', 'x.y.2'])}`;
  return text;
}

/** A clause: any operator, with versions each operator allows (no ===). */
export function randomSpecifier(random: () => number): string {
  const op = pick(random, ['==', '!=', '<=', '>=', '<', '>', '~=', '==*', '!=*']);
  if (op === '==*' || op === '!=*') {
    return `${op.slice(0, 2)}${randomVersion(random, { pre: false, post: false, dev: false, local: false })}.*`;
  }
  if (op === '==' || op === '!=') return `${op}${randomVersion(random)}`;
  let version = randomVersion(random, { local: false });
  if (op === '~=' && !/^(?:\d+!)?\d+\.\d+/.test(version)) version = version.replace(/^((?:\d+!)?\d+)/, '$1.0');
  return `${op}${version}`;
}

export function randomSpecifierSet(random: () => number): string {
  const count = pick(random, [0, 1, 1, 2, 2, 3]);
  const clauses: string[] = [];
  for (let i = 0; i < count; i++) clauses.push(randomSpecifier(random));
  return clauses.join(', ');
}

/** Boundary-hugging neighbours of a version: its pre/dev/post/local relatives. */
export function neighbours(version: string): string[] {
  const base = version.replace(/\+.*$/, '');
  const release = base.replace(/^(\d+!)?/, '').match(/^\d+(?:\.\d+)*/)?.[0] ?? '0';
  const epoch = base.match(/^(\d+!)/)?.[1] ?? '';
  const r = `${epoch}${release}`;
  return [
    version,
    base,
    `${base}+abc`,
    `${base}+1`,
    `${r}.dev0`,
    `${r}a0`,
    `${r}rc1`,
    `${r}rc1.post1`,
    `${r}rc2.dev0`,
    `${r}b0`,
    `${r}.post2.dev0`,
    `${r}`,
    `${r}.0`,
    `${r}.post0.dev0`,
    `${r}.post0`,
    `${r}.post1`,
    `${r}.post1+x`,
    `${r}.0.1`,
    `${base}.dev0`.replace(/\.dev\d+\.dev0$/, '.dev0'),
  ];
}
