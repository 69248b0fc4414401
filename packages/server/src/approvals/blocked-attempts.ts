import { LatchError, personal, type Actor, type ErrorCode, type CaseVisibility, type Json } from '@latch/core';
import { and, eq } from 'drizzle-orm';
import { visibleCases } from '../cases/case-access.js';
import { subjectOf } from '../cases/create-case.js';
import type { Database, Tx } from '../db/database.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { actionRequests, cases } from '../db/schema.js';

export interface Attempt {
  /** What was tried: `action.propose`, `action.decide`, `action.edit`, `action.cancel`. */
  readonly what: string;
  /** The case or action the request named (validated, canonical ids: never a raw path parameter). */
  readonly caseId?: string | undefined;
  readonly actionId?: string | undefined;
  /** Short values the caller sent (plugin, action, decision): recorded bounded, as personal data. */
  readonly details?: Record<string, string | undefined>;
  /** What the caller may see: a refusal is written on a case only if its caller can see that case. */
  readonly visibility: CaseVisibility;
}

/** Errors that say nothing about whether the caller may act: an outage, or a client's own retry. */
const NOT_REFUSALS = new Set<ErrorCode>(['DATABASE_UNAVAILABLE', 'IDEMPOTENCY_KEY_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED', 'INTERNAL']);

/** Longest caller-supplied string kept in a refusal; the rest is cut, so no one can write an essay into the record. */
const MAX_RECORDED_CHARS = 200;

/**
 * Runs a governed command; when it is refused, writes `attempt.blocked` in a transaction of its
 * own, so the refusal is on the record even though the command rolled back.
 */
export async function recordingRefusals<T>(database: Database, actor: Actor, attempt: Attempt, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    if (error instanceof LatchError && !NOT_REFUSALS.has(error.code)) await recordBlocked(database, actor, attempt, error).catch(() => undefined);
    throw error;
  }
}

/**
 * A refusal on a case the caller can see goes on that case's timeline, under the case's subject.
 * A refusal by someone who can't see the case (or naming no existing case) goes on the system
 * stream, filed under the caller: a case's permanent record is written only by those who may read it.
 * Anything the caller typed (and the message, which may quote it) is a personal-data commitment.
 */
async function recordBlocked(database: Database, actor: Actor, attempt: Attempt, error: LatchError): Promise<void> {
  await database.write(async (tx) => {
    const target = await visibleTarget(tx, attempt);
    const data = {
      attempt: attempt.what,
      code: error.code,
      ...(target?.actionId ? { actionId: target.actionId } : {}),
      message: personal(bounded(error.message)),
      ...(attempt.details ? { details: personal(boundedDetails(attempt.details)) } : {}),
    };
    const refused = { kind: 'attempt.blocked', actor, outcome: 'refused' as const };
    if (target) {
      await appendEvents(tx, target.caseId, [{ ...refused, data }], { subject: target.subject });
      return;
    }
    const named = { ...(attempt.caseId ? { caseId: attempt.caseId } : {}), ...(attempt.actionId ? { actionId: attempt.actionId } : {}) };
    await appendEvents(tx, SYSTEM_STREAM, [{ ...refused, data: { ...data, ...named } }], { subject: `user:${actor.user ?? actor.id}` });
  });
}

/** The case (as stored, never as requested) the attempt was about, if it exists and the caller can see it. */
async function visibleTarget(tx: Tx, attempt: Attempt): Promise<{ caseId: string; actionId?: string; subject: string } | undefined> {
  let caseId = attempt.caseId;
  let actionId: string | undefined;
  if (attempt.actionId) {
    const [action] = await tx.select({ id: actionRequests.id, caseId: actionRequests.caseId }).from(actionRequests).where(eq(actionRequests.id, attempt.actionId));
    if (!action) return undefined;
    caseId = action.caseId;
    actionId = action.id;
  }
  if (!caseId) return undefined;
  const [row] = await tx
    .select({ id: cases.id, requesterEmail: cases.requesterEmail })
    .from(cases)
    .where(and(eq(cases.id, caseId), visibleCases(attempt.visibility)));
  if (!row) return undefined;
  return { caseId: row.id, ...(actionId ? { actionId } : {}), subject: subjectOf(row) };
}

function bounded(text: string): string {
  return text.length > MAX_RECORDED_CHARS ? `${text.slice(0, MAX_RECORDED_CHARS)}…` : text;
}

function boundedDetails(details: Record<string, string | undefined>): Json {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(details)) if (typeof value === 'string') out[key] = bounded(value);
  return out;
}
