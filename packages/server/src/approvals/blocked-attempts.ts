import { LatchError, type Actor } from '@latch/core';
import { eq } from 'drizzle-orm';
import { subjectOf } from '../cases/create-case.js';
import type { Database } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { actionRequests, cases } from '../db/schema.js';

export interface Attempt {
  /** What was tried: `action.propose`, `action.decide`, `action.edit`, `action.cancel`. */
  readonly what: string;
  readonly caseId?: string | undefined;
  readonly actionId?: string | undefined;
  readonly details?: Record<string, unknown>;
}

/**
 * Runs a governed command; when it is refused, writes `attempt.blocked` on the case in a
 * transaction of its own, so the refusal is on the record even though the command rolled back.
 */
export async function recordingRefusals<T>(database: Database, actor: Actor, attempt: Attempt, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    if (error instanceof LatchError) await recordBlocked(database, actor, attempt, error).catch(() => undefined);
    throw error;
  }
}

async function recordBlocked(database: Database, actor: Actor, attempt: Attempt, error: LatchError): Promise<void> {
  await database.write(async (tx) => {
    let caseId = attempt.caseId;
    if (!caseId && attempt.actionId) {
      const [action] = await tx.select({ caseId: actionRequests.caseId }).from(actionRequests).where(eq(actionRequests.id, attempt.actionId));
      caseId = action?.caseId;
    }
    if (!caseId) return;
    const [target] = await tx.select({ id: cases.id, requesterEmail: cases.requesterEmail }).from(cases).where(eq(cases.id, caseId));
    if (!target) return;
    await appendEvents(
      tx,
      caseId,
      [
        {
          kind: 'attempt.blocked',
          actor,
          outcome: 'refused',
          reason: error.message,
          data: { attempt: attempt.what, code: error.code, ...(attempt.actionId ? { actionId: attempt.actionId } : {}), ...(attempt.details ?? {}) },
        },
      ],
      { subject: subjectOf(target) },
    );
  });
}
