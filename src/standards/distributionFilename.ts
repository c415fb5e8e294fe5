/**
 * Distribution filenames as one concept: a wheel or an sdist, told apart by extension, plus the
 * safety check every filename passes before anything (parser, server, installer) trusts it.
 */
import { PavedError } from '../errors.js';
import { normalizeName } from './names.js';
import { parseSdistFilename, SDIST_EXTENSIONS, type SdistFilename } from './sdistFilename.js';
import { parseWheelFilename, type WheelFilename } from './wheelFilename.js';

/** A parsed wheel or sdist filename. */
export type DistributionFilename = ({ kind: 'wheel' } & WheelFilename) | ({ kind: 'sdist' } & SdistFilename);

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

/**
 * Parses a wheel (`.whl`) or sdist (`.tar.gz`, `.zip`, …) filename. With `project`, the filename
 * must belong to that project (compared after PEP 503 normalisation). Throws `PAVED_E_INVALID_FILENAME`.
 */
export function parseDistributionFilename(filename: string, project?: string): DistributionFilename {
  checkSafeFilename(filename);
  if (filename.endsWith('.whl')) {
    const wheel = parseWheelFilename(filename);
    if (project !== undefined && wheel.normalizedName !== normalizeName(project)) {
      throw new PavedError(
        'PAVED_E_INVALID_FILENAME',
        `wheel ${describeFilenameForError(filename)} is for project "${wheel.normalizedName}", not "${normalizeName(project)}"`,
        { hint: 'Upload or name the file under the project it was built for.' },
      );
    }
    return { kind: 'wheel', ...wheel };
  }
  if (SDIST_EXTENSIONS.some((extension) => filename.endsWith(extension))) {
    return { kind: 'sdist', ...parseSdistFilename(filename, project) };
  }
  throw new PavedError('PAVED_E_INVALID_FILENAME', `${describeFilenameForError(filename)} is neither a wheel nor an sdist`, {
    hint: `Distribution files end in .whl or one of ${SDIST_EXTENSIONS.join(', ')}; eggs and installers (.egg, .exe, .msi) are not supported.`,
  });
}
