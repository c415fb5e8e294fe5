import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPavedError } from '../../src/errors.js';
import { withPinnedCandidates, type PinnedCandidate } from '../../src/resolver/pinnedCandidates.js';
import { resolve } from '../../src/resolver/resolve.js';
import { parseVersion } from '../../src/standards/version.js';
import { LINUX_311, TableProvider, pins } from './tableProvider.js';

const BASE = { environment: LINUX_311, pythonVersion: '3.11.7' };

const table = {
  app: { '1.0': ['lib>=1'], '2.0': ['lib>=2'] },
  lib: { '1.0': [], '2.0': [], '3.0': [] },
  extra: { '1.0': [] },
};

const pin = (version: string, dependencies: string[] = [], requiresPython: string | null = null): PinnedCandidate => ({ version: parseVersion(version), dependencies, requiresPython });

describe('withPinnedCandidates (direct URL wheels as fixed candidates)', () => {
  it('makes the pinned release the only candidate, with its own dependencies, never asking the index', async () => {
    const provider = new TableProvider(table);
    const pinned = withPinnedCandidates(provider, new Map([['Lib', pin('9.0+local', ['extra'])]]));
    const resolution = await resolve(['app', 'lib==9.0+local'], pinned, BASE);
    assert.deepEqual(pins(resolution), { app: '2.0', lib: '9.0+local', extra: '1.0' });
    assert.equal(provider.calls.get('versions:lib'), undefined, 'the index was not asked about lib');
  });

  it('other requirements on the project must accept the pinned version', async () => {
    const pinned = withPinnedCandidates(new TableProvider(table), new Map([['lib', pin('0.5')]]));
    await assert.rejects(resolve(['lib==0.5', 'app'], pinned, BASE), (error: unknown) => isPavedError(error, 'PAVED_E_NO_SOLUTION') && /lib/.test(error.message));
    // A requirement that the pinned version meets is fine.
    assert.deepEqual(pins(await resolve(['lib==0.5', 'lib<1'], pinned, BASE)), { lib: '0.5' });
  });

  it('applies the pinned wheel\'s Requires-Python', async () => {
    const pinned = withPinnedCandidates(new TableProvider(table), new Map([['lib', pin('5.0', [], '>=3.12')]]));
    await assert.rejects(resolve(['lib==5.0'], pinned, BASE), (error: unknown) => isPavedError(error, 'PAVED_E_NO_SOLUTION') && /3\.12/.test(error.message));
  });

  it('leaves the provider as it is when nothing is pinned', () => {
    const provider = new TableProvider(table);
    assert.equal(withPinnedCandidates(provider, new Map()), provider);
  });
});
