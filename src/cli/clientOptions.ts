/**
 * The client flags every resolving command takes (indexes, find-links, interpreter, offline,
 * cache, timeout, config, building sdists) and their command-line layer of `resolveClientConfig`.
 * Kept apart from `openIndexClient.ts` so that registering a command does not load the index
 * client (`paved run` on a current environment never opens one).
 */
import type { Command } from 'commander';
import { PavedError } from '../errors.js';
import { parseTimeoutSeconds, type ClientConfigFlags } from '../project/clientConfig.js';

/** Commander's accumulator for a repeatable option. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * Adds the flags every resolving command takes (indexes, find-links, interpreter, offline,
 * cache, config, building sdists), with the same names and help everywhere; `python` is the
 * help of `--python`, which means the environment's interpreter for some commands and the one
 * resolved for in others.
 */
export function withClientOptions(cmd: Command, help: { python: string }): Command {
  return cmd
    .option('-i, --index-url <url>', 'the default index, a simple-API root (env PAVED_INDEX_URL, or index-url in [tool.paved])')
    .option('--extra-index-url <url>', 'a further index, asked when earlier ones lack a name (repeatable)', collect, [])
    .option('-f, --find-links <dir>', 'a folder of wheels and sdists to use as well (repeatable)', collect, [])
    .option('--python <version|path>', help.python)
    .option('--offline', 'use only the cache and local folders (env PAVED_OFFLINE=1)')
    .option('--cache-dir <dir>', 'global cache (env PAVED_CACHE_DIR, default ~/.cache/paved)')
    .option('--timeout <seconds>', 'fail an HTTP request after this long without an answer or data; tried once more (env PAVED_HTTP_TIMEOUT, or timeout in [tool.paved] or the user config file; default 30)')
    .option('--no-config', 'do not read the user config file')
    .option('--no-build', "never build sdists: releases without a usable wheel are unavailable (pip's --only-binary :all:)")
    .option('--build-timeout <seconds>', 'stop a PEP 517 build hook running longer than this (default 1800)');
}

/** The client flags every resolving command takes, as commander parses them. */
export interface ClientFlags {
  indexUrl?: string;
  extraIndexUrl: string[];
  findLinks: string[];
  cacheDir?: string;
  offline?: boolean;
  python?: string;
  /** `--timeout`, in seconds as typed. */
  timeout?: string;
  /** false with `--no-config`. */
  config?: boolean;
}

/** The command-line layer of `resolveClientConfig`: only what was given (`indexUrl` may come from elsewhere, e.g. a requirements file). */
export function clientConfigFlags(flags: ClientFlags, indexUrl: string | undefined = flags.indexUrl): ClientConfigFlags {
  const timeoutMs = flags.timeout === undefined ? undefined : parseTimeoutSeconds(flags.timeout);
  if (timeoutMs === null) {
    throw new PavedError('PAVED_E_INVALID_ARGUMENT', `--timeout must be a positive number of seconds, not ${JSON.stringify((flags.timeout ?? '').slice(0, 40))}`, {
      hint: 'e.g. --timeout 120 (the default is 30).',
    });
  }
  return {
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(indexUrl === undefined ? {} : { indexUrl }),
    ...(flags.extraIndexUrl.length === 0 ? {} : { extraIndexUrls: flags.extraIndexUrl }),
    ...(flags.findLinks.length === 0 ? {} : { findLinks: flags.findLinks }),
    ...(flags.cacheDir === undefined ? {} : { cacheDir: flags.cacheDir }),
    ...(flags.offline === true ? { offline: true } : {}),
    ...(flags.python === undefined ? {} : { python: flags.python }),
    ...(flags.config === false ? { noConfig: true } : {}),
  };
}
