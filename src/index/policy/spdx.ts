/**
 * Licences for the licence rule: SPDX license expressions (PEP 639 `License-Expression`),
 * the Trove `License ::` classifiers and the common free-text values of the old `License`
 * field, all brought to SPDX ids so one policy list (`allow = ["MIT", "BSD-*"]`) judges them.
 *
 * Deprecated ids are folded into their current spelling (`GPL-2.0` → `GPL-2.0-only`,
 * `GPL-2.0+` → `GPL-2.0-or-later`) so a policy never has to name both.
 */
import { PavedError } from '../../errors.js';
import type { CoreMetadata } from '../../standards/coreMetadata.js';
import type { LicensePolicy, VerdictAction } from './policy.js';

/** A parsed SPDX license expression. */
export type LicenseExpression =
  | { kind: 'license'; id: string; exception: string | null }
  | { kind: 'and' | 'or'; terms: LicenseExpression[] };

/** Where a distribution's licence was read from. */
export type LicenseSource = 'License-Expression' | 'classifier' | 'License' | 'none';

/** The licence of one distribution as far as its metadata tells. */
export interface LicenseInfo {
  /** Canonical SPDX expression, or null when the licence could not be determined. */
  expression: string | null;
  /** Every licence id in the expression (exceptions not included), in order, no repeats. */
  ids: string[];
  source: LicenseSource;
}

/** What the licence rule says about one licence. */
export interface LicenseDecision {
  action: VerdictAction;
  message: string;
  /** The ids that made the licence unacceptable (empty when accepted or unknown). */
  rejected: string[];
}

