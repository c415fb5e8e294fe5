/**
 * The project commands: `paved lock`, `sync`, `add`, `remove`, `tree`, `export` and `run`.
 * Each finds the project (the nearest pyproject.toml above the working directory, or
 * `--project DIR`), reads its configuration once (flags, PAVED_* variables, `[tool.paved]`,
 * the user config file), and works on `pylock.toml` and `.venv` beside it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PavedError } from '../../errors.js';
import { createSdistBuilder } from '../../client/buildSdist.js';
import type { IndexClient } from '../../client/indexClient/indexClient.js';
import { lockProject, type LockEvent } from '../../client/lockProject.js';
import { ensureScriptEnvironment, type ScriptEnvironmentEvent } from '../../client/scriptEnvironment.js';
import { syncLock, type SyncLockResult } from '../../client/syncLock.js';
import { findInterpreter } from '../../installer/interpreter.js';
import { resolveClientConfig, type ClientConfig } from '../../project/clientConfig.js';
import { addRequirements, removeRequirements, type DependencyTarget } from '../../project/editPyproject.js';
import { exportRequirements } from '../../project/exportRequirements.js';
import { describeInputChanges, lockInputsFromPyproject, lockMatchesInputs } from '../../project/lockInputs.js';
import { readPyproject } from '../../project/pyproject.js';
import { parsePylock, serializePylock } from '../../project/pylock.js';
import type { LockedPackage, PavedLockInputs, Pylock } from '../../project/pylockModel.js';
import { buildInputFiles, buildInputsDigest, readCachedDynamicDependencies, writeCachedDynamicDependencies, type DynamicDependencies } from '../../project/buildInputs.js';
import { dependenciesFromMetadata, dynamicDependencyFields } from '../../project/dynamicDependencies.js';
import type { ScriptMetadata } from '../../project/scriptMetadata.js';
import { normalizeExtra, normalizeName } from '../../standards/names.js';
import { parseRequirement } from '../../standards/requirement.js';
import { SpecifierSet } from '../../standards/specifier.js';
import type { GlobalOptions } from '../globalOptions.js';
import { buildSettingsFromFlags } from '../buildSettingsFromFlags.js';
import { clientConfigFlags, collect } from '../clientOptions.js';
import { openIndexClient } from '../openIndexClient.js';
import { buildEventRenderer } from '../renderBuildEvents.js';
import type { Reporter } from '../reporter.js';
import { checkInstalledEnvironment } from '../reportEnvironmentCheck.js';
import { installProgress, renderEnvironmentLock, shownPath } from '../installProgress.js';
import { writeAtomically } from '../../installer/writeAtomically.js';
import { runCommand } from '../runCommand.js';
import { openProject, syncStampInputs, withProjectOptions, withSyncOptions, type OpenProject, type ProjectFlags, type SyncFlags } from './projectOptions.js';
import { writeSyncStamp } from '../../project/syncStamp.js';

/**
 * The project's index client. `lockUrlsSuffice`: a client that only fetches what a lock names
 * (sync, run), whose own URLs are enough, so no index need be configured (a re-lock opens its
 * own client, which does need one).
 */
function openClient(config: ClientConfig, onWarning?: (message: string) => void, lockUrlsSuffice = false): IndexClient {
  return openIndexClient(config, { ...(onWarning === undefined ? {} : { onWarning }), allowNoIndex: lockUrlsSuffice });
}

/**
 * What the project is locked from: pyproject.toml's requirements, except that dependencies or
 * extras it declares `dynamic` are asked from its build back-end (PEP 517
 * `prepare_metadata_for_build_wheel`, in an isolated build environment from the same indexes),
 * as uv does; locking without them would silently leave them out. The back-end's answer is
 * remembered in the cache for as long as the files it reads and the interpreter stay the same
 * (see `buildInputs.ts`), so only the first lock, sync or run after a change pays for asking it.
 */
