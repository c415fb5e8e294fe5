import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { PavedError } from '../../errors.js';
import { createIndexClient, type IndexClient } from '../../client/indexClient/indexClient.js';
import { readInstallRequirements } from '../../client/readInstallRequirements.js';
import { openVenv } from '../../installer/createVenv.js';
import { downloadRequirements } from '../../client/downloadRequirements.js';
import { installRequirements, type InstallEvent, type InstallRequirement } from '../../client/installRequirements.js';
import { findInterpreter } from '../../installer/interpreter.js';
import { uninstallDistribution } from '../../installer/installWheel.js';
import { readInstalledDistributions } from '../../installer/readInstalledDistributions.js';
import { redactUrl } from '../../standards/urls.js';
import { normalizeName } from '../../standards/names.js';
import type { GlobalOptions } from '../globalOptions.js';
import type { Reporter } from '../reporter.js';
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
  offline?: boolean;
  cacheDir?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);
const truthy = (v: string | undefined): boolean => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

/** What the flags, the environment and the requirement files' own options say, read once. */
interface InstallSettings {
  requirements: InstallRequirement[];
  constraints: string[];
  indexUrls: string[];
  findLinks: string[];
  offline: boolean;
  cacheDir: string;
}

async function readSettings(flags: ResolveFlags, names: string[], reporter: Reporter, env: NodeJS.ProcessEnv = process.env): Promise<InstallSettings> {
  const files = await readInstallRequirements(flags.requirement, flags.constraint);
  for (const w of files.warnings) reporter.warn(`${w.file}:${w.line}: ${w.message}`);
  const requirements: InstallRequirement[] = [...files.requirements, ...names.map((n) => ({ requirement: n }))];
  if (requirements.length === 0) {
    throw new PavedError('PAVED_E_NOTHING_TO_INSTALL', 'no requirements given', { hint: 'Name packages (paved install flask) or give -r requirements.txt.' });
  }
  const fileOption = (...optionNames: string[]): string[] => files.options.filter((o) => optionNames.includes(o.name) && o.value !== null).map((o) => o.value as string);
  const primary = nonEmpty(flags.indexUrl) ?? fileOption('-i', '--index-url')[0] ?? nonEmpty(env['PAVED_INDEX_URL']);
  const indexUrls = [...(primary === undefined ? [] : [primary]), ...flags.extraIndexUrl, ...fileOption('--extra-index-url')];
  const findLinks = [...flags.findLinks, ...fileOption('-f', '--find-links')];
  if (indexUrls.length === 0 && findLinks.length === 0) {
    throw new PavedError('PAVED_E_NO_INDEX', 'no index to install from', {
      hint: 'Give --index-url URL (or set PAVED_INDEX_URL), or --find-links DIR for a folder of wheels.',
    });
  }
  return {
    requirements,
    constraints: files.constraints,
    indexUrls,
    findLinks,
    offline: flags.offline === true || truthy(env['PAVED_OFFLINE']),
    cacheDir: resolve(nonEmpty(flags.cacheDir) ?? nonEmpty(env['PAVED_CACHE_DIR']) ?? join(homedir(), '.cache', 'paved')),
  };
}

function openClient(settings: InstallSettings): IndexClient {
  return createIndexClient({ indexUrls: settings.indexUrls, findLinks: settings.findLinks, offline: settings.offline, cacheDir: settings.cacheDir });
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
}

/** Renders install/download events as progress (resolution, downloads, install counts). */
function progressFor(reporter: Reporter, global: GlobalOptions, quietInfo = false): (event: InstallEvent) => void {
  let decisions = 0;
  let toInstall = 0;
  let installed = 0;
  return (event) => {
    switch (event.type) {
      case 'venv-created':
        if (quietInfo) break;
        reporter.info(`created ${shownPath(event.path)} with Python ${event.pythonVersion} (${event.python})`);
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
        reporter.progress(1, 1, `resolved ${event.packages} packages`);
        if (global.verbose) for (const s of event.skipped) reporter.info(`skipped ${s.name} ${s.version}: ${s.reason}`);
        break;
      case 'fetched':
        reporter.progress(event.done, event.total, `downloaded ${event.filename}`);
        break;
      case 'sync':
        if (event.event.type === 'plan') toInstall = event.event.plan.install.length + event.event.plan.upgrade.length;
        else if (event.event.type === 'installed') {
          installed++;
          reporter.progress(installed, toInstall, `installed ${event.event.name} ${event.event.version}`);
        } else if (event.event.type === 'warning') reporter.warn(event.event.message);
        break;
      default:
        break;
    }
  };
}

function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

const seconds = (start: bigint): number => Math.round(Number(process.hrtime.bigint() - start) / 1e6) / 1000;

