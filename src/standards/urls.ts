/**
 * URL helpers shared by the server and the client side (which never import each other). Pure:
 * parsing only, no I/O.
 */

/** A URL fit for messages and logs: user info (credentials) removed. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    if (u.username !== '' || u.password !== '') {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return '<invalid URL>';
  }
}

/**
 * A URL fit for messages when its query string may hold a secret (`?token=…`): user info
 * removed as by `redactUrl`, and every query value replaced by `…` (the names stay, so the
 * message still says which parameter is meant).
 */
export function redactUrlAndQuery(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(redactUrl(url));
  } catch {
    return '<invalid URL>';
  }
  if (u.search === '') return u.toString();
  const names = u.search
    .slice(1)
    .split('&')
    .map((pair) => (pair.includes('=') ? `${pair.slice(0, pair.indexOf('='))}=…` : pair));
  u.search = '';
  return `${u.toString().replace(/#.*$/, '')}?${names.join('&')}`;
}
