import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { isPavedError } from '../../../src/errors.js';
import { parseCoreMetadata, type CoreMetadata } from '../../../src/standards/coreMetadata.js';
import { DEFAULT_POLICY, type LicensePolicy } from '../../../src/index/policy/policy.js';
import {
  canonicalLicenseId,
  licenseIdOfClassifier,
  licenseIdOfFreeText,
  licenseOf,
  licenseVerdict,
  parseLicenseExpression,
  parseLicensePattern,
  renderLicenseExpression,
} from '../../../src/index/policy/spdx.js';
import { PYPI_SUBSET, readWheelMetadata } from '../../fixtures/corpus.js';

function metadata(fields: Partial<CoreMetadata>): CoreMetadata {
  return { ...parseCoreMetadata('Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n'), ...fields };
}

function licensePolicy(fields: Partial<LicensePolicy>): LicensePolicy {
  return { ...DEFAULT_POLICY.licenses, enabled: true, ...fields };
}


describe('parseLicenseExpression', () => {
  const cases: [string, string][] = [
    ['MIT', 'MIT'],
    ['mit', 'MIT'],
    ['Apache-2.0 OR MIT', 'Apache-2.0 OR MIT'],
    ['apache-2.0 or mit', 'Apache-2.0 OR MIT'],
    ['(GPL-2.0-only WITH Classpath-exception-2.0) AND BSD-3-Clause', 'GPL-2.0-only WITH Classpath-exception-2.0 AND BSD-3-Clause'],
    ['MIT AND (Apache-2.0 OR BSD-2-Clause)', 'MIT AND (Apache-2.0 OR BSD-2-Clause)'],
    ['MIT OR Apache-2.0 AND BSD-3-Clause', 'MIT OR (Apache-2.0 AND BSD-3-Clause)'],
    ['GPL-2.0+', 'GPL-2.0-or-later'],
    ['GPL-3.0', 'GPL-3.0-only'],
    ['LGPL-2.1+ OR MIT', 'LGPL-2.1-or-later OR MIT'],
    ['LicenseRef-Acme-Internal', 'LicenseRef-Acme-Internal'],
    ['DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2', 'DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2'],
    ['  ( ( MIT ) )  ', 'MIT'],
  ];
  for (const [input, rendered] of cases) {
    it(`reads ${JSON.stringify(input)}`, () => {
      assert.equal(renderLicenseExpression(parseLicenseExpression(input)), rendered);
    });
  }

  it('binds AND tighter than OR', () => {
    assert.deepEqual(parseLicenseExpression('MIT OR Apache-2.0 AND BSD-3-Clause'), {
      kind: 'or',
      terms: [
        { kind: 'license', id: 'MIT', exception: null },
        {
          kind: 'and',
          terms: [
            { kind: 'license', id: 'Apache-2.0', exception: null },
            { kind: 'license', id: 'BSD-3-Clause', exception: null },
          ],
        },
      ],
    });
  });

  const bad = ['', '   ', 'MIT OR', 'AND MIT', '(MIT', 'MIT)', 'MIT Apache-2.0', 'Apache 2.0', 'MIT WITH', 'MIT WITH (X)', 'M!T', 'MIT OR OR BSD', '()', `${'('.repeat(40)}MIT${')'.repeat(40)}`, 'MIT OR '.repeat(500) + 'MIT'];
  for (const input of bad) {
    it(`refuses ${JSON.stringify(input.slice(0, 40))}`, () => {
      assert.throws(() => parseLicenseExpression(input), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_LICENSE_EXPRESSION'));
    });
  }
});

describe('licence names to SPDX ids', () => {
  const classifiers: [string, string | null][] = [
    ['License :: OSI Approved :: MIT License', 'MIT'],
    ['License :: OSI Approved :: Apache Software License', 'Apache-2.0'],
    ['License :: OSI Approved :: BSD License', 'BSD-3-Clause'],
    ['License :: OSI Approved :: GNU General Public License v3 (GPLv3)', 'GPL-3.0-only'],
    ['License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)', 'GPL-2.0-or-later'],
    ['License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)', 'LGPL-3.0-or-later'],
    ['License :: OSI Approved :: GNU Affero General Public License v3', 'AGPL-3.0-only'],
    ['License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)', 'MPL-2.0'],
    ['License :: OSI Approved :: ISC License (ISCL)', 'ISC'],
    ['License :: OSI Approved :: Python Software Foundation License', 'PSF-2.0'],
    ['License :: OSI Approved :: The Unlicense (Unlicense)', 'Unlicense'],
    ['License :: OSI Approved :: zlib/libpng License', 'Zlib'],
    ['License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication', 'CC0-1.0'],
    ['License :: Public Domain', 'LicenseRef-Public-Domain'],
    ['License :: Other/Proprietary License', 'LicenseRef-Proprietary'],
    ['License  ::  OSI Approved :: MIT License ', 'MIT'],
    ['License :: OSI Approved', null],
    ['Programming Language :: Python :: 3', null],
  ];
  for (const [classifier, id] of classifiers) {
    it(`classifier ${classifier} → ${id}`, () => assert.equal(licenseIdOfClassifier(classifier), id));
  }

  const freeText: [string, string | null][] = [
    ['MIT', 'MIT'],
    ['MIT License', 'MIT'],
    ['The MIT License', 'MIT'],
    ['BSD', 'BSD-3-Clause'],
    ['new BSD license', 'BSD-3-Clause'],
    ['Simplified BSD', 'BSD-2-Clause'],
    ['Apache 2.0', 'Apache-2.0'],
    ['Apache License, Version 2.0', 'Apache-2.0'],
    ['Apache Software License', 'Apache-2.0'],
    ['GPLv3+', 'GPL-3.0-or-later'],
    ['GPLv2', 'GPL-2.0-only'],
    ['LGPL', 'LGPL-2.0-or-later'],
    ['MPL 2.0', 'MPL-2.0'],
    ['Public Domain', 'LicenseRef-Public-Domain'],
    ['PSF', 'PSF-2.0'],
    ['see LICENSE file', null],
    ['x'.repeat(500), null],
  ];
  for (const [text, id] of freeText) {
    it(`License: ${JSON.stringify(text.slice(0, 30))} → ${id}`, () => assert.equal(licenseIdOfFreeText(text), id));
  }

  it('folds deprecated GNU ids', () => {
    assert.equal(canonicalLicenseId('GPL-2.0'), 'GPL-2.0-only');
    assert.equal(canonicalLicenseId('gpl-2.0+'), 'GPL-2.0-or-later');
    assert.equal(canonicalLicenseId('LGPL-3.0'), 'LGPL-3.0-only');
    assert.equal(canonicalLicenseId('apache-2.0'), 'Apache-2.0');
    assert.equal(canonicalLicenseId('Some-Unknown-1.0'), 'Some-Unknown-1.0');
  });
});

describe('licenseOf', () => {
  const cases: [string, Partial<CoreMetadata>, { expression: string | null; ids: string[]; source: string }][] = [
    ['License-Expression wins', { licenseExpression: 'Apache-2.0 OR MIT', license: 'GPL', classifiers: ['License :: OSI Approved :: GNU General Public License (GPL)'] }, { expression: 'Apache-2.0 OR MIT', ids: ['Apache-2.0', 'MIT'], source: 'License-Expression' }],
    ['an invalid License-Expression falls back', { licenseExpression: 'MIT OR', classifiers: ['License :: OSI Approved :: MIT License'] }, { expression: 'MIT', ids: ['MIT'], source: 'classifier' }],
    ['License field holding an SPDX expression', { license: 'BSD-3-Clause', classifiers: ['License :: OSI Approved :: BSD License'] }, { expression: 'BSD-3-Clause', ids: ['BSD-3-Clause'], source: 'License' }],
    ['classifiers over free text', { license: 'BSD', classifiers: ['License :: OSI Approved :: BSD License'] }, { expression: 'BSD-3-Clause', ids: ['BSD-3-Clause'], source: 'classifier' }],
    ['several classifiers are a choice', { classifiers: ['License :: OSI Approved :: Apache Software License', 'License :: OSI Approved :: BSD License'] }, { expression: 'Apache-2.0 OR BSD-3-Clause', ids: ['Apache-2.0', 'BSD-3-Clause'], source: 'classifier' }],
    ['free-text License', { license: 'Apache 2.0' }, { expression: 'Apache-2.0', ids: ['Apache-2.0'], source: 'License' }],
    ['pasted MIT text', { license: 'Copyright (c) 2020 Someone\n\nPermission is hereby granted, free of charge, to any person' }, { expression: 'MIT', ids: ['MIT'], source: 'License' }],
    ['unrecognised', { license: 'see LICENSE.txt' }, { expression: null, ids: [], source: 'none' }],
    ['nothing at all', {}, { expression: null, ids: [], source: 'none' }],
  ];
  for (const [name, fields, expected] of cases) {
    it(name, () => assert.deepEqual(licenseOf(metadata(fields)), expected));
  }
});

describe('licenseVerdict', () => {
  const permissive = licensePolicy({ allow: ['MIT', 'BSD-*', 'Apache-2.0', 'ISC'], deny: [], action: 'quarantine' });
  const noCopyleft = licensePolicy({ allow: [], deny: ['GPL-*', 'AGPL-*'], action: 'block' });
  const cases: [string, LicensePolicy, string | null, string, string[]][] = [
    ['an allowed id', permissive, 'MIT', 'allow', []],
    ['a prefix pattern', permissive, 'BSD-2-Clause', 'allow', []],
    ['an id outside the allow list', permissive, 'MPL-2.0', 'quarantine', ['MPL-2.0']],
    ['OR: one acceptable branch is enough', permissive, 'GPL-3.0-only OR MIT', 'allow', []],
    ['AND: every part must be acceptable', permissive, 'GPL-3.0-only AND MIT', 'quarantine', ['GPL-3.0-only']],
    ['AND of acceptable parts', permissive, 'MIT AND (ISC OR GPL-3.0-only)', 'allow', []],
    ['deny beats an empty allow list', noCopyleft, 'GPL-2.0-or-later', 'block', ['GPL-2.0-or-later']],
    ['deny does not touch other ids', noCopyleft, 'LGPL-3.0-only', 'allow', []],
    ['deny matches the id under an exception', noCopyleft, 'GPL-2.0-only WITH Classpath-exception-2.0', 'block', ['GPL-2.0-only WITH Classpath-exception-2.0']],
    ['LicenseRef is not matched by a broad allow', permissive, 'LicenseRef-Proprietary', 'quarantine', ['LicenseRef-Proprietary']],
    ['unknown licence gets policy.unknown', licensePolicy({ unknown: 'quarantine' }), null, 'quarantine', []],
  ];
  for (const [name, policy, expression, action, rejected] of cases) {
    it(name, () => {
      const decision = licenseVerdict(policy, { expression, ids: [], source: expression === null ? 'none' : 'License-Expression' });
      assert.equal(decision.action, action);
      assert.deepEqual(decision.rejected, rejected);
    });
  }

  it('an exact `id WITH exception` allow entry admits it while the bare id stays denied', () => {
    const policy = licensePolicy({ allow: ['GPL-2.0-only WITH Classpath-exception-2.0', 'MIT'], deny: ['GPL-*'] });
    assert.equal(licenseVerdict(policy, { expression: 'GPL-2.0-only WITH Classpath-exception-2.0', ids: [], source: 'License-Expression' }).action, 'allow');
    assert.equal(licenseVerdict(policy, { expression: 'GPL-2.0-only', ids: [], source: 'License-Expression' }).action, 'quarantine');
  });
});

describe('parseLicensePattern', () => {
  const good: [string, string][] = [
    ['MIT', 'MIT'],
    ['apache-2.0', 'Apache-2.0'],
    ['GPL-2.0+', 'GPL-2.0-or-later'],
    ['GPL-*', 'GPL-*'],
    ['LicenseRef-Acme', 'LicenseRef-Acme'],
    ['GPL-2.0-only WITH Classpath-exception-2.0', 'GPL-2.0-only WITH Classpath-exception-2.0'],
  ];
  for (const [input, output] of good) it(`accepts ${input}`, () => assert.equal(parseLicensePattern(input), output));

  const bad: [string, RegExp][] = [
    ['Apache 2.0', /Did you mean "Apache-2.0"/],
    ['BSD', /Did you mean "BSD-3-Clause"/],
    ['GPLv3', /Did you mean "GPL-3.0-only"/],
    ['MIT OR Apache-2.0', /expression/],
    ['*', /SPDX/],
    ['', /SPDX/],
  ];
  for (const [input, hint] of bad) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(() => parseLicensePattern(input), (error: unknown) => {
        assert.ok(isPavedError(error, 'PAVED_E_INVALID_LICENSE_EXPRESSION'));
        assert.match(`${error.message} ${error.hint ?? ''}`, hint);
        return true;
      });
    });
  }
});

