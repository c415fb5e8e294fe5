import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPavedError } from '../../src/errors.js';
import {
  contentTypeOf,
  negotiateSimpleFormat,
  SIMPLE_API_VERSION,
  type ProjectList,
  type ProjectPage,
  type SimpleFile,
  type SimpleFormat,
} from '../../src/standards/simpleApi.js';
import {
  parseProjectListHtml,
  parseProjectPageHtml,
  renderProjectListHtml,
  renderProjectPageHtml,
} from '../../src/standards/simpleApiHtml.js';
import {
  parseProjectListJson,
  parseProjectPageJson,
  renderProjectListJson,
  renderProjectPageJson,
} from '../../src/standards/simpleApiJson.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const PAGE_URL = 'https://index.example/simple/sample/';

function file(overrides: Partial<SimpleFile> = {}): SimpleFile {
  return {
    filename: 'sample-1.0-py3-none-any.whl',
    url: 'https://files.example/packages/sample-1.0-py3-none-any.whl',
    hashes: { sha256: SHA_A },
    requiresPython: null,
    yanked: false,
    coreMetadata: false,
    size: null,
    uploadTime: null,
    gpgSig: null,
    ...overrides,
  };
}

const richPage: ProjectPage = {
  name: 'sample',
  apiVersion: SIMPLE_API_VERSION,
  versions: ['0.9', '1.0', '2.0'],
  files: [
    file({
      requiresPython: '>=3.8, <4',
      coreMetadata: { sha256: SHA_B },
      size: 1234,
      uploadTime: '2024-05-01T12:34:56.123456Z',
      gpgSig: false,
    }),
    file({
      filename: 'sample-0.9.tar.gz',
      url: 'https://files.example/packages/sample-0.9.tar.gz',
      hashes: { sha256: SHA_B },
      yanked: 'broken <build> & "bad" metadata',
      coreMetadata: true,
      size: 99,
      uploadTime: '2023-01-01T00:00:00Z',
      gpgSig: true,
    }),
    file({ filename: 'sample-2.0-py3-none-any.whl', url: 'https://files.example/packages/sample-2.0-py3-none-any.whl', yanked: true, size: 5 }),
  ],
  projectStatus: { status: 'deprecated', reason: 'use "other" <instead> & be happy' },
};

// What survives an HTML trip: no sizes, upload times or version list in HTML.
function htmlView(page: ProjectPage): ProjectPage {
  return {
    ...page,
    versions: null,
    files: page.files.map((f) => ({ ...f, size: null, uploadTime: null, gpgSig: f.gpgSig ?? null })),
  };
}

