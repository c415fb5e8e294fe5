/**
 * A small node:http front that forwards every request to a live server and spoils the answers it
 * is told to: the body cut after half (the connection closed) or stalled after half, with the
 * whole body's Content-Length. For end-to-end tests of a flaky index or proxy.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the front does to one answer: pass it on, cut its body after half, or stall after half. */
export type Fault = 'cut' | 'stall' | null;

export interface FlakyFront {
  /** The front's origin, `http://127.0.0.1:<port>`. */
  url: string;
  /** Spoils the next requests whose path `matches`, in order, one fault each (then none), and counts them from 0 again. */
  spoil(faults: Fault[]): void;
  /** The requests whose path `matches` since the last `spoil`. */
  readonly requests: number;
  close(): Promise<void>;
}

/** Starts a front for `upstream` (an origin) that spoils requests whose path `matches`, as `spoil` says. */
export async function startFlakyFront(upstream: string, matches: (path: string) => boolean): Promise<FlakyFront> {
  const hanging = new Set<ServerResponse>();
  let faults: Fault[] = [];
  let requests = 0;
  const faultFor = (path: string): Fault => (matches(path) ? (faults[requests++] ?? null) : null);

  function forward(request: IncomingMessage, response: ServerResponse, fault: Fault): void {
    const target = new URL(request.url ?? '/', upstream);
    const headers = { ...request.headers, host: target.host };
    const outgoing = httpRequest(target, { method: request.method ?? 'GET', headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        const answerHeaders = { ...answer.headers, 'content-length': String(body.length) };
        delete answerHeaders['transfer-encoding'];
        response.writeHead(answer.statusCode ?? 502, answerHeaders);
        if (fault === null) return void response.end(body);
        response.write(body.subarray(0, Math.floor(body.length / 2)));
        if (fault === 'cut') setTimeout(() => response.destroy(), 20);
        else hanging.add(response);
      });
    });
    outgoing.on('error', () => response.destroy());
    outgoing.end();
  }

  const front = createServer((request, response) => forward(request, response, faultFor(request.url ?? '/')));
  await new Promise<void>((done) => front.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    spoil(list) {
      faults = list;
      requests = 0;
    },
    get requests() {
      return requests;
    },
    async close() {
      for (const response of hanging) response.destroy();
      front.closeAllConnections();
      await new Promise<void>((done) => front.close(() => done()));
    },
  };
}
