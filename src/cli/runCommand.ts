import type { Command } from 'commander';
import type { AdminTarget } from './adminTarget.js';
import { readGlobalOptions, type GlobalOptions } from './globalOptions.js';
import { createReporter, type Reporter } from './reporter.js';

/**
 * The shape every command runs in: read options once, run inside a
 * reporter, turn failures into message + hint and an exit code. With
 * `reportTo: 'stderr'` everything the command itself says (NDJSON too) goes
 * to standard error, leaving standard output to a program it runs.
 */
export async function runCommand(cmd: Command, body: (global: GlobalOptions, reporter: Reporter) => Promise<void>, options: { reportTo?: 'stdout' | 'stderr' } = {}): Promise<void> {
  const global = readGlobalOptions(cmd.optsWithGlobals());
  const reporter = createReporter({ json: global.json, ...(options.reportTo === 'stderr' ? { stdout: process.stderr } : {}) });
  try {
    await body(global, reporter);
  } catch (error) {
    process.exitCode = reporter.failure(error, global.verbose);
  }
}

/** runCommand with an admin target (data directory or server) opened and closed around the body. */
export function runWithAdminTarget(cmd: Command, body: (target: AdminTarget, reporter: Reporter, global: GlobalOptions) => Promise<void>): Promise<void> {
  return runCommand(cmd, async (global, reporter) => {
    // Loaded here, not at the top: it pulls in the index server (catalog, SQLite, scanner,
    // policy), which commands that run without an admin target (install, lock, sync) never need.
    const { openAdminTarget } = await import('./adminTarget.js');
    const target = await openAdminTarget(global);
    try {
      await body(target, reporter, global);
    } finally {
      await target.close();
    }
  });
}
