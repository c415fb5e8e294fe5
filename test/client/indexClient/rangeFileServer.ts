/**
 * A static index server that honours single byte-range requests (the shared static fixture
 * serves whole files only) and logs how many body bytes each request received, so tests can show
 * how little of a wheel the client read. Serves a tree from `buildStaticIndex`: a directory answers
 * with `index.json` when the client prefers JSON and it exists, else `index.html`.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { negotiateSimpleFormat } from '../../../src/standards/simpleApi.js';

export interface RangeRequestRecord {
  path: string;
  range: string | null;
  status: number;
  bytes: number;
}

export interface RangeFileServer {
  url: string;
  simpleUrl: string;
  requests: RangeRequestRecord[];
  close(): Promise<void>;
}

export async function serveWithRanges(dir: string): Promise<RangeFileServer> {
  const root = resolve(dir);
  const requests: RangeRequestRecord[] = [];
  const server: Server = createServer((request, response) => {
    const record: RangeRequestRecord = { path: request.url ?? '/', range: request.headers.range ?? null, status: 0, bytes: 0 };
    requests.push(record);
    const send = (status: number, headers: Record<string, string>, body: Buffer): void => {
      record.status = status;
      record.bytes = body.length;
      response.writeHead(status, { ...headers, 'Content-Length': String(body.length) });
      response.end(body);
    };
    void (async () => {
      const path = decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/');
      let target = resolve(root, `.${path}`);
      if (target !== root && !target.startsWith(root + sep)) return send(404, {}, Buffer.from('no'));
      let info = await stat(target).catch(() => null);
      let type = 'application/octet-stream';
      if (info?.isDirectory() === true) {
        const json = negotiateSimpleFormat(request.headers.accept) === 'json';
        const jsonInfo = json ? await stat(join(target, 'index.json')).catch(() => null) : null;
        if (jsonInfo !== null) {
          target = join(target, 'index.json');
          type = 'application/vnd.pypi.simple.v1+json';
        } else {
          target = join(target, 'index.html');
          type = 'text/html';
        }
        info = await stat(target).catch(() => null);
      }
      if (info === null || !info.isFile()) return send(404, {}, Buffer.from('not found'));
      const bytes = await readFile(target);
      const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
      if (range !== null && (range[1] !== '' || range[2] !== '')) {
        const start = range[1] === '' ? Math.max(0, bytes.length - Number(range[2])) : Number(range[1]);
        const end = range[1] === '' || range[2] === '' ? bytes.length - 1 : Math.min(Number(range[2]), bytes.length - 1);
        return send(206, { 'Content-Type': type, 'Content-Range': `bytes ${start}-${end}/${bytes.length}`, ETag: '"fixed"' }, bytes.subarray(start, end + 1));
      }
      return send(200, { 'Content-Type': type, 'Accept-Ranges': 'bytes', ETag: '"fixed"' }, bytes);
    })().catch(() => send(500, {}, Buffer.from('error')));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    simpleUrl: `${url}simple/`,
    requests,
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
