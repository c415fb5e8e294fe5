import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { isPavedError } from '../../../src/errors.js';
import type { Catalog, IndexRecord, NewFile, Scope } from '../../../src/index/catalog/catalog.js';

/**
 * The behaviour every Catalog implementation must share. An implementation's
 * test file calls `runCatalogContract` with a factory for fresh, empty stores.
 */
export interface CatalogHarness {
  /** A connection to a fresh, empty store. */
  catalog: Catalog;
  /** Another connection to the same store, as a second process would open it. */
  connect(): Promise<Catalog>;
  /** Closes what the harness opened and removes the store. */
  destroy(): Promise<void>;
}

export interface CatalogContractOptions {
  /** Adds many files quickly (one transaction) for the large-listing test; defaults to addFile in a loop. */
  bulkAddFiles?: (catalog: Catalog, files: NewFile[]) => Promise<void>;
}

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function sha(n: number): string {
  return n.toString(16).padStart(64, '0');
}

function hasCode(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(isPavedError(error), `expected PavedError ${code}, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

function newFile(indexId: number, overrides: Partial<NewFile> = {}): NewFile {
  return {
    indexId,
    project: 'demo-pkg',
    projectDisplayName: 'Demo_Pkg',
    version: '1.0.0',
    filename: 'demo_pkg-1.0.0-py3-none-any.whl',
    kind: 'wheel',
    sha256: SHA_A,
    blake2b256: null,
    size: 1234,
    requiresPython: '>=3.9',
    metadataSha256: null,
    uploader: 'alice',
    ...overrides,
  };
}

/** Registers the shared catalog tests under `name`. */
export function runCatalogContract(name: string, makeCatalog: () => Promise<CatalogHarness>, options: CatalogContractOptions = {}): void {
  describe(`Catalog contract: ${name}`, () => {
    let harness: CatalogHarness;
    let catalog: Catalog;
    beforeEach(async () => {
      harness = await makeCatalog();
      catalog = harness.catalog;
    });
    afterEach(async () => {
      await harness.destroy();
    });

    async function index(path: string, bases: string[] = []): Promise<IndexRecord> {
      const [owner, indexName] = path.split('/') as [string, string];
      return catalog.createIndex({ owner, name: indexName, bases });
    }

    describe('indexes', () => {
      it('creates an index with defaults and finds it by path, in any case', async () => {
        const created = await catalog.createIndex({ owner: 'Acme', name: 'Dev' });
        assert.equal(created.owner, 'acme');
        assert.equal(created.name, 'dev');
        assert.equal(created.path, 'acme/dev');
        assert.deepEqual(created.bases, []);
        assert.equal(created.kind, 'private');
        assert.equal(created.mirrorUrl, null);
        assert.equal(created.readOnly, false);
        assert.equal(created.anonymousRead, false);
        assert.match(created.createdAt, ISO_UTC);
        assert.deepEqual(await catalog.getIndex('acme/dev'), created);
        assert.deepEqual(await catalog.getIndex('ACME/Dev'), created);
      });

      it('stores every field given at creation', async () => {
        const created = await catalog.createIndex({
          owner: 'acme',
          name: 'pypi',
          kind: 'mirror',
          mirrorUrl: 'https://pypi.org/simple/',
          readOnly: true,
          anonymousRead: true,
        });
        assert.equal(created.kind, 'mirror');
        assert.equal(created.mirrorUrl, 'https://pypi.org/simple/');
        assert.equal(created.readOnly, true);
        assert.equal(created.anonymousRead, true);
      });

      it('lists indexes sorted by path, with their bases', async () => {
        await index('zeta/one');
        await index('acme/prod');
        await index('acme/dev', ['acme/prod', 'zeta/one']);
        const listed = await catalog.listIndexes();
        assert.deepEqual(
          listed.map((i) => [i.path, i.bases]),
          [
            ['acme/dev', ['acme/prod', 'zeta/one']],
            ['acme/prod', []],
            ['zeta/one', []],
          ],
        );
      });

      it('refuses to create an index twice, whatever the case', async () => {
        await index('acme/dev');
        await assert.rejects(catalog.createIndex({ owner: 'ACME', name: 'dev' }), hasCode('PAVED_E_INDEX_EXISTS'));
        assert.equal((await catalog.listIndexes()).length, 1);
      });

      const badNames: Array<[string, string]> = [
        ['', 'dev'], ['acme', ''], ['-acme', 'dev'], ['.acme', 'dev'], ['_acme', 'dev'], ['acme', 'de/v'], ['acme', 'de v'],
        ['+api', 'dev'], ['acme', '+f'], ['simple', 'dev'], ['acme', 'simple'], ['files', 'x'], ['acme', 'FILES'], ['..', 'dev'],
        ['acme', '..'], ['acme', 'dev\0'], ['acme', 'dév'], ['acme', 'x'.repeat(65)], ['acme', 'dev\n'], ['a%2f', 'b'],
      ];
      for (const [owner, indexName] of badNames) {
        it(`refuses the index name ${JSON.stringify(`${owner}/${indexName}`.slice(0, 40))}`, async () => {
          await assert.rejects(catalog.createIndex({ owner, name: indexName }), hasCode('PAVED_E_INVALID_INDEX_NAME'));
        });
      }

      it('accepts names up to 64 characters of a-z 0-9 . _ -', async () => {
        const long = `a${'b'.repeat(63)}`;
        assert.equal((await catalog.createIndex({ owner: '0wner.x', name: long })).path, `0wner.x/${long}`);
        assert.equal((await catalog.createIndex({ owner: 'a', name: 'b_c-d.e' })).path, 'a/b_c-d.e');
      });

      it('answers null for paths that are not an index', async () => {
        await index('acme/dev');
        for (const path of ['', 'acme', 'acme/dev/x', 'acme/dev/', '/acme/dev', '../acme/dev', 'acme/../dev', 'acme/prod', 'acme\\dev']) {
          assert.equal(await catalog.getIndex(path), null, path);
        }
      });

      it('updates flags and mirror URL; unknown index is not found', async () => {
        await index('acme/dev');
        const updated = await catalog.updateIndex('acme/dev', { readOnly: true, anonymousRead: true, mirrorUrl: 'https://example.test/simple/' });
        assert.equal(updated.readOnly, true);
        assert.equal(updated.anonymousRead, true);
        assert.equal(updated.mirrorUrl, 'https://example.test/simple/');
        assert.deepEqual(await catalog.getIndex('acme/dev'), updated);
        const cleared = await catalog.updateIndex('acme/dev', { mirrorUrl: null, readOnly: false });
        assert.equal(cleared.mirrorUrl, null);
        assert.equal(cleared.readOnly, false);
        assert.equal(cleared.anonymousRead, true);
        await assert.rejects(catalog.updateIndex('acme/nope', { readOnly: true }), hasCode('PAVED_E_NOT_FOUND'));
        await assert.rejects(catalog.updateIndex('garbage', { readOnly: true }), hasCode('PAVED_E_NOT_FOUND'));
      });

      it('deletes an index with its projects and files; unknown index is not found', async () => {
        const dev = await index('acme/dev');
        await catalog.addFile(newFile(dev.id));
        await catalog.deleteIndex('acme/dev');
        assert.equal(await catalog.getIndex('acme/dev'), null);
        assert.deepEqual(await catalog.listProjects(dev.id), []);
        assert.equal(await catalog.getFile(dev.id, newFile(dev.id).filename), null);
        await assert.rejects(catalog.deleteIndex('acme/dev'), hasCode('PAVED_E_NOT_FOUND'));
        // A new index never takes over the old one's id.
        const again = await index('acme/dev');
        assert.notEqual(again.id, dev.id);
        assert.deepEqual(await catalog.listProjects(again.id), []);
      });
    });

    describe('bases', () => {
      it('keeps bases in priority order and drops repeats', async () => {
        await index('acme/pypi');
        await index('acme/prod', ['acme/pypi']);
        const dev = await index('acme/dev', ['acme/prod', 'Acme/PyPI', 'acme/prod']);
        assert.deepEqual(dev.bases, ['acme/prod', 'acme/pypi']);
      });

      it('refuses bases that do not exist, creating nothing', async () => {
        await index('acme/prod');
        await assert.rejects(index('acme/dev', ['acme/prod', 'acme/missing']), (error) => {
          hasCode('PAVED_E_NOT_FOUND')(error);
          assert.match((error as Error).message, /acme\/missing/);
          return true;
        });
        assert.equal(await catalog.getIndex('acme/dev'), null);
        await assert.rejects(index('acme/dev', ['not a path']), hasCode('PAVED_E_NOT_FOUND'));
      });

      it('replaces bases through updateIndex', async () => {
        await index('acme/pypi');
        await index('acme/prod');
        await index('acme/dev', ['acme/prod']);
        assert.deepEqual((await catalog.updateIndex('acme/dev', { bases: ['acme/pypi', 'acme/prod'] })).bases, ['acme/pypi', 'acme/prod']);
        assert.deepEqual((await catalog.getIndex('acme/dev'))!.bases, ['acme/pypi', 'acme/prod']);
        assert.deepEqual((await catalog.updateIndex('acme/dev', { bases: [] })).bases, []);
        await assert.rejects(catalog.updateIndex('acme/dev', { bases: ['acme/gone'] }), hasCode('PAVED_E_NOT_FOUND'));
      });

      it('refuses inheritance cycles, direct or through a chain, and leaves bases unchanged', async () => {
        await index('acme/c');
        await index('acme/b', ['acme/c']);
        await index('acme/a', ['acme/b']);
        await assert.rejects(catalog.updateIndex('acme/a', { bases: ['acme/a'] }), hasCode('PAVED_E_INDEX_CYCLE'));
        await assert.rejects(catalog.updateIndex('acme/c', { bases: ['acme/a'] }), hasCode('PAVED_E_INDEX_CYCLE'));
        await assert.rejects(catalog.updateIndex('acme/b', { bases: ['acme/c', 'acme/a'] }), hasCode('PAVED_E_INDEX_CYCLE'));
        assert.deepEqual((await catalog.getIndex('acme/c'))!.bases, []);
        assert.deepEqual((await catalog.getIndex('acme/b'))!.bases, ['acme/c']);
        // A diamond is not a cycle.
        await index('acme/d', ['acme/b', 'acme/c']);
        assert.deepEqual((await catalog.updateIndex('acme/a', { bases: ['acme/d', 'acme/c'] })).bases, ['acme/d', 'acme/c']);
      });

      it('refuses to delete an index that others inherit from, naming them', async () => {
        await index('acme/prod');
        await index('acme/dev', ['acme/prod']);
        await index('team/dev', ['acme/prod']);
        await assert.rejects(catalog.deleteIndex('acme/prod'), (error) => {
          hasCode('PAVED_E_INDEX_IN_USE')(error);
          assert.match((error as Error).message, /acme\/dev/);
          assert.match((error as Error).message, /team\/dev/);
          return true;
        });
        assert.notEqual(await catalog.getIndex('acme/prod'), null);
        await catalog.deleteIndex('acme/dev');
        await catalog.updateIndex('team/dev', { bases: [] });
        await catalog.deleteIndex('acme/prod');
        assert.equal(await catalog.getIndex('acme/prod'), null);
      });
    });

    describe('projects and files', () => {
      it('adds a file, creating its project with the first display name', async () => {
        const dev = await index('acme/dev');
        const result = await catalog.addFile(newFile(dev.id, { uploadedAt: '2024-01-02T03:04:05+02:00', blake2b256: SHA_B, metadataSha256: sha(7) }));
        assert.equal(result.status, 'added');
        const file = result.file;
        assert.equal(typeof file.id, 'number');
        assert.deepEqual({ ...file, id: 0 }, {
          id: 0,
          indexId: dev.id,
          project: 'demo-pkg',
          version: '1.0.0',
          filename: 'demo_pkg-1.0.0-py3-none-any.whl',
          kind: 'wheel',
          sha256: SHA_A,
          blake2b256: SHA_B,
          size: 1234,
          requiresPython: '>=3.9',
          metadataSha256: sha(7),
          yanked: false,
          yankedReason: null,
          uploadedAt: '2024-01-02T01:04:05.000Z',
          uploader: 'alice',
        });
        assert.deepEqual(await catalog.getFile(dev.id, file.filename), file);

        await catalog.addFile(newFile(dev.id, { projectDisplayName: 'DEMO.PKG', filename: 'demo_pkg-1.0.0.tar.gz', kind: 'sdist', sha256: SHA_B, uploader: null, requiresPython: null }));
        const project = await catalog.getProject(dev.id, 'demo-pkg');
        assert.ok(project);
        assert.equal(project.displayName, 'Demo_Pkg');
        assert.equal(project.name, 'demo-pkg');
        assert.equal(project.indexId, dev.id);
        assert.match(project.createdAt, ISO_UTC);
        assert.equal(await catalog.getProject(dev.id, 'other'), null);
      });

      it('stamps the upload time when none is given', async () => {
        const dev = await index('acme/dev');
        const before = Date.now();
        const { file } = await catalog.addFile(newFile(dev.id));
        assert.match(file.uploadedAt, ISO_UTC);
        assert.ok(Date.parse(file.uploadedAt) >= before - 1000 && Date.parse(file.uploadedAt) <= Date.now() + 1000);
      });

      it('lists projects and files in name order, and finds files by content', async () => {
        const dev = await index('acme/dev');
        const other = await index('acme/other');
        await catalog.addFile(newFile(dev.id, { project: 'zeta', projectDisplayName: 'Zeta', filename: 'zeta-1.0.tar.gz', kind: 'sdist', sha256: sha(1) }));
        await catalog.addFile(newFile(dev.id, { filename: 'demo_pkg-2.0-py3-none-any.whl', version: '2.0', sha256: sha(2) }));
        await catalog.addFile(newFile(dev.id, { filename: 'demo_pkg-1.0-py3-none-any.whl', version: '1.0', sha256: sha(3) }));
        await catalog.addFile(newFile(dev.id, { filename: 'demo_pkg-1.0-copy-py3-none-any.whl', version: '1.0', sha256: sha(3) }));
        await catalog.addFile(newFile(other.id, { filename: 'demo_pkg-9.0-py3-none-any.whl', version: '9.0', sha256: sha(3) }));

        assert.deepEqual((await catalog.listProjects(dev.id)).map((p) => p.name), ['demo-pkg', 'zeta']);
        assert.deepEqual((await catalog.listFiles(dev.id, 'demo-pkg')).map((f) => f.filename), [
          'demo_pkg-1.0-copy-py3-none-any.whl',
          'demo_pkg-1.0-py3-none-any.whl',
          'demo_pkg-2.0-py3-none-any.whl',
        ]);
        assert.deepEqual(await catalog.listFiles(dev.id, 'nothing'), []);
        assert.deepEqual(await catalog.listFiles(other.id, 'zeta'), []);
        assert.deepEqual((await catalog.findFilesBySha256(dev.id, sha(3))).map((f) => f.filename).sort(), [
          'demo_pkg-1.0-copy-py3-none-any.whl',
          'demo_pkg-1.0-py3-none-any.whl',
        ]);
        assert.deepEqual((await catalog.findFilesBySha256(other.id, sha(3))).map((f) => f.filename), ['demo_pkg-9.0-py3-none-any.whl']);
        assert.deepEqual(await catalog.findFilesBySha256(dev.id, sha(99)), []);
      });

      it('re-adding the same filename with the same content is identical and changes nothing', async () => {
        const dev = await index('acme/dev');
        const first = await catalog.addFile(newFile(dev.id));
        const serial = await catalog.serial();
        const again = await catalog.addFile(newFile(dev.id, { uploader: 'bob', uploadedAt: '2030-01-01T00:00:00Z' }));
        assert.equal(again.status, 'identical');
        assert.deepEqual(again.file, first.file);
        assert.equal(await catalog.serial(), serial);
        assert.equal((await catalog.listFiles(dev.id, 'demo-pkg')).length, 1);
      });

      it('re-adding the same filename with other content fails with "File already exists"', async () => {
        const dev = await index('acme/dev');
        const first = await catalog.addFile(newFile(dev.id));
        const serial = await catalog.serial();
        await assert.rejects(catalog.addFile(newFile(dev.id, { sha256: SHA_B })), (error) => {
          hasCode('PAVED_E_FILE_EXISTS')(error);
          assert.equal((error as Error).message, 'File already exists: demo_pkg-1.0.0-py3-none-any.whl');
          assert.ok((error as { hint?: string }).hint);
          return true;
        });
        assert.deepEqual(await catalog.getFile(dev.id, first.file.filename), first.file);
        assert.equal(await catalog.serial(), serial);
      });

      it('keeps filenames separate per index', async () => {
        const dev = await index('acme/dev');
        const prod = await index('acme/prod');
        await catalog.addFile(newFile(dev.id));
        assert.equal((await catalog.addFile(newFile(prod.id, { sha256: SHA_B }))).status, 'added');
        assert.equal((await catalog.getFile(prod.id, newFile(prod.id).filename))!.sha256, SHA_B);
      });

      it('refuses files for an unknown index', async () => {
        await assert.rejects(catalog.addFile(newFile(987_654)), hasCode('PAVED_E_NOT_FOUND'));
      });

      const badFiles: Array<[string, Partial<NewFile>, string]> = [
        ['an unnormalized project name', { project: 'Demo_Pkg' }, 'PAVED_E_INVALID_PROJECT_NAME'],
        ['a project name with runs of dashes', { project: 'demo--pkg' }, 'PAVED_E_INVALID_PROJECT_NAME'],
        ['an empty project name', { project: '' }, 'PAVED_E_INVALID_PROJECT_NAME'],
        ['a path in the filename', { filename: '../../etc/passwd' }, 'PAVED_E_INVALID_FILENAME'],
        ['a backslash in the filename', { filename: 'a\\b.whl' }, 'PAVED_E_INVALID_FILENAME'],
        ['a dot-file name', { filename: '.hidden.whl' }, 'PAVED_E_INVALID_FILENAME'],
        ['a NUL in the filename', { filename: 'demo.whl\0.txt' }, 'PAVED_E_INVALID_FILENAME'],
        ['an empty filename', { filename: '' }, 'PAVED_E_INVALID_FILENAME'],
        ['an upper-case sha256', { sha256: SHA_A.toUpperCase() }, 'PAVED_E_INVALID_DIGEST'],
        ['a short sha256', { sha256: 'abc' }, 'PAVED_E_INVALID_DIGEST'],
        ['a bad blake2b-256', { blake2b256: 'zz' }, 'PAVED_E_INVALID_DIGEST'],
        ['a bad metadata sha256', { metadataSha256: '../x' }, 'PAVED_E_INVALID_DIGEST'],
        ['a negative size', { size: -1 }, 'PAVED_E_INVALID_ARGUMENT'],
        ['a fractional size', { size: 1.5 }, 'PAVED_E_INVALID_ARGUMENT'],
        ['an unknown kind', { kind: 'egg' as 'wheel' }, 'PAVED_E_INVALID_ARGUMENT'],
        ['an empty version', { version: '' }, 'PAVED_E_INVALID_ARGUMENT'],
        ['a garbage upload time', { uploadedAt: 'yesterday' }, 'PAVED_E_INVALID_TIMESTAMP'],
        ['an upload time without zone', { uploadedAt: '2024-01-01T00:00:00' }, 'PAVED_E_INVALID_TIMESTAMP'],
      ];
      for (const [label, overrides, code] of badFiles) {
        it(`refuses a file with ${label}`, async () => {
          const dev = await index('acme/dev');
          await assert.rejects(catalog.addFile(newFile(dev.id, overrides)), hasCode(code));
          assert.deepEqual(await catalog.listProjects(dev.id), []);
        });
      }

      it('concurrent adds of the same file from two connections: one added, one identical', async () => {
        const dev = await index('acme/dev');
        const second = await harness.connect();
        try {
          const results = await Promise.all([catalog.addFile(newFile(dev.id)), second.addFile(newFile(dev.id))]);
          assert.deepEqual(results.map((r) => r.status).sort(), ['added', 'identical']);
        } finally {
          await second.close();
        }
      });

      it('lists 20 000 files of one project', async () => {
        const dev = await index('acme/dev');
        const files: NewFile[] = [];
        for (let i = 0; i < 20_000; i++) {
          files.push(newFile(dev.id, { version: `1.${i}`, filename: `demo_pkg-1.${String(i).padStart(5, '0')}-py3-none-any.whl`, sha256: sha(i) }));
        }
        files.push(newFile(dev.id, { project: 'other', projectDisplayName: 'other', filename: 'other-1.0.tar.gz', kind: 'sdist', sha256: SHA_B }));
        if (options.bulkAddFiles) await options.bulkAddFiles(catalog, files);
        else for (const file of files) await catalog.addFile(file);
        const listed = await catalog.listFiles(dev.id, 'demo-pkg');
        assert.equal(listed.length, 20_000);
        assert.equal(listed[0]!.filename, 'demo_pkg-1.00000-py3-none-any.whl');
        assert.equal(listed[19_999]!.filename, 'demo_pkg-1.19999-py3-none-any.whl');
        assert.deepEqual((await catalog.listProjects(dev.id)).map((p) => p.name), ['demo-pkg', 'other']);
        assert.equal((await catalog.findFilesBySha256(dev.id, sha(12_345)))[0]!.version, '1.12345');
      });
    });

    describe('yanking', () => {
      async function seeded(): Promise<IndexRecord> {
        const dev = await index('acme/dev');
        await catalog.addFile(newFile(dev.id, { version: '1.0', filename: 'demo_pkg-1.0-py3-none-any.whl', sha256: sha(1) }));
        await catalog.addFile(newFile(dev.id, { version: '1.0', filename: 'demo_pkg-1.0.tar.gz', kind: 'sdist', sha256: sha(2) }));
        await catalog.addFile(newFile(dev.id, { version: '2.0', filename: 'demo_pkg-2.0-py3-none-any.whl', sha256: sha(3) }));
        await catalog.addFile(newFile(dev.id, { project: 'other', version: '1.0', filename: 'other-1.0.tar.gz', kind: 'sdist', sha256: sha(4) }));
        return dev;
      }

      it('yanks every file of a version with a reason, and unyanks clearing it', async () => {
        const dev = await seeded();
        const yanked = await catalog.setYanked(dev.id, 'demo-pkg', { version: '1.0' }, true, 'broken build');
        assert.deepEqual(yanked.map((f) => [f.filename, f.yanked, f.yankedReason]), [
          ['demo_pkg-1.0-py3-none-any.whl', true, 'broken build'],
          ['demo_pkg-1.0.tar.gz', true, 'broken build'],
        ]);
        assert.equal((await catalog.getFile(dev.id, 'demo_pkg-2.0-py3-none-any.whl'))!.yanked, false);
        assert.equal((await catalog.getFile(dev.id, 'other-1.0.tar.gz'))!.yanked, false, 'another project’s 1.0 is untouched');

        const unyanked = await catalog.setYanked(dev.id, 'demo-pkg', { version: '1.0' }, false, 'ignored');
        assert.deepEqual(unyanked.map((f) => [f.yanked, f.yankedReason]), [
          [false, null],
          [false, null],
        ]);
      });

      it('yanks a single file by filename, without a reason', async () => {
        const dev = await seeded();
        const yanked = await catalog.setYanked(dev.id, 'demo-pkg', { filename: 'demo_pkg-1.0.tar.gz' }, true, null);
        assert.deepEqual(yanked.map((f) => [f.filename, f.yanked, f.yankedReason]), [['demo_pkg-1.0.tar.gz', true, null]]);
        assert.equal((await catalog.getFile(dev.id, 'demo_pkg-1.0-py3-none-any.whl'))!.yanked, false);
        assert.equal((await catalog.listFiles(dev.id, 'demo-pkg')).filter((f) => f.yanked).length, 1);
      });

      it('answers no rows for targets that match nothing, including another project’s file', async () => {
        const dev = await seeded();
        assert.deepEqual(await catalog.setYanked(dev.id, 'demo-pkg', { version: '9.9' }, true, null), []);
        assert.deepEqual(await catalog.setYanked(dev.id, 'demo-pkg', { filename: 'other-1.0.tar.gz' }, true, null), []);
        assert.deepEqual(await catalog.setYanked(dev.id, 'nope', { version: '1.0' }, true, null), []);
        assert.equal((await catalog.getFile(dev.id, 'other-1.0.tar.gz'))!.yanked, false);
      });

      it('yanking again returns the rows, updates the reason, and bumps the serial only on change', async () => {
        const dev = await seeded();
        await catalog.setYanked(dev.id, 'demo-pkg', { version: '2.0' }, true, 'first');
        const serial = await catalog.serial();
        const same = await catalog.setYanked(dev.id, 'demo-pkg', { version: '2.0' }, true, 'first');
        assert.equal(same.length, 1);
        assert.equal(await catalog.serial(), serial);
        const reworded = await catalog.setYanked(dev.id, 'demo-pkg', { version: '2.0' }, true, 'second');
        assert.equal(reworded[0]!.yankedReason, 'second');
        assert.ok((await catalog.serial()) > serial);
      });
    });

    describe('users', () => {
      it('creates, reads, lists, updates and deletes users', async () => {
        const alice = await catalog.createUser({ name: 'alice', passwordHash: 'scrypt$1$1$1$x$y', isAdmin: true });
        assert.deepEqual({ ...alice, createdAt: '' }, { name: 'alice', passwordHash: 'scrypt$1$1$1$x$y', isAdmin: true, createdAt: '' });
        assert.match(alice.createdAt, ISO_UTC);
        await catalog.createUser({ name: 'Bob.Builder', passwordHash: null, isAdmin: false });
        assert.deepEqual(await catalog.getUser('alice'), alice);
        assert.equal(await catalog.getUser('carol'), null);
        assert.deepEqual((await catalog.listUsers()).map((u) => u.name).sort(), ['Bob.Builder', 'alice']);

        const updated = await catalog.updateUser('alice', { passwordHash: null, isAdmin: false });
        assert.equal(updated.passwordHash, null);
        assert.equal(updated.isAdmin, false);
        assert.equal(updated.createdAt, alice.createdAt);
        assert.equal((await catalog.updateUser('alice', { passwordHash: 'h2' })).isAdmin, false);

        await catalog.deleteUser('alice');
        assert.equal(await catalog.getUser('alice'), null);
        await assert.rejects(catalog.deleteUser('alice'), hasCode('PAVED_E_NOT_FOUND'));
        await assert.rejects(catalog.updateUser('alice', { isAdmin: true }), hasCode('PAVED_E_NOT_FOUND'));
      });

      it('refuses a user that exists', async () => {
        await catalog.createUser({ name: 'alice', passwordHash: null, isAdmin: false });
        await assert.rejects(catalog.createUser({ name: 'alice', passwordHash: null, isAdmin: true }), hasCode('PAVED_E_USER_EXISTS'));
        assert.equal((await catalog.getUser('alice'))!.isAdmin, false);
      });

      for (const bad of ['', '__token__', '-x', 'a:b', 'a b', 'a/b', 'x'.repeat(65), 'é', 'a\n']) {
        it(`refuses the user name ${JSON.stringify(bad.slice(0, 20))}`, async () => {
          await assert.rejects(catalog.createUser({ name: bad, passwordHash: null, isAdmin: false }), hasCode('PAVED_E_INVALID_USER_NAME'));
        });
      }
    });

    describe('tokens', () => {
      const scopes: Scope[] = [
        { action: 'upload', index: 'acme/dev' },
        { action: 'read', index: '*' },
      ];
      const token = { id: 'abcdefghijkl', user: 'alice', secretHash: SHA_A, scopes, description: 'CI for acme', expiresAt: null };

      it('creates, reads and lists tokens with their scopes', async () => {
        await catalog.createUser({ name: 'alice', passwordHash: null, isAdmin: false });
        await catalog.createUser({ name: 'bob', passwordHash: null, isAdmin: false });
        const created = await catalog.createToken(token);
        assert.deepEqual({ ...created, createdAt: '' }, { ...token, createdAt: '', lastUsedAt: null, revokedAt: null });
        assert.match(created.createdAt, ISO_UTC);
        assert.deepEqual(await catalog.getToken('abcdefghijkl'), created);
        assert.equal(await catalog.getToken('zzzzzzzzzzzz'), null);
        const bobs = await catalog.createToken({ ...token, id: 'bbbbbbbbbbbb', user: 'bob', scopes: [], expiresAt: '2030-01-01T00:00:00+01:00' });
        assert.equal(bobs.expiresAt, '2029-12-31T23:00:00.000Z');
        assert.deepEqual(bobs.scopes, []);
        assert.deepEqual((await catalog.listTokens()).map((t) => t.id).sort(), ['abcdefghijkl', 'bbbbbbbbbbbb']);
        assert.deepEqual((await catalog.listTokens('bob')).map((t) => t.id), ['bbbbbbbbbbbb']);
        assert.deepEqual(await catalog.listTokens('nobody'), []);
      });

      it('refuses a token for an unknown user, a duplicate id and bad scopes', async () => {
        await assert.rejects(catalog.createToken(token), hasCode('PAVED_E_NOT_FOUND'));
        await catalog.createUser({ name: 'alice', passwordHash: null, isAdmin: false });
        await catalog.createToken(token);
        await assert.rejects(catalog.createToken(token), hasCode('PAVED_E_TOKEN_EXISTS'));
        for (const bad of [[{ action: 'write', index: '*' }], [{ action: 'read', index: '../x' }], [{ action: 'read', index: 'acme' }]]) {
          await assert.rejects(catalog.createToken({ ...token, id: 'cccccccccccc', scopes: bad as Scope[] }), hasCode('PAVED_E_INVALID_SCOPE'));
        }
        assert.equal(await catalog.getToken('cccccccccccc'), null);
      });

      it('revokes once (the first revocation time stays) and refuses unknown tokens', async () => {
        await catalog.createUser({ name: 'alice', passwordHash: null, isAdmin: false });
        await catalog.createToken(token);
        const revoked = await catalog.revokeToken(token.id);
        assert.match(revoked.revokedAt ?? '', ISO_UTC);
        assert.deepEqual(await catalog.getToken(token.id), revoked);
        await new Promise((resolve) => setTimeout(resolve, 5));
        assert.equal((await catalog.revokeToken(token.id)).revokedAt, revoked.revokedAt);
        await assert.rejects(catalog.revokeToken('zzzzzzzzzzzz'), hasCode('PAVED_E_NOT_FOUND'));
      });

      it('touch records the last use, never moving it backwards; unknown tokens are not found', async () => {
        await catalog.createUser({ name: 'alice', passwordHash: null, isAdmin: false });
        await catalog.createToken(token);
        await catalog.touchToken(token.id, '2026-03-01T10:00:00Z');
        assert.equal((await catalog.getToken(token.id))!.lastUsedAt, '2026-03-01T10:00:00.000Z');
        await catalog.touchToken(token.id, '2026-02-01T10:00:00Z');
        assert.equal((await catalog.getToken(token.id))!.lastUsedAt, '2026-03-01T10:00:00.000Z');
        await catalog.touchToken(token.id, '2026-03-01T12:00:00+01:00');
        assert.equal((await catalog.getToken(token.id))!.lastUsedAt, '2026-03-01T11:00:00.000Z');
        await assert.rejects(catalog.touchToken('zzzzzzzzzzzz', '2026-03-01T10:00:00Z'), hasCode('PAVED_E_NOT_FOUND'));
        await assert.rejects(catalog.touchToken(token.id, 'now'), hasCode('PAVED_E_INVALID_TIMESTAMP'));
      });

      it('deleting a user removes their tokens', async () => {
        await catalog.createUser({ name: 'alice', passwordHash: null, isAdmin: false });
        await catalog.createToken(token);
        await catalog.deleteUser('alice');
        assert.equal(await catalog.getToken(token.id), null);
      });
    });

    describe('serial and persistence', () => {
      it('grows with every write and not with reads or no-op writes', async () => {
        const start = await catalog.serial();
        assert.equal(typeof start, 'number');
        let last = start;
        const grew = async (label: string): Promise<void> => {
          const now = await catalog.serial();
          assert.ok(now > last, `${label} bumps the serial`);
          last = now;
        };
        const dev = await index('acme/dev');
        await grew('createIndex');
        await catalog.updateIndex('acme/dev', { anonymousRead: true });
        await grew('updateIndex');
        await catalog.addFile(newFile(dev.id));
        await grew('addFile');
        await catalog.setYanked(dev.id, 'demo-pkg', { version: '1.0.0' }, true, null);
        await grew('setYanked');
        await catalog.createUser({ name: 'alice', passwordHash: null, isAdmin: false });
        await grew('createUser');
        await catalog.updateUser('alice', { isAdmin: true });
        await grew('updateUser');
        await catalog.createToken({ id: 'abcdefghijkl', user: 'alice', secretHash: SHA_A, scopes: [], description: '', expiresAt: null });
        await grew('createToken');
        await catalog.revokeToken('abcdefghijkl');
        await grew('revokeToken');
        await catalog.deleteUser('alice');
        await grew('deleteUser');
        await index('acme/tmp');
        await catalog.deleteIndex('acme/tmp');
        await grew('deleteIndex');

        await catalog.getIndex('acme/dev');
        await catalog.listIndexes();
        await catalog.listFiles(dev.id, 'demo-pkg');
        await catalog.listUsers();
        await assert.rejects(catalog.createIndex({ owner: 'acme', name: 'dev' }));
        assert.equal(await catalog.serial(), last, 'reads and failed writes leave the serial alone');
      });

      it('sees commits made through another connection', async () => {
        const other = await harness.connect();
        try {
          const before = await catalog.serial();
          assert.equal(await other.serial(), before);
          const dev = await other.createIndex({ owner: 'acme', name: 'dev' });
          assert.ok((await catalog.serial()) > before);
          assert.deepEqual(await catalog.getIndex('acme/dev'), dev);
          const mid = await other.serial();
          await catalog.addFile(newFile(dev.id));
          assert.ok((await other.serial()) > mid);
          assert.equal((await other.listFiles(dev.id, 'demo-pkg')).length, 1);
        } finally {
          await other.close();
        }
      });

      it('keeps everything after close and reopen', async () => {
        const prod = await index('acme/prod');
        const dev = await index('acme/dev', ['acme/prod']);
        const { file } = await catalog.addFile(newFile(dev.id));
        await catalog.setYanked(dev.id, 'demo-pkg', { filename: file.filename }, true, 'why not');
        await catalog.createUser({ name: 'alice', passwordHash: 'hash', isAdmin: true });
        await catalog.createToken({ id: 'abcdefghijkl', user: 'alice', secretHash: SHA_A, scopes: [{ action: 'admin', index: '*' }], description: 'd', expiresAt: null });
        const snapshot = {
          serial: await catalog.serial(),
          indexes: await catalog.listIndexes(),
          projects: await catalog.listProjects(dev.id),
          files: await catalog.listFiles(dev.id, 'demo-pkg'),
          users: await catalog.listUsers(),
          tokens: await catalog.listTokens(),
        };
        await catalog.close();
        await catalog.close(); // idempotent
        const reopened = await harness.connect();
        try {
          assert.deepEqual(
            {
              serial: await reopened.serial(),
              indexes: await reopened.listIndexes(),
              projects: await reopened.listProjects(dev.id),
              files: await reopened.listFiles(dev.id, 'demo-pkg'),
              users: await reopened.listUsers(),
              tokens: await reopened.listTokens(),
            },
            snapshot,
          );
          assert.equal((await reopened.getIndex('acme/prod'))!.id, prod.id);
        } finally {
          await reopened.close();
        }
      });
    });
  });
}
