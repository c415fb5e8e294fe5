import type { Command } from 'commander';
import { PavedError } from '../../errors.js';
import { uploadDistribution } from '../../client/uploadDistribution.js';
import { openDataDir } from '../../index/dataDir.js';
import { collectDistributionFiles, createLocalImporter, importFiles, type ImportOutcome, type ImportSummary } from '../../index/importDistributions.js';
import { splitIndexPath } from '../../index/admin/adminOperations.js';
import { runCommand } from '../runCommand.js';
import type { Reporter } from '../reporter.js';

export function registerImport(program: Command): void {
  program
    .command('import <owner/name> <paths...>')
    .description('bulk-import distributions (a pypiserver folder, a pip download folder, /opt/pypi/files) with the checks of an upload')
    .option('--jobs <n>', 'files processed at once', '4')
    .action((indexPath: string, paths: string[], flags: { jobs: string }, cmd: Command) =>
      runCommand(cmd, async (global, reporter) => {
        const jobs = Number(flags.jobs);
        if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new PavedError('PAVED_E_INVALID_ARGUMENT', '--jobs must be 1..64');
        const { owner, name } = splitIndexPath(indexPath);
        const { files, ignored } = await collectDistributionFiles(paths);
        if (files.length === 0) throw new PavedError('PAVED_E_NOT_FOUND', 'no distribution files (.whl, .tar.gz, .zip, …) under the given paths');
        const started = Date.now();
        const onOutcome = (o: ImportOutcome, done: number, total: number) => {
          reporter.progress(done, total, o.filename);
          if (o.status === 'refused' && global.verbose) reporter.warn(`refused ${o.filename}: ${o.message}`);
        };
        const index = `${owner}/${name}`;
        let summary: ImportSummary;
        if (global.server !== undefined) {
          const url = new URL(`${index}/`, global.server.endsWith('/') ? global.server : `${global.server}/`).toString();
          const token = global.token;
          const upload = async (path: string): Promise<'added' | 'identical' | 'held'> => {
            const r = await uploadDistribution(url, token, path);
            return r.status === 'uploaded' ? (r.message.includes('held for review') ? 'held' : 'added') : 'identical';
          };
          summary = { ...(await importFiles(index, files, upload, { jobs, onOutcome, isFatal: (e) => e.code === 'PAVED_E_NETWORK' || e.code === 'PAVED_E_UNAUTHORIZED' })), ignored };
        } else {
          const storage = await openDataDir(global.data);
          try {
            const importOne = await createLocalImporter(storage, index, { uploader: 'import' });
            summary = { ...(await importFiles(index, files, importOne, { jobs, onOutcome })), ignored };
          } finally {
            await storage.close();
          }
        }
        const seconds = (Date.now() - started) / 1000;
        reporter.result({ ...summary, seconds }, () => renderSummary(summary, seconds));
        if (summary.refused.length > 0) process.exitCode = 1;
      }),
    );
}

function renderSummary(s: ImportSummary, seconds: number): string {
  const lines = [`imported into ${s.index}: ${s.added} added, ${s.held > 0 ? `${s.held} held for review, ` : ''}${s.identical} already present, ${s.refused.length} refused (${s.total} files in ${seconds.toFixed(1)} s${s.ignored ? `; ${s.ignored} non-distribution files ignored` : ''})`];
  for (const r of s.refused) lines.push(`  refused ${r.filename}: ${r.message} [${r.code}]`);
  return lines.join('\n');
}

export type { Reporter };
