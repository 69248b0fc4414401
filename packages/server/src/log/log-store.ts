import {
  consistencyProofRanges,
  hashOfSubtrees,
  inclusionProofRanges,
  perfectSubtrees,
  type NodeRef,
} from '@latch/core';
import { desc, inArray, lte, sql } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { logCheckpoints, logLeaves, logNodes } from '../db/schema.js';

/** Reads the stored tree: sizes, checkpoints, subtree hashes and the proofs built from them. */

export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Buffer;
  readonly note: string;
  readonly signers: readonly string[];
  readonly createdAt: Date;
}

/** Number of leaves integrated so far. */
export async function logSize(db: Queryable): Promise<number> {
  const [row] = await db.select({ last: sql<string | null>`max(${logLeaves.position})` }).from(logLeaves);
  return row?.last == null ? 0 : Number(row.last) + 1;
}

/** The newest signed checkpoint, or the newest one of at most `maxSize` leaves. */
export async function latestCheckpoint(db: Queryable, maxSize?: number): Promise<StoredCheckpoint | undefined> {
  const query = db.select().from(logCheckpoints);
  const [row] = await (maxSize === undefined ? query : query.where(lte(logCheckpoints.size, maxSize))).orderBy(desc(logCheckpoints.size)).limit(1);
  return row;
}

export async function checkpointOfSize(db: Queryable, size: number): Promise<StoredCheckpoint | undefined> {
  const [row] = await db.select().from(logCheckpoints).where(sql`${logCheckpoints.size} = ${size}`);
  return row;
}

const refKey = (ref: NodeRef) => `${ref.level}/${ref.index}`;

/** Hashes of the given perfect subtrees, in one round trip per table. Missing ones are absent from the map. */
export async function subtreeHashes(db: Queryable, refs: readonly NodeRef[]): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  const leaves = [...new Set(refs.filter((r) => r.level === 0).map((r) => r.index))];
  const nodes = refs.filter((r) => r.level > 0);
  for (let i = 0; i < leaves.length; i += 10_000) {
    const chunk = leaves.slice(i, i + 10_000);
    for (const row of await db.select({ position: logLeaves.position, hash: logLeaves.hash }).from(logLeaves).where(inArray(logLeaves.position, chunk))) {
      found.set(`0/${row.position}`, row.hash);
    }
  }
  for (let i = 0; i < nodes.length; i += 10_000) {
    const chunk = nodes.slice(i, i + 10_000);
    const levels = `{${chunk.map((r) => r.level).join(',')}}`;
    const indexes = `{${chunk.map((r) => r.index).join(',')}}`;
    const rows = await db
      .select()
      .from(logNodes)
      .where(sql`(${logNodes.level}, ${logNodes.index}) in (select * from unnest(${levels}::smallint[], ${indexes}::bigint[]))`);
    for (const row of rows) found.set(`${row.level}/${row.index}`, row.hash);
  }
  return found;
}

/** Thrown when the stored tree lacks a node it should have: the log tables were tampered with. */
export class MissingNodeError extends Error {}

function storedHash(hashes: ReadonlyMap<string, Buffer>, ref: NodeRef): Buffer {
  const hash = hashes.get(refKey(ref));
  if (!hash) throw new MissingNodeError(`the log has no node ${refKey(ref)}: its tables were changed outside Latch`);
  return hash;
}

/** Builds proofs made of leaf ranges (inclusion, consistency) from the stored subtree hashes. */
async function proofsFromRanges(db: Queryable, proofs: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): Promise<Buffer[][]> {
  const decomposed = proofs.map((ranges) => ranges.map(([lo, hi]) => perfectSubtrees(lo, hi)));
  const hashes = await subtreeHashes(db, decomposed.flat(2));
  return decomposed.map((ranges) => ranges.map((refs) => hashOfSubtrees(refs.map((ref) => storedHash(hashes, ref)))));
}

/** Inclusion proofs for several leaves in the tree of `size` leaves, read together. */
export async function inclusionProofs(db: Queryable, indices: readonly number[], size: number): Promise<Buffer[][]> {
  return proofsFromRanges(db, indices.map((index) => inclusionProofRanges(index, size)));
}

export async function consistencyProof(db: Queryable, size1: number, size2: number): Promise<Buffer[]> {
  const [proof] = await proofsFromRanges(db, [consistencyProofRanges(size1, size2)]);
  return proof!;
}

/** The right edge of the stored tree of `size` leaves: the hashes a CompactRange resumes from. */
export async function frontierAt(db: Queryable, size: number): Promise<Buffer[]> {
  const refs = perfectSubtrees(0, size);
  const hashes = await subtreeHashes(db, refs);
  return refs.map((ref) => storedHash(hashes, ref));
}

/** Log positions of events (absent: not integrated yet). */
export async function positionsOf(db: Queryable, eventIds: readonly string[]): Promise<Map<string, number>> {
  const positions = new Map<string, number>();
  for (let i = 0; i < eventIds.length; i += 10_000) {
    const chunk = eventIds.slice(i, i + 10_000);
    for (const row of await db.select({ eventId: logLeaves.eventId, position: logLeaves.position }).from(logLeaves).where(inArray(logLeaves.eventId, chunk))) {
      positions.set(row.eventId, row.position);
    }
  }
  return positions;
}
