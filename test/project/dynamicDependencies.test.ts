import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPavedError } from '../../src/errors.js';
import { dependenciesFromMetadata, dynamicDependencyFields } from '../../src/project/dynamicDependencies.js';
import { parsePyproject } from '../../src/project/pyproject.js';
import { parseCoreMetadata } from '../../src/standards/coreMetadata.js';

const metadata = (requires: string[], extras: string[] = []): ReturnType<typeof parseCoreMetadata> =>
  parseCoreMetadata(['Metadata-Version: 2.1', 'Name: dyn', 'Version: 1.0', ...extras.map((e) => `Provides-Extra: ${e}`), ...requires.map((r) => `Requires-Dist: ${r}`), ''].join('\n'));

describe('dynamic dependencies', () => {
  it('reads which dependency lists pyproject.toml leaves to the back-end', () => {
    assert.deepEqual(dynamicDependencyFields(parsePyproject('[project]\nname = "a"\nversion = "1"\ndynamic = ["dependencies"]\n')), ['dependencies']);
    assert.deepEqual(dynamicDependencyFields(parsePyproject('[project]\nname = "a"\ndynamic = ["version", "optional-dependencies"]\n')), ['optional-dependencies']);
    assert.deepEqual(dynamicDependencyFields(parsePyproject('[dependency-groups]\ndev = ["pytest"]\n')), []);
  });

  it('puts Requires-Dist back into dependencies and extras, keeping the conditions other than the extra', () => {
    const found = dependenciesFromMetadata(
      metadata(['idna', 'rich>=13; python_version < "3.12"', 'click; extra == "cli"', 'colorama; sys_platform == "win32" and extra == "CLI"', 'uvloop; extra == "web" and sys_platform != "win32"'], ['cli', 'web', 'docs']),
      'pyproject.toml',
    );
    assert.deepEqual(found.dependencies, ['idna', 'rich>=13; python_version < "3.12"']);
    assert.deepEqual(found.optionalDependencies, { cli: ['click', 'colorama; sys_platform == "win32"'], web: ['uvloop; sys_platform != "win32"'], docs: [] });
  });

  it('an extra in a marker that cannot be one list entry is an error naming the line', () => {
    for (const line of ['a; extra == "x" or python_version < "3.9"', 'b; extra != "x"', 'c; extra == "x" and extra == "y"']) {
      assert.throws(() => dependenciesFromMetadata(metadata([line]), 'pyproject.toml'), (error: unknown) => isPavedError(error, 'PAVED_E_DYNAMIC_DEPENDENCIES') && error.message.includes(JSON.stringify(line)));
    }
  });
});
