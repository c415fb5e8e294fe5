/**
 * Turns `-r`/`-c` requirements files into what an install resolves: each requirement's full
 * PEP 508 text with its `--hash` options, and constraint lines, as `readRequirementsFile` read
 * them (includes, comments, continuations and variables followed there), plus `-e` targets.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PavedError } from '../errors.js';
import { parseRequirement } from '../standards/requirement.js';
import { parseWheelFilename } from '../standards/wheelFilename.js';
import { readRequirementsFile, type RequirementsWarning } from './readRequirementsFile.js';

/** Requirements and constraints read from files, plus the index options the files gave. */
export interface InstallRequirementsFromFiles {
  requirements: { requirement: string; hashes: string[] }[];
  constraints: string[];
  options: { name: string; value: string | null }[];
  warnings: RequirementsWarning[];
  /** `-e` lines of requirement files. */
  editables: EditableTarget[];
}

/** A project folder to install in editable mode (pip's `-e DIR[extras]`). */
export interface EditableTarget {
  /** Absolute. */
  dir: string;
  /** Extras to install with it, as written (`-e .[dev,test]`). */
  extras: string[];
}

/**
 * Reads an `-e` target as pip does: a folder path or `file:` URL, relative to the working
 * directory, with optional `[extras]` after it. `where` prefixes errors (`file:line: ` or '').
 * Throws `PAVED_E_INVALID_REQUIREMENTS` for a VCS or other remote URL and for malformed extras.
 */
export function editableTarget(value: string, where = ''): EditableTarget {
  const fail = (why: string, hint: string): PavedError => new PavedError('PAVED_E_INVALID_REQUIREMENTS', `${where}-e ${value}: ${why}`, { hint });
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) && !value.startsWith('file:')) {
    throw fail('only local project folders can be installed in editable mode', 'Check the project out and give its folder (-e ./path), or require a released version instead.');
  }
  let path = value.trim();
  let extras: string[] = [];
  const bracket = /^(.*?)(\[[^\]]*\])$/s.exec(path);
  if (bracket !== null) {
    path = bracket[1] as string;
    try {
      extras = parseRequirement(`project${bracket[2] as string}`).extras;
    } catch {
      throw fail(`${bracket[2] as string} is not a list of extras`, 'Write extras as -e ./path[name,other].');
    }
  }
  if (path === '') throw fail('names no folder', 'Give the project folder (-e ./path).');
  if (path.startsWith('file:')) {
    try {
      path = fileURLToPath(path);
    } catch {
      throw fail('is not a local file URL', 'Give the project folder as a path (-e ./path).');
    }
  }
  // Relative to the working directory, as pip reads paths in requirement files.
  return { dir: resolve(path), extras };
}

/** Throws `PAVED_E_INVALID_REQUIREMENTS` naming every line an install cannot pass over (as pip stops on them), before anything is done. */
function failOnFatal(warnings: readonly RequirementsWarning[]): void {
  const fatal = warnings.filter((w) => w.fatal === true);
  if (fatal.length === 0) return;
  throw new PavedError('PAVED_E_INVALID_REQUIREMENTS', fatal.map((w) => `${w.file}:${w.line}: ${w.message}`).join('\n'), {
    hint: 'Correct the line (a version is pinned with ==), or remove it.',
  });
}

/** Reads requirement files (`-r`) and constraint files (`-c`). Throws what `readRequirementsFile` throws, and `PAVED_E_INVALID_REQUIREMENTS` for a line it cannot use. */
export async function readInstallRequirements(requirementFiles: readonly string[], constraintFiles: readonly string[]): Promise<InstallRequirementsFromFiles> {
  const out: InstallRequirementsFromFiles = { requirements: [], constraints: [], options: [], warnings: [], editables: [] };
  const files = [...requirementFiles.map((f) => ({ f, constraint: false })), ...constraintFiles.map((f) => ({ f, constraint: true }))];
  for (const { f, constraint } of files) {
    const contents = await readRequirementsFile(f);
    failOnFatal(contents.warnings);
    out.warnings.push(...contents.warnings.filter((w) => !/not audited|not pinned/.test(w.message)));
    out.options.push(...contents.options.map((o) => ({ name: o.name, value: o.value })));
    for (const entry of contents.requirements) {
      if (constraint || entry.constraint) out.constraints.push(entry.text);
      else out.requirements.push({ requirement: entry.text, hashes: entry.hashes });
    }
    // Bare wheel paths and URLs: the install recognises them (see directWheel.ts).
    for (const reference of contents.references) if (!reference.constraint) out.requirements.push({ requirement: reference.text, hashes: reference.hashes });
    for (const editable of contents.editables) out.editables.push(editableTarget(editable.value, `${editable.file}:${editable.line}: `));
  }
  return out;
}

/** Project names an uninstall reads from requirement files (`pip uninstall -r`), plus what it could not name. */
export interface UninstallNamesFromFiles {
  names: string[];
  warnings: RequirementsWarning[];
}

/**
 * The projects requirement files name, for `paved uninstall -r` as for `pip uninstall -r`: each
 * requirement line's name, and a wheel path's or URL's name from its filename. Versions, markers
 * and options do not matter to an uninstall. Lines that name no project (an sdist path, an `-e`
 * folder) are warnings. Throws what `readRequirementsFile` throws.
 */
export async function readUninstallNames(requirementFiles: readonly string[]): Promise<UninstallNamesFromFiles> {
  const out: UninstallNamesFromFiles = { names: [], warnings: [] };
  for (const file of requirementFiles) {
    const contents = await readRequirementsFile(file);
    failOnFatal(contents.warnings);
    out.warnings.push(...contents.warnings.filter((w) => !/not audited|not pinned/.test(w.message)));
    for (const entry of contents.requirements) if (!entry.constraint) out.names.push(entry.name);
    for (const reference of contents.references) {
      if (reference.constraint) continue;
      const filename = reference.text.split(/[?#]/)[0]?.split('/').pop() ?? '';
      let name: string | null = null;
      try {
        if (filename.endsWith('.whl')) name = parseWheelFilename(decodeURIComponent(filename)).name;
      } catch {
        // not a wheel filename: named by nothing an uninstall can read
      }
      if (name === null) out.warnings.push({ file: reference.file, line: reference.line, message: `${reference.text} names no project by its filename; skipped` });
      else out.names.push(name);
    }
    for (const editable of contents.editables) out.warnings.push({ file: editable.file, line: editable.line, message: `-e ${editable.value}: name the project instead; skipped` });
  }
  return out;
}
