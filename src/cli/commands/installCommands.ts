/**
 * `paved install`, `uninstall` and `download`: the pip-style path for scripts and CI.
 *
 * Where the index settings come from, highest first (one rule for install and download):
 *   1. command-line flags (`--index-url`, `--extra-index-url`, `--find-links`, `--python`, …);
 *   2. the requirements files' own options: `-i/--index-url` acts exactly like the flag (it
 *      replaces the configured default index unless the flag was given), `--extra-index-url`
 *      and `-f/--find-links` are added after every configured index and folder;
 *   3. `PAVED_*` environment variables (PAVED_INDEX_URL, PAVED_EXTRA_INDEX_URL, PAVED_FIND_LINKS,
 *      PAVED_PYTHON, PAVED_CACHE_DIR, PAVED_OFFLINE, PAVED_KEYRING_PROVIDER, PAVED_HTTP_TIMEOUT);
 *   4. `[tool.paved]` of `pyproject.toml` in the working directory, when there is one;
 *   5. the user config file (`PAVED_CONFIG_FILE`, else `~/.config/paved/config.toml`), unless `--no-config`.
 * See `resolveClientConfig` for how lists merge and how indexes are ordered.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PavedError, isPavedError } from '../../errors.js';
import type { SdistBuildSettings } from '../../client/buildSdist.js';
import { downloadLock, type DownloadLockEvent } from '../../client/downloadLock.js';
import type { IndexClient } from '../../client/indexClient/indexClient.js';
import { editableTarget, readInstallRequirements, readUninstallNames, type EditableTarget } from '../../client/readInstallRequirements.js';
import { openVenv } from '../../installer/createVenv.js';
import { acquireDirectoryLock, type DirectoryLock } from '../../installer/directoryLock.js';
import { downloadRequirements } from '../../client/downloadRequirements.js';
import { installRequirements, type InstallRequirement } from '../../client/installRequirements.js';
import { findInterpreter } from '../../installer/interpreter.js';
import { uninstallDistribution } from '../../installer/installWheel.js';
import { readInstalledDistributions } from '../../installer/readInstalledDistributions.js';
import { resolveClientConfig, type ClientConfig } from '../../project/clientConfig.js';
import { findProjectRoot, readPyproject, type PyprojectFile } from '../../project/pyproject.js';
import { parsePylock } from '../../project/pylock.js';
import { redactUrl } from '../../standards/urls.js';
import { normalizeExtra, normalizeName } from '../../standards/names.js';
import { parseRequirement } from '../../standards/requirement.js';
import type { PrereleasePolicy } from '../../resolver/resolve.js';
import { buildSettingsFromFlags } from '../buildSettingsFromFlags.js';
import { clientConfigFlags, collect, withClientOptions } from '../clientOptions.js';
import { openIndexClient, type IndexClientConfig } from '../openIndexClient.js';
import { installProgress, renderEnvironmentLock, shownPath } from '../installProgress.js';
import type { Reporter } from '../reporter.js';
import { checkInstalledEnvironment } from '../reportEnvironmentCheck.js';
import { runCommand } from '../runCommand.js';

/** Flags shared by `install` and `download`. */
interface ResolveFlags {
  requirement: string[];
  constraint: string[];
  indexUrl?: string;
  extraIndexUrl: string[];
  findLinks: string[];
  python?: string;
  requireHashes?: boolean;
  /** false with `--no-index`. */
  index?: boolean;
  pre?: boolean;
  offline?: boolean;
  cacheDir?: string;
  /** false with `--no-config`. */
  config?: boolean;
  /** false with `--no-build`. */
  build?: boolean;
  buildTimeout?: string;
}


/** The client settings of install/download: the configuration plus the requirement files' own indexes. */
interface InstallClientSettings extends IndexClientConfig {
  /** Redacted index URLs, for the result. */
  shownIndexes: string[];
  /** The interpreter request (flag, PAVED_PYTHON, config), or null. */
  python: string | null;
}

