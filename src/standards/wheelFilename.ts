/**
 * Wheel filenames (PEP 427 and the binary distribution format specification):
 * `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, where each tag part may be a
 * compressed set (`py2.py3`). The filename is what an index and an installer see before they
 * open the file, so it is parsed strictly.
 */
import { PavedError } from '../errors.js';
import { checkSafeFilename, describeFilenameForError } from './safeFilename.js';
import { isValidName, normalizeName, parseProjectName, wheelNameComponent } from './names.js';
import { parseCompressedTagSet, type Tag } from './tags.js';
import { normalizeVersion } from './version.js';

/** A parsed wheel filename. */
export interface WheelFilename {
  filename: string;
  /** The name as written in the filename (usually already `_`-escaped). */
  name: string;
  /** PEP 503 normalised project name. */
  normalizedName: string;
  /** PEP 440 normalised version. */
  version: string;
  /** Optional build tag; wheels of one version sort by (number, suffix), missing first. */
  buildTag: { number: number; suffix: string } | null;
  pythonTags: string[];
  abiTags: string[];
  platformTags: string[];
  /** Every tag the compressed tag set stands for. */
  tags: Tag[];
}

const FORMAT_HINT = 'A wheel is named {name}-{version}(-{build})?-{python tag}-{abi tag}-{platform tag}.whl, e.g. example_pkg-1.0-py3-none-any.whl.';

function invalid(filename: string, why: string, hint: string = FORMAT_HINT, cause?: unknown): PavedError {
  return new PavedError('PAVED_E_INVALID_FILENAME', `invalid wheel filename ${describeFilenameForError(filename)}: ${why}`, { hint, cause });
}

function parseBuildTag(text: string): { number: number; suffix: string } | null {
  const match = /^(\d+)([A-Za-z0-9_.]*)$/.exec(text);
  if (match === null) return null;
  const number = Number(match[1]);
  if (!Number.isSafeInteger(number)) return null;
  return { number, suffix: match[2] ?? '' };
}

/** Parses a wheel filename. Throws `PAVED_E_INVALID_FILENAME` with a hint for anything malformed or unsafe. */
export function parseWheelFilename(filename: string): WheelFilename {
  checkSafeFilename(filename);
  if (!filename.endsWith('.whl')) throw invalid(filename, 'it does not end in .whl');
  const parts = filename.slice(0, -'.whl'.length).split('-');
  if (parts.length !== 5 && parts.length !== 6) {
    throw invalid(filename, `it has ${parts.length} dash-separated parts, a wheel has 5 or 6`, `${FORMAT_HINT} Dashes inside the name or version must be written as "_".`);
  }
  const [name, versionText] = parts as [string, string];
  if (!isValidName(name)) {
    throw invalid(filename, `"${name}" is not a valid project name`, 'The name part uses ASCII letters, digits, "." and "_", starting and ending with a letter or digit.');
  }
  let version: string;
  try {
    version = normalizeVersion(versionText);
  } catch (error) {
    throw invalid(filename, `"${versionText}" is not a valid PEP 440 version`, 'Build the wheel from a project whose version follows PEP 440 (e.g. 1.2.3, 2.0rc1, 1.0.post1).', error);
  }
  let buildTag: WheelFilename['buildTag'] = null;
  if (parts.length === 6) {
    const buildText = parts[2] as string;
    buildTag = parseBuildTag(buildText);
    if (buildTag === null) {
      throw invalid(filename, `build tag "${buildText}" does not start with a digit`, 'A build tag is a number optionally followed by letters, e.g. 1 or 2b.');
    }
  }
  const [python, abi, platform] = parts.slice(-3) as [string, string, string];
  let tags: Tag[];
  try {
    tags = parseCompressedTagSet(`${python}-${abi}-${platform}`);
  } catch (error) {
    throw invalid(filename, `"${python}-${abi}-${platform}" is not a valid tag set`, FORMAT_HINT, error);
  }
  const lower = (component: string): string[] => component.toLowerCase().split('.');
  return {
    filename,
    name,
    normalizedName: normalizeName(name),
    version,
    buildTag,
    pythonTags: lower(python),
    abiTags: lower(abi),
    platformTags: lower(platform),
    tags,
  };
}

/**
 * The canonical filename of a wheel: escaped normalised name, normalised version, optional build
 * tag and the given tag set (e.g. `'py3-none-any'`). Throws for an invalid name, version, build or tags.
 */
export function wheelFilenameFor(name: string, version: string, tags: string, build?: string | number): string {
  parseProjectName(name);
  const versionPart = normalizeVersion(version).replace(/-/g, '_');
  const tagSet = tags.trim().toLowerCase();
  // Validates the tags; the compressed form is kept as given so py2.py3 stays py2.py3.
  parseCompressedTagSet(tagSet);
  let buildPart = '';
  if (build !== undefined) {
    const buildText = String(build);
    if (parseBuildTag(buildText) === null) {
      throw new PavedError('PAVED_E_INVALID_FILENAME', `build tag "${buildText}" does not start with a digit`, {
        hint: 'A build tag is a number optionally followed by letters, e.g. 1 or 2b.',
      });
    }
    buildPart = `-${buildText}`;
  }
  const filename = `${wheelNameComponent(name)}-${versionPart}${buildPart}-${tagSet}.whl`;
  checkSafeFilename(filename);
  return filename;
}