describe('licences of the corpus wheels', () => {
  const wheels = readdirSync(PYPI_SUBSET).filter((f) => f.endsWith('.whl')).sort();
  const expected: Record<string, { expression: string; source: string }> = {
    packaging: { expression: 'Apache-2.0 OR BSD-2-Clause', source: 'License-Expression' },
    certifi: { expression: 'MPL-2.0', source: 'License' },
    requests: { expression: 'Apache-2.0', source: 'License' },
    jinja2: { expression: 'BSD-3-Clause', source: 'classifier' },
    automat: { expression: 'MIT', source: 'classifier' },
    pathspec: { expression: 'MPL-2.0', source: 'classifier' },
    twisted: { expression: 'MIT', source: 'License' },
    typing_extensions: { expression: 'PSF-2.0', source: 'License-Expression' },
  };

  it('determines the licence of every wheel, classifier-only ones included', async () => {
    assert.ok(wheels.length >= 40, `expected the corpus wheels in ${PYPI_SUBSET}`);
    const seen: Record<string, { expression: string | null; source: string }> = {};
    for (const wheel of wheels) {
      const info = licenseOf(parseCoreMetadata(await readWheelMetadata(`${PYPI_SUBSET}/${wheel}`)));
      seen[wheel.split('-')[0] as string] = { expression: info.expression, source: info.source };
      assert.notEqual(info.source, 'none', `${wheel}: no licence found`);
    }
    for (const [name, want] of Object.entries(expected)) assert.deepEqual(seen[name], want, name);
    assert.ok(Object.values(seen).some((s) => s.source === 'classifier'), 'some wheels only have classifiers');
  });

  it('a permissive-only policy accepts them all, and a no-MPL policy holds exactly the MPL ones', async () => {
    const permissive = licensePolicy({ allow: ['MIT', 'BSD-*', 'Apache-2.0', 'PSF-2.0', 'ZPL-2.1', 'MPL-2.0'] });
    const noMpl = licensePolicy({ deny: ['MPL-*'] });
    const held: string[] = [];
    for (const wheel of wheels) {
      const info = licenseOf(parseCoreMetadata(await readWheelMetadata(`${PYPI_SUBSET}/${wheel}`)));
      assert.equal(licenseVerdict(permissive, info).action, 'allow', wheel);
      if (licenseVerdict(noMpl, info).action !== 'allow') held.push(wheel.split('-')[0] as string);
    }
    assert.deepEqual(held, ['certifi', 'pathspec']);
  });
});
