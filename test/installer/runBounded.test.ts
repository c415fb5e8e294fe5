import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLimiter, runBounded } from '../../src/installer/runBounded.js';

/** A task that stays running until `finish` is called, recording how many ran at once. */
function gate() {
  let running = 0;
  let peak = 0;
  const open: Array<() => void> = [];
  const task = async (): Promise<void> => {
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((resolve) => open.push(resolve));
    running--;
  };
  return { task, open, peak: () => peak, running: () => running };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('runBounded', () => {
  it('runs at most limit at a time and throws the first failure after the rest settle', async () => {
    let running = 0;
    let peak = 0;
    const finished: number[] = [];
    await assert.rejects(
      runBounded([1, 2, 3, 4, 5], 2, async (n) => {
        running++;
        peak = Math.max(peak, running);
        await tick();
        running--;
        if (n === 2) throw new Error('two');
        finished.push(n);
      }),
      /two/,
    );
    assert.equal(peak, 2);
    assert.equal(running, 0);
    assert.ok(!finished.includes(5), 'nothing new starts after a failure');
  });
});

describe('createLimiter', () => {
  it('holds calls beyond the limit until one ends, in arrival order', async () => {
    const limiter = createLimiter(2);
    const g = gate();
    const order: number[] = [];
    const calls = [1, 2, 3, 4].map((n) => limiter.run(async () => {
      order.push(n);
      await g.task();
      return n * 10;
    }));
    await tick();
    assert.deepEqual(order, [1, 2]);
    g.open.shift()?.();
    await tick();
    await tick();
    assert.deepEqual(order, [1, 2, 3]);
    // Let the rest end one by one.
    for (let i = 0; i < 3; i++) {
      g.open.shift()?.();
      await tick();
      await tick();
    }
    assert.deepEqual(order, [1, 2, 3, 4]);
    assert.deepEqual(await Promise.all(calls), [10, 20, 30, 40]);
    assert.equal(g.peak(), 2);
  });

  it('lets waiting calls start at once when the limit is raised, and passes failures through', async () => {
    const limiter = createLimiter(1);
    const g = gate();
    const calls = [1, 2, 3].map(() => limiter.run(g.task));
    await tick();
    assert.equal(g.running(), 1);
    limiter.setLimit(3);
    await tick();
    assert.equal(g.running(), 3);
    for (const open of g.open.splice(0)) open();
    await Promise.all(calls);
    await assert.rejects(limiter.run(async () => Promise.reject(new Error('boom'))), /boom/);
    // A failure frees its slot.
    assert.equal(await limiter.run(async () => 'after'), 'after');
  });
});
