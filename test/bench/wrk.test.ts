import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorCount, parseWrkOutput, renderWrkScript } from '../../bench/wrk.js';

const REAL_OUTPUT = `Running 3s test @ http://127.0.0.1:4000/simple/flask/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.10ms    9.03ms 199.84ms   97.51%
    Req/Sec     5.53k   512.33     6.31k    83.33%
  Latency Distribution
     50%    5.00ms
     75%    5.57ms
     90%    6.75ms
     99%   43.73ms
  33105 requests in 3.00s, 26.45MB read
Requests/sec:  11023.41
Transfer/sec:      8.81MB
PAVED_BENCH_RESULT {"requests":33105,"duration_us":3003122,"bytes":27734110,"connect":0,"read":0,"write":0,"status":2,"timeout":1,"p50":5003,"p90":6750,"p99":43731,"max":199840}
`;

describe('parseWrkOutput', () => {
  it('reads the exact figures of the done hook, not the rounded text', () => {
    const r = parseWrkOutput(REAL_OUTPUT);
    assert.equal(r.requests, 33105);
    assert.equal(r.p50Us, 5003);
    assert.equal(r.p99Us, 43731);
    assert.equal(r.maxUs, 199840);
    assert.equal(r.bytesRead, 27734110);
    assert.ok(Math.abs(r.requestsPerSecond - 33105 / 3.003122) < 1e-6);
    assert.deepEqual(r.errors, { connect: 0, read: 0, write: 0, status: 2, timeout: 1 });
    assert.equal(errorCount(r), 3);
  });

  const broken: [string, string][] = [
    ['no result line (script not loaded)', REAL_OUTPUT.split('\n').slice(0, -2).join('\n')],
    ['a field missing', 'PAVED_BENCH_RESULT {"requests":1}'],
    ['a field not a number', REAL_OUTPUT.replace('"p99":43731', '"p99":"43ms"')],
    ['not JSON', 'PAVED_BENCH_RESULT {requests:1'],
  ];
  for (const [name, text] of broken) {
    it(`refuses output with ${name}`, () => assert.throws(() => parseWrkOutput(text)));
  }

  it('gives 0 req/s rather than Infinity for a zero-length run', () => {
    const r = parseWrkOutput(REAL_OUTPUT.replace('"duration_us":3003122', '"duration_us":0'));
    assert.equal(r.requestsPerSecond, 0);
  });
});

describe('renderWrkScript', () => {
  it('is only the result hook for a single URL', () => {
    const lua = renderWrkScript(undefined);
    assert.match(lua, /^\s*done = function/);
    assert.doesNotMatch(lua, /request = function/);
  });

  it('rotates over every path, each quoted once', () => {
    const lua = renderWrkScript(['/simple/flask/', '/simple/a-b/']);
    assert.match(lua, /"\/simple\/flask\/",\n {2}"\/simple\/a-b\/",/);
    assert.match(lua, /request = function/);
    assert.match(lua, /done = function/);
  });

  it('escapes quotes and backslashes so a path cannot break out of its string', () => {
    const lua = renderWrkScript(['/a"b\\c/']);
    assert.ok(lua.includes('"/a\\"b\\\\c/"'));
  });

  for (const hostile of ['/a\nb/', '/é/', '/\u0000/']) {
    it(`refuses a path that is not printable ASCII: ${JSON.stringify(hostile)}`, () => assert.throws(() => renderWrkScript([hostile])));
  }
});