const MAX_EXPRESSION_LENGTH = 2000;
const MAX_EXPRESSION_DEPTH = 16;
const ID_PATTERN = /^[A-Za-z0-9.-]+$/;
const REF_PATTERN = /^(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$/;

// SPDX ids met in Python packages, to fix their case and to tell an id from free text.
const KNOWN_IDS = [
  '0BSD', 'AAL', 'AFL-1.1', 'AFL-1.2', 'AFL-2.0', 'AFL-2.1', 'AFL-3.0', 'AGPL-1.0-only', 'AGPL-1.0-or-later',
  'AGPL-3.0-only', 'AGPL-3.0-or-later', 'Aladdin', 'Apache-1.0', 'Apache-1.1', 'Apache-2.0', 'APSL-2.0',
  'Artistic-1.0', 'Artistic-2.0', 'Beerware', 'BlueOak-1.0.0', 'BSD-1-Clause', 'BSD-2-Clause',
  'BSD-2-Clause-Patent', 'BSD-3-Clause', 'BSD-3-Clause-Clear', 'BSD-3-Clause-LBNL', 'BSD-4-Clause', 'BSL-1.0',
  'bzip2-1.0.6', 'CC-BY-3.0', 'CC-BY-4.0', 'CC-BY-NC-4.0', 'CC-BY-NC-SA-4.0', 'CC-BY-SA-3.0', 'CC-BY-SA-4.0',
  'CC-PDDC', 'CC0-1.0', 'CDDL-1.0', 'CDDL-1.1', 'CECILL-2.1', 'CECILL-B', 'CECILL-C', 'CNRI-Python', 'CPL-1.0',
  'curl', 'ECL-2.0', 'EFL-2.0', 'EPL-1.0', 'EPL-2.0', 'EUPL-1.1', 'EUPL-1.2', 'FSFAP', 'FTL',
  'GFDL-1.3-only', 'GFDL-1.3-or-later', 'GPL-1.0-only', 'GPL-1.0-or-later', 'GPL-2.0-only', 'GPL-2.0-or-later',
  'GPL-3.0-only', 'GPL-3.0-or-later', 'HPND', 'IJG', 'Intel', 'IPL-1.0', 'ISC', 'LGPL-2.0-only',
  'LGPL-2.0-or-later', 'LGPL-2.1-only', 'LGPL-2.1-or-later', 'LGPL-3.0-only', 'LGPL-3.0-or-later', 'Libpng',
  'libpng-2.0', 'LPPL-1.3c', 'MirOS', 'MIT', 'MIT-0', 'MIT-CMU', 'Motosoto', 'MPL-1.0', 'MPL-1.1', 'MPL-2.0',
  'MPL-2.0-no-copyleft-exception', 'MS-PL', 'MS-RL', 'MulanPSL-2.0', 'NCSA', 'NGPL', 'Nokia', 'NPL-1.1', 'NTP',
  'ODbL-1.0', 'OFL-1.1', 'OGTSL', 'OLDAP-2.8', 'OpenSSL', 'OSL-3.0', 'PHP-3.01', 'PostgreSQL', 'PSF-2.0',
  'Python-2.0', 'Python-2.0.1', 'QPL-1.0', 'Qhull', 'RSCPL', 'Ruby', 'SISSL', 'Sleepycat', 'SMLNJ', 'SPL-1.0',
  'Unicode-3.0', 'Unicode-DFS-2016', 'Unlicense', 'UPL-1.0', 'Vim', 'VSL-1.0', 'W3C', 'WTFPL', 'X11', 'Xnet',
  'Zlib', 'ZPL-2.0', 'ZPL-2.1',
  // exceptions
  'Autoconf-exception-3.0', 'Bison-exception-2.2', 'Classpath-exception-2.0', 'Font-exception-2.0',
  'GCC-exception-3.1', 'GPL-3.0-linking-exception', 'Linux-syscall-note', 'LLVM-exception',
  'Qt-GPL-exception-1.0', 'Qt-LGPL-exception-1.1', 'Universal-FOSS-exception-1.0', 'WxWindows-exception-3.1',
];
const KNOWN_BY_LOWER = new Map(KNOWN_IDS.map((id) => [id.toLowerCase(), id]));

// Deprecated GNU ids and their current spelling (the `+` form is handled by appending -or-later).
const GNU_FAMILIES = ['GPL-1.0', 'GPL-2.0', 'GPL-3.0', 'LGPL-2.0', 'LGPL-2.1', 'LGPL-3.0', 'AGPL-1.0', 'AGPL-3.0', 'GFDL-1.3'];
const GNU_BY_LOWER = new Map(GNU_FAMILIES.map((id) => [id.toLowerCase(), id]));

/** The current spelling of an SPDX id: known case, deprecated GNU ids and `+` folded. Unknown ids are kept as written. */
export function canonicalLicenseId(id: string): string {
  const orLater = id.endsWith('+');
  const bare = orLater ? id.slice(0, -1) : id;
  const lower = bare.toLowerCase();
  const gnu = GNU_BY_LOWER.get(lower);
  if (gnu !== undefined) return `${gnu}-${orLater ? 'or-later' : 'only'}`;
  const known = KNOWN_BY_LOWER.get(lower);
  if (orLater) {
    // `GPL-2.0-only+` makes no sense but `X+` for a non-GNU id is valid SPDX: keep the plus.
    return `${known ?? bare}+`;
  }
  if (known !== undefined) return known;
  if (lower.startsWith('licenseref-')) return `LicenseRef-${bare.slice('licenseref-'.length)}`;
  return bare;
}

/** True when `id` is an SPDX id this module knows (after canonicalisation). */
export function isKnownLicenseId(id: string): boolean {
  const canonical = canonicalLicenseId(id);
  return KNOWN_BY_LOWER.has(canonical.toLowerCase()) || canonical.startsWith('LicenseRef-');
}

function invalidExpression(text: string, why: string): PavedError {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return new PavedError('PAVED_E_INVALID_LICENSE_EXPRESSION', `invalid SPDX license expression ${JSON.stringify(shown)}: ${why}`, {
    hint: 'Write SPDX ids joined by AND / OR, with WITH for exceptions and parentheses for grouping, e.g. "Apache-2.0 OR MIT".',
  });
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(\(|\)|[^\s()]+)/gy;
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = re.exec(text)) !== null) {
    tokens.push(match[1] as string);
    end = re.lastIndex;
  }
  if (text.slice(end).trim() !== '') throw invalidExpression(text, 'unexpected characters');
  return tokens;
}

function operatorOf(token: string | undefined): 'AND' | 'OR' | 'WITH' | null {
  if (token === 'AND' || token === 'and') return 'AND';
  if (token === 'OR' || token === 'or') return 'OR';
  if (token === 'WITH' || token === 'with') return 'WITH';
  return null;
}

