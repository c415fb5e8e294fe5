import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { openAdvisoryDatabase, type AdvisoryImportResult } from '../../index/advisories/advisoryDatabase.js';
import { compileAdvisoryMatcher, fixedVersions, type Advisory } from '../../standards/osv.js';
import { runCommand } from '../runCommand.js';
import { openAdvisorySource } from './auditCommand.js';

function renderImport(source: string, r: AdvisoryImportResult, total: number, seconds: number, verbose: boolean): string {
  const lines = [
    `imported advisories from ${source}: ${r.imported} new, ${r.updated} updated${r.withdrawn > 0 ? ` (${r.withdrawn} of them withdrawn)` : ''}, ${r.skipped.length} skipped; ` +
      `${total} advisories stored, data version ${r.version} (${seconds.toFixed(1)} s)`,
  ];
  const shown = verbose ? r.skipped : r.skipped.slice(0, 10);
  for (const s of shown) lines.push(`  skipped ${s.file}: ${s.reason}`);
  if (shown.length < r.skipped.length) lines.push(`  … ${r.skipped.length - shown.length} more (--verbose lists them)`);
  return lines.join('\n');
}

function describeAdvisory(a: Advisory, project: string): Record<string, unknown> {
  return {
    id: a.id,
    aliases: a.aliases,
    severity: a.severity,
    cvssScore: a.cvssScore,
    summary: a.summary,
    withdrawn: a.withdrawn,
    fixedVersions: fixedVersions(a, project),
    modified: a.modified,
    references: a.references,
  };
}

/** `paved advisories import SRC` and `paved advisories show PROJECT [VERSION]`. */
export function registerAdvisories(program: Command): void {
  const group = program.command('advisories').description('known-vulnerability data (OSV) used by policy and `paved audit`');

  group
    .command('import <source>')
    .description('import OSV advisories into <data>/advisories.sqlite from a zip (like PyPI/all.zip), a directory of *.json, or an http(s):// or file:// URL; newer advisories replace older ones')
    .action((source: string, _flags: unknown, cmd: Command) =>
      runCommand(cmd, async (global, reporter) => {
        const dir = resolve(global.data);
        mkdirSync(dir, { recursive: true });
        const db = openAdvisoryDatabase(join(dir, 'advisories.sqlite'));
        try {
          const started = Date.now();
          const result = await db.importFrom(source, { onProgress: (done, total, label) => reporter.progress(done, total, label) });
          const total = db.count();
          const seconds = (Date.now() - started) / 1000;
          reporter.result({ ...result, total, seconds, database: join(dir, 'advisories.sqlite') }, () => renderImport(source, result, total, seconds, global.verbose));
        } finally {
          db.close();
        }
      }),
    );

  group
    .command('show <project> [version]')
    .description('list the advisories of a project, or those affecting one version (from --data, or --server)')
    .option('--advisories <source>', 'read this zip, directory or URL instead')
    .action((project: string, version: string | undefined, flags: { advisories?: string }, cmd: Command) =>
      runCommand(cmd, async (global, reporter) => {
        const dataExplicit = cmd.optsWithGlobals()['data'] !== undefined || (process.env['PAVED_DATA'] ?? '') !== '';
        const source = await openAdvisorySource(global, { ...(flags.advisories === undefined ? {} : { advisories: flags.advisories }), dataExplicit }, reporter);
        let advisories: Advisory[];
        try {
          advisories = await source.forProject(project);
        } finally {
          source.close();
        }
        if (version !== undefined) advisories = advisories.filter((a) => compileAdvisoryMatcher(a)(project, version));
        const data = { project, version: version ?? null, advisories: advisories.map((a) => describeAdvisory(a, project)), source: source.description };
        reporter.result(data, () => {
          if (advisories.length === 0) return version === undefined ? `no advisories for ${project}` : `no advisories affect ${project} ${version}`;
          const lines = [version === undefined ? `${advisories.length} advisories for ${project}:` : `${advisories.length} advisories affect ${project} ${version}:`];
          for (const a of advisories) {
            const fixed = fixedVersions(a, project);
            lines.push(
              `  ${a.id}${a.aliases.length > 0 ? ` (${a.aliases.join(', ')})` : ''}  ${a.severity}${a.withdrawn !== null ? `  WITHDRAWN ${a.withdrawn}` : ''}` +
                `${fixed.length > 0 ? `  fixed in ${fixed.join(', ')}` : ''}`,
            );
            const text = (a.summary !== '' ? a.summary : a.details).trim().split('\n')[0] ?? '';
            if (text !== '') lines.push(`    ${text.length > 160 ? `${text.slice(0, 157)}…` : text}`);
          }
          return lines.join('\n');
        });
      }),
    );
}
