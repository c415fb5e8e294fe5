/**
 * How the installing commands show their work: resolver decisions, downloads, builds and install
 * counts as progress, a created environment and warnings as messages. `paved install`,
 * `paved download`, `paved sync` (and what syncs) and a script's environment all report the same
 * kinds of events, and they read the same.
 */
import { relative } from 'node:path';
import type { InstallEvent } from '../client/installRequirements.js';
import type { SyncLockEvent } from '../client/syncLock.js';
import type { DirectoryLockEvent } from '../installer/directoryLock.js';
import type { GlobalOptions } from './globalOptions.js';
import { buildEventRenderer } from './renderBuildEvents.js';
import type { Reporter } from './reporter.js';

/** `path` relative to the working directory when it is inside it (`.` for itself), else as given. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

/** A renderer for install and sync events; `quietCreated` leaves out the "created <venv>" line. */
export function installProgress(reporter: Reporter, global: GlobalOptions, options: { quietCreated?: boolean } = {}): (event: InstallEvent | SyncLockEvent) => void {
  let decisions = 0;
  let toInstall = 0;
  let installed = 0;
  const build = buildEventRenderer(reporter, global);
  return (event) => {
    switch (event.type) {
      case 'build':
        build(event.event);
        break;
      case 'venv-replaced':
        reporter.info(`${event.dryRun ? 'would replace' : 'replacing'} ${shownPath(event.path)} (${event.reason}) with one on Python ${event.pythonVersion} (${event.python})`, {
          venvReplaced: { path: event.path, reason: event.reason, python: event.python, pythonVersion: event.pythonVersion },
        });
        break;
      case 'venv-created':
        if (options.quietCreated !== true) reporter.info(`created ${shownPath(event.path)} with Python ${event.pythonVersion} (${event.python})`);
        break;
      case 'resolver':
        if (event.event.type === 'decision') {
          decisions++;
          reporter.progress(decisions, decisions + 1, `resolving: ${event.event.package} ${event.event.version.toString()}`);
        } else if (global.verbose) {
          reporter.info(event.event.type === 'conflict' ? `conflict: ${event.event.message}` : `backtrack to level ${event.event.toLevel}: ${event.event.learnt}`);
        }
        break;
      case 'resolved':
        reporter.progress(1, 1, `resolved ${event.packages} packages${event.reusedPages === undefined ? '' : ` (as last time: the ${event.reusedPages} project pages read then are unchanged)`}`);
        if (global.verbose) for (const s of event.skipped) reporter.info(`skipped ${s.name} ${s.version}: ${s.reason}`);
        break;
      case 'yanked':
        reporter.warn(`${event.name} ${event.version} is yanked${event.reason === null ? '' : ` (reason: ${event.reason})`}; it was chosen because a requirement pins it exactly`, { yanked: { name: event.name, version: event.version, reason: event.reason } });
        break;
      case 'fetched':
        reporter.progress(event.done, event.total, `downloaded ${event.filename}`);
        break;
      case 'sync':
        if (event.event.type === 'plan') toInstall = event.event.plan.install.length + event.event.plan.upgrade.length;
        else if (event.event.type === 'installed') reporter.progress(++installed, toInstall, `installed ${event.event.name} ${event.event.version}`);
        else if (event.event.type === 'warning') reporter.warn(event.event.message);
        break;
      default:
        break;
    }
  };
}

/**
 * Renders the lock on an environment: waiting for another paved process that works on it as
 * progress (`doing`: what that process does, e.g. "building this script environment"), a stale
 * lock broken as a warning.
 */
export function renderEnvironmentLock(reporter: Reporter, doing: string): (event: DirectoryLockEvent) => void {
  return (e) => {
    if (e.type === 'lock-waiting') {
      const who = e.holder === null ? 'another paved process' : `paved process ${e.holder.pid}`;
      reporter.progress(0, 1, `waiting for ${who} ${doing} (${Math.round(e.waitedMs / 1000)}s)`);
    } else if (e.type === 'lock-broken') {
      const why = e.reason === 'dead-process' ? `its process ${e.holder?.pid ?? ''} is gone` : e.reason === 'expired' ? `it is older than the stale limit (since ${e.holder?.created ?? '?'})` : 'it was unreadable';
      reporter.warn(`removed the stale lock ${e.lockFile}: ${why}`, { lockFile: e.lockFile, reason: e.reason });
    }
  };
}
