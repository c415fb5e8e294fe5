import { PavedError } from '../errors.js';

/** Parses `512`, `500K`, `100M`, `2G` (binary units) into bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (m === null) throw new PavedError('PAVED_E_INVALID_ARGUMENT', `'${text}' is not a size`, { hint: 'use e.g. 500M or 2G' });
  const units: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Math.floor(Number(m[1]) * units[(m[2] ?? '').toLowerCase()]!);
}
