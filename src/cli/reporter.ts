import { isPavedError } from '../errors.js';

/**
 * Turns what a command has to say into terminal output: plain lines for
 * people (with a live progress line on a TTY), or NDJSON with `--json` so a
 * script can read every event and the final result.
 */
export interface Reporter {
  readonly json: boolean;
  /** A line for people; in JSON mode an `{"type":"info"}` event. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** A warning that does not fail the command. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Progress of long work; redrawn in place on a TTY, throttled elsewhere. */
  progress(done: number, total: number, label: string): void;
  /** The command's result: a human rendering, and the data for `--json`. */
  result(data: unknown, human: () => string): void;
  /** Reports a failure and returns the exit code to use. */
  failure(error: unknown, verbose: boolean): number;
}

/** An error's details for its `--json` line, when they are plain JSON (they are left out otherwise, never a second failure). */
function jsonDetails(details: Record<string, unknown> | undefined): { details?: Record<string, unknown> } {
  if (details === undefined) return {};
  try {
    return { details: JSON.parse(JSON.stringify(details)) as Record<string, unknown> };
  } catch {
    return {};
  }
}

export function createReporter(options: { json: boolean; stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream }): Reporter {
  const out = options.stdout ?? process.stdout;
  const err = options.stderr ?? process.stderr;
  const tty = out.isTTY === true && !options.json && process.env['CI'] === undefined;
  let progressShown = false;
  let lastPlainProgress = 0;
  const clearProgress = () => {
    if (progressShown) {
      err.write('\r\x1b[2K');
      progressShown = false;
    }
  };
  const emit = (event: Record<string, unknown>) => out.write(`${JSON.stringify(event)}\n`);

  return {
    json: options.json,
    info(message, fields) {
      if (options.json) return emit({ type: 'info', message, ...fields });
      clearProgress();
      out.write(`${message}\n`);
    },
    warn(message, fields) {
      if (options.json) return emit({ type: 'warning', message, ...fields });
      clearProgress();
      err.write(`warning: ${message}\n`);
    },
    progress(done, total, label) {
      if (options.json) {
        const now = Date.now();
        if (done === total || now - lastPlainProgress > 1000) {
          lastPlainProgress = now;
          emit({ type: 'progress', done, total, label });
        }
        return;
      }
      if (tty) {
        const width = 30;
        const filled = total === 0 ? width : Math.round((done / total) * width);
        err.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label.slice(0, 60)}`);
        progressShown = true;
        if (done === total) clearProgress();
        return;
      }
      const now = Date.now();
      if (done === total || now - lastPlainProgress > 5000) {
        lastPlainProgress = now;
        err.write(`${done}/${total} ${label}\n`);
      }
    },
    result(data, human) {
      clearProgress();
      if (options.json) return emit({ type: 'result', data });
      const text = human();
      if (text !== '') out.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    failure(error, verbose) {
      clearProgress();
      if (isPavedError(error)) {
        if (options.json) emit({ type: 'error', code: error.code, message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }), ...jsonDetails(error.details) });
        else {
          err.write(`error: ${error.message}\n`);
          if (error.hint !== undefined) err.write(`hint: ${error.hint}\n`);
          if (verbose && error.stack !== undefined) err.write(`${error.stack}\n`);
        }
        return 1;
      }
      const message = error instanceof Error ? error.message : String(error);
      if (options.json) emit({ type: 'error', code: 'PAVED_E_INTERNAL', message });
      else {
        err.write(`error: ${message}\n`);
        if (verbose && error instanceof Error && error.stack !== undefined) err.write(`${error.stack}\n`);
        else err.write('hint: run again with --verbose for details\n');
      }
      return 1;
    },
  };
}
