/**
 * Runs `fn` over `items`, at most `limit` at a time. After a failure no new
 * work starts; work already running finishes (and rolls itself back where it
 * can); the first failure is thrown once everything has settled.
 */
export async function runBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (errors.length === 0 && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.length > 0) throw errors[0];
}

/** A gate for work that arrives over time (see `createLimiter`). */
export interface Limiter {
  /** Runs `fn` once fewer than the limit of the calls started are still running; settles as `fn` does. */
  run<R>(fn: () => Promise<R>): Promise<R>;
  /** Changes the limit; a higher one lets waiting calls start at once. */
  setLimit(limit: number): void;
}

/** A gate letting at most `limit` calls of `run` work at a time. */
export function createLimiter(limit: number): Limiter {
  let running = 0;
  let max = limit;
  const waiting: Array<() => void> = [];
  const startWaiting = (): void => {
    while (running < max && waiting.length > 0) {
      running++;
      waiting.shift()?.();
    }
  };
  return {
    async run<R>(fn: () => Promise<R>): Promise<R> {
      if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
      else running++;
      try {
        return await fn();
      } finally {
        running--;
        startWaiting();
      }
    },
    setLimit(limit: number): void {
      max = limit;
      startWaiting();
    },
  };
}
