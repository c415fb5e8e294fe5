import Database from 'better-sqlite3';
import { PavedError } from '../../errors.js';
import type {
  AddFileResult,
  Catalog,
  DistributionKind,
  FileRecord,
  ApprovalRecord,
  AuditEntry,
  AuditQuery,
  IndexKind,
  IndexPatch,
  IndexRecord,
  MirrorPageRecord,
  NewAuditEntry,
  PolicyRecord,
  ScanRecord,
  VerdictRecord,
  NewFile,
  NewIndex,
  ProjectRecord,
  Scope,
  TokenRecord,
  UserRecord,
  YankTarget,
} from './catalog.js';
import { makeIndexPath, parseIndexPath } from './indexName.js';

/**
 * Forward migrations: entry i takes the schema from version i to i+1. Never
 * edit a released entry; append a new one (and test upgrading a v1 file).
 */
const MIGRATIONS: ReadonlyArray<string> = [
  `
  CREATE TABLE serial (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
  );
  INSERT INTO serial (id, value) VALUES (1, 0);

  -- AUTOINCREMENT: ids are never reused, so an id cached before a delete
  -- cannot silently name a different index (or file) afterwards.
  CREATE TABLE indexes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('private', 'mirror')),
    mirror_url TEXT,
    read_only INTEGER NOT NULL DEFAULT 0,
    anonymous_read INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (owner, name)
  );

  -- Bases in a table rather than a JSON column so the database itself
  -- refuses to delete an index something still inherits from.
  CREATE TABLE index_bases (
    index_id INTEGER NOT NULL REFERENCES indexes (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    base_id INTEGER NOT NULL REFERENCES indexes (id) ON DELETE RESTRICT,
    PRIMARY KEY (index_id, position),
    UNIQUE (index_id, base_id)
  );
  CREATE INDEX index_bases_by_base ON index_bases (base_id);

  CREATE TABLE projects (
    index_id INTEGER NOT NULL REFERENCES indexes (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (index_id, name)
  ) WITHOUT ROWID;

  CREATE TABLE files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    index_id INTEGER NOT NULL,
    project TEXT NOT NULL,
    version TEXT NOT NULL,
    filename TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('wheel', 'sdist')),
    sha256 TEXT NOT NULL,
    blake2b256 TEXT,
    size INTEGER NOT NULL,
    requires_python TEXT,
    metadata_sha256 TEXT,
    yanked INTEGER NOT NULL DEFAULT 0,
    yanked_reason TEXT,
    uploaded_at TEXT NOT NULL,
    uploader TEXT,
    UNIQUE (index_id, filename),
    FOREIGN KEY (index_id, project) REFERENCES projects (index_id, name) ON DELETE CASCADE
  );
  -- Also serves the (index_id, project) lookups, already in listing order.
  CREATE INDEX files_by_project ON files (index_id, project, filename);
  CREATE INDEX files_by_sha256 ON files (index_id, sha256);

  CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL, -- JSON array of {"action", "index"}
    description TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT,
    expires_at TEXT
  ) WITHOUT ROWID;
  CREATE INDEX tokens_by_user ON tokens (user_name);
  `,
  `
  ALTER TABLE indexes ADD COLUMN reserved_prefixes TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE indexes ADD COLUMN merge_names TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE indexes ADD COLUMN mirror_ttl_seconds INTEGER NOT NULL DEFAULT 600;

  CREATE TABLE policies (
    index_id INTEGER NOT NULL REFERENCES indexes (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('toml', 'yaml')),
    text TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (index_id, version)
  );

  CREATE TABLE approvals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    index_id INTEGER NOT NULL REFERENCES indexes (id) ON DELETE CASCADE,
    project TEXT NOT NULL,
    version TEXT,
    filename TEXT,
    action TEXT NOT NULL CHECK (action IN ('allow', 'block')),
    by_user TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
  );
  CREATE INDEX approvals_by_project ON approvals (index_id, project);

  -- Append-only: the triggers refuse every change and removal.
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    index_path TEXT,
    project TEXT,
    version TEXT,
    filename TEXT,
    reason TEXT,
    details TEXT NOT NULL
  );
  CREATE INDEX audit_by_project ON audit_log (project, id);
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

  CREATE TABLE scans (
    sha256 TEXT NOT NULL,
    scanner_version TEXT NOT NULL,
    findings TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    PRIMARY KEY (sha256, scanner_version)
  ) WITHOUT ROWID;

  CREATE TABLE mirror_pages (
    index_id INTEGER NOT NULL REFERENCES indexes (id) ON DELETE CASCADE,
    project TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'not-found')),
    page_json TEXT,
    etag TEXT,
    last_modified TEXT,
    fetched_at TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    PRIMARY KEY (index_id, project)
  ) WITHOUT ROWID;

  CREATE TABLE verdicts (
    index_id INTEGER NOT NULL REFERENCES indexes (id) ON DELETE CASCADE,
    project TEXT NOT NULL,
    version TEXT NOT NULL,
    filename TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('allow', 'quarantine', 'block')),
    until TEXT,
    findings TEXT NOT NULL,
    evaluated_at TEXT NOT NULL,
    PRIMARY KEY (index_id, filename)
  ) WITHOUT ROWID;
  CREATE INDEX verdicts_by_action ON verdicts (action, index_id, project);
  `,
  `
  ALTER TABLE scans ADD COLUMN metadata TEXT;
  `,
];

/** The schema version this code writes. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const NORMALIZED_PROJECT = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOKEN_ID = /^[a-z0-9]{4,64}$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
/** Control characters, path separators: never in a distribution filename. */
const FILENAME_FORBIDDEN = /[\u0000-\u001f\u007f/\\]/;

interface IndexRow {
  id: number;
  owner: string;
  name: string;
  kind: IndexKind;
  mirror_url: string | null;
  read_only: number;
  anonymous_read: number;
  reserved_prefixes: string;
  merge_names: string;
  mirror_ttl_seconds: number;
  created_at: string;
}