function expectInvalidPage(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isPavedError(error, 'PAVED_E_INVALID_SIMPLE_PAGE'), `expected PAVED_E_INVALID_SIMPLE_PAGE, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

function randomText(bytes: number, seed: number): string {
  // A tiny LCG: deterministic noise, heavy on the characters the tokenizer cares about.
  const specials = '<>"\'=/&#;! -\n\tabhrefmetaA';
  let state = seed;
  const out: string[] = [];
  for (let i = 0; i < bytes; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    out.push(state % 3 === 0 ? (specials[state % specials.length] as string) : String.fromCharCode(state % 256));
  }
  return out.join('');
}

describe('negotiateSimpleFormat', () => {
  const table: [string, string | undefined, SimpleFormat | null][] = [
    ['no header', undefined, 'legacy-html'],
    ['an empty header', '', 'legacy-html'],
    ['*/*', '*/*', 'legacy-html'],
    ['pip', 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01', 'json'],
    ['uv', 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01', 'json'],
    ['a browser', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', 'legacy-html'],
    ['curl', '*/*', 'legacy-html'],
    ['JSON only', 'application/vnd.pypi.simple.v1+json', 'json'],
    ['versioned HTML only', 'application/vnd.pypi.simple.v1+html', 'html'],
    ['text/html only', 'text/html', 'legacy-html'],
    ['latest+json', 'application/vnd.pypi.simple.latest+json', 'json'],
    ['latest+html', 'application/vnd.pypi.simple.latest+html', 'html'],
    ['application/*', 'application/*', 'json'],
    ['text/*', 'text/*', 'legacy-html'],
    ['upper case', 'APPLICATION/VND.PYPI.SIMPLE.V1+JSON', 'json'],
    ['HTML preferred by q', 'application/vnd.pypi.simple.v1+json;q=0.5, application/vnd.pypi.simple.v1+html', 'html'],
    ['equal q: the first listed wins', 'application/vnd.pypi.simple.v1+html, application/vnd.pypi.simple.v1+json', 'html'],
    ['equal q: exact beats wildcard', '*/*, application/vnd.pypi.simple.v1+json', 'json'],
    ['q=0 excludes json, */* gives the rest', 'application/vnd.pypi.simple.v1+json;q=0, */*', 'legacy-html'],
    ['q=0 on text/html with */*', 'text/html;q=0, */*;q=0.5', 'json'],
    ['everything excluded', 'text/html;q=0, application/*;q=0', null],
    ['*/*;q=0', '*/*;q=0', null],
    ['an unversioned v2', 'application/vnd.pypi.simple.v2+json', null],
    ['an unrelated type', 'image/png', null],
    ['application/json is not ours', 'application/json', null],
    ['garbage', ';;;,,,===///', null],
    ['garbage, then a good range', '}{not a type;;, text/html', 'legacy-html'],
    ['a bad q skips its range', 'application/vnd.pypi.simple.v1+json;q=abc, text/html;q=0.1', 'legacy-html'],
    ['q above 1 is invalid', 'application/vnd.pypi.simple.v1+json;q=2, text/html;q=0.1', 'legacy-html'],
    ['extra parameters are ignored', 'application/vnd.pypi.simple.v1+json; charset=utf-8; q=0.9, text/html; q=0.5', 'json'],
    ['spaces everywhere', '  application/vnd.pypi.simple.v1+json ; q = 0.9 ,  text/html ; q=1 ', 'legacy-html'],
    ['*/html is not a range', '*/html', null],
  ];
  for (const [what, header, expected] of table) {
    it(`${what} → ${String(expected)}`, () => {
      assert.equal(negotiateSimpleFormat(header), expected);
      // A trailing space skips the lookup of common headers, so the general parser must agree.
      if (header !== undefined) assert.equal(negotiateSimpleFormat(`${header} `), expected);
    });
  }

  it('stays fast on an enormous header', () => {
    const huge = `${'x/y;q=0.5, '.repeat(100_000)}application/vnd.pypi.simple.v1+json`;
    const garbage = ','.repeat(1_000_000) + ';'.repeat(1_000_000);
    const started = process.hrtime.bigint();
    // Past 64 ranges the rest is ignored, so the JSON range at the end does not count.
    assert.equal(negotiateSimpleFormat(huge), null);
    assert.equal(negotiateSimpleFormat(garbage), null);
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 2000);
  });

  it('content types', () => {
    assert.equal(contentTypeOf('json'), 'application/vnd.pypi.simple.v1+json');
    assert.equal(contentTypeOf('html'), 'application/vnd.pypi.simple.v1+html');
    assert.equal(contentTypeOf('legacy-html'), 'text/html');
  });
});

describe('project page HTML', () => {
  it('renders the PEP 503/629/658/714/792 attributes', () => {
    const html = renderProjectPageHtml(richPage);
    assert.match(html, /^<!DOCTYPE html>/);
    assert.ok(html.includes('<meta name="pypi:repository-version" content="1.4">'));
    assert.ok(html.includes('<meta name="pypi:project-status" content="deprecated">'));
    assert.ok(html.includes('<meta name="pypi:project-status-reason" content="use &quot;other&quot; &lt;instead&gt; &amp; be happy">'));
    assert.ok(html.includes(`href="https://files.example/packages/sample-1.0-py3-none-any.whl#sha256=${SHA_A}"`));
    assert.ok(html.includes('data-requires-python="&gt;=3.8, &lt;4"'));
    assert.ok(html.includes(`data-core-metadata="sha256=${SHA_B}" data-dist-info-metadata="sha256=${SHA_B}"`));
    assert.ok(html.includes('data-core-metadata="true" data-dist-info-metadata="true"'));
    assert.ok(html.includes('data-yanked="broken &lt;build&gt; &amp; &quot;bad&quot; metadata"'));
    assert.ok(html.includes('data-yanked=""'));
    assert.ok(html.includes('data-gpg-sig="true"'));
    assert.equal((html.match(/<a /g) ?? []).length, 3);
  });

  it('leaves out attributes with no value and status metas with no status', () => {
    const html = renderProjectPageHtml({ ...richPage, projectStatus: null, files: [file({ hashes: {} })] });
    assert.ok(!html.includes('project-status'));
    assert.ok(!html.includes('data-'));
    assert.ok(html.includes('href="https://files.example/packages/sample-1.0-py3-none-any.whl"'));
  });

  it('round-trips through the parser', () => {
    assert.deepEqual(parseProjectPageHtml(renderProjectPageHtml(richPage), PAGE_URL, 'sample'), htmlView(richPage));
  });

  it('escapes hostile values so they cannot inject markup', () => {
    const evil = '"><script>alert(1)</script><a href="x';
    const page: ProjectPage = {
      name: `<img src=x onerror=alert(1)>`,
      apiVersion: '1.4',
      versions: null,
      files: [
        file({
          filename: `evil${evil}.whl`,
          url: `https://files.example/evil.whl?x=${evil}`,
          requiresPython: evil,
          yanked: evil,
          hashes: { sha256: SHA_A },
        }),
      ],
      projectStatus: { status: 'quarantined', reason: evil },
    };
    const html = renderProjectPageHtml(page);
    assert.ok(!html.includes('<script'), html);
    assert.ok(!html.includes('<img'), html);
    assert.equal((html.match(/<a /g) ?? []).length, 1);
    const parsed = parseProjectPageHtml(html, PAGE_URL, 'x');
    assert.equal(parsed.files.length, 1);
    assert.equal(parsed.files[0]?.requiresPython, evil);
    assert.equal(parsed.files[0]?.yanked, evil);
    assert.equal(parsed.projectStatus?.reason, evil);
  });

  it('picks sha256 for the fragment and falls back to another hash', () => {
    const html = renderProjectPageHtml({ ...richPage, files: [file({ hashes: { md5: 'c'.repeat(32), sha512: 'd'.repeat(128) } })] });
    assert.ok(html.includes(`#sha512=${'d'.repeat(128)}"`));
  });
});

