import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isPavedError } from '../../src/errors.js';
import {
  coreMetadataJson,
  parseCoreMetadata,
  parseCoreMetadataBytes,
  renderCoreMetadata,
  validateCoreMetadata,
  type CoreMetadata,
} from '../../src/standards/coreMetadata.js';
import { normalizeName } from '../../src/standards/names.js';
import { normalizeVersion } from '../../src/standards/version.js';
import { HISTORY, PYPI_SUBSET, readWheelMetadata } from '../fixtures/corpus.js';

const CORPUS = [PYPI_SUBSET, HISTORY];


function expectInvalid(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isPavedError(error, 'PAVED_E_INVALID_METADATA'), `expected PAVED_E_INVALID_METADATA, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

const wheels = CORPUS.flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.whl'))
    .map((f) => join(dir, f)),
);

describe('parseCoreMetadata on real wheels from the corpus', () => {
  it('finds wheels to test', () => {
    assert.ok(wheels.length >= 20, `only ${wheels.length} wheels in the corpus`);
  });
  for (const path of wheels) {
    const file = path.slice(path.lastIndexOf('/') + 1);
    it(`${file}: parses, matches its filename, validates and round-trips`, async () => {
      const text = await readWheelMetadata(path);
      const m = parseCoreMetadata(text);
      const [fileName, fileVersion] = file.split('-') as [string, string];
      assert.equal(normalizeName(m.name), normalizeName(fileName));
      assert.equal(normalizeVersion(m.version), normalizeVersion(fileVersion));
      assert.ok(m.description !== null && m.description.length > 0, 'wheels in the corpus all have a description body');
      assert.deepEqual(validateCoreMetadata(m).filter((p) => !p.includes('License-File')), []);
      assert.deepEqual(parseCoreMetadata(renderCoreMetadata(m)), m);
    });
  }

  it('reads multi-use fields in order (fsspec has many Requires-Dist and extras)', async () => {
    const path = wheels.find((p) => p.includes('fsspec-2026.6.0'));
    assert.ok(path);
    const m = parseCoreMetadata(await readWheelMetadata(path));
    assert.ok(m.requiresDist.length > 50);
    assert.ok(m.providesExtra.length > 10);
    assert.ok(m.requiresDist.some((r) => r.includes('extra ==')));
  });

  it('keeps headers not in the spec (Import-Name, 2.5) in otherFields', async () => {
    const path = wheels.find((p) => p.includes('idna-3.20'));
    assert.ok(path);
    const m = parseCoreMetadata(await readWheelMetadata(path));
    assert.equal(m.metadataVersion, '2.5');
    assert.deepEqual(m.otherFields, [['Import-Name', 'idna']]);
  });
});

describe('parseCoreMetadata per Metadata-Version', () => {
  it('1.0: Platform, Summary, indented Description header, Keywords, Home-page, Author, License', () => {
    const text = [
      'Metadata-Version: 1.0',
      'Name: oldpkg',
      'Version: 0.1',
      'Platform: UNKNOWN',
      'Platform: linux',
      'Summary: An old package',
      'Description: First line',
      '        ',
      '        Indented block:',
      '            code()',
      'Keywords: a b c',
      'Home-page: http://example.com',
      'Author: A. Person',
      'Author-email: a@example.com',
      'License: MIT',
      '',
    ].join('\n');
    const m = parseCoreMetadata(text);
    assert.equal(m.metadataVersion, '1.0');
    assert.deepEqual(m.platforms, ['UNKNOWN', 'linux']);
    assert.equal(m.description, 'First line\n\nIndented block:\n    code()');
    assert.equal(m.keywords, 'a b c');
    assert.equal(m.homePage, 'http://example.com');
    assert.equal(m.authorEmail, 'a@example.com');
    assert.equal(m.license, 'MIT');
    assert.deepEqual(validateCoreMetadata(m), []);
  });

  it('1.0: the spec\'s "7 spaces and a pipe" continuation is removed', () => {
    const m = parseCoreMetadata('Metadata-Version: 1.0\nName: p\nVersion: 1\nDescription: line one\n       |line two\n       |  indented\n       |\n');
    assert.equal(m.description, 'line one\nline two\n  indented\n');
  });

  it('1.1: Supported-Platform, Download-URL, Classifier, and Requires/Provides kept as other fields', () => {
    const m = parseCoreMetadata(
      [
        'Metadata-Version: 1.1',
        'Name: p',
        'Version: 1.0',
        'Supported-Platform: RedHat 7.2',
        'Download-URL: http://example.com/p-1.0.tar.gz',
        'Classifier: Programming Language :: Python',
        'Classifier: License :: OSI Approved :: MIT License',
        'Requires: re',
        'Provides: p',
        'Obsoletes: q',
      ].join('\n'),
    );
    assert.deepEqual(m.supportedPlatforms, ['RedHat 7.2']);
    assert.equal(m.downloadUrl, 'http://example.com/p-1.0.tar.gz');
    assert.equal(m.classifiers.length, 2);
    assert.deepEqual(m.otherFields, [
      ['Requires', 're'],
      ['Provides', 'p'],
      ['Obsoletes', 'q'],
    ]);
    assert.deepEqual(validateCoreMetadata(m), []);
  });

  it('1.2: Maintainer, Requires-Dist, Requires-Python, Requires-External, Project-URL, Provides/Obsoletes-Dist', () => {
    const m = parseCoreMetadata(
      [
        'Metadata-Version: 1.2',
        'Name: p',
        'Version: 2.0',
        'Maintainer: M',
        'Maintainer-email: m@example.com',
        'Requires-Dist: requests (>=2.0)',
        'Requires-Dist: pywin32; sys_platform == "win32"',
        'Requires-Python: >=3.8, <4',
        'Requires-External: libpq',
        'Project-URL: Source, https://example.com/src',
        'Provides-Dist: p',
        'Obsoletes-Dist: oldp (<1.0)',
      ].join('\n'),
    );
    assert.equal(m.maintainer, 'M');
    assert.equal(m.maintainerEmail, 'm@example.com');
    assert.deepEqual(m.requiresDist, ['requests (>=2.0)', 'pywin32; sys_platform == "win32"']);
    assert.equal(m.requiresPython, '>=3.8, <4');
    assert.deepEqual(m.requiresExternal, ['libpq']);
    assert.deepEqual(m.projectUrls, ['Source, https://example.com/src']);
    assert.deepEqual(m.providesDist, ['p']);
    assert.deepEqual(m.obsoletesDist, ['oldp (<1.0)']);
    assert.deepEqual(validateCoreMetadata(m), []);
  });

  it('2.1: Description-Content-Type, Provides-Extra and the description as body', () => {
    const m = parseCoreMetadata(
      'Metadata-Version: 2.1\nName: p\nVersion: 1\nDescription-Content-Type: text/markdown; charset=UTF-8\nProvides-Extra: test\n\n# Title\n\nBody text.\n',
    );
    assert.equal(m.descriptionContentType, 'text/markdown; charset=UTF-8');
    assert.deepEqual(m.providesExtra, ['test']);
    assert.equal(m.description, '# Title\n\nBody text.\n');
    assert.deepEqual(validateCoreMetadata(m), []);
  });

  it('2.2: Dynamic', () => {
    const m = parseCoreMetadata('Metadata-Version: 2.2\nName: p\nVersion: 1\nDynamic: Requires-Dist\nDynamic: license\n');
    assert.deepEqual(m.dynamic, ['Requires-Dist', 'license']);
    assert.deepEqual(validateCoreMetadata(m), []);
  });

  it('2.3: same fields as 2.2', () => {
    const m = parseCoreMetadata('Metadata-Version: 2.3\nName: p\nVersion: 1\nProvides-Extra: dev\nRequires-Dist: x; extra == "dev"\n');
    assert.deepEqual(validateCoreMetadata(m), []);
  });

  it('2.4: License-Expression and License-File', () => {
    const m = parseCoreMetadata('Metadata-Version: 2.4\nName: p\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense-File: LICENSE\nLicense-File: licenses/NOTICE\n');
    assert.equal(m.licenseExpression, 'MIT OR Apache-2.0');
    assert.deepEqual(m.licenseFiles, ['LICENSE', 'licenses/NOTICE']);
    assert.deepEqual(validateCoreMetadata(m), []);
  });

  it('2.0 (written by old bdist_wheel) is read like 2.1', () => {
    const m = parseCoreMetadata('Metadata-Version: 2.0\nName: p\nVersion: 1\nProvides-Extra: x\n\nbody');
    assert.equal(m.description, 'body');
    assert.deepEqual(validateCoreMetadata(m), []);
  });

  it('a later 2.x minor is read, and validate reports it as unknown', () => {
    const m = parseCoreMetadata('Metadata-Version: 2.9\nName: p\nVersion: 1\nFuture-Field: x\n');
    assert.deepEqual(m.otherFields, [['Future-Field', 'x']]);
    assert.match(validateCoreMetadata(m).join('\n'), /not a known version/);
  });
});

describe('parseCoreMetadata syntax', () => {
  it('header names are case-insensitive', () => {
    const m = parseCoreMetadata('METADATA-VERSION: 2.1\nname: p\nversion: 1\nrequires-dist: a\nREQUIRES-DIST: b\nhome-page: h\n');
    assert.equal(m.name, 'p');
    assert.deepEqual(m.requiresDist, ['a', 'b']);
    assert.equal(m.homePage, 'h');
  });

  it('CRLF, lone CR and a BOM are accepted', () => {
    const m = parseCoreMetadata('\ufeffMetadata-Version: 2.1\r\nName: p\r\nVersion: 1\rSummary: s\r\n\r\nline1\r\nline2\r\n');
    assert.equal(m.metadataVersion, '2.1');
    assert.equal(m.summary, 's');
    assert.equal(m.description, 'line1\nline2\n');
  });

  it('keeps non-ASCII text', () => {
    const m = parseCoreMetadata('Metadata-Version: 2.1\nName: p\nVersion: 1\nAuthor: Łukasz Żółć 😀\n\nÜber\n');
    assert.equal(m.author, 'Łukasz Żółć 😀');
    assert.equal(m.description, 'Über\n');
  });

  it('continuation lines of any field are joined with newlines', () => {
    const m = parseCoreMetadata('Metadata-Version: 2.1\nName: p\nVersion: 1\nLicense: Copyright X\n        \n        Permission is hereby granted\n\tto anyone\nSummary: s\n');
    assert.equal(m.license, 'Copyright X\n\nPermission is hereby granted\nto anyone');
    assert.equal(m.summary, 's');
  });

  it('trims whitespace around values but keeps inner spacing', () => {
    const m = parseCoreMetadata('Metadata-Version:   2.1  \nName:\tp \nVersion: 1\nSummary:  two  spaces  \n');
    assert.equal(m.metadataVersion, '2.1');
    assert.equal(m.name, 'p');
    assert.equal(m.summary, 'two  spaces');
  });

  it('a value may contain colons', () => {
    const m = parseCoreMetadata('Metadata-Version: 2.1\nName: p\nVersion: 1\nProject-URL: Homepage, https://example.com:8080/x\n');
    assert.deepEqual(m.projectUrls, ['Homepage, https://example.com:8080/x']);
  });

  it('a Description header wins over a body; the body is kept and validate flags the conflict', () => {
    const m = parseCoreMetadata('Metadata-Version: 2.1\nName: p\nVersion: 1\nDescription: from header\n\nfrom body\n');
    assert.equal(m.description, 'from header');
    assert.deepEqual(m.otherFields, [['Description', 'from body\n']]);
    assert.match(validateCoreMetadata(m).join('\n'), /Description is given more than once/);
    assert.deepEqual(parseCoreMetadata(renderCoreMetadata(m)), m);
  });

  it('the body is the description in a 1.x document too, when there is no header', () => {
    assert.equal(parseCoreMetadata('Metadata-Version: 1.2\nName: p\nVersion: 1\n\nbody').description, 'body');
  });

  it('a repeated single-use field keeps the first and validate reports it', () => {
    const m = parseCoreMetadata('Metadata-Version: 2.1\nName: p\nVersion: 1\nSummary: first\nSummary: second\n');
    assert.equal(m.summary, 'first');
    assert.deepEqual(m.otherFields, [['Summary', 'second']]);
    assert.match(validateCoreMetadata(m).join('\n'), /field 'Summary' appears more than once/);
  });

  it('a line that is not a header starts the body, like the email parser', () => {
    const m = parseCoreMetadata('Metadata-Version: 2.1\nName: p\nVersion: 1\nnot a header\nSummary: s\n');
    assert.equal(m.summary, null);
    assert.equal(m.description, 'not a header\nSummary: s\n');
  });

  it('an empty body leaves the description null', () => {
    assert.equal(parseCoreMetadata('Metadata-Version: 2.1\nName: p\nVersion: 1\n\n').description, null);
  });
});

describe('parseCoreMetadata refuses', () => {
  const cases: [string, string, RegExp][] = [
    ['no Metadata-Version', 'Name: p\nVersion: 1\n', /no Metadata-Version/],
    ['no Name', 'Metadata-Version: 2.1\nVersion: 1\n', /no Name/],
    ['no Version', 'Metadata-Version: 2.1\nName: p\n', /no Version/],
    ['an empty Name', 'Metadata-Version: 2.1\nName:\nVersion: 1\n', /no Name/],
    ['Name only in the body', 'Metadata-Version: 2.1\nVersion: 1\n\nName: p\n', /no Name/],
    ['Metadata-Version 3.0', 'Metadata-Version: 3.0\nName: p\nVersion: 1\n', /3\.0 is not supported/],
    ['Metadata-Version 0.9', 'Metadata-Version: 0.9\nName: p\nVersion: 1\n', /not supported/],
    ['a garbage Metadata-Version', 'Metadata-Version: two\nName: p\nVersion: 1\n', /not a version/],
    ['a NUL byte', 'Metadata-Version: 2.1\nName: p\0\nVersion: 1\n', /NUL/],
    ['an empty document', '', /no Metadata-Version/],
    ['binary garbage', '\x89PNG\r\n\x1a\n\x01\x02', /no Metadata-Version/],
  ];
  for (const [what, text, pattern] of cases) {
    it(what, () => expectInvalid(() => parseCoreMetadata(text), pattern));
  }

  it('a field over the limit, naming the field and both sizes', () => {
    const text = `Metadata-Version: 2.1\nName: p\nVersion: 1\nSummary: ${'x'.repeat(70000)}\n`;
    expectInvalid(() => parseCoreMetadata(text), /^field 'Summary' is 70000 bytes; the limit is 65536$/);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const text = `Metadata-Version: 2.1\nName: p\nVersion: 1\nAuthor: ${'é'.repeat(40000)}\n`;
    expectInvalid(() => parseCoreMetadata(text), /field 'Author' is 80000 bytes/);
  });

  it('a long multi-line field counts its continuation lines', () => {
    const text = `Metadata-Version: 2.1\nName: p\nVersion: 1\nLicense: a\n${'        line of licence text\n'.repeat(5000)}`;
    expectInvalid(() => parseCoreMetadata(text), /field 'License' is \d+ bytes; the limit is 65536/);
  });

  it('a description body over its own limit', () => {
    const text = `Metadata-Version: 2.1\nName: p\nVersion: 1\n\n${'d'.repeat(2000)}`;
    expectInvalid(() => parseCoreMetadata(text, { maxDescriptionBytes: 1000 }), /description is 2000 bytes; the limit is 1000/);
  });

  it('a large description is fine under the default limits (the field limit does not apply)', () => {
    const text = `Metadata-Version: 2.1\nName: p\nVersion: 1\n\n${'d'.repeat(1024 * 1024)}`;
    assert.equal(parseCoreMetadata(text).description?.length, 1024 * 1024);
  });

  it('too many fields', () => {
    const text = `Metadata-Version: 2.1\nName: p\nVersion: 1\n${'Classifier: x\n'.repeat(3000)}`;
    expectInvalid(() => parseCoreMetadata(text), /more than 2000 fields/);
    assert.equal(parseCoreMetadata(text, { maxFields: 5000 }).classifiers.length, 3000);
  });

  it('a whole document over the total limit', () => {
    const text = `Metadata-Version: 2.1\nName: p\nVersion: 1\n\n${'d'.repeat(3000)}`;
    expectInvalid(() => parseCoreMetadata(text, { maxTotalBytes: 2000 }), /metadata is \d+ bytes; the limit is 2000/);
  });

  it('stays fast on a hostile document of many tiny continuation lines', () => {
    const text = `Metadata-Version: 2.1\nName: p\nVersion: 1\nDescription: x\n${' \n'.repeat(1_000_000)}`;
    const started = process.hrtime.bigint();
    parseCoreMetadata(text);
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 5000);
  });
});

function base(overrides: Partial<CoreMetadata> = {}): CoreMetadata {
  return {
    ...parseCoreMetadata('Metadata-Version: 2.4\nName: sample\nVersion: 1.0\n'),
    ...overrides,
  };
}

describe('validateCoreMetadata', () => {
  const cases: [string, Partial<CoreMetadata>, RegExp][] = [
    ['an invalid name', { name: '-bad name-' }, /Name '-bad name-' is not a valid project name/],
    ['an invalid version', { version: 'one.two' }, /Version 'one.two' is not a valid PEP 440 version/],
    ['a bad Requires-Python', { requiresPython: '>=3.8,, foo' }, /Requires-Python is invalid/],
    ['a Requires-Python with a wildcard on >=', { requiresPython: '>=3.*' }, /Requires-Python is invalid/],
    ['Dynamic naming Name', { dynamic: ['Name'] }, /Dynamic names 'Name', which can never be dynamic/],
    ['Dynamic naming Version', { dynamic: ['version'] }, /can never be dynamic/],
    ['Dynamic naming Metadata-Version', { dynamic: ['Metadata-Version'] }, /can never be dynamic/],
    ['Dynamic naming an unknown field', { dynamic: ['Colour'] }, /not a core metadata field/],
    ['Dynamic in a 2.1 document', { metadataVersion: '2.1', dynamic: ['Summary'] }, /'Dynamic' needs Metadata-Version 2.2 or later, but the document declares 2.1/],
    ['License-Expression in a 2.3 document', { metadataVersion: '2.3', licenseExpression: 'MIT' }, /'License-Expression' needs Metadata-Version 2.4/],
    ['Provides-Extra in a 1.2 document', { metadataVersion: '1.2', providesExtra: ['x'] }, /'Provides-Extra' needs Metadata-Version 2.1/],
    ['Requires-Dist in a 1.1 document', { metadataVersion: '1.1', requiresDist: ['x'] }, /'Requires-Dist' needs Metadata-Version 1.2/],
    ['Classifier in a 1.0 document', { metadataVersion: '1.0', classifiers: ['x'] }, /'Classifier' needs Metadata-Version 1.1/],
    ['a multi-line Summary', { summary: 'a\nb' }, /Summary spans several lines/],
    ['an unknown Description-Content-Type', { descriptionContentType: 'text/html' }, /Description-Content-Type 'text\/html'/],
    ['an invalid extra', { providesExtra: ['not valid!'] }, /Provides-Extra 'not valid!' is not a valid extra name/],
  ];
  for (const [what, overrides, pattern] of cases) {
    it(`reports ${what}`, () => {
      assert.match(validateCoreMetadata(base(overrides)).join('\n'), pattern);
    });
  }

  it('accepts a good document', () => {
    assert.deepEqual(
      validateCoreMetadata(base({ requiresPython: '>=3.9, !=3.10.*', dynamic: ['Requires-Dist'], providesExtra: ['dev'], descriptionContentType: 'text/x-rst' })),
      [],
    );
  });

  it('accepts License-File in a 2.1 document (setuptools wrote it there before 2.4)', () => {
    assert.deepEqual(validateCoreMetadata(base({ metadataVersion: '2.1', licenseFiles: ['LICENSE'] })), []);
  });
});

describe('renderCoreMetadata', () => {
  const full: CoreMetadata = {
    metadataVersion: '2.4',
    name: 'full-example',
    version: '1.2.3rc1',
    dynamic: ['Requires-Dist'],
    platforms: ['any'],
    supportedPlatforms: ['linux-x86_64'],
    summary: 'A package with every field',
    description: '# Full\n\nIt has *everything*.\n\n    indented code\n',
    descriptionContentType: 'text/markdown',
    keywords: 'full,example',
    homePage: 'https://example.com',
    downloadUrl: 'https://example.com/dl',
    author: 'Ann',
    authorEmail: 'ann@example.com',
    maintainer: 'Bob',
    maintainerEmail: 'bob@example.com',
    license: 'Line one\n\n  Line three, indented',
    licenseExpression: 'MIT',
    licenseFiles: ['LICENSE'],
    classifiers: ['Programming Language :: Python :: 3'],
    requiresDist: ['requests>=2', 'tomli; python_version < "3.11"'],
    requiresPython: '>=3.9',
    requiresExternal: ['libfoo'],
    projectUrls: ['Source, https://example.com/src'],
    providesExtra: ['dev'],
    providesDist: ['full-example'],
    obsoletesDist: ['old-example'],
    otherFields: [['Import-Name', 'full_example']],
  };

  it('round-trips every field for 2.4 with the description as body', () => {
    const text = renderCoreMetadata(full);
    assert.ok(text.startsWith('Metadata-Version: 2.4\nName: full-example\nVersion: 1.2.3rc1\n'));
    assert.ok(text.endsWith('\n\n# Full\n\nIt has *everything*.\n\n    indented code\n'));
    assert.ok(!/^Description:/m.test(text));
    assert.deepEqual(parseCoreMetadata(text), full);
  });

  it('writes the description as an indented header for 1.x and round-trips', () => {
    const old: CoreMetadata = { ...full, metadataVersion: '1.2', descriptionContentType: null, dynamic: [], providesExtra: [], licenseExpression: null, licenseFiles: [] };
    const text = renderCoreMetadata(old);
    assert.match(text, /^Description: # Full\n {8}\n {8}It has \*everything\*\.\n/m);
    assert.ok(!text.includes('\n\n'), 'no body in a 1.x document');
    assert.deepEqual(parseCoreMetadata(text), old);
  });

  it('round-trips a hostile description that looks like headers', () => {
    const m = { ...full, description: 'Name: evil\nMetadata-Version: 9.9\n\n\nSummary: x' };
    assert.deepEqual(parseCoreMetadata(renderCoreMetadata(m)), m);
    const old = { ...m, metadataVersion: '1.0' };
    assert.deepEqual(parseCoreMetadata(renderCoreMetadata(old)), old);
  });

  it('a multi-line value cannot smuggle a header in', () => {
    const m = { ...full, summary: 'innocent\nRequires-Dist: evil' };
    const parsed = parseCoreMetadata(renderCoreMetadata(m));
    assert.deepEqual(parsed.requiresDist, full.requiresDist);
    assert.equal(parsed.summary, 'innocent\nRequires-Dist: evil');
  });

  it('produces a document that validates', () => {
    assert.deepEqual(validateCoreMetadata(parseCoreMetadata(renderCoreMetadata(full))), []);
  });
});

describe('parseCoreMetadataBytes', () => {
  it('decodes UTF-8 and drops a BOM', () => {
    const bytes = Buffer.from('\ufeffMetadata-Version: 2.1\nName: p\nVersion: 1\nAuthor: Zoë\n', 'utf8');
    const m = parseCoreMetadataBytes(bytes);
    assert.equal(m.metadataVersion, '2.1');
    assert.equal(m.author, 'Zoë');
  });

  it('refuses bytes that are not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('Metadata-Version: 2.1\nName: p\nVersion: 1\nAuthor: '), Buffer.from([0xff, 0xfe, 0x41])]);
    expectInvalid(() => parseCoreMetadataBytes(bytes), /not valid UTF-8/);
  });

  it('checks the total size before decoding', () => {
    expectInvalid(() => parseCoreMetadataBytes(new Uint8Array(3000), { maxTotalBytes: 1000 }), /3000 bytes; the limit is 1000/);
  });
});

describe('coreMetadataJson', () => {
  it('writes every field as PEP 566 does: lower-case keys with _, lists for multiple-use fields, keywords split on commas', () => {
    const m = parseCoreMetadata('Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nSummary: A demo\nKeywords: web, http,api\nClassifier: A :: B\nClassifier: C :: D\nRequires-Dist: idna>=3\nProject-URL: Home, https://x.test\nAuthor-email: a@x.test\n\nThe description.\n');
    assert.deepEqual(coreMetadataJson(m), {
      metadata_version: '2.1',
      name: 'demo',
      version: '1.0',
      summary: 'A demo',
      description: 'The description.\n',
      keywords: ['web', 'http', 'api'],
      author_email: 'a@x.test',
      classifier: ['A :: B', 'C :: D'],
      requires_dist: ['idna>=3'],
      project_url: ['Home, https://x.test'],
    });
  });
});
