#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerAdvisories } from './commands/advisoriesCommand.js';
import { registerAudit } from './commands/auditCommand.js';
import { registerImport } from './commands/importCommand.js';
import { registerPolicyCommands } from './commands/policyCommands.js';
import { registerProjectCommands } from './commands/projectCommands.js';
import { registerIndexCommands } from './commands/indexCommands.js';
import { registerInstallCommands } from './commands/installCommands.js';
import { registerServe } from './commands/serve.js';
import { registerTokenCommands } from './commands/tokenCommands.js';
import { registerUserCommands } from './commands/userCommands.js';
import { registerYankCommands } from './commands/yankCommands.js';
import { createReporter } from './reporter.js';

/** Builds the `paved` command line (exported for in-process tests). */
export function buildProgram(): Command {
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
  registerServe(program);
  registerIndexCommands(program);
  registerTokenCommands(program);
  registerUserCommands(program);
  registerYankCommands(program);
  registerImport(program);
  registerPolicyCommands(program);
  registerAdvisories(program);
  registerAudit(program);
  registerInstallCommands(program);
  registerProjectCommands(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    process.exitCode = createReporter({ json: argv.includes('--json') }).failure(error, argv.includes('--verbose'));
  }
}

void main(process.argv);
