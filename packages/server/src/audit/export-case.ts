import { buildBundleFiles, LatchError, type Actor, type BundlePerson, type CaseVisibility, type EventBody, type Json } from '@latch/core';
import { and, asc, eq, inArray, lte } from 'drizzle-orm';
import { zipSync } from 'fflate';
import { loadVisibleCase } from '../cases/case-access.js';
import type { LatchContext } from '../context.js';
import type { Tx } from '../db/database.js';
import { isErasedBlob } from '../db/blobs.js';
import { appendEvents } from '../db/event-store.js';
import { blobs, events, personalData, streamHeads } from '../db/schema.js';
import { subjectOf } from '../cases/create-case.js';
import { peopleNamedIn } from '../cases/name-actors.js';
import { awaitCheckpoint } from '../log/latch-log.js';
import { checkpointOfSize, consistencyProof, inclusionProofs, logSize, positionsOf } from '../log/log-store.js';
import { cosignedCheckpointFor } from '../witness/bundle-checkpoint.js';

export interface RecordedExport {
  readonly caseId: string;
  /** The `case.exported` event: the bundle ends with it. */
  readonly eventId: string;
  readonly seq: number;
  /** The case's head when it was exported. */
  readonly head: { readonly seq: number; readonly hash: string | null };
}

/** Records `case.exported`, carrying the case head, on the case. The bundle is built from it. */
export async function recordExport(tx: Tx, visibility: CaseVisibility, actor: Actor, caseId: string): Promise<RecordedExport> {
  const target = await loadVisibleCase(tx, caseId, visibility, true);
  const [head] = await tx.select().from(streamHeads).where(eq(streamHeads.stream, caseId));
  const at = { seq: head?.seq ?? 0, hash: head?.hash ?? null };
  const [event] = await appendEvents(tx, caseId, [{ kind: 'case.exported', actor, data: { head: at } }], { subject: subjectOf(target) });
  return { caseId, eventId: event!.id, seq: event!.seq, head: at };
}

export interface BundleOptions {
  /** Tree sizes of checkpoints the auditor already holds: the bundle proves consistency with each. */
  readonly since?: readonly number[];
  readonly timeoutMs?: number;
}

/**
 * Builds the evidence bundle (docs/evidence-bundle.md) for an export: the case's events up to and
 * including its `case.exported` event, their inclusion proofs against a signed checkpoint that
 * covers them all, the blobs they refer to, the personal data still held, and consistency proofs
 * from the auditor's earlier checkpoints.
 */
