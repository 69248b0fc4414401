import { eq } from 'drizzle-orm';
import type { Scheduler } from '../approvals/scheduler.js';
import { subjectOf } from '../cases/create-case.js';
import type { Database } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { actionRequests, cases } from '../db/schema.js';
import { callPlugin, type StartedAttempt } from './call-plugin.js';
import { idempotencyKeyOf, type ExecutionJob, type PluginRuntime } from './plugin-runtime.js';
import { recordOutcome, type StoredResult } from './record-outcome.js';

export { scrub } from './exchange-blobs.js';
export { backoffMs } from './record-outcome.js';

const RUNNABLE = new Set(['approved', 'queued', 'running']);

/**
 * The execution worker. Marks the action running (recording `action.started`) in one transaction,
 * calls the plugin outside any transaction, then records the outcome (record-outcome.ts).
 *
 * Exactly once in effect: every attempt of one execution carries the same idempotency key, and
 * before any attempt but the very first (a retry, a redelivered job after a crash, a new execution
 * after a retry by hand) a plugin that offers `reconcile` is asked whether an earlier one took
 * effect; if so the action succeeds with that result and is not run again. Returns false when the
 * job is stale (edited, cancelled, already done).
 */
export async function runExecution(database: Database, runtime: PluginRuntime, scheduler: Scheduler, job: ExecutionJob): Promise<boolean> {
  const started = await database.write(async (tx): Promise<StartedAttempt | undefined> => {
    const [action] = await tx.select().from(actionRequests).where(eq(actionRequests.id, job.actionId)).for('update');
    if (!action || !RUNNABLE.has(action.status) || action.round !== job.round || action.execution !== job.execution) return undefined;
    // A redelivered job (crash mid-call) keeps its attempt number; a scheduled retry moves on.
    const redelivered = action.status === 'running';
    const attempt = Math.max(job.attempt, redelivered ? action.attempts : 0);
    const [target] = await tx.select().from(cases).where(eq(cases.id, action.caseId));
    const key = idempotencyKeyOf(action.id, action.round, action.execution);
    const last = action.result as Partial<StoredResult> | null;
    const following = last?.status === 'pending' && last.execution === action.execution && runtime.canReconcile(action.plugin, action.action);
    const reconcileFirst = !following && runtime.canReconcile(action.plugin, action.action) && (action.execution > 1 || attempt > 1 || redelivered);
    await appendEvents(
      tx,
      action.caseId,
      [
        {
          kind: 'action.started',
          actor: { type: 'plugin', id: action.plugin },
          data: {
            actionId: action.id,
            plugin: action.plugin,
            action: action.action,
            execution: action.execution,
            attempt,
            idempotencyKey: key,
            payloadHash: action.payloadHash,
            ...(reconcileFirst ? { reconcileFirst: true } : {}),
            ...(following ? { following: true } : {}),
          },
        },
      ],
      { subject: subjectOf(target!) },
    );
    await tx.update(actionRequests).set({ status: 'running', attempts: attempt, updatedAt: new Date() }).where(eq(actionRequests.id, action.id));
    return { action, target: target!, attempt, key, reconcileFirst, following };
  });
  if (!started) return false;
  const { outcome, via } = await callPlugin(runtime, started);
  await database.write((tx) => recordOutcome(tx, runtime, scheduler, job, started, outcome, via));
  return true;
}
