/**
 * A test-only `paved` entry with the audit and advisories commands registered, run as a child
 * process exactly like src/cli/main.ts runs (same global options, same exit codes).
 */
import { Command, CommanderError } from 'commander';
import { registerAdvisories } from '../../../src/cli/commands/advisoriesCommand.js';
import { registerAudit } from '../../../src/cli/commands/auditCommand.js';
import { createReporter } from '../../../src/cli/reporter.js';

const program = new Command('paved')
  .option('--json')
  .option('--verbose')
  .option('--data <dir>', 'data directory', undefined)
  .option('--server <url>')
  .option('--token <token>')
  .exitOverride();
registerAudit(program);
registerAdvisories(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? 0 : 2;
  else process.exitCode = createReporter({ json: process.argv.includes('--json') }).failure(error, process.argv.includes('--verbose'));
}
