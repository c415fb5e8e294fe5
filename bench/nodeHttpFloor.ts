/**
 * The floor for any Node server on this machine: node:http answering every
 * request with one fixed page and the same headers paved sends, no routing,
 * no framework, no catalog. Started by indexServer.ts as a reference line;
 * the gap between paved and this is paved's own per-request cost.
 *
 *   node --import tsx bench/nodeHttpFloor.ts <page-file> <port>
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [file, portText] = process.argv.slice(2);
if (file === undefined || portText === undefined) {
  process.stderr.write('usage: nodeHttpFloor.ts <page-file> <port>\n');
  process.exit(2);
}
const body = readFileSync(file);
const headers = {
  'content-type': 'text/html; charset=utf-8',
  'content-length': String(body.length),
  etag: '"0123456789abcdefghijklmnopq-html"',
  vary: 'Accept, Authorization',
  'cache-control': 'max-age=0, must-revalidate',
};
const server = createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.listen(Number(portText), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
