/**
 * paved's environment check against real `pip check` on the same venv: a venv made by
 * `python3 -m venv` gets tiny wheels (installed by pip, --no-deps) with a missing dependency, a
 * dependency at the wrong version, and requirements that must NOT count (markers that do not hold,
 * an extra nobody asked for, a pre-release pip accepts, a URL requirement, a name spelled
 * differently), plus a legacy .egg-info with requires.txt. Both must find the same problems. Then
 * the one difference on purpose: paved checks the extras a requirement asks for (`feature[fast]`).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkEnvironment, describeEnvironmentProblem, findEnvironmentProblems, type EnvironmentProblem } from '../../src/installer/checkEnvironment.js';
import { openVenv } from '../../src/installer/createVenv.js';
import { readInstalledDistributions, requiresDistFromRequiresTxt } from '../../src/installer/readInstalledDistributions.js';
import { markerEnvironmentFor, type MarkerEnvironment } from '../../src/standards/markers.js';
import { normalizeName } from '../../src/standards/names.js';
import { buildWheel, wheelFilenameFor } from '../fixtures/buildDistributions.js';
import { createVenv, describeRun, type Venv } from '../fixtures/pythonTools.js';

const LINUX_311: MarkerEnvironment = markerEnvironmentFor({ implementation: 'cpython', pythonFullVersion: '3.11.7', sysPlatform: 'linux', platformMachine: 'x86_64', platformSystem: 'Linux', osName: 'posix' });

/** pip check's lines as `missing|wrong-version <dist> <dependency>`, names normalised. */
function pipProblems(stdout: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split('\n')) {
    const missing = /^(\S+) (\S+) requires (\S+), which is not installed\.$/.exec(line);
    const wrong = /^(\S+) (\S+) has requirement (.+), but you have (\S+) (\S+)\.$/.exec(line);
    if (missing !== null) out.push(`missing ${normalizeName(missing[1] as string)} ${normalizeName(missing[3] as string)}`);
    else if (wrong !== null) out.push(`wrong-version ${normalizeName(wrong[1] as string)} ${normalizeName(wrong[4] as string)}`);
    else if (line.trim() !== '' && !/^No broken requirements found\.$/.test(line)) throw new Error(`unexpected pip check line: ${line}`);
  }
  return out.sort();
}

const pavedProblems = (problems: EnvironmentProblem[]): string[] => problems.map((p) => `${p.kind} ${normalizeName(p.name)} ${p.dependency}`).sort();