function isLicenseIdToken(token: string): boolean {
  if (REF_PATTERN.test(token)) return true;
  const bare = token.endsWith('+') ? token.slice(0, -1) : token;
  return ID_PATTERN.test(bare);
}

/**
 * Parses an SPDX license expression (SPDX 2.3 annex D): ids, `id+`, `LicenseRef-…`,
 * `DocumentRef-…:LicenseRef-…`, `WITH` exceptions, `AND` binding tighter than `OR`, parentheses.
 * Operators are accepted in upper or lower case.
 * @throws PavedError PAVED_E_INVALID_LICENSE_EXPRESSION
 */
export function parseLicenseExpression(text: string): LicenseExpression {
  if (text.length > MAX_EXPRESSION_LENGTH) throw invalidExpression(text, `longer than ${MAX_EXPRESSION_LENGTH} characters`);
  const tokens = tokenize(text);
  if (tokens.length === 0) throw invalidExpression(text, 'it is empty');
  let pos = 0;

  const parseOr = (depth: number): LicenseExpression => {
    const terms = [parseAnd(depth)];
    while (operatorOf(tokens[pos]) === 'OR') {
      pos++;
      terms.push(parseAnd(depth));
    }
    return terms.length === 1 ? (terms[0] as LicenseExpression) : { kind: 'or', terms };
  };
  const parseAnd = (depth: number): LicenseExpression => {
    const terms = [parseWith(depth)];
    while (operatorOf(tokens[pos]) === 'AND') {
      pos++;
      terms.push(parseWith(depth));
    }
    return terms.length === 1 ? (terms[0] as LicenseExpression) : { kind: 'and', terms };
  };
  const parseWith = (depth: number): LicenseExpression => {
    const token = tokens[pos];
    if (token === undefined) throw invalidExpression(text, 'it ends where a licence id was expected');
    if (token === '(') {
      if (depth >= MAX_EXPRESSION_DEPTH) throw invalidExpression(text, `nested deeper than ${MAX_EXPRESSION_DEPTH} parentheses`);
      pos++;
      const inner = parseOr(depth + 1);
      if (tokens[pos] !== ')') throw invalidExpression(text, 'a "(" is not closed');
      pos++;
      return inner;
    }
    if (token === ')' || operatorOf(token) !== null) throw invalidExpression(text, `"${token}" where a licence id was expected`);
    if (!isLicenseIdToken(token)) throw invalidExpression(text, `"${token}" is not an SPDX id`);
    pos++;
    let exception: string | null = null;
    if (operatorOf(tokens[pos]) === 'WITH') {
      pos++;
      const exc = tokens[pos];
      if (exc === undefined || exc === '(' || exc === ')' || operatorOf(exc) !== null || !ID_PATTERN.test(exc)) {
        throw invalidExpression(text, 'WITH must be followed by an exception id');
      }
      pos++;
      exception = canonicalLicenseId(exc);
    }
    return { kind: 'license', id: canonicalLicenseId(token), exception };
  };

  const result = parseOr(0);
  if (pos < tokens.length) throw invalidExpression(text, `unexpected "${tokens[pos] as string}"`);
  return result;
}

/** Canonical text of an expression: `A OR (B AND C)`, every nested group in parentheses for the reader. */
export function renderLicenseExpression(expr: LicenseExpression): string {
  if (expr.kind === 'license') return expr.exception === null ? expr.id : `${expr.id} WITH ${expr.exception}`;
  const op = expr.kind === 'and' ? ' AND ' : ' OR ';
  return expr.terms
    .map((term) => (term.kind !== 'license' && term.kind !== expr.kind ? `(${renderLicenseExpression(term)})` : renderLicenseExpression(term)))
    .join(op);
}

/** Every licence id of an expression, in order, without repeats. */
export function licenseIds(expr: LicenseExpression): string[] {
  const out: string[] = [];
  const walk = (e: LicenseExpression): void => {
    if (e.kind === 'license') {
      if (!out.includes(e.id)) out.push(e.id);
    } else e.terms.forEach(walk);
  };
  walk(expr);
  return out;
}

