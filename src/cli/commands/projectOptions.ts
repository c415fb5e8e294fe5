/**
 * What the project commands share and what `paved run` needs before it knows whether the
 * environment must be synced: their flags and options, opening a project, and running a program
 * in its environment. Nothing here loads the resolver, the installer or the index client, so a
 * `paved run` on an environment that is current starts in a fraction of the time
 * (see `projectRunCommand.ts`).
 */
import { spawn } from 'node:child_process';
import { constants, homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { SdistBuildSettings } from '../../client/buildSdist.js';
import { PavedError } from '../../errors.js';
import { resolveClientConfig, type ClientConfig } from '../../project/clientConfig.js';
import { findProjectRoot, readPyproject, type PyprojectFile } from '../../project/pyproject.js';
import { lockPathFor } from '../../project/pylock.js';
import { buildInputFiles } from '../../project/buildInputs.js';
import type { SyncStampInputs } from '../../project/syncStamp.js';
import { buildSettingsFromFlags } from '../buildSettingsFromFlags.js';
import { clientConfigFlags, collect, withClientOptions } from '../clientOptions.js';
import { shownPath } from '../installProgress.js';
import type { Reporter } from '../reporter.js';

/** Flags every project command takes. */
export interface ProjectFlags {
  project?: string;
  indexUrl?: string;
  extraIndexUrl: string[];
  findLinks: string[];
  python?: string;
  offline?: boolean;
  cacheDir?: string;
  config?: boolean;
  /** false with `--no-build`. */
  build?: boolean;
  buildTimeout?: string;
}

/** Flags of the commands that install (`sync`, `add`, `remove`, `run`). */
export interface SyncFlags extends ProjectFlags {
  extra: string[];
  allExtras?: boolean;
  group: string[];
  defaultGroups?: boolean;
  frozen?: boolean;
  dryRun?: boolean;
  compile?: boolean;
  /** false with --no-install-project. */
  installProject?: boolean;
}

/** A project opened for one command. */
export interface OpenProject {
  root: string;
  pyproject: PyprojectFile;
  config: ClientConfig;
  lockPath: string;
  venvDir: string;
  build: SdistBuildSettings;
}


/** Finds the project (`--project` or the nearest pyproject.toml above the working directory) and reads its configuration once. */
export async function openProject(flags: ProjectFlags, reporter: Reporter, /** The project root when the caller found it already. */ found?: string): Promise<OpenProject> {
  const start = flags.project === undefined ? process.cwd() : resolve(flags.project);
  const root = found ?? (await findProjectRoot(start));
  if (root === null) {
    throw new PavedError('PAVED_E_NO_PROJECT', `no pyproject.toml in ${start} or any folder above it`, {
      hint: 'Run the command inside a project, or give --project DIR. A minimal pyproject.toml has [project] with name, version and dependencies.',
    });
  }
  const pyproject = await readPyproject(join(root, 'pyproject.toml'));
  for (const warning of pyproject.warnings) reporter.warn(warning);
  const config = await resolveClientConfig({
    flags: clientConfigFlags(flags),
    env: process.env,
    project: pyproject,
    projectRoot: root,
    home: homedir(),
  });
  for (const warning of config.warnings) reporter.warn(warning);
  return { root, pyproject, config, lockPath: lockPathFor(root), venvDir: join(root, '.venv'), build: buildSettingsFromFlags(flags) };
}

/** The options every project command takes. */
export function withProjectOptions(cmd: Command): Command {
  return withClientOptions(cmd.option('--project <dir>', 'the project directory (default: the nearest pyproject.toml above the working directory)'), {
    python: 'the interpreter for the environment (env PAVED_PYTHON), e.g. 3.12',
  });
}

/** The options of the commands that sync the environment (`sync`, `add`, `remove`, `run`). */
export function withSyncOptions(cmd: Command, options: { groupHelp?: string } = {}): Command {
  return cmd
    .option('--extra <name>', 'install an extra of the project (repeatable)', collect, [])
    .option('--all-extras', 'install every extra of the project')
    .option('--group <name>', options.groupHelp ?? 'install a dependency group as well (repeatable)', collect, [])
    .option('--no-default-groups', 'leave out the default groups (dev, or [tool.paved] default-groups)')
    .option('--frozen', 'use pylock.toml as it is, and fail if pyproject.toml no longer matches it')
    .option('--no-install-project', 'leave the project itself out (by default a project with a [build-system] is installed in editable mode)');
}

/** Runs a program with the environment's bin directory first on PATH; resolves to its exit code. */
export function runIn(venvDir: string | null, command: string, args: string[]): Promise<number> {
  const env = { ...process.env };
  if (venvDir !== null) {
    env['VIRTUAL_ENV'] = venvDir;
    env['PATH'] = `${join(venvDir, 'bin')}${delimiter}${env['PATH'] ?? ''}`;
    delete env['PYTHONHOME'];
  }
  return new Promise((resolveExit, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new PavedError('PAVED_E_RUN_FAILED', `could not run ${command}: ${error.code === 'ENOENT' ? 'not found' : error.message}`, {
          hint: venvDir === null ? 'Check the command name.' : `Is it installed in ${shownPath(venvDir)}? Add it with \`paved add\`.`,
        }),
      );
    });
    // Killed by a signal: 128 + its number, as a shell reports it (SIGKILL 137, SIGINT 130).
    child.on('exit', (code, signal) => resolveExit(code ?? (signal === null ? 1 : 128 + (constants.signals[signal] ?? 15))));
  });
}

/**
 * What a sync of `project` with `flags` depends on, for its stamp (see `syncStamp.ts`): the same
 * selection of extras, groups and options must be asked for a later `paved run` to skip syncing.
 */
export function syncStampInputs(project: OpenProject, flags: SyncFlags): SyncStampInputs {
  return {
    projectRoot: project.root,
    lockPath: project.lockPath,
    venvDir: project.venvDir,
    buildInputs: buildInputFiles(project.pyproject),
    selection: {
      extras: [...flags.extra].sort(),
      allExtras: flags.allExtras === true,
      groups: [...flags.group].sort(),
      defaultGroups: flags.defaultGroups === false ? null : project.config.defaultGroups,
      installProject: flags.installProject !== false,
      python: project.config.python,
      compile: flags.compile === true,
    },
  };
}