interface ProjectRow {
  index_id: number;
  name: string;
  display_name: string;
  created_at: string;
}

interface FileRow {
  id: number;
  index_id: number;
  project: string;
  version: string;
  filename: string;
  kind: DistributionKind;
  sha256: string;
  blake2b256: string | null;
  size: number;
  requires_python: string | null;
  metadata_sha256: string | null;
  yanked: number;
  yanked_reason: string | null;
  uploaded_at: string;
  uploader: string | null;
}

interface UserRow {
  name: string;
  password_hash: string | null;
  is_admin: number;
  created_at: string;
}

interface TokenRow {
  id: string;
  user_name: string;
  secret_hash: string;
  scopes: string;
  description: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  expires_at: string | null;
}

function now(): string {
  return new Date().toISOString();
}

function invalid(code: string, message: string, hint?: string): PavedError {
  return new PavedError(code, message, hint === undefined ? {} : { hint });
}

function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 100)) : String(value);
}

function notFound(what: string): PavedError {
  return new PavedError('PAVED_E_NOT_FOUND', `${what} not found`);
}

/** Accepts an ISO 8601 timestamp with a zone and returns it in UTC (`toISOString`). */
function normalizeTimestamp(value: string, field: string): string {
  const ms = typeof value === 'string' && ISO_TIMESTAMP.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw invalid('PAVED_E_INVALID_TIMESTAMP', `Invalid ${field}: ${shown(value)}`, 'Use ISO 8601 with a zone, e.g. 2026-01-31T12:00:00Z.');
  }
  return new Date(ms).toISOString();
}

function checkDigest(value: string | null, field: string, nullable: boolean): void {
  if (value === null && nullable) return;
  if (typeof value !== 'string' || !SHA256_HEX.test(value)) {
    throw invalid('PAVED_E_INVALID_DIGEST', `Invalid ${field}: ${shown(value)}`, 'Digests are 64 lowercase hexadecimal characters.');
  }
}

function checkText(value: unknown, field: string, maxLength: number, nullable: boolean): void {
  if (value === null && nullable) return;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || /[\u0000-\u001f\u007f]/.test(value)) {
    throw invalid('PAVED_E_INVALID_ARGUMENT', `Invalid ${field}: ${shown(value)}`, `Expected 1-${maxLength} printable characters.`);
  }
}

function checkUserName(name: string): void {
  if (typeof name !== 'string' || !USER_NAME.test(name)) {
    throw invalid('PAVED_E_INVALID_USER_NAME', `Invalid user name: ${shown(name)}`, 'Use 1-64 letters, digits, ".", "_" and "-", starting with a letter or digit.');
  }
}

function checkScopes(scopes: Scope[]): Scope[] {
  if (!Array.isArray(scopes)) throw invalid('PAVED_E_INVALID_SCOPE', 'Token scopes must be a list');
  return scopes.map((scope) => {
    const action: unknown = scope?.action;
    const index: unknown = scope?.index;
    if (action !== 'read' && action !== 'upload' && action !== 'admin') {
      throw invalid('PAVED_E_INVALID_SCOPE', `Invalid scope action: ${shown(action)}`, 'Use read, upload or admin.');
    }
    if (index === '*') return { action, index };
    const path = typeof index === 'string' ? parseIndexPath(index) : null;
    if (path === null) throw invalid('PAVED_E_INVALID_SCOPE', `Invalid scope index: ${shown(index)}`, "Use 'owner/name' or '*'.");
    return { action, index: path.path };
  });
}

function parseStoredScopes(json: string): Scope[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? checkScopes(value as Scope[]) : [];
}

function parseStringList(json: string): string[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Normalised project names or name prefixes (a prefix may end in '-'). */
function checkNameList(values: readonly string[], field: string): string[] {
  if (!Array.isArray(values) || values.length > 1000) throw invalid('PAVED_E_INVALID_ARGUMENT', `${field} must be a list of at most 1000 names`);
  return [...new Set(values.map((v) => {
    const n = typeof v === 'string' ? v.toLowerCase().replace(/[-_.]+/g, '-') : '';
    if (!/^[a-z0-9](?:[a-z0-9-]{0,199})$/.test(n)) throw invalid('PAVED_E_INVALID_ARGUMENT', `Invalid entry in ${field}: ${shown(v)}`, 'Use project names or prefixes such as acme-.');
    return n;
  }))];
}

function checkTtl(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 365 * 86400) throw invalid('PAVED_E_INVALID_ARGUMENT', `Invalid mirror TTL: ${shown(value)}`, 'Use 0 to 31536000 seconds.');
  return value;
}

function sqliteCode(error: unknown): string | undefined {
  return error instanceof Database.SqliteError ? error.code : undefined;
}

function toFile(row: FileRow): FileRecord {
  return {
    id: row.id,
    indexId: row.index_id,
    project: row.project,
    version: row.version,
    filename: row.filename,
    kind: row.kind,
    sha256: row.sha256,
    blake2b256: row.blake2b256,
    size: row.size,
    requiresPython: row.requires_python,
    metadataSha256: row.metadata_sha256,
    yanked: row.yanked !== 0,
    yankedReason: row.yanked_reason,
    uploadedAt: row.uploaded_at,
    uploader: row.uploader,
  };
}

function toProject(row: ProjectRow): ProjectRecord {
  return { indexId: row.index_id, name: row.name, displayName: row.display_name, createdAt: row.created_at };
}

function toUser(row: UserRow): UserRecord {
  return { name: row.name, passwordHash: row.password_hash, isAdmin: row.is_admin !== 0, createdAt: row.created_at };
}

function toToken(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    user: row.user_name,
    secretHash: row.secret_hash,
    scopes: parseStoredScopes(row.scopes),
    description: row.description,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    expiresAt: row.expires_at,
  };
}

const FILE_COLUMNS =
  'id, index_id, project, version, filename, kind, sha256, blake2b256, size, requires_python, metadata_sha256, yanked, yanked_reason, uploaded_at, uploader';