// Trove classifiers after "License :: ", mapped to SPDX ids. Unversioned GNU licences mean
// "any version" by their own text, hence -or-later of the first version.
const CLASSIFIERS: Record<string, string> = {
  'OSI Approved :: Academic Free License (AFL)': 'AFL-3.0',
  'OSI Approved :: Apache Software License': 'Apache-2.0',
  'OSI Approved :: Apple Public Source License': 'APSL-2.0',
  'OSI Approved :: Artistic License': 'Artistic-2.0',
  'OSI Approved :: Attribution Assurance License': 'AAL',
  'OSI Approved :: Blue Oak Model License (BlueOak-1.0.0)': 'BlueOak-1.0.0',
  'OSI Approved :: Boost Software License 1.0 (BSL-1.0)': 'BSL-1.0',
  'OSI Approved :: BSD License': 'BSD-3-Clause',
  'OSI Approved :: CEA CNRS Inria Logiciel Libre License, version 2.1 (CeCILL-2.1)': 'CECILL-2.1',
  'OSI Approved :: Common Development and Distribution License 1.0 (CDDL-1.0)': 'CDDL-1.0',
  'OSI Approved :: Common Public License': 'CPL-1.0',
  'OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)': 'EPL-1.0',
  'OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)': 'EPL-2.0',
  'OSI Approved :: Educational Community License, Version 2.0 (ECL-2.0)': 'ECL-2.0',
  'OSI Approved :: Eiffel Forum License': 'EFL-2.0',
  'OSI Approved :: European Union Public Licence 1.1 (EUPL 1.1)': 'EUPL-1.1',
  'OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)': 'EUPL-1.2',
  'OSI Approved :: GNU Affero General Public License v3': 'AGPL-3.0-only',
  'OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)': 'AGPL-3.0-or-later',
  'OSI Approved :: GNU Free Documentation License (FDL)': 'GFDL-1.3-or-later',
  'OSI Approved :: GNU General Public License (GPL)': 'GPL-1.0-or-later',
  'OSI Approved :: GNU General Public License v2 (GPLv2)': 'GPL-2.0-only',
  'OSI Approved :: GNU General Public License v2 or later (GPLv2+)': 'GPL-2.0-or-later',
  'OSI Approved :: GNU General Public License v3 (GPLv3)': 'GPL-3.0-only',
  'OSI Approved :: GNU General Public License v3 or later (GPLv3+)': 'GPL-3.0-or-later',
  'OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)': 'LGPL-2.0-only',
  'OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)': 'LGPL-2.0-or-later',
  'OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)': 'LGPL-3.0-only',
  'OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)': 'LGPL-3.0-or-later',
  'OSI Approved :: GNU Library or Lesser General Public License (LGPL)': 'LGPL-2.0-or-later',
  'OSI Approved :: Historical Permission Notice and Disclaimer (HPND)': 'HPND',
  'OSI Approved :: IBM Public License': 'IPL-1.0',
  'OSI Approved :: ISC License (ISCL)': 'ISC',
  'OSI Approved :: Intel Open Source License': 'Intel',
  'OSI Approved :: MIT License': 'MIT',
  'OSI Approved :: MIT No Attribution License (MIT-0)': 'MIT-0',
  'OSI Approved :: Motosoto License': 'Motosoto',
  'OSI Approved :: Mozilla Public License 1.0 (MPL)': 'MPL-1.0',
  'OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)': 'MPL-1.1',
  'OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)': 'MPL-2.0',
  'OSI Approved :: Mulan Permissive Software License v2 (MulanPSL-2.0)': 'MulanPSL-2.0',
  'OSI Approved :: Nethack General Public License': 'NGPL',
  'OSI Approved :: Nokia Open Source License': 'Nokia',
  'OSI Approved :: Open Group Test Suite License': 'OGTSL',
  'OSI Approved :: Open Software License 3.0 (OSL-3.0)': 'OSL-3.0',
  'OSI Approved :: PostgreSQL License': 'PostgreSQL',
  'OSI Approved :: Python License (CNRI Python License)': 'CNRI-Python',
  'OSI Approved :: Python Software Foundation License': 'PSF-2.0',
  'OSI Approved :: Qt Public License (QPL)': 'QPL-1.0',
  'OSI Approved :: Ricoh Source Code Public License': 'RSCPL',
  'OSI Approved :: SIL Open Font License 1.1 (OFL-1.1)': 'OFL-1.1',
  'OSI Approved :: Sleepycat License': 'Sleepycat',
  'OSI Approved :: Sun Industry Standards Source License (SISSL)': 'SISSL',
  'OSI Approved :: Sun Public License': 'SPL-1.0',
  'OSI Approved :: The Unlicense (Unlicense)': 'Unlicense',
  'OSI Approved :: Universal Permissive License (UPL)': 'UPL-1.0',
  'OSI Approved :: University of Illinois/NCSA Open Source License': 'NCSA',
  'OSI Approved :: Vovida Software License 1.0': 'VSL-1.0',
  'OSI Approved :: W3C License': 'W3C',
  'OSI Approved :: X.Net License': 'Xnet',
  'OSI Approved :: Zero-Clause BSD (0BSD)': '0BSD',
  'OSI Approved :: Zope Public License': 'ZPL-2.1',
  'OSI Approved :: zlib/libpng License': 'Zlib',
  'Aladdin Free Public License (AFPL)': 'Aladdin',
  'CC0 1.0 Universal (CC0 1.0) Public Domain Dedication': 'CC0-1.0',
  'Eiffel Forum License (EFL)': 'EFL-2.0',
  'Free For Educational Use': 'LicenseRef-Free-For-Educational-Use',
  'Free For Home Use': 'LicenseRef-Free-For-Home-Use',
  'Free for non-commercial use': 'LicenseRef-Free-For-Non-Commercial-Use',
  'Freely Distributable': 'LicenseRef-Freely-Distributable',
  'Freeware': 'LicenseRef-Freeware',
  'GUST Font License 1.0': 'LicenseRef-GUST-Font-1.0',
  'Netscape Public License (NPL)': 'NPL-1.1',
  'Nokia Open Source License (NOKOS)': 'Nokia',
  'Other/Proprietary License': 'LicenseRef-Proprietary',
  'Public Domain': 'LicenseRef-Public-Domain',
  'Repoze Public License': 'LicenseRef-Repoze',
};
const CLASSIFIER_BY_KEY = new Map(Object.entries(CLASSIFIERS).map(([tail, id]) => [classifierKey(`License :: ${tail}`), id]));