export async function buildCaseBundle(ctx: LatchContext, visibility: CaseVisibility, caseId: string, exportEventId: string, options: BundleOptions = {}): Promise<Buffer> {
  const db = ctx.database.db;
  await loadVisibleCase(db, caseId, visibility);
  const [exported] = await db.select().from(events).where(and(eq(events.id, exportEventId), eq(events.stream, caseId)));
  if (!exported || exported.kind !== 'case.exported') throw new LatchError('NOT_FOUND', 'No such export of this case');

  const { checkpoint: signed } = await awaitCheckpoint(ctx.database, ctx.log, exportEventId, options.timeoutMs);
  // With witnesses configured, the bundle carries a checkpoint they cosigned (docs/evidence-bundle.md, "Witnesses").
  const checkpoint = await cosignedCheckpointFor(ctx.log, signed, options.timeoutMs);
  const rows = await db
    .select({ id: events.id, seq: events.seq, bytes: events.bytes })
    .from(events)
    .where(and(eq(events.stream, caseId), lte(events.seq, exported.seq)))
    .orderBy(asc(events.seq));
  const positions = await positionsOf(db, rows.map((row) => row.id));
  const indices = rows.map((row) => {
    const position = positions.get(row.id);
    // Every earlier event of the case committed before the export did, so it is integrated by now.
    if (position === undefined || position >= checkpoint.size) throw new LatchError('LOG_BEHIND', `Event ${row.seq} of the case is not in a signed checkpoint yet; try again shortly`);
    return position;
  });
  const proofs = await inclusionProofs(db, indices, checkpoint.size);

  const bodies = rows.map((row) => JSON.parse(row.bytes) as EventBody);
  const referenced = [...new Set(bodies.flatMap((body) => body.blobs ?? []))];
  const stored = new Map<string, Buffer>();
  // Blobs the case referred to before its last erasure never leave: a shared blob may still hold
  // bytes for another case, but this case's subject asked for theirs to go. The bundle lists them
  // as erased, and the verifier accepts their absence only because a subject.erased event follows.
  const lastErasure = rows.reduce((last, row, i) => (bodies[i]!.kind === 'subject.erased' ? row.seq : last), 0);
  const firstReference = new Map<string, number>();
  bodies.forEach((body, i) => {
    for (const sha of body.blobs ?? []) if (!firstReference.has(sha)) firstReference.set(sha, rows[i]!.seq);
  });
  const toRead = referenced.filter((sha) => firstReference.get(sha)! > lastErasure);
  for (let i = 0; i < toRead.length; i += 500) {
    for (const blob of await db.select().from(blobs).where(inArray(blobs.sha256, toRead.slice(i, i + 500)))) {
      if (!isErasedBlob(blob)) stored.set(blob.sha256, blob.data);
    }
  }
  const disclosures: Record<string, { salt: string; value: Json }> = {};
  for (const row of await db.select().from(personalData).where(eq(personalData.stream, caseId))) {
    disclosures[row.commitment] = { salt: row.salt, value: JSON.parse(row.value) as Json };
  }

  const files = buildBundleFiles({
    caseId,
    origin: ctx.log.keys!.origin,
    exportedAt: exported.at.toISOString(),
    events: rows.map((row) => ({ seq: row.seq, bytes: row.bytes })),
    proofs: rows.map((row, i) => ({ seq: row.seq, index: indices[i]!, proof: proofs[i]! })),
    checkpoint: checkpoint.note,
    blobs: stored,
    erasedBlobs: referenced.filter((sha) => !stored.has(sha)),
    disclosures,
    consistency: await consistencyWith(ctx, checkpoint.size, options.since ?? []),
    people: await storyPeople(ctx, bodies),
  });
  // Stored, not deflated: the content is mostly hashes (deflate saves ~15%), and the auditor's
  // verifier then reads the files without inflating them.
  return Buffer.from(zipSync(Object.fromEntries([...files].map(([name, data]) => [name, new Uint8Array(data)])), { level: 0 }));
}

/** The display names story.txt uses (never emails); an erased person is listed as erased, without a name. */
async function storyPeople(ctx: LatchContext, bodies: readonly EventBody[]): Promise<Record<string, BundlePerson>> {
  const people: Record<string, BundlePerson> = {};
  for (const [id, person] of await peopleNamedIn(ctx.database.db, bodies, false)) people[id] = person.erased === true ? { erased: true } : { name: person.name };
  return people;
}

/** Consistency proofs between the bundle's checkpoint and each checkpoint the auditor holds. */
async function consistencyWith(ctx: LatchContext, size: number, since: readonly number[]) {
  const db = ctx.database.db;
  const proofs = [];
  for (const other of new Set(since)) {
    if (other === size) continue;
    if (other < 1) throw new LatchError('VALIDATION_FAILED', 'since must be a tree size of at least 1');
    if (other > (await logSize(db))) throw new LatchError('VALIDATION_FAILED', `This log has never been ${other} leaves long: the checkpoint you hold is not from this log, or the log was rolled back`);
    if (other > size && !(await checkpointOfSize(db, other))) throw new LatchError('VALIDATION_FAILED', `No checkpoint of size ${other} was signed by this log`);
    const [oldSize, newSize] = other < size ? [other, size] : [size, other];
    proofs.push({ oldSize, newSize, proof: await consistencyProof(db, oldSize, newSize) });
  }
  return proofs;
}