describe('parseProjectPageHtml on real-world pages', () => {
  it('reads attributes in any order and quoting, entities, relative hrefs and both metadata spellings', () => {
    const html = `<!DOCTYPE html>
<html><head><META NAME='pypi:repository-version' CONTENT='1.1'><title>Links for sample</title></head>
<body>
<h1>Links for sample</h1>
<A data-requires-python='&gt;=3.7' HREF="../../packages/sample-1.0.tar.gz#SHA256=${SHA_A.toUpperCase()}" data-dist-info-metadata=sha256=${SHA_B}>sample-1.0.tar.gz</A><br/>
<a href=/files/sample-1.1.whl data-yanked data-core-metadata="true" >sample-1.1.whl</a>
<a
   href="sample-1.2.whl?token=a&amp;b=c#md5=${'e'.repeat(32)}"
   data-requires-python="&#62;=3.9"
   data-yanked="">sample-1.2.whl</a>
<a href="https://other.example/sample%2B1.3.whl" data-core-metadata="sha256=${SHA_A}" data-dist-info-metadata="sha256=${SHA_B}">x</a>
</body></html>`;
    const page = parseProjectPageHtml(html, 'https://index.example/root/pypi/+simple/sample/', 'sample');
    assert.equal(page.apiVersion, '1.1');
    assert.equal(page.versions, null);
    assert.deepEqual(
      page.files.map((f) => [f.filename, f.url, f.hashes, f.requiresPython, f.yanked, f.coreMetadata]),
      [
        ['sample-1.0.tar.gz', 'https://index.example/root/pypi/packages/sample-1.0.tar.gz', { sha256: SHA_A }, '>=3.7', false, { sha256: SHA_B }],
        ['sample-1.1.whl', 'https://index.example/files/sample-1.1.whl', {}, null, true, true],
        ['sample-1.2.whl', 'https://index.example/root/pypi/+simple/sample/sample-1.2.whl?token=a&b=c', { md5: 'e'.repeat(32) }, '>=3.9', true, false],
        // data-core-metadata wins over data-dist-info-metadata; the filename is the URL's, decoded.
        ['sample+1.3.whl', 'https://other.example/sample%2B1.3.whl', {}, null, false, { sha256: SHA_A }],
      ],
    );
  });

  it('resolves against <base href>', () => {
    const html = `<html><head><base href="https://cdn.example/pkgs/"></head><body><a href="a-1.0.whl">a-1.0.whl</a></body></html>`;
    const page = parseProjectPageHtml(html, PAGE_URL, 'a');
    assert.equal(page.files[0]?.url, 'https://cdn.example/pkgs/a-1.0.whl');
  });

  it('a relative <base href> resolves against the page URL', () => {
    const html = `<base href="../../files/"><a href="a-1.0.whl">a</a>`;
    assert.equal(parseProjectPageHtml(html, PAGE_URL, 'a').files[0]?.url, 'https://index.example/files/a-1.0.whl');
  });

  it('assumes api-version 1.0 without the meta, and reads status metas', () => {
    const html = `<meta name="pypi:project-status" content="archived"><meta name="pypi:project-status-reason" content="done"><a href="a-1.0.whl">a</a>`;
    const page = parseProjectPageHtml(html, PAGE_URL, 'a');
    assert.equal(page.apiVersion, '1.0');
    assert.deepEqual(page.projectStatus, { status: 'archived', reason: 'done' });
  });

  it('ignores an unknown project status', () => {
    assert.equal(parseProjectPageHtml('<meta name="pypi:project-status" content="exploded">', PAGE_URL, 'a').projectStatus, null);
  });

  it('refuses a 2.x repository version', () => {
    expectInvalidPage(() => parseProjectPageHtml('<meta name="pypi:repository-version" content="2.0"><a href="a.whl">a</a>', PAGE_URL, 'a'), /2\.0.*only understands 1\.x/);
  });

  it('refuses a page URL that is not absolute', () => {
    expectInvalidPage(() => parseProjectPageHtml('<a href="a.whl">a</a>', '/simple/a/', 'a'), /not an absolute URL/);
  });

  it('skips anchors in comments, scripts and titles, and anchors without a usable href', () => {
    const html = `<!-- <a href="hidden-1.whl">x</a> -->
<script>var s = '<a href="script-1.whl">';</script>
<style>a::after { content: "<a href='style.whl'>" }</style>
<title><a href="title.whl"></a></title>
<a>no href</a><a href="">empty</a><a href="http://[bad">bad url</a>
<a href="real-1.0.whl">real</a>`;
    assert.deepEqual(parseProjectPageHtml(html, PAGE_URL, 'x').files.map((f) => f.filename), ['real-1.0.whl']);
  });

  it('drops files whose name would escape a directory', () => {
    const html = `<a href="..%2F..%2Fetc%2Fpasswd">x</a><a href="a%5Cb.whl">y</a><a href="ok.whl">ok</a>`;
    assert.deepEqual(parseProjectPageHtml(html, PAGE_URL, 'x').files.map((f) => f.filename), ['ok.whl']);
  });

  it('uses the anchor text when the URL path ends in a slash', () => {
    assert.equal(parseProjectPageHtml('<a href="https://x.example/download/">pkg-1.0.tar.gz</a>', PAGE_URL, 'x').files[0]?.filename, 'pkg-1.0.tar.gz');
  });

  it('survives unclosed tags, quotes and comments', () => {
    const cases = [
      '<a href="a.whl">a</a><a href="b.whl',
      '<a href="a.whl">a</a><a href=\'b.whl>b</a>',
      '<a href="a.whl">a</a><!-- never closed <a href="b.whl">b</a>',
      '<a href="a.whl">a</a><script>never closed <a href="b.whl">',
      '<a href="a.whl">a<a href="c.whl">c',
      '<a href="a.whl">a</a><',
      '<a href="a.whl">a</a></',
      '<a href="a.whl">a</a><a',
    ];
    for (const html of cases) {
      const names = parseProjectPageHtml(html, PAGE_URL, 'x').files.map((f) => f.filename);
      assert.equal(names[0], 'a.whl', html);
      assert.ok(!names.includes('b.whl'), html);
    }
  });

  it('gets through 5 MB of random bytes quickly', () => {
    const noise = randomText(5 * 1024 * 1024, 42);
    const started = process.hrtime.bigint();
    const page = parseProjectPageHtml(noise, PAGE_URL, 'x');
    parseProjectListHtml(noise, PAGE_URL);
    assert.ok(Array.isArray(page.files));
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 5000);
  });

  it('stays linear on adversarial repetition', () => {
    const patterns = ['<a href="', '<a ', '<a x=', '<!--', '<script>', '<a href=x>', '<', '&#', '<a href="a.whl" data-yanked="'];
    for (const pattern of patterns) {
      const html = pattern.repeat(Math.ceil(2_000_000 / pattern.length));
      const started = process.hrtime.bigint();
      parseProjectPageHtml(html, PAGE_URL, 'x');
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.ok(ms < 3000, `${pattern} took ${ms} ms`);
    }
  });
});

