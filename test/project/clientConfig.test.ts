import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPavedError } from '../../src/errors.js';
import { parseUserConfig, resolveClientConfig, userConfigPath } from '../../src/project/clientConfig.js';
import { parsePyproject } from '../../src/project/pyproject.js';

describe('resolveClientConfig', () => {
  let home: string;
  let projectDir: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'paved-config-'));
    projectDir = join(home, 'src', 'app');
    await mkdir(projectDir, { recursive: true });
    await mkdir(join(home, '.config', 'paved'), { recursive: true });
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  const userConfig = async (text: string): Promise<void> => writeFile(join(home, '.config', 'paved', 'config.toml'), text);
  const project = (text: string) => parsePyproject(text, join(projectDir, 'pyproject.toml'));

  it('with nothing configured: no index, default cache under ~/.cache, online, no keyring', async () => {
    await rm(join(home, '.config', 'paved', 'config.toml'), { force: true });
    const config = await resolveClientConfig({ env: {}, project: null, home, cwd: home });
    assert.deepEqual(config.indexUrls, []);
    assert.equal(config.cacheDir, join(home, '.cache', 'paved'));
    assert.equal(config.sources.cacheDir, 'default');
    assert.equal(config.offline, false);
    assert.equal(config.keyring, null);
    assert.equal(config.python, null);
    assert.equal(config.configFile, null);
    assert.deepEqual(config.defaultGroups, []);
  });

  it('layers flags > env > project > user file; lists concatenate; the default index comes first', async () => {
    await userConfig(`
index-url = "https://user.example/simple/"
extra-index-url = ["https://user-extra.example/simple/"]
find-links = ["wheels"]
python = "3.11"
cache-dir = "~/caches/paved"
offline = true
`);
    const pyproject = project(`
[project]
name = "app"
[dependency-groups]
dev = ["pytest"]
[tool.paved]
extra-index-url = "https://project-extra.example/simple/"
find-links = ["./vendor"]
environments = ["sys_platform == 'linux'"]
[[tool.paved.index]]
name = "internal"
url = "https://internal.example/simple/"
default = true
[[tool.paved.index]]
name = "torch"
url = "https://torch.example/whl/"
`);
    const config = await resolveClientConfig({ env: {}, project: pyproject, home, cwd: home });
    assert.deepEqual(config.indexUrls, [
      'https://internal.example/simple/',
      'https://torch.example/whl/',
      'https://project-extra.example/simple/',
      'https://user-extra.example/simple/',
    ]);
    assert.equal(config.indexes[0]?.name, 'internal');
    assert.equal(config.indexes[0]?.default, true);
    assert.match(config.indexes[0]?.source ?? '', /pyproject\.toml \[tool\.paved\]/);
    assert.equal(config.indexes[3]?.source, join(home, '.config', 'paved', 'config.toml'));
    assert.deepEqual(config.findLinks, [join(projectDir, 'vendor'), join(home, '.config', 'paved', 'wheels')], 'relative paths resolve against the file that gave them');
    assert.equal(config.cacheDir, join(home, 'caches', 'paved'));
    assert.equal(config.python, '3.11');
    assert.equal(config.offline, true);
    assert.deepEqual(config.environments, ["sys_platform == 'linux'"]);
    assert.deepEqual(config.defaultGroups, ['dev']);
    assert.equal(config.configFile, join(home, '.config', 'paved', 'config.toml'));

    const fromEnv = await resolveClientConfig({
      env: {
        PAVED_INDEX_URL: 'https://env.example/simple/',
        PAVED_EXTRA_INDEX_URL: ' https://e1.example/simple/  https://e2.example/simple/ ',
        PAVED_FIND_LINKS: 'local',
        PAVED_OFFLINE: 'no',
        PAVED_PYTHON: '3.13',
        PAVED_CACHE_DIR: 'cache',
      },
      project: pyproject,
      home,
      cwd: '/work',
    });
    assert.deepEqual(fromEnv.indexUrls.slice(0, 4), ['https://env.example/simple/', 'https://torch.example/whl/', 'https://e1.example/simple/', 'https://e2.example/simple/']);
    assert.ok(!fromEnv.indexUrls.includes('https://internal.example/simple/'), 'PAVED_INDEX_URL replaces the configured default index');
    assert.ok(fromEnv.indexUrls.includes('https://project-extra.example/simple/'), 'configured extras stay');
    assert.equal(fromEnv.findLinks[0], '/work/local');
    assert.equal(fromEnv.offline, false);
    assert.equal(fromEnv.sources.offline, 'PAVED_OFFLINE');
    assert.equal(fromEnv.python, '3.13');
    assert.equal(fromEnv.cacheDir, '/work/cache');

    const fromFlags = await resolveClientConfig({
      flags: { indexUrl: 'https://flag.example/simple/', extraIndexUrls: ['https://flag-extra.example/simple/'], offline: true, python: '3.10', cacheDir: '/c', findLinks: ['/f'] },
      env: { PAVED_INDEX_URL: 'https://env.example/simple/', PAVED_EXTRA_INDEX_URL: 'https://e1.example/simple/', PAVED_FIND_LINKS: '/envlinks' },
      project: pyproject,
      home,
      cwd: '/work',
    });
    assert.equal(fromFlags.indexUrls[0], 'https://flag.example/simple/');
    assert.equal(fromFlags.indexes[0]?.source, '--index-url');
    assert.ok(fromFlags.indexUrls.includes('https://flag-extra.example/simple/'));
    assert.ok(!fromFlags.indexUrls.includes('https://e1.example/simple/'), 'the flag replaces the environment variable');
    assert.ok(!fromFlags.findLinks.includes('/envlinks'));
    assert.equal(fromFlags.findLinks[0], '/f');
    assert.equal(fromFlags.offline, true);
    assert.equal(fromFlags.sources.python, '--python');
    assert.equal(fromFlags.cacheDir, '/c');
  });

  it('the user file default index applies when the project sets none; --no-config skips the file', async () => {
    await userConfig('index-url = "https://user.example/simple/"\n');
    const config = await resolveClientConfig({ env: {}, project: project('[project]\nname = "a"\n'), home, cwd: home });
    assert.deepEqual(config.indexUrls, ['https://user.example/simple/']);
    const skipped = await resolveClientConfig({ flags: { noConfig: true }, env: {}, project: null, home, cwd: home });
    assert.deepEqual(skipped.indexUrls, []);
  });

  it('PAVED_CONFIG_FILE and XDG_CONFIG_HOME choose the user file; a missing explicit file is an error', async () => {
    const explicit = join(home, 'other.toml');
    await writeFile(explicit, 'python = "3.9"\n');
    assert.equal((await resolveClientConfig({ env: { PAVED_CONFIG_FILE: explicit }, project: null, home })).python, '3.9');
    await mkdir(join(home, 'xdg', 'paved'), { recursive: true });
    await writeFile(join(home, 'xdg', 'paved', 'config.toml'), 'python = "3.8"\n');
    assert.equal((await resolveClientConfig({ env: { XDG_CONFIG_HOME: join(home, 'xdg') }, project: null, home })).python, '3.8');
    assert.deepEqual(userConfigPath({}, '/home/u'), { path: '/home/u/.config/paved/config.toml', explicit: false });
    await assert.rejects(resolveClientConfig({ env: { PAVED_CONFIG_FILE: join(home, 'missing.toml') }, project: null, home }), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_CONFIG') && /missing\.toml/.test(error.message));
  });

  it('credentials in index URLs are kept for the client but redacted in shown forms and errors', async () => {
    await userConfig('');
    const config = await resolveClientConfig({ flags: { indexUrl: 'https://alice:s3cret@pypi.acme.example/simple/' }, env: {}, project: null, home });
    assert.equal(config.indexUrls[0], 'https://alice:s3cret@pypi.acme.example/simple/');
    assert.equal(config.indexes[0]?.shown, 'https://pypi.acme.example/simple/');
    assert.ok(!JSON.stringify({ ...config, indexUrls: [], indexes: config.indexes.map((i) => ({ ...i, url: '' })) }).includes('s3cret'));
    await assert.rejects(resolveClientConfig({ env: { PAVED_INDEX_URL: 'alice:s3cret@nohost' }, project: null, home }), (error: unknown) => {
      assert.ok(isPavedError(error, 'PAVED_E_INVALID_CONFIG'));
      assert.ok(!error.message.includes('s3cret'), error.message);
      assert.match(error.message, /PAVED_INDEX_URL/);
      return true;
    });
  });

  it('keyring: provider from env or files, command only from the user file, never from the project', async () => {
    await userConfig('keyring-command = ["/opt/bin/keyring", "--quiet"]\n');
    const pyproject = project('[project]\nname = "a"\n[tool.paved]\nkeyring-provider = "subprocess"\nkeyring-command = ["./evil.sh"]\n');
    const config = await resolveClientConfig({ env: {}, project: pyproject, home });
    assert.deepEqual(config.keyring, { command: ['/opt/bin/keyring', '--quiet'] });
    assert.ok(config.warnings.some((warning) => /keyring-command is ignored/.test(warning)));
    await userConfig('');
    const plain = await resolveClientConfig({ env: { PAVED_KEYRING_PROVIDER: 'subprocess' }, project: null, home });
    assert.deepEqual(plain.keyring, { command: ['keyring'] });
    assert.equal(plain.sources.keyring, 'PAVED_KEYRING_PROVIDER');
    const off = await resolveClientConfig({ flags: { keyringProvider: 'disabled' }, env: { PAVED_KEYRING_PROVIDER: 'subprocess' }, project: null, home });
    assert.equal(off.keyring, null);
    await assert.rejects(resolveClientConfig({ env: { PAVED_KEYRING_PROVIDER: 'import' }, project: null, home }), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_CONFIG'));
  });

  it('the HTTP timeout: --timeout > PAVED_HTTP_TIMEOUT > [tool.paved] timeout > the user file > 30 s', async () => {
    await userConfig('timeout = 45\n');
    const pyproject = project('[project]\nname = "a"\n[tool.paved]\ntimeout = 0.5\n');
    const fromProject = await resolveClientConfig({ env: {}, project: pyproject, home });
    assert.equal(fromProject.timeoutMs, 500);
    assert.match(fromProject.sources.timeout, /pyproject\.toml \[tool\.paved\]/);
    const fromUser = await resolveClientConfig({ env: {}, project: project('[project]\nname = "a"\n'), home });
    assert.equal(fromUser.timeoutMs, 45_000);
    assert.equal(fromUser.sources.timeout, join(home, '.config', 'paved', 'config.toml'));
    const fromEnv = await resolveClientConfig({ env: { PAVED_HTTP_TIMEOUT: '7' }, project: pyproject, home });
    assert.equal(fromEnv.timeoutMs, 7000);
    assert.equal(fromEnv.sources.timeout, 'PAVED_HTTP_TIMEOUT');
    const fromFlag = await resolveClientConfig({ flags: { timeoutMs: 1200 }, env: { PAVED_HTTP_TIMEOUT: '7' }, project: pyproject, home });
    assert.equal(fromFlag.timeoutMs, 1200);
    assert.equal(fromFlag.sources.timeout, '--timeout');
    const skipped = await resolveClientConfig({ flags: { noConfig: true }, env: {}, project: null, home });
    assert.equal(skipped.timeoutMs, 30_000);
    assert.equal(skipped.sources.timeout, 'default');
    await userConfig('timeout = "soon"\n');
    await assert.rejects(resolveClientConfig({ env: {}, project: null, home }), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_CONFIG') && /config\.toml: timeout must be a positive number of seconds/.test(error.message));
    await userConfig('');
  });

  it('refuses bad environment values and a malformed user file with the file and key named', async () => {
    await userConfig('');
    await assert.rejects(resolveClientConfig({ env: { PAVED_OFFLINE: 'maybe' }, project: null, home }), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_CONFIG') && /PAVED_OFFLINE/.test(error.message));
    await assert.rejects(resolveClientConfig({ env: { PAVED_EXTRA_INDEX_URL: 'ftp://x/simple' }, project: null, home }), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_CONFIG'));
    await userConfig('offline = "yes"\n');
    await assert.rejects(resolveClientConfig({ env: {}, project: null, home }), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_CONFIG') && /config\.toml: offline must be true or false/.test(error.message));
    await userConfig('index-url = [\n');
    await assert.rejects(resolveClientConfig({ env: {}, project: null, home }), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_CONFIG') && /line 2/.test(error.message));
    await writeFile(join(home, '.config', 'paved', 'config.toml'), Buffer.from([0x70, 0x79, 0x20, 0x3d, 0x20, 0x22, 0xff, 0x22]));
    await assert.rejects(resolveClientConfig({ env: {}, project: null, home }), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_CONFIG') && /not UTF-8/.test(error.message));
    await rm(join(home, '.config', 'paved', 'config.toml'));
  });
});

describe('parseUserConfig', () => {
  it('warns about unknown keys and project-only settings', () => {
    const warnings: string[] = [];
    const settings = parseUserConfig('python = "3.12"\ncolour = 1\nenvironments = ["os_name == \'posix\'"]\nrequired-environments = ["os_name == \'nt\'"]\n', 'config.toml', warnings);
    assert.equal(settings.python, '3.12');
    assert.deepEqual(warnings, [
      'config.toml: unknown key colour (ignored)',
      'config.toml: environments is a project setting; set it in [tool.paved] of pyproject.toml (ignored here)',
      'config.toml: required-environments is a project setting; set it in [tool.paved] of pyproject.toml (ignored here)',
    ]);
  });
});