async function projectLockInputs(project: OpenProject, reporter: Reporter, global: GlobalOptions, client?: IndexClient): Promise<PavedLockInputs> {
  const fields = dynamicDependencyFields(project.pyproject);
  const declared = project.pyproject.project;
  if (fields.length === 0 || declared === null) return lockInputsFromPyproject(project.pyproject, project.config.environments);
  const shown = shownPath(join(project.root, 'pyproject.toml'));
  const what = fields.map((f) => `project.${f}`).join(' and ');
  if (project.pyproject.buildSystem === null) {
    throw new PavedError('PAVED_E_DYNAMIC_DEPENDENCIES', `${shown} declares ${what} dynamic but has no [build-system] that could say what they are`, {
      hint: 'List them in pyproject.toml itself, or add the [build-system] that computes them (e.g. setuptools with [tool.setuptools.dynamic]).',
    });
  }
  if (project.build.noBuild === true) {
    throw new PavedError('PAVED_E_DYNAMIC_DEPENDENCIES', `${shown} declares ${what} dynamic: only its build back-end can say what they are, and --no-build forbids running it`, {
      hint: 'Drop --no-build, or list them in pyproject.toml itself.',
    });
  }
  const interpreter = await findInterpreter({ ...(project.config.python === null ? {} : { python: project.config.python }), ...(declared.requiresPython === null ? {} : { requiresPython: declared.requiresPython }), inspect: { cacheDir: project.config.cacheDir } });
  const inputFiles = buildInputFiles(project.pyproject);
  const key = { root: project.root, name: declared.name, fields, inputs: await buildInputsDigest(project.root, inputFiles), interpreter };
  const counts = (found: DynamicDependencies): string => `${found.dependencies.length} dependencies, ${Object.keys(found.optionalDependencies).length} extras`;
  let found = await readCachedDynamicDependencies(project.config.cacheDir, key);
  if (found !== null) {
    if (global.verbose || reporter.json) reporter.info(`${what} of ${declared.name} as its build back-end gave them before (${inputFiles.join(', ')} and Python ${interpreter.version} unchanged): ${counts(found)}`, { dynamic: fields, cached: true });
  } else {
    const own = client === undefined ? openClient(project.config, (m) => reporter.warn(m)) : null;
    try {
      const builder = createSdistBuilder({ ...project.build, client: client ?? (own as IndexClient), interpreter, cacheDir: project.config.cacheDir, onEvent: buildEventRenderer(reporter, global) });
      const metadata = await builder.projectMetadata(project.root, declared.name);
      found = dependenciesFromMetadata(metadata, shown);
    } finally {
      await own?.close();
    }
    await writeCachedDynamicDependencies(project.config.cacheDir, key, found);
    if (global.verbose || reporter.json) reporter.info(`${what} of ${declared.name} from its build back-end (Python ${interpreter.version}): ${counts(found)}`, { dynamic: fields, cached: false });
  }
  const effective = {
    ...declared,
    ...(fields.includes('dependencies') ? { dependencies: found.dependencies } : {}),
    ...(fields.includes('optional-dependencies') ? { optionalDependencies: found.optionalDependencies } : {}),
  };
  return lockInputsFromPyproject({ ...project.pyproject, project: effective }, project.config.environments);
}

async function readLockIfAny(path: string): Promise<Pylock | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  return parsePylock(text, path).lock;
}

/** Writes a file by rename, so a reader never sees half of it. */
function lockProgress(reporter: Reporter, global: GlobalOptions): (event: LockEvent) => void {
  let decisions = 0;
  const build = buildEventRenderer(reporter, global);
  return (event) => {
    if (event.type === 'build') build(event.event);
    else if (event.type === 'resolver') {
      if (event.event.type === 'decision') {
        decisions++;
        if (global.verbose) reporter.info(`Python ${event.fork}: chose ${event.event.package} ${event.event.version.toString()}`);
        else reporter.progress(decisions, decisions + 1, `resolving (${event.fork}): ${event.event.package} ${event.event.version.toString()}`);
      } else if (global.verbose) {
        reporter.info(event.event.type === 'conflict' ? `conflict: ${event.event.message}` : `backtrack to level ${event.event.toLevel}: ${event.event.learnt}`);
      }
    } else if (event.type === 'fork') {
      reporter.info(`one set of versions cannot serve every ${event.by === 'python' ? 'Python' : 'platform'} of ${event.within}; resolving separately for ${event.forks.join(' | ')}`);
    } else if (event.type === 'uncovered') {
      const shown = event.versions.length <= 6 ? event.versions.join(', ') : `${event.versions.slice(0, 6).join(', ')} and ${event.versions.length - 6} more`;
      reporter.info(`${event.name} ${shown}: left out, no wheel for the required environment ${event.environment}`);
    } else if (event.type === 'hashing' && global.verbose) {
      reporter.info(`downloading ${event.filename} to compute its sha256 (the index gave none)`);
    } else if (event.type === 'locked') {
      reporter.progress(1, 1, `locked ${event.packages} packages`);
    }
  };
}

/**
 * Renders what preparing a PEP 723 script environment reports: waiting for another run that
 * builds the same environment as progress, a stale lock broken as a warning, downloads, builds
 * and installs as progress, and (with `--json` or `--verbose`) whether the environment was built
 * or reused.
 */