/**
 * The embedded catalog: one SQLite file, shared safely by several processes
 * (a server and an admin CLI on the same data directory).
 *
 * Durability: WAL with `synchronous=FULL`, so every commit is fsynced to the
 * WAL before it returns. With NORMAL a commit becomes visible to readers but
 * can be lost on power failure until the next checkpoint — a client could
 * be told "uploaded" for a file that then vanishes, which our rule "nothing
 * visible before durable" forbids. The cost is one fsync per write, and
 * writes are rare next to reads.
 *
 * Every write runs in a `BEGIN IMMEDIATE` transaction (the write lock is
 * taken up front, so two processes never deadlock upgrading read locks) and
 * bumps the `serial` row when it changes anything readers can see.
 * `touchToken` deliberately does not: a last-used stamp changes no page, and
 * bumping on it would invalidate every cached simple page each time a token
 * is used.
 */
export class SqliteCatalog implements Catalog {
  private readonly db: Database.Database;
  private readonly readonly: boolean;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly serialCacheMs: number;
  private serialCache = { value: -1, at: 0 };

  constructor(file: string, options: { readonly?: boolean; serialCacheMs?: number } = {}) {
    this.readonly = options.readonly === true;
    this.serialCacheMs = options.serialCacheMs ?? 100;
    try {
      this.db = new Database(file, this.readonly ? { readonly: true, fileMustExist: true } : {});
    } catch (error) {
      throw new PavedError('PAVED_E_CATALOG_OPEN', `Cannot open the catalog ${file}: ${error instanceof Error ? error.message : String(error)}`, {
        hint: this.readonly ? 'A read-only catalog must already exist; start the server once to create it.' : 'Check that the data directory exists and is writable.',
        cause: error,
      });
    }
    try {
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('foreign_keys = ON');
      if (!this.readonly) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = FULL');
      }
      this.migrate();
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  private migrate(): void {
    if (this.readonly) {
      const version = this.schemaVersion();
      if (version !== SQLITE_SCHEMA_VERSION) {
        throw new PavedError('PAVED_E_CATALOG_VERSION', `The catalog has schema version ${version}; this paved reads version ${SQLITE_SCHEMA_VERSION}`, {
          hint: version < SQLITE_SCHEMA_VERSION ? 'Open it read-write once (start the server) to upgrade it.' : 'Upgrade paved.',
        });
      }
      return;
    }
    this.db
      .transaction(() => {
        this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
        const row = this.db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
        if (row === undefined) this.db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
        const version = row?.version ?? 0;
        if (version > SQLITE_SCHEMA_VERSION) {
          throw new PavedError('PAVED_E_CATALOG_VERSION', `The catalog has schema version ${version}, newer than this paved knows (${SQLITE_SCHEMA_VERSION})`, {
            hint: 'Upgrade paved; an older version must not write to a newer catalog.',
          });
        }
        for (let v = version; v < SQLITE_SCHEMA_VERSION; v++) {
          this.db.exec(MIGRATIONS[v] as string);
        }
        if (version !== SQLITE_SCHEMA_VERSION) {
          this.db.prepare('UPDATE schema_version SET version = ?').run(SQLITE_SCHEMA_VERSION);
        }
      })
      .immediate();
  }

  private schemaVersion(): number {
    const table = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
    if (table === undefined) return 0;
    const row = this.db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    return row?.version ?? 0;
  }

  private stmt(sql: string): Database.Statement {
    if (!this.db.open) throw new PavedError('PAVED_E_CATALOG_CLOSED', 'The catalog is closed');
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` in one IMMEDIATE transaction; `fn` calls `bump()` when it changed what readers see. */
  private write<T>(fn: (bump: () => void) => T): T {
    if (this.readonly) throw new PavedError('PAVED_E_CATALOG_READONLY', 'The catalog was opened read-only');
    if (!this.db.open) throw new PavedError('PAVED_E_CATALOG_CLOSED', 'The catalog is closed');
    try {
      return this.db
        .transaction(() => {
          let changed = false;
          const result = fn(() => {
            changed = true;
          });
          // Once per transaction: the serial counts commits, not rows.
          if (changed) {
            this.stmt('UPDATE serial SET value = value + 1 WHERE id = 1').run();
            this.serialCache.at = 0;
          }
          return result;
        })
        .immediate();
    } catch (error) {
      const code = sqliteCode(error);
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
        throw new PavedError('PAVED_E_CATALOG_BUSY', 'The catalog is locked by another process', {
          hint: 'Another paved process held the write lock for more than 5 seconds; retry.',
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Cached for `serialCacheMs` (default 100 ms): the read runs on every
   * request of the server, and was a tenth of the cost of serving a cached
   * page. Our own writes reset the cache at once; writes by another process
   * (an admin CLI on the same data directory) are seen within that time.
   */
  async serial(): Promise<number> {
    const t = this.serialCacheMs > 0 ? Date.now() : 0;
    if (this.serialCacheMs > 0 && t - this.serialCache.at < this.serialCacheMs) return this.serialCache.value;
    const row = this.stmt('SELECT value FROM serial WHERE id = 1').get() as { value: number };
    this.serialCache = { value: row.value, at: t };
    return row.value;
  }

  // ---- indexes ----

  private indexRowByPath(path: string): IndexRow | undefined {
    const parsed = parseIndexPath(path);
    if (parsed === null) return undefined;
    return this.stmt('SELECT * FROM indexes WHERE owner = ? AND name = ?').get(parsed.owner, parsed.name) as IndexRow | undefined;
  }

  private requireIndexRow(path: string): IndexRow {
    const row = this.indexRowByPath(path);
    if (row === undefined) throw notFound(`Index ${shown(path)}`);
    return row;
  }

  private basesOf(indexId: number): string[] {
    const rows = this.stmt(
      `SELECT i.owner || '/' || i.name AS path FROM index_bases b JOIN indexes i ON i.id = b.base_id
       WHERE b.index_id = ? ORDER BY b.position`,
    ).all(indexId) as Array<{ path: string }>;
    return rows.map((row) => row.path);
  }

  private toIndex(row: IndexRow, bases: string[]): IndexRecord {
    return {
      id: row.id,
      owner: row.owner,
      name: row.name,
      path: `${row.owner}/${row.name}`,
      bases,
      kind: row.kind,
      mirrorUrl: row.mirror_url,
      readOnly: row.read_only !== 0,
      anonymousRead: row.anonymous_read !== 0,
      reservedPrefixes: parseStringList(row.reserved_prefixes),
      mergeNames: parseStringList(row.merge_names),
      mirrorTtlSeconds: row.mirror_ttl_seconds,
      createdAt: row.created_at,
    };
  }

  /** Resolves base paths to ids (deduplicated, order kept); PAVED_E_NOT_FOUND names the missing ones. */
  private resolveBases(bases: readonly string[]): number[] {
    if (!Array.isArray(bases)) throw invalid('PAVED_E_INVALID_ARGUMENT', 'bases must be a list of index paths');
    const ids: number[] = [];
    const missing: string[] = [];
    for (const base of bases) {
      const row = typeof base === 'string' ? this.indexRowByPath(base) : undefined;
      if (row === undefined) missing.push(String(base));
      else if (!ids.includes(row.id)) ids.push(row.id);
    }
    if (missing.length > 0) {
      throw new PavedError('PAVED_E_NOT_FOUND', `Base index not found: ${missing.map(shown).join(', ')}`, {
        hint: 'Create the base indexes first.',
        details: { missing },
      });
    }
    return ids;
  }

  private setBases(indexId: number, baseIds: readonly number[]): void {
    this.stmt('DELETE FROM index_bases WHERE index_id = ?').run(indexId);
    baseIds.forEach((baseId, position) => {
      this.stmt('INSERT INTO index_bases (index_id, position, base_id) VALUES (?, ?, ?)').run(indexId, position, baseId);
    });
  }

  async createIndex(input: NewIndex): Promise<IndexRecord> {
    const { owner, name, path } = makeIndexPath(input.owner, input.name);
    const kind = input.kind ?? 'private';
    if (kind !== 'private' && kind !== 'mirror') throw invalid('PAVED_E_INVALID_ARGUMENT', `Invalid index kind: ${shown(kind)}`, 'Use private or mirror.');
    const mirrorUrl = input.mirrorUrl ?? null;
    checkText(mirrorUrl, 'mirror URL', 2048, true);
    return this.write((bump) => {
      if (this.indexRowByPath(path) !== undefined) {
        throw new PavedError('PAVED_E_INDEX_EXISTS', `Index ${path} already exists`, { hint: 'Choose another name, or update the existing index.' });
      }
      const baseIds = this.resolveBases(input.bases ?? []);
      const result = this.stmt(
        `INSERT INTO indexes (owner, name, kind, mirror_url, read_only, anonymous_read, reserved_prefixes, merge_names, mirror_ttl_seconds, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        owner,
        name,
        kind,
        mirrorUrl,
        input.readOnly === true ? 1 : 0,
        input.anonymousRead === true ? 1 : 0,
        JSON.stringify(checkNameList(input.reservedPrefixes ?? [], 'reserved prefixes')),
        JSON.stringify(checkNameList(input.mergeNames ?? [], 'merge names')),
        checkTtl(input.mirrorTtlSeconds ?? 600),
        now(),
      );
      const id = Number(result.lastInsertRowid);
      this.setBases(id, baseIds);
      bump();
      return this.toIndex(this.stmt('SELECT * FROM indexes WHERE id = ?').get(id) as IndexRow, this.basesOf(id));
    });
  }

  async getIndex(path: string): Promise<IndexRecord | null> {
    const row = this.indexRowByPath(path);
    return row === undefined ? null : this.toIndex(row, this.basesOf(row.id));
  }

  async listIndexes(): Promise<IndexRecord[]> {
    const rows = this.stmt('SELECT * FROM indexes ORDER BY owner, name').all() as IndexRow[];
    const bases = this.stmt(
      `SELECT b.index_id AS indexId, i.owner || '/' || i.name AS path FROM index_bases b JOIN indexes i ON i.id = b.base_id
       ORDER BY b.index_id, b.position`,
    ).all() as Array<{ indexId: number; path: string }>;
    const byIndex = new Map<number, string[]>();
    for (const base of bases) {
      const list = byIndex.get(base.indexId) ?? [];
      list.push(base.path);
      byIndex.set(base.indexId, list);
    }
    return rows.map((row) => this.toIndex(row, byIndex.get(row.id) ?? []));
  }

  async updateIndex(path: string, patch: IndexPatch): Promise<IndexRecord> {
    if (patch.mirrorUrl !== undefined) checkText(patch.mirrorUrl, 'mirror URL', 2048, true);
    return this.write((bump) => {
      const row = this.requireIndexRow(path);
      if (patch.bases !== undefined) {
        const baseIds = this.resolveBases(patch.bases);
        this.checkNoCycle(row, baseIds);
        this.setBases(row.id, baseIds);
      }
      if (patch.readOnly !== undefined) this.stmt('UPDATE indexes SET read_only = ? WHERE id = ?').run(patch.readOnly ? 1 : 0, row.id);
      if (patch.anonymousRead !== undefined) this.stmt('UPDATE indexes SET anonymous_read = ? WHERE id = ?').run(patch.anonymousRead ? 1 : 0, row.id);
      if (patch.mirrorUrl !== undefined) this.stmt('UPDATE indexes SET mirror_url = ? WHERE id = ?').run(patch.mirrorUrl, row.id);
      if (patch.reservedPrefixes !== undefined) {
        this.stmt('UPDATE indexes SET reserved_prefixes = ? WHERE id = ?').run(JSON.stringify(checkNameList(patch.reservedPrefixes, 'reserved prefixes')), row.id);
      }
      if (patch.mergeNames !== undefined) this.stmt('UPDATE indexes SET merge_names = ? WHERE id = ?').run(JSON.stringify(checkNameList(patch.mergeNames, 'merge names')), row.id);
      if (patch.mirrorTtlSeconds !== undefined) this.stmt('UPDATE indexes SET mirror_ttl_seconds = ? WHERE id = ?').run(checkTtl(patch.mirrorTtlSeconds), row.id);
      bump();
      return this.toIndex(this.stmt('SELECT * FROM indexes WHERE id = ?').get(row.id) as IndexRow, this.basesOf(row.id));
    });
  }

  /** Throws PAVED_E_INDEX_CYCLE when `index` would reach itself through `baseIds`. */
  private checkNoCycle(index: IndexRow, baseIds: readonly number[]): void {
    const seen = new Set<number>();
    const queue = [...baseIds];
    while (queue.length > 0) {
      const id = queue.shift() as number;
      if (id === index.id) {
        throw new PavedError('PAVED_E_INDEX_CYCLE', `Index ${index.owner}/${index.name} would inherit from itself`, {
          hint: 'Bases must form a chain without loops; remove the index from its bases’ bases first.',
        });
      }
      if (seen.has(id)) continue;
      seen.add(id);
      const next = this.stmt('SELECT base_id FROM index_bases WHERE index_id = ?').all(id) as Array<{ base_id: number }>;
      for (const base of next) queue.push(base.base_id);
    }
  }

  async deleteIndex(path: string): Promise<void> {
    this.write((bump) => {
      const row = this.requireIndexRow(path);
      const dependants = (
        this.stmt(
          `SELECT i.owner || '/' || i.name AS path FROM index_bases b JOIN indexes i ON i.id = b.index_id
           WHERE b.base_id = ? ORDER BY i.owner, i.name`,
        ).all(row.id) as Array<{ path: string }>
      ).map((dependant) => dependant.path);
      if (dependants.length > 0) {
        throw new PavedError('PAVED_E_INDEX_IN_USE', `Index ${row.owner}/${row.name} is a base of ${dependants.join(', ')}`, {
          hint: 'Remove it from the bases of those indexes first.',
          details: { dependants },
        });
      }
      this.stmt('DELETE FROM indexes WHERE id = ?').run(row.id);
      bump();
    });
  }

  // ---- projects and files ----

  async listProjects(indexId: number): Promise<ProjectRecord[]> {
    return (this.stmt('SELECT * FROM projects WHERE index_id = ? ORDER BY name').all(indexId) as ProjectRow[]).map(toProject);
  }

  async getProject(indexId: number, name: string): Promise<ProjectRecord | null> {
    const row = this.stmt('SELECT * FROM projects WHERE index_id = ? AND name = ?').get(indexId, name) as ProjectRow | undefined;
    return row === undefined ? null : toProject(row);
  }

  async listFiles(indexId: number, project: string): Promise<FileRecord[]> {
    const rows = this.stmt(`SELECT ${FILE_COLUMNS} FROM files WHERE index_id = ? AND project = ? ORDER BY filename`).all(indexId, project) as FileRow[];
    return rows.map(toFile);
  }

  async getFile(indexId: number, filename: string): Promise<FileRecord | null> {
    const row = this.fileRow(indexId, filename);
    return row === undefined ? null : toFile(row);
  }

  private fileRow(indexId: number, filename: string): FileRow | undefined {
    return this.stmt(`SELECT ${FILE_COLUMNS} FROM files WHERE index_id = ? AND filename = ?`).get(indexId, filename) as FileRow | undefined;
  }

  async findFilesBySha256(indexId: number, sha256: string): Promise<FileRecord[]> {
    const rows = this.stmt(`SELECT ${FILE_COLUMNS} FROM files WHERE index_id = ? AND sha256 = ? ORDER BY filename`).all(indexId, sha256) as FileRow[];
    return rows.map(toFile);
  }

  async addFile(input: NewFile): Promise<AddFileResult> {
    const uploadedAt = this.checkNewFile(input);
    return this.write((bump) => this.insertFile(input, uploadedAt, bump));
  }

  /**
   * Adds many files in one transaction (one fsync): for importing an existing
   * index. Same rules and results as `addFile`, in input order; one conflict
   * rolls back the whole batch.
   */
  async addFiles(inputs: readonly NewFile[]): Promise<AddFileResult[]> {
    const times = inputs.map((input) => this.checkNewFile(input));
    return this.write((bump) => inputs.map((input, i) => this.insertFile(input, times[i] as string, bump)));
  }

  /** Validates a new file row; returns its upload time. */
  private checkNewFile(input: NewFile): string {
    if (typeof input.project !== 'string' || input.project.length > 200 || !NORMALIZED_PROJECT.test(input.project)) {
      throw invalid('PAVED_E_INVALID_PROJECT_NAME', `Not a normalized project name: ${shown(input.project)}`, 'Pass the PEP 503 normalized name (lowercase, runs of -_. as one -).');
    }
    checkText(input.projectDisplayName, 'project name', 200, false);
    checkText(input.version, 'version', 128, false);
    if (
      typeof input.filename !== 'string' ||
      input.filename.length === 0 ||
      input.filename.length > 255 ||
      input.filename.startsWith('.') ||
      FILENAME_FORBIDDEN.test(input.filename)
    ) {
      throw invalid('PAVED_E_INVALID_FILENAME', `Invalid file name: ${shown(input.filename)}`);
    }
    if (input.kind !== 'wheel' && input.kind !== 'sdist') throw invalid('PAVED_E_INVALID_ARGUMENT', `Invalid distribution kind: ${shown(input.kind)}`);
    checkDigest(input.sha256, 'sha256', false);
    checkDigest(input.blake2b256, 'blake2b-256 digest', true);
    checkDigest(input.metadataSha256, 'metadata sha256', true);
    if (!Number.isSafeInteger(input.size) || input.size < 0) throw invalid('PAVED_E_INVALID_ARGUMENT', `Invalid file size: ${shown(input.size)}`);
    checkText(input.requiresPython, 'Requires-Python', 1000, true);
    checkText(input.uploader, 'uploader', 200, true);
    return input.uploadedAt === undefined ? now() : normalizeTimestamp(input.uploadedAt, 'upload time');
  }

  private insertFile(input: NewFile, uploadedAt: string, bump: () => void): AddFileResult {
    const existing = this.fileRow(input.indexId, input.filename);
    if (existing !== undefined) {
      if (existing.sha256 === input.sha256) return { status: 'identical', file: toFile(existing) };
      throw new PavedError('PAVED_E_FILE_EXISTS', `File already exists: ${input.filename}`, {
        hint: 'A file name can only be used once, even after deletion; publish a new version (or a wheel build number) instead.',
        details: { filename: input.filename },
      });
    }
    if (this.stmt('SELECT 1 FROM indexes WHERE id = ?').get(input.indexId) === undefined) throw notFound(`Index #${input.indexId}`);
    this.stmt('INSERT OR IGNORE INTO projects (index_id, name, display_name, created_at) VALUES (?, ?, ?, ?)').run(
      input.indexId,
      input.project,
      input.projectDisplayName,
      uploadedAt,
    );
    const result = this.stmt(
      `INSERT INTO files (index_id, project, version, filename, kind, sha256, blake2b256, size, requires_python, metadata_sha256, uploaded_at, uploader)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      input.indexId,
      input.project,
      input.version,
      input.filename,
      input.kind,
      input.sha256,
      input.blake2b256,
      input.size,
      input.requiresPython,
      input.metadataSha256,
      uploadedAt,
      input.uploader,
    );
    bump();
    const row = this.stmt(`SELECT ${FILE_COLUMNS} FROM files WHERE id = ?`).get(Number(result.lastInsertRowid)) as FileRow;
    return { status: 'added', file: toFile(row) };
  }

  async setYanked(indexId: number, project: string, target: YankTarget, yanked: boolean, reason: string | null): Promise<FileRecord[]> {
    const storedReason = yanked ? reason : null;
    checkText(storedReason === '' ? null : storedReason, 'yank reason', 1000, true);
    const byVersion = 'version' in target;
    const key = byVersion ? target.version : target.filename;
    const where = `index_id = ? AND project = ? AND ${byVersion ? 'version' : 'filename'} = ?`;
    return this.write((bump) => {
      const changed = this.stmt(
        `UPDATE files SET yanked = ?, yanked_reason = ? WHERE ${where} AND (yanked IS NOT ? OR yanked_reason IS NOT ?)`,
      ).run(yanked ? 1 : 0, storedReason, indexId, project, key, yanked ? 1 : 0, storedReason);
      if (changed.changes > 0) bump();
      return (this.stmt(`SELECT ${FILE_COLUMNS} FROM files WHERE ${where} ORDER BY filename`).all(indexId, project, key) as FileRow[]).map(toFile);
    });
  }

  // ---- users ----

  async createUser(input: { name: string; passwordHash: string | null; isAdmin: boolean }): Promise<UserRecord> {
    checkUserName(input.name);
    checkText(input.passwordHash, 'password hash', 1000, true);
    return this.write((bump) => {
      if (this.stmt('SELECT 1 FROM users WHERE name = ?').get(input.name) !== undefined) {
        throw new PavedError('PAVED_E_USER_EXISTS', `User ${input.name} already exists`);
      }
      this.stmt('INSERT INTO users (name, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)').run(
        input.name,
        input.passwordHash,
        input.isAdmin ? 1 : 0,
        now(),
      );
      bump();
      return this.requireUser(input.name);
    });
  }

  private requireUser(name: string): UserRecord {
    const row = this.stmt('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    if (row === undefined) throw notFound(`User ${shown(name)}`);
    return toUser(row);
  }

  async getUser(name: string): Promise<UserRecord | null> {
    const row = this.stmt('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    return row === undefined ? null : toUser(row);
  }

  async listUsers(): Promise<UserRecord[]> {
    return (this.stmt('SELECT * FROM users ORDER BY name').all() as UserRow[]).map(toUser);
  }

  async updateUser(name: string, patch: Partial<Pick<UserRecord, 'passwordHash' | 'isAdmin'>>): Promise<UserRecord> {
    if (patch.passwordHash !== undefined) checkText(patch.passwordHash, 'password hash', 1000, true);
    return this.write((bump) => {
      this.requireUser(name);
      if (patch.passwordHash !== undefined) this.stmt('UPDATE users SET password_hash = ? WHERE name = ?').run(patch.passwordHash, name);
      if (patch.isAdmin !== undefined) this.stmt('UPDATE users SET is_admin = ? WHERE name = ?').run(patch.isAdmin ? 1 : 0, name);
      bump();
      return this.requireUser(name);
    });
  }

  /** Removes the user and all their tokens. */
  async deleteUser(name: string): Promise<void> {
    this.write((bump) => {
      this.requireUser(name);
      this.stmt('DELETE FROM users WHERE name = ?').run(name);
      bump();
    });
  }

  // ---- tokens ----

  async createToken(input: Omit<TokenRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<TokenRecord> {
    if (typeof input.id !== 'string' || !TOKEN_ID.test(input.id)) throw invalid('PAVED_E_INVALID_ARGUMENT', `Invalid token id: ${shown(input.id)}`);
    checkDigest(input.secretHash, 'token secret hash', false);
    const scopes = checkScopes(input.scopes);
    if (typeof input.description !== 'string' || input.description.length > 500) {
      throw invalid('PAVED_E_INVALID_ARGUMENT', 'A token description must be text of at most 500 characters');
    }
    const expiresAt = input.expiresAt === null ? null : normalizeTimestamp(input.expiresAt, 'expiry time');
    return this.write((bump) => {
      this.requireUser(input.user);
      if (this.stmt('SELECT 1 FROM tokens WHERE id = ?').get(input.id) !== undefined) {
        throw new PavedError('PAVED_E_TOKEN_EXISTS', `Token ${input.id} already exists`);
      }
      this.stmt(
        'INSERT INTO tokens (id, user_name, secret_hash, scopes, description, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(input.id, input.user, input.secretHash, JSON.stringify(scopes), input.description, now(), expiresAt);
      bump();
      return this.requireToken(input.id);
    });
  }

  private requireToken(id: string): TokenRecord {
    const row = this.stmt('SELECT * FROM tokens WHERE id = ?').get(id) as TokenRow | undefined;
    if (row === undefined) throw notFound(`Token ${shown(id)}`);
    return toToken(row);
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    const row = this.stmt('SELECT * FROM tokens WHERE id = ?').get(id) as TokenRow | undefined;
    return row === undefined ? null : toToken(row);
  }

  async listTokens(user?: string): Promise<TokenRecord[]> {
    const rows =
      user === undefined
        ? (this.stmt('SELECT * FROM tokens ORDER BY user_name, created_at, id').all() as TokenRow[])
        : (this.stmt('SELECT * FROM tokens WHERE user_name = ? ORDER BY created_at, id').all(user) as TokenRow[]);
    return rows.map(toToken);
  }

  /** Marks a token revoked; revoking again keeps the first revocation time. */
  async revokeToken(id: string): Promise<TokenRecord> {
    return this.write((bump) => {
      this.requireToken(id);
      const result = this.stmt('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now(), id);
      if (result.changes > 0) bump();
      return this.requireToken(id);
    });
  }

  /** Records a use of the token; never moves `lastUsedAt` backwards, and does not bump the serial. */
  async touchToken(id: string, at: string): Promise<void> {
    const stamp = normalizeTimestamp(at, 'last-used time');
    this.write(() => {
      this.requireToken(id);
      this.stmt('UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)').run(stamp, id, stamp);
    });
  }

  // ---- policy, approvals, audit log, scans, mirror pages, verdicts ----

  async setPolicy(indexId: number, input: { format: 'toml' | 'yaml'; text: string; author: string }): Promise<PolicyRecord> {
    if (input.format !== 'toml' && input.format !== 'yaml') throw invalid('PAVED_E_INVALID_ARGUMENT', `Invalid policy format: ${shown(input.format)}`);
    if (typeof input.text !== 'string' || input.text.length > 1024 * 1024) throw invalid('PAVED_E_INVALID_ARGUMENT', 'A policy is text of at most 1 MiB');
    checkText(input.author, 'author', 200, false);
    return this.write((bump) => {
      const row = this.stmt('SELECT COALESCE(MAX(version), 0) AS v FROM policies WHERE index_id = ?').get(indexId) as { v: number };
      const record: PolicyRecord = { indexId, version: row.v + 1, format: input.format, text: input.text, author: input.author, createdAt: now() };
      this.stmt('INSERT INTO policies (index_id, version, format, text, author, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        indexId, record.version, record.format, record.text, record.author, record.createdAt,
      );
      bump();
      return record;
    });
  }

  async getPolicy(indexId: number, version?: number): Promise<PolicyRecord | null> {
    const row = (version === undefined
      ? this.stmt('SELECT * FROM policies WHERE index_id = ? ORDER BY version DESC LIMIT 1').get(indexId)
      : this.stmt('SELECT * FROM policies WHERE index_id = ? AND version = ?').get(indexId, version)) as
      | { index_id: number; version: number; format: 'toml' | 'yaml'; text: string; author: string; created_at: string }
      | undefined;
    if (row === undefined) return null;
    return { indexId: row.index_id, version: row.version, format: row.format, text: row.text, author: row.author, createdAt: row.created_at };
  }

  async listPolicies(indexId: number): Promise<Omit<PolicyRecord, 'text'>[]> {
    const rows = this.stmt('SELECT index_id, version, format, author, created_at FROM policies WHERE index_id = ? ORDER BY version').all(indexId) as Array<{
      index_id: number; version: number; format: 'toml' | 'yaml'; author: string; created_at: string;
    }>;
    return rows.map((r) => ({ indexId: r.index_id, version: r.version, format: r.format, author: r.author, createdAt: r.created_at }));
  }

  async addApproval(input: Omit<ApprovalRecord, 'id' | 'at'>): Promise<ApprovalRecord> {
    if (!NORMALIZED_PROJECT.test(input.project)) throw invalid('PAVED_E_INVALID_PROJECT_NAME', `Invalid project name: ${shown(input.project)}`);
    if (input.action !== 'allow' && input.action !== 'block') throw invalid('PAVED_E_INVALID_ARGUMENT', `Invalid approval action: ${shown(input.action)}`);
    checkText(input.version, 'version', 200, true);
    checkText(input.filename, 'filename', 255, true);
    checkText(input.by, 'approver', 200, false);
    checkText(input.reason, 'reason', 2000, false);
    return this.write((bump) => {
      const at = now();
      const result = this.stmt('INSERT INTO approvals (index_id, project, version, filename, action, by_user, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        input.indexId, input.project, input.version, input.filename, input.action, input.by, input.reason, at,
      );
      bump();
      return { ...input, id: Number(result.lastInsertRowid), at };
    });
  }

  async listApprovals(indexId: number, project?: string): Promise<ApprovalRecord[]> {
    const rows = (project === undefined
      ? this.stmt('SELECT * FROM approvals WHERE index_id = ? ORDER BY id').all(indexId)
      : this.stmt('SELECT * FROM approvals WHERE index_id = ? AND project = ? ORDER BY id').all(indexId, project)) as Array<{
      id: number; index_id: number; project: string; version: string | null; filename: string | null; action: 'allow' | 'block'; by_user: string; reason: string; at: string;
    }>;
    return rows.map((r) => ({ id: r.id, indexId: r.index_id, project: r.project, version: r.version, filename: r.filename, action: r.action, by: r.by_user, reason: r.reason, at: r.at }));
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    checkText(entry.actor, 'actor', 200, false);
    checkText(entry.action, 'action', 100, false);
    const at = entry.at === undefined ? now() : normalizeTimestamp(entry.at, 'audit time');
    const details = JSON.stringify(entry.details ?? {});
    if (details.length > 256 * 1024) throw invalid('PAVED_E_INVALID_ARGUMENT', 'audit details are larger than 256 KiB');
    return this.write(() => {
      const result = this.stmt('INSERT INTO audit_log (at, actor, action, index_path, project, version, filename, reason, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        at, entry.actor, entry.action, entry.index, entry.project, entry.version, entry.filename, entry.reason, details,
      );
      return { ...entry, id: Number(result.lastInsertRowid), at, details: entry.details ?? {} };
    });
  }

  async queryAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.index !== undefined) { where.push('index_path = ?'); args.push(query.index); }
    if (query.project !== undefined) { where.push('project = ?'); args.push(query.project); }
    if (query.actor !== undefined) { where.push('actor = ?'); args.push(query.actor); }
    if (query.action !== undefined) { where.push('action = ?'); args.push(query.action); }
    if (query.since !== undefined) { where.push('at >= ?'); args.push(normalizeTimestamp(query.since, 'since')); }
    const limit = Math.max(1, Math.min(query.limit ?? 100, 10_000));
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`;
    const rows = this.db.prepare(sql).all(...args) as Array<{
      id: number; at: string; actor: string; action: string; index_path: string | null; project: string | null; version: string | null; filename: string | null; reason: string | null; details: string;
    }>;
    return rows.map((r) => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, index: r.index_path, project: r.project, version: r.version, filename: r.filename, reason: r.reason, details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  async getScan(sha256: string, scannerVersion: string): Promise<ScanRecord | null> {
    const row = this.stmt('SELECT * FROM scans WHERE sha256 = ? AND scanner_version = ?').get(sha256, scannerVersion) as
      | { sha256: string; scanner_version: string; findings: string; scanned_at: string; metadata: string | null }
      | undefined;
    return row === undefined
      ? null
      : { sha256: row.sha256, scannerVersion: row.scanner_version, findings: JSON.parse(row.findings) as unknown[], scannedAt: row.scanned_at, metadata: row.metadata };
  }

  async putScan(record: ScanRecord): Promise<void> {
    checkDigest(record.sha256, 'sha256', false);
    // A new scan can change pages: a mirror file listed before its scan drops out once the scan holds it.
    this.write((bump) => {
      this.stmt('INSERT OR REPLACE INTO scans (sha256, scanner_version, findings, scanned_at, metadata) VALUES (?, ?, ?, ?, ?)').run(
        record.sha256, record.scannerVersion, JSON.stringify(record.findings), record.scannedAt, record.metadata ?? null,
      );
      bump();
    });
  }

  async getMirrorPage(indexId: number, project: string): Promise<MirrorPageRecord | null> {
    const row = this.stmt('SELECT * FROM mirror_pages WHERE index_id = ? AND project = ?').get(indexId, project) as
      | { index_id: number; project: string; status: 'ok' | 'not-found'; page_json: string | null; etag: string | null; last_modified: string | null; fetched_at: string; checked_at: string }
      | undefined;
    if (row === undefined) return null;
    return { indexId: row.index_id, project: row.project, status: row.status, pageJson: row.page_json, etag: row.etag, lastModified: row.last_modified, fetchedAt: row.fetched_at, checkedAt: row.checked_at };
  }

  async putMirrorPage(record: MirrorPageRecord, changed: boolean): Promise<void> {
    if (!NORMALIZED_PROJECT.test(record.project)) throw invalid('PAVED_E_INVALID_PROJECT_NAME', `Invalid project name: ${shown(record.project)}`);
    this.write((bump) => {
      this.stmt(
        `INSERT OR REPLACE INTO mirror_pages (index_id, project, status, page_json, etag, last_modified, fetched_at, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(record.indexId, record.project, record.status, record.pageJson, record.etag, record.lastModified, record.fetchedAt, record.checkedAt);
      if (changed) bump();
    });
  }

  async listMirrorPages(indexId: number): Promise<Pick<MirrorPageRecord, 'project' | 'status' | 'fetchedAt'>[]> {
    const rows = this.stmt('SELECT project, status, fetched_at FROM mirror_pages WHERE index_id = ? ORDER BY project').all(indexId) as Array<{
      project: string; status: 'ok' | 'not-found'; fetched_at: string;
    }>;
    return rows.map((r) => ({ project: r.project, status: r.status, fetchedAt: r.fetched_at }));
  }

  async putVerdicts(records: VerdictRecord[]): Promise<void> {
    if (records.length === 0) return;
    // A cache of derived data for the queue: no serial bump.
    this.write(() => {
      for (const r of records) {
        this.stmt('INSERT OR REPLACE INTO verdicts (index_id, project, version, filename, action, until, findings, evaluated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
          r.indexId, r.project, r.version, r.filename, r.action, r.until, JSON.stringify(r.findings), r.evaluatedAt,
        );
      }
    });
  }

  async listVerdicts(filter: { indexId?: number; project?: string; actions?: VerdictRecord['action'][] }): Promise<VerdictRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.indexId !== undefined) { where.push('index_id = ?'); args.push(filter.indexId); }
    if (filter.project !== undefined) { where.push('project = ?'); args.push(filter.project); }
    const actions = filter.actions ?? ['quarantine', 'block'];
    where.push(`action IN (${actions.map(() => '?').join(', ')})`);
    args.push(...actions);
    const rows = this.db.prepare(`SELECT * FROM verdicts WHERE ${where.join(' AND ')} ORDER BY evaluated_at DESC LIMIT 10000`).all(...args) as Array<{
      index_id: number; project: string; version: string; filename: string; action: VerdictRecord['action']; until: string | null; findings: string; evaluated_at: string;
    }>;
    return rows.map((r) => ({ indexId: r.index_id, project: r.project, version: r.version, filename: r.filename, action: r.action, until: r.until, findings: JSON.parse(r.findings) as unknown[], evaluatedAt: r.evaluated_at }));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Opens (creating and migrating when needed) the SQLite catalog in `file`. */
export function openSqliteCatalog(file: string, options: { readonly?: boolean; serialCacheMs?: number } = {}): SqliteCatalog {
  return new SqliteCatalog(file, options);
}
