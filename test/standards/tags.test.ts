import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isPavedError } from '../../src/errors.js';
import {
  bestTagRank,
  parseCompressedTagSet,
  parseTag,
  supportedTags,
  tagPriority,
  tagToString,
  type InterpreterInfo,
} from '../../src/standards/tags.js';
import { linuxPlatforms } from '../../src/standards/platformTags.js';

interface SupportedTagsFixture {
  generator: string;
  cases: Record<string, { call: string; info: InterpreterInfo; tags: string[] }>;
}

// Generated once from the `packaging` library (see "generator" inside); the tests never run Python.
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/supportedTags.json', import.meta.url), 'utf8'),
) as SupportedTagsFixture;

const strings = (info: InterpreterInfo): string[] => supportedTags(info).map(tagToString);

describe('parseTag', () => {
  const table: Array<[string, string, string, string]> = [
    ['py3-none-any', 'py3', 'none', 'any'],
    ['cp311-cp311-manylinux_2_17_x86_64', 'cp311', 'cp311', 'manylinux_2_17_x86_64'],
    ['CP311-ABI3-WIN_AMD64', 'cp311', 'abi3', 'win_amd64'],
    ['pp310-pypy310_pp73-macosx_11_0_arm64', 'pp310', 'pypy310_pp73', 'macosx_11_0_arm64'],
    ['  py2-none-any\n', 'py2', 'none', 'any'],
  ];
  for (const [text, interpreter, abi, platform] of table) {
    it(`parses ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseTag(text), { interpreter, abi, platform });
    });
  }

  const bad = ['', 'py3', 'py3-none', 'py3-none-any-extra', 'py3--any', 'py3-none-', 'py 3-none-any', 'py3-none-any/../x', 'py3-no\u0000ne-any', 'py2.py3-none-any', 'py3..-none-any', 'py3-nöne-any'];
  for (const text of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseTag(text), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_TAG') && e.hint !== undefined);
    });
  }
});

describe('parseCompressedTagSet', () => {
  it('expands py2.py3-none-any into two tags', () => {
    assert.deepEqual(parseCompressedTagSet('py2.py3-none-any').map(tagToString), ['py2-none-any', 'py3-none-any']);
  });
  it('expands multiple platforms', () => {
    assert.deepEqual(parseCompressedTagSet('cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64').map(tagToString), [
      'cp311-cp311-manylinux_2_17_x86_64',
      'cp311-cp311-manylinux2014_x86_64',
    ]);
  });
  it('expands the cartesian product and drops duplicates', () => {
    assert.deepEqual(parseCompressedTagSet('py2.py3.py3-cp27mu.none-any').map(tagToString), [
      'py2-cp27mu-any',
      'py2-none-any',
      'py3-cp27mu-any',
      'py3-none-any',
    ]);
  });
  it('lowercases', () => {
    assert.deepEqual(parseCompressedTagSet('Py3-None-MACOSX_10_9_X86_64.Any').map(tagToString), ['py3-none-macosx_10_9_x86_64', 'py3-none-any']);
  });
  for (const text of ['py2.-none-any', '.py3-none-any', 'py3-none-any.', 'py3-none-a.n y']) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseCompressedTagSet(text), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_TAG'));
    });
  }
});

describe('supportedTags matches packaging', () => {
  for (const [name, { info, tags, call }] of Object.entries(fixture.cases)) {
    it(`${name} (${call})`, () => {
      const ours = strings(info);
      // Compare the head first so a failure shows the first divergence readably.
      assert.deepEqual(ours.slice(0, 40), tags.slice(0, 40));
      assert.deepEqual(ours.slice(-40), tags.slice(-40));
      assert.equal(ours.length, tags.length);
      assert.deepEqual(ours, tags);
    });
  }

  it('CPython 3.11 on glibc 2.36 x86_64 from linuxPlatforms() gives the same 914 tags as sys_tags()', () => {
    const expected = fixture.cases['cp311-manylinux_2_36-x86_64'];
    assert.ok(expected);
    const ours = strings({ implementation: 'cp', pythonVersion: [3, 11], platforms: linuxPlatforms({ arch: 'x86_64', glibc: [2, 36] }) });
    assert.equal(ours.length, 914);
    assert.deepEqual(ours, expected.tags);
    assert.equal(ours[0], 'cp311-cp311-manylinux_2_36_x86_64');
    assert.equal(ours.at(-1), 'py30-none-any');
  });
});

describe('supportedTags details', () => {
  const platforms = ['manylinux_2_17_x86_64', 'manylinux2014_x86_64', 'linux_x86_64'];

  it('derives cpXYm for CPython before 3.8', () => {
    const tags = strings({ implementation: 'cp', pythonVersion: [3, 7], platforms });
    assert.equal(tags[0], 'cp37-cp37m-manylinux_2_17_x86_64');
    assert.ok(tags.includes('cp37-abi3-linux_x86_64'));
    assert.ok(tags.includes('cp32-abi3-linux_x86_64'));
    assert.ok(!tags.includes('cp31-abi3-linux_x86_64'));
  });

  it('ignores abi3 and none passed in abis and keeps them in their fixed places', () => {
    const withExtras = strings({ implementation: 'cp', pythonVersion: [3, 12], abis: ['none', 'cp312', 'abi3'], platforms });
    assert.deepEqual(withExtras, strings({ implementation: 'cp', pythonVersion: [3, 12], platforms }));
  });

  it('puts the interpreter-specific pure tag before generic pure tags', () => {
    const tags = strings({ implementation: 'cp', pythonVersion: [3, 12], platforms: ['win_amd64'] });
    const anyStart = tags.indexOf('cp312-none-any');
    assert.deepEqual(tags.slice(anyStart, anyStart + 4), ['cp312-none-any', 'py312-none-any', 'py3-none-any', 'py311-none-any']);
    assert.equal(tags.at(-1), 'py30-none-any');
  });

  it('gives generic implementations no shorthand pure tag', () => {
    const tags = strings({ implementation: 'graalpy', pythonVersion: [3, 10], abis: ['graalpy_310_native'], platforms: ['linux_x86_64'] });
    assert.deepEqual(tags.slice(0, 3), ['graalpy310-graalpy_310_native-linux_x86_64', 'graalpy310-none-linux_x86_64', 'py310-none-linux_x86_64']);
    assert.ok(!tags.some((t) => t.startsWith('graalpy3-')));
    assert.ok(tags.includes('py3-none-any'));
  });

  it('free-threaded CPython gets abi3t, never abi3', () => {
    const tags = strings({ implementation: 'cp', pythonVersion: [3, 14], abis: ['cp314t'], platforms });
    assert.ok(tags.includes('cp314-abi3t-linux_x86_64'));
    assert.ok(!tags.some((t) => t.includes('-abi3-')));
  });

  it('lists only pure tags when there are no platforms beyond any', () => {
    const tags = strings({ implementation: 'cp', pythonVersion: [3, 11], platforms: [] });
    assert.deepEqual(tags.slice(0, 3), ['cp311-none-any', 'py311-none-any', 'py3-none-any']);
  });
});

describe('tagPriority and bestTagRank', () => {
  const supported = supportedTags({ implementation: 'cp', pythonVersion: [3, 11], platforms: linuxPlatforms({ arch: 'x86_64', glibc: [2, 36] }) });
  const priority = tagPriority(supported);

  it('ranks the first tag 0 and unknown tags null', () => {
    assert.equal(priority(parseTag('cp311-cp311-manylinux_2_36_x86_64')), 0);
    assert.equal(priority(parseTag('cp312-cp312-manylinux_2_17_x86_64')), null);
    assert.equal(priority(parseTag('cp311-cp311-win_amd64')), null);
    assert.equal(priority(parseTag('py3-none-any')), supported.findIndex((t) => tagToString(t) === 'py3-none-any'));
  });

  const wheels: Array<[string, boolean]> = [
    ['cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64', true],
    ['cp311-cp311-manylinux_2_28_x86_64', true],
    ['cp311-cp311-manylinux_2_39_x86_64', false],
    ['cp311-cp311-musllinux_1_2_x86_64', false],
    ['cp38-abi3-manylinux_2_17_x86_64', true],
    ['cp312-abi3-manylinux_2_17_x86_64', false],
    ['py2.py3-none-any', true],
    ['py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64', true],
    ['cp311-cp311-manylinux_2_17_aarch64', false],
    ['cp311-none-manylinux2014_x86_64', true],
    ['py2-none-any', false],
  ];
  for (const [tagSet, compatible] of wheels) {
    it(`${tagSet} is ${compatible ? '' : 'not '}installable on cp311 glibc 2.36`, () => {
      const rank = bestTagRank(parseCompressedTagSet(tagSet), priority);
      assert.equal(rank !== null, compatible);
    });
  }

  it('prefers a newer manylinux over an older, binary over abi3, abi3 over pure', () => {
    const rank = (tagSet: string): number => bestTagRank(parseCompressedTagSet(tagSet), priority) ?? Infinity;
    assert.ok(rank('cp311-cp311-manylinux_2_28_x86_64') < rank('cp311-cp311-manylinux_2_17_x86_64'));
    assert.ok(rank('cp311-cp311-manylinux_2_17_x86_64') < rank('cp311-abi3-manylinux_2_28_x86_64'));
    assert.ok(rank('cp310-abi3-manylinux_2_17_x86_64') < rank('cp39-abi3-manylinux_2_28_x86_64'));
    assert.ok(rank('cp37-abi3-manylinux_2_17_x86_64') < rank('py3-none-any'));
    assert.equal(rank('py3-none-any'), rank('py2.py3-none-any'));
  });

  it('returns null for an empty tag list', () => {
    assert.equal(bestTagRank([], priority), null);
  });
});