describe('project list HTML', () => {
  const list: ProjectList = { apiVersion: '1.4', projects: [{ name: 'alpha' }, { name: 'Beta_Two' }, { name: 'a<b>&"c"' }] };

  it('renders one anchor per project with the given hrefs', () => {
    const html = renderProjectListHtml(list, (name) => `/simple/${encodeURIComponent(name.toLowerCase())}/`);
    assert.ok(html.includes('<meta name="pypi:repository-version" content="1.4">'));
    assert.ok(html.includes('<a href="/simple/alpha/">alpha</a>'));
    assert.ok(html.includes('<a href="/simple/beta_two/">Beta_Two</a>'));
    assert.ok(html.includes('a&lt;b&gt;&amp;&quot;c&quot;'));
  });

  it('round-trips', () => {
    const html = renderProjectListHtml(list, (name) => `${encodeURIComponent(name)}/`);
    assert.deepEqual(parseProjectListHtml(html, 'https://index.example/simple/'), list);
  });

  it('reads a PEP 503 root page, falling back to the href when the text is empty', () => {
    const html = `<html><body><a href="/simple/frob/">frob</a><a href='/simple/spamspamspam/'> spamspamspam </a><a href="/simple/zope-interface/"></a></body></html>`;
    assert.deepEqual(parseProjectListHtml(html, 'https://index.example/simple/'), {
      apiVersion: '1.0',
      projects: [{ name: 'frob' }, { name: 'spamspamspam' }, { name: 'zope-interface' }],
    });
  });
});

