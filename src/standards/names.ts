import { PavedError } from '../errors.js';

/**
 * Project and extra names: the core-metadata name rule, PEP 503 normalisation
 * (the key every index, lockfile and cache compares on) and PEP 685 extras.
 */

/** Longest project name we accept; PyPI itself has nothing near it, so longer is abuse. */
export const MAX_NAME_LENGTH = 200;

const NAME_RULE_HINT =
  'A name uses ASCII letters, digits, ".", "_" and "-", and starts and ends with a letter or digit (e.g. "requests", "zope.interface", "typing_extensions").';

/** PEP 503 normalised form: runs of `-`, `_` and `.` become one `-`, all lower case. */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** True when `name` is already in PEP 503 normalised form. */
export function isNormalizedName(name: string): boolean {
  return isValidName(name) && normalizeName(name) === name;
}

function isAsciiAlnum(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isNameInner(code: number): boolean {
  return isAsciiAlnum(code) || code === 0x2d /* - */ || code === 0x2e /* . */ || code === 0x5f /* _ */;
}

/**
 * The PEP 508 / core-metadata name rule, `^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`
 * case-insensitively. Written as a scan so hostile input costs linear time.
 */
export function isValidName(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  if (!isAsciiAlnum(name.charCodeAt(0)) || !isAsciiAlnum(name.charCodeAt(n - 1))) return false;
  for (let i = 1; i < n - 1; i++) {
    if (!isNameInner(name.charCodeAt(i))) return false;
  }
  return true;
}

/** Shows a hostile name safely inside an error message. */
function describeForError(name: string): string {
  const shown = name.length > 60 ? `${name.slice(0, 60)}…` : name;
  return JSON.stringify(shown);
}

/**
 * Validates a project name as given by a user, an upload or an upstream index and
 * returns its normalised form. Throws `PAVED_E_INVALID_NAME`.
 */
export function parseProjectName(name: string): string {
  if (name.length > MAX_NAME_LENGTH) {
    throw new PavedError('PAVED_E_INVALID_NAME', `project name is ${name.length} characters long, more than the ${MAX_NAME_LENGTH} allowed: ${describeForError(name)}`, {
      hint: 'Use a shorter project name.',
    });
  }
  if (!isValidName(name)) {
    throw new PavedError('PAVED_E_INVALID_NAME', `invalid project name ${describeForError(name)}`, { hint: NAME_RULE_HINT });
  }
  return normalizeName(name);
}

/**
 * PEP 685 normalised extra name; extras compare exactly like project names, so
 * `Foo_Bar`, `foo.bar` and `foo-bar` are one extra.
 */
export function normalizeExtra(extra: string): string {
  return normalizeName(extra);
}

/**
 * The escaped name used in wheel and sdist filenames (`Foo.Bar` → `foo_bar`): normalised,
 * then `-` replaced by `_` so the name never collides with the filename's `-` separators.
 */
export function wheelNameComponent(name: string): string {
  return normalizeName(name).replace(/-/g, '_');
}
