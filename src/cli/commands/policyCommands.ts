import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { PavedError } from '../../errors.js';
import type { FileExplanation } from '../../index/admin/policyOperations.js';
import { runWithAdminTarget } from '../runCommand.js';

function renderFindings(file: FileExplanation): string[] {
  const lines: string[] = [];
  for (const f of file.findings) {
    const where = f.file === null ? '' : ` [${f.file}${f.line === null ? '' : `:${f.line}`}]`;
    lines.push(`    ${f.action.padEnd(10)} ${f.rule}: ${f.message}${where}`);
  }
  if (file.pending.length > 0) lines.push(`    (not judged yet: ${file.pending.join(', ')} — the file was not fetched and scanned)`);
  return lines;
}

function renderExplanations(files: FileExplanation[], withProject = false): string {
  if (files.length === 0) return 'nothing to show';
  const out: string[] = [];
  for (const file of files) {
    const state = file.action === 'quarantine' && file.until !== null ? `quarantine until ${file.until}` : file.action;
    const project = withProject && 'project' in file ? `${(file as FileExplanation & { project: string }).project} ` : '';
    out.push(`${state.toUpperCase()}  ${project}${file.filename}  (${file.index}${file.approvedBy === null ? '' : `, decided by ${file.approvedBy}`})`);
    out.push(...renderFindings(file));
  }
  return out.join('\n');
}

export function registerPolicyCommands(program: Command): void {
  const group = program.command('policy').description("an index's vetting policy: set, show, explain verdicts, the quarantine queue, approve or block");

  group
    .command('set <owner/name> <file>')
    .description('attach a policy file (TOML or YAML, see docs/policy.md); versioned and audited')
    .action((index: string, file: string, _flags: unknown, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (error) {
          throw new PavedError('PAVED_E_NOT_FOUND', `cannot read ${file}: ${(error as Error).message}`);
        }
        const info = await target.setPolicy(index, { text, filename: file });
        reporter.result(info, () => `policy version ${info.version} (${info.format}) now in force on ${info.index}`);
      }),
    );

  group
    .command('show <owner/name>')
    .description('print the policy in force (or --policy-version N); the default policy when none was set')
    // Not --version: the program's own --version would answer first and print paved's version.
    .option('--policy-version <n>', 'an earlier version of the policy')
    .action((index: string, flags: { policyVersion?: string }, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const version = flags.policyVersion === undefined ? undefined : Number(flags.policyVersion);
        if (version !== undefined && !Number.isInteger(version)) throw new PavedError('PAVED_E_INVALID_ARGUMENT', '--policy-version must be a whole number');
        const info = await target.showPolicy(index, version);
        reporter.result(info, () => `${info.version === null ? '# no policy file set: the default policy applies\n' : `# version ${info.version} by ${info.author} at ${info.createdAt}\n`}${info.text}`);
      }),
    );

  group
    .command('explain <owner/name> <project> [version]')
    .description('why each file of a project is allowed, quarantined or blocked')
    .action((index: string, project: string, version: string | undefined, _flags: unknown, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const files = await target.explain(index, project, version);
        reporter.result(files, () => renderExplanations(files));
      }),
    );

  group
    .command('queue [owner/name]')
    .description('files held now (quarantined or blocked), with the findings')
    .action((index: string | undefined, _flags: unknown, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const files = await target.queue(index);
        reporter.result(files, () => (files.length === 0 ? 'the queue is empty' : renderExplanations(files, true)));
      }),
    );

  for (const action of ['approve', 'block'] as const) {
    group
      .command(`${action} <owner/name> <project> [version]`)
      .description(action === 'approve' ? 'let a project, release (or --file) through despite its findings; needs --reason' : 'keep a project, release (or --file) out whatever else says; needs --reason')
      .option('--file <filename>', 'only this file')
      .requiredOption('--reason <text>', 'why (goes to the audit log)')
      .action((index: string, project: string, version: string | undefined, flags: { file?: string; reason: string }, cmd: Command) =>
        runWithAdminTarget(cmd, async (target, reporter) => {
          const decided = await target.decide({
            index,
            project,
            ...(version === undefined ? {} : { version }),
            ...(flags.file === undefined ? {} : { filename: flags.file }),
            action: action === 'approve' ? 'allow' : 'block',
            reason: flags.reason,
          });
          const what = flags.file ?? (version === undefined ? project : `${project} ${version}`);
          reporter.result(decided, () => `${action === 'approve' ? 'approved' : 'blocked'} ${what} on ${index} (decision ${decided.id})`);
        }),
      );
  }

  program
    .command('audit-log')
    .description('the append-only audit log: who did what, when, why (newest first)')
    .option('--index <owner/name>', 'only this index')
    .option('--project <name>', 'only this project')
    .option('--actor <name>', 'only this actor')
    .option('--action <action>', 'only this action (e.g. policy.approve, mirror.quarantine, upload.block)')
    .option('--since <iso-time>', 'entries at or after this time')
    .option('--limit <n>', 'at most this many', '100')
    .action((flags: { index?: string; project?: string; actor?: string; action?: string; since?: string; limit: string }, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new PavedError('PAVED_E_INVALID_ARGUMENT', '--limit must be a positive whole number');
        const entries = await target.auditLog({
          limit,
          ...(flags.index === undefined ? {} : { index: flags.index }),
          ...(flags.project === undefined ? {} : { project: flags.project }),
          ...(flags.actor === undefined ? {} : { actor: flags.actor }),
          ...(flags.action === undefined ? {} : { action: flags.action }),
          ...(flags.since === undefined ? {} : { since: flags.since }),
        });
        reporter.result(entries, () =>
          entries.map((e) => `${e.at}  ${e.actor}  ${e.action}  ${[e.index, e.project, e.version, e.filename].filter((x) => x !== null).join(' ')}${e.reason === null ? '' : `  — ${e.reason}`}`).join('\n'),
        );
      }),
    );
}
