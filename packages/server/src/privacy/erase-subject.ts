import { ForbiddenError, LatchError, uuidv7, ValidationError, type Actor } from '@latch/core';
import { inArray } from 'drizzle-orm';
import { IN_FLIGHT } from '../approvals/propose-action.js';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { Queryable, Tx } from '../db/database.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { personalData } from '../db/schema.js';
import { normaliseSubject, planErasure, type ErasurePlan } from './erasure-plan.js';
import { eraseBlobs, scrubActions, scrubCases, scrubStoredResponses, scrubUser } from './scrub-read-models.js';
import { scrubQuarantined } from './scrub-quarantine.js';

export interface ErasureRequest {
  /** An email (a requester or a user), or `case:<id>` for a case with no requester email. */
  readonly subject: string;
  /** Why, e.g. a ticket reference. Recorded in the clear in the audit trail, so it must not name the subject. */
  readonly reason?: string | undefined;
}

/** What an erasure destroyed, or (dry run) would destroy. Never names the subject. */
export interface ErasureReport {
  readonly dryRun: boolean;
  /** Shared by the `subject.erased` events of one erasure; null for a dry run. */
  readonly erasureId: string | null;
  /** Disclosures (salt and value behind a commitment) deleted: these values become `{erased: true}`. */
  readonly values: number;
  readonly cases: readonly string[];
  readonly blobs: { readonly erased: number; readonly kept: number };
  /** The user account with the subject's email, disabled and anonymised. */
  readonly userId: string | null;
  readonly storedResponses: number;
  /** Quarantined intakes the subject sent: sender forgotten, raw bytes emptied, held ones discarded. */
  readonly quarantined: number;
  /** Actions still pending or running on the subject's cases: the erasure is refused until they are finished or cancelled. */
  readonly blockedBy: readonly { readonly actionId: string; readonly caseId: string; readonly status: string }[];
}

/** What erasing the subject would destroy, without changing anything. */
export async function previewErasure(db: Queryable, request: ErasureRequest, actor: Actor): Promise<ErasureReport> {
  return reportOf(await checkedPlan(db, request, actor, false), null);
}

/**
 * Erases a subject's personal data in one transaction: deletes the disclosures behind their
 * commitments (every event, hash and proof stays intact), scrubs the read models' copies, empties
 * the blobs only their cases refer to, and records `subject.erased` on each case and on the system
 * stream, with counts only. Unknown (or already erased) subjects are SUBJECT_NOT_FOUND.
 */
export async function eraseSubject(tx: Tx, registry: CaseTypeRegistry, request: ErasureRequest, actor: Actor): Promise<ErasureReport> {
  const plan = await checkedPlan(tx, request, actor, true);
  const report = reportOf(plan, uuidv7());
  if (report.blockedBy.length > 0) {
    throw new LatchError('ERASURE_BLOCKED', `${report.blockedBy.length} action(s) on the subject's cases are still pending or running: cancel them or let them finish first`, {
      actions: report.blockedBy,
    });
  }
  const now = new Date();
  await tx.delete(personalData).where(inArray(personalData.subject, [...plan.subjects]));
  await scrubCases(tx, registry, plan.cases, now);
  await scrubActions(tx, registry, plan.actions, plan.cases, now);
  await eraseBlobs(tx, [...plan.blobsToErase.keys()]);
  await scrubStoredResponses(tx, plan.subjects, report.cases);
  if (plan.user) await scrubUser(tx, plan.user, now);
  await scrubQuarantined(tx, plan.quarantined, actorUserId(actor), now);

  const reason = request.reason ? { reason: request.reason } : {};
  const erasureId = report.erasureId!;
  for (const { id } of plan.cases) {
    const blobs = [...plan.blobsToErase.values()].filter((streams) => streams.includes(id)).length;
    const data = { erasureId, values: plan.valuesByStream.get(id) ?? 0, blobs };
    await appendEvents(tx, id, [{ kind: 'subject.erased', actor, data, ...reason }], { subject: `case:${id}` });
  }
  const data = { erasureId, cases: report.cases.length, values: report.values, blobs: report.blobs, userId: report.userId, storedResponses: report.storedResponses, ...(report.quarantined > 0 ? { quarantined: report.quarantined } : {}) };
  await appendEvents(tx, SYSTEM_STREAM, [{ kind: 'subject.erased', actor, data, ...reason }], { subject: `erasure:${erasureId}` });
  return report;
}

async function checkedPlan(db: Queryable, request: ErasureRequest, actor: Actor, lock: boolean): Promise<ErasurePlan> {
  const subject = normaliseSubject(request.subject);
  if (subject === '') throw new ValidationError('subject must not be blank', { field: 'subject' });
  if (request.reason !== undefined && request.reason.toLowerCase().includes(subject.toLowerCase())) {
    throw new ValidationError('The reason is kept in the audit trail for good: it must not contain the subject', { field: 'reason' });
  }
  const plan = await planErasure(db, subject, lock);
  if (plan.valuesByStream.size === 0 && plan.cases.length === 0 && !plan.user && plan.quarantined.length === 0) {
    throw new LatchError('SUBJECT_NOT_FOUND', 'No personal data is held for this subject: it is unknown, or was already erased');
  }
  const asker = actorUserId(actor);
  if (plan.user && plan.user.id === asker) throw new ForbiddenError('You cannot erase your own account');
  return plan;
}

function reportOf(plan: ErasurePlan, erasureId: string | null): ErasureReport {
  return {
    dryRun: erasureId === null,
    erasureId,
    values: [...plan.valuesByStream.values()].reduce((sum, n) => sum + n, 0),
    cases: plan.cases.map((c) => c.id),
    blobs: { erased: plan.blobsToErase.size, kept: plan.blobsKept.length },
    userId: plan.user?.id ?? null,
    storedResponses: plan.storedResponses,
    quarantined: plan.quarantined.length,
    blockedBy: plan.actions.filter((a) => IN_FLIGHT.includes(a.status)).map((a) => ({ actionId: a.id, caseId: a.caseId, status: a.status })),
  };
}

function actorUserId(actor: Actor): string | null {
  return (actor.type === 'token' ? actor.user : actor.type === 'user' ? actor.id : undefined) ?? null;
}
