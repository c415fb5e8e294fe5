import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readInstallRequirements } from '../../src/client/readInstallRequirements.js';

describe('readInstallRequirements', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paved-install-reqs-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('installs each requirement as the file reader read it: specifiers kept, ${NAME} expanded, continuations joined, UTF-16 decoded', async () => {
    const previous = process.env['PAVED_TEST_PIN'];
    process.env['PAVED_TEST_PIN'] = '3.4';
    try {
      const plain = join(dir, 'plain.txt');
      await writeFile(plain, 'idna==${PAVED_TEST_PIN} --hash=sha256:' + 'a'.repeat(64) + '\nrich>=13,<15 ; python_version >= "3.8" \\\n  # joined\nclick[extra]>=8\n-c constraints.txt\n');
      await writeFile(join(dir, 'constraints.txt'), 'markupsafe<3\n');
      const read = await readInstallRequirements([plain], []);
      assert.deepEqual(read.requirements, [
        { requirement: 'idna==3.4', hashes: [`sha256:${'a'.repeat(64)}`] },
        { requirement: 'rich>=13,<15 ; python_version >= "3.8"', hashes: [] },
        { requirement: 'click[extra]>=8', hashes: [] },
      ]);
      assert.deepEqual(read.constraints, ['markupsafe<3']);

      const utf16 = join(dir, 'utf16.txt');
      await writeFile(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('idna==${PAVED_TEST_PIN}\r\n', 'utf16le')]));
      assert.deepEqual((await readInstallRequirements([utf16], [])).requirements, [{ requirement: 'idna==3.4', hashes: [] }]);
    } finally {
      if (previous === undefined) delete process.env['PAVED_TEST_PIN'];
      else process.env['PAVED_TEST_PIN'] = previous;
    }
  });
});
