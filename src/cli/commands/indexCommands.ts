import type { Command } from 'commander';
import { runWithAdminTarget } from '../runCommand.js';

const list = (v: string) => v.split(',').map((s) => s.trim()).filter((s) => s !== '');

export function registerIndexCommands(program: Command): void {
  const group = program.command('index').description('create, list, change and delete indexes');

  group
    .command('create <owner/name>')
    .description('create a private index; --bases makes it inherit other indexes (own releases first)')
    .option('--bases <a/b,c/d>', 'indexes to inherit from, in priority order', list, [])
    .option('--read-only', 'refuse uploads')
    .option('--private-read', 'require a read token (no anonymous reads)')
    .action((path: string, flags: { bases: string[]; readOnly?: boolean; privateRead?: boolean }, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const info = await target.createIndex({ path, bases: flags.bases, readOnly: flags.readOnly === true, anonymousRead: flags.privateRead !== true });
        reporter.result(info, () => `created index ${info.path}${info.bases.length ? ` (bases: ${info.bases.join(', ')})` : ''}`);
      }),
    );

  group
    .command('list')
    .description('list indexes')
    .action((_flags: unknown, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const indexes = await target.listIndexes();
        reporter.result(indexes, () =>
          indexes.map((i) => `${i.path}\t${i.kind}${i.readOnly ? ' read-only' : ''}${i.anonymousRead ? '' : ' private-read'}${i.bases.length ? `\tbases: ${i.bases.join(', ')}` : ''}`).join('\n'),
        );
      }),
    );

  group
    .command('update <owner/name>')
    .description('change an index: bases, read-only, anonymous read')
    .option('--bases <a/b,c/d>', 'replace the bases (empty string for none)', list)
    .option('--read-only', 'refuse uploads')
    .option('--writable', 'accept uploads')
    .option('--private-read', 'require a read token')
    .option('--public-read', 'allow anonymous reads')
    .action((path: string, flags: { bases?: string[]; readOnly?: boolean; writable?: boolean; privateRead?: boolean; publicRead?: boolean }, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const patch: { bases?: string[]; readOnly?: boolean; anonymousRead?: boolean } = {};
        if (flags.bases !== undefined) patch.bases = flags.bases;
        if (flags.readOnly === true) patch.readOnly = true;
        if (flags.writable === true) patch.readOnly = false;
        if (flags.privateRead === true) patch.anonymousRead = false;
        if (flags.publicRead === true) patch.anonymousRead = true;
        const info = await target.updateIndex(path, patch);
        reporter.result(info, () => `updated index ${info.path}`);
      }),
    );

  group
    .command('delete <owner/name>')
    .description('delete an index and its file records')
    .action((path: string, _flags: unknown, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        await target.deleteIndex(path);
        reporter.result({ deleted: path }, () => `deleted index ${path}`);
      }),
    );
}
