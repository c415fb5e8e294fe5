/**
 * The safety check every distribution filename passes before anything (parser, server,
 * installer) trusts it or joins it to a directory.
 */
import { PavedError } from '../errors.js';

/** Longest filename most file systems store (ext4, APFS, NTFS count 255 bytes or units). */
export const MAX_FILENAME_BYTES = 255;

// Control and invisible format characters (NUL, newlines, bidi overrides, zero-width joiners),
// lone surrogates and line/paragraph separators: none belongs in a filename, and several can make
// a name display as something it is not.
const HOSTILE_CHARACTERS = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** Shows a possibly hostile filename inside an error message without letting it do harm. */
export function describeFilenameForError(filename: string): string {
  const shown = filename.length > 80 ? `${filename.slice(0, 80)}…` : filename;
  return JSON.stringify(shown);
}

function unsafe(filename: string, why: string, hint: string): PavedError {
  return new PavedError('PAVED_E_INVALID_FILENAME', `unsafe filename ${describeFilenameForError(filename)}: ${why}`, {
    hint,
    details: { reason: why },
  });
}

/**
 * Throws `PAVED_E_INVALID_FILENAME` unless `filename` is a plain, single path component that is
 * safe to join to a directory: not empty, no `/` or `\`, no control or invisible characters, no
 * leading `.`, no `..`, at most 255 UTF-8 bytes, and unchanged by Unicode NFC and NFKC
 * normalisation (so look-alike characters such as a fullwidth solidus cannot sneak through).
 */
export function checkSafeFilename(filename: string): void {
  const plainHint = 'Use the filename the build tool produced, e.g. example_pkg-1.0-py3-none-any.whl or example_pkg-1.0.tar.gz.';
  if (filename.length === 0) throw unsafe(filename, 'it is empty', plainHint);
  if (Buffer.byteLength(filename, 'utf8') > MAX_FILENAME_BYTES) {
    throw unsafe(filename, `it is longer than ${MAX_FILENAME_BYTES} bytes`, 'Shorten the project name or version.');
  }
  if (filename.includes('/') || filename.includes('\\')) {
    throw unsafe(filename, 'it contains a path separator', 'Pass only the file name, not a path.');
  }
  if (HOSTILE_CHARACTERS.test(filename)) {
    throw unsafe(filename, 'it contains a control or invisible character', plainHint);
  }
  if (filename.startsWith('.')) throw unsafe(filename, 'it starts with "."', plainHint);
  if (filename.includes('..')) throw unsafe(filename, 'it contains ".."', plainHint);
  if (filename.normalize('NFC') !== filename || filename.normalize('NFKC') !== filename) {
    throw unsafe(filename, 'it changes under Unicode normalisation', 'Use plain ASCII letters, digits, ".", "_" and "-".');
  }
}

