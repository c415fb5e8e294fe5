import type { Version } from '../standards/version.js';
import { normalizeName } from '../standards/names.js';
import type { CandidateVersion, PackageProvider } from './provider.js';

/** A release fixed in advance (a wheel named by URL or path): the only candidate of its project. */
export interface PinnedCandidate {
  version: Version;
  requiresPython: string | null;
  /** Its Requires-Dist lines (PEP 508, markers included). */
  dependencies: readonly string[];
}

/**
 * Wraps `provider` so each pinned project has exactly one release, with the dependencies its
 * own metadata declares, and the index is never asked about it. This is how a direct URL
 * requirement joins resolution: every other requirement on that project must then be met by
 * the pinned version, or resolution fails with the usual derivation.
 */
export function withPinnedCandidates(provider: PackageProvider, pins: ReadonlyMap<string, PinnedCandidate>): PackageProvider {
  const byName = new Map([...pins].map(([name, pin]) => [normalizeName(name), pin]));
  if (byName.size === 0) return provider;
  const candidateOf = (pin: PinnedCandidate): CandidateVersion => ({ version: pin.version, yanked: false, requiresPython: pin.requiresPython });
  const wrapped: PackageProvider = {
    async listVersions(name) {
      const pin = byName.get(normalizeName(name));
      return pin === undefined ? provider.listVersions(name) : [candidateOf(pin)];
    },
    async getDependencies(name, version) {
      const pin = byName.get(normalizeName(name));
      if (pin === undefined) return provider.getDependencies(name, version);
      return pin.version.equals(version) ? [...pin.dependencies] : [];
    },
  };
  if (provider.prefetch !== undefined) {
    const prefetch = provider.prefetch.bind(provider);
    wrapped.prefetch = (name, versions) => {
      if (!byName.has(normalizeName(name))) prefetch(name, versions);
    };
  }
  return wrapped;
}
