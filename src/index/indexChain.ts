import { PavedError } from '../errors.js';
import type { Catalog, FileRecord, IndexRecord } from './catalog/catalog.js';

/**
 * An index and everything it inherits, in lookup order: the index itself,
 * then each base depth-first in the order listed. An index reached twice
 * (diamond) counts once, at its first place.
 */
export async function resolveIndexChain(catalog: Catalog, path: string): Promise<IndexRecord[]> {
  const chain: IndexRecord[] = [];
  const seen = new Set<string>();
  const visit = async (p: string, from: string | null): Promise<void> => {
    if (seen.has(p)) return;
    seen.add(p);
    const index = await catalog.getIndex(p);
    if (index === null) {
      if (from === null) throw new PavedError('PAVED_E_INDEX_NOT_FOUND', `no index named '${p}'`, { hint: 'list the indexes with `paved index list`' });
      // A base deleted behind our back: skip it rather than fail every read.
      return;
    }
    chain.push(index);
    for (const base of index.bases) await visit(base, p);
  };
  await visit(path, null);
  return chain;
}

/** Every project visible through the chain: normalised name → display name (first index wins). */
export async function listChainProjects(catalog: Catalog, chain: IndexRecord[]): Promise<Map<string, string>> {
  const projects = new Map<string, string>();
  for (const index of chain) {
    for (const project of await catalog.listProjects(index.id)) {
      if (!projects.has(project.name)) projects.set(project.name, project.displayName);
    }
  }
  return projects;
}

/**
 * The files of one project through the chain: the index's own first, then its
 * bases'; a filename already seen higher in the chain hides the same
 * filename below it.
 */
export async function listChainFiles(catalog: Catalog, chain: IndexRecord[], project: string): Promise<{ displayName: string | null; files: FileRecord[] }> {
  const files: FileRecord[] = [];
  const seen = new Set<string>();
  let displayName: string | null = null;
  for (const index of chain) {
    const record = await catalog.getProject(index.id, project);
    if (record === null) continue;
    displayName ??= record.displayName;
    for (const file of await catalog.listFiles(index.id, project)) {
      if (seen.has(file.filename)) continue;
      seen.add(file.filename);
      files.push(file);
    }
  }
  return { displayName, files };
}

/** The record of a file with this content reachable through the chain, or null. */
export async function findChainFile(catalog: Catalog, chain: IndexRecord[], sha256: string, filename: string): Promise<FileRecord | null> {
  for (const index of chain) {
    for (const file of await catalog.findFilesBySha256(index.id, sha256)) {
      if (file.filename === filename) return file;
    }
  }
  return null;
}
