/**
 * Sources on this machine: `file://` simple trees (PEP 503 directories like `/opt/pypi/simple/`,
 * one `<project>/index.json` or `index.html` each) and `--find-links` folders (distribution files
 * side by side, named per the wheel and sdist filename specs). Both work offline.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PavedError, isPavedError } from '../../errors.js';
import { parseDistributionFilename, type DistributionFilename } from '../../standards/distributionFilename.js';
import type { ProjectPage } from '../../standards/simpleApi.js';
import { parseProjectPageHtml } from '../../standards/simpleApiHtml.js';
import { parseProjectPageJson } from '../../standards/simpleApiJson.js';
import type { RangeSource } from './wheelMetadataFromZip.js';

const MAX_PAGE_BYTES = 50 * 1024 * 1024;

/** A page read from a local tree, or null when the tree has no such project. */
export async function readLocalProjectPage(simpleRoot: URL, project: string): Promise<{ page: ProjectPage; format: 'json' | 'html' } | null> {
  for (const [name, format] of [
    ['index.json', 'json'],
    ['index.html', 'html'],
  ] as const) {
    const pageUrl = new URL(`${encodeURIComponent(project)}/${name}`, simpleRoot);
    let text: string;
    try {
      const info = await stat(pageUrl);
      if (!info.isFile()) continue;
      if (info.size > MAX_PAGE_BYTES) throw invalidPage(pageUrl, `is larger than ${MAX_PAGE_BYTES} bytes`);
      text = await readFile(pageUrl, 'utf8');
    } catch (error) {
      if (isPavedError(error)) throw error;
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new PavedError('PAVED_E_NETWORK', `could not read ${pageUrl.href}: ${typeof code === 'string' ? code : 'read failed'}`, {
        hint: 'Check that the local index tree exists and is readable.',
      });
    }
    try {
      const page = format === 'json' ? parseProjectPageJson(text, pageUrl.href) : parseProjectPageHtml(text, pageUrl.href, project);
      // A local tree may only point at local files: an http link in it would defeat offline use.
      return { page: { ...page, files: page.files.filter((file) => file.url.startsWith('file:')) }, format };
    } catch (error) {
      throw invalidPage(pageUrl, `could not be read: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return null;
}

function invalidPage(url: URL, message: string): PavedError {
  return new PavedError('PAVED_E_INVALID_SIMPLE_PAGE', `the project page ${url.href} ${message}`, {
    hint: 'The local index tree holds a page that is not a simple-API page; rebuild the tree.',
    details: { url: url.href },
  });
}

/** One distribution file found in a find-links folder. */
export interface LocalDistribution {
  path: string;
  url: string;
  parsed: DistributionFilename;
  size: number;
  sha256: string;
  /** Whether a PEP 658-style `<file>.metadata` sits beside it. */
  hasMetadataFile: boolean;
}

/** A sha256 of a local file, streamed. */
export function sha256OfFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * The files for `project` (a normalized name) in a find-links folder. Files that are not
 * distributions, or whose names do not parse, are skipped: a download folder holds all sorts.
 */
export async function listFindLinks(folder: string, project: string): Promise<LocalDistribution[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new PavedError('PAVED_E_CONFIG', `the find-links folder ${folder} cannot be read: ${typeof code === 'string' ? code : 'read failed'}`, {
      hint: 'Give --find-links an existing folder of wheels and sdists.',
    });
  }
  const present = new Set(names);
  const found: LocalDistribution[] = [];
  for (const name of names.sort()) {
    let parsed: DistributionFilename;
    try {
      parsed = parseDistributionFilename(name);
    } catch {
      continue;
    }
    if (parsed.normalizedName !== project) continue;
    const path = join(folder, name);
    const info = await stat(path).catch(() => null);
    if (info === null || !info.isFile()) continue;
    found.push({
      path,
      url: pathToFileURL(path).href,
      parsed,
      size: info.size,
      sha256: await sha256OfFile(path),
      hasMetadataFile: present.has(`${name}.metadata`),
    });
  }
  return found;
}

/** Byte ranges of a local file, for reading a wheel's METADATA without reading the whole wheel. */
export async function fileRangeSource(path: string, tailBytes: number): Promise<{ source: RangeSource; close: () => Promise<void> }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const read = async (start: number, end: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(end - start);
      let done = 0;
      while (done < buffer.length) {
        const { bytesRead } = await handle.read(buffer, done, buffer.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buffer.subarray(0, done);
    };
    const tailStart = Math.max(0, size - tailBytes);
    const tail = await read(tailStart, size);
    return { source: { size, tail, read }, close: () => handle.close() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
