/**
 * The PEP 751 lockfile (`pylock.toml`) as data. `paved lock` builds one, `paved sync`,
 * `export`, `tree`, `download --lock` and `audit --lock` read one. Field names follow the
 * PEP in camelCase; the TOML spelling is kebab-case (`lock-version`, `upload-time`, …).
 * Nothing here does I/O; see `pylock.ts` for parsing and writing.
 */

/** A file's hashes by algorithm name (`sha256` always present in locks paved writes). */
export type LockHashes = Record<string, string>;

/** One `[[packages.wheels]]` entry or the `[packages.sdist]` table. */
export interface LockedFile {
  /** The file name; PEP 751 allows it to be left out when the URL or path ends with it. */
  name: string | null;
  /** Where the file was found, never with credentials. */
  url: string | null;
  /** A local path (relative to the lock's directory) instead of a URL. */
  path: string | null;
  /** RFC 3339 upload time when the index gave one. */
  uploadTime: string | null;
  size: number | null;
  hashes: LockHashes;
}

/** One `[[packages.dependencies]]` entry: enough to identify the package it points at. */
export interface LockedDependency {
  name: string;
  /** Given when the lock has several entries of `name` (different versions under different markers). */
  version?: string;
}

/** One `[[packages]]` entry. */
export interface LockedPackage {
  /** Normalised project name. */
  name: string;
  /** Null only for direct URL, directory or VCS sources (paved never writes those). */
  version: string | null;
  /** When present, the package is installed only where this PEP 508 marker holds (may use `extras` and `dependency_groups`). */
  marker: string | null;
  requiresPython: string | null;
  /** The simple-API URL of the index the files came from, without credentials. */
  index: string | null;
  /** The packages this one needs (after extras), as the lock's own entries. */
  dependencies: LockedDependency[];
  wheels: LockedFile[];
  sdist: LockedFile | null;
  /** Set when the entry uses a source paved cannot install from a lock (`vcs`, `directory`, `archive`). */
  otherSource: 'vcs' | 'directory' | 'archive' | null;
  /** The `vcs` / `directory` / `archive` table itself, kept as read so a rewrite loses nothing. */
  otherSourceTable?: Record<string, unknown>;
  /** PEP 751 `attestation-identities`, kept as read. */
  attestationIdentities?: Record<string, unknown>[];
  /** The entry's `[packages.tool]` table, kept as read. */
  tool: Record<string, unknown>;
}

/** What `paved lock` records to tell later whether pyproject.toml still matches the lock (`sync --frozen`). */
export interface PavedLockInputs {
  requiresPython: string | null;
  environments: string[];
  /** `[tool.paved] required-environments`; absent in locks made without it. */
  requiredEnvironments?: string[];
  /** `[project].dependencies`, each normalised by `requirementToString`. */
  dependencies: string[];
  /** `[project.optional-dependencies]`, extras normalised, lists normalised. */
  optionalDependencies: Record<string, string[]>;
  /** Dependency groups (PEP 735) after `include-group` expansion, names normalised. */
  dependencyGroups: Record<string, string[]>;
}

/** A whole lockfile. */
export interface Pylock {
  /** `1.0` for locks paved writes; readers accept 1.x. */
  lockVersion: string;
  /** Markers of the environments the lock is for; null when it is for every environment. */
  environments: string[] | null;
  requiresPython: string | null;
  /** Extras the lock covers (markers refer to them as `"x" in extras`). */
  extras: string[];
  dependencyGroups: string[];
  defaultGroups: string[];
  createdBy: string;
  packages: LockedPackage[];
  /** `[tool.paved.inputs]` when paved wrote the lock. */
  pavedInputs: PavedLockInputs | null;
  /** Every other `[tool.*]` table, kept as read. */
  tool: Record<string, unknown>;
}