function classifierKey(classifier: string): string {
  return classifier.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** The SPDX id a `License :: …` classifier stands for, or null (not a licence classifier, or a bare category like `OSI Approved`). */
export function licenseIdOfClassifier(classifier: string): string | null {
  return CLASSIFIER_BY_KEY.get(classifierKey(classifier)) ?? null;
}

// Free-text License values, keyed by freeTextKey(). Covers what old setup.py files say most.
const FREE_TEXT: Record<string, string> = {
  mit: 'MIT', 'mit x11': 'MIT', expat: 'MIT', 'mit expat': 'MIT', x11: 'X11', 'mit 0': 'MIT-0', 'mit no attribution': 'MIT-0',
  bsd: 'BSD-3-Clause', 'new bsd': 'BSD-3-Clause', 'modified bsd': 'BSD-3-Clause', 'bsd 3': 'BSD-3-Clause', 'bsd 3 clause': 'BSD-3-Clause',
  '3 clause bsd': 'BSD-3-Clause', 'revised bsd': 'BSD-3-Clause', 'bsd new': 'BSD-3-Clause', bsd3: 'BSD-3-Clause',
  'bsd 2': 'BSD-2-Clause', 'bsd 2 clause': 'BSD-2-Clause', '2 clause bsd': 'BSD-2-Clause', 'simplified bsd': 'BSD-2-Clause',
  freebsd: 'BSD-2-Clause', bsd2: 'BSD-2-Clause', '0bsd': '0BSD', 'zero clause bsd': '0BSD',
  apache: 'Apache-2.0', 'apache 2': 'Apache-2.0', 'apache 2 0': 'Apache-2.0', apache2: 'Apache-2.0', 'apache v2': 'Apache-2.0',
  'apache version 2 0': 'Apache-2.0', 'apache v2 0': 'Apache-2.0', 'asl 2 0': 'Apache-2.0', 'asl2': 'Apache-2.0',
  'apache software': 'Apache-2.0', 'apache software 2 0': 'Apache-2.0', 'apache 2 0 license': 'Apache-2.0',
  gpl: 'GPL-1.0-or-later', gplv2: 'GPL-2.0-only', 'gpl v2': 'GPL-2.0-only', 'gpl 2': 'GPL-2.0-only', 'gpl 2 0': 'GPL-2.0-only',
  'gplv2+': 'GPL-2.0-or-later', 'gpl v2+': 'GPL-2.0-or-later', 'gpl 2+': 'GPL-2.0-or-later', 'gplv2 or later': 'GPL-2.0-or-later',
  gplv3: 'GPL-3.0-only', 'gpl v3': 'GPL-3.0-only', 'gpl 3': 'GPL-3.0-only', 'gpl 3 0': 'GPL-3.0-only',
  'gplv3+': 'GPL-3.0-or-later', 'gpl v3+': 'GPL-3.0-or-later', 'gpl 3+': 'GPL-3.0-or-later', 'gplv3 or later': 'GPL-3.0-or-later',
  'gnu gpl': 'GPL-1.0-or-later', 'gnu gplv3': 'GPL-3.0-only', 'gnu gplv2': 'GPL-2.0-only', 'gnu general public': 'GPL-1.0-or-later',
  'gnu general public v3': 'GPL-3.0-only', 'gnu general public v2': 'GPL-2.0-only',
  lgpl: 'LGPL-2.0-or-later', lgplv2: 'LGPL-2.0-only', 'lgplv2+': 'LGPL-2.0-or-later', 'lgplv2 1': 'LGPL-2.1-only', 'lgpl 2 1': 'LGPL-2.1-only',
  'lgplv2 1+': 'LGPL-2.1-or-later', 'lgpl 2 1+': 'LGPL-2.1-or-later', lgplv3: 'LGPL-3.0-only', 'lgpl v3': 'LGPL-3.0-only', 'lgpl 3': 'LGPL-3.0-only',
  'lgplv3+': 'LGPL-3.0-or-later', 'lgpl 3+': 'LGPL-3.0-or-later', 'gnu lgpl': 'LGPL-2.0-or-later',
  agpl: 'AGPL-3.0-or-later', agplv3: 'AGPL-3.0-only', 'agpl v3': 'AGPL-3.0-only', 'agpl 3': 'AGPL-3.0-only', 'agplv3+': 'AGPL-3.0-or-later',
  'mpl 2': 'MPL-2.0', 'mpl 2 0': 'MPL-2.0', mpl2: 'MPL-2.0', 'mpl v2': 'MPL-2.0', 'mozilla public 2 0': 'MPL-2.0', 'mpl 1 1': 'MPL-1.1',
  isc: 'ISC', iscl: 'ISC', psf: 'PSF-2.0', psfl: 'PSF-2.0', 'python software foundation': 'PSF-2.0', 'psf 2 0': 'PSF-2.0',
  unlicense: 'Unlicense', 'the unlicense': 'Unlicense', zlib: 'Zlib', 'zlib libpng': 'Zlib', 'zpl 2 1': 'ZPL-2.1', zpl: 'ZPL-2.1',
  cc0: 'CC0-1.0', 'cc0 1 0': 'CC0-1.0', 'cc0 1 0 universal': 'CC0-1.0', wtfpl: 'WTFPL', 'boost': 'BSL-1.0', 'bsl 1 0': 'BSL-1.0',
  'epl 1 0': 'EPL-1.0', 'epl 2 0': 'EPL-2.0', 'eclipse public 2 0': 'EPL-2.0', 'eupl 1 2': 'EUPL-1.2', 'hpnd': 'HPND',
  'public domain': 'LicenseRef-Public-Domain', 'public domain dedication': 'LicenseRef-Public-Domain',
  proprietary: 'LicenseRef-Proprietary', 'other proprietary': 'LicenseRef-Proprietary', commercial: 'LicenseRef-Proprietary',
};

const FILLER_WORDS = new Set(['the', 'license', 'licence', 'licensed', 'under', 'version', 'software']);

function freeTextKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9+]+/g, ' ')
    .split(' ')
    .filter((word) => word !== '' && !FILLER_WORDS.has(word))
    .join(' ');
}

