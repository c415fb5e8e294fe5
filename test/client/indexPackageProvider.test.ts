import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IndexClient, IndexFile } from '../../src/client/indexClient/indexClient.js';
import { createIndexPackageProvider } from '../../src/client/indexPackageProvider.js';
import { emptyCoreMetadata } from '../../src/standards/coreMetadata.js';
import { parseDistributionFilename } from '../../src/standards/distributionFilename.js';
import { supportedTags } from '../../src/standards/tags.js';
import { parseVersion } from '../../src/standards/version.js';

const TAGS = supportedTags({ implementation: 'cp', pythonVersion: [3, 11], platforms: ['manylinux_2_17_x86_64', 'linux_x86_64'] });

function file(filename: string, extra: Partial<IndexFile> = {}): IndexFile {
  const parsed = parseDistributionFilename(filename);
  return {
    filename,
    url: `https://example.test/files/${filename}`,
    parsed,
    version: parsed.version,
    hashes: {},
    sha256: null,
    requiresPython: null,
    yanked: false,
    coreMetadata: true,
    size: null,
    uploadTime: null,
    source: 'https://example.test/simple/',
    sourceKind: 'index',
    ...extra,
  };
}

function fakeClient(projects: Record<string, IndexFile[]>, requiresDist: Record<string, string[]> = {}): IndexClient & { metadataAsked: string[] } {
  const metadataAsked: string[] = [];
  return {
    metadataAsked,
    getProject: async (name) => ({ name, index: null, files: projects[name] ?? [], versions: null, projectStatus: null }),
    getMetadata: async (f) => {
      metadataAsked.push(f.filename);
      return { ...emptyCoreMetadata(), name: f.parsed.name, version: f.version, requiresDist: requiresDist[f.filename] ?? [] };
    },
    download: async () => {
      throw new Error('not used');
    },
    close: async () => {},
  };
}

describe('index package provider', () => {
  it('offers only releases with a compatible wheel, newest first, and remembers the rest', async () => {
    const client = fakeClient({
      demo: [
        file('demo-1.0.tar.gz'),
        file('demo-1.0-py3-none-any.whl'),
        file('demo-2.0.tar.gz'),
        file('demo-1.5-cp312-cp312-manylinux_2_17_x86_64.whl'),
        file('demo-1.10-py3-none-any.whl', { requiresPython: '>=3.9' }),
      ],
    });
    const provider = createIndexPackageProvider(client, { tags: TAGS });
    const versions = await provider.listVersions('demo');
    assert.deepEqual(
      versions.map((v) => [v.version.toString(), v.requiresPython]),
      [
        ['1.10', '>=3.9'],
        ['1.0', null],
      ],
    );
    assert.deepEqual(
      provider.skipped().map((s) => `${s.version}:${s.reason}`).sort(),
      ['1.5:no-compatible-wheel', '2.0:sdist-only'],
    );
    assert.deepEqual(await provider.listVersions('nothing-here'), []);
  });

  it('picks the best-ranked wheel and reads dependencies from it only', async () => {
    const client = fakeClient(
      {
        fast: [
          file('fast-1.0-py3-none-any.whl'),
          file('fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl'),
          file('fast-1.0-cp311-abi3-linux_x86_64.whl'),
          file('fast-1.0-cp39-cp39-manylinux_2_17_x86_64.whl'),
        ],
      },
      { 'fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl': ['idna>=3'] },
    );
    const provider = createIndexPackageProvider(client, { tags: TAGS });
    const best = await provider.bestWheel('fast', parseVersion('1.0'));
    assert.equal(best?.filename, 'fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl');
    assert.deepEqual(await provider.getDependencies('fast', parseVersion('1.0')), ['idna>=3']);
    assert.deepEqual(client.metadataAsked, ['fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl']);
    assert.equal(await provider.bestWheel('fast', parseVersion('9.9')), null);
  });

  it('prefers a higher build tag and an unyanked file; a release is yanked only when all its wheels are', async () => {
    const client = fakeClient({
      b: [file('b-1.0-1-py3-none-any.whl'), file('b-1.0-2-py3-none-any.whl')],
      y: [file('y-1.0-py3-none-any.whl', { yanked: 'broken' }), file('y-1.0-py2.py3-none-any.whl'), file('y-2.0-py3-none-any.whl', { yanked: 'bad build' })],
    });
    const provider = createIndexPackageProvider(client, { tags: TAGS });
    assert.equal((await provider.bestWheel('b', parseVersion('1.0')))?.filename, 'b-1.0-2-py3-none-any.whl');
    const y = await provider.listVersions('y');
    assert.deepEqual(
      y.map((v) => [v.version.toString(), v.yanked]),
      [
        ['2.0', 'bad build'],
        ['1.0', false],
      ],
    );
  });

  it('skips files whose version does not parse instead of failing the project', async () => {
    const bad = file('ok-1.0-py3-none-any.whl');
    const client = fakeClient({ ok: [{ ...bad, version: 'not a version' }, file('ok-2.0-py3-none-any.whl')] });
    const provider = createIndexPackageProvider(client, { tags: TAGS });
    assert.deepEqual((await provider.listVersions('ok')).map((v) => v.version.toString()), ['2.0']);
  });
});
