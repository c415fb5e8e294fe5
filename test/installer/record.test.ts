import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPavedError } from '../../src/errors.js';
import { parseRecord, renderRecord, type RecordEntry } from '../../src/installer/record.js';

const ROWS = 'pkg/__init__.py,sha256=abc,12\r\npkg/data.txt,sha256=def,0\n\npkg-1.0.dist-info/RECORD,,\rpkg-1.0.dist-info/METADATA,sha256=ghi,345';
const EXPECTED: RecordEntry[] = [
  { path: 'pkg/__init__.py', hash: 'sha256=abc', size: 12 },
  { path: 'pkg/data.txt', hash: 'sha256=def', size: 0 },
  { path: 'pkg-1.0.dist-info/RECORD', hash: '', size: null },
  { path: 'pkg-1.0.dist-info/METADATA', hash: 'sha256=ghi', size: 345 },
];

describe('RECORD files', () => {
  it('reads rows with any line ending, skipping blank lines, whether or not a field is quoted', () => {
    assert.deepEqual(parseRecord(ROWS), EXPECTED);
    // The same rows with needless quotes take the quote-aware reading and give the same result.
    assert.deepEqual(parseRecord(ROWS.replace('pkg/data.txt', '"pkg/data.txt"').replace('sha256=ghi', '"sha256=ghi"')), EXPECTED);
  });

  it('reads back what it writes, commas, quotes and line breaks in paths included', () => {
    const entries: RecordEntry[] = [...EXPECTED, { path: 'odd/a,b "c".txt', hash: 'sha256=x', size: 1 }, { path: 'odd/line\nbreak.txt', hash: '', size: null }];
    assert.deepEqual(parseRecord(renderRecord(entries)), entries);
  });

  it('refuses rows that are not path,hash,size, quoted or not', () => {
    for (const text of ['a,b,3,4\n', ',sha256=x,1\n', 'a,b,12x\n', '"a,b,3\n', 'a,"b",3,"4"\n']) {
      assert.throws(() => parseRecord(text), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_RECORD'), text);
    }
  });
});
