import { LatchError, type Actor, type CaseVisibility } from '@latch/core';
import { eq } from 'drizzle-orm';
import { loadVisibleAction, type ActionRow } from '../approvals/action-access.js';
import type { Scheduler } from '../approvals/scheduler.js';
import { subjectOf } from '../cases/create-case.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { actionRequests } from '../db/schema.js';
import { queueExecution } from './queue-execution.js';
import type { StoredResult } from './record-outcome.js';

export interface RetryRequest {
  readonly reason?: string | undefined;
  /** The person checked the external system and the last attempt did not take effect (needed when the plugin can't reconcile). */
  readonly confirmUnknownOutcome?: boolean | undefined;
}

/**
 * A person retries a failed action by hand: a new execution (with its own idempotency key) of the
 * same approved payload, recorded as `action.retried`. The approval still stands: the payload is
 * the one that was approved.
 *
 * Exactly once in effect: a plugin that offers `reconcile` is asked first whether an earlier
 * execution took effect (run-execution.ts). Without it, an action whose last attempt may have acted
 * (`effect: unknown`: no answer, a lost response, a crash during the call) is refused with
 * EXECUTION_OUTCOME_UNKNOWN unless the person confirms they checked the external system, with a
 * reason; the confirmation is on the record.
 */
export async function retryExecution(
  tx: Tx,
  scheduler: Scheduler,
  visibility: CaseVisibility,
  actor: Actor,
  actionId: string,
  request: RetryRequest,
  canReconcile: (plugin: string, action: string) => boolean,
): Promise<ActionRow> {
  const { action, case: target } = await loadVisibleAction(tx, actionId, visibility, true);
  if (action.status !== 'failed') throw new LatchError('ACTION_NOT_PENDING', `Only a failed action can be retried; this one is ${action.status}`, { status: action.status });
  const reconcile = canReconcile(action.plugin, action.action);
  // Rows written before outcomes carried an effect count as unknown: the safe reading.
  const effect = (action.result as Partial<StoredResult> | null)?.effect ?? 'unknown';
  const confirmed = request.confirmUnknownOutcome === true;
  if (effect === 'unknown' && !reconcile) {
    if (!confirmed) {
      throw new LatchError(
        'EXECUTION_OUTCOME_UNKNOWN',
        `The last attempt may have taken effect in ${action.plugin} (no answer came back), and the plugin cannot check: look in the external system first, then retry with {"confirmUnknownOutcome": true, "reason": "..."}`,
        { plugin: action.plugin, action: action.action, effect },
      );
    }
    if (!request.reason) throw new LatchError('VALIDATION_FAILED', 'Say what you checked: confirmUnknownOutcome needs a reason', { field: 'reason' });
  }
  const data = {
    actionId,
    execution: action.execution + 1,
    previousEffect: effect,
    ...(reconcile ? { reconcileFirst: true } : {}),
    ...(confirmed && effect === 'unknown' && !reconcile ? { confirmedUnknownOutcome: true } : {}),
  };
  await appendEvents(tx, action.caseId, [{ kind: 'action.retried', actor, data, ...(request.reason ? { reason: request.reason } : {}) }], { subject: subjectOf(target) });
  // `queued`, not `approved`: an action that has run may no longer be edited or cancelled.
  await tx.update(actionRequests).set({ status: 'queued', version: action.version + 1, updatedAt: new Date() }).where(eq(actionRequests.id, actionId));
  await queueExecution(tx, scheduler, action);
  const [updated] = await tx.select().from(actionRequests).where(eq(actionRequests.id, actionId));
  return updated!;
}
