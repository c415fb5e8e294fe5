/**
 * Collapses concurrent work on one key into a single execution: when twenty pip processes ask for
 * the same uncached wheel at once, the upstream sees one download. Only in-flight work is shared;
 * the entry is dropped as soon as it settles, so this is not a cache and a failure is retried by
 * the next caller rather than remembered.
 */

/** Runs `work` for `key` unless a run for the same key is already in flight, whose result it shares. */
export type SingleFlight<K, V> = (key: K, work: () => Promise<V>) => Promise<V>;

/** A fresh single-flight group; keys compare with `Map` semantics (SameValueZero). */
export function createSingleFlight<K, V>(): SingleFlight<K, V> {
  const inFlight = new Map<K, Promise<V>>();
  return (key, work) => {
    const running = inFlight.get(key);
    if (running !== undefined) return running;
    let promise: Promise<V>;
    try {
      promise = work();
    } catch (error) {
      // A synchronous throw behaves like a rejection, and nothing stays registered.
      return Promise.reject(error);
    }
    const settled = promise.finally(() => {
      if (inFlight.get(key) === settled) inFlight.delete(key);
    });
    inFlight.set(key, settled);
    return settled;
  };
}
