import type { Db } from './database.js';

/**
 * A query built once per database and prepared server-side, for the statements every request runs
 * (authentication): building SQL through Drizzle on each call is a large share of request CPU.
 */
export function preparedPerDatabase<T>(build: (db: Db) => T): (db: Db) => T {
  const cache = new WeakMap<Db, T>();
  return (db) => {
    let prepared = cache.get(db);
    if (!prepared) cache.set(db, (prepared = build(db)));
    return prepared;
  };
}
