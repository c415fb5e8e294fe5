/**
 * `--no-build` and `--build-timeout <seconds>`, the flags of every command that may build sdists
 * (install, download, lock, sync, add, remove, run), as build settings.
 */
import type { SdistBuildSettings } from '../client/buildSdist.js';
import { PavedError } from '../errors.js';

/** Commander gives `build: false` for `--no-build`; the timeout must be a positive number of seconds. */
export function buildSettingsFromFlags(flags: { build?: boolean; buildTimeout?: string }): SdistBuildSettings {
  const settings: SdistBuildSettings = {};
  if (flags.build === false) settings.noBuild = true;
  if (flags.buildTimeout !== undefined) {
    const secondsValue = Number(flags.buildTimeout);
    if (!Number.isFinite(secondsValue) || secondsValue <= 0) {
      throw new PavedError('PAVED_E_INVALID_ARGUMENT', `--build-timeout must be a positive number of seconds, not ${JSON.stringify(flags.buildTimeout.slice(0, 40))}`, { hint: 'e.g. --build-timeout 600 (the default is 1800).' });
    }
    settings.timeoutMs = Math.round(secondsValue * 1000);
  }
  return settings;
}
