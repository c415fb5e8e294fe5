import type { Version } from '../standards/version.js';
import type { CandidateVersion, PackageProvider } from './provider.js';

/**
 * A provider wrapper that asks the real provider at most once per question,
 * shares in-flight requests, and can start requests early without anyone
 * waiting on them yet (a failure then surfaces when the answer is awaited).
 */
export interface CachingProvider {
  listVersions(name: string): Promise<CandidateVersion[]>;
  getDependencies(name: string, version: Version): Promise<string[]>;
  /** Starts fetching the version list without waiting. */
  warmVersions(name: string): void;
  /** Starts fetching these releases' dependencies without waiting (and passes the hint on). */
  warmDependencies(name: string, versions: Version[]): void;
  /** The version list if it has already arrived. */
  knownVersions(name: string): CandidateVersion[] | undefined;
  /** How many calls reached the underlying provider. */
  readonly calls: number;
}

export function createCachingProvider(provider: PackageProvider): CachingProvider {
  const versions = new Map<string, Promise<CandidateVersion[]>>();
  const settledVersions = new Map<string, CandidateVersion[]>();
  const dependencies = new Map<string, Promise<string[]>>();
  let calls = 0;

  const listVersions = (name: string): Promise<CandidateVersion[]> => {
    let pending = versions.get(name);
    if (pending === undefined) {
      calls++;
      pending = provider.listVersions(name).then((list) => {
        settledVersions.set(name, list);
        return list;
      });
      // Warmed requests may never be awaited; keep their failure from becoming an unhandled rejection.
      pending.catch(() => {});
      versions.set(name, pending);
    }
    return pending;
  };

  const getDependencies = (name: string, version: Version): Promise<string[]> => {
    const key = `${name}@${version.toString()}`;
    let pending = dependencies.get(key);
    if (pending === undefined) {
      calls++;
      pending = provider.getDependencies(name, version);
      pending.catch(() => {});
      dependencies.set(key, pending);
    }
    return pending;
  };

  return {
    listVersions,
    getDependencies,
    warmVersions: (name) => void listVersions(name),
    warmDependencies: (name, list) => {
      const fresh = list.filter((v) => !dependencies.has(`${name}@${v.toString()}`));
      if (fresh.length === 0) return;
      provider.prefetch?.(name, fresh);
      for (const v of fresh) void getDependencies(name, v);
    },
    knownVersions: (name) => settledVersions.get(name),
    get calls() {
      return calls;
    },
  };
}
