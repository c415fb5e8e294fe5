/**
 * Adapts an index client to the resolver's `PackageProvider` for one target interpreter: a
 * release exists for the resolver only when at least one of its wheels fits the target's tags,
 * and its dependencies come from the best of those wheels. Releases that have only sdists (or
 * only wheels for other platforms) are skipped and remembered, so a caller can say why a
 * version the user expected was never considered. With a `buildMetadata` callback, a release
 * whose sdist is its only usable file is offered too, its dependencies read from the sdist's
 * (possibly built) metadata.
 */
import type { CoreMetadata } from '../standards/coreMetadata.js';
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
  /**
   * The best wheel of a release for the target (fewest tag compromises, then newest build), or
   * null. With `allowedSha256` (hashes a requirements file pins), the best of the wheels that have
   * one of them, as pip lets hashes choose among a release's files; the best of all when none has.
   */
  bestWheel(name: string, version: Version, allowedSha256?: readonly string[]): Promise<IndexFile | null>;
  /** Releases never offered to the resolver, in the order they were met. */
  skipped(): SkippedRelease[];
  /** Projects no index (nor find-links folder) has at all, in the order they were asked for. */
  notFound(): string[];
  /** The sdist of a release (non-yanked first), or null; only known with `buildMetadata`. */
  bestSdist(name: string, version: Version): Promise<IndexFile | null>;
  /** Every file of a release (all platforms, sdist included) and the index that served the project, for a lockfile. */
  releaseFiles(name: string, version: Version): Promise<{ index: string | null; files: IndexFile[] }>;
}

/** Options for `createIndexPackageProvider`. */
export interface IndexPackageProviderOptions {
  /**
   * The target interpreter's supported tags, best first; or null for a universal lock, where a
   * release with a wheel for any platform counts and its dependencies come from its most
   * generic wheel (pure Python first).
   */
  tags: Tag[] | null;
  /**
   * The core metadata of an sdist (from its PKG-INFO under PEP 643, or built). When given, a
   * release with no usable wheel but an sdist is offered, its dependencies from this metadata.
   */
  buildMetadata?: (sdist: IndexFile) => Promise<CoreMetadata>;
}

/** What a failed resolution adds about projects no index has: most often a misspelt name or a missing index. */
export function notFoundNote(names: readonly string[]): { note: string; hint: string } | null {
  if (names.length === 0) return null;
  const one = names.length === 1;
  return {
    note: `\n${names.join(', ')} ${one ? 'is' : 'are'} not on any index (nor in any find-links folder) this command used.`,
    hint: `Check the spelling of ${names.join(', ')}, or add the index that has ${one ? 'it' : 'them'} (--extra-index-url, or extra-index-url in [tool.paved]).`,
  };
}

/** Universal mode's order of wheels for reading metadata: pure `py3-none-any` first, then the rest by name. */
function genericRank(file: IndexFile): number {
  if (file.parsed.kind !== 'wheel') return 3;
  const tags = file.parsed.tags;
  if (tags.some((t) => t.abi === 'none' && t.platform === 'any')) return 0;
  if (tags.some((t) => t.platform === 'any')) return 1;
  return 2;
}

interface Release {
  version: Version;
  /** Compatible wheels, best first. */
  wheels: IndexFile[];
  /** Every file of the release as the index listed it. */
  files: IndexFile[];
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
  const priority = options.tags === null ? null : tagPriority(options.tags);
  const releases = new Map<string, Promise<Map<string, Release>>>();
  const skipped: SkippedRelease[] = [];
  const notFound: string[] = [];
  const indexOf = new Map<string, string | null>();
  // Sdists by name and version, kept only when they can be built (`buildMetadata`).
  const sdists = new Map<string, Map<string, { version: Version; sdist: IndexFile }>>();
  const noteSdist = (name: string, version: Version, file: IndexFile): void => {
    let byVersion = sdists.get(name);
    if (byVersion === undefined) sdists.set(name, (byVersion = new Map()));
    const seen = byVersion.get(version.toString());
    if (seen === undefined || (seen.sdist.yanked !== false && file.yanked === false)) byVersion.set(version.toString(), { version, sdist: file });
  };

