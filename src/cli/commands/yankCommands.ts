import type { Command } from 'commander';
import { runWithAdminTarget } from '../runCommand.js';

export function registerYankCommands(program: Command): void {
  for (const yanked of [true, false]) {
    const verb = yanked ? 'yank' : 'unyank';
    program
      .command(`${verb} <owner/name> <project> [version]`)
      .description(yanked ? 'yank a release (or one file with --file): pip skips it unless pinned exactly (PEP 592)' : 'undo a yank')
      .option('--file <filename>', 'only this file')
      .option('--reason <text>', 'why (shown to pip users)')
      .action((index: string, project: string, version: string | undefined, flags: { file?: string; reason?: string }, cmd: Command) =>
        runWithAdminTarget(cmd, async (target, reporter) => {
          const files = await target.setYanked({
            index,
            project,
            ...(version === undefined ? {} : { version }),
            ...(flags.file === undefined ? {} : { filename: flags.file }),
            yanked,
            reason: flags.reason ?? null,
          });
          reporter.result(files, () => files.map((f) => `${verb}ed ${f.filename}`).join('\n'));
        }),
      );
  }
}