/** What the flags, the environment, the config files and the requirement files' own options say, read once. */
interface InstallSettings {
  requirements: InstallRequirement[];
  /** Project folders to install in editable mode (`-e` flags and `-e` lines). */
  editables: EditableTarget[];
  constraints: string[];
  client: InstallClientSettings;
  build: SdistBuildSettings;
  /** pip's hash-checking mode: `--require-hashes` as a flag or a line of a file, or any requirement with a `--hash` (as pip turns it on). */
  requireHashes: boolean;
  /** `--pre` as a flag or a line of a file. */
  prereleases?: PrereleasePolicy;
  /** No index is needed: `--no-index`, or every requirement names its own file. */
  allowNoIndex: boolean;
}

/**
 * The nearest `pyproject.toml` at or above the working directory (as the project commands find
 * it, so `paved install` and `paved lock` in one folder use the same indexes), or null; one that
 * does not parse is ignored with a warning (this is not a project command).
 */
async function workingDirectoryProject(reporter: Reporter): Promise<PyprojectFile | null> {
  const root = await findProjectRoot(process.cwd());
  if (root === null) return null;
  const path = join(root, 'pyproject.toml');
  try {
    return await readPyproject(path);
  } catch (error) {
    if (!isPavedError(error)) throw error;
    reporter.warn(`ignoring the settings of ${path}: ${error.message}`);
    return null;
  }
}

/**
 * The client configuration (see the module comment for precedence). `fileOptions` are the
 * index options read from requirement files.
 */
async function readClientSettings(flags: ResolveFlags, fileOptions: readonly { name: string; value: string | null }[], noIndex: boolean, reporter: Reporter): Promise<InstallClientSettings> {
  const fileOption = (...optionNames: string[]): string[] => fileOptions.filter((o) => optionNames.includes(o.name) && o.value !== null).map((o) => o.value as string);
  const project = await workingDirectoryProject(reporter);
  const indexUrl = flags.indexUrl ?? fileOption('-i', '--index-url')[0];
  const config: ClientConfig = await resolveClientConfig({
    flags: clientConfigFlags(flags, indexUrl),
    env: process.env,
    project,
    ...(project === null ? {} : { projectRoot: dirname(project.shown) }),
    home: homedir(),
  });
  for (const warning of config.warnings) reporter.warn(warning);
  const indexUrls = [...config.indexUrls];
  const shownIndexes = config.indexes.map((i) => i.shown);
  for (const url of fileOption('--extra-index-url')) {
    if (indexUrls.includes(url)) continue;
    indexUrls.push(url);
    shownIndexes.push(redactUrl(url));
  }
  const findLinks = [...config.findLinks];
  for (const link of fileOption('-f', '--find-links')) if (!findLinks.includes(link)) findLinks.push(link);
  if (noIndex) return { indexUrls: [], findLinks, offline: config.offline, cacheDir: config.cacheDir, keyring: config.keyring, timeoutMs: config.timeoutMs, shownIndexes: [], python: config.python };
  return { indexUrls, findLinks, offline: config.offline, cacheDir: config.cacheDir, keyring: config.keyring, timeoutMs: config.timeoutMs, shownIndexes, python: config.python };
}

