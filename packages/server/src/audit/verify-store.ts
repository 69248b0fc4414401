import { verifyChain, type ChainReport } from '@latch/core';
import { asc, eq, sql } from 'drizzle-orm';
import { resultRows, type Queryable } from '../db/database.js';
import { events, streamHeads } from '../db/schema.js';

export interface StoreReport {
  readonly ok: boolean;
  readonly streams: number;
  readonly events: number;
  readonly broken: ChainReport[];
}

/**
 * Recomputes the hash chain of each stream from the stored bytes, checking it against the
 * recorded head. Streams found in the event table with no head (forged) are checked too.
 */
export async function verifyStore(db: Queryable, only?: readonly string[]): Promise<StoreReport> {
  const heads = new Map<string, { seq: number; hash: string | null }>();
  for (const head of await db.select().from(streamHeads)) heads.set(head.stream, { seq: head.seq, hash: head.hash });
  let streams = only ? [...only] : [...heads.keys()];
  if (!only) {
    const orphans = await db.execute<{ stream: string }>(
      sql`select distinct e.stream from ${events} e left join ${streamHeads} h on h.stream = e.stream where h.stream is null`,
    );
    streams = [...streams, ...resultRows<{ stream: string }>(orphans).map((r) => r.stream)];
  }
  const broken: ChainReport[] = [];
  let total = 0;
  for (const stream of streams) {
    const rows = await db.select().from(events).where(eq(events.stream, stream)).orderBy(asc(events.seq));
    const head = heads.get(stream) ?? { seq: 0, hash: null };
    const report = verifyChain(stream, rows, head);
    total += report.eventsChecked;
    if (!report.ok) broken.push(report);
  }
  return { ok: broken.length === 0, streams: streams.length, events: total, broken };
}
