/**
 * paved's client configuration: one explicit settings object, read once, from (highest priority
 * first) command-line values, `PAVED_*` environment variables, `[tool.paved]` of the project and
 * the user config file (`$PAVED_CONFIG_FILE`, else `$XDG_CONFIG_HOME/paved/config.toml`, else
 * `~/.config/paved/config.toml`; the same keys as `[tool.paved]`, at the top level).
 *
 * Scalars (cache dir, offline, python, keyring provider, the default index, the HTTP timeout)
 * come from the first layer that sets them. Lists (extra indexes, named indexes, find-links) are concatenated the way
 * uv merges configuration: command line (or, when no flag is given, the environment variable),
 * then the project, then the user file.
 *
 * Index order, which decides where a name comes from (the index client takes a project from the
 * first index that has it):
 *   1. the default index: `--index-url`, else `PAVED_INDEX_URL`, else the project's `index-url`
 *      or `[[tool.paved.index]]` entry with `default = true`, else the user file's;
 *   2. the other named `[[tool.paved.index]]` entries, project first, in the order written;
 *   3. the extra indexes: `--extra-index-url` (else `PAVED_EXTRA_INDEX_URL`), then the project's
 *      `extra-index-url`, then the user file's.
 * `--index-url` therefore replaces only the configured default index; configured extra indexes
 * stay (as in pip and uv, where `--index-url` and `extra-index-url` are separate settings). The
 * default index comes first, unlike uv, so that a company's own index (the usual default) is
 * asked before any extra one and an extra index can never shadow an internal name; `paved
 * install` orders its indexes the same way. There is no built-in default index: with none
 * configured, `indexUrls` is empty and the client says so (PAVED_E_NO_INDEX).
 *
 * Index URLs may carry credentials (`https://user:token@host/simple/`): `indexes[i].shown` is the
 * redacted form, the only one to put in messages and events.
 *
 * `keyring-command` runs a program; a cloned repository must not choose what runs on a
 * developer's machine, so it is honoured only from the user config file, never from
 * `[tool.paved]` (a warning says it was ignored).
 */
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { PavedError } from '../errors.js';
import { redactUrl } from '../standards/urls.js';
import { parsePavedSettings, parseTomlTable, readConfigText, timeoutMsFromSeconds, type KeyringProvider, type PavedSettings, type PyprojectFile } from './pyproject.js';

const CONFIG_CODE = 'PAVED_E_INVALID_CONFIG';

/** Values given on the command line; absent means "not given". */
export interface ClientConfigFlags {
  indexUrl?: string;
  extraIndexUrls?: string[];
  findLinks?: string[];
  cacheDir?: string;
  offline?: boolean;
  python?: string;
  keyringProvider?: KeyringProvider;
  /** `--timeout`, already checked (see `parseTimeoutSeconds`). */
  timeoutMs?: number;
  /** `--no-config`: do not read the user config file. */
  noConfig?: boolean;
}

/** What `resolveClientConfig` reads. */
export interface ResolveClientConfigOptions {
  flags?: ClientConfigFlags;
  env: Record<string, string | undefined>;
  /** The project's pyproject.toml, already parsed; null outside a project. */
  project: PyprojectFile | null;
  /** The project directory (relative `find-links`/`cache-dir` in `[tool.paved]` resolve against it); default the directory of `project.shown`. */
  projectRoot?: string;
  /** The user's home directory; default os.homedir(). */
  home?: string;
  /** Where relative paths from flags and the environment resolve; default process.cwd(). */
  cwd?: string;
}

/** One index in priority order. */
export interface ConfiguredIndex {
  /** The URL to use, possibly with credentials: never print it. */
  url: string;
  /** The URL without credentials, for messages. */
  shown: string;
  /** The `[[tool.paved.index]]` name, when it has one. */
  name: string | null;
  /** True for the default index. */
  default: boolean;
  /** Where it was configured (`--index-url`, `PAVED_EXTRA_INDEX_URL`, a file). */
  source: string;
}