function scriptEnvironmentProgress(reporter: Reporter, global: GlobalOptions): (event: ScriptEnvironmentEvent) => void {
  const install = installProgress(reporter, global, { quietCreated: true });
  const lock = renderEnvironmentLock(reporter, 'building this script environment');
  const detail = reporter.json || global.verbose;
  return (event) => {
    if (event.type === 'lock') {
      lock(event.event);
    } else if (event.type === 'script-environment-building') {
      if (detail) reporter.info(`building the script environment ${event.path} (Python ${event.pythonVersion}, ${event.requirements} requirements)`, { event: event.type, path: event.path });
    } else if (event.type === 'script-environment-ready') {
      if (detail) reporter.info(`created the script environment ${event.path} (${event.installed} packages)`, { event: event.type, path: event.path, installed: event.installed });
    } else if (event.type === 'script-environment-reused') {
      if (detail) reporter.info(`using the script environment ${event.path}`, { event: event.type, path: event.path });
    } else {
      install(event.event);
    }
  };
}

/** What `relock` did. */
interface RelockResult {
  lock: Pylock;
  /** The file's text changed (or would, with `check`). */
  changed: boolean;
  packages: number;
  forks: string[];
}

/**
 * Locks the project: keeps the pins of the existing lock unless an upgrade is asked, and
 * writes `pylock.toml` only when its text changes (so a re-lock without changes leaves the
 * file byte-identical). With `check`, nothing is written.
 */
async function relock(project: OpenProject, client: IndexClient, options: { upgrade?: boolean | string[]; check?: boolean; reporter: Reporter; global: GlobalOptions; /** Already known (see projectLockInputs). */ inputs?: PavedLockInputs }): Promise<RelockResult> {
  const previousText = existsSync(project.lockPath) ? await readFile(project.lockPath, 'utf8') : null;
  const previous = previousText === null ? null : parsePylock(previousText, project.lockPath).lock;
  const inputs = options.inputs ?? (await projectLockInputs(project, options.reporter, options.global, client));
  let defaultRequiresPython = '>=3.8';
  if (inputs.requiresPython === null) {
    const interpreter = await findInterpreter({ ...(project.config.python === null ? {} : { python: project.config.python }), inspect: { cacheDir: project.config.cacheDir } });
    const [major, minor] = interpreter.version.split('.');
    defaultRequiresPython = `>=${major}.${minor}`;
    options.reporter.warn(`pyproject.toml has no requires-python; locking for ${defaultRequiresPython} (the Python found, ${interpreter.version})`);
  }
  const { lock, resolution } = await lockProject({
    inputs,
    projectName: project.pyproject.project?.name ?? null,
    defaultRequiresPython,
    defaultGroups: project.config.defaultGroups,
    client,
    previous,
    ...(options.upgrade === undefined ? {} : { upgrade: options.upgrade }),
    // Sdist-only releases: metadata learned on one interpreter found for the lock's requires-python.
    build: { ...project.build, cacheDir: project.config.cacheDir, ...(project.config.python === null ? {} : { python: project.config.python }) },
    onEvent: lockProgress(options.reporter, options.global),
  });
  const text = serializePylock(lock);
  const changed = text !== previousText;
  if (changed && options.check !== true) await writeAtomically(project.lockPath, text);
  return { lock, changed, packages: lock.packages.length, forks: resolution.forks };
}

/**
 * The lock `sync`, `run`, `tree` and `export` work from. With `--frozen`, the file as it is (it
 * must match pyproject.toml). Otherwise the file too when it was made from exactly today's
 * pyproject.toml (as uv does: no index is asked, so this works offline and in a second),
 * else a re-lock that keeps its pins where they still fit. `paved lock` always re-resolves.
 */
async function currentLock(project: OpenProject, frozen: boolean, reporter: Reporter, global: GlobalOptions, options: { dryRun?: boolean } = {}): Promise<Pylock> {
  if (frozen) {
    const lock = await readLockIfAny(project.lockPath);
    if (lock === null) {
      throw new PavedError('PAVED_E_NO_LOCK', `${shownPath(project.lockPath)} does not exist, and --frozen does not create it`, { hint: 'Run `paved lock` first and commit pylock.toml.' });
    }
    const inputs = await projectLockInputs(project, reporter, global);
    if (!lockMatchesInputs(lock, inputs)) {
      const changes = describeInputChanges(lock, inputs);
      throw new PavedError('PAVED_E_LOCK_OUTDATED', `${shownPath(project.lockPath)} does not match pyproject.toml:\n  ${changes.join('\n  ')}`, {
        hint: 'Run `paved lock` and commit the new pylock.toml, or drop --frozen.',
        details: { changes },
      });
    }
    return lock;
  }
  const existing = await readLockIfAny(project.lockPath);
  const inputs = await projectLockInputs(project, reporter, global);
  if (existing !== null && lockMatchesInputs(existing, inputs)) return existing;
  // Only a re-lock needs an index.
  const client = openClient(project.config, (m) => reporter.warn(m));
  try {
    // A dry run re-locks in memory: it shows what a sync would do with the new lock and writes nothing.
    const relocked = await relock(project, client, { reporter, global, check: options.dryRun === true, inputs });
    if (options.dryRun === true && relocked.changed) reporter.info(`would write ${shownPath(project.lockPath)} (${relocked.packages} package${relocked.packages === 1 ? '' : 's'}); --dry-run leaves it as it is`);
    return relocked.lock;
  } finally {
    await client.close();
  }
}

