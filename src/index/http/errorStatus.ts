/**
 * The one table from error codes to HTTP statuses. A code not listed is a
 * client error when it says "invalid" and a server fault otherwise.
 */
const STATUS: Record<string, number> = {
  PAVED_E_UNAUTHORIZED: 401,
  PAVED_E_FORBIDDEN: 403,
  PAVED_E_NOT_FOUND: 404,
  PAVED_E_INDEX_NOT_FOUND: 404,
  PAVED_E_PROJECT_NOT_FOUND: 404,
  PAVED_E_FILE_NOT_FOUND: 404,
  PAVED_E_BLOB_MISSING: 404,
  PAVED_E_NOT_ACCEPTABLE: 406,
  PAVED_E_FILE_EXISTS: 400,
  PAVED_E_INDEX_EXISTS: 409,
  PAVED_E_USER_EXISTS: 409,
  PAVED_E_INDEX_IN_USE: 409,
  PAVED_E_INDEX_CYCLE: 400,
  PAVED_E_INDEX_NOT_WRITABLE: 403,
  PAVED_E_TOO_LARGE: 413,
  PAVED_E_ARCHIVE_TOO_LARGE: 400,
  PAVED_E_RANGE_NOT_SATISFIABLE: 416,
  PAVED_E_SHUTTING_DOWN: 503,
  PAVED_E_UPSTREAM: 502,
  PAVED_E_UPSTREAM_INVALID: 502,
  PAVED_E_UPSTREAM_DIGEST: 502,
  PAVED_E_UPSTREAM_UNREACHABLE: 502,
  PAVED_E_UPSTREAM_TIMEOUT: 504,
  PAVED_E_QUARANTINED: 403,
  PAVED_E_BLOCKED: 403,
  PAVED_E_CATALOG_BUSY: 503,
  PAVED_E_TOKEN_EXISTS: 409,
  PAVED_E_INVALID_RANGE: 416,
};

export function httpStatusFor(code: string): number {
  const status = STATUS[code];
  if (status !== undefined) return status;
  if (code.startsWith('PAVED_E_INVALID') || code.startsWith('PAVED_E_BAD') || code.includes('MISMATCH') || code.includes('UNSAFE')) return 400;
  return 500;
}