// FREE_TEXT keys computed the same way (the table is written with filler words already gone, but
// keep it robust to edits that add some).
const FREE_TEXT_BY_KEY = new Map(Object.entries(FREE_TEXT).map(([text, id]) => [freeTextKey(text), id]));

/** The SPDX id a common free-text licence name stands for (`Apache 2.0`, `new BSD`, `GPLv3+`), or null. */
export function licenseIdOfFreeText(text: string): string | null {
  if (text.length > 200) return null;
  return FREE_TEXT_BY_KEY.get(freeTextKey(text)) ?? null;
}

/** Recognises a pasted licence text by its first line or a tell-tale sentence. */
function licenseIdOfLicenseText(text: string): string | null {
  const head = text.slice(0, 4000);
  const firstLine = head.split('\n').find((line) => line.trim() !== '') ?? '';
  const byFirstLine = licenseIdOfFreeText(firstLine.trim());
  if (byFirstLine !== null) return byFirstLine;
  const flat = head.toLowerCase().replace(/\s+/g, ' ');
  if (flat.includes('permission is hereby granted, free of charge')) return 'MIT';
  if (flat.includes('apache license') && flat.includes('version 2.0')) return 'Apache-2.0';
  if (flat.includes('redistribution and use in source and binary forms')) {
    return flat.includes('neither the name') || flat.includes('names of its contributors') ? 'BSD-3-Clause' : 'BSD-2-Clause';
  }
  return null;
}