function selectedExtrasAndGroups(flags: SyncFlags, lock: Pylock, config: ClientConfig): { extras: string[]; groups: string[] } {
  const extras = flags.allExtras === true ? [...lock.extras] : flags.extra.map(normalizeExtra);
  const defaults = flags.defaultGroups === false ? [] : config.defaultGroups.filter((g) => lock.dependencyGroups.includes(g));
  const groups = [...new Set([...defaults, ...flags.group.map(normalizeName)])];
  return { extras, groups };
}

async function syncProject(project: OpenProject, client: IndexClient, lock: Pylock, flags: SyncFlags, reporter: Reporter, global: GlobalOptions): Promise<SyncLockResult> {
  const { extras, groups } = selectedExtrasAndGroups(flags, lock, project.config);
  const install = installProgress(reporter, global);
  // Shown when another paved syncs .venv (a second terminal): this one waits, then finds it current.
  const venvLock = renderEnvironmentLock(reporter, `syncing ${shownPath(project.venvDir)}`);
  const result = await syncLock({
    lock,
    lockDir: project.root,
    venvDir: project.venvDir,
    ...(project.config.python === null ? {} : { python: project.config.python }),
    client,
    cacheDir: project.config.cacheDir,
    extras,
    groups,
    // Files come from the index or folder given now (a lock made elsewhere), checked against the lock's hashes.
    indexUrlOverride: flags.indexUrl !== undefined || flags.findLinks.length > 0 || project.config.offline,
    dryRun: flags.dryRun === true,
    build: project.build,
    compile: flags.compile === true,
    ...(installsProject(project, flags) && project.pyproject.project !== null ? { editableProject: { dir: project.root, name: project.pyproject.project.name, version: project.pyproject.project.version, inputs: buildInputFiles(project.pyproject) } } : {}),
    onEvent: (event) => (event.type === 'lock' ? venvLock(event.event) : install(event)),
  });
  // The environment matches the lock now: a `paved run` that finds nothing changed since needs no sync.
  if (flags.dryRun !== true) await writeSyncStamp(syncStampInputs(project, flags));
  return result;
}

/**
 * Whether sync installs the project itself (editable): when it is a package, i.e. has a
 * `[project]` name and a `[build-system]` to build it with (without one it is virtual, as uv
 * treats it), unless --no-install-project.
 */
function installsProject(project: OpenProject, flags: SyncFlags): boolean {
  return flags.installProject !== false && project.pyproject.buildSystem !== null && project.pyproject.project !== null;
}

function describeSync(result: SyncLockResult, seconds: number): string {
  const { plan } = result;
  const lines: string[] = [];
  if (plan.install.length + plan.upgrade.length + plan.remove.length === 0) {
    lines.push(`${shownPath(result.venv)} already matches the lock (${plan.keep.length} packages, Python ${result.python})`);
  } else {
    lines.push(`${result.dryRun ? 'would sync' : 'synced'} ${shownPath(result.venv)} (Python ${result.python}) in ${seconds}s:`);
    for (const s of plan.install) lines.push(`  + ${s.name} ${s.version}`);
    for (const s of plan.upgrade) lines.push(`  ~ ${s.name} ${s.from} -> ${s.version}`);
    for (const s of plan.remove) lines.push(`  - ${s.name} ${s.version}`);
    if (!result.dryRun) lines.push(`${plan.keep.length} unchanged; ${result.downloaded} downloaded, the rest from the cache`);
    else lines.push(`${plan.keep.length} unchanged`);
  }
  return lines.join('\n');
}

const seconds = (start: bigint): number => Math.round(Number(process.hrtime.bigint() - start) / 1e6) / 1000;

