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
  /**
   * Normalised name prefixes (e.g. `acme-`) that never come from a mirror in
   * any chain through this index, even before the first private upload
   * (dependency-confusion guard, in the spirit of PEP 752).
   */
  reservedPrefixes: string[];
  /**
   * Names this private index holds but still lets merge with the releases of
   * mirrors below it. Any other name it holds hides the mirrors' releases.
   */
  mergeNames: string[];
  /** How long a mirror trusts a fetched upstream page before revalidating. */
  mirrorTtlSeconds: number;
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
  reservedPrefixes?: string[];
  mergeNames?: string[];
  mirrorTtlSeconds?: number;
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

export type IndexPatch = Partial<Pick<IndexRecord, 'bases' | 'readOnly' | 'anonymousRead' | 'mirrorUrl' | 'reservedPrefixes' | 'mergeNames' | 'mirrorTtlSeconds'>>;

/** One version of an index's policy file; the newest is in force. */
export interface PolicyRecord {
  indexId: number;
  version: number;
  format: 'toml' | 'yaml';
  text: string;
  author: string;
  createdAt: string;
}

/** An admin's decision on a project, a release or one file, overriding heuristics. */
export interface ApprovalRecord {
  id: number;
  indexId: number;
  project: string;
  /** null: every version. */
  version: string | null;
  /** null: every file of the version. */
  filename: string | null;
  action: 'allow' | 'block';
  by: string;
  reason: string;
  at: string;
}

/** One line of the append-only audit log: who did what, when, why. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  index: string | null;
  project: string | null;
  version: string | null;
  filename: string | null;
  reason: string | null;
  details: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { at?: string };

export interface AuditQuery {
  index?: string;
  project?: string;
  actor?: string;
  action?: string;
  /** ISO time: entries at or after. */
  since?: string;
  limit?: number;
}

/** Findings of the content scanner for one blob (content never changes, so neither do they). */
export interface ScanRecord {
  sha256: string;
  scannerVersion: string;
  findings: unknown[];
  scannedAt: string;
  /**
   * The file's core metadata (METADATA / PKG-INFO text) read during the scan, so rules that need
   * it (licences) can still judge a file that was held and therefore never stored.
   */
  metadata?: string | null;
}

/** A mirror's cached copy of an upstream project page. */
export interface MirrorPageRecord {
  indexId: number;
  project: string;
  status: 'ok' | 'not-found';
  /** The upstream page as simple-API model JSON (ProjectPage), when status is ok. */
  pageJson: string | null;
  etag: string | null;
  lastModified: string | null;
  /** When the content last changed. */
  fetchedAt: string;
  /** When it was last confirmed with the upstream. */
  checkedAt: string;
}

/** The last verdict computed for a file, kept for the quarantine queue. */
export interface VerdictRecord {
  indexId: number;
  project: string;
  version: string;
  filename: string;
  action: 'allow' | 'quarantine' | 'block';
  until: string | null;
  findings: unknown[];
  evaluatedAt: string;
}

export type YankTarget = { version: string } | { filename: string };

export interface Catalog {
  /** Grows with every committed write (except `touchToken`), from any process sharing the store. */
  serial(): Promise<number>;

  createIndex(input: NewIndex): Promise<IndexRecord>;
  getIndex(path: string): Promise<IndexRecord | null>;
  listIndexes(): Promise<IndexRecord[]>;
  updateIndex(path: string, patch: IndexPatch): Promise<IndexRecord>;
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

  /** Stores a new version of an index's policy (bumps the serial). */
  setPolicy(indexId: number, input: { format: 'toml' | 'yaml'; text: string; author: string }): Promise<PolicyRecord>;
  /** The policy in force, or a given version; null when none was ever set. */
  getPolicy(indexId: number, version?: number): Promise<PolicyRecord | null>;
  listPolicies(indexId: number): Promise<Omit<PolicyRecord, 'text'>[]>;

  addApproval(input: Omit<ApprovalRecord, 'id' | 'at'>): Promise<ApprovalRecord>;
  listApprovals(indexId: number, project?: string): Promise<ApprovalRecord[]>;

  /** Appends to the audit log; entries can never be changed or removed. */
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  queryAudit(query: AuditQuery): Promise<AuditEntry[]>;

  getScan(sha256: string, scannerVersion: string): Promise<ScanRecord | null>;
  putScan(record: ScanRecord): Promise<void>;

  getMirrorPage(indexId: number, project: string): Promise<MirrorPageRecord | null>;
  /** Stores a fetched page; bumps the serial only when `changed` (content differs from before). */
  putMirrorPage(record: MirrorPageRecord, changed: boolean): Promise<void>;
  listMirrorPages(indexId: number): Promise<Pick<MirrorPageRecord, 'project' | 'status' | 'fetchedAt'>[]>;

  putVerdicts(records: VerdictRecord[]): Promise<void>;
  /** Held verdicts (quarantine or block) of one index or all, newest first. */
  listVerdicts(filter: { indexId?: number; project?: string; actions?: VerdictRecord['action'][] }): Promise<VerdictRecord[]>;

  close(): Promise<void>;
}
