import { PavedError } from '../errors.js';
import type { Catalog, IndexRecord } from './catalog/catalog.js';

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
