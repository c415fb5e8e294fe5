/**
 * `paved check`: paved's `pip check` (and `uv pip check`). Says whether every distribution
 * installed in an environment has what its requirements ask for, installed at a version they
 * admit. Exit code 0 clean, 1 when there are problems, 2 when the environment cannot be checked.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PavedError } from '../../errors.js';
import { checkEnvironment, describeEnvironmentProblem } from '../../installer/checkEnvironment.js';
import { openVenv } from '../../installer/createVenv.js';
import { resolveClientConfig } from '../../project/clientConfig.js';
import { findProjectRoot } from '../../project/pyproject.js';
import { shownPath } from '../installProgress.js';
import { runCommand } from '../runCommand.js';

interface CheckFlags {
  targetVenv?: string;
  project?: string;
  cacheDir?: string;
}

/** The environment to check: `--target-venv`, the `.venv` of `--project` or of the project around the working directory, else `./.venv`. */
async function environmentToCheck(flags: CheckFlags): Promise<string> {
  if (flags.targetVenv !== undefined && flags.project !== undefined) {
    throw new PavedError('PAVED_E_INVALID_ARGUMENT', '--target-venv and --project both name an environment', { hint: 'Give one of them.' });
  }
  if (flags.targetVenv !== undefined) return resolve(flags.targetVenv);
  const start = flags.project === undefined ? process.cwd() : resolve(flags.project);
  const root = await findProjectRoot(start);
  if (root === null && flags.project !== undefined) {
    throw new PavedError('PAVED_E_NO_PROJECT', `no pyproject.toml in ${start} or any folder above it`, { hint: 'Give --project the project directory, or --target-venv the environment.' });
  }
  return join(root ?? process.cwd(), '.venv');
}

/** Registers `paved check`. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description("verify that every installed distribution's requirements are met in a virtual environment (pip check); exit 1 when some are not")
    .option('--target-venv <dir>', 'the environment to check (default: the .venv of the project around the working directory, else ./.venv)')
    .option('--project <dir>', "check this project's .venv")
    .option('--cache-dir <dir>', 'global cache, where the interpreter inspection is kept (env PAVED_CACHE_DIR)')
    .action((flags: CheckFlags, cmd: Command) =>
      runCommand(cmd, async (global, reporter) => {
        let check;
        try {
          const dir = await environmentToCheck(flags);
          const config = await resolveClientConfig({ flags: flags.cacheDir === undefined ? {} : { cacheDir: flags.cacheDir }, env: process.env, project: null, home: homedir() });
          const venv = await openVenv(dir, { cacheDir: config.cacheDir });
          check = await checkEnvironment({ root: venv.root, markerEnvironment: venv.interpreter.markerEnvironment });
        } catch (error) {
          // 2, not 1: a script must tell "could not check" from "found problems".
          reporter.failure(error, global.verbose);
          process.exitCode = 2;
          return;
        }
        for (const warning of check.warnings) reporter.warn(warning);
        const { problems } = check;
        reporter.result({ venv: check.root, checked: check.checked, problems, warnings: check.warnings }, () =>
          problems.length === 0
            ? `no broken requirements in ${shownPath(check.root)} (${check.checked} distributions)`
            : [...problems.map(describeEnvironmentProblem), `${problems.length} broken requirement${problems.length === 1 ? '' : 's'} in ${shownPath(check.root)} (${check.checked} distributions)`].join('\n'),
        );
        if (problems.length > 0) process.exitCode = 1;
      }),
    );
}
