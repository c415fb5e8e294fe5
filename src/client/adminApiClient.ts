import { PavedError } from '../errors.js';
import { redactUrl } from './redactUrl.js';

/**
 * A thin client of a paved server's admin API (`/+api/…`). Errors the server
 * reports keep their code, message and hint; transport failures name the
 * URL without credentials.
 */
export function createAdminApiClient(serverUrl: string, token: string | undefined) {
  const base = serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const url = new URL(path.replace(/^\//, ''), base);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined && token !== '') headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(60_000) });
    } catch (error) {
      throw new PavedError('PAVED_E_NETWORK', `could not reach ${redactUrl(url)}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`, {
        hint: 'check --server and that the server is running',
      });
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: handled below */
    }
    if (!response.ok) {
      const e = (parsed as { error?: { code?: string; message?: string; hint?: string } } | null)?.error;
      if (e?.code !== undefined && e.message !== undefined) throw new PavedError(e.code, e.message, e.hint === undefined ? {} : { hint: e.hint });
      throw new PavedError('PAVED_E_SERVER', `${method} ${redactUrl(url)} answered ${response.status}: ${text.slice(0, 200)}`);
    }
    if (parsed === null) throw new PavedError('PAVED_E_SERVER', `${method} ${redactUrl(url)} did not answer JSON`);
    return parsed as T;
  };
  return {
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
    patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
    put: <T>(path: string, body: unknown) => call<T>('PUT', path, body),
    delete: <T>(path: string) => call<T>('DELETE', path),
  };
}

export type AdminApiClient = ReturnType<typeof createAdminApiClient>;
