import { and, asc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Queryable, Tx } from '../db/database.js';
import { blobs, intakeQuarantine } from '../db/schema.js';

/** A quarantined intake of the subject (held back, released or discarded) whose sender or raw bytes are still held. */
export interface QuarantinedOfSubject {
  readonly id: string;
  readonly rawSha256: string;
  readonly status: string;
}

/**
 * The quarantined intakes a subject sent (`intake_quarantine.subject` is the sender's lower-case
 * email). With `lock`, locked for the erasure's transaction.
 */
export async function quarantinedOf(db: Queryable, subjects: readonly string[], lock: boolean): Promise<QuarantinedOfSubject[]> {
  const emails = subjects.filter((s) => s.includes('@'));
  if (emails.length === 0) return [];
  const query = db
    .select({ id: intakeQuarantine.id, rawSha256: intakeQuarantine.rawSha256, status: intakeQuarantine.status })
    .from(intakeQuarantine)
    .where(and(inArray(intakeQuarantine.subject, emails), isNotNull(intakeQuarantine.subject)))
    .orderBy(asc(intakeQuarantine.id));
  return lock ? query.for('update') : query;
}

/**
 * Forgets the sender of each item and empties its raw bytes (the hash stays, as for any erased
 * blob). Items still held are discarded: there is nothing left to release.
 */
export async function scrubQuarantined(tx: Tx, rows: readonly QuarantinedOfSubject[], decidedBy: string | null, now: Date): Promise<void> {
  if (rows.length === 0) return;
  const ids = rows.map((r) => r.id);
  await tx.update(intakeQuarantine).set({ subject: null }).where(inArray(intakeQuarantine.id, ids));
  await tx
    .update(intakeQuarantine)
    .set({ status: 'discarded', decidedBy, decidedAt: now })
    .where(and(inArray(intakeQuarantine.id, ids), eq(intakeQuarantine.status, 'held')));
  await tx.update(blobs).set({ data: Buffer.alloc(0) }).where(inArray(blobs.sha256, [...new Set(rows.map((r) => r.rawSha256))]));
}
