import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSingleFlight } from '../../../src/index/mirror/singleFlight.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('createSingleFlight', () => {
  it('runs concurrent calls with one key once and gives every caller the result', async () => {
    const flight = createSingleFlight<string, number>();
    const gate = deferred<number>();
    let runs = 0;
    const work = (): Promise<number> => {
      runs++;
      return gate.promise;
    };
    const callers = Array.from({ length: 20 }, () => flight('flask-3.1.3-py3-none-any.whl', work));
    gate.resolve(42);
    assert.deepEqual(await Promise.all(callers), Array(20).fill(42));
    assert.equal(runs, 1);
  });

  it('keeps different keys apart', async () => {
    const flight = createSingleFlight<string, string>();
    const seen: string[] = [];
    const results = await Promise.all(
      ['a', 'b', 'a', 'c', 'b'].map((key) =>
        flight(key, async () => {
          seen.push(key);
          return key.toUpperCase();
        }),
      ),
    );
    assert.deepEqual(results, ['A', 'B', 'A', 'C', 'B']);
    assert.deepEqual(seen.sort(), ['a', 'b', 'c']);
  });

  it('shares a failure with the callers in flight, then runs again for a later call', async () => {
    const flight = createSingleFlight<string, string>();
    const gate = deferred<string>();
    let runs = 0;
    const first = flight('k', () => {
      runs++;
      return gate.promise;
    });
    const second = flight('k', () => {
      runs++;
      return Promise.resolve('not run');
    });
    gate.reject(new Error('upstream down'));
    await assert.rejects(first, /upstream down/);
    await assert.rejects(second, /upstream down/);
    assert.equal(runs, 1);
    assert.equal(
      await flight('k', async () => {
        runs++;
        return 'recovered';
      }),
      'recovered',
    );
    assert.equal(runs, 2);
  });

  it('runs again after a success (it is not a cache)', async () => {
    const flight = createSingleFlight<number, number>();
    let runs = 0;
    const work = async (): Promise<number> => ++runs;
    assert.equal(await flight(1, work), 1);
    assert.equal(await flight(1, work), 2);
  });

  it('treats a synchronous throw as a rejection and does not stay stuck on the key', async () => {
    const flight = createSingleFlight<string, number>();
    await assert.rejects(
      flight('k', () => {
        throw new Error('sync');
      }),
      /sync/,
    );
    assert.equal(await flight('k', async () => 7), 7);
  });

  it('lets a caller that arrives while the first settles share or rerun, never hang', async () => {
    const flight = createSingleFlight<string, number>();
    let runs = 0;
    const work = async (): Promise<number> => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return runs;
    };
    const first = flight('k', work);
    const late = first.then(() => flight('k', work));
    assert.equal(await first, 1);
    assert.equal(await late, 2);
  });
});
