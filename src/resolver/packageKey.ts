/**
 * The resolver's package keys: a normalised project name, or `name[extra]`
 * for the virtual package that stands for "name with this extra", which
 * depends on `name` at the same version plus the extra's requirements.
 */

/** The key of the virtual root package (not a valid project name, so it never clashes). */
export const ROOT_KEY = '(root)';

export function extraKey(name: string, extra: string): string {
  return `${name}[${extra}]`;
}

/** The project behind a key, and the extra when the key is a virtual one. */
export function splitKey(key: string): { name: string; extra: string | null } {
  const open = key.indexOf('[');
  if (open === -1 || !key.endsWith(']')) return { name: key, extra: null };
  return { name: key.slice(0, open), extra: key.slice(open + 1, -1) };
}
