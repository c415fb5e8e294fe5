import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPavedError } from '../../src/errors.js';
import { MAX_INCLUDE_DEPTH, pinnedRequirements, readRequirementsFile } from '../../src/client/readRequirementsFile.js';

describe('readRequirementsFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paved-req-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, text);
    return path;
  };

  const lines: { line: string; name: string | null; version: string | null; extra?: Record<string, unknown>; warning?: RegExp; fatal?: true }[] = [
    { line: 'requests==2.28.1', name: 'requests', version: '2.28.1' },
    { line: 'Requests === 2.28.1', name: 'Requests', version: '2.28.1' },
    { line: 'flask[async,dotenv]==2.0.1 ; python_version >= "3.8"', name: 'flask', version: '2.0.1', extra: { extras: ['async', 'dotenv'], marker: 'python_version >= "3.8"' } },
    { line: 'urllib3==1.26.5 --hash=sha256:aaaa --hash sha256:bbbb', name: 'urllib3', version: '1.26.5', extra: { hashes: ['sha256:aaaa', 'sha256:bbbb'] } },
    { line: 'idna==3.4  # the comment', name: 'idna', version: '3.4' },
    { line: 'six>=1.0,==1.16.0', name: 'six', version: '1.16.0' },
    { line: 'flask>=2', name: 'flask', version: null, warning: /flask is not pinned with == \(>=2\)/ },
    { line: 'django==4.*', name: 'django', version: null, warning: /not pinned/ },
    { line: 'attrs', name: 'attrs', version: null, warning: /any version/ },
    { line: 'pkg @ https://example.invalid/pkg-1.0.tar.gz#egg=pkg', name: 'pkg', version: null, warning: /comes from a URL/ },
    { line: './vendor/thing-1.0-py3-none-any.whl', name: null, version: null, warning: /path or URL without a project name/ },
    { line: 'not a requirement!!', name: null, version: null, warning: /cannot read requirement/, fatal: true },
    { line: 'baselib=1.0', name: null, version: null, warning: /cannot read requirement/, fatal: true },
    { line: '--bogus-option', name: null, version: null, warning: /--bogus-option is not an option a requirements file may give/, fatal: true },
    { line: 'idna==3.4 --no-deps', name: null, version: null, warning: /--no-deps is not an option a requirement line may give/, fatal: true },
    { line: 'idna==3.4 --hash=nothex', name: null, version: null, warning: /--hash needs ALGORITHM:HEXDIGEST/, fatal: true },
    { line: '-e ./local-package', name: null, version: null, warning: /editable requirement \.\/local-package/ },
  ];
  for (const c of lines) {
    it(`reads ${JSON.stringify(c.line)}`, async () => {
      const path = await file(`one-${lines.indexOf(c)}.txt`, `# header\n\n${c.line}\n`);
      const result = await readRequirementsFile(path);
      if (c.name === null) assert.deepEqual(result.requirements, []);
      else {
        assert.equal(result.requirements.length, 1);
        const entry = result.requirements[0];
        assert.deepEqual({ name: entry?.name, version: entry?.version, line: entry?.line, file: entry?.file }, { name: c.name, version: c.version, line: 3, file: path });
        for (const [key, value] of Object.entries(c.extra ?? {})) assert.deepEqual((entry as unknown as Record<string, unknown>)[key], value, key);
      }
      if (c.warning === undefined) assert.deepEqual(result.warnings, []);
      else {
        assert.equal(result.warnings.length, 1, JSON.stringify(result.warnings));
        assert.match(result.warnings[0]?.message ?? '', c.warning);
        assert.equal(result.warnings[0]?.line, 3);
        assert.equal(result.warnings[0]?.fatal, c.fatal, 'whether an install must stop on it');
      }
    });
  }

  it('joins line continuations, records index options and follows -r and -c relative to the including file', async () => {
    await file('sub/base.txt', 'certifi==2023.7.22\n-r ../common.txt\n');
    await file('common.txt', 'charset-normalizer==3.3.2\n');
    await file('sub/constraints.txt', 'flask==2.0.1\nrequests==2.31.0\n');
    const top = await file(
      'top.txt',
      ['--index-url https://pypi.example.invalid/simple', '--extra-index-url=https://other.invalid/simple', '--require-hashes', '-r sub/base.txt', '--constraint=sub/constraints.txt', 'requests==2.28.1 \\', '    --hash=sha256:abc', 'flask'].join('\n'),
    );
    const result = await readRequirementsFile(top);
    assert.deepEqual(
      result.requirements.map((r) => [r.name, r.version, r.line, r.constraint]),
      [['certifi', '2023.7.22', 1, false], ['charset-normalizer', '3.3.2', 1, false], ['flask', '2.0.1', 1, true], ['requests', '2.31.0', 2, true], ['requests', '2.28.1', 6, false], ['flask', null, 8, false]],
    );
    assert.deepEqual(result.requirements.find((r) => r.line === 6)?.hashes, ['sha256:abc']);
    assert.deepEqual(result.options.map((o) => [o.name, o.value]), [['--index-url', 'https://pypi.example.invalid/simple'], ['--extra-index-url', 'https://other.invalid/simple'], ['--require-hashes', null]]);
    // The constraint pins flask; requirements keep their own pins.
    assert.deepEqual(pinnedRequirements(result).map((r) => [r.name, r.version]), [['certifi', '2023.7.22'], ['charset-normalizer', '3.3.2'], ['requests', '2.28.1'], ['flask', '2.0.1']]);
  });

  it('keeps -e lines, with the file and line that name them, for an install', async () => {
    const path = await file('editables.txt', 'idna==3.4\n-e ./local-package\n--editable=../other\n-e\n');
    const read = await readRequirementsFile(path);
    assert.deepEqual(read.editables.map((e) => [e.value, e.line]), [['./local-package', 2], ['../other', 3]]);
    assert.equal(read.editables[0]?.file, path);
  });

  it('reads an include cycle once, with a warning', async () => {
    const a = await file('cycle/a.txt', 'alpha==1\n-r b.txt\n');
    await file('cycle/b.txt', 'beta==2\n-r a.txt\n');
    const result = await readRequirementsFile(a);
    assert.deepEqual(result.requirements.map((r) => r.name), ['alpha', 'beta']);
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0]?.message ?? '', /includes itself/);
  });

  it('refuses includes nested too deep', async () => {
    for (let i = 0; i <= MAX_INCLUDE_DEPTH + 1; i++) await file(`deep/${i}.txt`, `-r ${i + 1}.txt\n`);
    await file(`deep/${MAX_INCLUDE_DEPTH + 2}.txt`, 'x==1\n');
    await assert.rejects(readRequirementsFile(join(dir, 'deep', '0.txt')), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_REQUIREMENTS') && /nested more than/.test(e.message));
  });

  it('a missing file or include is PAVED_E_NOT_FOUND naming the including line', async () => {
    await assert.rejects(readRequirementsFile(join(dir, 'nope.txt')), (e: unknown) => isPavedError(e, 'PAVED_E_NOT_FOUND'));
    const top = await file('missing-include.txt', 'a==1\n-r gone.txt\n');
    await assert.rejects(readRequirementsFile(top), (e: unknown) => isPavedError(e, 'PAVED_E_NOT_FOUND') && /included from .*missing-include\.txt:2/.test(e.message));
  });

  it('handles CRLF, a BOM, a trailing backslash at the end of the file and refuses non-UTF-8', async () => {
    const crlf = await file('crlf.txt', '\uFEFFa==1\r\nb==2 \\\r\n')
    assert.deepEqual((await readRequirementsFile(crlf)).requirements.map((r) => [r.name, r.version, r.line]), [['a', '1', 1], ['b', '2', 2]]);
    const latin1 = join(dir, 'latin1.txt');
    await writeFile(latin1, Buffer.from([0x61, 0x3d, 0x3d, 0x31, 0x20, 0x23, 0xe9, 0x0a]));
    await assert.rejects(readRequirementsFile(latin1), (e: unknown) => isPavedError(e, 'PAVED_E_INVALID_REQUIREMENTS'));
  });

  it('a URL include is not downloaded, and an install must stop on it', async () => {
    const top = await file('url-include.txt', '-r https://example.invalid/reqs.txt\nz==1\n');
    const result = await readRequirementsFile(top);
    assert.deepEqual(result.requirements.map((r) => r.name), ['z']);
    assert.match(result.warnings[0]?.message ?? '', /including a file by URL is not supported/);
    assert.equal(result.warnings[0]?.fatal, true);
  });

  it("expands ${NAME} from the environment as pip does, leaving unset and lower-case names as written", async () => {
    const path = await file('vars.txt', '--extra-index-url https://${TOKEN}@host/simple/\npkg==${PKG_VERSION}\nother==${UNSET_VAR_X}\nlow==${lower}\n');
    const result = await readRequirementsFile(path, { env: { TOKEN: 'secret', PKG_VERSION: '1.2', lower: '9' } });
    assert.deepEqual(result.options.map((o) => [o.name, o.value]), [['--extra-index-url', 'https://secret@host/simple/']]);
    assert.deepEqual(result.requirements.map((r) => [r.name, r.version]), [['pkg', '1.2']]);
    assert.equal(result.warnings.filter((w) => w.fatal === true).length, 2, 'the unexpanded ${…} lines do not parse');
  });

  it('a relative --find-links folder beside the file is that folder, as pip reads it', async () => {
    await mkdir(join(dir, 'nested', 'wheels'), { recursive: true });
    const path = await file('nested/links.txt', '--find-links ./wheels\n-f elsewhere-that-does-not-exist\nz==1\n');
    const result = await readRequirementsFile(path);
    assert.deepEqual(result.options.map((o) => o.value), [join(dir, 'nested', 'wheels'), 'elsewhere-that-does-not-exist']);
  });

  it('reads a UTF-16 file by its byte-order mark', async () => {
    const text = 'idna==3.4\r\nrich==13.0\r\n';
    const le = join(dir, 'utf16le.txt');
    await writeFile(le, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    assert.deepEqual((await readRequirementsFile(le)).requirements.map((r) => `${r.name}==${r.version}`), ['idna==3.4', 'rich==13.0']);
    const be = join(dir, 'utf16be.txt');
    await writeFile(be, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]));
    assert.deepEqual((await readRequirementsFile(be)).requirements.map((r) => `${r.name}==${r.version}`), ['idna==3.4', 'rich==13.0']);
  });

  it('records the install options pip allows in a file', async () => {
    const path = await file('opts.txt', '--no-index\n--pre\n--require-hashes\n--prefer-binary\n-f ./wheels\nz==1\n');
    const result = await readRequirementsFile(path);
    assert.deepEqual(result.options.map((o) => o.name), ['--no-index', '--pre', '--require-hashes', '--prefer-binary', '-f']);
    assert.deepEqual(result.warnings, []);
  });
});