/** The configuration a project command runs with. */
export interface ClientConfig {
  /** Index URLs in priority order (possibly with credentials: pass to the client, never print). */
  indexUrls: string[];
  /** The same indexes with names, redacted forms and sources. */
  indexes: ConfiguredIndex[];
  /** Absolute folder paths (or URLs as given) of local distributions. */
  findLinks: string[];
  /** Absolute cache directory. */
  cacheDir: string;
  offline: boolean;
  /** The interpreter request for the venv (`3.12`, a path), or null to pick from requires-python. */
  python: string | null;
  /** The keyring command to run for index credentials; null when keyring is off. */
  keyring: { command: string[] } | null;
  /** Longest silence on an HTTP connection before a request fails (PAVED_E_TIMEOUT). */
  timeoutMs: number;
  /** Markers limiting the universal lock (project only); null: every environment. */
  environments: string[] | null;
  /** Dependency groups installed unless asked otherwise (project only). */
  defaultGroups: string[];
  /** The user config file that was read, or null. */
  configFile: string | null;
  /** Where each value came from, for `--verbose` and errors. */
  sources: {
    findLinks: string[];
    cacheDir: string;
    offline: string;
    python: string;
    keyring: string;
    timeout: string;
    environments: string;
    defaultGroups: string;
  };
  /** Non-fatal problems (unknown keys, ignored settings). */
  warnings: string[];
}

/** One source of settings, with where its relative paths start. */
interface Layer {
  label: string;
  settings: PavedSettings;
  baseDir: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function words(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/\s+/).filter((word) => word !== '');
}

function parseBoolean(name: string, value: string): boolean {
  const lowered = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lowered)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(lowered)) return false;
  throw new PavedError(CONFIG_CODE, `${name} must be 1/true/yes/on or 0/false/no/off, not ${JSON.stringify(value.slice(0, 40))}`, { details: { variable: name } });
}

function checkIndexUrl(url: string, source: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Whatever precedes an @ may be a secret even in a URL too broken to parse.
    const shown = url.includes('@') ? `…@${url.slice(url.lastIndexOf('@') + 1)}` : url;
    throw new PavedError(CONFIG_CODE, `${source}: not an absolute URL: ${JSON.stringify(shown.slice(0, 80))}`, {
      hint: 'Give the simple-API root, e.g. https://pypi.acme.com/simple/.',
      details: { source },
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:' && parsed.protocol !== 'file:') {
    throw new PavedError(CONFIG_CODE, `${source}: an index URL must be http(s) or file, not ${parsed.protocol}`, { details: { source } });
  }
  return url;
}

function localPath(value: string, baseDir: string): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value)) return value;
  if (value === '~' || value.startsWith('~/')) return value;
  return isAbsolute(value) ? value : resolve(baseDir, value);
}

function expandHome(value: string, home: string): string {
  if (value === '~') return home;
  if (value.startsWith('~/')) return join(home, value.slice(2));
  return value;
}

/** The HTTP timeout when nothing sets one (pip's and uv's default too). */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

/** A timeout typed in seconds (`--timeout`, `PAVED_HTTP_TIMEOUT`) in milliseconds, or null (see `timeoutMsFromSeconds`). */
export function parseTimeoutSeconds(text: string): number | null {
  const trimmed = text.trim();
  return /^\d+(\.\d+)?$/.test(trimmed) ? timeoutMsFromSeconds(Number(trimmed)) : null;
}

/** The user config file's path: `PAVED_CONFIG_FILE`, else under `XDG_CONFIG_HOME`, else `~/.config`. */
export function userConfigPath(env: Record<string, string | undefined>, home: string): { path: string; explicit: boolean } {
  const explicit = nonEmpty(env['PAVED_CONFIG_FILE']);
  if (explicit !== undefined) return { path: resolve(expandHome(explicit, home)), explicit: true };
  const xdg = nonEmpty(env['XDG_CONFIG_HOME']);
  return { path: join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, '.config'), 'paved', 'config.toml'), explicit: false };
}

/** Parses the user config file's text (the `[tool.paved]` keys at the top level). Pure. */
export function parseUserConfig(text: string, shown: string, warnings: string[] = []): PavedSettings {
  const doc = parseTomlTable(text, shown, CONFIG_CODE, 'Fix the TOML syntax at that position.');
  const settings = parsePavedSettings(doc, { shown, code: CONFIG_CODE, prefix: '' }, warnings);
  if (settings.environments !== null) warnings.push(`${shown}: environments is a project setting; set it in [tool.paved] of pyproject.toml (ignored here)`);
  if (settings.requiredEnvironments !== null) warnings.push(`${shown}: required-environments is a project setting; set it in [tool.paved] of pyproject.toml (ignored here)`);
  if (settings.defaultGroups !== null) warnings.push(`${shown}: default-groups is a project setting; set it in [tool.paved] of pyproject.toml (ignored here)`);
  return settings;
}

/**
 * Gathers the client configuration once. Reads the user config file (a missing default file is
 * no settings; a missing `PAVED_CONFIG_FILE` is an error); everything else is given. Throws
 * `PAVED_E_INVALID_CONFIG` for a malformed config file or environment value.
 */
