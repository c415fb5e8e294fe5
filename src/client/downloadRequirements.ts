/**
 * `paved download`: resolves requirements for one interpreter and puts the chosen wheels in a
 * folder, each verified by sha256, so an air-gapped machine can install from that folder with
 * `--find-links DIR --offline`. A file already in the folder with the right hash is not fetched
 * again. With `build`, a release that has no wheel for the interpreter but an sdist is resolved
 * from the sdist's metadata (PKG-INFO, else the back-end's) and its sdist is downloaded, as
 * `pip download` does; the installing machine builds it.
 */
import { join, resolve as resolvePath } from 'node:path';
import type { IndexClient } from './indexClient/indexClient.js';
import { fetchWheel, resolveWheels, type InstallEvent, type InstallRequirement } from './installRequirements.js';
import type { PrereleasePolicy } from '../resolver/resolve.js';
import { sdistBuilderFor, type SdistBuildSettings } from './buildSdist.js';
import type { PythonInterpreter } from '../installer/interpreter.js';
import { sha256File } from '../installer/wheelCache.js';

/** Options for `downloadRequirements`. */
export interface DownloadRequirementsOptions {
  requirements: readonly InstallRequirement[];
  constraints?: readonly string[];
  client: IndexClient;
  interpreter: PythonInterpreter;
  /** The folder to fill (created when missing). */
  dest: string;
  requireHashes?: boolean;
  /** When pre-releases are candidates (see `ResolveWheelsOptions.prereleases`). */
  prereleases?: PrereleasePolicy;
  /** Consider sdist-only releases (metadata learned under `cacheDir`) unless `noBuild`; absent: wheels only. */
  build?: SdistBuildSettings & { cacheDir: string };
  /** Parallel downloads; default 16. */
  concurrency?: number;
  onEvent?: (event: InstallEvent) => void;
}

/** One wheel in the folder. */
export interface DownloadedWheel {
  name: string;
  version: string;
  filename: string;
  path: string;
  sha256: string;
  /** False when the folder already had it. */
  fetched: boolean;
}

/** Resolves and downloads; returns the folder's wheels in name order. */
export async function downloadRequirements(options: DownloadRequirementsOptions): Promise<DownloadedWheel[]> {
  const emit = options.onEvent ?? ((): void => {});
  const dest = resolvePath(options.dest);
  const build = options.build;
  const builder = build === undefined ? undefined : sdistBuilderFor({ client: options.client, interpreter: options.interpreter, cacheDir: build.cacheDir, build, onEvent: emit });
  const { wheels } = await resolveWheels({
    requirements: options.requirements,
    ...(options.constraints === undefined ? {} : { constraints: options.constraints }),
    client: options.client,
    interpreter: options.interpreter,
    ...(options.requireHashes === undefined ? {} : { requireHashes: options.requireHashes }),
    ...(options.prereleases === undefined ? {} : { prereleases: options.prereleases }),
    ...(builder === undefined || build === undefined ? {} : { builder, cacheDir: build.cacheDir }),
    onEvent: emit,
    // A download is made for another machine: it resolves in full each time.
    memo: false,
  });
  const out: DownloadedWheel[] = [];
  const present = await Promise.all(
    wheels.map(async (wheel) => {
      const path = join(dest, wheel.file.filename);
      const sha = await sha256File(path).catch(() => null);
      return sha !== null && wheel.allowedSha256.includes(sha) ? sha : null;
    }),
  );
  const toFetch = wheels.filter((_, i) => present[i] === null);
  emit({ type: 'fetch-plan', total: wheels.length, cached: wheels.length - toFetch.length });
  wheels.forEach((wheel, i) => {
    const sha = present[i];
    if (sha !== null && sha !== undefined) out.push({ name: wheel.name, version: wheel.version, filename: wheel.file.filename, path: join(dest, wheel.file.filename), sha256: sha, fetched: false });
  });
  let done = wheels.length - toFetch.length;
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (errors.length === 0 && next < toFetch.length) {
      const wheel = toFetch[next++];
      if (wheel === undefined) break;
      try {
        const result = await fetchWheel(options.client, wheel, join(dest, wheel.file.filename));
        out.push({ name: wheel.name, version: wheel.version, filename: wheel.file.filename, path: result.path, sha256: result.sha256, fetched: true });
        done++;
        emit({ type: 'fetched', name: wheel.name, filename: wheel.file.filename, bytes: result.size, done, total: wheels.length });
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 16, toFetch.length)) }, worker));
  if (errors.length > 0) throw errors[0];
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
