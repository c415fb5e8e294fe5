/**
 * The catalog: every fact the index server knows except file bytes (those
 * live in the BlobStore). Implementations: SQLite (embedded default) and
 * later PostgreSQL; one contract test suite runs against each.
 *
 * Consistency model: every write is one transaction. `serial()` grows with
 * every committed write, including writes made by another process sharing
 * the same store (an admin CLI on `--data DIR` while a server runs), so the
 * server can cache derived pages and notice changes without a restart.
 */

export type IndexKind = 'private' | 'mirror';

export interface IndexRecord {
  id: number;
  owner: string;
  name: string;
  /** `owner/name` */
  path: string;
  /** Paths of the indexes this one inherits from, in priority order. */
  bases: string[];
  kind: IndexKind;
  mirrorUrl: string | null;
  /** Refuses uploads when true. */
  readOnly: boolean;
  /** Anonymous clients may read (simple pages and files). */
  anonymousRead: boolean;
  createdAt: string;
}

export interface NewIndex {
  owner: string;
  name: string;
  bases?: string[];
  kind?: IndexKind;
  mirrorUrl?: string | null;
  readOnly?: boolean;
  anonymousRead?: boolean;
}

export interface ProjectRecord {
  indexId: number;
  /** PEP 503 normalised name. */
  name: string;
  /** The name as first uploaded. */
  displayName: string;
  createdAt: string;
}

export type DistributionKind = 'wheel' | 'sdist';

export interface FileRecord {
  id: number;
  indexId: number;
  /** PEP 503 normalised project name. */
  project: string;
  /** Normalised PEP 440 version string. */
  version: string;
  filename: string;
  kind: DistributionKind;
  sha256: string;
  blake2b256: string | null;
  size: number;
  requiresPython: string | null;
  /** sha256 of the core metadata blob (PEP 658 file), when one was extracted. */
  metadataSha256: string | null;
  yanked: boolean;
  yankedReason: string | null;
  /** ISO 8601 UTC. */
  uploadedAt: string;
  uploader: string | null;
}

export interface NewFile {
  indexId: number;
  project: string;
  projectDisplayName: string;
  version: string;
  filename: string;
  kind: DistributionKind;
  sha256: string;
  blake2b256: string | null;
  size: number;
  requiresPython: string | null;
  metadataSha256: string | null;
  uploadedAt?: string;
  uploader: string | null;
}

export type AddFileResult =
  /** A new row was committed. */
  | { status: 'added'; file: FileRecord }
  /** The same filename with the same sha256 already exists: nothing changed. */
  | { status: 'identical'; file: FileRecord };

export interface UserRecord {
  name: string;
  /** scrypt hash `scrypt$N$r$p$salt$hash`, or null when the user may only use tokens. */
  passwordHash: string | null;
  isAdmin: boolean;
  createdAt: string;
}

export type ScopeAction = 'read' | 'upload' | 'admin';

/** `upload:acme/dev`; index `*` means every index. */
export interface Scope {
  action: ScopeAction;
  index: string;
}

export interface TokenRecord {
  /** Public identifier, part of the token string; safe to show and log. */
  id: string;
  user: string;
  /** sha256 hex of the secret part. The secret itself is never stored. */
  secretHash: string;
  scopes: Scope[];
  description: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  expiresAt: string | null;
}

export type YankTarget = { version: string } | { filename: string };

export interface Catalog {
  /** Grows with every committed write (except `touchToken`), from any process sharing the store. */
  serial(): Promise<number>;

  createIndex(input: NewIndex): Promise<IndexRecord>;
  getIndex(path: string): Promise<IndexRecord | null>;
  listIndexes(): Promise<IndexRecord[]>;
  updateIndex(path: string, patch: Partial<Pick<IndexRecord, 'bases' | 'readOnly' | 'anonymousRead' | 'mirrorUrl'>>): Promise<IndexRecord>;
  /** Removes the index, its projects and file rows (blobs are left for a later sweep). */
  deleteIndex(path: string): Promise<void>;

  listProjects(indexId: number): Promise<ProjectRecord[]>;
  getProject(indexId: number, name: string): Promise<ProjectRecord | null>;
  listFiles(indexId: number, project: string): Promise<FileRecord[]>;
  getFile(indexId: number, filename: string): Promise<FileRecord | null>;
  /** Files of an index with this content, any project. */
  findFilesBySha256(indexId: number, sha256: string): Promise<FileRecord[]>;
  /**
   * Adds a file row (creating the project row when new) in one transaction.
   * Throws PavedError PAVED_E_FILE_EXISTS when the filename exists with other content.
   */
  addFile(input: NewFile): Promise<AddFileResult>;
  /**
   * Sets or clears (reason `null` with yanked false) the yank state of the
   * project's files matching `target`; returns those rows in their new state
   * (also when they already were in it), or `[]` when nothing matches.
   */
  setYanked(indexId: number, project: string, target: YankTarget, yanked: boolean, reason: string | null): Promise<FileRecord[]>;

  createUser(input: { name: string; passwordHash: string | null; isAdmin: boolean }): Promise<UserRecord>;
  getUser(name: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  updateUser(name: string, patch: Partial<Pick<UserRecord, 'passwordHash' | 'isAdmin'>>): Promise<UserRecord>;
  deleteUser(name: string): Promise<void>;

  createToken(input: Omit<TokenRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<TokenRecord>;
  getToken(id: string): Promise<TokenRecord | null>;
  listTokens(user?: string): Promise<TokenRecord[]>;
  revokeToken(id: string): Promise<TokenRecord>;
  /**
   * Records a use of the token (never moving `lastUsedAt` backwards). The one
   * write that does not grow `serial()`: it changes no page, and bumping on
   * it would invalidate every cached page whenever a token is used.
   */
  touchToken(id: string, at: string): Promise<void>;

  close(): Promise<void>;
}
