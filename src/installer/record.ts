/**
 * The `RECORD` file of a wheel or an installed distribution: CSV rows of path, `algo=digest`
 * (urlsafe base64, unpadded) and size, written the way Python's `csv` module does so pip and
 * `importlib.metadata` read it back.
 */
import { PavedError } from '../errors.js';

/** One row of a RECORD. */
export interface RecordEntry {
  path: string;
  /** `sha256=…` or empty (the RECORD's own row, or files written after hashing). */
  hash: string;
  /** Size in bytes, or null when not recorded. */
  size: number | null;
}

function parseCsvRows(text: string): string[][] {
  // Nearly every RECORD quotes nothing: then a row is a line and a field what lies between commas
  // (the loop below gives the same rows, a character at a time: ~18 ms for a closure of 2,900 rows).
  if (!text.includes('"')) return text.split(/\r\n|\n|\r/).flatMap((line) => (line === '' ? [] : [line.split(',')]));
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStarted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      fieldStarted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
      fieldStarted = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      if (fieldStarted || field !== '' || row.length > 0) row.push(field);
      if (row.length > 0) rows.push(row);
      row = [];
      field = '';
      fieldStarted = false;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw new PavedError('PAVED_E_INVALID_RECORD', 'RECORD has an unterminated quoted field', { hint: 'The wheel was built by a broken tool; rebuild it.' });
  if (fieldStarted || field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Parses RECORD text. Throws `PAVED_E_INVALID_RECORD` on malformed rows. */
export function parseRecord(text: string): RecordEntry[] {
  return parseCsvRows(text).map((row, index) => {
    const [path = '', hash = '', size = ''] = row;
    if (path === '' || row.length > 3) {
      throw new PavedError('PAVED_E_INVALID_RECORD', `RECORD row ${index + 1} is not "path,hash,size"`, { hint: 'The wheel was built by a broken tool; rebuild it.' });
    }
    if (size !== '' && !/^\d{1,15}$/.test(size)) {
      throw new PavedError('PAVED_E_INVALID_RECORD', `RECORD row ${index + 1} has size ${JSON.stringify(size.slice(0, 40))}`, { hint: 'The wheel was built by a broken tool; rebuild it.' });
    }
    return { path, hash, size: size === '' ? null : Number(size) };
  });
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Renders RECORD rows (`\n` line ends, like the wheel writers pip reads). */
export function renderRecord(entries: readonly RecordEntry[]): string {
  return entries.map((e) => `${csvField(e.path)},${csvField(e.hash)},${e.size === null ? '' : String(e.size)}\n`).join('');
}