/** The one list `add` / `remove` edits: `--optional EXTRA`, `--group NAME`, `--dev`, or the project's dependencies; two of them at once are refused. */
function dependencyTarget(flags: { optional?: string; group: string[]; dev?: boolean }): DependencyTarget {
  const given = [...(flags.optional === undefined ? [] : [`--optional ${flags.optional}`]), ...flags.group.map((g) => `--group ${g}`), ...(flags.dev === true ? ['--dev'] : [])];
  if (given.length > 1) {
    throw new PavedError('PAVED_E_INVALID_ARGUMENT', `${given.join(', ')}: give only one of --optional, --group and --dev`, {
      hint: 'Each command edits one list: an extra (--optional EXTRA), a dependency group (--group NAME; --dev is --group dev), or [project] dependencies (none of them). Run it once per list.',
    });
  }
  if (flags.optional !== undefined) return { kind: 'optional', extra: flags.optional };
  if (flags.group[0] !== undefined) return { kind: 'group', group: flags.group[0] };
  if (flags.dev === true) return { kind: 'group', group: 'dev' };
  return { kind: 'project' };
}

/** One line of `paved tree`: a lock entry (or the project itself) and what it leads to. */
interface TreeNode {
  name: string;
  version: string | null;
  marker: string | null;
  /** The project itself: in an inverted tree, the last dependent of what it requires directly. */
  project?: true;
  children: TreeNode[];
  /** Shown already above: its children are not repeated. */
  repeated?: boolean;
}

/** The project a tree is drawn for: its name and version, and what it requires itself. */
interface TreeProject {
  name: string;
  version: string | null;
  /** By normalised name: the version ranges the project's own requirements of it ask for. */
  roots: Map<string, SpecifierSet[]>;
}

/**
 * The dependency tree of a lock. Forward: the project is the root (depth 0, as in uv), its own
 * requirements are depth 1, and so on. Inverted: every entry of the lock is a root (depth 0) with
 * what needs it below, up to the project for what it requires directly. A name locked more than
 * once (a forked lock) gives one node per entry, each with its marker, and a dependency names the
 * entry it points at by version when the lock says so.
 */
function buildTree(lock: Pylock, project: TreeProject, invert: boolean, depth: number): TreeNode[] {
  const byName = new Map<string, LockedPackage[]>();
  for (const p of lock.packages) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const key = (p: LockedPackage): string => `${p.name} ${p.version ?? ''} ${p.marker ?? ''}`;
  const entriesOf = (name: string, version?: string): LockedPackage[] => {
    const all = byName.get(name) ?? [];
    const exact = version === undefined ? [] : all.filter((p) => p.version === version);
    return exact.length > 0 ? exact : all;
  };
  const dependents = new Map<string, LockedPackage[]>();
  for (const p of lock.packages) {
    for (const d of p.dependencies) for (const e of entriesOf(d.name, d.version)) dependents.set(key(e), [...(dependents.get(key(e)) ?? []), p]);
  }
  // Of a forked name, the project leads to the entries its own requirements admit (`lib>=2; python_version >= '3.10'`: lib 2.0 only).
  const rootEntries = (name: string): LockedPackage[] => {
    const all = entriesOf(name);
    const admitted = all.filter((p) => p.version === null || (project.roots.get(name) ?? []).some((range) => range.contains(p.version as string, { prereleases: true })));
    return admitted.length > 0 ? admitted : all;
  };
  const needsDirectly = new Set([...project.roots.keys()].flatMap((name) => rootEntries(name).map(key)));
  const byNameThenOrder = (a: LockedPackage, b: LockedPackage): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const projectNode = (): TreeNode => ({ name: project.name, version: project.version, marker: null, project: true, children: [] });
  const seen = new Set<string>();
  const node = (pkg: LockedPackage, level: number, path: Set<string>): TreeNode => {
    const id = key(pkg);
    const result: TreeNode = { name: pkg.name, version: pkg.version, marker: pkg.marker, children: [] };
    if (path.has(id) || level >= depth) return result;
    const next = invert ? [...new Set(dependents.get(id) ?? [])].sort(byNameThenOrder) : [...new Set(pkg.dependencies.flatMap((d) => entriesOf(d.name, d.version)))].sort(byNameThenOrder);
    const toProject = invert && needsDirectly.has(id);
    // Shown above already: marked (*) when there is something below it not repeated here.
    if (seen.has(id)) return next.length > 0 || toProject ? { ...result, repeated: true } : result;
    seen.add(id);
    const inner = new Set([...path, id]);
    result.children = next.map((p) => node(p, level + 1, inner));
    if (toProject) result.children.push(projectNode());
    return result;
  };
  if (invert) return [...lock.packages].sort(byNameThenOrder).map((p) => node(p, 0, new Set()));
  if (depth === 0) return [];
  return [...project.roots.keys()].sort().flatMap((name) => {
    const entries = rootEntries(name);
    return entries.length === 0 ? [{ name, version: null, marker: null, children: [] }] : entries.map((p) => node(p, 1, new Set()));
  });
}