async function readSettings(flags: ResolveFlags, names: string[], reporter: Reporter, editableFlags: readonly string[] = []): Promise<InstallSettings> {
  const files = await readInstallRequirements(flags.requirement, flags.constraint);
  for (const w of files.warnings) reporter.warn(`${w.file}:${w.line}: ${w.message}`);
  const requirements: InstallRequirement[] = [...files.requirements, ...names.map((n) => ({ requirement: n }))];
  const editables = [...files.editables, ...editableFlags.map((e) => editableTarget(e))];
  if (requirements.length === 0 && editables.length === 0) {
    throw new PavedError('PAVED_E_NOTHING_TO_INSTALL', 'no requirements given', { hint: 'Name packages (paved install flask) or give -r requirements.txt.' });
  }
  const fileSays = (name: string): boolean => files.options.some((o) => o.name === name);
  // pip's --no-index: no index at all, from any source; only find-links folders (and the files named).
  const noIndex = flags.index === false || fileSays('--no-index');
  const client = await readClientSettings(flags, files.options, noIndex, reporter);
  const requireHashes = flags.requireHashes === true || fileSays('--require-hashes') || files.requirements.some((r) => r.hashes.length > 0);
  const namesOwnFile = (line: string): boolean => {
    try {
      return parseRequirement(line).url !== null;
    } catch {
      return true; // a bare wheel path or URL
    }
  };
  return {
    requirements,
    editables,
    constraints: files.constraints,
    client,
    build: buildSettingsFromFlags(flags),
    requireHashes,
    ...(flags.pre === true || fileSays('--pre') ? { prereleases: 'allow' as const } : {}),
    allowNoIndex: noIndex || requirements.every((r) => namesOwnFile(r.requirement)),
  };
}

function openClient(settings: InstallSettings, reporter: Reporter): IndexClient {
  return openIndexClient(settings.client, { onWarning: (m) => reporter.warn(m), allowNoIndex: settings.allowNoIndex });
}

/** The flags only `install` has. */
interface InstallFlags {
  targetVenv: string;
  upgrade?: boolean;
  upgradePackage: string[];
  deps: boolean;
  dryRun?: boolean;
  report?: string;
  reinstall?: boolean;
  compile?: boolean;
  /** `-e DIR` (repeatable). */
  editable: string[];
}

const seconds = (start: bigint): number => Math.round(Number(process.hrtime.bigint() - start) / 1e6) / 1000;

/** Renders `downloadLock` progress. */
function lockDownloadProgress(reporter: Reporter): (event: DownloadLockEvent) => void {
  return (event) => {
    if (event.type === 'downloaded') reporter.progress(event.done, event.total, `downloaded ${event.filename}`);
    else if (event.type === 'skipped') reporter.warn(`${event.name}: nothing to download (${event.reason})`);
  };
}

/** `paved install`, `paved uninstall` and `paved download`: the pip-style path for scripts and CI. */
/** Takes the lock on the environment at `where` (see `directoryLock.ts`), saying what another paved holding it is `doing` while this one waits. */
function lockEnvironment(where: string, reporter: Reporter, doing: string): Promise<DirectoryLock> {
  return acquireDirectoryLock(where, { description: `the environment ${where}`, onEvent: renderEnvironmentLock(reporter, `${doing} ${shownPath(where)}`) });
}

