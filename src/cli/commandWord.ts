/**
 * Where a `paved` command line names its command: the first word that is not a global option
 * (`--data`, `--server` and `--token` take a value). main.ts loads that command's module by it,
 * and the bundle's entry point picks that command's code cache by it (bin/paved repeats the
 * rule in sh). No imports: the bundle's entry point runs this before the CLI loads.
 */

/** Global options that take a value (skipped when looking for the command name). */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--data', '--server', '--token']);

/** Where in `argv` (a process.argv: node, script, words…) the command name is, or -1. */
export function commandIndex(argv: readonly string[]): number {
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') return -1;
    if (!word.startsWith('-')) return i;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(word)) i++;
  }
  return -1;
}

/** The command `argv` names, if any. */
export function commandName(argv: readonly string[]): string | undefined {
  const index = commandIndex(argv);
  return index < 0 ? undefined : argv[index];
}
