/**
 * PEP 723 inline script metadata: the `# /// script` … `# ///` comment block a single-file
 * script uses to declare its dependencies and the Python it needs, so `paved run script.py`
 * can build an environment for it. Parsing follows the packaging specification exactly:
 *
 * - a block opens with the line `# /// TYPE` (TYPE: ASCII letters, digits, hyphens);
 * - every following line is content while it is `#` alone or `# ` followed by text; the
 *   content is the line without its first two characters (or without the `#` alone);
 * - the block closes at the last `# ///` line before the first line that is not content
 *   (so a `# ///` inside embedded text does not end the block early);
 * - two `script` blocks are an error; an opened block that never closes is an error too
 *   (silently running a script without the dependencies it asks for is worse);
 * - blocks of other types are skipped.
 *
 * The `script` content is TOML with `dependencies` (PEP 508 strings), `requires-python` (a
 * specifier set) and `[tool.*]` tables.
 */
import { readFile, stat } from 'node:fs/promises';
import { parse as parseToml, TomlError } from 'smol-toml';
import { PavedError } from '../errors.js';
import { parseRequirement } from '../standards/requirement.js';
import { parseSpecifierSet } from '../standards/specifier.js';

/** What a script's `# /// script` block declares. */
export interface ScriptMetadata {
  /** PEP 508 requirement strings, as written. */
  dependencies: string[];
  /** The specifier set text, or null when the block does not say. */
  requiresPython: string | null;
  /** `[tool.*]` tables, untouched. */
  tool: Record<string, unknown>;
  /** Top-level keys the specification does not define (ignored, reported so a typo is noticed). */
  unknownKeys: string[];
}

/** Scripts larger than this are refused before reading (a script, not a data file). */
export const MAX_SCRIPT_BYTES = 16 * 1024 * 1024;
/** A metadata block larger than this is refused. */
export const MAX_BLOCK_BYTES = 1024 * 1024;
const MAX_DEPENDENCIES = 10_000;

const OPEN = /^# \/\/\/ ([a-zA-Z0-9-]+)$/;
const CLOSE = '# ///';
const isContent = (line: string): boolean => line === '#' || line.startsWith('# ');

function invalid(where: string, message: string, hint = 'Fix the `# /// script` block (see PEP 723).'): PavedError {
  return new PavedError('PAVED_E_INVALID_SCRIPT_METADATA', `${where}: ${message}`, { hint });
}

/** One raw block: its type, content text and 1-based opening line. */
interface RawBlock {
  type: string;
  content: string;
  line: number;
}

function findBlocks(text: string, where: string): RawBlock[] {
  const lines = text.split(/\r\n|\n|\r/);
  const blocks: RawBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i] as string);
    if (open === null) continue;
    // The block ends at the last `# ///` of the run of content lines that follows.
    let close = -1;
    let j = i + 1;
    for (; j < lines.length && isContent(lines[j] as string); j++) if (lines[j] === CLOSE) close = j;
    if (close === -1) {
      throw invalid(where, `the \`# /// ${open[1] as string}\` block opened on line ${i + 1} is never closed with \`# ///\``);
    }
    const content = lines
      .slice(i + 1, close)
      .map((l) => (l === '#' ? '' : l.slice(2)))
      .join('\n');
    blocks.push({ type: open[1] as string, content: content === '' ? '' : `${content}\n`, line: i + 1 });
    i = close;
  }
  return blocks;
}

/**
 * Reads the `script` block of a script's source text; null when it has none. `where` names the
 * script in errors. Throws `PAVED_E_INVALID_SCRIPT_METADATA` for two `script` blocks, an
 * unclosed block, invalid TOML, wrong field types, invalid requirements or specifiers, and
 * blocks over `MAX_BLOCK_BYTES`.
 */
export function parseScriptMetadata(text: string, where = 'script'): ScriptMetadata | null {
  const scripts = findBlocks(text.replace(/^\uFEFF/, ''), where).filter((b) => b.type === 'script');
  if (scripts.length === 0) return null;
  if (scripts.length > 1) {
    throw invalid(where, `there are ${scripts.length} \`# /// script\` blocks (lines ${scripts.map((b) => b.line).join(', ')}); there must be at most one`, 'Merge them into one block.');
  }
  const block = scripts[0] as RawBlock;
  if (Buffer.byteLength(block.content, 'utf8') > MAX_BLOCK_BYTES) {
    throw invalid(where, `the \`# /// script\` block on line ${block.line} is larger than ${MAX_BLOCK_BYTES} bytes`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(block.content) as Record<string, unknown>;
  } catch (error) {
    const detail = error instanceof TomlError ? error.message.split('\n')[0] : String(error);
    throw invalid(where, `the \`# /// script\` block on line ${block.line} is not valid TOML: ${detail}`);
  }

  const dependencies: string[] = [];
  const rawDeps = doc['dependencies'];
  if (rawDeps !== undefined) {
    if (!Array.isArray(rawDeps) || rawDeps.some((d) => typeof d !== 'string')) throw invalid(where, '`dependencies` must be an array of strings');
    if (rawDeps.length > MAX_DEPENDENCIES) throw invalid(where, `\`dependencies\` lists more than ${MAX_DEPENDENCIES} entries`);
    for (const dep of rawDeps as string[]) {
      try {
        parseRequirement(dep);
      } catch (error) {
        throw invalid(where, `dependency ${JSON.stringify(dep.slice(0, 200))} is not a valid requirement: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      }
      dependencies.push(dep);
    }
  }

  let requiresPython: string | null = null;
  const rawPython = doc['requires-python'];
  if (rawPython !== undefined) {
    if (typeof rawPython !== 'string') throw invalid(where, '`requires-python` must be a string such as ">=3.11"');
    try {
      parseSpecifierSet(rawPython);
    } catch (error) {
      throw invalid(where, `\`requires-python\` ${JSON.stringify(rawPython.slice(0, 200))} is not a valid specifier set: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
    requiresPython = rawPython;
  }

  const rawTool = doc['tool'];
  if (rawTool !== undefined && (typeof rawTool !== 'object' || rawTool === null || Array.isArray(rawTool))) throw invalid(where, '`tool` must be a table');
  const tool = (rawTool ?? {}) as Record<string, unknown>;
  const unknownKeys = Object.keys(doc).filter((k) => k !== 'dependencies' && k !== 'requires-python' && k !== 'tool');
  return { dependencies, requiresPython, tool, unknownKeys };
}

/**
 * Reads a script file and parses its `script` block (null when it has none). Throws
 * `PAVED_E_NOT_FOUND` for a missing file, `PAVED_E_INVALID_SCRIPT_METADATA` for a file over
 * `MAX_SCRIPT_BYTES`, one that is not UTF-8, or a bad block.
 */
export async function readScriptMetadata(path: string): Promise<ScriptMetadata | null> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw invalid(path, 'is not a file', 'Give the path of a Python script.');
    size = info.size;
  } catch (error) {
    if (error instanceof PavedError) throw error;
    throw new PavedError('PAVED_E_NOT_FOUND', `script ${path} does not exist`, { hint: 'Check the path.', cause: error });
  }
  if (size > MAX_SCRIPT_BYTES) throw invalid(path, `is larger than ${MAX_SCRIPT_BYTES} bytes; not read as a script`, 'Give the path of a Python script.');
  const bytes = await readFile(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid(path, 'is not UTF-8 text', 'Save the script as UTF-8 (PEP 723 metadata is read as UTF-8).');
  }
  return parseScriptMetadata(text, path);
}