function treeLabel(n: TreeNode): string {
  if (n.project === true) return `${n.name}${n.version === null ? '' : ` ${n.version}`} (the project)`;
  return `${n.name}${n.version === null ? ' (not in the lock)' : ` ${n.version}`}${n.marker === null ? '' : ` ; ${n.marker}`}${n.repeated === true ? ' (*)' : ''}`;
}

function renderTree(nodes: TreeNode[], prefix = ''): string[] {
  const lines: string[] = [];
  nodes.forEach((n, i) => {
    const last = i === nodes.length - 1;
    lines.push(`${prefix}${last ? '└── ' : '├── '}${treeLabel(n)}`);
    lines.push(...renderTree(n.children, `${prefix}${last ? '    ' : '│   '}`));
  });
  return lines;
}

/** What the project asks for itself (dependencies, extras, groups), which the tree starts from: by name, the version ranges asked. */
function projectRoots(lock: Pylock): Map<string, SpecifierSet[]> {
  const roots = new Map<string, SpecifierSet[]>();
  const inputs = lock.pavedInputs;
  if (inputs === null) {
    // A lock paved did not write: what nothing else needs.
    for (const p of lock.packages) if (!lock.packages.some((q) => q.dependencies.some((d) => d.name === p.name))) roots.set(p.name, [new SpecifierSet([])]);
    return roots;
  }
  for (const line of [...inputs.dependencies, ...Object.values(inputs.optionalDependencies).flat(), ...Object.values(inputs.dependencyGroups).flat()]) {
    const requirement = parseRequirement(line);
    const name = normalizeName(requirement.name);
    roots.set(name, [...(roots.get(name) ?? []), requirement.specifier]);
  }
  return roots;
}


