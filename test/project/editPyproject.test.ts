import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPavedError } from '../../src/errors.js';
import { addRequirements, removeRequirements, type DependencyTarget } from '../../src/project/editPyproject.js';
import { parsePyproject } from '../../src/project/pyproject.js';

const PROJECT: DependencyTarget = { kind: 'project' };

/** A real-world-looking file: comments everywhere, mixed quotes, a marker with quotes, tool tables. */
const SERVICE = `# Acme billing service -- keep this header
[build-system]
requires = ["hatchling>=1.18"]  # pinned for reproducible builds
build-backend = "hatchling.build"

[project]
name = "acme-billing"
version = "2.3.0"
requires-python = ">=3.10"
dependencies = [
    # HTTP stack
    "requests>=2.31",  # keep in step with the platform
    'pydantic[email]~=2.5',
    "tomli; python_version < '3.11'",
    # "disabled-dep",
]

[project.urls]
Homepage = "https://acme.example/billing"

[dependency-groups]
test = ["pytest>=8", "coverage[toml]"]
dev = [
  {include-group = "test"},
  "ipython",
]

# Linters
[tool.ruff]
line-length = 100
select = ["E", "F"]  # the ] and # in strings: "x]#"
`;

describe('addRequirements', () => {
  const cases: { title: string; before: string; add: string[]; target?: DependencyTarget; after: string }[] = [
    {
      title: 'appends to a multi-line array with trailing commas, after a trailing comment line',
      before: SERVICE,
      add: ['httpx>=0.27'],
      after: SERVICE.replace(`    "tomli; python_version < '3.11'",\n`, `    "tomli; python_version < '3.11'",\n    "httpx>=0.27",\n`),
    },
    {
      title: 'replaces an entry with the same normalised name in place, keeping its quote style and comment',
      before: SERVICE,
      add: ['Requests[socks]>=2.32'],
      after: SERVICE.replace('"requests>=2.31",  # keep', '"Requests[socks]>=2.32",  # keep'),
    },
    {
      title: 'a literal-quoted entry is replaced with a literal string',
      before: SERVICE,
      add: ['pydantic>=2.7'],
      after: SERVICE.replace(`'pydantic[email]~=2.5'`, `'pydantic>=2.7'`),
    },
    {
      title: 'a requirement holding double quotes becomes a literal string',
      before: '[project]\nname = "a"\ndependencies = [\n    "x",\n]\n',
      add: ['tomli; python_version < "3.11"'],
      after: `[project]\nname = "a"\ndependencies = [\n    "x",\n    'tomli; python_version < "3.11"',\n]\n`,
    },
    {
      title: 'literal quote style of the array is kept for new entries',
      before: "[project]\nname = 'a'\ndependencies = ['x', 'y']\n",
      add: ['z>=1'],
      after: "[project]\nname = 'a'\ndependencies = ['x', 'y', 'z>=1']\n",
    },
    {
      title: 'single-line array stays single-line',
      before: '[project]\nname = "a"\ndependencies = ["x", "y"]  # why\n',
      add: ['z', 'w==1'],
      after: '[project]\nname = "a"\ndependencies = ["x", "y", "z", "w==1"]  # why\n',
    },
    {
      title: 'single-line array without spaces after commas',
      before: '[project]\nname = "a"\ndependencies = ["x","y"]\n',
      add: ['z'],
      after: '[project]\nname = "a"\ndependencies = ["x","y","z"]\n',
    },
    {
      title: 'empty single-line array',
      before: '[project]\nname = "a"\ndependencies = []\n',
      add: ['z'],
      after: '[project]\nname = "a"\ndependencies = ["z"]\n',
    },
    {
      title: 'multi-line array without a trailing comma keeps that convention',
      before: '[project]\nname = "a"\ndependencies = [\n  "x",\n  "y"  # last\n]\n',
      add: ['z'],
      after: '[project]\nname = "a"\ndependencies = [\n  "x",\n  "y",  # last\n  "z"\n]\n',
    },
    {
      title: 'closing bracket on the last element line',
      before: '[project]\nname = "a"\ndependencies = ["x",\n                "y"]\n',
      add: ['z'],
      after: '[project]\nname = "a"\ndependencies = ["x",\n                "y",\n                "z"]\n',
    },
    {
      title: 'empty multi-line array with only a comment',
      before: '[project]\nname = "a"\ndependencies = [\n    # nothing yet\n]\n',
      add: ['z'],
      after: '[project]\nname = "a"\ndependencies = [\n    # nothing yet\n    "z",\n]\n',
    },
    {
      title: 'CRLF line endings are kept',
      before: '[project]\r\nname = "a"\r\ndependencies = [\r\n    "x",  # c\r\n]\r\n',
      add: ['z'],
      after: '[project]\r\nname = "a"\r\ndependencies = [\r\n    "x",  # c\r\n    "z",\r\n]\r\n',
    },
    {
      title: 'creates dependencies at the end of [project] when missing',
      before: '[project]\nname = "a"\nversion = "1"  # v\n\n[tool.x]\ny = 1\n',
      add: ['z'],
      after: '[project]\nname = "a"\nversion = "1"  # v\ndependencies = [\n    "z",\n]\n\n[tool.x]\ny = 1\n',
    },
    {
      title: 'creates dependencies when [project] is the last table without a final newline',
      before: '[project]\nname = "a"',
      add: ['z'],
      after: '[project]\nname = "a"\ndependencies = [\n    "z",\n]\n',
    },
    {
      title: 'adds an extra to an existing [project.optional-dependencies] table',
      before: '[project]\nname = "a"\n\n[project.optional-dependencies]\ndocs = ["sphinx"]  # docs\n\n[tool.x]\n',
      add: ['psycopg>=3'],
      target: { kind: 'optional', extra: 'pg' },
      after: '[project]\nname = "a"\n\n[project.optional-dependencies]\ndocs = ["sphinx"]  # docs\npg = [\n    "psycopg>=3",\n]\n\n[tool.x]\n',
    },
    {
      title: 'adds to an existing extra matched by its normalised name',
      before: '[project]\nname = "a"\n[project.optional-dependencies]\nPostgres_Driver = ["psycopg"]\n',
      add: ['psycopg[binary]>=3'],
      target: { kind: 'optional', extra: 'postgres-driver' },
      after: '[project]\nname = "a"\n[project.optional-dependencies]\nPostgres_Driver = ["psycopg[binary]>=3"]\n',
    },
    {
      title: 'creates the [project.optional-dependencies] table after [project]',
      before: '[project]\nname = "a"\ndependencies = []\n\n[project.urls]\nx = "https://x"\n',
      add: ['sphinx'],
      target: { kind: 'optional', extra: 'docs' },
      after: '[project]\nname = "a"\ndependencies = []\n\n[project.optional-dependencies]\ndocs = [\n    "sphinx",\n]\n\n[project.urls]\nx = "https://x"\n',
    },
    {
      title: 'adds to a dependency group holding include tables',
      before: SERVICE,
      add: ['ruff'],
      target: { kind: 'group', group: 'dev' },
      after: SERVICE.replace('  "ipython",\n', '  "ipython",\n  "ruff",\n'),
    },
    {
      title: 'creates a group in an existing [dependency-groups] table',
      before: SERVICE,
      add: ['mypy'],
      target: { kind: 'group', group: 'lint' },
      after: SERVICE.replace('  "ipython",\n]\n', '  "ipython",\n]\nlint = [\n    "mypy",\n]\n'),
    },
    {
      title: 'creates [dependency-groups] before the first tool table and its comment',
      before: '[project]\nname = "a"\n\n# Linters\n[tool.ruff]\nx = 1\n',
      add: ['pytest'],
      target: { kind: 'group', group: 'dev' },
      after: '[project]\nname = "a"\n\n[dependency-groups]\ndev = [\n    "pytest",\n]\n\n# Linters\n[tool.ruff]\nx = 1\n',
    },
    {
      title: 'creates [dependency-groups] at the end of a file without tool tables (a virtual project)',
      before: '# just groups\n',
      add: ['pytest'],
      target: { kind: 'group', group: 'test' },
      after: '# just groups\n\n[dependency-groups]\ntest = [\n    "pytest",\n]\n',
    },
    {
      title: 'a group name with a dot is written as a quoted key',
      before: '',
      add: ['x'],
      target: { kind: 'group', group: 'py3.12' },
      after: '[dependency-groups]\n"py3.12" = [\n    "x",\n]\n',
    },
    {
      title: 'strings with ] and # inside quotes, and comments with brackets between items',
      before: '[project]\nname = "a"\ndependencies = [\n    "x @ https://e.example/x.whl#sha256=ab]",  # ] [ "\n    # a ] comment [\n    \'y; os_name == "#]"\',\n]\n',
      add: ['z'],
      after: '[project]\nname = "a"\ndependencies = [\n    "x @ https://e.example/x.whl#sha256=ab]",  # ] [ "\n    # a ] comment [\n    \'y; os_name == "#]"\',\n    "z",\n]\n',
    },
    {
      title: 'adding the same name twice in one call replaces the first addition',
      before: '[project]\nname = "a"\ndependencies = ["x"]\n',
      add: ['z', 'Z>=2'],
      after: '[project]\nname = "a"\ndependencies = ["x", "Z>=2"]\n',
    },
    {
      title: 'several entries of a name: the one with the same marker is replaced',
      before: `[project]\nname = "a"\ndependencies = [\n    "numpy<2; python_version < '3.9'",\n    "numpy>=2; python_version >= '3.9'",\n]\n`,
      add: [`numpy>=2.1; python_version >= "3.9"`],
      after: `[project]\nname = "a"\ndependencies = [\n    "numpy<2; python_version < '3.9'",\n    'numpy>=2.1; python_version >= "3.9"',\n]\n`,
    },
  ];
  for (const { title, before, add, target, after } of cases) {
    it(title, () => {
      const result = addRequirements(before, add, target ?? PROJECT, 'pyproject.toml');
      assert.equal(result.text, after);
      parsePyproject(result.text); // still valid
    });
  }

  it('reports which entries were added and which replaced', () => {
    const result = addRequirements(SERVICE, ['requests>=2.32', 'httpx'], PROJECT);
    assert.deepEqual(result.added, ['httpx']);
    assert.deepEqual(result.replaced, [{ from: 'requests>=2.31', to: 'requests>=2.32' }]);
    const parsed = parsePyproject(result.text);
    assert.deepEqual(parsed.project?.dependencies, ['requests>=2.32', 'pydantic[email]~=2.5', "tomli; python_version < '3.11'", 'httpx']);
  });

  it('leaves everything outside the edited array byte-identical', () => {
    const result = addRequirements(SERVICE, ['ruff'], { kind: 'group', group: 'test' });
    const start = SERVICE.indexOf('test = [');
    assert.equal(result.text.slice(0, start), SERVICE.slice(0, start));
    const tail = SERVICE.slice(SERVICE.indexOf('\ndev = ['));
    assert.ok(result.text.endsWith(tail));
    assert.equal(result.text.slice(start, result.text.length - tail.length), 'test = ["pytest>=8", "coverage[toml]", "ruff"]');
  });

  it('refuses an invalid requirement before changing anything', () => {
    assert.throws(() => addRequirements(SERVICE, ['ok', 'requests >='], PROJECT), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_REQUIREMENT'));
  });

  it('refuses an invalid group or extra name', () => {
    assert.throws(() => addRequirements(SERVICE, ['x'], { kind: 'group', group: 'a b' }), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_NAME'));
    assert.throws(() => addRequirements(SERVICE, ['x'], { kind: 'optional', extra: '-x' }), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_NAME'));
  });

  it('refuses project dependencies in a file without [project], pointing at groups', () => {
    assert.throws(
      () => addRequirements('[dependency-groups]\ndev = []\n', ['x'], PROJECT),
      (error: unknown) => isPavedError(error, 'PAVED_E_PYPROJECT_EDIT') && /no \[project\] table/.test(error.message) && /group/.test(error.hint ?? ''),
    );
  });

  it('refuses lists written inline where it cannot place entries', () => {
    assert.throws(
      () => addRequirements('project = { name = "a", dependencies = ["x"] }\n', ['y'], PROJECT),
      (error: unknown) => isPavedError(error, 'PAVED_E_PYPROJECT_EDIT') && /inline/.test(error.message),
    );
    assert.throws(
      () => addRequirements('[project]\nname = "a"\noptional-dependencies = { docs = ["x"] }\n', ['y'], { kind: 'optional', extra: 'pg' }),
      (error: unknown) => isPavedError(error, 'PAVED_E_PYPROJECT_EDIT'),
    );
  });

  it('refuses hostile input: oversized or deeply nested text', () => {
    assert.throws(() => addRequirements(`[project]\nname = "a"\n${'#'.repeat(17 * 1024 * 1024)}\n`, ['x'], PROJECT), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_PYPROJECT') && /larger than/.test(error.message));
    assert.throws(() => addRequirements(`[project]\nname = "a"\nx = ${'['.repeat(3000)}${']'.repeat(3000)}\n`, ['x'], PROJECT), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_PYPROJECT'));
  });

  it('refuses a malformed file with the parser error', () => {
    assert.throws(() => addRequirements('[project\nname = "a"\n', ['x'], PROJECT), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_PYPROJECT') && /line 1/.test(error.message));
    assert.throws(() => addRequirements('[project]\nname = "a"\ndependencies = "x"\n', ['x'], PROJECT), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_PYPROJECT'));
  });
});

describe('removeRequirements', () => {
  const cases: { title: string; before: string; remove: string[]; target?: DependencyTarget; after: string }[] = [
    {
      title: 'removes a whole line with its trailing comment from a multi-line array',
      before: SERVICE,
      remove: ['REQUESTS'],
      after: SERVICE.replace('    "requests>=2.31",  # keep in step with the platform\n', ''),
    },
    {
      title: 'removes a literal-quoted entry by normalised name',
      before: SERVICE,
      remove: ['Pydantic'],
      after: SERVICE.replace("    'pydantic[email]~=2.5',\n", ''),
    },
    {
      title: 'single-line: middle, keeping the separators right',
      before: '[project]\nname = "a"\ndependencies = ["x", "y", "z"]\n',
      remove: ['y'],
      after: '[project]\nname = "a"\ndependencies = ["x", "z"]\n',
    },
    {
      title: 'single-line: last',
      before: '[project]\nname = "a"\ndependencies = ["x", "y"]\n',
      remove: ['y'],
      after: '[project]\nname = "a"\ndependencies = ["x"]\n',
    },
    {
      title: 'single-line: last with a trailing comma keeps the comma convention',
      before: '[project]\nname = "a"\ndependencies = ["x", "y",]\n',
      remove: ['y'],
      after: '[project]\nname = "a"\ndependencies = ["x",]\n',
    },
    {
      title: 'single-line: the only entry',
      before: '[project]\nname = "a"\ndependencies = ["x"]\n',
      remove: ['x'],
      after: '[project]\nname = "a"\ndependencies = []\n',
    },
    {
      title: 'multi-line without trailing comma: the last entry drops the previous comma',
      before: '[project]\nname = "a"\ndependencies = [\n  "x",  # c\n  "y"\n]\n',
      remove: ['y'],
      after: '[project]\nname = "a"\ndependencies = [\n  "x"  # c\n]\n',
    },
    {
      title: 'every entry of the name (marker variants) goes',
      before: `[project]\nname = "a"\ndependencies = [\n    "numpy<2; python_version < '3.9'",\n    "attrs",\n    "numpy>=2; python_version >= '3.9'",\n]\n`,
      remove: ['numpy'],
      after: '[project]\nname = "a"\ndependencies = [\n    "attrs",\n]\n',
    },
    {
      title: 'from a dependency group next to include tables',
      before: SERVICE,
      remove: ['ipython'],
      target: { kind: 'group', group: 'DEV' },
      after: SERVICE.replace('  "ipython",\n', ''),
    },
    {
      title: 'from an extra',
      before: '[project]\nname = "a"\n[project.optional-dependencies]\ndocs = ["sphinx", "furo"]\n',
      remove: ['sphinx'],
      target: { kind: 'optional', extra: 'Docs' },
      after: '[project]\nname = "a"\n[project.optional-dependencies]\ndocs = ["furo"]\n',
    },
    {
      title: 'CRLF',
      before: '[project]\r\nname = "a"\r\ndependencies = [\r\n    "x",\r\n    "y",  # c\r\n]\r\n',
      remove: ['y'],
      after: '[project]\r\nname = "a"\r\ndependencies = [\r\n    "x",\r\n]\r\n',
    },
  ];
  for (const { title, before, remove, target, after } of cases) {
    it(title, () => {
      const result = removeRequirements(before, remove, target ?? PROJECT);
      assert.equal(result.text, after);
    });
  }

  it('reports the removed entries as written', () => {
    const result = removeRequirements(SERVICE, ['tomli', 'requests'], PROJECT);
    assert.deepEqual(result.removed, ["tomli; python_version < '3.11'", 'requests>=2.31']);
    assert.deepEqual(parsePyproject(result.text).project?.dependencies, ['pydantic[email]~=2.5']);
  });

  it('a name that is not there is PAVED_E_NOT_A_DEPENDENCY listing what is', () => {
    assert.throws(
      () => removeRequirements(SERVICE, ['flask'], PROJECT, 'app/pyproject.toml'),
      (error: unknown) =>
        isPavedError(error, 'PAVED_E_NOT_A_DEPENDENCY') &&
        /flask is not in the project dependencies of app\/pyproject\.toml/.test(error.message) &&
        error.hint === 'project.dependencies lists: requests, pydantic, tomli.',
    );
    assert.throws(
      () => removeRequirements(SERVICE, ['x'], { kind: 'group', group: 'docs' }),
      (error: unknown) => isPavedError(error, 'PAVED_E_NOT_A_DEPENDENCY') && /empty or missing/.test(error.hint ?? ''),
    );
    // Include tables are not names to remove.
    assert.throws(() => removeRequirements(SERVICE, ['test'], { kind: 'group', group: 'dev' }), (error: unknown) => isPavedError(error, 'PAVED_E_NOT_A_DEPENDENCY'));
  });

  it('a missing name among present ones fails before anything is removed, and the hint lists the file as it is', () => {
    // The hint once described the list after ipython had been taken out in memory ("empty or missing").
    assert.throws(
      () => removeRequirements(SERVICE, ['ipython', 'nonexistent'], { kind: 'group', group: 'dev' }),
      (error: unknown) =>
        isPavedError(error, 'PAVED_E_NOT_A_DEPENDENCY') &&
        /^nonexistent is not in /.test(error.message) &&
        error.hint === 'dependency-groups.dev lists: ipython.',
    );
    assert.throws(
      () => removeRequirements(SERVICE, ['requests', 'flask', 'tomli', 'django'], PROJECT),
      (error: unknown) => isPavedError(error, 'PAVED_E_NOT_A_DEPENDENCY') && /^flask, django are not in /.test(error.message) && error.hint === 'project.dependencies lists: requests, pydantic, tomli.',
    );
    // A name given twice is removed once, not refused the second time.
    assert.deepEqual(removeRequirements(SERVICE, ['ipython', 'IPython'], { kind: 'group', group: 'dev' }).removed, ['ipython']);
  });

  it('an invalid name is refused', () => {
    assert.throws(() => removeRequirements(SERVICE, ['requests>=2'], PROJECT), (error: unknown) => isPavedError(error, 'PAVED_E_INVALID_NAME'));
  });

  it('add then remove gives back the original file', () => {
    for (const target of [PROJECT, { kind: 'group', group: 'test' } as const, { kind: 'group', group: 'dev' } as const]) {
      const added = addRequirements(SERVICE, ['brand-new>=1'], target).text;
      assert.equal(removeRequirements(added, ['brand_new'], target).text, SERVICE);
    }
  });
});

describe('add/remove sequences (seeded random)', () => {
  const layouts = [
    '[project]\nname = "a"\ndependencies = ["x", "y"]  # c\n\n[tool.z]\nk = "]"\n',
    '[project]\nname = "a"\ndependencies = [\n    "x",  # one\n    # gap ]\n    \'y\',\n]\n[tool.z]\nk = 1\n',
    '[project]\nname = "a"\ndependencies = [\n  "x",\n  "y"\n]\n[tool.z]\nk = 1\n',
    '[project]\r\nname = "a"\r\ndependencies = [\r\n    "x",\r\n]\r\n[tool.z]\r\nk = 1\r\n',
    '[project]\nname = "a"\ndependencies = ["x",\n                "y"]\n[tool.z]\nk = 1\n',
    '[project]\nname = "a"\ndependencies = []\n[tool.z]\nk = 1\n',
  ];
  const names = ['x', 'y', 'z', 'w', 'Long_Name.pkg'];
  const specs = ['', '>=1', '[extra]==2', "; os_name == 'nt'", ' ; python_version < "3.12"'];

  it('keeps the file valid, the list as intended and the text outside the array unchanged', () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (const layout of layouts) {
      let text = layout;
      const head = layout.slice(0, layout.indexOf('dependencies = ['));
      const tail = layout.slice(layout.indexOf('[tool.z]'));
      for (let step = 0; step < 40; step++) {
        const name = names[random(names.length)] as string;
        const current = parsePyproject(text).project?.dependencies ?? [];
        if (random(2) === 0) {
          text = addRequirements(text, [`${name}${specs[random(specs.length)] as string}`], PROJECT).text;
        } else if (current.some((entry) => entry.toLowerCase().replace(/[-_.]+/g, '-').startsWith(name.toLowerCase().replace(/[-_.]+/g, '-')))) {
          text = removeRequirements(text, [name], PROJECT).text;
        } else {
          assert.throws(() => removeRequirements(text, [name], PROJECT), (error: unknown) => isPavedError(error, 'PAVED_E_NOT_A_DEPENDENCY'));
        }
        assert.ok(text.startsWith(head), `head unchanged at step ${step}`);
        assert.ok(text.endsWith(tail), `tail unchanged at step ${step}:\n${text}`);
      }
    }
  });
});
