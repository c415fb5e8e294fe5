/**
 * The shape every rule family shares. A rule looks at one Python source file knowing *where* it
 * runs, because the same call means different things in different places: `requests.get` in a
 * library module is the library's job; in `setup.py` or a `.pth` file it runs on every machine
 * that installs the package, before anyone has looked at it.
 */
import type { FindingSeverity } from '../findings.js';
import type { PythonSource } from '../pythonSource.js';

/**
 * When code in a distribution runs:
 * - `install`: during installation or at every interpreter start, with no import by the user
 *   (an sdist's `setup.py`, an in-tree build back-end, the `import` lines of a `.pth` file);
 * - `import`: as soon as the package is imported, or when an installed script runs (a top-level
 *   package's `__init__.py`, `.data/scripts/*`);
 * - `module`: any other module, which runs only when the user's code calls it.
 */
export type CodeContext = 'install' | 'import' | 'module';

/** One Python file handed to the rules. */
export interface SourceUnderScan {
  /** Member path inside the archive. */
  path: string;
  context: CodeContext;
  /** The code as a rule should see it (for a `.pth`, only its `import` lines), for quick pre-checks. */
  text: string;
  source: PythonSource;
}

/**
 * Whether a rule may skip a file because none of its trigger words appear in it. Never when the
 * file spells text with escapes (`\x68ttp`), which the trigger words would not see.
 */
export function lacksTriggers(file: SourceUnderScan, triggers: RegExp): boolean {
  if (file.text.includes('\\x') || file.text.includes('\\u') || /\\[0-7]{3}/.test(file.text)) return false;
  return !triggers.test(file.text);
}

/**
 * One rule match. A null severity is a signal only: it is not reported by itself, but other
 * rules combine it (a network call in a library module says nothing; next to a credential read
 * in the same install script it does).
 */
export interface RuleHit {
  rule: string;
  severity: FindingSeverity | null;
  line: number;
  message: string;
}

/** A rule family's function over one source file. */
export type SourceRule = (file: SourceUnderScan) => RuleHit[];

/** A severity for each context. */
export type SeverityByContext = Readonly<Record<CodeContext, FindingSeverity | null>>;

/**
 * The closest pair of lines, one from each list, no more than `window` lines apart; null when
 * none is. Used where a whole file is too big a scope to tie two signals together (a package's
 * `__init__.py` may download in one function and start a process in an unrelated one).
 */
export function nearestPair(a: readonly number[], b: readonly number[], window: number): [number, number] | null {
  let best: [number, number] | null = null;
  for (const x of a) {
    for (const y of b) {
      const distance = Math.abs(x - y);
      if (distance <= window && (best === null || distance < Math.abs(best[0] - best[1]))) best = [x, y];
    }
  }
  return best;
}

/** How many lines apart two signals may be in import-time code and still be read as one act. */
export const IMPORT_TIME_WINDOW = 12;

/** Where a code context is described in messages. */
export function describeContext(context: CodeContext): string {
  if (context === 'install') return 'in install-time code';
  if (context === 'import') return 'in import-time code';
  return 'in module code';
}