/** Registers lock, sync, add, remove, tree and export (`run` is in projectRunCommand.ts). */
export function registerProjectCommands(program: Command): void {
  withProjectOptions(program.command('lock').description('resolve pyproject.toml for every Python and platform it admits and write pylock.toml (PEP 751)'))
    .option('--upgrade', 'ignore the pins of the existing lock')
    .option('--upgrade-package <name>', 'ignore the existing pin of this project (repeatable)', collect, [])
    .option('--check', 'write nothing; exit 1 if pylock.toml is not up to date')
    .action((flags: ProjectFlags & { upgrade?: boolean; upgradePackage: string[]; check?: boolean }, cmd: Command) =>
      runCommand(cmd, async (global, reporter) => {
        const start = process.hrtime.bigint();
        const project = await openProject(flags, reporter);
        const client = openClient(project.config, (m) => reporter.warn(m));
        try {
          const upgrade = flags.upgrade === true ? true : flags.upgradePackage.length > 0 ? flags.upgradePackage.map(normalizeName) : undefined;
          const result = await relock(project, client, { ...(upgrade === undefined ? {} : { upgrade }), check: flags.check === true, reporter, global });
          const data = { lockfile: project.lockPath, packages: result.packages, changed: result.changed, forks: result.forks, seconds: seconds(start) };
          if (flags.check === true && result.changed) {
            throw new PavedError('PAVED_E_LOCK_OUTDATED', `${shownPath(project.lockPath)} is not up to date with pyproject.toml and the index`, { hint: 'Run `paved lock` and commit the result.' });
          }
          reporter.result(data, () =>
            flags.check === true
              ? `${shownPath(project.lockPath)} is up to date (${result.packages} packages)`
              : `${result.changed ? 'wrote' : 'unchanged:'} ${shownPath(project.lockPath)}: ${result.packages} packages for Python ${result.lock.requiresPython ?? ''}${result.forks.length > 1 ? ` (resolved separately for ${result.forks.join(', ')})` : ''} in ${data.seconds}s`,
          );
        } finally {
          await client.close();
        }
      }),
    );

  withSyncOptions(withProjectOptions(program.command('sync').description('make .venv match pylock.toml exactly: create it, install, upgrade, and remove what the lock does not have')))
    .option('--dry-run', 'show what would change, change nothing')
    .option('--compile', 'compile the installed Python files to bytecode')
    .action((flags: SyncFlags, cmd: Command) =>
      runCommand(cmd, async (global, reporter) => {
        const start = process.hrtime.bigint();
        const project = await openProject(flags, reporter);
        const client = openClient(project.config, (m) => reporter.warn(m), true);
        try {
          const lock = await currentLock(project, flags.frozen === true, reporter, global, { dryRun: flags.dryRun === true });
          const result = await syncProject(project, client, lock, flags, reporter, global);
          // paved's own pip check of the result: none from a consistent lock, but a hand-edited or foreign one may break it.
          const problems = result.dryRun ? [] : await checkInstalledEnvironment(result.venv, reporter, { cacheDir: project.config.cacheDir, ...(result.environment === undefined ? {} : { known: result.environment }) });
          const elapsed = seconds(start);
          reporter.result({ venv: result.venv, python: result.python, dryRun: result.dryRun, install: result.plan.install.map((s) => ({ name: s.name, version: s.version })), upgrade: result.plan.upgrade.map((s) => ({ name: s.name, from: s.from, version: s.version })), remove: result.plan.remove.map((s) => ({ name: s.name, version: s.version })), unchanged: result.plan.keep.length, downloaded: result.downloaded, problems, seconds: elapsed }, () => describeSync(result, elapsed));
        } finally {
          await client.close();
        }
      }),
    );

  const editCommand = (name: 'add' | 'remove'): void => {
    withSyncOptions(withProjectOptions(program.command(name).description(name === 'add' ? 'add requirements to pyproject.toml (formatting kept), then lock and sync' : 'remove requirements from pyproject.toml (formatting kept), then lock and sync')), {
      groupHelp: 'edit this dependency group of [dependency-groups] instead, and sync with it',
    })
      .argument('<requirements...>', name === 'add' ? 'requirements such as "flask>=3" or rich' : 'project names')
      .option('--optional <extra>', 'edit this extra of [project.optional-dependencies] instead, and sync with it')
      .option('--dev', 'edit the dev dependency group (the same as --group dev); --optional, --group and --dev exclude each other')
      .option('--no-sync', 'lock, but leave .venv as it is')
      .action((requirements: string[], flags: SyncFlags & { optional?: string; dev?: boolean; sync?: boolean }, cmd: Command) =>
        runCommand(cmd, async (global, reporter) => {
          const start = process.hrtime.bigint();
          const project = await openProject(flags, reporter);
          const path = join(project.root, 'pyproject.toml');
          const original = await readFile(path, 'utf8');
          const target = dependencyTarget(flags);
          const edited = name === 'add' ? addRequirements(original, requirements, target, path) : removeRequirements(original, requirements, target, path);
          const originalLock = existsSync(project.lockPath) ? await readFile(project.lockPath, 'utf8') : null;
          await writeAtomically(path, edited.text);
          const client = openClient(project.config, (m) => reporter.warn(m));
          try {
            const reopened = { ...project, pyproject: await readPyproject(path) };
            const { lock } = await relock(reopened, client, { reporter, global });
            // The edited extra or group is installed as well, as uv does (and removing from it syncs with it, so the rest of it stays).
            const syncFlags = { ...flags, group: target.kind === 'group' ? [target.group] : [], extra: target.kind === 'optional' ? [...new Set([...flags.extra, target.extra])] : flags.extra };
            const result = flags.sync === false ? null : await syncProject(reopened, client, lock, syncFlags, reporter, global);
            const changes = 'removed' in edited ? { removed: edited.removed } : { added: edited.added, replaced: edited.replaced };
            reporter.result({ ...changes, packages: lock.packages.length, sync: result === null ? null : { install: result.plan.install.length, upgrade: result.plan.upgrade.length, remove: result.plan.remove.length } }, () => {
              const head = 'removed' in edited ? `removed ${edited.removed.join(', ')} from pyproject.toml` : `added ${[...edited.added, ...edited.replaced.map((r) => r.to)].join(', ')} to pyproject.toml`;
              return [head, `locked ${lock.packages.length} packages`, ...(result === null ? [] : [describeSync(result, seconds(start))])].join('\n');
            });
          } catch (error) {
            // A requirement that cannot be locked or installed leaves the project as it was.
            await writeAtomically(path, original);
            if (originalLock !== null) await writeAtomically(project.lockPath, originalLock);
            throw error;
          } finally {
            await client.close();
          }
        }),
      );
  };
  editCommand('add');
  editCommand('remove');

  withProjectOptions(program.command('tree').description("show the locked dependency tree, from the project's own requirements"))
    .option('--invert', 'show every locked package with what needs it, up to the project')
    .option('--depth <n>', 'how deep to go: 0 is the project alone, 1 adds its own requirements (inverted: 0 lists the packages, 1 adds what needs each directly)', '255')
    .option('--frozen', 'use pylock.toml as it is, and fail if pyproject.toml no longer matches it')
    .action((flags: ProjectFlags & { invert?: boolean; depth: string; frozen?: boolean }, cmd: Command) =>
      runCommand(cmd, async (global, reporter) => {
        const project = await openProject(flags, reporter);
        const used = await currentLock(project, flags.frozen === true, reporter, global);
        const depth = Number(flags.depth);
        if (!Number.isInteger(depth) || depth < 0) throw new PavedError('PAVED_E_INVALID_ARGUMENT', '--depth must be a whole number');
        const name = project.pyproject.project?.name ?? shownPath(project.root);
        const version = project.pyproject.project?.version ?? null;
        const tree = buildTree(used, { name, version, roots: projectRoots(used) }, flags.invert === true, depth);
        const header = flags.invert === true ? `${name} (inverted: each package, then what needs it)` : `${name}${version === null ? '' : ` ${version}`}`;
        reporter.result({ project: name, version, invert: flags.invert === true, depth, tree }, () => [header, ...renderTree(tree)].join('\n'));
      }),
    );

  withProjectOptions(program.command('export').description('write the lock as a hashed requirements.txt (pip install --require-hashes -r)'))
    .option('--format <format>', 'requirements (the only format so far)', 'requirements')
    .option('-o, --output-file <file>', 'write to this file instead of standard output')
    .option('--extra <name>', 'include an extra (repeatable)', collect, [])
    .option('--all-extras', 'include every extra')
    .option('--group <name>', 'include a dependency group (repeatable)', collect, [])
    .option('--no-default-groups', 'leave out the default groups')
    .option('--frozen', 'use pylock.toml as it is, and fail if pyproject.toml no longer matches it')
    .action((flags: SyncFlags & { format: string; outputFile?: string }, cmd: Command) =>
      runCommand(cmd, async (global, reporter) => {
        if (flags.format !== 'requirements' && flags.format !== 'requirements.txt') {
          throw new PavedError('PAVED_E_INVALID_ARGUMENT', `unknown export format ${JSON.stringify(flags.format)}`, { hint: 'Use --format requirements (pylock.toml itself is the PEP 751 format).' });
        }
        const project = await openProject(flags, reporter);
        const lock = await currentLock(project, flags.frozen === true, reporter, global);
        const { extras, groups } = selectedExtrasAndGroups(flags, lock, project.config);
        const text = exportRequirements(lock, { extras, groups, source: 'pylock.toml' });
        if (flags.outputFile !== undefined) {
          await writeAtomically(resolve(flags.outputFile), text);
          reporter.result({ file: resolve(flags.outputFile), extras, groups }, () => `wrote ${flags.outputFile}`);
        } else if (reporter.json) {
          reporter.result({ requirements: text, extras, groups }, () => '');
        } else {
          process.stdout.write(text);
        }
      }),
    );
}

