import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { fetchDirectWheel, parseDirectRequirement } from '../../src/client/directWheel.js';
import type { IndexClient } from '../../src/client/indexClient/indexClient.js';
import { isPavedError } from '../../src/errors.js';
import { supportedTags } from '../../src/standards/tags.js';
import { buildWheel } from '../fixtures/buildDistributions.js';

const TAGS = supportedTags({ implementation: 'cp', pythonVersion: [3, 11], platforms: ['linux_x86_64'] });
const SHA = 'ab'.repeat(32);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isPavedError(error), String(error));
    return `${error.code}: ${error.message}`;
  }
  return 'no error';
}

describe('parseDirectRequirement', () => {
  it('leaves ordinary requirements alone', () => {
    assert.equal(parseDirectRequirement('flask>=2', '/work'), null);
    assert.equal(parseDirectRequirement('flask[async] ; python_version >= "3.8"', '/work'), null);
  });

  it('reads name @ URL with extras, marker and a #sha256 fragment, keeping credentials out of the recorded URL', () => {
    const d = parseDirectRequirement(`Demo_Pkg[cli] @ https://user:secret@files.example/p/demo_pkg-1.0-py3-none-any.whl#sha256=${SHA.toUpperCase()} ; python_version >= "3.8"`, '/work');
    assert.ok(d !== null);
    assert.equal(d.name, 'demo-pkg');
    assert.deepEqual(d.extras, ['cli']);
    assert.equal(d.url, 'https://files.example/p/demo_pkg-1.0-py3-none-any.whl');
    assert.equal(d.fetchUrl, 'https://user:secret@files.example/p/demo_pkg-1.0-py3-none-any.whl');
    assert.equal(d.fragmentSha256, SHA);
    assert.equal(d.filename, 'demo_pkg-1.0-py3-none-any.whl');
    assert.equal(d.text, 'demo-pkg[cli] @ https://files.example/p/demo_pkg-1.0-py3-none-any.whl ; python_version >= "3.8"');
  });

  it('reads bare paths (relative to the base folder) and bare URLs, taking the name from the file', () => {
    const rel = parseDirectRequirement('./dist/demo-2.0-py3-none-any.whl', '/work/app');
    assert.equal(rel?.url, 'file:///work/app/dist/demo-2.0-py3-none-any.whl');
    assert.equal(rel?.name, 'demo');
    assert.equal(rel?.text, 'demo @ file:///work/app/dist/demo-2.0-py3-none-any.whl');
    const abs = parseDirectRequirement(`/opt/w/demo-2.0-py3-none-any.whl#sha256=${SHA} ; sys_platform == "linux"`, '/work');
    assert.equal(abs?.url, 'file:///opt/w/demo-2.0-py3-none-any.whl');
    assert.equal(abs?.fragmentSha256, SHA);
    assert.equal(abs?.marker, 'sys_platform == "linux"');
    assert.equal(parseDirectRequirement('https://files.example/demo-2.0-py3-none-any.whl', '/w')?.name, 'demo');
    assert.equal(parseDirectRequirement('demo-2.0-py3-none-any.whl', '/w')?.url, 'file:///w/demo-2.0-py3-none-any.whl');
    // Other fragments (pip's md5, egg=) are ignored.
    assert.equal(parseDirectRequirement('demo @ https://x.example/demo-2.0-py3-none-any.whl#md5=0123&egg=demo', '/w')?.fragmentSha256, null);
  });

  const refused: [string, string, RegExp][] = [
    ['a VCS URL', 'demo @ git+https://github.com/x/demo.git@v1', /PAVED_E_URL_REQUIREMENT/],
    ['an ftp URL', 'demo @ ftp://x.example/demo-1.0-py3-none-any.whl', /PAVED_E_URL_REQUIREMENT: .*ftp/],
    ['an sdist URL', 'demo @ https://x.example/demo-1.0.tar.gz', /PAVED_E_URL_REQUIREMENT: .*not point at a wheel/],
    ['a directory', './src/demo/', /PAVED_E_URL_REQUIREMENT: .*not point at a wheel/],
    ['a name that is not the wheel\'s', 'other @ https://x.example/demo-1.0-py3-none-any.whl', /PAVED_E_WHEEL_MISMATCH: .*other.*demo/],
    ['a short #sha256', 'demo @ https://x.example/demo-1.0-py3-none-any.whl#sha256=abc', /PAVED_E_URL_REQUIREMENT: .*64 hex/],
    ['an encoded slash in the file name', 'demo @ https://x.example/..%2F..%2Fdemo-1.0-py3-none-any.whl', /PAVED_E_INVALID_FILENAME/],
    ['a malformed percent-encoding', 'demo @ https://x.example/demo%zz-1.0-py3-none-any.whl', /PAVED_E_URL_REQUIREMENT: .*percent/],
    ['a malformed wheel name', 'demo @ https://x.example/demo.whl', /PAVED_E_INVALID_FILENAME/],
    ['an oversized file name', `https://x.example/${'a'.repeat(5000)}-1.0-py3-none-any.whl`, /PAVED_E_INVALID_FILENAME/],
  ];
  for (const [name, text, pattern] of refused) {
    it(`refuses ${name}`, () => assert.match(code(() => parseDirectRequirement(text, '/w')), pattern));
  }
});

