/**
 * Usage errors (an unknown option or command, a missing argument or option value) as a script
 * reading `--json` sees them: one `{"type":"error","code":"PAVED_E_USAGE"}` line, with the exit
 * status commander's errors have always had (2); and as a person sees them without `--json`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonEvents, paved } from './pavedCli.js';

/** The one event of a `--json` usage error, checked to be alone on `stream`. */
function usageError(stream: string): { message: string; hint: string } {
  const events = jsonEvents(stream);
  assert.equal(events.length, 1, stream);
  const [event] = events as [{ type: string; code: string; message: string; hint: string }];
  assert.equal(event.type, 'error');
  assert.equal(event.code, 'PAVED_E_USAGE');
  return event;
}

describe('usage errors', () => {
  it('paved --version and -V print the version and exit 0, with or without --json', async () => {
    for (const args of [['--version'], ['-V'], ['--json', '--version']]) {
      const r = await paved(args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
    }
  });

  it('--json before the command: an unknown option is a JSON error line on stdout, exit 2', async () => {
    const r = await paved(['--json', 'install', '--bogus']);
    assert.equal(r.code, 2, r.stderr);
    const error = usageError(r.stdout);
    assert.equal(error.message, "unknown option '--bogus'");
    assert.match(error.hint, /paved install --help/);
    assert.equal(r.stderr, '', 'no help text mixed in');
  });

  it('--json after the command, and a missing option value', async () => {
    const r = await paved(['sync', '--json', '--build-timeout']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(usageError(r.stdout).message, /--build-timeout <seconds>' argument missing/);
    const unknown = await paved(['install', '--json', '--bogus']);
    assert.equal(unknown.code, 2);
    assert.equal(usageError(unknown.stdout).message, "unknown option '--bogus'");
  });

  it('an unknown command points at paved --help; a group without its command says so', async () => {
    const r = await paved(['--json', 'bogus']);
    assert.equal(r.code, 2);
    const error = usageError(r.stdout);
    assert.equal(error.message, "unknown command 'bogus'");
    assert.match(error.hint, /`paved --help`/);
    const group = await paved(['--json', 'index']);
    assert.equal(group.code, 2);
    assert.equal(usageError(group.stdout).message, 'paved index needs a command');
  });

  it('paved run reports on stderr (stdout is the program\'s), a missing argument too', async () => {
    const r = await paved(['--json', 'run']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(usageError(r.stderr).message, "missing required argument 'command'");
  });

  it('without --json: commander\'s own text on stderr, nothing on stdout; help still exits 0', async () => {
    const r = await paved(['install', '--bogus']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: unknown option '--bogus'\n/);
    assert.match(r.stderr, /Usage: paved install/);
    const help = await paved(['--json', 'install', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: paved install/);
  });
});
