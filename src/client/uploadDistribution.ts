import { createHash } from 'node:crypto';
import { createReadStream, openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { PavedError } from '../errors.js';
import { redactUrl } from './redactUrl.js';

export type UploadOutcome = { status: 'uploaded' | 'exists'; message: string };

/**
 * Uploads one distribution with the legacy upload API (what twine does), so
 * it works against paved and any index that accepts twine. A 400 "File
 * already exists" with the same content is reported as `exists` by the
 * server's 200; a conflicting file throws PAVED_E_FILE_EXISTS.
 */
export async function uploadDistribution(indexUrl: string, token: string | undefined, path: string, fields: Record<string, string> = {}): Promise<UploadOutcome> {
  const filename = basename(path);
  const sha256 = await hashFile(path);
  const form = new FormData();
  form.set(':action', 'file_upload');
  form.set('protocol_version', '1');
  form.set('sha256_digest', sha256);
  form.set('filetype', filename.endsWith('.whl') ? 'bdist_wheel' : 'sdist');
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('content', await openAsBlob(path), filename);
  const headers: Record<string, string> = {};
  if (token !== undefined && token !== '') headers['authorization'] = `Basic ${Buffer.from(`__token__:${token}`).toString('base64')}`;
  let response: Response;
  try {
    response = await fetch(indexUrl, { method: 'POST', body: form, headers });
  } catch (error) {
    throw new PavedError('PAVED_E_NETWORK', `could not upload to ${redactUrl(indexUrl)}: ${(error as Error).message}`);
  }
  const text = (await response.text()).trim();
  if (response.ok) return { status: text.includes('identical') ? 'exists' : 'uploaded', message: text };
  const firstLine = text.split('\n')[0] ?? '';
  if (response.status === 400 && /already exist/i.test(text)) throw new PavedError('PAVED_E_FILE_EXISTS', firstLine);
  const hint = text.split('\n').find((l) => l.startsWith('hint: '))?.slice(6);
  throw new PavedError('PAVED_E_UPLOAD_REFUSED', `${filename}: ${response.status} ${firstLine}`, hint === undefined ? {} : { hint });
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
