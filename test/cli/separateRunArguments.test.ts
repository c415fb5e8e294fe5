import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { separateRunArguments } from '../../src/cli/separateRunArguments.js';

function program(): Command {
  const p = new Command('paved').option('--json').option('--data <dir>');
  p.command('run').argument('<command...>').option('--python <version>').option('-i, --index-url <url>').option('--frozen').option('--no-sync');
  p.command('install').argument('<names...>').option('--python <version>');
  return p;
}

const separated = (...args: string[]): string[] => {
  const argv = ['node', 'paved', ...args];
  const at = argv.findIndex((w, i) => i >= 2 && (w === 'run' || w === 'install'));
  return separateRunArguments(program(), argv, at).slice(2);
};

describe('separateRunArguments', () => {
  it('puts -- before the program, after the options of run and their values', () => {
    assert.deepEqual(separated('run', 'script.py', '0', '--python', '3.11'), ['run', '--', 'script.py', '0', '--python', '3.11']);
    assert.deepEqual(separated('--json', 'run', '--python', '3.12', '-i', 'http://x/simple/', '--frozen', 'pytest', '-q'), ['--json', 'run', '--python', '3.12', '-i', 'http://x/simple/', '--frozen', '--', 'pytest', '-q']);
    assert.deepEqual(separated('run', '--python=3.12', '--json', 'python', '--json'), ['run', '--python=3.12', '--json', '--', 'python', '--json']);
    assert.deepEqual(separated('--data', 'd', 'run', '--data', 'e', 'python'), ['--data', 'd', 'run', '--data', 'e', '--', 'python']);
  });

  it('leaves a -- the user wrote, other commands, and a run without a program alone', () => {
    assert.deepEqual(separated('run', '--frozen', '--', 'pytest', '-q'), ['run', '--frozen', '--', 'pytest', '-q']);
    assert.deepEqual(separated('install', 'flask', '--python', '3.11', '--json'), ['install', 'flask', '--python', '3.11', '--json']);
    assert.deepEqual(separated('run', '--help'), ['run', '--help']);
  });

  it('the result parses to the program and its arguments, options included', () => {
    const p = program().exitOverride();
    let got: { command: string[]; python: unknown; json: unknown } | undefined;
    p.commands.find((c) => c.name() === 'run')?.action((command: string[], flags: { python?: string }, cmd: Command) => {
      got = { command, python: flags.python, json: cmd.optsWithGlobals()['json'] };
    });
    p.parse(separateRunArguments(p, ['node', 'paved', 'run', '--json', 'script.py', '--python', '3.11', '--', 'x'], 2));
    assert.deepEqual(got, { command: ['script.py', '--python', '3.11', '--', 'x'], python: undefined, json: true });
  });
});
