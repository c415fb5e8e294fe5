import { parseDistributionFilename } from '../standards/distributionFilename.js';
import { tryParseVersion } from '../standards/version.js';
import type { ProjectPage, SimpleFile } from '../standards/simpleApi.js';
import type { Catalog, FileRecord, IndexRecord } from './catalog/catalog.js';
import type { MirrorPages } from './mirror/mirrorPages.js';

/** One file as an index chain offers it: stored in paved, or known from a mirror's upstream page. */
export interface ViewFile {
  /** The index the file belongs to (a private index, or the mirror it comes through). */
  index: IndexRecord;
  project: string;
  version: string;
  filename: string;
  sha256: string;
  size: number | null;
  requiresPython: string | null;
  /** Upload time (for mirrors: the upstream's, PEP 700), null when unknown. */
  uploadTime: string | null;
  yanked: false | true | string;
  /** The stored row, once the bytes are in paved's store. */
  stored: FileRecord | null;
  /** Where a mirror fetches the file from, when not stored yet. */
  upstreamUrl: string | null;
  /** The upstream serves a PEP 658 metadata file for it. */
  upstreamMetadata: false | true | Record<string, string>;
}

export interface ProjectView {
  displayName: string;
  files: ViewFile[];
  /** Set when a mirror's upstream failed and its last copy is used. */
  stale: string | null;
  /**
   * Epoch ms when the first upstream page this view used must be revalidated (its check time
   * plus the mirror's TTL); null when no mirror page was used. A rendering of the view is good
   * until then: the upstream may publish without paved's catalog changing.
   */
  freshUntil: number | null;
}

/**
 * Whether mirrors in this chain may serve `project`: not when a private
 * index of the chain holds the name (unless it lets the name merge), nor
 * when the name falls under a prefix any index of the chain reserves. This
 * is the dependency-confusion guard: an internal name never resolves to a
 * public package.
 */
export async function mirrorsMayServe(catalog: Catalog, chain: IndexRecord[], project: string): Promise<boolean> {
  for (const index of chain) {
    if (index.reservedPrefixes.some((prefix) => project.startsWith(prefix))) return false;
  }
  for (const index of chain) {
    if (index.kind !== 'private') continue;
    if ((await catalog.getProject(index.id, project)) !== null && !index.mergeNames.includes(project)) return false;
  }
  return true;
}

/**
 * Everything the chain offers for one project, before policy: private files
 * (own index first), then mirror files from upstream pages. A filename seen
 * earlier in the chain hides the same filename later. Returns null when no
 * index of the chain knows the project.
 */
export async function buildProjectView(catalog: Catalog, mirrors: MirrorPages, chain: IndexRecord[], project: string): Promise<ProjectView | null> {
  const files: ViewFile[] = [];
  const seen = new Set<string>();
  let displayName: string | null = null;
  let stale: string | null = null;
  let freshUntil: number | null = null;
  const mirrorsAllowed = chain.some((i) => i.kind === 'mirror') ? await mirrorsMayServe(catalog, chain, project) : false;

  for (const index of chain) {
    if (index.kind === 'mirror') {
      if (!mirrorsAllowed) continue;
      const page = await mirrors.load(index, project);
      if (page.status === 'not-found') continue;
      if (page.stale) stale ??= page.reason;
      const until = Date.parse(page.checkedAt) + index.mirrorTtlSeconds * 1000;
      freshUntil = freshUntil === null ? until : Math.min(freshUntil, until);
      displayName ??= page.page.name;
      const stored = new Map((await catalog.listFiles(index.id, project)).map((f) => [f.filename, f]));
      for (const entry of page.page.files) {
        if (seen.has(entry.filename)) continue;
        const file = fromUpstream(index, project, entry, stored.get(entry.filename) ?? null);
        if (file === null) continue;
        seen.add(file.filename);
        files.push(file);
      }
      continue;
    }
    const record = await catalog.getProject(index.id, project);
    if (record === null) continue;
    displayName ??= record.displayName;
    for (const file of await catalog.listFiles(index.id, project)) {
      if (seen.has(file.filename)) continue;
      seen.add(file.filename);
      files.push(fromStored(index, file));
    }
  }
  return displayName === null ? null : { displayName, files, stale, freshUntil };
}

function fromStored(index: IndexRecord, file: FileRecord): ViewFile {
  return {
    index,
    project: file.project,
    version: file.version,
    filename: file.filename,
    sha256: file.sha256,
    size: file.size,
    requiresPython: file.requiresPython,
    uploadTime: file.uploadedAt,
    yanked: file.yanked ? (file.yankedReason ?? true) : false,
    stored: file,
    upstreamUrl: null,
    upstreamMetadata: false,
  };
}

/** A mirror file from its upstream entry; null for files paved cannot vouch for (no sha256, unparseable name). */
function fromUpstream(index: IndexRecord, project: string, entry: SimpleFile, stored: FileRecord | null): ViewFile | null {
  const sha256 = entry.hashes['sha256']?.toLowerCase();
  if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) return null;
  let version: string;
  try {
    const parsed = parseDistributionFilename(entry.filename, project);
    version = parsed.version;
  } catch {
    return null;
  }
  if (stored !== null && stored.sha256 !== sha256) {
    // Upstream replaced a file paved already holds: keep serving what was vetted.
    return fromStored(index, stored);
  }
  return {
    index,
    project,
    version,
    filename: entry.filename,
    sha256,
    size: stored?.size ?? entry.size,
    requiresPython: stored?.requiresPython ?? entry.requiresPython,
    // Only the upstream knows when a release was published; our fetch time is not it.
    uploadTime: entry.uploadTime,
    yanked: entry.yanked,
    stored,
    upstreamUrl: entry.url,
    upstreamMetadata: entry.coreMetadata,
  };
}

/** Rebuilds the simple-API model of a view's visible files for one requested index. */
export function viewToPage(view: ProjectView, unsorted: ViewFile[], fileBase: string, projectStatus: ProjectPage['projectStatus']): ProjectPage {
  const visible = [...unsorted].sort(compareViewFiles);
  return {
    name: view.displayName,
    apiVersion: '1.4',
    versions: [...new Set(visible.map((f) => f.version))],
    files: visible.map((f) => ({
      filename: f.filename,
      url: `${fileBase}+f/${f.sha256}/${encodeURIComponent(f.filename)}`,
      hashes: { sha256: f.sha256 },
      requiresPython: f.requiresPython,
      yanked: f.yanked,
      coreMetadata: f.stored?.metadataSha256 != null ? { sha256: f.stored.metadataSha256 } : f.stored === null && f.filename.endsWith('.whl') ? (f.upstreamMetadata === false ? true : f.upstreamMetadata) : false,
      size: f.size,
      uploadTime: f.uploadTime,
    })),
    projectStatus,
  };
}

/** Oldest version first, then by filename: the order pages list files in. */
function compareViewFiles(a: ViewFile, b: ViewFile): number {
  if (a.version !== b.version) {
    const va = tryParseVersion(a.version);
    const vb = tryParseVersion(b.version);
    if (va !== null && vb !== null) {
      const c = va.compare(vb);
      if (c !== 0) return c;
    } else if (va === null && vb !== null) return -1;
    else if (va !== null && vb === null) return 1;
    else return a.version < b.version ? -1 : 1;
  }
  return a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0;
}
