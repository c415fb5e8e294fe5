import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPavedError } from '../../src/errors.js';
import {
  andMarkers,
  evaluateMarker,
  markerEnvironmentFor,
  markerToString,
  orMarkers,
  parseMarker,
  type Marker,
  type MarkerEnvironment,
} from '../../src/standards/markers.js';

const linux311: MarkerEnvironment = markerEnvironmentFor({
  implementation: 'cpython',
  pythonFullVersion: '3.11.4',
  sysPlatform: 'linux',
  platformMachine: 'x86_64',
  platformSystem: 'Linux',
  osName: 'posix',
  platformRelease: '5.15.0-1034-azure',
  platformVersion: '#1 SMP Tue Feb 14 18:05:11 UTC 2023',
});

const mac39: MarkerEnvironment = markerEnvironmentFor({
  implementation: 'cpython',
  pythonFullVersion: '3.9.6',
  sysPlatform: 'darwin',
  platformMachine: 'arm64',
  platformSystem: 'Darwin',
  osName: 'posix',
  platformRelease: '23.1.0',
  platformVersion: 'Darwin Kernel Version 23.1.0',
});

const windows312: MarkerEnvironment = markerEnvironmentFor({
  implementation: 'cpython',
  pythonFullVersion: '3.12.1',
  sysPlatform: 'win32',
  platformMachine: 'AMD64',
  platformSystem: 'Windows',
  osName: 'nt',
  platformRelease: '10',
  platformVersion: '10.0.22631',
});

