/**
 * The one error type of paved. Every failure a user can meet carries a stable
 * code (documented in docs/errors.md), a message saying what happened and,
 * where we know it, a hint saying what to do. The CLI prints message + hint;
 * the server maps the code to an HTTP status in one place (index/http/errorStatus.ts).
 */
export class PavedError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  /** Extra machine-readable facts (never secrets). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PavedError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }
}

export function isPavedError(value: unknown, code?: string): value is PavedError {
  return value instanceof PavedError && (code === undefined || value.code === code);
}
