/**
 * Installing a lock from a mirror (`sync --frozen --index-url MIRROR`, `byFilename`): when the
 * mirror lacks a locked file, the message names the place that lacks it.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { locateLockedFile } from '../../src/client/fetchLockedFile.js';
import { createIndexClient } from '../../src/client/indexClient/indexClient.js';
import type { SelectedPackage } from '../../src/project/selectLockedPackages.js';
import { isPavedError } from '../../src/errors.js';

const FILENAME = 'click-8.5.0-py3-none-any.whl';
const selected: SelectedPackage = {
  package: { name: 'click', version: '8.5.0', marker: null, requiresPython: null, index: 'https://pypi.example/simple/', dependencies: [], wheels: [], sdist: null, otherSource: null, tool: {} },
  file: { name: FILENAME, url: `https://files.example/${FILENAME}`, path: null, uploadTime: null, size: null, hashes: { sha256: 'a'.repeat(64) } },
  filename: FILENAME,
  kind: 'wheel',
};

let dir: string;
let mirror: string;
let second: string;
let folder: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paved-locked-file-'));
  mirror = pathToFileURL(join(dir, 'small', 'simple')).href + '/';
  second = pathToFileURL(join(dir, 'other', 'simple')).href + '/';
  folder = join(dir, 'wheels');
  for (const path of [join(dir, 'small', 'simple'), join(dir, 'other', 'simple'), folder]) await mkdir(path, { recursive: true });
});
after(() => rm(dir, { recursive: true, force: true }));

async function messageFor(indexUrls: string[], findLinks: string[] = []): Promise<string> {
  const client = createIndexClient({ indexUrls, findLinks, env: {} });
  try {
    await locateLockedFile(selected, { client, lockDir: dir, byFilename: true });
  } catch (error) {
    assert.ok(isPavedError(error, 'PAVED_E_FILE_NOT_FOUND'), String(error));
    return error.message;
  } finally {
    await client.close();
  }
  assert.fail('expected PAVED_E_FILE_NOT_FOUND');
}

describe('a locked file the mirror lacks', () => {
  it('a mirror index without the project: the message names the index and the project, not find-links', async () => {
    const message = await messageFor([mirror]);
    assert.equal(message, `${FILENAME} (locked for click 8.5.0) cannot be found: the index ${mirror} has no project click`);
  });

  it('several indexes are all named; find-links folders are mentioned only when there are some', async () => {
    assert.match(await messageFor([mirror, second]), new RegExp(`none of the indexes ${mirror}, ${second} has a project click$`));
    assert.match(await messageFor([mirror], [folder]), /has no project click, and the find-links folders do not have the file$/);
    assert.match(await messageFor([], [folder]), /is not offered by the find-links folders$/);
  });
});
