import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPavedError } from '../../src/errors.js';
import { lockPathFor, MAX_LOCK_BYTES, parsePylock, readPylock, serializePylock } from '../../src/project/pylock.js';
import type { LockedFile, LockedPackage, Pylock } from '../../src/project/pylockModel.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = '0123456789abcdef'.repeat(4);

/** A lock as uv writes one (plus paved's inputs), as a user would find it in a repository. */
const UV_STYLE = `lock-version = "1.0"
environments = ["sys_platform == 'linux'"]
requires-python = ">=3.9"
created-by = "uv"

[[packages]]
name = "Requests"
version = "2.28.1"
index = "https://pypi.org/simple"
dependencies = [{ name = "idna" }]
sdist = { url = "https://files.example/requests-2.28.1.tar.gz", upload-time = 2022-06-29T15:13:45.000+02:00, size = 109803, hashes = { sha256 = "${SHA_A}" } }
wheels = [{ url = "https://files.example/requests-2.28.1-py3-none-any.whl", upload-time = 2022-06-29T13:13:45Z, size = 62822, hashes = { sha256 = "${SHA_B.toUpperCase()}" } }]

[[packages]]
name = "colorama"
version = "0.4.6"
marker = "sys_platform == 'win32'"
wheels = [{ name = "colorama-0.4.6-py2.py3-none-any.whl", path = "wheels/colorama-0.4.6-py2.py3-none-any.whl", hashes = { sha256 = "${SHA_A}" } }]

[[packages]]
name = "local-thing"
directory = { path = "./local", editable = true }

[tool.paved.inputs]
requires-python = ">=3.9"
environments = []
dependencies = ["requests"]

[tool.other]
answer = 42
`;

function expectInvalid(text: string, message: RegExp): void {
  assert.throws(
    () => parsePylock(text),
    (e: unknown) => {
      assert.ok(isPavedError(e, 'PAVED_E_INVALID_LOCKFILE'), `expected PAVED_E_INVALID_LOCKFILE, got ${String(e)}`);
      assert.match(e.message, message);
      return true;
    },
  );
}

const HEAD = 'lock-version = "1.0"\ncreated-by = "t"\n';
const pkg = (body: string): string => `${HEAD}[[packages]]\nname = "x"\nversion = "1.0"\n${body}\n`;
const wheel = (fields: string): string => pkg(`wheels = [{ ${fields} }]`);
const okWheel = `url = "https://f.example/x-1.0-py3-none-any.whl", hashes = { sha256 = "${SHA_A}" }`;