describe('project page JSON', () => {
  it('renders PEP 691/700/714/792 keys', () => {
    const doc = JSON.parse(renderProjectPageJson(richPage)) as Record<string, unknown>;
    assert.deepEqual(doc['meta'], { 'api-version': '1.4' });
    assert.equal(doc['name'], 'sample');
    assert.deepEqual(doc['versions'], ['0.9', '1.0', '2.0']);
    assert.deepEqual(doc['project-status'], { status: 'deprecated', reason: 'use "other" <instead> & be happy' });
    const files = doc['files'] as Record<string, unknown>[];
    assert.deepEqual(files[0], {
      filename: 'sample-1.0-py3-none-any.whl',
      url: 'https://files.example/packages/sample-1.0-py3-none-any.whl',
      hashes: { sha256: SHA_A },
      'requires-python': '>=3.8, <4',
      yanked: false,
      'core-metadata': { sha256: SHA_B },
      'dist-info-metadata': { sha256: SHA_B },
      'gpg-sig': false,
      size: 1234,
      'upload-time': '2024-05-01T12:34:56.123456Z',
    });
    assert.equal(files[1]?.['yanked'], 'broken <build> & "bad" metadata');
    assert.equal(files[1]?.['core-metadata'], true);
    assert.equal(files[2]?.['yanked'], true);
  });

  it('omits optional keys that have no value', () => {
    const doc = JSON.parse(renderProjectPageJson({ ...richPage, versions: null, projectStatus: null, files: [file()] })) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc), ['meta', 'name', 'files']);
    assert.deepEqual(Object.keys((doc['files'] as object[])[0] as object), ['filename', 'url', 'hashes', 'yanked', 'core-metadata', 'dist-info-metadata']);
    const noReason = JSON.parse(renderProjectPageJson({ ...richPage, projectStatus: { status: 'archived', reason: null } })) as Record<string, unknown>;
    assert.deepEqual(noReason['project-status'], { status: 'archived' });
  });

  it('round-trips every field', () => {
    assert.deepEqual(parseProjectPageJson(renderProjectPageJson(richPage), PAGE_URL), richPage);
  });

  it('reads a PyPI-style page with relative URLs and older spellings', () => {
    const text = JSON.stringify({
      meta: { 'api-version': '1.1', '_last-serial': 123 },
      name: 'sample',
      versions: ['1.0'],
      files: [
        {
          filename: 'sample-1.0.tar.gz',
          url: '../../packages/sample-1.0.tar.gz#sha256=ignored',
          hashes: { SHA256: SHA_A.toUpperCase() },
          'requires-python': null,
          'dist-info-metadata': { sha256: SHA_B },
          'data-dist-info-metadata': 'unknown keys are ignored',
          yanked: '',
          size: 10,
          'upload-time': '2024-01-02T03:04:05+00:00',
          provenance: null,
        },
      ],
    });
    const page = parseProjectPageJson(text, PAGE_URL);
    assert.equal(page.apiVersion, '1.1');
    assert.deepEqual(page.files[0], {
      filename: 'sample-1.0.tar.gz',
      url: 'https://index.example/packages/sample-1.0.tar.gz',
      hashes: { sha256: SHA_A },
      requiresPython: null,
      yanked: true,
      coreMetadata: { sha256: SHA_B },
      size: 10,
      uploadTime: '2024-01-02T03:04:05Z',
      gpgSig: null,
    });
    assert.equal(page.projectStatus, null);
  });

  it('normalizes upload times to UTC and drops unreadable ones', () => {
    const withTime = (t: unknown): string | null =>
      parseProjectPageJson(JSON.stringify({ meta: { 'api-version': '1.1' }, name: 'a', files: [{ filename: 'a.whl', url: 'a.whl', hashes: {}, 'upload-time': t }] }), PAGE_URL).files[0]
        ?.uploadTime ?? null;
    assert.equal(withTime('2024-01-02T03:04:05.5Z'), '2024-01-02T03:04:05.5Z');
    assert.equal(withTime('2024-01-02T05:04:05+02:00'), '2024-01-02T03:04:05.000Z');
    assert.equal(withTime('2024-01-02T03:04:05'), '2024-01-02T03:04:05Z');
    assert.equal(withTime('yesterday'), null);
  });

  it('reads project-status at the top level or, failing that, in meta', () => {
    const top = parseProjectPageJson(JSON.stringify({ meta: { 'api-version': '1.4' }, name: 'a', files: [], 'project-status': { status: 'quarantined' } }), PAGE_URL);
    assert.deepEqual(top.projectStatus, { status: 'quarantined', reason: null });
    const inMeta = parseProjectPageJson(JSON.stringify({ meta: { 'api-version': '1.4', 'project-status': { status: 'archived', reason: 'r' } }, name: 'a', files: [] }), PAGE_URL);
    assert.deepEqual(inMeta.projectStatus, { status: 'archived', reason: 'r' });
  });

  const ok = { meta: { 'api-version': '1.0' }, name: 'a', files: [{ filename: 'a-1.0.whl', url: 'a-1.0.whl', hashes: {} }] };
  const withFile = (extra: Record<string, unknown>): unknown => ({ ...ok, files: [{ ...ok.files[0], ...extra }] });
  const hostile: [string, unknown, RegExp][] = [
    ['an array at the top', [], /the top level is not an object/],
    ['no meta', { name: 'a', files: [] }, /meta is not an object/],
    ['a numeric api-version', { ...ok, meta: { 'api-version': 1 } }, /meta\.api-version is not a string/],
    ['api-version 2.0', { ...ok, meta: { 'api-version': '2.0' } }, /simple API 2\.0, but paved only understands 1\.x/],
    ['a garbage api-version', { ...ok, meta: { 'api-version': 'latest' } }, /api-version 'latest' is not a version/],
    ['a numeric name', { ...ok, name: 5 }, /name is not a string/],
    ['files as an object', { ...ok, files: {} }, /files is not an array/],
    ['a file that is a string', { ...ok, files: ['a.whl'] }, /files\[0\] is not an object/],
    ['a null filename', withFile({ filename: null }), /files\[0\]\.filename is not a string/],
    ['a path in the filename', withFile({ filename: '../../evil.whl' }), /files\[0\]\.filename is not a plain file name/],
    ['a backslash in the filename', withFile({ filename: 'a\\b.whl' }), /files\[0\]\.filename is not a plain file name/],
    ['a numeric url', withFile({ url: 42 }), /files\[0\]\.url is not a string/],
    ['a url that does not parse', withFile({ url: 'http://[::1' }), /files\[0\]\.url is not a valid URL/],
    ['hashes as a string', withFile({ hashes: 'sha256=abc' }), /files\[0\]\.hashes is not an object/],
    ['a numeric hash', withFile({ hashes: { sha256: 1 } }), /files\[0\]\.hashes\.sha256 is not a string/],
    ['a numeric requires-python', withFile({ 'requires-python': 3 }), /files\[0\]\.requires-python is not a string/],
    ['yanked as a number', withFile({ yanked: 1 }), /files\[0\]\.yanked is neither a boolean nor a string/],
    ['core-metadata as a string', withFile({ 'core-metadata': 'sha256=abc' }), /files\[0\]\.core-metadata is not an object/],
    ['dist-info-metadata hashes not strings', withFile({ 'dist-info-metadata': { sha256: [] } }), /dist-info-metadata\.sha256 is not a string/],
    ['a negative size', withFile({ size: -1 }), /files\[0\]\.size is not a non-negative integer/],
    ['a fractional size', withFile({ size: 1.5 }), /size is not a non-negative integer/],
    ['a size as a string', withFile({ size: '10' }), /size is not a non-negative integer/],
    ['a numeric upload-time', withFile({ 'upload-time': 0 }), /upload-time is not a string/],
    ['gpg-sig as a string', withFile({ 'gpg-sig': 'yes' }), /gpg-sig is not a boolean/],
    ['versions with a number', { ...ok, versions: ['1.0', 2] }, /versions\[1\] is not a string/],
    ['project-status as a string', { ...ok, 'project-status': 'archived' }, /project-status is not an object/],
    ['a numeric status reason', { ...ok, 'project-status': { status: 'archived', reason: 1 } }, /project-status\.reason is not a string/],
  ];
  for (const [what, doc, pattern] of hostile) {
    it(`refuses ${what}, naming the field`, () => expectInvalidPage(() => parseProjectPageJson(JSON.stringify(doc), PAGE_URL), pattern));
  }

  it('refuses text that is not JSON', () => {
    expectInvalidPage(() => parseProjectPageJson('<html>oops</html>', PAGE_URL), /not valid JSON/);
    expectInvalidPage(() => parseProjectPageJson(randomText(100_000, 7), PAGE_URL), /not valid JSON/);
  });

  it('survives deeply nested JSON', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expectInvalidPage(() => parseProjectPageJson(deep, PAGE_URL), /./);
  });

  it('does not let a "__proto__" hash change the object', () => {
    const page = parseProjectPageJson(JSON.stringify(withFile({ hashes: JSON.parse(`{"__proto__": "x", "sha256": "${SHA_A}"}`) as unknown })), PAGE_URL);
    assert.deepEqual(page.files[0]?.hashes, { sha256: SHA_A });
    assert.equal(Object.getPrototypeOf(page.files[0]?.hashes), Object.prototype);
  });
});