describe('checkEnvironment', () => {
  let work: string;
  let venv: Venv;
  let wheels: string;
  let site: string;

  const wheel = async (name: string, version: string, requiresDist: string[] = []): Promise<void> => {
    await writeFile(join(wheels, wheelFilenameFor({ name, version })), await buildWheel({ name, version, metadata: { requiresDist } }));
  };
  const pipInstall = async (...names: string[]): Promise<void> => {
    const r = await venv.pip(['install', '--no-deps', '--no-index', '--find-links', wheels, ...names]);
    assert.equal(r.code, 0, describeRun(r));
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paved-check-'));
    wheels = join(work, 'wheels');
    await mkdir(wheels);
    venv = await createVenv(join(work, 'venv'));
    await wheel('needsmissing', '1.0', ['absentdep>=1', 'winonly ; sys_platform == "win32"', 'fancydep ; extra == "fancy"', 'okdep']);
    await wheel('needsnewer', '2.0', ['oldlib>=2', 'okdep<5']);
    await wheel('Mixed_Case', '1.0', ['OldLib>=1.5,<3', 'okdep[unused]', 'dotted_name>=1']);
    await wheel('Dotted.Name', '1.0');
    await wheel('prereq', '1.0', ['prelib>=1.0']);
    await wheel('urlreq', '1.0', ['okdep @ https://example.invalid/okdep-1.0-py3-none-any.whl', 'oldlib<1 ; python_version < "3"']);
    await wheel('oldlib', '1.0');
    await wheel('okdep', '1.0');
    await wheel('prelib', '1.1rc1');
    await pipInstall('needsmissing', 'needsnewer', 'mixed-case', 'prereq', 'urlreq', 'oldlib', 'okdep', 'prelib==1.1rc1', 'dotted-name');
    const venvInfo = await openVenv(venv.dir);
    site = venvInfo.scheme.purelib;
    // A legacy egg-info (setup.py develop style): requirements come from requires.txt.
    const egg = join(site, 'legacy-0.1.egg-info');
    await mkdir(egg);
    await writeFile(join(egg, 'PKG-INFO'), 'Metadata-Version: 1.1\nName: legacy\nVersion: 0.1\n');
    await writeFile(join(egg, 'requires.txt'), 'absentlegacy>=0.5\nokdep\n\n[:sys_platform == "win32"]\nwinthing\n\n[opt]\noptthing\n');
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('finds the same problems as pip check on the same venv', { timeout: 120_000 }, async () => {
    const pip = await venv.pip(['check']);
    assert.equal(pip.code, 1, describeRun(pip));
    const interpreter = (await openVenv(venv.dir)).interpreter;
    const result = await checkEnvironment({ root: venv.dir, markerEnvironment: interpreter.markerEnvironment });
    assert.deepEqual(pavedProblems(result.problems), pipProblems(pip.stdout), `pip said:\n${pip.stdout}`);
    // And the problems are the ones planted, nothing else.
    assert.deepEqual(pavedProblems(result.problems), [
      'missing legacy absentlegacy',
      'missing needsmissing absentdep',
      'wrong-version mixed-case oldlib',
      'wrong-version needsnewer oldlib',
    ]);
    assert.deepEqual(result.warnings, []);
    assert.ok(result.checked >= 9, `checked ${result.checked}`);
    const lines = result.problems.map(describeEnvironmentProblem);
    assert.ok(lines.includes('needsmissing 1.0 requires absentdep>=1, which is not installed'), lines.join('\n'));
    assert.ok(lines.includes('needsnewer 2.0 has requirement oldlib>=2, but you have oldlib 1.0'), lines.join('\n'));
  });

  it('agrees with pip check once the problems are fixed: none', { timeout: 120_000 }, async () => {
    const fixed = join(work, 'fixed');
    await rm(fixed, { recursive: true, force: true });
    const clean = await createVenv(fixed);
    const r = await clean.pip(['install', '--no-deps', '--no-index', '--find-links', wheels, 'needsnewer', 'okdep', 'prereq', 'prelib==1.1rc1']);
    assert.equal(r.code, 0, describeRun(r));
    await wheel('oldlib', '2.5');
    assert.equal((await clean.pip(['install', '--no-deps', '--no-index', '--find-links', wheels, 'oldlib==2.5'])).code, 0);
    const pip = await clean.pip(['check']);
    assert.equal(pip.code, 0, describeRun(pip));
    const result = await checkEnvironment({ root: fixed, markerEnvironment: (await openVenv(fixed)).interpreter.markerEnvironment });
    assert.deepEqual(result.problems, []);
  });

  it('checks the extras a requirement asks for, and those the caller says were requested (pip checks neither)', { timeout: 120_000 }, async () => {
    await wheel('feature', '1.0', ['speedup>=2 ; extra == "fast"', 'colour ; extra == "pretty"']);
    await wheel('wantsextra', '1.0', ['feature[fast]>=1']);
    await pipInstall('feature', 'wantsextra');
    const pip = await venv.pip(['check']);
    assert.ok(!pipProblems(pip.stdout).some((p) => p.includes('speedup')), 'pip does not look at extras');
    const markers = (await openVenv(venv.dir)).interpreter.markerEnvironment;
    const result = await checkEnvironment({ root: venv.dir, markerEnvironment: markers });
    const speedup = result.problems.find((p) => p.dependency === 'speedup');
    assert.deepEqual(speedup, { kind: 'missing', name: 'feature', version: '1.0', requirement: 'speedup>=2', dependency: 'speedup', extra: 'fast' });
    assert.equal(describeEnvironmentProblem(speedup), 'feature 1.0 (extra fast) requires speedup>=2, which is not installed');
    assert.ok(!result.problems.some((p) => p.dependency === 'colour'), 'an extra nobody asked for is not checked');
    const asked = await checkEnvironment({ root: venv.dir, markerEnvironment: markers, extras: new Map([['Feature', ['Pretty']]]) });
    assert.ok(asked.problems.some((p) => p.dependency === 'colour' && p.extra === 'pretty'));
    await rm(join(site, 'feature-1.0.dist-info'), { recursive: true });
    await rm(join(site, 'wantsextra-1.0.dist-info'), { recursive: true });
  });
});

describe('findEnvironmentProblems', () => {
  it('evaluates markers for the given interpreter', () => {
    const dists = [{ name: 'a', version: '1', requiresDist: ['b ; python_version >= "3.12"', 'c ; sys_platform == "linux"'] }];
    assert.deepEqual(pavedProblems(findEnvironmentProblems(dists, LINUX_311).problems), ['missing a c']);
    const py312 = { ...LINUX_311, python_version: '3.12', python_full_version: '3.12.1' };
    assert.deepEqual(pavedProblems(findEnvironmentProblems(dists, py312).problems), ['missing a b', 'missing a c']);
  });

  it('extras asked through a chain of requirements are followed, and a cycle ends', () => {
    const dists = [
      { name: 'top', version: '1', requiresDist: ['mid[x]'] },
      { name: 'mid', version: '1', requiresDist: ['low[y] ; extra == "x"', 'mid[x]'] },
      { name: 'low', version: '1', requiresDist: ['deep>=3 ; extra == "y"', 'top'] },
      { name: 'deep', version: '2', requiresDist: [] },
    ];
    const found = findEnvironmentProblems(dists, LINUX_311);
    assert.deepEqual(found.problems, [{ kind: 'wrong-version', name: 'low', version: '1', requirement: 'deep>=3', dependency: 'deep', extra: 'y', installed: '2' }]);
  });

  it('an extra-only marker applies exactly when that extra is asked for, however it is spelt', () => {
    const dists = [{ name: 'a', version: '1', requiresDist: ["b ; extra == 'Fast_Mode'", 'c ; extra == "other"', 'd ; extra == "fast-mode" and python_version < "3"', 'e ; extra != "fast-mode"'] }];
    assert.deepEqual(pavedProblems(findEnvironmentProblems(dists, LINUX_311).problems), ['missing a e']);
    const asked = findEnvironmentProblems(dists, LINUX_311, { extras: new Map([['A', ['fast.mode']]]) });
    assert.deepEqual(asked.problems.map((p) => `${p.dependency}:${p.extra ?? ''}`), ['b:fast-mode', 'e:']);
  });

  it('hostile metadata: a bad requirement or marker is a warning, the rest is still checked', () => {
    const dists = [
      { name: 'bad', version: '1', requiresDist: ['this is not ) a requirement', 'x'.repeat(100_000), 'ok ; extra > "1"', 'missingone'] },
      { name: 'ok', version: '1', requiresDist: [] },
    ];
    const found = findEnvironmentProblems(dists, LINUX_311);
    assert.deepEqual(pavedProblems(found.problems), ['missing bad missingone']);
    assert.equal(found.warnings.length, 3, found.warnings.join('\n'));
    for (const w of found.warnings) assert.ok(w.length < 1000 && w.startsWith('bad 1: ignoring the requirement'), w);
  });

  it('an installed version that is not PEP 440 meets a bare requirement, not a specifier', () => {
    const dists = [
      { name: 'a', version: '1', requiresDist: ['weird', 'weird2>=1'] },
      { name: 'weird', version: 'not-a-version', requiresDist: [] },
      { name: 'weird2', version: 'also-not', requiresDist: [] },
    ];
    assert.deepEqual(pavedProblems(findEnvironmentProblems(dists, LINUX_311).problems), ['wrong-version a weird2']);
  });
});

describe('requires.txt of an .egg-info', () => {
  it('becomes Requires-Dist lines with extra and marker sections, as pip reads it', () => {
    assert.deepEqual(requiresDistFromRequiresTxt('a>=1\n# comment\n\n[:python_version < "3.8"]\nb\n[Fast_Mode]\nc\n[socks:sys_platform == "win32"]\nd\n'), [
      'a>=1',
      'b ; python_version < "3.8"',
      'c ; extra == "fast-mode"',
      'd ; (sys_platform == "win32") and extra == "socks"',
    ]);
  });

  it('an oversized requires.txt is a warning, and the distribution is still listed', async () => {
    const root = await mkdtemp(join(tmpdir(), 'paved-egg-'));
    try {
      const egg = join(root, 'lib', 'python3.11', 'site-packages', 'big-1.0.egg-info');
      await mkdir(egg, { recursive: true });
      await writeFile(join(egg, 'PKG-INFO'), 'Metadata-Version: 1.1\nName: big\nVersion: 1.0\n');
      await writeFile(join(egg, 'requires.txt'), 'x\n'.repeat(1024 * 1024));
      const read = await readInstalledDistributions(root);
      assert.deepEqual(read.distributions.map((d) => [d.name, d.requiresDist]), [['big', []]]);
      assert.match(read.warnings[0]?.message ?? '', /requires\.txt/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
