import { PavedError } from '../errors.js';
import { normalizeName } from '../standards/names.js';
import { parseOsvAdvisory, type Advisory } from '../standards/osv.js';
import { createAdminApiClient } from './adminApiClient.js';

/** Reads a paved server's imported advisory data, one project at a time. */
export interface AdvisoryApiClient {
  /** Every advisory the server holds for `project` (withdrawn ones included; they never match). */
  forProject(project: string): Promise<Advisory[]>;
}

/**
 * A client of `GET /+api/advisories/{project}` (answering `{ advisories: [<OSV JSON>…] }`).
 * The server's documents are parsed like any other advisory data: a malformed one is a
 * `PAVED_E_SERVER` error naming the advisory, not a silent gap in an audit.
 */
export function createAdvisoryApiClient(serverUrl: string, token: string | undefined): AdvisoryApiClient {
  const api = createAdminApiClient(serverUrl, token);
  return {
    async forProject(project) {
      const body = await api.get<unknown>(`/+api/advisories/${encodeURIComponent(normalizeName(project))}`);
      const list = typeof body === 'object' && body !== null ? (body as { advisories?: unknown }).advisories : undefined;
      if (!Array.isArray(list)) throw new PavedError('PAVED_E_SERVER', `the server's advisory answer for ${project} has no advisories list`);
      return list.map((document) => {
        try {
          return parseOsvAdvisory(document);
        } catch (error) {
          if (!(error instanceof PavedError)) throw error;
          throw new PavedError('PAVED_E_SERVER', `the server sent an advisory paved cannot read: ${error.message}`, { cause: error });
        }
      });
    },
  };
}

/** Shorthand for one lookup: the advisories the server at `serverUrl` holds for `project`. */
export function fetchProjectAdvisories(serverUrl: string, token: string | undefined, project: string): Promise<Advisory[]> {
  return createAdvisoryApiClient(serverUrl, token).forProject(project);
}
