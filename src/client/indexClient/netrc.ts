/**
 * The netrc file (`machine HOST login USER password SECRET`, plus `default` and `macdef`), read
 * the way curl and Python's netrc module read it: tokens separated by whitespace, entries
 * introduced by `machine` or `default`, `macdef` bodies skipped up to the next blank line.
 */

/** One `machine` (or, with `machine: null`, the `default`) entry. */
export interface NetrcEntry {
  machine: string | null;
  login: string | null;
  password: string | null;
}

// Quoted tokens ("my secret") are accepted as newer netrc readers do; a backslash escapes the next character.
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    let token = '';
    if (ch === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        token += text[i];
        i++;
      }
      i++;
    } else {
      while (i < text.length && !/\s/.test(text[i] as string)) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        token += text[i];
        i++;
      }
    }
    if (token === 'macdef') {
      // The macro body runs to the next empty line and holds no entries.
      const blank = text.slice(i).search(/\n[ \t]*\n/);
      i = blank < 0 ? text.length : i + blank + 1;
      continue;
    }
    tokens.push(token);
  }
  return tokens;
}

/** Parses netrc text; unknown keywords are skipped with their value, never fatal. */
export function parseNetrc(text: string): NetrcEntry[] {
  const tokens = tokenize(text);
  const entries: NetrcEntry[] = [];
  let current: NetrcEntry | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token === 'machine') {
      current = { machine: (tokens[++i] ?? '').toLowerCase(), login: null, password: null };
      entries.push(current);
    } else if (token === 'default') {
      current = { machine: null, login: null, password: null };
      entries.push(current);
    } else if (current !== null && (token === 'login' || token === 'password' || token === 'account')) {
      const value = tokens[++i] ?? '';
      if (token === 'login') current.login = value;
      if (token === 'password') current.password = value;
    }
  }
  return entries;
}

/** The entry for a host: its own `machine` line first, else `default`, else null. */
export function findNetrcEntry(entries: NetrcEntry[], host: string): NetrcEntry | null {
  const lower = host.toLowerCase();
  return entries.find((entry) => entry.machine === lower) ?? entries.find((entry) => entry.machine === null) ?? null;
}
