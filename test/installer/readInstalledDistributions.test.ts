import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPavedError } from '../../src/errors.js';
import { readInstalledDistributions } from '../../src/installer/readInstalledDistributions.js';

/** Writes `<site>/<dir>/<file>` with core metadata for name/version. */
async function fakeDistribution(site: string, name: string, version: string, options: { egg?: boolean; metadata?: string } = {}): Promise<void> {
  const dir = join(site, `${name.replace(/-/g, '_')}-${version}.${options.egg === true ? 'egg-info' : 'dist-info'}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, options.egg === true ? 'PKG-INFO' : 'METADATA'), options.metadata ?? `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nSummary: test\n`);
}

describe('readInstalledDistributions', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'paved-venv-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('reads dist-info and egg-info metadata of a POSIX venv, once through a lib64 link', async () => {
    const venv = join(root, 'posix');
    const site = join(venv, 'lib', 'python3.12', 'site-packages');
    await mkdir(site, { recursive: true });
    await writeFile(join(venv, 'pyvenv.cfg'), 'home = /usr/bin\n');
    await symlink('lib', join(venv, 'lib64'));
    await fakeDistribution(site, 'Jinja2', '2.7.1');
    await fakeDistribution(site, 'requests', '2.31.0');
    await fakeDistribution(site, 'oldstyle', '0.1', { egg: true });
    await fakeDistribution(site, 'broken', '1.0', { metadata: 'Name: broken\n' });
    await mkdir(join(site, 'requests'), { recursive: true });
    const result = await readInstalledDistributions(venv);
    assert.equal(result.sitePackages.length, 1);
    assert.deepEqual(result.distributions.map((d) => [d.name, d.version]).sort(), [['Jinja2', '2.7.1'], ['oldstyle', '0.1'], ['requests', '2.31.0']]);
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0]?.message ?? '', /broken-1\.0\.dist-info\/METADATA/);
  });

  it('reads a Windows-style Lib/site-packages layout', async () => {
    const venv = join(root, 'windows');
    await fakeDistribution(join(venv, 'Lib', 'site-packages'), 'colorama', '0.4.6');
    const result = await readInstalledDistributions(venv);
    assert.deepEqual(result.distributions.map((d) => d.name), ['colorama']);
  });

  it('a directory without site-packages, or no directory, is PAVED_E_NOT_FOUND with a hint', async () => {
    await mkdir(join(root, 'empty'), { recursive: true });
    await assert.rejects(readInstalledDistributions(join(root, 'empty')), (e: unknown) => isPavedError(e, 'PAVED_E_NOT_FOUND') && e.hint !== undefined && /site-packages/.test(e.message));
    await assert.rejects(readInstalledDistributions(join(root, 'missing')), (e: unknown) => isPavedError(e, 'PAVED_E_NOT_FOUND'));
  });
});
