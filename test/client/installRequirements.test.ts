import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IndexClient, IndexFile } from '../../src/client/indexClient/indexClient.js';
import { isPavedError } from '../../src/errors.js';
import { resolveWheels } from '../../src/client/installRequirements.js';
import type { PythonInterpreter } from '../../src/installer/interpreter.js';
import { emptyCoreMetadata } from '../../src/standards/coreMetadata.js';
import { parseDistributionFilename } from '../../src/standards/distributionFilename.js';
import type { MarkerEnvironment } from '../../src/standards/markers.js';
import { supportedTags } from '../../src/standards/tags.js';

const ENV: MarkerEnvironment = {
  os_name: 'posix', sys_platform: 'linux', platform_machine: 'x86_64', platform_python_implementation: 'CPython', platform_release: '', platform_system: 'Linux',
  platform_version: '', python_version: '3.11', python_full_version: '3.11.7', implementation_name: 'cpython', implementation_version: '3.11.7',
};
// Only the facts resolving reads.
const INTERPRETER = { version: '3.11.7', markerEnvironment: ENV, tags: supportedTags({ implementation: 'cp', pythonVersion: [3, 11], platforms: ['linux_x86_64'] }) } as unknown as PythonInterpreter;

const sha = (c: string): string => c.repeat(64);

function file(filename: string, sha256: string | null = null): IndexFile {
  const parsed = parseDistributionFilename(filename);
  return { filename, url: `https://example.test/${filename}`, parsed, version: parsed.version, hashes: sha256 === null ? {} : { sha256 }, sha256, requiresPython: null, yanked: false, coreMetadata: true, size: null, uploadTime: null, source: 'x', sourceKind: 'index' };
}

function client(projects: Record<string, IndexFile[]>, deps: Record<string, string[]> = {}): IndexClient {
  return {
    getProject: async (name) => ({ name, index: null, files: projects[name] ?? [], versions: null, projectStatus: null }),
    getMetadata: async (f) => ({ ...emptyCoreMetadata(), name: f.parsed.name, version: f.version, requiresDist: deps[f.filename] ?? [] }),
    download: async () => {
      throw new Error('not used');
    },
    close: async () => {},
  };
}

const INDEX = client(
  {
    app: [file('app-1.0-py3-none-any.whl', sha('a'))],
    lib: [file('lib-1.0-py3-none-any.whl', sha('b')), file('lib-2.0.tar.gz', sha('c'))],
    src: [file('src-1.0.tar.gz')],
  },
  { 'app-1.0-py3-none-any.whl': ['lib'] },
);

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isPavedError(error), String(error));
    return { code: error.code, message: error.message };
  }
  assert.fail('expected a failure');
}

