/**
 * Calls made in the same turn of the event loop share one `load` of all their keys, run once every
 * caller that is ready has asked (setImmediate): DataLoader's batching, with no cache. Concurrent
 * jobs that each read one row make one query, and each caller's read still starts after its call,
 * so it sees everything committed before it asked. A key `load` leaves out resolves to undefined; a
 * failed load rejects every caller of its batch.
 */
export function batchedByTurn<K, V>(load: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>): (key: K) => Promise<V | undefined> {
  let pending: { readonly keys: Set<K>; readonly loaded: Promise<ReadonlyMap<K, V>> } | undefined;
  return (key) => {
    if (!pending) {
      const keys = new Set<K>();
      const loaded = new Promise<ReadonlyMap<K, V>>((resolve, reject) =>
        setImmediate(() => {
          pending = undefined;
          load([...keys]).then(resolve, reject);
        }),
      );
      pending = { keys, loaded };
    }
    pending.keys.add(key);
    return pending.loaded.then((values) => values.get(key));
  };
}

/** batchedByTurn for one value: callers in the same turn share one `load`. */
export function sharedByTurn<T>(load: () => Promise<T>): () => Promise<T> {
  const batched = batchedByTurn<true, T>(async () => new Map([[true, await load()]]));
  return async () => (await batched(true)) as T;
}
