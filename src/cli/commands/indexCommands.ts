import type { Command } from 'commander';
import { PavedError } from '../../errors.js';
import type { IndexSettingsPatch } from '../../index/admin/adminOperations.js';
import { runWithAdminTarget } from '../runCommand.js';

const list = (v: string) => v.split(',').map((s) => s.trim()).filter((s) => s !== '');

export function registerIndexCommands(program: Command): void {
  const group = program.command('index').description('create, list, change and delete indexes');

  group
    .command('create <owner/name>')
    .description('create a private index (or a vetted mirror with --mirror); --bases makes it inherit other indexes (own releases first)')
    .option('--bases <a/b,c/d>', 'indexes to inherit from, in priority order', list, [])
    .option('--mirror <url>', 'mirror this upstream simple/ index (https://… or file:///…/simple/) through the policy')
    .option('--ttl <seconds>', 'mirror: how long an upstream page is trusted before revalidation', '600')
    .option('--reserve <prefix,…>', 'name prefixes (e.g. acme-) that never come from a mirror in chains through this index', list)
    .option('--merge <name,…>', 'names this index holds that may still merge with mirror releases', list)
    .option('--read-only', 'refuse uploads')
    .option('--private-read', 'require a read token (no anonymous reads)')
    .action((path: string, flags: { bases: string[]; mirror?: string; ttl: string; reserve?: string[]; merge?: string[]; readOnly?: boolean; privateRead?: boolean }, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const ttl = Number(flags.ttl);
        if (!Number.isInteger(ttl) || ttl < 0) throw new PavedError('PAVED_E_INVALID_ARGUMENT', '--ttl must be a whole number of seconds');
        const info = await target.createIndex({
          path,
          bases: flags.bases,
          readOnly: flags.readOnly === true,
          anonymousRead: flags.privateRead !== true,
          ...(flags.mirror === undefined ? {} : { mirror: flags.mirror, mirrorTtlSeconds: ttl }),
          ...(flags.reserve === undefined ? {} : { reservedPrefixes: flags.reserve }),
          ...(flags.merge === undefined ? {} : { mergeNames: flags.merge }),
        });
        reporter.result(info, () => `created ${info.kind === 'mirror' ? `mirror ${info.path} of ${info.mirrorUrl}` : `index ${info.path}`}${info.bases.length ? ` (bases: ${info.bases.join(', ')})` : ''}`);
      }),
    );

  group
    .command('list')
    .description('list indexes')
    .action((_flags: unknown, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const indexes = await target.listIndexes();
        reporter.result(indexes, () =>
          indexes.map((i) => `${i.path}\t${i.kind}${i.mirrorUrl === null ? '' : ` of ${i.mirrorUrl}`}${i.readOnly && i.kind !== 'mirror' ? ' read-only' : ''}${i.anonymousRead ? '' : ' private-read'}${i.bases.length ? `\tbases: ${i.bases.join(', ')}` : ''}`).join('\n'),
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
    .option('--reserve <prefix,…>', 'replace the reserved name prefixes (empty string for none)', list)
    .option('--merge <name,…>', 'replace the names allowed to merge with mirror releases', list)
    .option('--mirror <url>', 'change the upstream of a mirror')
    .option('--ttl <seconds>', 'mirror page TTL')
    .action((path: string, flags: { bases?: string[]; readOnly?: boolean; writable?: boolean; privateRead?: boolean; publicRead?: boolean; reserve?: string[]; merge?: string[]; mirror?: string; ttl?: string }, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const patch: IndexSettingsPatch = {};
        if (flags.reserve !== undefined) patch.reservedPrefixes = flags.reserve;
        if (flags.merge !== undefined) patch.mergeNames = flags.merge;
        if (flags.mirror !== undefined) patch.mirror = flags.mirror;
        if (flags.ttl !== undefined) {
          patch.mirrorTtlSeconds = Number(flags.ttl);
          if (!Number.isInteger(patch.mirrorTtlSeconds)) throw new PavedError('PAVED_E_INVALID_ARGUMENT', '--ttl must be a whole number of seconds');
        }
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
