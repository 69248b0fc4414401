import { findAction, grantDurationMs, uuidv7, type CaseTypeDefinition, type EventBody } from '@latch/core';
import { and, eq } from 'drizzle-orm';
import type { Scheduler } from '../approvals/scheduler.js';
import type { CaseRow } from '../cases/case-access.js';
import { subjectOf } from '../cases/create-case.js';
import type { Queryable, Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { caseTypes, events, type actionRequests } from '../db/schema.js';

export const SCHEDULED_REVOKE_QUEUE = 'scheduled-revoke';
export const REVOKE_SCHEDULED = 'access.revoke_scheduled';
/** The actor of everything the revoke does: no person starts it, the clock does. */
export const REVOKE_ACTOR = { type: 'system', id: 'scheduled-revoke' } as const;

export interface RevokeJob {
  readonly caseId: string;
  readonly grantActionId: string;
  readonly revokeActionId: string;
  readonly revokeAt: string;
}

/** The revokes scheduled on a case so far, from its `access.revoke_scheduled` events. */
export async function scheduledRevokes(db: Queryable, caseId: string): Promise<RevokeJob[]> {
  const rows = await db.select({ bytes: events.bytes }).from(events).where(and(eq(events.stream, caseId), eq(events.kind, REVOKE_SCHEDULED)));
  return rows.map((row) => ({ caseId, ...((JSON.parse(row.bytes) as EventBody).data as { grantActionId: string; revokeActionId: string; revokeAt: string }) }));
}

/**
 * Called in the transaction that records an action's success. When the action is a time-bounded
 * grant (its definition has `revokeAfter`), records `access.revoke_scheduled {grantActionId,
 * revokeActionId, revokeAt}` and enqueues the revoke's job for `revokeAt`, both in that
 * transaction: the grant's success and its end are committed together or not at all. The revoke
 * action's id is chosen now, so the job creates exactly that action however often it runs.
 */
export async function scheduleRevokeIfGrant(tx: Tx, scheduler: Scheduler, action: typeof actionRequests.$inferSelect, target: CaseRow): Promise<void> {
  const [type] = await tx.select({ definition: caseTypes.definition }).from(caseTypes).where(and(eq(caseTypes.key, target.typeKey), eq(caseTypes.version, action.caseTypeVersion)));
  const revoke = type ? findAction(type.definition as CaseTypeDefinition, action.plugin, action.action)?.revokeAfter : undefined;
  if (!revoke) return;
  const already = await scheduledRevokes(tx, target.id);
  // A revoke is an action of the same plugin action as its grant: it must not schedule a revoke of its own.
  if (already.some((r) => r.grantActionId === action.id || r.revokeActionId === action.id)) return;
  // The type caps the duration; an input without one (impossible past the proposal check) is revoked at once.
  const revokeAt = new Date(Date.now() + (grantDurationMs(revoke, action.input) ?? 0));
  const job: RevokeJob = { caseId: target.id, grantActionId: action.id, revokeActionId: uuidv7(), revokeAt: revokeAt.toISOString() };
  await appendEvents(
    tx,
    target.id,
    [{ kind: REVOKE_SCHEDULED, actor: REVOKE_ACTOR, data: { grantActionId: job.grantActionId, revokeActionId: job.revokeActionId, revokeAt: job.revokeAt, name: revoke.name, plugin: action.plugin, action: revoke.action } }],
    { subject: subjectOf(target) },
  );
  await scheduler.schedule(tx, SCHEDULED_REVOKE_QUEUE, job, revokeAt);
}
