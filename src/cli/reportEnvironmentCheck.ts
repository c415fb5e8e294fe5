/**
 * The environment check every installing command runs when it is done (`paved install`,
 * `paved sync`): paved's own `pip check` on the environment, each problem shown as a warning and
 * returned for the `--json` result. A check that cannot run never fails the install that
 * succeeded; it says so instead.
 */
import { openVenv } from '../installer/createVenv.js';
import { checkEnvironment, describeEnvironmentProblem, findEnvironmentProblems, type EnvironmentProblem, type KnownEnvironment } from '../installer/checkEnvironment.js';
import { parseRequirement } from '../standards/requirement.js';
import type { Reporter } from './reporter.js';

/** Options for `checkInstalledEnvironment`. */
export interface CheckInstalledEnvironmentOptions {
  /** The global cache (the interpreter's inspection is cached there). */
  cacheDir: string;
  /** Requirement lines the user asked for: the extras they name are checked as well. */
  requirements?: readonly string[];
  /** The environment as the install that just changed it knows it: checked without reading it again. */
  known?: KnownEnvironment;
}

/** The extras named by requirement lines, by project (lines that are not PEP 508, such as wheel paths, name none). */
export function requestedExtras(requirements: readonly string[]): Map<string, string[]> {
  const extras = new Map<string, string[]>();
  for (const line of requirements) {
    try {
      const parsed = parseRequirement(line);
      if (parsed.extras.length > 0) extras.set(parsed.name, [...(extras.get(parsed.name) ?? []), ...parsed.extras]);
    } catch {
      // A wheel path or URL line: its extras, if any, are not known here.
    }
  }
  return extras;
}

/** Checks the environment at `venvDir`, warns about each problem, and returns them for the result. */
export async function checkInstalledEnvironment(venvDir: string, reporter: Reporter, options: CheckInstalledEnvironmentOptions): Promise<EnvironmentProblem[]> {
  try {
    const extras = requestedExtras(options.requirements ?? []);
    const extrasOption = extras.size === 0 ? {} : { extras };
    let check: { problems: EnvironmentProblem[] };
    if (options.known !== undefined) check = findEnvironmentProblems(options.known.distributions, options.known.markerEnvironment, extrasOption);
    else {
      const venv = await openVenv(venvDir, { cacheDir: options.cacheDir });
      check = await checkEnvironment({ root: venv.root, markerEnvironment: venv.interpreter.markerEnvironment, ...extrasOption });
    }
    for (const problem of check.problems) reporter.warn(describeEnvironmentProblem(problem), { problem });
    return check.problems;
  } catch (error) {
    reporter.warn(`could not check the installed requirements of ${venvDir}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return [];
  }
}