function invalidMarker(pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(isPavedError(error, 'PAVED_E_INVALID_MARKER'), `expected PAVED_E_INVALID_MARKER, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('parseMarker: canonical text', () => {
  const cases: [string, string][] = [
    ['python_version < "2.7"', 'python_version < "2.7"'],
    ["python_version<'2.7'", 'python_version < "2.7"'],
    ['os_name=="a" or os_name=="b"', 'os_name == "a" or os_name == "b"'],
    ['os_name=="a" and os_name=="b" or os_name=="c"', 'os_name == "a" and os_name == "b" or os_name == "c"'],
    ['os_name=="a" and (os_name=="b" or os_name=="c")', 'os_name == "a" and (os_name == "b" or os_name == "c")'],
    ['os_name=="a" or os_name=="b" and os_name=="c"', 'os_name == "a" or os_name == "b" and os_name == "c"'],
    ['(os_name=="a" or os_name=="b") and os_name=="c"', '(os_name == "a" or os_name == "b") and os_name == "c"'],
    ['os_name=="a" or (os_name=="b" and os_name=="c")', 'os_name == "a" or os_name == "b" and os_name == "c"'],
    ['os_name=="a" and (os_name=="b" and os_name=="c")', 'os_name == "a" and os_name == "b" and os_name == "c"'],
    ['((( os_name == "a" )))', 'os_name == "a"'],
    ['\t python_version\t>=\t"3.8"  ', 'python_version >= "3.8"'],
    ['python_version>="3"and(os_name=="nt")', 'python_version >= "3" and os_name == "nt"'],
    ['"linux" in sys_platform', '"linux" in sys_platform'],
    ['"win" not   in sys_platform', '"win" not in sys_platform'],
    ['"3.8" <= python_version', '"3.8" <= python_version'],
    ['python_full_version === "3.11.4"', 'python_full_version === "3.11.4"'],
    ['python_version ~= "3.8"', 'python_version ~= "3.8"'],
    ['platform_machine != "x86_64"', 'platform_machine != "x86_64"'],
    ['os_name == \'say "hi"\'', 'os_name == \'say "hi"\''],
    ['os_name == ""', 'os_name == ""'],
    ['extra == "Foo_Bar"', 'extra == "Foo_Bar"'],
    ['"tests" in extras and "dev" in dependency_groups', '"tests" in extras and "dev" in dependency_groups'],
    // Legacy spellings still found in old metadata map to the PEP 508 names.
    ['os.name == "nt"', 'os_name == "nt"'],
    ['sys.platform == "win32"', 'sys_platform == "win32"'],
    ['platform.version == "1"', 'platform_version == "1"'],
    ['platform.machine == "x86_64"', 'platform_machine == "x86_64"'],
    ['platform.python_implementation == "CPython"', 'platform_python_implementation == "CPython"'],
    ['python_implementation == "PyPy"', 'platform_python_implementation == "PyPy"'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(markerToString(parseMarker(input)), expected));
  }
});

describe('parseMarker: AST', () => {
  it('binds and tighter than or, left to right', () => {
    const a = { op: 'compare', left: { kind: 'variable', name: 'os_name' }, operator: '==', right: { kind: 'string', value: 'a' } } as const;
    const b = { ...a, right: { kind: 'string', value: 'b' } } as const;
    const c = { ...a, right: { kind: 'string', value: 'c' } } as const;
    assert.deepEqual(parseMarker('os_name == "a" or os_name == "b" and os_name == "c"'), { op: 'or', left: a, right: { op: 'and', left: b, right: c } });
    assert.deepEqual(parseMarker('os_name == "a" and os_name == "b" or os_name == "c"'), { op: 'or', left: { op: 'and', left: a, right: b }, right: c });
    assert.deepEqual(parseMarker('os_name == "a" and os_name == "b" and os_name == "c"'), { op: 'and', left: { op: 'and', left: a, right: b }, right: c });
  });

  it('accepts a variable on either side and strings on both', () => {
    assert.deepEqual(parseMarker("'3.8' < python_version"), {
      op: 'compare',
      left: { kind: 'string', value: '3.8' },
      operator: '<',
      right: { kind: 'variable', name: 'python_version' },
    });
    assert.deepEqual(parseMarker('"a" == "a"').op, 'compare');
  });

  it('keeps string contents verbatim, including spaces and punctuation', () => {
    const marker = parseMarker("platform_version == ' #1 SMP (x) [y]; z '");
    assert.equal(marker.op === 'compare' && marker.right.kind === 'string' ? marker.right.value : null, ' #1 SMP (x) [y]; z ');
  });
});

describe('parseMarker: errors', () => {
  const cases: [string, RegExp][] = [
    ['python_version >= "3.8" and', /expected a marker after 'and' at column 27/],
    ['python_version >= "3.8" or  ', /expected a marker after 'or' at column 28/],
    ['', /expected a marker, found the end of the text at column 0/],
    ['   ', /expected a marker, found the end of the text at column 3/],
    ['python_version', /expected a comparison operator .* after python_version at column 14/],
    ['python_version >=', /expected a variable or quoted string after '>=' at column 17/],
    ['python_version >= 3.8', /expected a variable or quoted string after '>=' at column 18/],
    ['python_version >= "3.8', /unterminated string \(no closing "\) at column 18/],
    ["os_name == 'nt\"", /unterminated string/],
    ['foo == "bar"', /unknown marker variable 'foo' at column 0/],
    ['python_version >= "3" and os_nam == "x"', /unknown marker variable 'os_nam' at column 26/],
    ['(os_name == "a"', /expected 'and', 'or' or '\)' \(the '\(' is at column 0\) at column 15/],
    ['()', /expected a marker after '\(' at column 1/],
    ['os_name == "a")', /unbalanced '\)' with no matching '\(' at column 14/],
    ['os_name = "a"', /expected a comparison operator .* at column 8/],
    ['os_name == "a" xor os_name == "b"', /expected 'and', 'or' or the end of the marker at column 15/],
    ['os_name == "a" andos_name == "b"', /expected 'and', 'or' or the end of the marker at column 15/],
    ['os_name not "a"', /expected 'in' after 'not' at column 12/],
    ['os_name notin "a"', /expected a comparison operator/],
    ['os_name => "a"', /expected a variable or quoted string after '>=' at column 10|expected a comparison operator/],
    ['os_name == "a"\u0000', /control character not allowed at column 14/],
    ['os_name == "a"\nand os_name == "b"', /control character not allowed at column 14/],
    ['and', /unknown marker variable 'and' at column 0/],
    ['os_name == "a" and and', /unknown marker variable 'and'|expected a marker after 'and'/],
  ];
  for (const [input, pattern] of cases) {
    it(`rejects ${JSON.stringify(input)}`, () => assert.throws(() => parseMarker(input), invalidMarker(pattern)));
  }

  it('shows the text with a caret under the failing column', () => {
    assert.throws(
      () => parseMarker('python_version >= "3.8" and'),
      (error: unknown) => {
        assert.ok(isPavedError(error));
        const lines = error.message.split('\n');
        assert.equal(lines[1], '    python_version >= "3.8" and');
        assert.equal(lines[2], `    ${' '.repeat(27)}^`);
        assert.ok(error.hint !== undefined);
        return true;
      },
    );
  });

  it('suggests == when = is written', () => {
    assert.throws(() => parseMarker('os_name = "nt"'), (error: unknown) => isPavedError(error) && /==/.test(error.hint ?? ''));
  });

  it('fails fast and briefly on hostile input', () => {
    const hostile = [
      '('.repeat(10_000),
      '('.repeat(5_000) + 'os_name == "a"' + ')'.repeat(5_000),
      '"'.repeat(10_000),
      'os_name == "' + 'x'.repeat(10_000),
      'os_name == "a" and '.repeat(10_000),
      'x'.repeat(10_000),
      'os_name == "a" ' + ')'.repeat(10_000),
      '\u0000'.repeat(10_000),
    ];
    for (const text of hostile) {
      const started = performance.now();
      assert.throws(() => parseMarker(text), (error: unknown) => {
        assert.ok(isPavedError(error, 'PAVED_E_INVALID_MARKER'), String(error));
        assert.ok(error.message.length < 400, `message too long for ${text.slice(0, 20)}`);
        return true;
      });
      assert.ok(performance.now() - started < 500, `too slow for ${text.slice(0, 20)}`);
    }
  });

  it('accepts nesting up to 100 levels and refuses more', () => {
    assert.equal(markerToString(parseMarker('('.repeat(100) + 'os_name == "a"' + ')'.repeat(100))), 'os_name == "a"');
    assert.throws(() => parseMarker('('.repeat(101) + 'os_name == "a"' + ')'.repeat(101)), invalidMarker(/nested more than 100 deep/));
  });
});

describe('evaluateMarker: concrete environments', () => {
  // [marker, CPython 3.11 Linux x86_64, CPython 3.9 macOS arm64, CPython 3.12 Windows]
  const cases: [string, boolean, boolean, boolean][] = [
    ['python_version >= "3.8"', true, true, true],
    ['python_version > "3.10"', true, false, true],
    ['python_version < "3.10"', false, true, false],
    ['python_version == "3.9"', false, true, false],
    ['python_version == "3.9.*"', false, true, false],
    ['python_version != "3.11"', false, true, true],
    ['python_version ~= "3.9"', true, true, true],
    ['python_version ~= "3.10"', true, false, true],
    ['python_full_version >= "3.11.4"', true, false, true],
    ['python_full_version ~= "3.11.0"', true, false, false],
    ['python_full_version === "3.11.4"', true, false, false],
    ['"3.10" > python_version', false, true, false],
    ['sys_platform == "linux"', true, false, false],
    ['sys_platform == "win32"', false, false, true],
    ['os_name == "nt"', false, false, true],
    ['os_name == "posix"', true, true, false],
    ['platform_system != "Windows"', true, true, false],
    ['platform_machine == "arm64" and sys_platform == "darwin"', false, true, false],
    ['sys_platform == "linux" or sys_platform == "darwin"', true, true, false],
    ['"linux" in sys_platform', true, false, false],
    ['sys_platform not in "win32 cygwin"', true, true, false],
    ['sys_platform in "darwin linux"', true, true, false],
    ['implementation_name == "cpython"', true, true, true],
    ['platform_python_implementation == "CPython"', true, true, true],
    ['implementation_version >= "3.10"', true, false, true],
    ['python_version >= "3.10" and (sys_platform == "darwin" or os_name == "nt")', false, false, true],
    ['python_version >= "3.10" and sys_platform == "darwin" or os_name == "nt"', false, false, true],
    ['python_version < "3.10" or platform_machine == "x86_64" and sys_platform == "linux"', true, true, false],
    // platform_release: "23.1.0" and "10" are versions (23.1.0 > 5.10), but the Linux
    // release is not PEP 440, so it is compared as a Python string ("5.15…" >= "5.10").
    ['platform_release >= "5.10"', true, true, true],
    ['platform_release == "5.15.0-1034-azure"', true, false, false],
    ['platform_release < "6"', true, false, false],
    // Python string order for values that are not versions: "x86_64" > "aarch64" > "AMD64".
    ['platform_machine >= "aarch64"', true, true, false],
    ['os_name < "p"', false, false, true],
    ['platform_version == "10.0.22631"', false, false, true],
    ['"Darwin Kernel" in platform_version', false, true, false],
  ];
  for (const [marker, linux, mac, windows] of cases) {
    it(marker, () => {
      const parsed = parseMarker(marker);
      assert.equal(evaluateMarker(parsed, linux311), linux, 'CPython 3.11 Linux');
      assert.equal(evaluateMarker(parsed, mac39), mac, 'CPython 3.9 macOS');
      assert.equal(evaluateMarker(parsed, windows312), windows, 'CPython 3.12 Windows');
    });
  }

  it('compares versions, not strings: "3.10" > "3.9"', () => {
    assert.equal(evaluateMarker(parseMarker('"3.10" > "3.9"'), linux311), true);
    assert.equal(evaluateMarker(parseMarker('"3.10" < "3.9"'), linux311), false);
    assert.equal(evaluateMarker(parseMarker('"1.0" == "1.0.0"'), linux311), true);
  });

  it('lets pre-release interpreters match', () => {
    const rc = markerEnvironmentFor({ implementation: 'cpython', pythonFullVersion: '3.13.0rc1', sysPlatform: 'linux', platformMachine: 'x86_64', platformSystem: 'Linux', osName: 'posix' });
    assert.equal(evaluateMarker(parseMarker('python_full_version >= "3.13"'), rc), false);
    assert.equal(evaluateMarker(parseMarker('python_full_version >= "3.13.0rc1"'), rc), true);
    assert.equal(evaluateMarker(parseMarker('python_full_version > "3.12"'), rc), true);
    assert.equal(evaluateMarker(parseMarker('python_version >= "3.13"'), rc), true);
  });

  it('throws for comparisons Python cannot make on non-versions', () => {
    assert.throws(() => evaluateMarker(parseMarker('os_name ~= "posix"'), linux311), invalidMarker(/undefined/));
    assert.throws(() => evaluateMarker(parseMarker('os_name === "posix"'), linux311), invalidMarker(/undefined/));
    assert.throws(() => evaluateMarker(parseMarker('python_version ~= "3"'), linux311), invalidMarker(/undefined/));
  });

  it('short-circuits so an undefined comparison on an untaken branch does not throw', () => {
    assert.equal(evaluateMarker(parseMarker('os_name == "nt" and os_name ~= "x"'), linux311), false);
    assert.equal(evaluateMarker(parseMarker('os_name == "posix" or os_name ~= "x"'), linux311), true);
  });
});

describe('evaluateMarker: extras and groups', () => {
  const cases: [string, readonly string[] | undefined, boolean][] = [
    ['extra == "Foo_Bar"', ['foo-bar'], true],
    ['extra == "foo-bar"', ['Foo.Bar'], true],
    ['extra == "Foo_Bar"', ['foo'], false],
    ['extra == "Foo_Bar"', [], false],
    ['extra == "Foo_Bar"', undefined, false],
    ['extra == "socks"', ['tests', 'socks'], true],
    ['"socks" == extra', ['socks'], true],
    ['extra != "test"', undefined, true],
    ['extra != "test"', ['test'], false],
    ['extra == "socks" and python_version >= "3.8"', ['socks'], true],
    ['"Tests" in extras', ['tests'], true],
    ['"tests" not in extras', ['tests'], false],
    ['"tests" not in extras', undefined, true],
  ];
  for (const [marker, extras, expected] of cases) {
    it(`${marker} with extras ${JSON.stringify(extras)}`, () => {
      assert.equal(evaluateMarker(parseMarker(marker), linux311, extras === undefined ? {} : { extras }), expected);
    });
  }

  it('tests dependency groups by normalised name', () => {
    assert.equal(evaluateMarker(parseMarker('"Dev_Tools" in dependency_groups'), linux311, { dependencyGroups: ['dev-tools'] }), true);
    assert.equal(evaluateMarker(parseMarker('"docs" in dependency_groups'), linux311, { dependencyGroups: ['dev'] }), false);
  });

  it('rejects operators that make no sense on extras', () => {
    assert.throws(() => evaluateMarker(parseMarker('extra >= "a"'), linux311, { extras: ['a'] }), invalidMarker(/only be compared with == or !=/));
    assert.throws(() => evaluateMarker(parseMarker('extras == "a"'), linux311), invalidMarker(/cannot evaluate/));
  });
});

describe('markerToString round trips', () => {
  const inputs = [
    'python_version >= "3.8" and (sys_platform == "linux" or sys_platform == "darwin")',
    '(python_version < "3" or os_name == "nt") and (extra == "a" or extra == "b") or platform_machine in "x86_64 amd64"',
    "os.name=='nt' and python_implementation!='PyPy'",
    '"a" not in sys_platform or ("b" in sys_platform and ("c" in sys_platform or "d" in sys_platform))',
    "platform_version == 'has \"double\" quotes'",
    'os_name == "a" or (os_name == "b" or os_name == "c") and os_name == "d"',
  ];
  for (const input of inputs) {
    it(input, () => {
      const once = markerToString(parseMarker(input));
      const twice = markerToString(parseMarker(once));
      assert.equal(twice, once);
      assert.deepEqual(parseMarker(twice), parseMarker(once));
      // Meaning is kept: both forms agree in every environment.
      for (const env of [linux311, mac39, windows312]) {
        for (const extras of [[], ['a'], ['b']]) {
          assert.equal(evaluateMarker(parseMarker(once), env, { extras }), evaluateMarker(parseMarker(input), env, { extras }));
        }
      }
    });
  }

  it('refuses a string that holds both quote characters', () => {
    const marker: Marker = { op: 'compare', left: { kind: 'variable', name: 'os_name' }, operator: '==', right: { kind: 'string', value: `a"b'c` } };
    assert.throws(() => markerToString(marker), invalidMarker(/both quote characters/));
  });

  it('handles machine-built chains thousands of clauses long', () => {
    const clauses = Array.from({ length: 5000 }, (_, i) => `platform_version == "${i}"`);
    const marker = parseMarker(clauses.join(' or '));
    assert.equal(markerToString(marker), clauses.join(' or '));
    assert.equal(evaluateMarker(marker, linux311), false);
    // A right-leaning tree 20 000 deep, as a careless builder could make.
    let deep: Marker = parseMarker('python_version >= "3.0"');
    for (let i = 1; i < 20_000; i++) deep = { op: 'and', left: parseMarker(`python_version >= "3.${i % 100}"`), right: deep };
    assert.equal(evaluateMarker(deep, linux311), false);
    assert.equal(markerToString(deep).split(' and ').length, 20_000);
  });
});