describe('fetchDirectWheel', () => {
  let dir: string;
  const client = { download: async () => assert.fail('local files are not downloaded') } as unknown as IndexClient;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paved-direct-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const wheelAt = async (filename: string, options: Parameters<typeof buildWheel>[0]): Promise<string> => {
    const path = join(dir, filename);
    await writeFile(path, await buildWheel(options));
    return path;
  };
  const fetch = (path: string, extra = ''): ReturnType<typeof fetchDirectWheel> => {
    const req = parseDirectRequirement(`${pathToFileURL(path).href}${extra}`, dir);
    assert.ok(req !== null);
    return fetchDirectWheel(req, { client, cacheDir: join(dir, 'cache'), tags: TAGS });
  };

  it('reads a local wheel in place: version, dependencies, Requires-Python, hash and the PEP 610 record', async () => {
    const path = await wheelAt('demo-1.0-py3-none-any.whl', { name: 'demo', version: '1.0', metadata: { requiresDist: ['idna>=3'], requiresPython: '>=3.8' } });
    const sha = createHash('sha256').update(await readFile(path)).digest('hex');
    const wheel = await fetch(path, `#sha256=${sha}`);
    assert.equal(wheel.path, path);
    assert.equal(wheel.version, '1.0');
    assert.deepEqual(wheel.requiresDist, ['idna>=3']);
    assert.equal(wheel.requiresPython, '>=3.8');
    assert.deepEqual(wheel.directUrl, { url: pathToFileURL(path).href, archive_info: { hash: `sha256=${sha}`, hashes: { sha256: sha } } });
  });

  const refused: [string, () => Promise<unknown>, string, RegExp][] = [
    ['a wrong #sha256', async () => fetch(await wheelAt('demo-1.1-py3-none-any.whl', { name: 'demo', version: '1.1' }), `#sha256=${SHA}`), 'PAVED_E_HASH_MISMATCH', /not the required/],
    ['a wheel for another interpreter', async () => fetch(await wheelAt('demo-1.2-cp312-cp312-manylinux_2_17_x86_64.whl', { name: 'demo', version: '1.2', tags: 'cp312-cp312-manylinux_2_17_x86_64' })), 'PAVED_E_NO_WHEEL', /does not fit/],
    ['a wheel whose METADATA names another project', async () => fetch(await wheelAt('demo-1.3-py3-none-any.whl', { name: 'demo', version: '1.3', metadata: 'Metadata-Version: 2.1\nName: evil\nVersion: 1.3\n', distInfoName: 'demo-1.3.dist-info' })), 'PAVED_E_WHEEL_MISMATCH', /evil/],
    ['a missing file', async () => fetch(join(dir, 'demo-9.0-py3-none-any.whl')), 'PAVED_E_NOT_FOUND', /does not exist/],
    ['a file that is not a zip', async () => {
      const p = join(dir, 'demo-1.4-py3-none-any.whl');
      await writeFile(p, 'not a zip');
      return fetch(p);
    }, 'PAVED_E_INVALID_ARCHIVE', /./],
  ];
  for (const [name, run, errorCode, pattern] of refused) {
    it(`refuses ${name}`, async () => {
      await assert.rejects(run(), (error: unknown) => {
        assert.ok(isPavedError(error), String(error));
        assert.equal(error.code, errorCode, error.message);
        assert.match(error.message, pattern);
        return true;
      });
    });
  }
});
