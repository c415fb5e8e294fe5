/**
 * `paved run`: a program in the project's synced environment, or a Python script with PEP 723
 * metadata in its own cached environment.
 *
 * Run many times a day, so it starts light: this module loads neither the resolver nor the
 * installer nor the index client. When the environment's sync stamp (`syncStamp.ts`) shows that
 * nothing a sync depends on has changed since the last one (the lock, pyproject.toml and the
 * project's other build inputs, the extras and groups asked for, the environment's interpreter,
 * site-packages and bin), the program starts at once; otherwise the project commands are loaded
 * and the environment is synced first, as `paved sync` would.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PavedError } from '../../errors.js';
import { findProjectRoot } from '../../project/pyproject.js';
import { readScriptMetadata } from '../../project/scriptMetadata.js';
import { syncIsCurrent } from '../../project/syncStamp.js';
import { shownPath } from '../installProgress.js';
import { runCommand } from '../runCommand.js';
import { openProject, runIn, syncStampInputs, withProjectOptions, withSyncOptions, type SyncFlags } from './projectOptions.js';

/**
 * How the environment was made ready: `ran` a sync (or made a script environment), found it
 * `unchanged` since its last sync, or `off` (`--no-sync`, or a bare interpreter for a script).
 */
type RunSync = 'ran' | 'unchanged' | 'off';

/** Registers `paved run`. */
export function registerRunCommand(program: Command): void {
  withSyncOptions(withProjectOptions(program.command('run').description('run a command in the synced project environment, or a script with PEP 723 metadata in its own cached environment')))
    .argument('<command...>', "the program and its arguments: everything after the program is its own, options too (paved's options go before it)")
    .option('--no-sync', 'run in .venv as it is')
    .addHelpText('after', `
Everything after the program is passed to it: \`paved run script.py -v --python 3.11\` gives the script
"-v --python 3.11". paved's options go before the program (or before \`--\`).
The environment is synced first, unless nothing a sync depends on changed since the last sync (the
lock, pyproject.toml, the extras and groups asked for, .venv's interpreter and installed files).
Standard output is the program's alone: paved's own messages, and with --json its NDJSON events and the
last line, {"type":"result","data":{"command":[...],"exitCode":N,"environment":".venv or null","sync":"ran|unchanged|off"}},
go to standard error. paved exits with the program's exit code.`)
    .action((command: string[], flags: SyncFlags & { sync?: boolean }, cmd: Command) =>
      runCommand(
        cmd,
        async (global, reporter) => {
          // environment: the .venv or script environment it ran in; null for a script without metadata outside a project (a bare interpreter).
          const finish = (exitCode: number, environment: string | null, ran: string[], sync: RunSync): void => {
            process.exitCode = exitCode;
            reporter.result({ command: ran, exitCode, environment, sync }, () => '');
          };
          const [program0, ...args] = command as [string, ...string[]];
          const scriptPath = resolve(program0);
          const isScript = program0.endsWith('.py') && existsSync(scriptPath);
          const metadata = isScript ? await readScriptMetadata(scriptPath) : null;
          const root = await findProjectRoot(flags.project === undefined ? process.cwd() : resolve(flags.project));
          if (metadata !== null || (isScript && root === null)) {
            // A script with its own metadata runs in its own environment, whatever project it sits in.
            const { scriptEnvironmentFor } = await import('./projectCommands.js');
            const { python, environment } = await scriptEnvironmentFor(metadata, flags, global, reporter);
            finish(await runIn(null, python, [scriptPath, ...args]), environment, [python, scriptPath, ...args], environment === null ? 'off' : 'ran');
            return;
          }
          const project = await openProject(flags, reporter, root ?? undefined);
          let sync: RunSync = 'off';
          if (flags.sync !== false) {
            if (await syncIsCurrent(syncStampInputs(project, flags))) sync = 'unchanged';
            else {
              const { syncForRun } = await import('./projectCommands.js');
              await syncForRun(project, flags, global, reporter);
              sync = 'ran';
            }
          } else if (!existsSync(join(project.venvDir, 'pyvenv.cfg'))) {
            throw new PavedError('PAVED_E_NO_VENV', `${shownPath(project.venvDir)} does not exist and --no-sync does not create it`, { hint: 'Run `paved sync` first.' });
          }
          const executable = isScript ? join(project.venvDir, 'bin', 'python') : program0;
          const argv = isScript ? [scriptPath, ...args] : args;
          finish(await runIn(project.venvDir, executable, argv), project.venvDir, [executable, ...argv], sync);
        },
        { reportTo: 'stderr' },
      ),
    );
}
