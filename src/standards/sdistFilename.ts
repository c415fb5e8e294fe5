/**
 * Source distribution filenames. PEP 625 names them `{name}-{version}.tar.gz` with the name
 * `_`-escaped, but indexes are full of older files whose project name keeps its dashes
 * (`python-dateutil-2.8.2.tar.gz`) or that use other archive formats, and those must still parse.
 */
import { PavedError } from '../errors.js';
import { checkSafeFilename, describeFilenameForError } from './safeFilename.js';
import { isValidName, normalizeName } from './names.js';
import { normalizeVersion } from './version.js';

/** Archive formats sdists have been published in; `.tar.gz` is the only one PEP 625 allows for new uploads. */
export type SdistExtension = '.tar.gz' | '.zip' | '.tar.bz2' | '.tgz' | '.tar.xz' | '.tar';

/** Every recognised sdist extension. */
export const SDIST_EXTENSIONS: readonly SdistExtension[] = ['.tar.gz', '.zip', '.tar.bz2', '.tgz', '.tar.xz', '.tar'];

/** A parsed sdist filename. */
export interface SdistFilename {
  filename: string;
  /** The name as written in the filename. */
  name: string;
  /** PEP 503 normalised project name. */
  normalizedName: string;
  /** PEP 440 normalised version. */
  version: string;
  extension: SdistExtension;
}

const FORMAT_HINT = 'An sdist is named {name}-{version}.tar.gz, e.g. example_pkg-1.0.tar.gz.';

function invalid(filename: string, why: string, hint: string = FORMAT_HINT, cause?: unknown): PavedError {
  return new PavedError('PAVED_E_INVALID_FILENAME', `invalid sdist filename ${describeFilenameForError(filename)}: ${why}`, { hint, cause });
}

function normalizedVersionOrNull(text: string): string | null {
  try {
    return normalizeVersion(text);
  } catch {
    return null;
  }
}

function dashPositions(stem: string): number[] {
  const positions: number[] = [];
  for (let i = stem.indexOf('-'); i !== -1; i = stem.indexOf('-', i + 1)) positions.push(i);
  return positions;
}

/**
 * Parses an sdist filename. Without `project` the name/version split is the last `-` whose
 * remainder is a valid version (so `python-dateutil-2.8.2.tar.gz` is python-dateutil 2.8.2);
 * with `project` the filename must start with that project's name, in any spelling that
 * normalises the same. Throws `PAVED_E_INVALID_FILENAME`.
 */
export function parseSdistFilename(filename: string, project?: string): SdistFilename {
  checkSafeFilename(filename);
  const extension = SDIST_EXTENSIONS.find((candidate) => filename.endsWith(candidate));
  if (extension === undefined) {
    throw invalid(filename, 'it has no sdist extension', `${FORMAT_HINT} Recognised extensions: ${SDIST_EXTENSIONS.join(', ')}.`);
  }
  const stem = filename.slice(0, -extension.length);
  const dashes = dashPositions(stem);
  if (dashes.length === 0) throw invalid(filename, 'it has no "-" between name and version');

  if (project !== undefined) {
    const wanted = normalizeName(project);
    for (const dash of dashes) {
      const name = stem.slice(0, dash);
      if (!isValidName(name) || normalizeName(name) !== wanted) continue;
      const versionText = stem.slice(dash + 1);
      const version = normalizedVersionOrNull(versionText);
      if (version === null) {
        throw invalid(filename, `"${versionText}" is not a valid PEP 440 version`, 'Build the sdist from a project whose version follows PEP 440 (e.g. 1.2.3, 2.0rc1).');
      }
      return { filename, name, normalizedName: wanted, version, extension };
    }
    throw invalid(filename, `it does not start with the name of project "${wanted}"`, 'Upload or name the file under the project it was built for.');
  }

  for (const dash of [...dashes].reverse()) {
    const name = stem.slice(0, dash);
    const version = normalizedVersionOrNull(stem.slice(dash + 1));
    if (version !== null && isValidName(name)) {
      return { filename, name, normalizedName: normalizeName(name), version, extension };
    }
  }
  throw invalid(filename, 'no "-" is followed by a valid PEP 440 version with a valid project name before it');
}