/**
 * For `paved run` of a Python script that has its own environment: one made from its PEP 723
 * metadata (cached), or, for a script without metadata outside any project, just an interpreter
 * (`environment` null).
 */
export async function scriptEnvironmentFor(metadata: ScriptMetadata | null, flags: SyncFlags, global: GlobalOptions, reporter: Reporter): Promise<{ python: string; environment: string | null }> {
  const build = buildSettingsFromFlags(flags);
  const config = await resolveClientConfig({ flags: clientConfigFlags(flags), env: process.env, project: null, home: homedir() });
  const wanted = metadata ?? { dependencies: [], requiresPython: null };
  if (wanted.dependencies.length === 0 && metadata === null) {
    return { python: (await findInterpreter({ ...(config.python === null ? {} : { python: config.python }), inspect: { cacheDir: config.cacheDir } })).path, environment: null };
  }
  const client = openClient(config, (m) => reporter.warn(m));
  try {
    const env = await ensureScriptEnvironment({
      metadata: wanted,
      client,
      cacheDir: config.cacheDir,
      ...(config.python === null ? {} : { python: config.python }),
      build,
      onEvent: scriptEnvironmentProgress(reporter, global),
    });
    return { python: env.python, environment: env.venv };
  } finally {
    await client.close();
  }
}

/** For `paved run` in a project: brings the lock up to date with pyproject.toml and syncs .venv to it. */
export async function syncForRun(project: OpenProject, flags: SyncFlags, global: GlobalOptions, reporter: Reporter): Promise<void> {
  const client = openClient(project.config, (m) => reporter.warn(m), true);
  try {
    const lock = await currentLock(project, flags.frozen === true, reporter, global);
    await syncProject(project, client, lock, flags, reporter, global);
  } finally {
    await client.close();
  }
}