describe('andMarkers / orMarkers', () => {
  const a = parseMarker('os_name == "nt"');
  const b = parseMarker('python_version >= "3.8"');
  const aOrB = parseMarker('os_name == "nt" or python_version >= "3.8"');

  it('treats null as "always true"', () => {
    assert.equal(andMarkers(null, null), null);
    assert.equal(andMarkers(a, null), a);
    assert.equal(andMarkers(null, b), b);
    assert.equal(orMarkers(a, null), null);
    assert.equal(orMarkers(null, b), null);
    assert.equal(orMarkers(null, null), null);
  });

  it('combines with the right precedence in text', () => {
    assert.equal(markerToString(andMarkers(a, b) as Marker), 'os_name == "nt" and python_version >= "3.8"');
    assert.equal(markerToString(orMarkers(a, b) as Marker), 'os_name == "nt" or python_version >= "3.8"');
    assert.equal(markerToString(andMarkers(aOrB, a) as Marker), '(os_name == "nt" or python_version >= "3.8") and os_name == "nt"');
    assert.equal(markerToString(orMarkers(andMarkers(a, b), a) as Marker), 'os_name == "nt" and python_version >= "3.8" or os_name == "nt"');
  });

  it('keeps identical operands once', () => {
    assert.equal(andMarkers(a, parseMarker("os_name=='nt'")), a);
    assert.equal(orMarkers(a, a), a);
    assert.equal(markerToString(andMarkers(andMarkers(a, b), b, a) as Marker), 'os_name == "nt" and python_version >= "3.8"');
    assert.equal(markerToString(orMarkers(aOrB, b) as Marker), 'os_name == "nt" or python_version >= "3.8"');
  });

  it('takes any number of markers', () => {
    assert.equal(markerToString(andMarkers(a, null, b, a) as Marker), 'os_name == "nt" and python_version >= "3.8"');
  });
});

