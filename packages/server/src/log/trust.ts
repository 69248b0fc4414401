import { formatTrustFile } from '@latch/core';
import { sql } from 'drizzle-orm';
import { resultRows, type Queryable } from '../db/database.js';
import { logCheckpoints } from '../db/schema.js';

export interface KeyWindow {
  readonly verifierKey: string;
  /** Size of the first checkpoint the key signed. */
  readonly from: number;
  /** Size of the last checkpoint it signed, once it no longer signs. */
  readonly until?: number;
}

/**
 * Each key's validity window, read from which checkpoints it signed: a key still configured has no
 * end. This is the trust file an auditor keeps (`latch log trust`).
 */
export async function keyWindows(db: Queryable, current: readonly string[]): Promise<KeyWindow[]> {
  const result = await db.execute(
    sql`select k.key as key, min(c.size) as first, max(c.size) as last
        from ${logCheckpoints} c cross join lateral unnest(c.signers) as k(key) group by k.key order by min(c.size)`,
  );
  return resultRows<{ key: string; first: string | number; last: string | number }>(result).map((row) => ({
    verifierKey: row.key,
    from: Number(row.first),
    ...(current.includes(row.key) ? {} : { until: Number(row.last) }),
  }));
}

export async function trustFileText(db: Queryable, current: readonly string[]): Promise<string> {
  const windows = await keyWindows(db, current);
  const known = new Set(windows.map((w) => w.verifierKey));
  // A configured key that has not signed yet is trusted from the next checkpoint on.
  const upcoming = current.filter((key) => !known.has(key)).map((verifierKey) => ({ verifierKey }));
  return formatTrustFile([...windows, ...upcoming]);
}