export async function resolveClientConfig(options: ResolveClientConfigOptions): Promise<ClientConfig> {
  const flags = options.flags ?? {};
  const env = options.env;
  const home = options.home ?? homedir();
  const cwd = options.cwd ?? process.cwd();
  const warnings: string[] = [...(options.project?.warnings ?? [])];

  const layers: Layer[] = [];
  if (options.project !== null) {
    const settings = { ...options.project.paved };
    if (settings.keyringCommand !== null) {
      warnings.push(`${options.project.shown}: tool.paved.keyring-command is ignored: a project cannot choose a program to run; set it in the user config file`);
      settings.keyringCommand = null;
    }
    layers.push({ label: `${options.project.shown} [tool.paved]`, settings, baseDir: options.projectRoot ?? dirname(resolve(cwd, options.project.shown)) });
  }
  let configFile: string | null = null;
  if (flags.noConfig !== true) {
    const { path, explicit } = userConfigPath(env, home);
    const text = await readConfigText(path, CONFIG_CODE);
    if (text === null && explicit) {
      throw new PavedError(CONFIG_CODE, `PAVED_CONFIG_FILE names ${path}, which does not exist`, { hint: 'Create the file or unset PAVED_CONFIG_FILE.' });
    }
    if (text !== null) {
      configFile = path;
      layers.push({ label: path, settings: parseUserConfig(text, path, warnings), baseDir: dirname(path) });
    }
  }

  // Indexes.
  const indexes: ConfiguredIndex[] = [];
  const add = (url: string, source: string, name: string | null, isDefault: boolean): void => {
    if (indexes.some((entry) => entry.url === url)) return;
    indexes.push({ url, shown: redactUrl(url), name, default: isDefault, source });
  };
  const flagIndex = nonEmpty(flags.indexUrl);
  const envIndex = nonEmpty(env['PAVED_INDEX_URL']);
  let defaultIndex: { url: string; source: string; name: string | null } | null = null;
  if (flagIndex !== undefined) defaultIndex = { url: checkIndexUrl(flagIndex, '--index-url'), source: '--index-url', name: null };
  else if (envIndex !== undefined) defaultIndex = { url: checkIndexUrl(envIndex, 'PAVED_INDEX_URL'), source: 'PAVED_INDEX_URL', name: null };
  else {
    for (const layer of layers) {
      const named = layer.settings.indexes.find((entry) => entry.default);
      if (layer.settings.indexUrl !== null) defaultIndex = { url: layer.settings.indexUrl, source: layer.label, name: null };
      else if (named !== undefined) defaultIndex = { url: named.url, source: layer.label, name: named.name };
      if (defaultIndex !== null) break;
    }
  }
  if (defaultIndex !== null) add(defaultIndex.url, defaultIndex.source, defaultIndex.name, true);
  for (const layer of layers) {
    for (const entry of layer.settings.indexes) if (!entry.default) add(entry.url, layer.label, entry.name, false);
  }
  const flagExtras = (flags.extraIndexUrls ?? []).filter((url) => url.trim() !== '');
  if (flagExtras.length > 0) for (const url of flagExtras) add(checkIndexUrl(url.trim(), '--extra-index-url'), '--extra-index-url', null, false);
  else for (const url of words(env['PAVED_EXTRA_INDEX_URL'])) add(checkIndexUrl(url, 'PAVED_EXTRA_INDEX_URL'), 'PAVED_EXTRA_INDEX_URL', null, false);
  for (const layer of layers) for (const url of layer.settings.extraIndexUrls) add(url, layer.label, null, false);

  // Find-links.
  const findLinks: string[] = [];
  const findLinksSources: string[] = [];
  const addLink = (value: string, baseDir: string, source: string): void => {
    const path = expandHome(localPath(value, baseDir), home);
    if (findLinks.includes(path)) return;
    findLinks.push(path);
    findLinksSources.push(source);
  };
  const flagLinks = (flags.findLinks ?? []).filter((link) => link.trim() !== '');
  if (flagLinks.length > 0) for (const link of flagLinks) addLink(link.trim(), cwd, '--find-links');
  else for (const link of words(env['PAVED_FIND_LINKS'])) addLink(link, cwd, 'PAVED_FIND_LINKS');
  for (const layer of layers) for (const link of layer.settings.findLinks) addLink(link, layer.baseDir, layer.label);

  // Scalars: the first layer that sets one.
  function pick<T>(flag: T | undefined, flagLabel: string, envValue: T | undefined, envLabel: string, get: (settings: PavedSettings) => T | null): { value: T; source: string } | null {
    if (flag !== undefined) return { value: flag, source: flagLabel };
    if (envValue !== undefined) return { value: envValue, source: envLabel };
    for (const layer of layers) {
      const value = get(layer.settings);
      if (value !== null) return { value, source: layer.label };
    }
    return null;
  }

  const cacheFromLayers = layers.find((layer) => layer.settings.cacheDir !== null);
  let cacheDir: { value: string; source: string };
  const flagCache = nonEmpty(flags.cacheDir);
  const envCache = nonEmpty(env['PAVED_CACHE_DIR']);
  if (flagCache !== undefined) cacheDir = { value: resolve(cwd, expandHome(flagCache, home)), source: '--cache-dir' };
  else if (envCache !== undefined) cacheDir = { value: resolve(cwd, expandHome(envCache, home)), source: 'PAVED_CACHE_DIR' };
  else if (cacheFromLayers !== undefined) {
    cacheDir = { value: resolve(cacheFromLayers.baseDir, expandHome(cacheFromLayers.settings.cacheDir ?? '', home)), source: cacheFromLayers.label };
  } else {
    const xdg = nonEmpty(env['XDG_CACHE_HOME']);
    cacheDir = { value: join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, '.cache'), 'paved'), source: 'default' };
  }

  const envOffline = env['PAVED_OFFLINE'] === undefined ? undefined : parseBoolean('PAVED_OFFLINE', env['PAVED_OFFLINE']);
  const offline = pick(flags.offline, '--offline', envOffline, 'PAVED_OFFLINE', (s) => s.offline);
  const python = pick(nonEmpty(flags.python), '--python', nonEmpty(env['PAVED_PYTHON']), 'PAVED_PYTHON', (s) => s.python);

  const envProviderText = nonEmpty(env['PAVED_KEYRING_PROVIDER']);
  if (envProviderText !== undefined && envProviderText !== 'subprocess' && envProviderText !== 'disabled') {
    throw new PavedError(CONFIG_CODE, `PAVED_KEYRING_PROVIDER must be "subprocess" or "disabled", not ${JSON.stringify(envProviderText.slice(0, 40))}`, { details: { variable: 'PAVED_KEYRING_PROVIDER' } });
  }
  const provider = pick<KeyringProvider>(flags.keyringProvider, '--keyring-provider', envProviderText as KeyringProvider | undefined, 'PAVED_KEYRING_PROVIDER', (s) => s.keyringProvider);
  const command = pick<string[]>(undefined, '', undefined, '', (s) => s.keyringCommand);
  const keyring = provider?.value === 'subprocess' ? { command: command?.value ?? ['keyring'] } : null;

  const envTimeoutText = nonEmpty(env['PAVED_HTTP_TIMEOUT']);
  const envTimeout = envTimeoutText === undefined ? undefined : parseTimeoutSeconds(envTimeoutText);
  if (envTimeout === null) {
    throw new PavedError(CONFIG_CODE, `PAVED_HTTP_TIMEOUT must be a positive number of seconds, not ${JSON.stringify((envTimeoutText ?? '').slice(0, 40))}`, {
      hint: 'e.g. PAVED_HTTP_TIMEOUT=120 (the default is 30).',
      details: { variable: 'PAVED_HTTP_TIMEOUT' },
    });
  }
  const timeout = pick<number>(flags.timeoutMs, '--timeout', envTimeout, 'PAVED_HTTP_TIMEOUT', (s) => s.timeoutMs);

  const project = options.project;
  const projectLabel = project === null ? 'default' : `${project.shown} [tool.paved]`;
  return {
    indexUrls: indexes.map((entry) => entry.url),
    indexes,
    findLinks,
    cacheDir: cacheDir.value,
    offline: offline?.value ?? false,
    python: python?.value ?? null,
    keyring,
    timeoutMs: timeout?.value ?? DEFAULT_HTTP_TIMEOUT_MS,
    environments: project?.paved.environments ?? null,
    defaultGroups: project?.defaultGroups ?? [],
    configFile,
    sources: {
      findLinks: findLinksSources,
      cacheDir: cacheDir.source,
      offline: offline?.source ?? 'default',
      python: python?.source ?? 'default',
      keyring: keyring === null ? (provider?.source ?? 'default') : `${provider?.source ?? 'default'}${command !== null ? `; command from ${command.source}` : ''}`,
      timeout: timeout?.source ?? 'default',
      environments: (project?.paved.environments ?? null) !== null ? projectLabel : 'default',
      defaultGroups: (project?.paved.defaultGroups ?? null) !== null ? projectLabel : project !== null && project.defaultGroups.length > 0 ? `${project.shown} (a dev group exists)` : 'default',
    },
    warnings,
  };
}