/** Parses text as an SPDX expression made only of ids we know (so `BSD` or `GPL` are not taken for ids). */
function tryKnownExpression(text: string): LicenseExpression | null {
  try {
    const expr = parseLicenseExpression(text);
    return licenseIds(expr).every(isKnownLicenseId) ? expr : null;
  } catch {
    return null;
  }
}

function info(expr: LicenseExpression, source: LicenseSource): LicenseInfo {
  return { expression: renderLicenseExpression(expr), ids: licenseIds(expr), source };
}

/**
 * The licence of a distribution: its `License-Expression` (PEP 639) when valid; else a `License`
 * field that is itself an SPDX expression of known ids; else its licence classifiers (several are
 * read as a choice, `A OR B`, the usual meaning of dual licensing); else a recognised free-text
 * `License` value. Nothing recognised: `source: 'none'`, expression null.
 */
export function licenseOf(metadata: CoreMetadata): LicenseInfo {
  if (metadata.licenseExpression !== null && metadata.licenseExpression.trim() !== '') {
    try {
      return info(parseLicenseExpression(metadata.licenseExpression.trim()), 'License-Expression');
    } catch {
      // An invalid expression tells us nothing reliable; fall through to the older fields.
    }
  }
  const licenseField = metadata.license?.trim() ?? '';
  if (licenseField !== '' && licenseField.length <= 200 && !licenseField.includes('\n')) {
    const expr = tryKnownExpression(licenseField);
    if (expr !== null) return info(expr, 'License');
  }
  const fromClassifiers: string[] = [];
  for (const classifier of metadata.classifiers) {
    const id = licenseIdOfClassifier(classifier);
    if (id !== null && !fromClassifiers.includes(id)) fromClassifiers.push(id);
  }
  if (fromClassifiers.length > 0) {
    const terms: LicenseExpression[] = fromClassifiers.map((id) => ({ kind: 'license', id, exception: null }));
    return info(terms.length === 1 ? (terms[0] as LicenseExpression) : { kind: 'or', terms }, 'classifier');
  }
  if (licenseField !== '') {
    const id = licenseField.includes('\n') || licenseField.length > 200 ? licenseIdOfLicenseText(licenseField) : licenseIdOfFreeText(licenseField);
    if (id !== null) return info({ kind: 'license', id, exception: null }, 'License');
  }
  return { expression: null, ids: [], source: 'none' };
}

/**
 * Checks a licence id or pattern written in a policy (`MIT`, `GPL-*`, `LicenseRef-Proprietary`,
 * `GPL-2.0-only WITH Classpath-exception-2.0`) and returns its canonical spelling.
 * Free-text names (`BSD`, `Apache 2.0`) are refused with the SPDX id they probably mean.
 * @throws PavedError PAVED_E_INVALID_LICENSE_EXPRESSION
 */
