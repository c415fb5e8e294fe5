import type { Command } from 'commander';
import { PavedError } from '../../errors.js';
import { runWithAdminTarget } from '../runCommand.js';

async function readStdinPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new PavedError('PAVED_E_INVALID_PASSWORD', 'no password on standard input');
  return text;
}

export function registerUserCommands(program: Command): void {
  const group = program.command('user').description('users: create, list, update, delete');

  group
    .command('create <name>')
    .description('create a user (token-only unless --password-stdin)')
    .option('--admin', 'may administer everything')
    .option('--password-stdin', 'read a password from standard input (for basic auth)')
    .action((name: string, flags: { admin?: boolean; passwordStdin?: boolean }, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const password = flags.passwordStdin === true ? await readStdinPassword() : null;
        const info = await target.createUser({ name, password, isAdmin: flags.admin === true });
        reporter.result(info, () => `created user ${info.name}${info.isAdmin ? ' (admin)' : ''}`);
      }),
    );

  group
    .command('list')
    .description('list users')
    .action((_flags: unknown, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const users = await target.listUsers();
        reporter.result(users, () => users.map((u) => `${u.name}${u.isAdmin ? '\tadmin' : ''}${u.hasPassword ? '\tpassword' : ''}`).join('\n'));
      }),
    );

  group
    .command('update <name>')
    .description('change a user: --admin/--no-admin, --password-stdin, --remove-password')
    .option('--admin', 'make admin')
    .option('--no-admin', 'remove admin')
    .option('--password-stdin', 'set the password from standard input')
    .option('--remove-password', 'token-only from now on')
    .action((name: string, flags: { admin?: boolean; passwordStdin?: boolean; removePassword?: boolean }, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const patch: { password?: string | null; isAdmin?: boolean } = {};
        if (flags.admin !== undefined && cmd.getOptionValueSource('admin') === 'cli') patch.isAdmin = flags.admin;
        if (flags.passwordStdin === true) patch.password = await readStdinPassword();
        if (flags.removePassword === true) patch.password = null;
        const info = await target.updateUser(name, patch);
        reporter.result(info, () => `updated user ${info.name}`);
      }),
    );

  group
    .command('delete <name>')
    .description('delete a user and their tokens')
    .action((name: string, _flags: unknown, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        await target.deleteUser(name);
        reporter.result({ deleted: name }, () => `deleted user ${name}`);
      }),
    );
}
