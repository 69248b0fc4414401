import {
  collectCommitments,
  leafHash,
  revealPersonalData,
  sealEvents,
  type EventBody,
  type EventDraft,
  type Json,
  type SealedEvent,
  type StreamHead,
} from '@latch/core';
import { asc, eq, inArray, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Queryable, Tx } from './database.js';
import { events, logPending, personalData, streamHeads } from './schema.js';

/** The stream that holds events not about one case: users, roles, tokens. */
export const SYSTEM_STREAM = '00000000-0000-7000-8000-000000000000';

/** The NOTIFY channel on which every append announces `{stream, seq, kind}` after it commits. */
export const LIVE_CHANNEL = 'latch_events';

export interface AppendOptions {
  /** The person the personal data in these events is about (a requester's email); erasure is by subject. */
  readonly subject: string;
  /** True when the stream is new in this transaction (a case being created): no head to lock. */
  readonly newStream?: boolean;
  /** The stream's head as the caller already locked it (FOR UPDATE) in this transaction: not locked again. */
  readonly head?: StreamHead;
  /**
   * Data-modifying statements to run in the same round trip: the insert of the case itself, or
   * rows that refer to the sealed events (a decision and its event id).
   */
  readonly alongside?: SQLWrapper | ((sealed: readonly SealedEvent[]) => SQLWrapper[]);
}

/**
 * Appends events to a stream inside the caller's transaction: locks the stream head, seals each
 * draft onto the chain, stores bytes verbatim, keeps personal data beside the commitments, and
 * queues the events for the global log's sequencer. The
 * inserts go to the database as one statement, so an append costs one or two round trips.
 *
 * The lock order, everywhere: a case's row (FOR UPDATE, loadVisibleCase(..., true)) before its
 * stream head, several cases or heads in ascending id, the system stream last. A command that
 * appends to a case and also inserts a row referring to the case (a note, an attachment, an action)
 * must lock the case row first: the foreign key check would lock it after the head, against an
 * update that holds the row and waits for the head. Deadlocks left over are retried by Database.write.
 */
export async function appendEvents(tx: Tx, stream: string, drafts: readonly EventDraft[], options: AppendOptions): Promise<SealedEvent[]> {
  const head = options.newStream ? { stream, seq: 0, hash: null } : (options.head ?? (await lockHead(tx, stream)));
  const sealed = sealEvents(drafts, head);
  const last = sealed[sealed.length - 1];
  if (!last) return [];
  const statements: SQLWrapper[] = [];
  if (typeof options.alongside === 'function') statements.push(...options.alongside(sealed));
  else if (options.alongside) statements.push(options.alongside);
  statements.push(...storeSealed(sealed.map((event) => ({ stream, subject: options.subject, event }))));
  statements.push(
    options.newStream
      ? tx.insert(streamHeads).values({ stream, seq: last.seq, hash: last.hash })
      : tx.update(streamHeads).set({ seq: last.seq, hash: last.hash }).where(eq(streamHeads.stream, stream)),
  );
  // getSQL(): an embedded builder would be wrapped in parentheses, which a data-modifying CTE can't be.
  const ctes = statements.map((statement, i) => sql`${sql.raw(`s${i}`)} as (${statement.getSQL()})`);
  // The live hint (live/case-notifier.ts): NOTIFY is delivered at commit, and never for a rollback.
  const hint = JSON.stringify({ stream, seq: last.seq, kind: last.kind });
  await tx.execute(sql`with ${sql.join(ctes, sql`, `)} select pg_notify(${LIVE_CHANNEL}, ${hint})`);
  return sealed;
}

/** Events already sealed onto a stream's head, as the caller locked it (FOR UPDATE) in this transaction. */
export interface SealedAppend {
  readonly stream: string;
  readonly sealed: readonly SealedEvent[];
  /** The person the personal data in these events is about (see AppendOptions.subject). */
  readonly subject: string;
}

/**
 * appendEvents for many streams at once (intake's group commit: a batch of alerts following their
 * cases): events the caller sealed onto heads it locked, stored with their log entries and personal
 * data, each stream's head moved to its last event, and `alongside` rows, in one statement. A stream
 * may appear in several appends, in chain order. Writes what appendEvents would, one live hint per stream.
 */
export async function writeSealed(tx: Tx, appends: readonly SealedAppend[], alongside: readonly SQLWrapper[] = []): Promise<void> {
  const all = appends.flatMap((a) => a.sealed.map((e) => ({ stream: a.stream, subject: a.subject, event: e })));
  if (all.length === 0) return;
  const last = new Map<string, SealedEvent>();
  for (const { stream, event } of all) last.set(stream, event);
  const statements: SQLWrapper[] = [...alongside, ...storeSealed(all)];
  const heads = JSON.stringify([...last].map(([stream, e]) => ({ stream, seq: e.seq, hash: e.hash })));
  statements.push(sql`update ${streamHeads} set "seq" = v.seq, "hash" = v.hash from json_to_recordset(${heads}::json) as v(stream uuid, seq integer, hash text) where ${streamHeads.stream} = v.stream`);
  const ctes = statements.map((statement, i) => sql`${sql.raw(`s${i}`)} as (${statement.getSQL()})`);
  const hints = [...last].map(([stream, e]) => sql`pg_notify(${LIVE_CHANNEL}, ${JSON.stringify({ stream, seq: e.seq, kind: e.kind })})`);
  await tx.execute(sql`with ${sql.join(ctes, sql`, `)} select ${sql.join(hints, sql`, `)}`);
}

