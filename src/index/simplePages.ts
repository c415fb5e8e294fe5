import type { ProjectList, ProjectPage, SimpleFile } from '../standards/simpleApi.js';
import { SIMPLE_API_VERSION } from '../standards/simpleApi.js';
import { tryParseVersion } from '../standards/version.js';
import type { FileRecord } from './catalog/catalog.js';

/**
 * Builds the simple-API model of one project from catalog rows. `fileBase`
 * is the URL prefix (relative to the page) under which the index serves
 * files' index URL, e.g. `../../`, so pages keep working behind a reverse proxy that
 * mounts paved under a sub-path.
 */
export function buildProjectPage(displayName: string, files: FileRecord[], fileBase: string): ProjectPage {
  const sorted = [...files].sort(compareFiles);
  const versions: string[] = [];
  const seenVersions = new Set<string>();
  for (const file of sorted) {
    if (!seenVersions.has(file.version)) {
      seenVersions.add(file.version);
      versions.push(file.version);
    }
  }
  return {
    name: displayName,
    apiVersion: SIMPLE_API_VERSION,
    versions,
    files: sorted.map((file) => toSimpleFile(file, fileBase)),
    projectStatus: null,
  };
}

/** The simple-API model of an index's project list. */
export function buildProjectList(projects: Map<string, string>): ProjectList {
  const names = [...projects.values()].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  return { apiVersion: SIMPLE_API_VERSION, projects: names.map((name) => ({ name })) };
}

/** The path of a file below an index's URL: `+f/<sha256>/<filename>`. */
export function filePath(file: Pick<FileRecord, 'sha256' | 'filename'>): string {
  return `+f/${file.sha256}/${encodeURIComponent(file.filename)}`;
}

function toSimpleFile(file: FileRecord, fileBase: string): SimpleFile {
  return {
    filename: file.filename,
    url: fileBase + filePath(file),
    hashes: { sha256: file.sha256 },
    requiresPython: file.requiresPython,
    yanked: file.yanked ? (file.yankedReason ?? true) : false,
    coreMetadata: file.metadataSha256 === null ? false : { sha256: file.metadataSha256 },
    size: file.size,
    uploadTime: file.uploadedAt,
  };
}

function compareFiles(a: FileRecord, b: FileRecord): number {
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