describe('project list JSON', () => {
  const list: ProjectList = { apiVersion: '1.4', projects: [{ name: 'alpha' }, { name: 'beta' }] };

  it('renders and round-trips', () => {
    const text = renderProjectListJson(list);
    assert.deepEqual(JSON.parse(text), { meta: { 'api-version': '1.4' }, projects: [{ name: 'alpha' }, { name: 'beta' }] });
    assert.deepEqual(parseProjectListJson(text, 'https://index.example/simple/'), list);
  });

  it('ignores unknown keys and refuses wrong types', () => {
    assert.deepEqual(
      parseProjectListJson(JSON.stringify({ meta: { 'api-version': '1.0', '_last-serial': 5 }, projects: [{ name: 'x', '_last-serial': 1 }] }), 'https://i.example/simple/'),
      { apiVersion: '1.0', projects: [{ name: 'x' }] },
    );
    expectInvalidPage(() => parseProjectListJson(JSON.stringify({ meta: { 'api-version': '1.0' }, projects: [{ name: null }] }), 'https://i.example/simple/'), /projects\[0\]\.name is not a string/);
    expectInvalidPage(() => parseProjectListJson(JSON.stringify({ meta: { 'api-version': '1.0' }, projects: null }), 'https://i.example/simple/'), /projects is not an array/);
    expectInvalidPage(() => parseProjectListJson(JSON.stringify({ meta: { 'api-version': '3.0' }, projects: [] }), 'https://i.example/simple/'), /only understands 1\.x/);
  });
});

describe('HTML and JSON agree', () => {
  it('a page rendered both ways parses to the same files (minus JSON-only fields)', () => {
    const fromHtml = parseProjectPageHtml(renderProjectPageHtml(richPage), PAGE_URL, 'sample');
    const fromJson = parseProjectPageJson(renderProjectPageJson(richPage), PAGE_URL);
    assert.deepEqual(fromHtml, htmlView(fromJson));
  });
});
