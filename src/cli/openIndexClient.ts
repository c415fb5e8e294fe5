/**
 * The one way a command turns its client configuration into an `IndexClient`: the configured
 * indexes and find-links, offline mode, the cache, and keyring credentials when configured.
 * Shared by the project commands and by `paved install` / `download`, so both honour the same
 * settings the same way.
 */
import { PavedError } from '../errors.js';
import { createIndexClient, type IndexClient, type IndexClientEvent } from '../client/indexClient/indexClient.js';
import type { ClientConfig } from '../project/clientConfig.js';

/** What `openIndexClient` needs of a configuration (a `ClientConfig`, possibly with more indexes added). */
export type IndexClientConfig = Pick<ClientConfig, 'indexUrls' | 'findLinks' | 'offline' | 'cacheDir' | 'keyring' | 'timeoutMs'>;

/**
 * Opens a client for `config`. Throws `PAVED_E_NO_INDEX` when there is neither an index nor a
 * find-links folder, unless `allowNoIndex` (a command that only reads URLs it was given).
 * Client warnings (e.g. a keyring that failed) go to `onWarning`.
 */
export function openIndexClient(config: IndexClientConfig, options: { onWarning?: (message: string) => void; allowNoIndex?: boolean } = {}): IndexClient {
  if (config.indexUrls.length === 0 && config.findLinks.length === 0 && options.allowNoIndex !== true) {
    throw new PavedError('PAVED_E_NO_INDEX', 'no index configured', {
      hint: 'Give --index-url URL, set PAVED_INDEX_URL, or add index-url to [tool.paved] in pyproject.toml or to ~/.config/paved/config.toml (or --find-links DIR for a folder of wheels).',
    });
  }
  const onWarning = options.onWarning;
  return createIndexClient({
    indexUrls: config.indexUrls,
    findLinks: config.findLinks,
    offline: config.offline,
    cacheDir: config.cacheDir,
    timeoutMs: config.timeoutMs,
    ...(config.keyring === null ? {} : { credentials: { keyring: { command: config.keyring.command } } }),
    ...(onWarning === undefined ? {} : { onEvent: (event: IndexClientEvent) => (event.type === 'warning' ? onWarning(event.message) : undefined) }),
  });
}
