import type { Version } from '../standards/version.js';

/** One release of a project as the index lists it. */
export interface CandidateVersion {
  readonly version: Version;
  /** false, true, or the yank reason (PEP 592). */
  readonly yanked: boolean | string;
  /** The release's Requires-Python (from the index or its metadata), null when it declares none. */
  readonly requiresPython: string | null;
}

/**
 * Where the resolver gets its facts. The real one reads simple-API pages and
 * PEP 658 metadata over the network; tests use tables. The resolver caches
 * every answer and never asks twice for the same thing, and it asks for
 * several packages at once, so implementations should allow concurrent calls.
 */
export interface PackageProvider {
  /** Every release of `name` (normalised), newest first; an empty list when the project does not exist. */
  listVersions(name: string): Promise<CandidateVersion[]>;
  /** The Requires-Dist lines of one release (PEP 508, markers included). */
  getDependencies(name: string, version: Version): Promise<string[]>;
  /** A hint that these releases' dependencies are likely needed soon (start fetching them). */
  prefetch?(name: string, versions: Version[]): void;
}