describe('parsePylock', () => {
  it('reads a uv-style lock into the model: normalised names, UTC upload times, lowercase hashes, kept tool tables', () => {
    const { lock, warnings } = parsePylock(UV_STYLE);
    assert.deepEqual(warnings, []);
    assert.equal(lock.lockVersion, '1.0');
    assert.deepEqual(lock.environments, ["sys_platform == 'linux'"]);
    assert.equal(lock.requiresPython, '>=3.9');
    assert.equal(lock.createdBy, 'uv');
    assert.deepEqual(lock.extras, []);
    const [requests, colorama, local] = lock.packages as [LockedPackage, LockedPackage, LockedPackage];
    assert.equal(requests.name, 'requests');
    assert.deepEqual(requests.dependencies, [{ name: 'idna' }]);
    assert.deepEqual(requests.sdist, {
      name: null,
      url: 'https://files.example/requests-2.28.1.tar.gz',
      path: null,
      uploadTime: '2022-06-29T13:13:45Z',
      size: 109803,
      hashes: { sha256: SHA_A },
    });
    assert.equal(requests.wheels[0]?.uploadTime, '2022-06-29T13:13:45Z');
    assert.deepEqual(requests.wheels[0]?.hashes, { sha256: SHA_B });
    assert.equal(colorama.marker, "sys_platform == 'win32'");
    assert.equal(colorama.wheels[0]?.path, 'wheels/colorama-0.4.6-py2.py3-none-any.whl');
    assert.equal(local.version, null);
    assert.equal(local.otherSource, 'directory');
    assert.deepEqual(local.otherSourceTable, { path: './local', editable: true });
    assert.deepEqual(lock.pavedInputs, { requiresPython: '>=3.9', environments: [], dependencies: ['requests'], optionalDependencies: {}, dependencyGroups: {} });
    assert.deepEqual(lock.tool, { other: { answer: 42 } });
  });

  it('warns about a newer minor lock-version and reads a lock without packages', () => {
    const { lock, warnings } = parsePylock('lock-version = "1.3"\ncreated-by = "x"\n');
    assert.deepEqual(lock.packages, []);
    assert.match(warnings[0] ?? '', /1\.3, newer than 1\.0/);
  });

  const bad: [string, string, RegExp][] = [
    ['no lock-version', 'created-by = "x"\n', /no lock-version/],
    ['lock-version 2.0', 'lock-version = "2.0"\ncreated-by = "x"\n', /lock-version "2\.0"; paved reads lock-version 1\.x/],
    ['lock-version a number', 'lock-version = 1.0\n', /no lock-version string/],
    ['no created-by', 'lock-version = "1.0"\n', /created-by is required/],
    ['not TOML', `${HEAD}[[packages]\n`, /not valid TOML \(line 3, column/],
    ['packages a table', `${HEAD}[packages]\nname = "x"\n`, /packages must be an array of tables/],
    ['a package without name', `${HEAD}[[packages]]\nversion = "1"\n`, /packages\[0\]\.name must be a non-empty string/],
    ['a hostile package name', `${HEAD}[[packages]]\nname = "../etc"\nversion = "1"\n`, /packages\[0\]\.name "\.\.\/etc" is not a valid project name/],
    ['a numeric version', `${HEAD}[[packages]]\nname = "x"\nversion = 1\n`, /packages\[0\]\.version must be a string/],
    ['a non-PEP 440 version', `${HEAD}[[packages]]\nname = "x"\nversion = "one"\n`, /packages\[0\]\.version "one" is not a PEP 440 version/],
    ['an index package without version', `${HEAD}[[packages]]\nname = "x"\nwheels = [{ ${okWheel} }]\n`, /packages\[0\]\.version is required/],
    ['a bad marker', pkg('marker = "python_version >>> \'3\'"'), /packages\[0\]\.marker is not a valid PEP 508 marker/],
    ['a bad environment marker', `lock-version = "1.0"\ncreated-by = "t"\nenvironments = ["os_name = 'nt'"]\n`, /environments\[0\] is not a valid PEP 508 marker/],
    ['a bad requires-python', `${HEAD}requires-python = "=>3.9"\n`, /requires-python is not a valid version specifier/],
    ['an extra that is not a name', `lock-version = "1.0"\ncreated-by = "t"\nextras = ["a b"]\n`, /extras\[0\] is not a valid name/],
    ['wheels without hashes', wheel('url = "https://f.example/x-1.0-py3-none-any.whl"'), /packages\[0\]\.wheels\[0\]\.hashes is required/],
    ['empty hashes', wheel('url = "https://f.example/x-1.0-py3-none-any.whl", hashes = {}'), /packages\[0\]\.wheels\[0\]\.hashes must name at least one hash/],
    ['hashes that are not hex', wheel(`url = "https://f.example/x-1.0-py3-none-any.whl", hashes = { sha256 = "${'z'.repeat(64)}" }`), /packages\[0\]\.wheels\[0\]\.hashes\.sha256 must be a hexadecimal digest/],
    ['a short sha256', wheel('url = "https://f.example/x-1.0-py3-none-any.whl", hashes = { sha256 = "aa" }'), /hashes\.sha256 must be 64 hex digits, not 2/],
    ['hashes as a string', wheel(`url = "https://f.example/x-1.0-py3-none-any.whl", hashes = "sha256:${SHA_A}"`), /wheels\[0\]\.hashes must be a table/],
    ['a wheel name with /', wheel(`name = "../x-1.0-py3-none-any.whl", ${okWheel}`), /packages\[0\]\.wheels\[0\]\.name is not a safe file name/],
    ['a wheel name with ..', wheel(`name = "x..-1.0-py3-none-any.whl", ${okWheel}`), /wheels\[0\]\.name is not a safe file name/],
    ['a wheel name that is not .whl', wheel(`name = "x-1.0.tar.gz", ${okWheel}`), /wheels\[0\]\.name "x-1\.0\.tar\.gz" is not a wheel file name/],
    ['a url ending in a hostile name', wheel(`url = "https://f.example/%2E%2E", hashes = { sha256 = "${SHA_A}" }`), /wheels\[0\] has no name and its url does not end in a safe file name/],
    ['a path escaping the lock directory', wheel(`path = "../../etc/x-1.0-py3-none-any.whl", hashes = { sha256 = "${SHA_A}" }`), /wheels\[0\]\.path "\.\.\/\.\.\/etc\/x-1\.0-py3-none-any\.whl" must be a relative path inside the lock's directory/],
    ['an absolute path', wheel(`path = "/etc/x-1.0-py3-none-any.whl", hashes = { sha256 = "${SHA_A}" }`), /wheels\[0\]\.path .* must be a relative path/],
    ['neither url nor path', wheel(`name = "x-1.0-py3-none-any.whl", hashes = { sha256 = "${SHA_A}" }`), /wheels\[0\] needs a url or a path/],
    ['a url with credentials', wheel(`url = "https://u:p@f.example/x-1.0-py3-none-any.whl", hashes = { sha256 = "${SHA_A}" }`), /wheels\[0\]\.url contains credentials/],
    ['a url with another scheme', wheel(`url = "ftp://f.example/x-1.0-py3-none-any.whl", hashes = { sha256 = "${SHA_A}" }`), /wheels\[0\]\.url has scheme ftp:/],
    ['a negative size', wheel(`${okWheel}, size = -1`), /packages\[0\]\.wheels\[0\]\.size must be a non-negative integer/],
    ['a fractional size', wheel(`${okWheel}, size = 1.5`), /wheels\[0\]\.size must be a non-negative integer/],
    ['a local date as upload-time', wheel(`${okWheel}, upload-time = 2024-01-01`), /wheels\[0\]\.upload-time must be a TOML date-time/],
    ['the same wheel twice', pkg(`wheels = [{ ${okWheel}, name = "x-1.0-py3-none-any.whl" }, { ${okWheel}, name = "x-1.0-py3-none-any.whl" }]`), /wheels\[1\]\.name "x-1\.0-py3-none-any\.whl" is listed twice/],
    ['sdist and vcs together', pkg(`vcs = { type = "git", url = "https://g.example/x", commit-id = "abc" }\nsdist = { ${okWheel.replace('x-1.0-py3-none-any.whl', 'x-1.0.tar.gz')} }`), /packages\[0\] has more than one source \(vcs, sdist\)/],
    ['a dependency without name', pkg('dependencies = [{ version = "1" }]'), /packages\[0\]\.dependencies\[0\]\.name must be a valid project name/],
    [
      'duplicate name and version',
      `${HEAD}[[packages]]\nname = "X"\nversion = "1.0"\n[[packages]]\nname = "y"\nversion = "2"\n[[packages]]\nname = "x"\nversion = "1.0.0"\n`,
      /packages\[2\] repeats x 1\.0\.0 \(already packages\[0\]\)/,
    ],
    ['tool.paved.inputs malformed', `${HEAD}[tool.paved.inputs]\ndependencies = "requests"\n`, /tool\.paved\.inputs\.dependencies must be an array of strings/],
  ];
  for (const [name, text, message] of bad) {
    it(`refuses ${name}, naming the key`, () => expectInvalid(text, message));
  }

  it('refuses an oversized text before parsing it', () => {
    expectInvalid(`${HEAD}# ${'x'.repeat(MAX_LOCK_BYTES)}\n`, /larger than the limit/);
  });

  it('a deeply nested tool table is a clear error or read, never a stack overflow', () => {
    const text = `${HEAD}[tool]\nx = ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    try {
      parsePylock(text);
    } catch (error) {
      assert.ok(isPavedError(error, 'PAVED_E_INVALID_LOCKFILE'), String(error));
    }
  });
});

describe('readPylock', () => {
  it('reads a file, refuses a missing, non-UTF-8 or oversized one clearly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paved-lock-'));
    try {
      assert.equal(lockPathFor(dir), join(dir, 'pylock.toml'));
      await writeFile(lockPathFor(dir), UV_STYLE);
      assert.equal((await readPylock(lockPathFor(dir))).lock.packages.length, 3);
      await assert.rejects(readPylock(join(dir, 'nope.toml')), (e: unknown) => isPavedError(e, 'PAVED_E_NOT_FOUND') && /nope\.toml does not exist/.test(e.message));
      await writeFile(join(dir, 'latin1.toml'), Buffer.from('lock-version = "1.0"\ncreated-by = "caf\xe9"\n', 'latin1'));
      await assert.rejects(readPylock(join(dir, 'latin1.toml')), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_LOCKFILE') && /is not UTF-8/.test(e.message));
      await writeFile(join(dir, 'big.toml'), '');
      await truncate(join(dir, 'big.toml'), MAX_LOCK_BYTES + 1);
      await assert.rejects(readPylock(join(dir, 'big.toml')), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_LOCKFILE') && /the limit is/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------

/** A small seeded PRNG so a failing case can be reproduced from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A random lock already in the writer's canonical order (the property is about values, not order). */
function randomLock(seed: number): Pylock {
  const rand = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const maybe = <T>(value: () => T): T | null => (rand() < 0.5 ? value() : null);
  const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('');
  const markers = ["sys_platform == 'linux'", 'python_version >= "3.10"', '"cli" in extras', '"dev" in dependency_groups and os_name == "posix"', 'platform_machine == "x86_64" or implementation_name == "pypy"'];
  const strange = ['plain', 'quote " and \\ backslash', 'tab\tnew\nline', 'unicode é 日本 🐍', '\u007f del'];
  const time = (): string => new Date(Date.UTC(2000 + Math.floor(rand() * 30), Math.floor(rand() * 12), 1 + Math.floor(rand() * 28), Math.floor(rand() * 24), Math.floor(rand() * 60), Math.floor(rand() * 60), rand() < 0.5 ? 0 : Math.floor(rand() * 1000))).toISOString().replace('.000Z', 'Z');
  const file = (name: string, withName: boolean): LockedFile => {
    const byUrl = rand() < 0.8;
    return {
      name: withName || !byUrl ? name : null,
      url: byUrl ? `https://files.example/p/${hex(4)}/${name}` : null,
      path: byUrl ? (rand() < 0.2 ? `dist/${name}` : null) : `wheels/${name}`,
      uploadTime: maybe(time),
      size: maybe(() => Math.floor(rand() * 1e9)),
      hashes: rand() < 0.2 ? { blake2b: hex(128), sha256: hex(64) } : { sha256: hex(64) },
    };
  };
  const names = [...new Set(Array.from({ length: Math.floor(rand() * 12) }, () => pick(['alpha', 'beta', 'gamma-x', 'delta.y', 'eps_z', 'zeta9', 'a', 'b2'])))].map((n) => n.replace(/[._]/g, '-'));
  const packages: LockedPackage[] = [];
  for (const name of names.sort(compare)) {
    const versions = [...new Set(Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pick(['0.1', '1.0', '1.10', '2.0rc1', '1!3.0', '1.0.post2', '10'])))];
    versions.sort((a, b) => {
      const order = ['0.1', '1.0', '1.0.post2', '1.10', '2.0rc1', '10', '1!3.0'];
      return order.indexOf(a) - order.indexOf(b);
    });
    for (const version of versions) {
      const other = rand() < 0.08 ? pick(['vcs', 'directory', 'archive'] as const) : null;
      const wheelNames = other !== null ? [] : [...new Set(Array.from({ length: Math.floor(rand() * 4) }, () => `${name.replace(/-/g, '_')}-${version}-${pick(['py3-none-any', 'cp311-cp311-manylinux_2_17_x86_64', 'cp312-abi3-macosx_11_0_arm64', 'py2.py3-none-any'])}.whl`))].sort(compare);
      const deps = [...new Set(Array.from({ length: Math.floor(rand() * 3) }, () => pick(names)))].sort(compare).map((d) => (rand() < 0.3 ? { name: d, version: '1.0' } : { name: d }));
      const p: LockedPackage = {
        name,
        version: other !== null && rand() < 0.5 ? null : version,
        marker: maybe(() => pick(markers)),
        requiresPython: maybe(() => pick(['>=3.8', '>=3.9,<4', '~=3.11'])),
        index: other !== null ? null : maybe(() => 'https://pypi.example/simple/'),
        dependencies: deps,
        wheels: wheelNames.map((w) => file(w, rand() < 0.5)),
        sdist: other !== null ? null : maybe(() => file(`${name.replace(/-/g, '_')}-${version}.tar.gz`, rand() < 0.5)),
        otherSource: other,
        tool: rand() < 0.2 ? { acme: { note: pick(strange), n: 3, flags: [true, false], nested: { deep: ['x'] } } } : {},
      };
      if (other !== null) p.otherSourceTable = other === 'vcs' ? { type: 'git', url: 'https://g.example/r', 'commit-id': hex(40) } : { path: 'src/pkg' };
      if (rand() < 0.1) p.attestationIdentities = [{ kind: 'GitHub', repository: 'o/r' }];
      // Same name and version may only appear once; different versions keep different markers.
      if (packages.some((q) => q.name === p.name && q.version === p.version)) continue;
      packages.push(p);
    }
  }
  // Packages without a version (vcs, directory) sort first among their name, as the writer puts them.
  const stable = packages.map((p, i) => ({ p, i }));
  stable.sort((a, b) => compare(a.p.name, b.p.name) || (a.p.version === null ? 0 : 1) - (b.p.version === null ? 0 : 1) || a.i - b.i);
  packages.splice(0, packages.length, ...stable.map((x) => x.p));
  const groups = rand() < 0.5 ? ['dev', 'docs'] : [];
  return {
    lockVersion: '1.0',
    environments: maybe(() => (rand() < 0.3 ? [] : ["sys_platform == 'linux'", "sys_platform == 'darwin'"])),
    requiresPython: maybe(() => '>=3.9'),
    extras: rand() < 0.5 ? ['cli', 'socks'] : [],
    dependencyGroups: groups,
    defaultGroups: groups.length > 0 && rand() < 0.5 ? ['dev'] : [],
    createdBy: pick(['paved', 'uv', strange[1] as string]),
    packages,
    pavedInputs: maybe(() => ({
      requiresPython: maybe(() => '>=3.9'),
      environments: rand() < 0.5 ? [] : ["sys_platform == 'linux'"],
      dependencies: rand() < 0.5 ? [] : ['requests>=2', 'rich ; python_version >= "3.10"'],
      optionalDependencies: rand() < 0.5 ? ({} as Record<string, string[]>) : { cli: ['click'], socks: ['pysocks>=1.5.6,!=1.5.7'] },
      dependencyGroups: rand() < 0.5 ? ({} as Record<string, string[]>) : { dev: ['pytest'], 'docs-x': [] },
    })),
    tool: rand() < 0.3 ? { other: { a: pick(strange), b: 1.5, 'key with space': 'x' }, flag: true } : rand() < 0.2 ? { paved: { note: 'kept' } } : {},
  };
}

describe('serializePylock', () => {
  it('writes a readable, uv-like lock (keys in PEP order, hashes inline, upload-time as a TOML date-time)', () => {
    const { lock } = parsePylock(UV_STYLE);
    assert.equal(
      serializePylock(lock),
      `lock-version = "1.0"
environments = ["sys_platform == 'linux'"]
requires-python = ">=3.9"
created-by = "uv"

[[packages]]
name = "colorama"
version = "0.4.6"
marker = "sys_platform == 'win32'"
wheels = [{ name = "colorama-0.4.6-py2.py3-none-any.whl", path = "wheels/colorama-0.4.6-py2.py3-none-any.whl", hashes = { sha256 = "${SHA_A}" } }]

[[packages]]
name = "local-thing"
directory = { editable = true, path = "./local" }

[[packages]]
name = "requests"
version = "2.28.1"
dependencies = [{ name = "idna" }]
index = "https://pypi.org/simple"
sdist = { upload-time = 2022-06-29T13:13:45Z, url = "https://files.example/requests-2.28.1.tar.gz", size = 109803, hashes = { sha256 = "${SHA_A}" } }
wheels = [{ upload-time = 2022-06-29T13:13:45Z, url = "https://files.example/requests-2.28.1-py3-none-any.whl", size = 62822, hashes = { sha256 = "${SHA_B}" } }]

[tool.other]
answer = 42

[tool.paved.inputs]
requires-python = ">=3.9"
environments = []
dependencies = ["requests"]
optional-dependencies = {}
dependency-groups = {}
`,
    );
  });

  it('round-trips 300 generated locks: parse(serialize(x)) equals x, and writing is byte-stable', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const lock = randomLock(seed);
      const text = serializePylock(lock);
      const { lock: back, warnings } = parsePylock(text);
      assert.deepEqual(warnings, []);
      assert.deepEqual(back, lock, `seed ${seed}:\n${text}`);
      assert.equal(serializePylock(back), text, `seed ${seed}`);
    }
  });

  it('gives the same bytes whatever order packages, wheels and dependencies come in', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const lock = randomLock(seed);
      const shuffled: Pylock = {
        ...lock,
        packages: [...lock.packages].reverse().map((p) => ({ ...p, wheels: [...p.wheels].reverse(), dependencies: [...p.dependencies].reverse() })),
      };
      assert.equal(serializePylock(shuffled), serializePylock(lock), `seed ${seed}`);
    }
  });

  it('writes several wheels one per line, and multi-line [tool.paved.inputs] tables', () => {
    const text = serializePylock({
      lockVersion: '1.0',
      environments: null,
      requiresPython: null,
      extras: [],
      dependencyGroups: [],
      defaultGroups: [],
      createdBy: 'paved',
      packages: [
        {
          name: 'x',
          version: '1',
          marker: null,
          requiresPython: null,
          index: null,
          dependencies: [],
          sdist: null,
          otherSource: null,
          tool: {},
          wheels: ['x-1-py3-none-any.whl', 'x-1-cp311-cp311-linux_x86_64.whl'].map((name) => ({ name, url: `https://f.example/${name}`, path: null, uploadTime: '2024-01-02T03:04:05.678Z', size: 10, hashes: { sha256: SHA_A } })),
        },
      ],
      pavedInputs: { requiresPython: null, environments: [], dependencies: ['x'], optionalDependencies: { cli: ['click'] }, dependencyGroups: {} },
      tool: {},
    });
    assert.match(text, /\nwheels = \[\n {4}\{ name = "x-1-cp311-cp311-linux_x86_64\.whl", upload-time = 2024-01-02T03:04:05\.678Z, .*\},\n {4}\{ name = "x-1-py3-none-any\.whl", .*\},\n\]\n/);
    assert.match(text, /\[tool\.paved\.inputs\.optional-dependencies\]\ncli = \["click"\]\n/);
    assert.equal(parsePylock(text).lock.packages[0]?.wheels[0]?.uploadTime, '2024-01-02T03:04:05.678Z');
  });
});
