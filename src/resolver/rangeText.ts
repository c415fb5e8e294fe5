import type { Version } from '../standards/version.js';
import { VersionRange } from '../standards/versionRange.js';

/**
 * Writes a set of versions the way a person would, relative to the
 * versions that exist: {1.0, 1.1} out of 0.9, 1.0, 1.1, 2.0 reads `>=1.0,
 * <2.0`, and the top releases read `>=x`. '' means every known version. A
 * single release stays `==x`; with nothing known the range is written as is.
 */
export function simplifiedRangeText(range: VersionRange, known: readonly Version[]): string {
  if (range.isFull) return '';
  const sorted = [...known].sort((a, b) => a.compare(b));
  const inside = sorted.map((v) => range.contains(v));
  if (!inside.includes(true)) return range.toString();
  if (!inside.includes(false)) return '';
  let result = VersionRange.empty();
  for (let i = 0; i < sorted.length; i++) {
    if (!inside[i]) continue;
    let j = i;
    while (j + 1 < sorted.length && inside[j + 1]) j++;
    const first = sorted[i] as Version;
    let run: VersionRange;
    if (i === j) {
      run = VersionRange.exactly(first);
    } else {
      const lower = i === 0 ? VersionRange.full() : VersionRange.atLeast(first);
      const upper = j === sorted.length - 1 ? VersionRange.full() : VersionRange.below(sorted[j + 1] as Version);
      run = lower.intersect(upper);
    }
    result = result.union(run);
    i = j;
  }
  return result.toString();
}
