/**
 * Distribution filenames as one concept: a wheel or an sdist, told apart by extension. The
 * safety check every filename passes first lives in safeFilename.ts and is re-exported here.
 */
import { PavedError } from '../errors.js';
import { normalizeName } from './names.js';
import { parseSdistFilename, SDIST_EXTENSIONS, type SdistFilename } from './sdistFilename.js';
import { parseWheelFilename, type WheelFilename } from './wheelFilename.js';

/** A parsed wheel or sdist filename. */
export type DistributionFilename = ({ kind: 'wheel' } & WheelFilename) | ({ kind: 'sdist' } & SdistFilename);

import { checkSafeFilename, describeFilenameForError } from './safeFilename.js';

export { checkSafeFilename, describeFilenameForError, MAX_FILENAME_BYTES } from './safeFilename.js';

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
