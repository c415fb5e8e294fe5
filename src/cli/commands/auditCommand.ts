import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { PavedError } from '../../errors.js';
import { createAdvisoryApiClient } from '../../client/advisoryApiClient.js';
import { readPylock } from '../../project/pylock.js';
import { pinnedRequirements, readRequirementsFile } from '../../client/readRequirementsFile.js';
import { openAdvisoryDatabase } from '../../index/advisories/advisoryDatabase.js';
import { readInstalledDistributions } from '../../installer/readInstalledDistributions.js';
import { normalizeName } from '../../standards/names.js';
import { compileAdvisoryMatcher, fixedVersions, severityAtLeast, SEVERITY_ORDER, type Advisory, type AdvisorySeverity } from '../../standards/osv.js';
import { tryParseVersion, type Version } from '../../standards/version.js';
import type { GlobalOptions } from '../globalOptions.js';
import type { Reporter } from '../reporter.js';
import { runCommand } from '../runCommand.js';

/** Where advisories come from for one command run. */
export interface AdvisorySource {
  /** For messages and `--json`: the zip/dir/URL, the database file or the server URL. */
  readonly description: string;
  forProject(project: string): Promise<Advisory[]>;
  close(): void;
}

/**
 * Picks the advisory data the way `paved audit` documents it: `--advisories` (imported into a
 * private in-memory store), else an explicitly given data directory's `advisories.sqlite`,
 * else `--server`'s advisory API, else `./paved-data/advisories.sqlite` when it exists.
 */
export async function openAdvisorySource(global: GlobalOptions, options: { advisories?: string; dataExplicit: boolean }, reporter: Reporter): Promise<AdvisorySource> {
  if (options.advisories !== undefined) {
    const db = openAdvisoryDatabase(':memory:');
    try {
      const result = await db.importFrom(options.advisories, { onProgress: (done, total, label) => reporter.progress(done, total, label) });
      for (const s of result.skipped.slice(0, global.verbose ? Infinity : 5)) reporter.warn(`advisory ${s.file} skipped: ${s.reason}`);
      if (result.skipped.length > 5 && !global.verbose) reporter.warn(`${result.skipped.length - 5} more advisories skipped (--verbose lists them)`);
      if (db.count() === 0) throw new PavedError('PAVED_E_NO_ADVISORIES', `${options.advisories} holds no usable advisories`, { hint: 'Give OSV data: a zip like PyPI/all.zip, or a directory of OSV *.json files.' });
    } catch (error) {
      db.close();
      throw error;
    }
    return { description: options.advisories, forProject: async (p) => db.forProject(p), close: () => db.close() };
  }
  const fromDataDir = (): AdvisorySource | null => {
    const file = join(resolve(global.data), 'advisories.sqlite');
    if (!existsSync(file)) return null;
    const db = openAdvisoryDatabase(file);
    if (db.count() === 0) {
      db.close();
      return null;
    }
    return { description: file, forProject: async (p) => db.forProject(p), close: () => db.close() };
  };
  if (options.dataExplicit) {
    const source = fromDataDir();
    if (source !== null) return source;
    throw new PavedError('PAVED_E_NO_ADVISORIES', `no advisories have been imported into ${resolve(global.data)}`, {
      hint: `Run: paved advisories import https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip --data ${global.data}  (or pass --advisories ZIP|DIR|URL)`,
    });
  }
  if (global.server !== undefined) {
    const api = createAdvisoryApiClient(global.server, global.token);
    return { description: global.server, forProject: (p) => api.forProject(p), close: () => {} };
  }
  const source = fromDataDir();
  if (source !== null) return source;
  throw new PavedError('PAVED_E_NO_ADVISORIES', 'no advisory data to audit against', {
    hint: 'Pass --advisories ZIP|DIR|URL (e.g. OSV’s PyPI/all.zip), --server URL of a paved server, or import data first with `paved advisories import SRC`.',
  });
}

/** One project version to check, with where it was found. */
interface Candidate {
  name: string;
  version: string;
  sources: string[];
}

/** One advisory as `paved audit` reports it. */
export interface AuditFinding {
  id: string;
  aliases: string[];
  severity: AdvisorySeverity;
  cvssScore: number | null;
  summary: string;
  fixedVersions: string[];
}

