import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { isPavedError } from '../../../src/errors.js';
import type { Catalog } from '../../../src/index/catalog/catalog.js';
import { openSqliteCatalog, SQLITE_SCHEMA_VERSION, type SqliteCatalog } from '../../../src/index/catalog/sqliteCatalog.js';
import { runCatalogContract } from './catalogContract.js';

runCatalogContract(
  'SQLite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paved-catalog-'));
    const file = join(dir, 'catalog.sqlite');
    // The contract reads the serial right after another connection writes: no serial cache.
    const opened: Catalog[] = [openSqliteCatalog(file, { serialCacheMs: 0 })];
    return {
      catalog: opened[0]!,
      async connect() {
        const another = openSqliteCatalog(file, { serialCacheMs: 0 });
        opened.push(another);
        return another;
      },
      async destroy() {
        for (const catalog of opened) await catalog.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { bulkAddFiles: async (catalog, files) => void (await (catalog as SqliteCatalog).addFiles(files)) },
);

describe('SqliteCatalog specifics', () => {
  const dirs: string[] = [];
  const tempFile = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'paved-catalog-'));
    dirs.push(dir);
    return join(dir, 'catalog.sqlite');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('opens in WAL mode with full fsync, foreign keys and a busy timeout, at the current schema version', async () => {
    const file = tempFile();
    const catalog = openSqliteCatalog(file);
    await catalog.close();
    const db = new Database(file, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.deepEqual(db.prepare('SELECT version FROM schema_version').all(), [{ version: SQLITE_SCHEMA_VERSION }]);
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);
      for (const table of ['files', 'index_bases', 'indexes', 'projects', 'schema_version', 'serial', 'tokens', 'users']) assert.ok(tables.includes(table), table);
    } finally {
      db.close();
    }
  });

  it('reopening does not re-run migrations or reset the serial', async () => {
    const file = tempFile();
    const first = openSqliteCatalog(file);
    await first.createIndex({ owner: 'acme', name: 'dev' });
    const serial = await first.serial();
    await first.close();
    const second = openSqliteCatalog(file);
    assert.equal(await second.serial(), serial);
    assert.equal((await second.listIndexes()).length, 1);
    await second.close();
  });

  it('refuses a catalog written by a newer paved', async () => {
    const file = tempFile();
    await openSqliteCatalog(file).close();
    const db = new Database(file);
    db.prepare('UPDATE schema_version SET version = ?').run(SQLITE_SCHEMA_VERSION + 1);
    db.close();
    assert.throws(() => openSqliteCatalog(file), (error) => isPavedError(error, 'PAVED_E_CATALOG_VERSION'));
    assert.throws(() => openSqliteCatalog(file, { readonly: true }), (error) => isPavedError(error, 'PAVED_E_CATALOG_VERSION'));
  });

  it('caches the serial briefly: its own writes show at once, another process\'s within the cache time', async () => {
    const file = tempFile();
    const server = openSqliteCatalog(file, { serialCacheMs: 200 });
    const admin = openSqliteCatalog(file);
    try {
      const first = await server.serial();
      await server.createIndex({ owner: 'own', name: 'write' });
      const afterOwn = await server.serial();
      assert.ok(afterOwn > first, 'own write is visible at once');
      await admin.createIndex({ owner: 'other', name: 'process' });
      assert.equal(await server.serial(), afterOwn, 'another connection\'s write is not seen inside the cache time');
      await new Promise((resolve) => setTimeout(resolve, 250));
      assert.ok((await server.serial()) > afterOwn, 'and is seen after it');
    } finally {
      await server.close();
      await admin.close();
    }
  });

  it('read-only: reads work and follow another writer, writes are refused', async () => {
    const file = tempFile();
    const writer = openSqliteCatalog(file);
    await writer.createIndex({ owner: 'acme', name: 'dev' });
    const reader = openSqliteCatalog(file, { readonly: true, serialCacheMs: 0 });
    try {
      assert.equal((await reader.getIndex('acme/dev'))!.path, 'acme/dev');
      const before = await reader.serial();
      await writer.createIndex({ owner: 'acme', name: 'prod' });
      assert.ok((await reader.serial()) > before);
      await assert.rejects(reader.createIndex({ owner: 'acme', name: 'x' }), (error) => isPavedError(error, 'PAVED_E_CATALOG_READONLY'));
      await assert.rejects(reader.touchToken('abcd', '2026-01-01T00:00:00Z'), (error) => isPavedError(error, 'PAVED_E_CATALOG_READONLY'));
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('read-only open of a missing file fails clearly', () => {
    assert.throws(() => openSqliteCatalog(join(tempFile(), 'nope.sqlite'), { readonly: true }), (error) => isPavedError(error, 'PAVED_E_CATALOG_OPEN'));
  });

  it('a closed catalog says so', async () => {
    const catalog = openSqliteCatalog(tempFile());
    await catalog.close();
    await assert.rejects(catalog.serial(), (error) => isPavedError(error, 'PAVED_E_CATALOG_CLOSED'));
    await assert.rejects(catalog.createIndex({ owner: 'a', name: 'b' }), (error) => isPavedError(error, 'PAVED_E_CATALOG_CLOSED'));
  });

  it('serial reflects commits made by another process', async () => {
    const file = tempFile();
    const catalog = openSqliteCatalog(file);
    try {
      const before = await catalog.serial();
      const moduleUrl = pathToFileURL(join(import.meta.dirname, '../../../src/index/catalog/sqliteCatalog.ts')).href;
      const script = `const { openSqliteCatalog } = await import(${JSON.stringify(moduleUrl)});
        const c = openSqliteCatalog(${JSON.stringify(file)});
        await c.createIndex({ owner: 'other', name: 'process' });
        await c.close();`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
      assert.equal(child.status, 0, child.stderr);
      assert.ok((await catalog.serial()) > before);
      assert.equal((await catalog.getIndex('other/process'))!.path, 'other/process');
    } finally {
      await catalog.close();
    }
  });

  it('addFiles adds a batch in one transaction and rolls back entirely on a conflict', async () => {
    const catalog = openSqliteCatalog(tempFile());
    try {
      const dev = await catalog.createIndex({ owner: 'acme', name: 'dev' });
      const file = (n: number, sha: string) => ({
        indexId: dev.id, project: 'p', projectDisplayName: 'P', version: `${n}`, filename: `p-${n}.tar.gz`, kind: 'sdist' as const,
        sha256: sha, blake2b256: null, size: n, requiresPython: null, metadataSha256: null, uploader: null,
      });
      const serial = await catalog.serial();
      const results = await catalog.addFiles([file(1, 'a'.repeat(64)), file(2, 'b'.repeat(64)), file(1, 'a'.repeat(64))]);
      assert.deepEqual(results.map((r) => r.status), ['added', 'added', 'identical']);
      assert.ok((await catalog.serial()) > serial);
      await assert.rejects(catalog.addFiles([file(3, 'c'.repeat(64)), file(1, 'd'.repeat(64))]), (error) => isPavedError(error, 'PAVED_E_FILE_EXISTS'));
      assert.equal(await catalog.getFile(dev.id, 'p-3.tar.gz'), null);
    } finally {
      await catalog.close();
    }
  });
});
