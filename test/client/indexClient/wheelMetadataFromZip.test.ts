import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import yazl from 'yazl';
import { bufferRangeSource, readWheelMetadataFromZip, type RangeSource } from '../../../src/client/indexClient/wheelMetadataFromZip.js';
import { isPavedError } from '../../../src/errors.js';
import { PYPI_SUBSET } from '../../fixtures/corpus.js';

const METADATA = 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n';

function zip(members: [string, string | Buffer, { compress?: boolean }?][], comment?: string): Promise<Buffer> {
  const file = new yazl.ZipFile();
  for (const [name, content, options] of members) {
    file.addBuffer(Buffer.from(content), name, { compress: options?.compress ?? true, mtime: new Date(0) });
  }
  file.end({ forceZip64Format: false, comment: comment ?? '' });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    file.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    file.outputStream.on('error', reject);
    file.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** A source that only knows `tailBytes` of the end and counts further reads. */
function countingSource(bytes: Buffer, tailBytes: number): RangeSource & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return {
    size: bytes.length,
    tail: bytes.subarray(Math.max(0, bytes.length - tailBytes)),
    reads,
    read: (start, end) => {
      reads.push([start, end]);
      return Promise.resolve(bytes.subarray(start, end));
    },
  };
}

function invalidArchive(error: unknown): boolean {
  return isPavedError(error, 'PAVED_E_INVALID_ARCHIVE');
}

describe('readWheelMetadataFromZip', () => {
  it('reads deflated and stored METADATA, with or without an archive comment', async () => {
    for (const compress of [true, false]) {
      for (const comment of [undefined, 'x'.repeat(1000)]) {
        const bytes = await zip([['demo/__init__.py', 'print(1)\n'.repeat(500)], ['demo-1.0.dist-info/METADATA', METADATA, { compress }], ['demo-1.0.dist-info/RECORD', '']], comment);
        const metadata = await readWheelMetadataFromZip(bufferRangeSource(bytes), 'demo.whl', 'demo');
        assert.equal(metadata.toString(), METADATA);
      }
    }
  });

  it('reads only what it needs when the tail is short: central directory and one member', async () => {
    const big = Buffer.alloc(200_000, 7);
    const bytes = await zip([['demo-1.0.dist-info/METADATA', METADATA], ['demo/blob.bin', big, { compress: false }], ['demo-1.0.dist-info/RECORD', '']]);
    const source = countingSource(bytes, 100);
    assert.equal((await readWheelMetadataFromZip(source, 'demo.whl', 'demo')).toString(), METADATA);
    const read = source.reads.reduce((sum, [start, end]) => sum + end - start, 0);
    assert.ok(read < 2_000, `read ${read} bytes`);
  });

  it('prefers the dist-info of the named project when there are several', async () => {
    const bytes = await zip([['other-2.0.dist-info/METADATA', 'Metadata-Version: 2.1\nName: other\nVersion: 2.0\n'], ['Demo_Pkg-1.0.dist-info/METADATA', METADATA]]);
    assert.equal((await readWheelMetadataFromZip(bufferRangeSource(bytes), 'x.whl', 'demo-pkg')).toString(), METADATA);
  });

  it('reads a real corpus wheel from a 64 KiB tail', async () => {
    const bytes = await readFile(join(PYPI_SUBSET, 'rich-15.0.0-py3-none-any.whl'));
    const source = countingSource(bytes, 64 * 1024);
    assert.match((await readWheelMetadataFromZip(source, 'rich.whl', 'rich')).toString(), /^Metadata-Version: .*\nName: rich\n/);
  });

  const hostile: [string, () => Promise<Buffer>][] = [
    ['not a zip', () => Promise.resolve(Buffer.from('hello, this is not a zip file at all'))],
    ['empty', () => Promise.resolve(Buffer.alloc(0))],
    ['no METADATA', () => zip([['demo/__init__.py', '']])],
    ['METADATA outside a dist-info', () => zip([['demo/METADATA', METADATA], ['METADATA', METADATA]])],
    ['truncated at the end', async () => (await zip([['demo-1.0.dist-info/METADATA', METADATA]])).subarray(0, -10)],
    [
      'a corrupted CRC',
      async () => {
        const bytes = Buffer.from(await zip([['demo-1.0.dist-info/METADATA', METADATA, { compress: false }]]));
        const at = bytes.indexOf('Metadata-Version');
        bytes[at] = 'N'.charCodeAt(0);
        return bytes;
      },
    ],
    [
      'a central directory pointing past the file',
      async () => {
        const bytes = Buffer.from(await zip([['demo-1.0.dist-info/METADATA', METADATA]]));
        const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
        bytes.writeUInt32LE(bytes.length + 1000, eocd + 16);
        return bytes;
      },
    ],
    [
      'a METADATA inflating past its declared size (zip bomb)',
      async () => {
        const bytes = Buffer.from(await zip([['demo-1.0.dist-info/METADATA', 'A'.repeat(100_000)]]));
        const central = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
        bytes.writeUInt32LE(10, central + 24);
        return bytes;
      },
    ],
    [
      'a METADATA declaring 100 MB',
      async () => {
        const bytes = Buffer.from(await zip([['demo-1.0.dist-info/METADATA', METADATA]]));
        const central = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
        bytes.writeUInt32LE(100_000_000, central + 24);
        return bytes;
      },
    ],
  ];
  for (const [what, make] of hostile) {
    it(`refuses ${what}`, async () => {
      const bytes = await make();
      await assert.rejects(readWheelMetadataFromZip(bufferRangeSource(bytes), 'bad.whl', 'demo'), invalidArchive);
      await assert.rejects(readWheelMetadataFromZip(countingSource(bytes, 30), 'bad.whl', 'demo'), invalidArchive);
    });
  }
});