describe('markerEnvironmentFor', () => {
  it('derives every variable from the interpreter description', () => {
    assert.deepEqual(linux311, {
      os_name: 'posix',
      sys_platform: 'linux',
      platform_machine: 'x86_64',
      platform_python_implementation: 'CPython',
      platform_release: '5.15.0-1034-azure',
      platform_system: 'Linux',
      platform_version: '#1 SMP Tue Feb 14 18:05:11 UTC 2023',
      python_version: '3.11',
      python_full_version: '3.11.4',
      implementation_name: 'cpython',
      implementation_version: '3.11.4',
    });
  });

  it('describes PyPy and defaults unknown release fields to empty', () => {
    const env = markerEnvironmentFor({ implementation: 'pypy', pythonFullVersion: '3.10.14', implementationVersion: '7.3.16', sysPlatform: 'linux', platformMachine: 'aarch64', platformSystem: 'Linux', osName: 'posix' });
    assert.equal(env.platform_python_implementation, 'PyPy');
    assert.equal(env.implementation_name, 'pypy');
    assert.equal(env.implementation_version, '7.3.16');
    assert.equal(env.python_version, '3.10');
    assert.equal(env.platform_release, '');
    assert.equal(env.platform_version, '');
  });

  it('repairs the "+" suffix of untagged interpreter builds', () => {
    const env = markerEnvironmentFor({ implementation: 'cpython', pythonFullVersion: '3.14.0a1+', sysPlatform: 'linux', platformMachine: 'x86_64', platformSystem: 'Linux', osName: 'posix' });
    assert.equal(env.python_full_version, '3.14.0a1+local');
    assert.equal(env.python_version, '3.14');
    assert.equal(evaluateMarker(parseMarker('python_full_version >= "3.14.0a1"'), env), true);
  });

  it('rejects a Python version without major.minor', () => {
    assert.throws(
      () => markerEnvironmentFor({ implementation: 'cpython', pythonFullVersion: 'three', sysPlatform: 'linux', platformMachine: 'x86_64', platformSystem: 'Linux', osName: 'posix' }),
      (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_VERSION'),
    );
  });
});