describe('resolveWheels', () => {
  it('resolves the closure to wheels, marking what was requested, with the index hash as the one allowed', async () => {
    const { wheels, skipped } = await resolveWheels({ requirements: [{ requirement: 'app' }], client: INDEX, interpreter: INTERPRETER });
    assert.deepEqual(wheels.map((w) => [w.name, w.version, w.requested, w.allowedSha256]), [
      ['app', '1.0', true, [sha('a')]],
      ['lib', '1.0', false, [sha('b')]],
    ]);
    assert.deepEqual(skipped.map((s) => `${s.name} ${s.version} ${s.reason}`), ['lib 2.0 sdist-only']);
  });

  it('--no-deps resolves the requirements only, still checking pinned hashes', async () => {
    const { wheels } = await resolveWheels({ requirements: [{ requirement: 'app' }], client: INDEX, interpreter: INTERPRETER, noDeps: true });
    assert.deepEqual(wheels.map((w) => w.name), ['app']);
    const e = await failure(resolveWheels({ requirements: [{ requirement: 'app==1.0', hashes: [`sha256:${sha('f')}`] }], client: INDEX, interpreter: INTERPRETER, noDeps: true, requireHashes: true }));
    assert.equal(e.code, 'PAVED_E_HASH_MISMATCH');
  });

  it('says when a yanked release is chosen (an exact pin), with its reason, and only then', async () => {
    const yanked = { ...file('old-1.0-py3-none-any.whl', sha('d')), yanked: 'broken build' };
    const index = client({ old: [yanked, file('old-2.0-py3-none-any.whl', sha('e'))] });
    const events: unknown[] = [];
    const pinned = await resolveWheels({ requirements: [{ requirement: 'old==1.0' }], client: index, interpreter: INTERPRETER, onEvent: (e) => events.push(e) });
    assert.deepEqual(pinned.wheels.map((w) => w.version), ['1.0']);
    assert.deepEqual(events.filter((e) => (e as { type: string }).type === 'yanked'), [{ type: 'yanked', name: 'old', version: '1.0', reason: 'broken build' }]);
    events.length = 0;
    await resolveWheels({ requirements: [{ requirement: 'old' }], client: index, interpreter: INTERPRETER, onEvent: (e) => events.push(e) });
    assert.deepEqual(events.filter((e) => (e as { type: string }).type === 'yanked'), []);
  });

  it('names sdist-only releases when nothing fits', async () => {
    const e = await failure(resolveWheels({ requirements: [{ requirement: 'src' }], client: INDEX, interpreter: INTERPRETER }));
    assert.equal(e.code, 'PAVED_E_NO_SOLUTION');
    assert.match(e.message, /src 1\.0 \(sdist only\)/);
    const e2 = await failure(resolveWheels({ requirements: [{ requirement: 'lib>=2' }], client: INDEX, interpreter: INTERPRETER }));
    assert.match(e2.message, /lib 2\.0 \(sdist only\)/);
  });

  const hashCases: { name: string; requirements: { requirement: string; hashes?: string[] }[]; code: string | null; pattern?: RegExp }[] = [
    { name: 'unpinned', requirements: [{ requirement: 'lib>=1', hashes: [`sha256:${sha('b')}`] }], code: 'PAVED_E_HASH_REQUIRED', pattern: /not pinned/ },
    { name: 'wildcard pin', requirements: [{ requirement: 'lib==1.*', hashes: [`sha256:${sha('b')}`] }], code: 'PAVED_E_HASH_REQUIRED', pattern: /not pinned/ },
    { name: 'no hash', requirements: [{ requirement: 'lib==1.0' }], code: 'PAVED_E_HASH_REQUIRED', pattern: /no --hash/ },
    { name: 'md5 only', requirements: [{ requirement: 'lib==1.0', hashes: ['md5:0123'] }], code: 'PAVED_E_INVALID_REQUIREMENTS', pattern: /not a sha256 digest/ },
    { name: 'wrong hash', requirements: [{ requirement: 'lib==1.0', hashes: [`sha256:${sha('f')}`] }], code: 'PAVED_E_HASH_MISMATCH', pattern: /not among/ },
    { name: 'dependency without hash', requirements: [{ requirement: 'app==1.0', hashes: [`sha256:${sha('a')}`] }], code: 'PAVED_E_HASH_REQUIRED', pattern: /lib 1\.0 is needed/ },
    { name: 'one of several hashes', requirements: [{ requirement: 'lib==1.0', hashes: [`sha256:${sha('f')}`, `sha256:${sha('B')}`] }], code: null },
    {
      name: 'whole closure hashed',
      requirements: [
        { requirement: 'app==1.0', hashes: [`sha256:${sha('a')}`] },
        { requirement: 'lib==1.0', hashes: [`sha256:${sha('b')}`] },
      ],
      code: null,
    },
  ];
  for (const c of hashCases) {
    it(`--require-hashes: ${c.name}`, async () => {
      const run = resolveWheels({ requirements: c.requirements, client: INDEX, interpreter: INTERPRETER, requireHashes: true });
      if (c.code === null) {
        const { wheels } = await run;
        assert.ok(wheels.length > 0);
        return;
      }
      const e = await failure(run);
      assert.equal(e.code, c.code);
      if (c.pattern !== undefined) assert.match(e.message, c.pattern);
    });
  }
});