/** A sealed event to store, with its stream and the subject of its personal data. */
interface ToStore {
  readonly stream: string;
  readonly subject: string;
  readonly event: SealedEvent;
}

/**
 * The statements that store sealed events, queue them for the log sequencer (only committed events
 * are ever logged) and keep their personal data beside the commitments. Each reads its rows from one
 * JSON parameter (json_to_recordset): Drizzle builds a multi-row VALUES list at about 30 µs a row,
 * which was a quarter of an alert's CPU in intake; a JSON.stringify costs next to nothing.
 */
function storeSealed(all: readonly ToStore[]): SQL[] {
  const rows = JSON.stringify(all.map(({ stream, event: e }) => ({ id: e.id, stream, seq: e.seq, kind: e.kind, at: e.at, hash: e.hash, bytes: e.bytes })));
  const leaves = JSON.stringify(all.map(({ event: e }) => ({ id: e.id, leaf: leafHash(Buffer.from(e.bytes, 'utf8')).toString('hex') })));
  const statements = [
    sql`insert into ${events} ("id", "stream", "seq", "kind", "at", "hash", "bytes") select id, stream, seq, kind, at, hash, bytes from json_to_recordset(${rows}::json) as r(id uuid, stream uuid, seq integer, kind text, at timestamptz, hash text, bytes text)`,
    sql`insert into ${logPending} ("event_id", "leaf") select id, decode(leaf, 'hex') from json_to_recordset(${leaves}::json) as r(id uuid, leaf text)`,
  ];
  const disclosures = all.flatMap(({ stream, subject, event }) => event.disclosures.map((d) => ({ commitment: d.commitment, stream, subject, salt: d.salt, value: JSON.stringify(d.value) })));
  if (disclosures.length > 0) {
    statements.push(
      sql`insert into ${personalData} ("commitment", "stream", "subject", "salt", "value") select commitment, stream, subject, salt, value from json_to_recordset(${JSON.stringify(disclosures)}::json) as r(commitment text, stream uuid, subject text, salt text, value text)`,
    );
  }
  return statements;
}

async function lockHead(tx: Tx, stream: string): Promise<StreamHead> {
  const lock = () => tx.select().from(streamHeads).where(eq(streamHeads.stream, stream)).for('update');
  let [row] = await lock();
  if (!row) {
    // First event of a stream that was not created with one (the system stream).
    await tx.insert(streamHeads).values({ stream, seq: 0, hash: null }).onConflictDoNothing();
    [row] = await lock();
  }
  if (!row) throw new Error(`stream head ${stream} vanished`);
  return { stream, seq: row.seq, hash: row.hash };
}

/** A timeline event as the API presents it: the hashed body with personal data revealed. */
export interface PresentedEvent {
  readonly id: string;
  readonly seq: number;
  readonly kind: string;
  readonly at: string;
  readonly actor: EventBody['actor'];
  readonly outcome: EventBody['outcome'];
  readonly reason?: string;
  readonly data: Json;
  readonly blobs?: string[];
  readonly hash: string;
  readonly prevHash: string | null;
  readonly bytes?: string;
}

/** Reads a stream's events in order, revealing the personal data that has not been erased. */
export async function readStream(
  db: Queryable,
  stream: string,
  options: { afterSeq?: number; limit?: number; includeBytes?: boolean } = {},
): Promise<PresentedEvent[]> {
  const rows = await db
    .select()
    .from(events)
    .where(sql`${events.stream} = ${stream} and ${events.seq} > ${options.afterSeq ?? 0}`)
    .orderBy(asc(events.seq))
    .limit(options.limit ?? 1000);
  const bodies = rows.map((row) => JSON.parse(row.bytes) as EventBody);
  const commitments = bodies.flatMap((body) => collectCommitments(body.data));
  const disclosed = new Map<string, Json>();
  if (commitments.length > 0) {
    const found = await db.select().from(personalData).where(inArray(personalData.commitment, commitments));
    for (const row of found) disclosed.set(row.commitment, JSON.parse(row.value) as Json);
  }
  return rows.map((row, i) => {
    const body = bodies[i]!;
    return {
      id: row.id,
      seq: row.seq,
      kind: row.kind,
      at: body.at,
      actor: body.actor,
      outcome: body.outcome,
      ...(body.reason !== undefined ? { reason: body.reason } : {}),
      data: revealPersonalData(body.data, disclosed),
      ...(body.blobs ? { blobs: body.blobs } : {}),
      hash: row.hash,
      prevHash: body.prev,
      ...(options.includeBytes ? { bytes: row.bytes } : {}),
    };
  });
}