export function registerInstallCommands(program: Command): void {
  const withResolveOptions = (cmd: Command): Command =>
    withClientOptions(
      cmd
        .option('-r, --requirement <file>', 'install from a requirements file (repeatable)', collect, [])
        .option('-c, --constraint <file>', 'constrain versions with a constraints file (repeatable)', collect, [])
        .option('--require-hashes', 'every requirement must be pinned with == and --hash=sha256:… (on by itself when a requirements file has a --hash, as in pip)')
        .option('--no-index', 'ask no index: only --find-links folders and the files named')
        .option('--pre', 'pre-releases and development releases are candidates too'),
      { python: 'interpreter to resolve for (env PAVED_PYTHON): a version such as 3.12, or a path' },
    );

  withResolveOptions(program.command('install').description('resolve and install packages into a virtual environment (created when missing), pip-style'))
    .argument('[names...]', 'requirements such as flask, "rich>=13", "name @ https://…/x.whl" or ./dist/x-1.0-py3-none-any.whl')
    .option('--target-venv <dir>', 'the environment to install into', '.venv')
    .option('-U, --upgrade', 'upgrade the named requirements to the newest versions that fit (their dependencies only as needed)')
    .option('--upgrade-package <name>', 'do not keep the installed version of this project (repeatable)', collect, [])
    .option('--no-deps', 'install the named requirements only, none of their dependencies')
    .option('--dry-run', 'resolve and show what would be installed; change nothing, create no environment')
    .option('--report <file>', "write pip's installation report (JSON, version 1) to a file, or - for standard output")
    .option('-e, --editable <dir>', 'install the project in this folder in editable mode, through its back-end (PEP 660); DIR[extra,…] adds extras (repeatable)', collect, [])
    .option('--reinstall', 'install every resolved package again, even when the same version is there')
    .option('--compile', 'compile the installed Python files to bytecode')
    .action((names: string[], flags: ResolveFlags & InstallFlags, cmd: Command) =>
      runCommand(cmd, async (global, reporter) => {
        const start = process.hrtime.bigint();
        const settings = await readSettings(flags, names, reporter, flags.editable);
        const reportToStdout = flags.report === '-' && !reporter.json;
        const client = openClient(settings, reporter);
        let venvLock: DirectoryLock | null = null;
        try {
          // Two installs into one environment at once would both create it, or install into it together: the second waits.
          if (flags.dryRun !== true) {
            venvLock = await lockEnvironment(resolve(flags.targetVenv), reporter, 'installing into');
          }
          const { report, environment, ...result } = await installRequirements({
            requirements: settings.requirements,
            editables: settings.editables,
            constraints: settings.constraints,
            client,
            venvDir: flags.targetVenv,
            ...(settings.client.python === null ? {} : { python: settings.client.python }),
            cacheDir: settings.client.cacheDir,
            requireHashes: settings.requireHashes,
            ...(settings.prereleases === undefined ? {} : { prereleases: settings.prereleases }),
            upgrade: flags.upgrade === true,
            upgradePackages: flags.upgradePackage,
            noDeps: flags.deps === false,
            dryRun: flags.dryRun === true,
            reinstall: flags.reinstall === true,
            compile: flags.compile === true,
            report: flags.report !== undefined,
            // --verbose explains the resolver's decisions, so it resolves in full.
            memo: global.verbose !== true,
            build: settings.build,
            onEvent: installProgress(reporter, global, { quietCreated: reportToStdout }),
          });
          if (report !== undefined && flags.report !== undefined && flags.report !== '-') await writeFile(resolve(flags.report), `${JSON.stringify(report, null, 2)}\n`);
          // paved's own pip check of the result: every installed distribution's requirements met.
          const problems = result.dryRun ? [] : await checkInstalledEnvironment(result.venv, reporter, { cacheDir: settings.client.cacheDir, requirements: settings.requirements.map((r) => r.requirement), ...(environment === undefined ? {} : { known: environment }) });
          const data = { ...result, problems, seconds: seconds(start), index: settings.client.shownIndexes, ...(flags.report === '-' ? { report } : {}) };
          reporter.result(data, () => {
            if (reportToStdout) return JSON.stringify(report, null, 2);
            const lines: string[] = [];
            const where = shownPath(result.venv);
            const count = `${result.installed.length} package${result.installed.length === 1 ? '' : 's'}`;
            if (result.installed.length === 0) lines.push(`nothing to install: the requirements are already satisfied in ${where}`);
            else {
              lines.push(result.dryRun ? `would install ${count} into ${where} (Python ${result.python}); nothing was changed:` : `installed ${count} into ${where} (Python ${result.python}) in ${data.seconds}s:`);
              for (const p of result.installed) lines.push(`  + ${p.name} ${p.version}${p.upgradedFrom !== undefined ? ` (was ${p.upgradedFrom})` : p.reinstalled === true ? ' (reinstalled)' : ''}`);
            }
            if (!result.dryRun) lines.push(`${result.kept} already installed and kept; ${result.downloaded} downloaded, the rest from the cache`);
            return lines.join('\n');
          });
        } finally {
          await venvLock?.release();
          await client.close();
        }
      }),
    );

  program
    .command('uninstall')
    .description('remove installed distributions from a virtual environment (their dependencies stay)')
    .argument('[names...]', 'project names')
    .option('-r, --requirement <file>', 'uninstall the projects a requirements file names (repeatable)', collect, [])
    .option('-y, --yes', "accepted for pip's command line; paved never asks")
    .option('--target-venv <dir>', 'the environment', '.venv')
    .action((given: string[], flags: { targetVenv: string; requirement: string[]; yes?: boolean }, cmd: Command) =>
      runCommand(cmd, async (_global, reporter) => {
        const fromFiles = await readUninstallNames(flags.requirement);
        for (const w of fromFiles.warnings) reporter.warn(`${w.file}:${w.line}: ${w.message}`);
        // One name given twice (or in two spellings) is removed once.
        const names = [...new Map([...given, ...fromFiles.names].map((n) => [normalizeName(n), n])).values()];
        if (names.length === 0) {
          throw new PavedError('PAVED_E_INVALID_ARGUMENT', 'nothing to uninstall: give project names or -r FILE', { hint: 'For example `paved uninstall rich` or `paved uninstall -r requirements.txt`.' });
        }
        const where = resolve(flags.targetVenv);
        // No environment: its error, without taking a lock (which would create the lock's folder).
        if (!existsSync(join(where, 'pyvenv.cfg'))) await openVenv(where);
        // An install or sync into the environment at the same moment would read the files this
        // removes, or write over them: whoever comes second waits for the other's whole run.
        const venvLock = await lockEnvironment(where, reporter, 'working on');
        try {
          // Opened under the lock: the run that held it may have made a new environment there.
          const venv = await openVenv(where);
          const before = await readInstalledDistributions(venv.root);
          const versions = new Map(before.distributions.map((d) => [normalizeName(d.name), d]));
          // As pip: a name that is not installed is skipped with a warning, so a teardown script can run twice.
          const skipped = names.filter((n) => !versions.has(normalizeName(n)));
          for (const name of skipped) reporter.warn(`skipping ${name}: not installed in ${shownPath(venv.root)}`, { skipped: name });
          const removed: { name: string; version: string; files: number }[] = [];
          for (const name of names) {
            const have = versions.get(normalizeName(name));
            if (have === undefined) continue;
            const done = await uninstallDistribution(venv, name);
            removed.push({ name: have.name, version: have.version, files: done.removed.length });
          }
          const kept = before.distributions.length - removed.length;
          reporter.result({ installed: [], removed, kept, skipped }, () => removed.map((r) => `- ${r.name} ${r.version} (${r.files} files)`).concat(`${kept} other distributions left in ${shownPath(venv.root)}`).join('\n'));
        } finally {
          await venvLock.release();
        }
      }),
    );

  withResolveOptions(program.command('download').description('resolve for an interpreter and download the wheels into a folder, or (--lock) the files of a pylock.toml, for installing offline with --find-links'))
    .argument('[names...]', 'requirements such as flask or "rich>=13"')
    .requiredOption('-d, --dest <dir>', 'the folder to download into')
    .option('--lock <file>', 'download the files this pylock.toml names, each checked against its sha256: every file of every package, or with --python only those that interpreter installs')
    .option('--extra <name>', 'with --lock and --python: select this extra of the project too (repeatable)', collect, [])
    .option('--all-extras', 'with --lock and --python: select every extra')
    .option('--group <name>', "with --lock and --python: select this dependency group too (repeatable; the lock's default groups always)", collect, [])
    .action((names: string[], flags: ResolveFlags & { dest: string; lock?: string; extra: string[]; allExtras?: boolean; group: string[] }, cmd: Command) =>
      runCommand(cmd, async (global, reporter) => {
        const start = process.hrtime.bigint();
        if (flags.lock !== undefined) {
          if (names.length > 0 || flags.requirement.length > 0 || flags.constraint.length > 0) {
            throw new PavedError('PAVED_E_INVALID_ARGUMENT', '--lock downloads what the lock names; it takes no requirements, -r or -c', { hint: 'Drop the requirements, or drop --lock.' });
          }
          const lockPath = resolve(flags.lock);
          let text: string;
          try {
            text = await readFile(lockPath, 'utf8');
          } catch {
            throw new PavedError('PAVED_E_NO_LOCK', `${flags.lock} does not exist or cannot be read`, { hint: 'Give the path of a pylock.toml (`paved lock` writes one).' });
          }
          const lock = parsePylock(text, lockPath).lock;
          const settings = await readClientSettings(flags, [], flags.index === false, reporter);
          // Only an explicit --python narrows the download: a wheelhouse is usually for other machines.
          const interpreter = flags.python === undefined ? undefined : await findInterpreter({ python: flags.python, inspect: { cacheDir: settings.cacheDir } });
          // With no index configured the lock's own URLs are all that is needed.
          const client = openIndexClient(settings, { onWarning: (m) => reporter.warn(m), allowNoIndex: true });
          try {
            const extras = flags.allExtras === true ? [...lock.extras] : flags.extra.map(normalizeExtra);
            const groups = [...new Set([...lock.defaultGroups, ...flags.group.map(normalizeName)])];
            const { files } = await downloadLock({
              lock,
              lockDir: dirname(lockPath),
              dest: flags.dest,
              client,
              ...(interpreter === undefined ? {} : { interpreter, extras, groups }),
              // An index or folder named now serves the files by name (the lock was made elsewhere), checked against the lock.
              indexUrlOverride: flags.indexUrl !== undefined || flags.findLinks.length > 0 || settings.offline,
              onEvent: lockDownloadProgress(reporter),
            });
            const fetched = files.filter((f) => f.downloaded).length;
            const data = { dest: resolve(flags.dest), lock: lockPath, python: interpreter?.version ?? null, files, seconds: seconds(start) };
            reporter.result(data, () =>
              [
                ...files.map((f) => `  ${f.filename}${f.downloaded ? '' : ' (already there)'}`),
                `${files.length} files of ${shownPath(lockPath)}${interpreter === undefined ? '' : ` for Python ${interpreter.version}`} in ${shownPath(data.dest)} (${fetched} downloaded) in ${data.seconds}s`,
              ].join('\n'),
            );
          } finally {
            await client.close();
          }
          return;
        }
        const settings = await readSettings(flags, names, reporter);
        if (settings.editables.length > 0) {
          throw new PavedError('PAVED_E_INVALID_REQUIREMENTS', `-e ${(settings.editables[0] as EditableTarget).dir}: an editable project is a folder on this machine, not something to download`, {
            hint: 'Build a wheel of the project (python -m build) and put it in the folder, or drop the -e line.',
          });
        }
        const interpreter = await findInterpreter({ ...(settings.client.python === null ? {} : { python: settings.client.python }), inspect: { cacheDir: settings.client.cacheDir } });
        const client = openClient(settings, reporter);
        try {
          const files = await downloadRequirements({
            requirements: settings.requirements,
            constraints: settings.constraints,
            client,
            interpreter,
            dest: flags.dest,
            requireHashes: settings.requireHashes,
            ...(settings.prereleases === undefined ? {} : { prereleases: settings.prereleases }),
            build: { ...settings.build, cacheDir: settings.client.cacheDir },
            onEvent: installProgress(reporter, global),
          });
          const fetched = files.filter((f) => f.fetched).length;
          const data = { dest: resolve(flags.dest), python: interpreter.version, files, seconds: seconds(start) };
          reporter.result(data, () =>
            [...files.map((f) => `  ${f.filename}${f.fetched ? '' : ' (already there)'}`), `${files.length} files for Python ${interpreter.version} in ${shownPath(data.dest)} (${fetched} downloaded) in ${data.seconds}s`].join('\n'),
          );
        } finally {
          await client.close();
        }
      }),
    );
}
