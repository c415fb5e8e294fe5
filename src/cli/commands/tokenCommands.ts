import type { Command } from 'commander';
import { PavedError } from '../../errors.js';
import { runWithAdminTarget } from '../runCommand.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerTokenCommands(program: Command): void {
  const group = program.command('token').description('API tokens: create (printed once), list, revoke');

  group
    .command('create')
    .description('create a token for a user (the user is created when missing); prints the token once')
    .requiredOption('--user <name>', 'the user the token acts for')
    .option('--scope <action:owner/name>', 'read:, upload: or admin: an index, or * for all; repeatable', collect, [])
    .option('--description <text>', 'what the token is for', '')
    .option('--expires-in <days>', 'days until the token expires')
    .action((flags: { user: string; scope: string[]; description: string; expiresIn?: string }, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        let expiresInDays: number | null = null;
        if (flags.expiresIn !== undefined) {
          expiresInDays = Number(flags.expiresIn);
          if (!(expiresInDays > 0)) throw new PavedError('PAVED_E_INVALID_ARGUMENT', '--expires-in must be a positive number of days');
        }
        const { token, info } = await target.createToken({ user: flags.user, scopes: flags.scope, description: flags.description, expiresInDays, createUser: true });
        reporter.result({ token, ...info }, () => `${token}\n(token ${info.id} for ${info.user}, scopes ${info.scopes.join(' ')}; shown once, store it now)`);
      }),
    );

  group
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--user <name>', 'only this user\'s tokens')
    .action((flags: { user?: string }, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const tokens = await target.listTokens(flags.user);
        reporter.result(tokens, () =>
          tokens.map((t) => `${t.id}\t${t.user}\t${t.scopes.join(' ')}\t${t.revokedAt !== null ? 'revoked' : t.expiresAt !== null ? `expires ${t.expiresAt}` : 'active'}\t${t.description}`).join('\n'),
        );
      }),
    );

  group
    .command('revoke <id>')
    .description('revoke a token by its id (the part after paved_)')
    .action((id: string, _flags: unknown, cmd: Command) =>
      runWithAdminTarget(cmd, async (target, reporter) => {
        const info = await target.revokeToken(id);
        reporter.result(info, () => `revoked token ${info.id}`);
      }),
    );
}
