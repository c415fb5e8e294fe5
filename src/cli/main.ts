#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { PavedError } from '../errors.js';
import { commandIndex, commandName } from './commandWord.js';
import { createReporter } from './reporter.js';
import { separateRunArguments } from './separateRunArguments.js';

// bin/paved hands NODE_EXTRA_CA_CERTS over under this name so that Node does not spend start-up
// time on it (see there); it is put back before any command runs, for paved's HTTP client and
// for the programs paved starts.
const deferredExtraCaCerts = process.env['PAVED_DEFERRED_EXTRA_CA_CERTS'];
if (deferredExtraCaCerts !== undefined) {
  if (deferredExtraCaCerts !== '') process.env['NODE_EXTRA_CA_CERTS'] = deferredExtraCaCerts;
  delete process.env['PAVED_DEFERRED_EXTRA_CA_CERTS'];
}

/**
 * Every command module with the top-level commands it registers, in help order. A run loads
 * only the module of the command it names: `paved install` must not load the index server
 * (fastify, SQLite, the scanner), which costs more start-up time than the install itself when
 * the cache is warm. A new command module gets a line here.
 */
const COMMAND_MODULES: { commands: string[]; load: () => Promise<(program: Command) => void>; keepsRunning?: true }[] = [
  // The server goes on after its action returns; every other command is done when its action is.
  { commands: ['serve'], load: async () => (await import('./commands/serve.js')).registerServe, keepsRunning: true },
  { commands: ['index'], load: async () => (await import('./commands/indexCommands.js')).registerIndexCommands },
  { commands: ['token'], load: async () => (await import('./commands/tokenCommands.js')).registerTokenCommands },
  { commands: ['user'], load: async () => (await import('./commands/userCommands.js')).registerUserCommands },
  { commands: ['yank', 'unyank'], load: async () => (await import('./commands/yankCommands.js')).registerYankCommands },
  { commands: ['import'], load: async () => (await import('./commands/importCommand.js')).registerImport },
  { commands: ['policy', 'audit-log'], load: async () => (await import('./commands/policyCommands.js')).registerPolicyCommands },
  { commands: ['advisories'], load: async () => (await import('./commands/advisoriesCommand.js')).registerAdvisories },
  { commands: ['audit'], load: async () => (await import('./commands/auditCommand.js')).registerAudit },
  { commands: ['install', 'uninstall', 'download'], load: async () => (await import('./commands/installCommands.js')).registerInstallCommands },
  { commands: ['check'], load: async () => (await import('./commands/checkCommand.js')).registerCheck },
  { commands: ['lock', 'sync', 'add', 'remove', 'tree', 'export'], load: async () => (await import('./commands/projectCommands.js')).registerProjectCommands },
  // Apart from the other project commands: a `paved run` in a current environment loads no resolver or installer.
  { commands: ['run'], load: async () => (await import('./commands/projectRunCommand.js')).registerRunCommand },
];

/**
 * Builds the `paved` command line (exported for in-process tests). With `argv`, only the module
 * of the command it names is loaded; without (or for help, or an unknown command), all of them.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const name = argv === undefined ? undefined : commandName(argv);
  const only = name === undefined ? undefined : COMMAND_MODULES.find((m) => m.commands.includes(name));
  const program = new Command('paved')
    .description('the paved road for Python inside a company: private vetted index, locked environments, runtimes, bundles, tools')
    .version('0.1.0')
    .option('--json', 'machine-readable output (NDJSON events, last line is the result)')
    .option('--verbose', 'more detail, stack traces on errors')
    .option('--data <dir>', 'data directory for local mode (env PAVED_DATA)', undefined)
    .option('--server <url>', 'act on a running server through its admin API (env PAVED_SERVER)')
    .option('--token <token>', 'token for --server (env PAVED_TOKEN; prefer the env var, flags show in ps)')
    .showHelpAfterError()
    .exitOverride();
  // `paved --version` needs no command at all.
  const versionOnly = argv !== undefined && name === undefined && argv.slice(2).some((word) => word === '--version' || word === '-V');
  const modules = versionOnly ? [] : only === undefined ? COMMAND_MODULES : [only];
  for (const register of await Promise.all(modules.map((m) => m.load()))) register(program);
  // A stale line in the table costs start-up time, never a working command.
  if (only !== undefined && !program.commands.some((c) => c.name() === name || c.aliases().includes(name as string))) return buildProgram();
  return program;
}

/** True when paved's own `--json` is among `argv`'s options (a word after `--` is the program's, for `paved run`). */
function jsonRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Makes `command` and every command below it keep commander's usage text to themselves: with
 * `--json` a usage error is one NDJSON error line instead, and the text (several lines of help on
 * standard error) would be in the way of a script reading `paved run`'s NDJSON on standard error.
 */
function silenceUsageText(command: Command): void {
  command.configureOutput({ writeErr: () => {} });
  for (const sub of command.commands) silenceUsageText(sub);
}

/**
 * A commander usage error (unknown option or command, missing argument, bad option value) as a
 * PavedError, so `--json` reports it like every other failure. Commander's messages start with
 * "error: "; the help it would have shown is named in the hint.
 */
function usageError(error: CommanderError, /** The command it is about, when there is one. */ name: string | undefined): PavedError {
  const message = error.code === 'commander.help' ? `${name === undefined ? 'paved' : `paved ${name}`} needs a command` : error.message.replace(/^error: /, '');
  return new PavedError('PAVED_E_USAGE', message, { hint: `See \`paved${name === undefined ? '' : ` ${name}`} --help\`.`, details: { commanderCode: error.code } });
}

/** Exits with `process.exitCode` once stdout and stderr have taken everything written to them. */
function exitWhenFlushed(): void {
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit();
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
  // `paved run PROGRAM …`: what follows the program is the program's, options too.
  const separated = separateRunArguments(program, argv, commandIndex(argv));
  const json = jsonRequested(separated);
  const name = commandName(argv);
  if (json) silenceUsageText(program);
  // `paved run` keeps standard output for the program, its NDJSON included (see runCommand's reportTo).
  const failureReporter = () => createReporter({ json, ...(name === 'run' ? { stdout: process.stderr } : {}) });
  try {
    await program.parseAsync(separated);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end here too, with status 0; a usage error with 2 (as before), and one JSON line under --json.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      if (json && error.exitCode !== 0) {
        const known = program.commands.some((c) => c.name() === name || c.aliases().includes(name as string)) ? name : undefined;
        failureReporter().failure(usageError(error, known), false);
      }
    } else {
      process.exitCode = failureReporter().failure(error, separated.includes('--verbose'));
    }
  }
  // Done: exit at once instead of letting Node tear the heap down first, which takes ~0.1 s
  // after a warm `paved install` (a fifth of it).
  const module = name === undefined ? undefined : COMMAND_MODULES.find((m) => m.commands.includes(name));
  if (module !== undefined && module.keepsRunning !== true) exitWhenFlushed();
}

void main(process.argv);