/** `paved install`, `paved uninstall` and `paved download`: the pip-style path for scripts and CI. */
export function registerInstallCommands(program: Command): void {
  const withResolveOptions = (cmd: Command): Command =>
    cmd
      .option('-r, --requirement <file>', 'install from a requirements file (repeatable)', collect, [])
      .option('-c, --constraint <file>', 'constrain versions with a constraints file (repeatable)', collect, [])
      .option('--index-url <url>', 'simple-API root (env PAVED_INDEX_URL)')
      .option('--extra-index-url <url>', 'a further index, asked when earlier ones lack a name (repeatable)', collect, [])
      .option('--find-links <dir>', 'a folder of wheels to use as well (repeatable)', collect, [])
      .option('--python <version|path>', 'interpreter to resolve for: a version such as 3.12, or a path')
      .option('--require-hashes', 'every requirement must be pinned with == and --hash=sha256:…')
      .option('--offline', 'use only the cache and local folders (env PAVED_OFFLINE=1)')
      .option('--cache-dir <dir>', 'global cache (env PAVED_CACHE_DIR, default ~/.cache/paved)');

  withResolveOptions(program.command('install').description('resolve and install packages into a virtual environment (created when missing), pip-style'))
    .argument('[names...]', 'requirements such as flask, "rich>=13", "name @ https://…/x.whl" or ./dist/x-1.0-py3-none-any.whl')
    .option('--target-venv <dir>', 'the environment to install into', '.venv')
    .option('-U, --upgrade', 'upgrade the named requirements to the newest versions that fit (their dependencies only as needed)')
    .option('--upgrade-package <name>', 'do not keep the installed version of this project (repeatable)', collect, [])
    .option('--no-deps', 'install the named requirements only, none of their dependencies')
    .option('--dry-run', 'resolve and show what would be installed; change nothing, create no environment')
    .option('--report <file>', "write pip's installation report (JSON, version 1) to a file, or - for standard output")
    .option('--reinstall', 'install every resolved package again, even when the same version is there')
    .option('--compile', 'compile the installed Python files to bytecode')
    .action((names: string[], flags: ResolveFlags & InstallFlags, cmd: Command) =>
      runCommand(cmd, async (global, reporter) => {
        const start = process.hrtime.bigint();
        const settings = await readSettings(flags, names, reporter);
        const reportToStdout = flags.report === '-' && !reporter.json;
        const client = openClient(settings);
        try {
          const { report, ...result } = await installRequirements({
            requirements: settings.requirements,
            constraints: settings.constraints,
            client,
            venvDir: flags.targetVenv,
            ...(flags.python === undefined ? {} : { python: flags.python }),
            cacheDir: settings.cacheDir,
            requireHashes: flags.requireHashes === true,
            upgrade: flags.upgrade === true,
            upgradePackages: flags.upgradePackage,
            noDeps: flags.deps === false,
            dryRun: flags.dryRun === true,
            reinstall: flags.reinstall === true,
            compile: flags.compile === true,
            report: flags.report !== undefined,
            onEvent: progressFor(reporter, global, reportToStdout),
          });
          if (report !== undefined && flags.report !== undefined && flags.report !== '-') await writeFile(resolve(flags.report), `${JSON.stringify(report, null, 2)}\n`);
          const data = { ...result, seconds: seconds(start), index: settings.indexUrls.map((u) => redactUrl(u)), ...(flags.report === '-' ? { report } : {}) };
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
          await client.close();
        }
      }),
    );

  program
    .command('uninstall')
    .description('remove installed distributions from a virtual environment (their dependencies stay)')
    .argument('<names...>', 'project names')
    .option('--target-venv <dir>', 'the environment', '.venv')
    .action((names: string[], flags: { targetVenv: string }, cmd: Command) =>
      runCommand(cmd, async (_global, reporter) => {
        const venv = await openVenv(resolve(flags.targetVenv));
        const before = await readInstalledDistributions(venv.root);
        const versions = new Map(before.distributions.map((d) => [normalizeName(d.name), d]));
        const missing = names.filter((n) => !versions.has(normalizeName(n)));
        if (missing.length > 0) {
          throw new PavedError('PAVED_E_NOT_INSTALLED', `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed in ${shownPath(venv.root)}; nothing was removed`, {
            hint: 'Check the names with `pip list` or `paved install --dry-run`.',
          });
        }
        const removed: { name: string; version: string; files: number }[] = [];
        for (const name of names) {
          const have = versions.get(normalizeName(name));
          const done = await uninstallDistribution(venv, name);
          removed.push({ name: have?.name ?? name, version: have?.version ?? '', files: done.removed.length });
        }
        const kept = before.distributions.length - removed.length;
        reporter.result({ installed: [], removed, kept }, () => removed.map((r) => `- ${r.name} ${r.version} (${r.files} files)`).concat(`${kept} other distributions left in ${shownPath(venv.root)}`).join('\n'));
      }),
    );

  withResolveOptions(program.command('download').description('resolve for an interpreter and download the wheels into a folder, for installing offline with --find-links'))
    .argument('[names...]', 'requirements such as flask or "rich>=13"')
    .requiredOption('-d, --dest <dir>', 'the folder to download into')
    .action((names: string[], flags: ResolveFlags & { dest: string }, cmd: Command) =>
      runCommand(cmd, async (global, reporter) => {
        const start = process.hrtime.bigint();
        const settings = await readSettings(flags, names, reporter);
        const interpreter = await findInterpreter({ ...(flags.python === undefined ? {} : { python: flags.python }), inspect: { cacheDir: settings.cacheDir } });
        const client = openClient(settings);
        try {
          const files = await downloadRequirements({
            requirements: settings.requirements,
            constraints: settings.constraints,
            client,
            interpreter,
            dest: flags.dest,
            requireHashes: flags.requireHashes === true,
            onEvent: progressFor(reporter, global),
          });
          const fetched = files.filter((f) => f.fetched).length;
          const data = { dest: resolve(flags.dest), python: interpreter.version, files, seconds: seconds(start) };
          reporter.result(data, () =>
            [...files.map((f) => `  ${f.filename}${f.fetched ? '' : ' (already there)'}`), `${files.length} wheels for Python ${interpreter.version} in ${shownPath(data.dest)} (${fetched} downloaded) in ${data.seconds}s`].join('\n'),
          );
        } finally {
          await client.close();
        }
      }),
    );
}