  const loadReleases = async (name: string): Promise<Map<string, Release>> => {
    const project = await client.getProject(name);
    indexOf.set(name, project.index);
    if (project.index === null && project.files.length === 0) notFound.push(name);
    const byVersion = new Map<string, { version: Version; wheels: { file: IndexFile; rank: number }[]; files: IndexFile[]; hasSdist: boolean; hasWheel: boolean }>();
    for (const file of project.files) {
      const version = tryParseVersion(file.version);
      if (version === null) continue;
      const key = version.toString();
      let entry = byVersion.get(key);
      if (entry === undefined) {
        entry = { version, wheels: [], files: [], hasSdist: false, hasWheel: false };
        byVersion.set(key, entry);
      }
      entry.files.push(file);
      if (file.parsed.kind === 'sdist') {
        entry.hasSdist = true;
        if (options.buildMetadata !== undefined) noteSdist(name, version, file);
        continue;
      }
      entry.hasWheel = true;
      const rank = priority === null ? genericRank(file) : bestTagRank(file.parsed.tags, priority);
      if (rank !== null) entry.wheels.push({ file, rank });
    }
    const usable = new Map<string, Release>();
    for (const [key, entry] of byVersion) {
      if (entry.wheels.length === 0) {
        if (sdists.get(name)?.has(key) === true) continue;
        skipped.push({ name: project.name, version: key, reason: entry.hasWheel ? 'no-compatible-wheel' : 'sdist-only' });
        continue;
      }
      usable.set(key, { version: entry.version, wheels: entry.wheels.sort(compareWheels).map((w) => w.file), files: entry.files });
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

  const bestWheel = async (name: string, version: Version, allowedSha256?: readonly string[]): Promise<IndexFile | null> => {
    const wheels = (await releasesOf(name)).get(version.toString())?.wheels ?? [];
    const pinned = allowedSha256 === undefined || allowedSha256.length === 0 ? undefined : wheels.find((w) => w.sha256 !== null && allowedSha256.includes(w.sha256));
    return pinned ?? wheels[0] ?? null;
  };

  return {
    async listVersions(name) {
      const list: CandidateVersion[] = [];
      for (const release of (await releasesOf(name)).values()) {
        // PEP 592: a release is yanked when every file of it is; its best wheel speaks for it.
        const best = release.wheels[0] as IndexFile;
        const allYanked = release.wheels.every((w) => w.yanked !== false);
        list.push({ version: release.version, yanked: allYanked ? best.yanked : false, requiresPython: best.requiresPython });
      }
      const withWheels = await releasesOf(name);
      for (const [key, { version, sdist }] of sdists.get(name) ?? []) {
        if (!withWheels.has(key)) list.push({ version, yanked: sdist.yanked, requiresPython: sdist.requiresPython });
      }
      return list.sort((a, b) => compareVersions(b.version, a.version));
    },
    async getDependencies(name, version) {
      const wheel = await bestWheel(name, version);
      if (wheel === null) {
        const sdist = sdists.get(name)?.get(version.toString())?.sdist;
        return sdist === undefined || options.buildMetadata === undefined ? [] : (await options.buildMetadata(sdist)).requiresDist;
      }
      return (await client.getMetadata(wheel)).requiresDist;
    },
    bestWheel,
    skipped: () => [...skipped],
    notFound: () => [...notFound],
    async bestSdist(name, version) {
      await releasesOf(name);
      return sdists.get(name)?.get(version.toString())?.sdist ?? null;
    },
    async releaseFiles(name, version) {
      const release = (await releasesOf(name)).get(version.toString());
      return { index: indexOf.get(name) ?? null, files: release?.files ?? [] };
    },
  };
}
