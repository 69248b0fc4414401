import { describeRequirements, findAction, revokeInput, type Json } from '@latch/core';
import { eq } from 'drizzle-orm';
import type { Scheduler } from '../approvals/scheduler.js';
import { recordedInput, payloadOf } from '../approvals/payload.js';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import { subjectOf } from '../cases/create-case.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { actionRequests, cases } from '../db/schema.js';
import { queueExecution } from '../execution/queue-execution.js';
import { REVOKE_ACTOR, SCHEDULED_REVOKE_QUEUE, type RevokeJob } from './schedule-revoke.js';

/**
 * The revoke's timer. Creates the revoke action (the id chosen when the grant succeeded), approved
 * with no one to ask (undoing access needs no approval), and queues its execution in the same
 * transaction: from there the ordinary execution worker runs it through the plugin, with its stable
 * idempotency key, retries with backoff, and the outcome on the record. Under the case row's lock,
 * an action that already exists means this job ran before: it does nothing (at-least-once delivery,
 * exactly one revoke). A job that runs early (a clock ahead) waits again.
 */
export async function runScheduledRevoke(tx: Tx, registry: CaseTypeRegistry, scheduler: Scheduler, job: RevokeJob): Promise<'created' | 'exists' | 'early'> {
  const [target] = await tx.select().from(cases).where(eq(cases.id, job.caseId)).for('update');
  const [existing] = await tx.select({ id: actionRequests.id }).from(actionRequests).where(eq(actionRequests.id, job.revokeActionId));
  if (!target || existing) return 'exists';
  if (Date.now() < Date.parse(job.revokeAt)) {
    await scheduler.schedule(tx, SCHEDULED_REVOKE_QUEUE, job, new Date(job.revokeAt));
    return 'early';
  }
  const [grant] = await tx.select().from(actionRequests).where(eq(actionRequests.id, job.grantActionId));
  if (!grant) throw new Error(`scheduled revoke ${job.revokeActionId}: grant ${job.grantActionId} not found`);
  const definition = findAction(registry.get(target.typeKey, grant.caseTypeVersion).definition, grant.plugin, grant.action);
  if (!definition?.revokeAfter) throw new Error(`scheduled revoke ${job.revokeActionId}: ${grant.plugin}.${grant.action} declares no revokeAfter`);
  const input = revokeInput(definition.revokeAfter, grant.input, grant.id) as Record<string, Json>;
  const action = definition.revokeAfter.action;
  const payload = payloadOf(target.id, grant.plugin, action, input);
  const now = new Date();
  await appendEvents(
    tx,
    target.id,
    [
      {
        kind: 'action.proposed',
        actor: REVOKE_ACTOR,
        data: {
          actionId: job.revokeActionId,
          plugin: grant.plugin,
          action,
          input: recordedInput(input, definition.input),
          payloadHash: payload.hash,
          policy: null,
          requirements: [],
          summary: describeRequirements([]),
          status: 'approved',
          revokes: grant.id,
          name: definition.revokeAfter.name,
        },
      },
      { kind: 'action.approved', actor: { type: 'system', id: 'policy' }, data: { actionId: job.revokeActionId, payloadHash: payload.hash, automatic: true } },
    ],
    {
      subject: subjectOf(target),
      alongside: tx.insert(actionRequests).values({
        id: job.revokeActionId,
        caseId: target.id,
        plugin: grant.plugin,
        action,
        input,
        inputCanonical: payload.canonical,
        payloadHash: payload.hash,
        status: 'approved',
        // Accountable for the revoke is whoever asked for the grant; the actor on the record is the system.
        proposedBy: grant.proposedBy,
        policyKey: null,
        policyVersion: null,
        caseTypeVersion: grant.caseTypeVersion,
        steps: [],
        currentStep: 0,
        round: 1,
        expiresAt: null,
        version: 1,
        createdAt: now,
        updatedAt: now,
      }),
    },
  );
  await queueExecution(tx, scheduler, { id: job.revokeActionId, round: 1, execution: 0 });
  return 'created';
}
