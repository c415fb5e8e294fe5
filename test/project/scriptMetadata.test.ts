import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPavedError } from '../../src/errors.js';
import { MAX_BLOCK_BYTES, MAX_SCRIPT_BYTES, parseScriptMetadata, readScriptMetadata } from '../../src/project/scriptMetadata.js';

function fails(fn: () => unknown, code: string, pattern: RegExp): void {
  try {
    fn();
  } catch (error) {
    assert.ok(isPavedError(error), String(error));
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    assert.ok(error.hint !== undefined);
    return;
  }
  assert.fail('expected a PavedError');
}

const PEP_EXAMPLE = `# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "requests<3",
#   "rich",
# ]
# ///

import requests
from rich.pretty import pprint
`;

describe('parseScriptMetadata', () => {
  it('reads the example of PEP 723', () => {
    assert.deepEqual(parseScriptMetadata(PEP_EXAMPLE), { dependencies: ['requests<3', 'rich'], requiresPython: '>=3.11', tool: {}, unknownKeys: [] });
  });

  it('returns null for a script without a block, and for blocks of other types only', () => {
    assert.equal(parseScriptMetadata('print("hi")\n'), null);
    assert.equal(parseScriptMetadata('# /// pyproject\n# x = 1\n# ///\n'), null);
    // Not an opening line: no space, trailing space, bad type characters, indented.
    assert.equal(parseScriptMetadata('#/// script\n# dependencies = ["a"]\n# ///\n'), null);
    assert.equal(parseScriptMetadata('# /// script \n# dependencies = ["a"]\n# ///\n'), null);
    assert.equal(parseScriptMetadata('  # /// script\n# dependencies = ["a"]\n# ///\n'), null);
  });

  it('keeps [tool] tables, lines that are only #, CRLF line ends and a BOM', () => {
    const text = '\uFEFF#!/usr/bin/env python\r\n# /// script\r\n# dependencies = ["a"]\r\n#\r\n# [tool.paved]\r\n# index = "x"\r\n# ///\r\nprint(1)\r\n';
    const m = parseScriptMetadata(text);
    assert.deepEqual(m?.dependencies, ['a']);
    assert.deepEqual(JSON.parse(JSON.stringify(m?.tool)), { paved: { index: 'x' } });
    assert.equal(m?.requiresPython, null);
  });

  it('ends the block at the last `# ///` before a non-content line (the PEP precedence rule)', () => {
    const text = ['# /// script', '# dependencies = ["a"]', '# note = """', '# ///', '# """', '# ///', '', 'x = 1'].join('\n');
    const m = parseScriptMetadata(text);
    assert.deepEqual(m?.dependencies, ['a']);
    assert.deepEqual(m?.unknownKeys, ['note']);
  });

  it('skips other block types, even ones holding a `# /// script` line', () => {
    const text = ['# /// other', '# # /// script', '# ///', '', '# /// script', '# dependencies = ["b"]', '# ///'].join('\n');
    assert.deepEqual(parseScriptMetadata(text)?.dependencies, ['b']);
    // With no line between, the second opening line is content of the first block, which runs to the last `# ///`.
    const joined = ['# /// other', '# ///', '# /// script', '# dependencies = ["b"]', '# ///'].join('\n');
    assert.equal(parseScriptMetadata(joined), null);
  });

  const hostile: [string, string, RegExp][] = [
    ['two script blocks', '# /// script\n# dependencies = []\n# ///\n\n# /// script\n# dependencies = []\n# ///\n', /2 `# \/\/\/ script` blocks \(lines 1, 5\)/],
    ['an unclosed block', '# /// script\n# dependencies = ["a"]\nimport a\n', /opened on line 1 is never closed/],
    ['an unclosed block at end of file', '# /// script\n# dependencies = ["a"]', /never closed/],
    ['invalid TOML', '# /// script\n# dependencies = [\n# ///\n', /not valid TOML/],
    ['dependencies not an array', '# /// script\n# dependencies = "a"\n# ///\n', /must be an array of strings/],
    ['a dependency not a string', '# /// script\n# dependencies = [1]\n# ///\n', /must be an array of strings/],
    ['an invalid requirement', '# /// script\n# dependencies = ["a >>> 1"]\n# ///\n', /not a valid requirement/],
    ['requires-python not a string', '# /// script\n# requires-python = 3.11\n# ///\n', /must be a string/],
    ['requires-python invalid', '# /// script\n# requires-python = "3.11 or so"\n# ///\n', /not a valid specifier set/],
    ['tool not a table', '# /// script\n# tool = 1\n# ///\n', /`tool` must be a table/],
    ['a block over the size limit', `# /// script\n# x = "${'a'.repeat(MAX_BLOCK_BYTES)}"\n# ///\n`, /larger than/],
    ['a content line without the space (block never closes)', '# /// script\n#dependencies = []\n# ///\n', /never closed/],
  ];
  for (const [name, text, pattern] of hostile) {
    it(`refuses ${name} with a clear error`, () => fails(() => parseScriptMetadata(text, 'x.py'), 'PAVED_E_INVALID_SCRIPT_METADATA', pattern));
  }
});

describe('readScriptMetadata', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paved-script-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a script file', async () => {
    const path = join(dir, 'ok.py');
    await writeFile(path, PEP_EXAMPLE);
    assert.deepEqual((await readScriptMetadata(path))?.dependencies, ['requests<3', 'rich']);
  });

  const cases: [string, () => Promise<string>, string, RegExp][] = [
    ['a missing file', async () => join(dir, 'missing.py'), 'PAVED_E_NOT_FOUND', /does not exist/],
    ['a directory', async () => dir, 'PAVED_E_INVALID_SCRIPT_METADATA', /not a file/],
    ['a file that is not UTF-8', async () => {
      const p = join(dir, 'latin1.py');
      await writeFile(p, Buffer.from([0x23, 0x20, 0xff, 0xfe, 0x0a]));
      return p;
    }, 'PAVED_E_INVALID_SCRIPT_METADATA', /not UTF-8/],
    ['an oversized file', async () => {
      const p = join(dir, 'huge.py');
      await writeFile(p, Buffer.alloc(MAX_SCRIPT_BYTES + 1, 0x20));
      return p;
    }, 'PAVED_E_INVALID_SCRIPT_METADATA', /larger than/],
  ];
  for (const [name, make, code, pattern] of cases) {
    it(`refuses ${name}`, async () => {
      const path = await make();
      await assert.rejects(readScriptMetadata(path), (error: unknown) => isPavedError(error, code) && pattern.test(error.message));
    });
  }
});
