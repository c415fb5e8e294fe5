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
