import { eq } from 'drizzle-orm';
import { subjectOf } from '../cases/create-case.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { actionRequests, cases } from '../db/schema.js';
import type { ExpiryJob } from './scheduler.js';

/**
 * The expiry timer's handler. It acts only if the action is still waiting on the same round and
 * step, and that step's deadline has passed; a decision or edit since then makes it a no-op.
 */
export async function expireAction(tx: Tx, job: ExpiryJob, now = new Date()): Promise<boolean> {
  const [action] = await tx.select().from(actionRequests).where(eq(actionRequests.id, job.actionId)).for('update');
  if (!action || action.status !== 'awaiting_approval' || action.round !== job.round || action.currentStep !== job.step) return false;
  if (!action.expiresAt || action.expiresAt.getTime() > now.getTime()) return false;
  const [target] = await tx.select().from(cases).where(eq(cases.id, action.caseId));
  await appendEvents(
    tx,
    action.caseId,
    [{ kind: 'action.expired', actor: { type: 'system', id: 'expiry' }, data: { actionId: action.id, step: action.currentStep, expiresAt: action.expiresAt.toISOString() } }],
    { subject: subjectOf(target!) },
  );
  await tx.update(actionRequests).set({ status: 'expired', version: action.version + 1, updatedAt: now }).where(eq(actionRequests.id, action.id));
  return true;
}
