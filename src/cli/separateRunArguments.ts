import type { Command, Option } from 'commander';

/**
 * Makes `paved run PROGRAM ARGS…` pass everything after the program to it, as uv does: the
 * options of `run` (and the global ones) are read only before the first positional argument, so
 * `paved run script.py 0 --python 3.11` gives the script `0 --python 3.11` instead of choosing
 * an interpreter. Returns `argv` with a `--` put before that argument (unchanged when a `--`
 * comes first, or the command is not `commandName`).
 *
 * Commander's own way (`passThroughOptions`) needs `enablePositionalOptions` on the program,
 * which would stop global options such as `--json` from being accepted after the command name
 * (`paved install --json …`); so the separator is inserted here, before parsing.
 */
export function separateRunArguments(program: Command, argv: readonly string[], commandIndex: number, commandName = 'run'): string[] {
  const command = program.commands.find((c) => c.name() === commandName);
  if (command === undefined || argv[commandIndex] !== commandName) return [...argv];
  const options: Option[] = [...program.options, ...command.options];
  const takesValue = (word: string): 'required' | 'optional' | 'none' => {
    // `--python=3.11` and `-ivalue` carry their value.
    if (word.includes('=')) return 'none';
    const option = options.find((o) => o.long === word || o.short === word);
    if (option === undefined) return 'none';
    return option.required ? 'required' : option.optional ? 'optional' : 'none';
  };
  for (let i = commandIndex + 1; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') return [...argv];
    if (word.startsWith('-') && word !== '-') {
      const value = takesValue(word);
      if (value === 'required' || (value === 'optional' && !(argv[i + 1] ?? '-').startsWith('-'))) i++;
      continue;
    }
    return [...argv.slice(0, i), '--', ...argv.slice(i)];
  }
  return [...argv];
}
