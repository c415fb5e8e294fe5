import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPavedError } from '../../src/errors.js';
import { parsePylock, readPylock } from '../../src/client/readPylock.js';

const LOCK = `
lock-version = "1.0"
environments = ["sys_platform == 'linux'"]
requires-python = ">=3.9"
created-by = "paved"

[[packages]]
name = "requests"
version = "2.28.1"
index = "https://pypi.org/simple"
wheels = [{ url = "https://files.example/requests-2.28.1-py3-none-any.whl", hashes = { sha256 = "aa" } }]

[[packages]]
name = "colorama"
version = "0.4.6"
marker = "sys_platform == 'win32'"

[[packages]]
name = "local-thing"
directory = { path = "./local" }
`;

describe('readPylock', () => {
  it('lists the locked packages with versions and markers', () => {
    const lock = parsePylock(LOCK);
    assert.equal(lock.lockVersion, '1.0');
    assert.deepEqual(lock.warnings, []);
    assert.deepEqual(lock.packages, [
      { name: 'requests', version: '2.28.1', marker: null, index: 0 },
      { name: 'colorama', version: '0.4.6', marker: "sys_platform == 'win32'", index: 1 },
      { name: 'local-thing', version: null, marker: null, index: 2 },
    ]);
  });

  it('warns about a newer minor lock-version and reads a lock without packages', () => {
    const lock = parsePylock('lock-version = "1.3"\ncreated-by = "x"\n');
    assert.deepEqual(lock.packages, []);
    assert.match(lock.warnings[0] ?? '', /1\.3, newer than 1\.0/);
  });

  const bad: [string, string, RegExp][] = [
    ['no lock-version', 'created-by = "x"\n', /no lock-version/],
    ['lock-version 2.0', 'lock-version = "2.0"\n', /lock-version "2\.0"; paved reads lock-version 1\.x/],
    ['lock-version a number', 'lock-version = 1.0\n', /no lock-version string/],
    ['not TOML', 'lock-version = "1.0"\n[[packages]\n', /not valid TOML \(line 2/],
    ['packages a table', 'lock-version = "1.0"\n[packages]\nname = "x"\n', /packages must be an array of tables/],
    ['a package without name', 'lock-version = "1.0"\n[[packages]]\nversion = "1"\n', /packages\[0\]\.name must be a non-empty string/],
    ['a numeric version', 'lock-version = "1.0"\n[[packages]]\nname = "x"\nversion = 1\n', /packages\[0\]\.version must be a string/],
  ];
  for (const [name, text, message] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(() => parsePylock(text), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_LOCKFILE') && message.test(e.message));
    });
  }

  it('reads a file, and a missing one is PAVED_E_NOT_FOUND', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paved-lock-'));
    try {
      await writeFile(join(dir, 'pylock.toml'), LOCK);
      assert.equal((await readPylock(join(dir, 'pylock.toml'))).packages.length, 3);
      await assert.rejects(readPylock(join(dir, 'nope.toml')), (e: unknown) => isPavedError(e, 'PAVED_E_NOT_FOUND'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
