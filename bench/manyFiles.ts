/**
 * Server memory as the number of files grows: catalogs of 1k, 10k and 100k
 * files (10 files per project, rows inserted directly — the bytes are not
 * needed to serve simple pages), a compiled `paved serve` on each, every
 * project page requested (JSON; 10 000 requests cycling over the projects at
 * every size, so each size does the same work), then the project list.
 * Prints the server's RSS at start and after the pages, per size.
 *
 *   node --import tsx bench/manyFiles.ts [--sizes 1000,10000,100000] [--page-cache 64M] [--heap MB] [--json]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteCatalog } from '../src/index/catalog/sqliteCatalog.js';
import { openDataDir } from '../src/index/dataDir.js';
import { createChildRegistry, findFreePort, readRssKiB, waitForHttp } from './childProcesses.js';
import { compilePaved } from './compilePaved.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const sizesArg = args.indexOf('--sizes');
const sizes = (sizesArg >= 0 ? args[sizesArg + 1]! : '1000,10000,100000').split(',').map(Number);
const FILES_PER_PROJECT = 10;
const cacheArg = args.indexOf('--page-cache');
const pageCache = cacheArg >= 0 ? args[cacheArg + 1]! : '64M';
// --heap N caps V8's old space (MB): a server that keeps per-file state would die; garbage is just collected sooner.
const heapArg = args.indexOf('--heap');
const heapFlags = heapArg >= 0 ? [`--max-old-space-size=${args[heapArg + 1]!}`] : [];

const registry = createChildRegistry();
process.on('exit', () => registry.stopAll());
process.on('SIGINT', () => process.exit(130));

async function fillCatalog(dir: string, files: number): Promise<void> {
  const storage = await openDataDir(dir);
  const catalog = storage.catalog as SqliteCatalog;
  const index = (await catalog.getIndex('root/main'))!;
  const batch = [];
  for (let i = 0; i < files; i++) {
    const project = `project-${Math.floor(i / FILES_PER_PROJECT)}`;
    const version = `1.${i % FILES_PER_PROJECT}.0`;
    batch.push({
      indexId: index.id,
      project,
      projectDisplayName: project,
      version,
      filename: `${project.replace(/-/g, '_')}-${version}-py3-none-any.whl`,
      kind: 'wheel' as const,
      sha256: randomBytes(32).toString('hex'),
      blake2b256: null,
      size: 1000 + i,
      requiresPython: '>=3.8',
      metadataSha256: randomBytes(32).toString('hex'),
      uploader: 'bench',
    });
    if (batch.length === 5000) await catalog.addFiles(batch.splice(0));
  }
  if (batch.length > 0) await catalog.addFiles(batch);
  await storage.close();
}

/** `requests` page requests cycling over every project, so each size does the same amount of work. */
async function hitAll(base: string, projects: number, requests: number, concurrency = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const i = next++ % projects;
      const res = await fetch(`${base}/simple/project-${i}/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } });
      if (res.status !== 200) throw new Error(`project-${i}: ${res.status}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const outDir = join(repo, '.cache', 'bench-many');
const main = compilePaved(repo, outDir, (m) => process.stderr.write(`bench: ${m}\n`));
const rows: { files: number; projects: number; rssStartMB: number; rssAfterPagesMB: number; rssAfterListMB: number; pagesPerSecond: number }[] = [];

for (const files of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'paved-many-'));
  try {
    process.stderr.write(`bench: filling a catalog with ${files} files\n`);
    await fillCatalog(dir, files);
    const port = await findFreePort();
    const child = registry.start('paved', process.execPath, [...heapFlags, main, 'serve', '--data', dir, '--port', String(port), '--access-log', 'off', '--page-cache', pageCache], {
      logFile: join(dir, 'serve.log'),
      cwd: repo,
      discardStdout: true,
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/+health`, 30_000, () => child.exitCode === null);
    const rssStart = readRssKiB(child.pid!)! / 1024;
    const projects = Math.ceil(files / FILES_PER_PROJECT);
    const started = Date.now();
    const requests = Math.max(projects, 10_000);
    await hitAll(base, projects, requests);
    const seconds = (Date.now() - started) / 1000;
    const rssPages = readRssKiB(child.pid!)! / 1024;
    const list = await fetch(`${base}/simple/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } });
    await list.arrayBuffer();
    const rssList = readRssKiB(child.pid!)! / 1024;
    rows.push({ files, projects, rssStartMB: rssStart, rssAfterPagesMB: rssPages, rssAfterListMB: rssList, pagesPerSecond: requests / seconds });
    await registry.stop(child);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (json) process.stdout.write(`${JSON.stringify({ rows }, null, 2)}\n`);
else {
  process.stdout.write(`page cache: ${pageCache} per process${heapFlags.length ? `, V8 ${heapFlags[0]}` : ''}\n`);
  process.stdout.write('files     projects  RSS at start  RSS after every page  RSS after /simple/  pages/s\n');
  for (const r of rows) {
    process.stdout.write(
      `${String(r.files).padEnd(9)} ${String(r.projects).padEnd(9)} ${r.rssStartMB.toFixed(1).padStart(9)} MB ${r.rssAfterPagesMB.toFixed(1).padStart(17)} MB ${r.rssAfterListMB.toFixed(1).padStart(15)} MB ${r.pagesPerSecond.toFixed(0).padStart(12)}\n`,
    );
  }
}
