import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPavedError } from '../../src/errors.js';
import { evaluateMarker, markerEnvironmentFor, markerToString, parseMarker } from '../../src/standards/markers.js';
import { parseRequirement, requirementToString, type Requirement } from '../../src/standards/requirement.js';
import { parseSpecifierSet } from '../../src/standards/specifier.js';

/** What a user sees of a requirement, as plain data. */
function view(req: Requirement): { name: string; extras: string[]; specifier: string; url: string | null; marker: string | null } {
  return {
    name: req.name,
    extras: req.extras,
    specifier: req.specifier.toString(),
    url: req.url,
    marker: req.marker === null ? null : markerToString(req.marker),
  };
}

function invalidRequirement(pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(isPavedError(error, 'PAVED_E_INVALID_REQUIREMENT'), `expected PAVED_E_INVALID_REQUIREMENT, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('parseRequirement: PEP 508 examples and edge cases', () => {
  // [input, name, extras, specifier, url, marker, canonical text]
  const cases: [string, string, string[], string, string | null, string | null, string][] = [
    ['A', 'A', [], '', null, null, 'A'],
    ['A.B-C_D', 'A.B-C_D', [], '', null, null, 'A.B-C_D'],
    ['aa', 'aa', [], '', null, null, 'aa'],
    ['name', 'name', [], '', null, null, 'name'],
    ['name<=1', 'name', [], '<=1', null, null, 'name<=1'],
    ['name>=3', 'name', [], '>=3', null, null, 'name>=3'],
    ['name>=3,<2', 'name', [], '<2,>=3', null, null, 'name<2,>=3'],
    ['name@http://foo.com', 'name', [], '', 'http://foo.com', null, 'name @ http://foo.com'],
    [
      'name [fred,bar] @ http://foo.com ; python_version=="2.7"',
      'name',
      ['bar', 'fred'],
      '',
      'http://foo.com',
      'python_version == "2.7"',
      'name[bar,fred] @ http://foo.com ; python_version == "2.7"',
    ],
    [
      'name[quux, strange];python_version<"2.7" and platform_version=="2"',
      'name',
      ['quux', 'strange'],
      '',
      null,
      'python_version < "2.7" and platform_version == "2"',
      'name[quux,strange]; python_version < "2.7" and platform_version == "2"',
    ],
    ['name; os_name=="a" or os_name=="b"', 'name', [], '', null, 'os_name == "a" or os_name == "b"', 'name; os_name == "a" or os_name == "b"'],
    [
      'name; os_name=="a" and (os_name=="b" or os_name=="c")',
      'name',
      [],
      '',
      null,
      'os_name == "a" and (os_name == "b" or os_name == "c")',
      'name; os_name == "a" and (os_name == "b" or os_name == "c")',
    ],
    [
      'requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < "2.7"',
      'requests',
      ['security', 'tests'],
      '==2.8.*,>=2.8.1',
      null,
      'python_version < "2.7"',
      'requests[security,tests]==2.8.*,>=2.8.1; python_version < "2.7"',
    ],
    [
      'pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686',
      'pip',
      [],
      '',
      'https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686',
      null,
      'pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686',
    ],
    // Legacy parentheses around the specifiers.
    ['name (>=1.0,<2)', 'name', [], '<2,>=1.0', null, null, 'name<2,>=1.0'],
    ['name ( >= 1.0 , < 2 ) ; os_name == "nt"', 'name', [], '<2,>=1.0', null, 'os_name == "nt"', 'name<2,>=1.0; os_name == "nt"'],
    ['name()', 'name', [], '', null, null, 'name'],
    ['name(==1.0)', 'name', [], '==1.0', null, null, 'name==1.0'],
    // Extras: normalised (PEP 685), sorted, unique; empty brackets allowed.
    ['Name[Foo_Bar, foo-bar, FOO.BAR]', 'Name', ['foo-bar'], '', null, null, 'Name[foo-bar]'],
    ['name[]', 'name', [], '', null, null, 'name'],
    ['name [ ] >=1', 'name', [], '>=1', null, null, 'name>=1'],
    ['name[ b , a ]', 'name', ['a', 'b'], '', null, null, 'name[a,b]'],
    // Whitespace: spaces and tabs anywhere PEP 508 allows them.
    ['  name  ', 'name', [], '', null, null, 'name'],
    ['name\t>=\t1.0\t', 'name', [], '>=1.0', null, null, 'name>=1.0'],
    ['name ; python_version >= "3"', 'name', [], '', null, 'python_version >= "3"', 'name; python_version >= "3"'],
    ['name>=1;python_version>="3"', 'name', [], '>=1', null, 'python_version >= "3"', 'name>=1; python_version >= "3"'],
    ['name >= 1.0 ; extra == "Foo_Bar"', 'name', [], '>=1.0', null, 'extra == "Foo_Bar"', 'name>=1.0; extra == "Foo_Bar"'],
    // Specifier spellings.
    ['name==1.0.*', 'name', [], '==1.0.*', null, null, 'name==1.0.*'],
    ['name~=1.4.2', 'name', [], '~=1.4.2', null, null, 'name~=1.4.2'],
    ['name===foo-bar,>=1', 'name', [], '===foo-bar,>=1', null, null, 'name===foo-bar,>=1'],
    ['name!=1.5,>1.0', 'name', [], '!=1.5,>1.0', null, null, 'name!=1.5,>1.0'],
    ['name==1.0+local.7', 'name', [], '==1.0+local.7', null, null, 'name==1.0+local.7'],
    ['name>=1,', 'name', [], '>=1', null, null, 'name>=1'],
    // URLs.
    ['name @ file:///tmp/name-1.0-py3-none-any.whl', 'name', [], '', 'file:///tmp/name-1.0-py3-none-any.whl', null, 'name @ file:///tmp/name-1.0-py3-none-any.whl'],
    ['name@ https://x/y.whl ; extra == "a"', 'name', [], '', 'https://x/y.whl', 'extra == "a"', 'name @ https://x/y.whl ; extra == "a"'],
    ['name[x]@git+https://host/repo.git@v1.0', 'name', ['x'], '', 'git+https://host/repo.git@v1.0', null, 'name[x] @ git+https://host/repo.git@v1.0'],
    // A ';' inside a URL is part of it when no marker follows.
    ['name @ https://host/a;b', 'name', [], '', 'https://host/a;b', null, 'name @ https://host/a;b'],
  ];
  for (const [input, name, extras, specifier, url, marker, canonical] of cases) {
    it(JSON.stringify(input), () => {
      const req = parseRequirement(input);
      assert.deepEqual(view(req), { name, extras, specifier, url, marker });
      assert.equal(requirementToString(req), canonical);
    });
  }
});

describe('parseRequirement: errors say where and what was expected', () => {
  const cases: [string, RegExp][] = [
    ['', /expected a project name at column 0/],
    ['   ', /expected a project name at column 3/],
    ['[extra]', /expected a project name at column 0/],
    ['-name', /invalid project name '-name' at column 0/],
    ['name-', /invalid project name 'name-' at column 0/],
    ['name_ >=1', /invalid project name 'name_' at column 0/],
    ['na me', /expected '\[', a version specifier, '@ URL', ';' or the end of the requirement at column 3/],
    ['name 1.0', /expected '\[', a version specifier.* at column 5/],
    ['name[', /expected an extra name after '\[' at column 5/],
    ['name[a', /expected ',' or '\]' to close the '\[' at column 4 at column 6/],
    ['name[a,', /expected an extra name after ',' at column 7/],
    ['name[a,]', /expected an extra name after ',' at column 7/],
    ['name[a b]', /expected ',' between extra names at column 7/],
    ['name[-a]', /invalid extra name '-a' at column 5/],
    ['name[a]]', /expected a version specifier, '@ URL', ';' or the end of the requirement at column 7/],
    ['name[a][b]', /expected a version specifier.* at column 7/],
    ['name (>=1', /expected ',' or '\)' to close the '\(' at column 5 at column 9/],
    ['name (', /expected a version operator .* at column 6/],
    ['name (>=1))', /expected ',', ';' or the end of the requirement at column 10|expected a version specifier/],
    ['name>=', /expected a version after '>=' at column 6/],
    ['name>= ;os_name=="a"', /expected a version after '>=' at column 7/],
    ['name>=1.0 junk', /expected ',', ';' or the end of the requirement at column 10/],
    ['name>=1.0,,<2', /expected a version specifier after ',' at column 10/],
    ['name>=1.0.x', /Invalid version specifier '>=1\.0\.x'.* at column 4/],
    ['name~=1', /'~=' needs at least two release numbers.* at column 4/],
    ['name=1.0', /expected a version operator .* at column 4/],
    ['name>=1 @ https://x', /expected ',', ';' or the end of the requirement at column 8/],
    ['name @', /expected a URL after '@' at column 6/],
    ['name @ https://x/y.whl;python_version<"3"', /a ';' after a URL must have whitespace before it at column 22/],
    ['name @ https://x/y.whl junk', /expected ' ;' and a marker, or the end of the requirement, after the URL at column 23/],
    ['name @ https://x/y.whl ;', /expected a marker, found the end of the text at column 24/],
    ['name;', /expected a marker, found the end of the text at column 5/],
    ['name; ', /expected a marker, found the end of the text at column 6/],
    ['name; python_version >= "3.8" and', /expected a marker after 'and' at column 33/],
    ['name; os_name == "a', /unterminated string \(no closing "\) at column 17/],
    ['name; foo == "a"', /unknown marker variable 'foo' at column 6/],
    ['name; (os_name == "a"', /expected 'and', 'or' or '\)' \(the '\(' is at column 6\) at column 21/],
    ['name\u0000', /control character not allowed at column 4/],
    ['name>=1.0\n', /control character not allowed at column 9/],
    ['name\r\n', /control character not allowed at column 4/],
    ['x'.repeat(201), /project name longer than 200 characters at column 0/],
  ];
  for (const [input, pattern] of cases) {
    it(`rejects ${JSON.stringify(input.slice(0, 50))}`, () => assert.throws(() => parseRequirement(input), invalidRequirement(pattern)));
  }

  it('shows a caret under the failing column and gives a hint', () => {
    assert.throws(
      () => parseRequirement('requests[socks >=2'),
      (error: unknown) => {
        assert.ok(isPavedError(error, 'PAVED_E_INVALID_REQUIREMENT'));
        const lines = error.message.split('\n');
        assert.equal(lines[1], '    requests[socks >=2');
        assert.equal(lines[2], `    ${' '.repeat(15)}^`);
        assert.ok(error.hint !== undefined && error.hint.length > 0);
        return true;
      },
    );
  });

  it('suggests the fix for common mistakes', () => {
    const hintOf = (text: string): string => {
      try {
        parseRequirement(text);
      } catch (error) {
        if (isPavedError(error)) return error.hint ?? '';
      }
      return '';
    };
    assert.match(hintOf('name 1.0'), /name==1\.0/);
    assert.match(hintOf('name=1.0'), /==/);
    assert.match(hintOf('name @ https://x/y.whl;os_name=="nt"'), /https:\/\/x\/y\.whl ; <marker>/);
  });

  it('fails fast, with a short message, on hostile input', () => {
    const hostile = [
      'x'.repeat(10_000),
      'a' + '['.repeat(10_000),
      'a[' + 'b,'.repeat(5_000),
      'a' + '>=1,'.repeat(3_000),
      'a (' + '('.repeat(10_000),
      'a; ' + '('.repeat(10_000),
      'a; os_name == "' + 'x'.repeat(10_000),
      'a; ' + 'os_name == "a" and '.repeat(1_000),
      'a>=' + '9'.repeat(10_000),
      'a @ ' + 'https://x/ '.repeat(1_000),
      'a @ https://x/' + ';os_name=="a"'.repeat(1_000) + ' junk',
      '"'.repeat(10_000),
      '\u0000'.repeat(10_000),
      ']'.repeat(10_000),
    ];
    for (const text of hostile) {
      const started = performance.now();
      assert.throws(() => parseRequirement(text), (error: unknown) => {
        assert.ok(isPavedError(error, 'PAVED_E_INVALID_REQUIREMENT'), `${text.slice(0, 20)}: ${String(error)}`);
        assert.ok(error.message.length < 500, `message too long for ${text.slice(0, 20)}: ${error.message.length}`);
        return true;
      });
      assert.ok(performance.now() - started < 500, `too slow for ${text.slice(0, 20)}`);
    }
  });
});

describe('parseRequirement: markers evaluate for the target environment', () => {
  const linux = markerEnvironmentFor({ implementation: 'cpython', pythonFullVersion: '3.11.4', sysPlatform: 'linux', platformMachine: 'x86_64', platformSystem: 'Linux', osName: 'posix' });
  const windows = markerEnvironmentFor({ implementation: 'cpython', pythonFullVersion: '3.9.13', sysPlatform: 'win32', platformMachine: 'AMD64', platformSystem: 'Windows', osName: 'nt' });

  it('applies the requirement only where its marker holds', () => {
    const req = parseRequirement('colorama>=0.4; sys_platform == "win32" and python_version < "3.10"');
    assert.ok(req.marker !== null);
    assert.equal(evaluateMarker(req.marker, linux), false);
    assert.equal(evaluateMarker(req.marker, windows), true);
  });

  it('matches extras by normalised name', () => {
    const req = parseRequirement('pysocks!=1.5.7,>=1.5.6; extra == "Socks_Proxy"');
    assert.ok(req.marker !== null);
    assert.equal(evaluateMarker(req.marker, linux, { extras: ['socks-proxy'] }), true);
    assert.equal(evaluateMarker(req.marker, linux), false);
  });

  it('gives a specifier that tests versions', () => {
    const req = parseRequirement('name (>=1.0, <2)');
    assert.equal(req.specifier.contains('1.5'), true);
    assert.equal(req.specifier.contains('2.0'), false);
  });
});

describe('requirementToString', () => {
  const inputs = [
    'Requests [Security , TESTS] >= 2.8.1, == 2.8.* ; python_version < "2.7"',
    'name (>=1.0,<2) ; os.name == "nt" or (sys.platform == "linux" and python_implementation == "CPython")',
    'name[x] @ https://host/x.whl ; extra == "Foo_Bar"',
    'zope.interface',
    'name===weird-1,!=3',
    "name; platform_version == 'has \"quotes\"'",
  ];
  for (const input of inputs) {
    it(`round-trips ${JSON.stringify(input)}`, () => {
      const once = requirementToString(parseRequirement(input));
      const again = parseRequirement(once);
      assert.equal(requirementToString(again), once);
      assert.deepEqual(view(again), view(parseRequirement(input)));
    });
  }

  it('normalises extras even when built by hand', () => {
    const req: Requirement = { name: 'name', extras: ['B_b', 'a', 'b-b'], specifier: parseSpecifierSet('>=1'), url: null, marker: parseMarker("os_name=='nt'") };
    assert.equal(requirementToString(req), 'name[a,b-b]>=1; os_name == "nt"');
  });

  it('refuses a requirement with both a URL and specifiers', () => {
    const req: Requirement = { name: 'name', extras: [], specifier: parseSpecifierSet('>=1'), url: 'https://x/y.whl', marker: null };
    assert.throws(() => requirementToString(req), invalidRequirement(/both a URL and version specifiers/));
  });
});