export function parseLicensePattern(text: string): string {
  const trimmed = text.trim();
  const fail = (why: string, hint: string): PavedError =>
    new PavedError('PAVED_E_INVALID_LICENSE_EXPRESSION', `${JSON.stringify(trimmed.slice(0, 80))} ${why}`, { hint });
  const spdxHint = 'Use SPDX ids (https://spdx.org/licenses/), e.g. "MIT", "Apache-2.0", "BSD-3-Clause", or a prefix pattern such as "GPL-*".';
  if (trimmed === '' || trimmed.length > 200) throw fail('is not an SPDX licence id', spdxHint);
  if (trimmed.endsWith('*')) {
    const prefix = trimmed.slice(0, -1);
    if (prefix === '' || !/^[A-Za-z0-9.-]+$/.test(prefix)) throw fail('is not a valid licence pattern', spdxHint);
    return trimmed;
  }
  let expr: LicenseExpression;
  try {
    expr = parseLicenseExpression(trimmed);
  } catch {
    const guess = licenseIdOfFreeText(trimmed);
    throw fail('is not an SPDX licence id', guess !== null ? `Did you mean "${guess}"?` : spdxHint);
  }
  if (expr.kind !== 'license') throw fail('is an expression; list each licence id on its own', spdxHint);
  if (!isKnownLicenseId(expr.id)) {
    const guess = licenseIdOfFreeText(expr.id);
    if (guess !== null && guess.toLowerCase() !== expr.id.toLowerCase()) {
      throw fail('is not an SPDX licence id', `Did you mean "${guess}"?`);
    }
  }
  return renderLicenseExpression(expr);
}

function patternMatches(pattern: string, subject: string): boolean {
  const p = pattern.toLowerCase();
  const s = subject.toLowerCase();
  return p.endsWith('*') ? s.startsWith(p.slice(0, -1)) : p === s;
}

type LeafJudgement = 'accepted' | 'denied' | 'not-allowed';

function judgeLeaf(policy: Pick<LicensePolicy, 'allow' | 'deny'>, leaf: { id: string; exception: string | null }): LeafJudgement {
  // Entries naming `id WITH exception` decide before those naming a bare id or a prefix, so
  // `GPL-2.0-only WITH Classpath-exception-2.0` can be allowed while `GPL-*` is denied.
  const withException = (p: string): boolean => / with /i.test(p);
  if (leaf.exception !== null) {
    const subject = `${leaf.id} WITH ${leaf.exception}`;
    if (policy.deny.some((p) => withException(p) && patternMatches(p, subject))) return 'denied';
    if (policy.allow.some((p) => withException(p) && patternMatches(p, subject))) return 'accepted';
  }
  if (policy.deny.some((p) => !withException(p) && patternMatches(p, leaf.id))) return 'denied';
  if (policy.allow.some((p) => !withException(p) && patternMatches(p, leaf.id))) return 'accepted';
  return policy.allow.length === 0 ? 'accepted' : 'not-allowed';
}

/**
 * The licence rule on one licence: an `OR` is acceptable when any branch is, an `AND` only when
 * all are; a leaf is acceptable when no `deny` entry matches it and `allow` is empty or matches
 * it. An undetermined licence gets `policy.unknown`.
 */
export function licenseVerdict(policy: Pick<LicensePolicy, 'allow' | 'deny' | 'action' | 'unknown'>, license: LicenseInfo): LicenseDecision {
  if (license.expression === null) {
    return { action: policy.unknown, message: 'the licence could not be determined from the metadata', rejected: [] };
  }
  const expr = parseLicenseExpression(license.expression);
  const rejected: string[] = [];
  const judge = (e: LicenseExpression): boolean => {
    if (e.kind === 'license') {
      const judgement = judgeLeaf(policy, e);
      if (judgement !== 'accepted') {
        const shown = e.exception === null ? e.id : `${e.id} WITH ${e.exception}`;
        if (!rejected.includes(shown)) rejected.push(shown);
      }
      return judgement === 'accepted';
    }
    // Judge every term (no short-circuit) so `rejected` names all offenders.
    const results = e.terms.map(judge);
    return e.kind === 'or' ? results.some(Boolean) : results.every(Boolean);
  };
  if (judge(expr)) {
    return { action: 'allow', message: `licence ${license.expression} is acceptable`, rejected: [] };
  }
  return { action: policy.action, message: `licence ${license.expression} is not acceptable (${rejected.join(', ')})`, rejected };
}