/** The `--json` result of `paved audit`. */
export interface AuditResult {
  vulnerable: { name: string; version: string; sources: string[]; advisories: AuditFinding[] }[];
  scanned: number;
  unpinned: { name: string; source: string; reason: string }[];
  /** Vulnerabilities found but below `--severity`. */
  belowThreshold: number;
  severity: AdvisorySeverity;
  advisorySource: string;
}

function summaryOf(advisory: Advisory): string {
  const text = advisory.summary !== '' ? advisory.summary : advisory.details;
  const line = text.trim().split(/\n/)[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}

async function collectCandidates(
  flags: { requirement: string[]; lock?: string; venv?: string },
  reporter: Reporter,
): Promise<{ candidates: Candidate[]; unpinned: AuditResult['unpinned'] }> {
  const byName = new Map<string, (Candidate & { parsed: Version | null })[]>();
  const unpinned: AuditResult['unpinned'] = [];
  // One candidate per project and PEP 440-equal version (1.1 and 1.1.0 are one), with every place it was found.
  const add = (name: string, version: string, source: string) => {
    const parsed = tryParseVersion(version);
    const list = byName.get(normalizeName(name)) ?? [];
    byName.set(normalizeName(name), list);
    const existing = list.find((c) => (c.parsed !== null && parsed !== null ? c.parsed.equals(parsed) : c.version === version));
    if (existing === undefined) list.push({ name, version, sources: [source], parsed });
    else if (!existing.sources.includes(source)) existing.sources.push(source);
  };
  for (const file of flags.requirement) {
    const contents = await readRequirementsFile(file);
    const pinned = pinnedRequirements(contents);
    const pinnedLines = new Set(pinned.map((e) => `${e.file}:${e.line}`));
    for (const entry of pinned) add(entry.name, entry.version as string, `${entry.file}:${entry.line}`);
    for (const entry of contents.requirements) {
      if (entry.constraint || pinnedLines.has(`${entry.file}:${entry.line}`)) continue;
      unpinned.push({ name: entry.name, source: `${entry.file}:${entry.line}`, reason: 'not pinned with ==' });
    }
    for (const w of contents.warnings) {
      if (/not pinned with ==|comes from a URL/.test(w.message)) continue; // reported as unpinned
      reporter.warn(`${w.file}:${w.line}: ${w.message}`);
    }
  }
  if (flags.lock !== undefined) {
    const { lock, warnings } = await readPylock(flags.lock);
    for (const w of warnings) reporter.warn(w);
    lock.packages.forEach((p, index) => {
      if (p.version === null) unpinned.push({ name: p.name, source: `${flags.lock} packages[${index}]`, reason: 'locked without a version (URL, directory or VCS source)' });
      else add(p.name, p.version, flags.lock as string);
    });
  }
  if (flags.venv !== undefined) {
    const installed = await readInstalledDistributions(flags.venv);
    for (const w of installed.warnings) reporter.warn(w.message);
    for (const d of installed.distributions) add(d.name, d.version, flags.venv);
  }
  return { candidates: [...byName.values()].flat().map(({ name, version, sources }) => ({ name, version, sources })), unpinned };
}

/** Runs `f` over `items` with at most `limit` at once (server lookups), keeping order. */
async function mapLimited<T, R>(items: T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Checks every candidate against the advisories; the pure part of the command, given the lookups. */
async function audit(candidates: Candidate[], source: AdvisorySource, threshold: AdvisorySeverity) {
  const names = [...new Set(candidates.map((c) => normalizeName(c.name)))];
  const advisoriesByName = new Map<string, Advisory[]>();
  const lists = await mapLimited(names, 8, (name) => source.forProject(name));
  names.forEach((name, i) => advisoriesByName.set(name, lists[i] ?? []));
  const vulnerable: AuditResult['vulnerable'] = [];
  let belowThreshold = 0;
  for (const c of candidates) {
    const findings: AuditFinding[] = [];
    for (const advisory of advisoriesByName.get(normalizeName(c.name)) ?? []) {
      if (!compileAdvisoryMatcher(advisory)(c.name, c.version)) continue;
      if (!severityAtLeast(advisory.severity, threshold)) {
        belowThreshold++;
        continue;
      }
      findings.push({ id: advisory.id, aliases: advisory.aliases, severity: advisory.severity, cvssScore: advisory.cvssScore, summary: summaryOf(advisory), fixedVersions: fixedVersions(advisory, c.name) });
    }
    if (findings.length === 0) continue;
    findings.sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || a.id.localeCompare(b.id));
    vulnerable.push({ name: c.name, version: c.version, sources: c.sources, advisories: findings });
  }
  vulnerable.sort((a, b) => normalizeName(a.name).localeCompare(normalizeName(b.name)));
  return { vulnerable, belowThreshold };
}

function renderAudit(r: AuditResult): string {
  const lines: string[] = [];
  for (const v of r.vulnerable) {
    lines.push(`${v.name} ${v.version}  (${v.sources.join(', ')})`);
    for (const a of v.advisories) {
      const aliases = a.aliases.length > 0 ? ` (${a.aliases.join(', ')})` : '';
      const score = a.cvssScore === null ? '' : ` ${a.cvssScore.toFixed(1)}`;
      const fixed = a.fixedVersions.length > 0 ? `fixed in ${a.fixedVersions.join(', ')}` : 'no fixed version';
      lines.push(`  ${a.id}${aliases}  ${a.severity}${score}  ${fixed}`);
      if (a.summary !== '') lines.push(`    ${a.summary}`);
    }
  }
  for (const u of r.unpinned) lines.push(`not audited: ${u.name} at ${u.source} (${u.reason})`);
  const count = r.vulnerable.reduce((n, v) => n + v.advisories.length, 0);
  const below = r.belowThreshold > 0 ? `; ${r.belowThreshold} below severity ${r.severity} not shown` : '';
  lines.push(
    count === 0
      ? `no known vulnerabilities in ${r.scanned} package${r.scanned === 1 ? '' : 's'}${below} (advisories: ${r.advisorySource})`
      : `found ${count} known vulnerabilit${count === 1 ? 'y' : 'ies'} in ${r.vulnerable.length} of ${r.scanned} packages${below} (advisories: ${r.advisorySource})`,
  );
  return lines.join('\n');
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `paved audit`: known vulnerabilities of a requirements file, a pylock.toml or a venv. */
export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('report known vulnerabilities (OSV advisories) of pinned requirements, a pylock.toml or an existing venv; exit 1 when any are found')
    .option('-r, --requirement <file>', 'a requirements file (repeatable; -r/-c includes are followed)', collect, [])
    .option('--lock <file>', 'a PEP 751 pylock.toml')
    .option('--venv <dir>', 'an existing virtual environment')
    .option('--advisories <source>', 'OSV data to use instead of the server’s or the data directory’s: a zip (like PyPI/all.zip), a directory of *.json, or a URL')
    .addOption(new Option('--severity <level>', 'lowest severity to report and fail on').choices(['low', 'medium', 'high', 'critical']).default('low'))
    .action((flags: { requirement: string[]; lock?: string; venv?: string; advisories?: string; severity: AdvisorySeverity }, cmd: Command) => {
      if (flags.requirement.length === 0 && flags.lock === undefined && flags.venv === undefined) {
        cmd.error('error: nothing to audit: give -r requirements.txt, --lock pylock.toml or --venv DIR', { exitCode: 2, code: 'paved.audit.nothing' });
      }
      // Exit 1 means "vulnerable" and nothing else, so a CI gate can tell it from "could not audit" (2).
      let failed = false;
      return runCommand(cmd, async (global, reporter) => {
        try {
          await runAudit(flags, cmd, global, reporter);
        } catch (error) {
          reporter.failure(error, global.verbose);
          failed = true;
        }
      }).then(() => {
        if (failed) process.exitCode = 2;
      });
    });
}

async function runAudit(
  flags: { requirement: string[]; lock?: string; venv?: string; advisories?: string; severity: AdvisorySeverity },
  cmd: Command,
  global: GlobalOptions,
  reporter: Reporter,
): Promise<void> {
  const { candidates, unpinned } = await collectCandidates(flags, reporter);
  const dataExplicit = cmd.optsWithGlobals()['data'] !== undefined || (process.env['PAVED_DATA'] ?? '') !== '';
  const source = await openAdvisorySource(global, { ...(flags.advisories === undefined ? {} : { advisories: flags.advisories }), dataExplicit }, reporter);
  let result: AuditResult;
  try {
    const found = await audit(candidates, source, flags.severity);
    result = { ...found, scanned: candidates.length, unpinned, severity: flags.severity, advisorySource: source.description };
  } finally {
    source.close();
  }
  reporter.result(result, () => renderAudit(result));
  if (result.vulnerable.length > 0) process.exitCode = 1;
}
