import { LatchError, type Actor, type CaseVisibility } from '@latch/core';
import { eq } from 'drizzle-orm';
import { loadVisibleAction, type ActionRow } from '../approvals/action-access.js';
import type { Scheduler } from '../approvals/scheduler.js';
import { subjectOf } from '../cases/create-case.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { actionRequests } from '../db/schema.js';
import { queueExecution } from './queue-execution.js';

/**
 * A person retries a failed action by hand: a new execution (with its own idempotency key) of the
 * same approved payload, recorded as `action.retried`. The approval still stands: the payload is
 * the one that was approved.
 */
export async function retryExecution(tx: Tx, scheduler: Scheduler, visibility: CaseVisibility, actor: Actor, actionId: string, reason: string | undefined): Promise<ActionRow> {
  const { action, case: target } = await loadVisibleAction(tx, actionId, visibility, true);
  if (action.status !== 'failed') throw new LatchError('ACTION_NOT_PENDING', `Only a failed action can be retried; this one is ${action.status}`, { status: action.status });
  await appendEvents(tx, action.caseId, [{ kind: 'action.retried', actor, data: { actionId, execution: action.execution + 1 }, ...(reason ? { reason } : {}) }], {
    subject: subjectOf(target),
  });
  await tx.update(actionRequests).set({ status: 'approved', version: action.version + 1, updatedAt: new Date() }).where(eq(actionRequests.id, actionId));
  await queueExecution(tx, scheduler, action);
  const [updated] = await tx.select().from(actionRequests).where(eq(actionRequests.id, actionId));
  return updated!;
}
