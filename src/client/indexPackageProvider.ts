/**
 * Adapts an index client to the resolver's `PackageProvider` for one target interpreter: a
 * release exists for the resolver only when at least one of its wheels fits the target's tags,
 * and its dependencies come from the best of those wheels. Releases that have only sdists (or
 * only wheels for other platforms) are skipped and remembered, so a caller can say why a
 * version the user expected was never considered. Building sdists comes later.
 */
import { bestTagRank, tagPriority, type Tag } from '../standards/tags.js';
import { compareVersions, tryParseVersion, type Version } from '../standards/version.js';
import type { CandidateVersion, PackageProvider } from '../resolver/provider.js';
import type { IndexClient, IndexFile } from './indexClient/indexClient.js';

/** A release the provider kept from the resolver, and why. */
export interface SkippedRelease {
  name: string;
  version: string;
  reason: 'sdist-only' | 'no-compatible-wheel';
}

/** A `PackageProvider` that also knows which wheel to install for each release it offered. */
export interface IndexPackageProvider extends PackageProvider {
  /** The best wheel of a release for the target (fewest tag compromises, then newest build), or null. */
  bestWheel(name: string, version: Version): Promise<IndexFile | null>;
  /** Releases never offered to the resolver, in the order they were met. */
  skipped(): SkippedRelease[];
}

/** Options for `createIndexPackageProvider`. */
export interface IndexPackageProviderOptions {
  /** The target interpreter's supported tags, best first. */
  tags: Tag[];
}

interface Release {
  version: Version;
  /** Compatible wheels, best first. */
  wheels: IndexFile[];
}

function compareWheels(a: { file: IndexFile; rank: number }, b: { file: IndexFile; rank: number }): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  // A yanked file is only the choice when nothing else fits.
  const ay = a.file.yanked === false ? 0 : 1;
  const by = b.file.yanked === false ? 0 : 1;
  if (ay !== by) return ay - by;
  const abuild = a.file.parsed.kind === 'wheel' ? (a.file.parsed.buildTag?.number ?? -1) : -1;
  const bbuild = b.file.parsed.kind === 'wheel' ? (b.file.parsed.buildTag?.number ?? -1) : -1;
  if (abuild !== bbuild) return bbuild - abuild;
  return a.file.filename < b.file.filename ? -1 : a.file.filename > b.file.filename ? 1 : 0;
}

/** Creates the provider; every answer comes from `client` (which caches pages and metadata). */
export function createIndexPackageProvider(client: IndexClient, options: IndexPackageProviderOptions): IndexPackageProvider {
  const priority = tagPriority(options.tags);
  const releases = new Map<string, Promise<Map<string, Release>>>();
  const skipped: SkippedRelease[] = [];

  const loadReleases = async (name: string): Promise<Map<string, Release>> => {
    const project = await client.getProject(name);
    const byVersion = new Map<string, { version: Version; wheels: { file: IndexFile; rank: number }[]; hasSdist: boolean; hasWheel: boolean }>();
    for (const file of project.files) {
      const version = tryParseVersion(file.version);
      if (version === null) continue;
      const key = version.toString();
      let entry = byVersion.get(key);
      if (entry === undefined) {
        entry = { version, wheels: [], hasSdist: false, hasWheel: false };
        byVersion.set(key, entry);
      }
      if (file.parsed.kind === 'sdist') {
        entry.hasSdist = true;
        continue;
      }
      entry.hasWheel = true;
      const rank = bestTagRank(file.parsed.tags, priority);
      if (rank !== null) entry.wheels.push({ file, rank });
    }
    const usable = new Map<string, Release>();
    for (const [key, entry] of byVersion) {
      if (entry.wheels.length === 0) {
        skipped.push({ name: project.name, version: key, reason: entry.hasWheel ? 'no-compatible-wheel' : 'sdist-only' });
        continue;
      }
      usable.set(key, { version: entry.version, wheels: entry.wheels.sort(compareWheels).map((w) => w.file) });
    }
    return usable;
  };

  const releasesOf = (name: string): Promise<Map<string, Release>> => {
    let pending = releases.get(name);
    if (pending === undefined) {
      pending = loadReleases(name);
      releases.set(name, pending);
      pending.catch(() => releases.delete(name));
    }
    return pending;
  };

  const bestWheel = async (name: string, version: Version): Promise<IndexFile | null> => (await releasesOf(name)).get(version.toString())?.wheels[0] ?? null;

  return {
    async listVersions(name) {
      const list: CandidateVersion[] = [];
      for (const release of (await releasesOf(name)).values()) {
        // PEP 592: a release is yanked when every file of it is; its best wheel speaks for it.
        const best = release.wheels[0] as IndexFile;
        const allYanked = release.wheels.every((w) => w.yanked !== false);
        list.push({ version: release.version, yanked: allYanked ? best.yanked : false, requiresPython: best.requiresPython });
      }
      return list.sort((a, b) => compareVersions(b.version, a.version));
    },
    async getDependencies(name, version) {
      const wheel = await bestWheel(name, version);
      if (wheel === null) return [];
      return (await client.getMetadata(wheel)).requiresDist;
    },
    bestWheel,
    skipped: () => [...skipped],
  };
}
