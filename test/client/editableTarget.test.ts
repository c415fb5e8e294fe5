import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { editableTarget } from '../../src/client/readInstallRequirements.js';
import { isPavedError } from '../../src/errors.js';

describe('editableTarget (pip\'s -e DIR[extras])', () => {
  it('reads a folder relative to the working directory, a file: URL, and extras after either', () => {
    assert.deepEqual(editableTarget('.'), { dir: process.cwd(), extras: [] });
    assert.deepEqual(editableTarget('./tool[cli, Test_Extra]'), { dir: resolve('tool'), extras: ['cli', 'test-extra'] });
    assert.deepEqual(editableTarget('file:///srv/app[dev]'), { dir: '/srv/app', extras: ['dev'] });
    assert.deepEqual(editableTarget('/srv/app[]'), { dir: '/srv/app', extras: [] });
  });

  it('refuses what is not a local project folder, saying where it was written', () => {
    const refused = (value: string, where: string, message: RegExp): void => {
      assert.throws(() => editableTarget(value, where), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_REQUIREMENTS') && message.test(error.message), value);
    };
    refused('git+https://example.invalid/x.git#egg=x', 'req.txt:3: ', /^req\.txt:3: -e git\+https:\/\/example\.invalid\/x\.git#egg=x: only local project folders can be installed in editable mode$/);
    refused('https://example.invalid/x.tar.gz', '', /only local project folders/);
    refused('./tool[no extra!]', '', /: \[no extra!\] is not a list of extras$/);
    refused('[dev]', '', /-e \[dev\]: names no folder$/);
    refused('file://remote-host/srv/app', '', /is not a local file URL$/);
  });
});
