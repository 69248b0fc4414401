import { personal } from '@latch/core';
import { eq } from 'drizzle-orm';
import type { Scheduler } from '../approvals/scheduler.js';
import { subjectOf } from '../cases/create-case.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { actionRequests } from '../db/schema.js';
import type { StartedAttempt, Via } from './call-plugin.js';
import { scrub, storeExchange } from './exchange-blobs.js';
import { recordExecution } from '../metrics/metrics.js';
import { scheduleRevokeIfGrant } from '../scheduled-revoke/schedule-revoke.js';
import { ACTION_EXECUTE_QUEUE, type ExecuteOutcome, type ExecutionJob, type PluginRuntime } from './plugin-runtime.js';

/** Checks of a `pending` action before it is given up as unknown (about 2 h with the default backoff). */
export const FOLLOW_LIMIT = 30;

/** The wait before attempt n+1: the first delay, doubling, capped at 5 min. */
export function backoffMs(attempt: number, firstDelayMs = 2_000): number {
  return Math.min(300_000, firstDelayMs * 2 ** (attempt - 1));
}

/** What `action_requests.result` holds after an attempt; `effect` decides whether a retry by hand needs a confirmation. */
export interface StoredResult {
  status: 'succeeded' | 'failed' | 'pending';
  summary: string;
  output: unknown;
  execution: number;
  effect?: 'applied' | 'none' | 'unknown';
}

/**
 * Records an attempt's outcome in one transaction: the event (`action.succeeded`, `.reconciled`
 * when an earlier effect was found instead of acting, `.pending`, `.failed`) with the external
 * request and response stored by SHA-256, the action's new status and result, and the next
 * attempt (a retry, or a check of a pending action) when there is one. A stale outcome (the
 * action moved on) is dropped.
 */
export async function recordOutcome(tx: Tx, runtime: PluginRuntime, scheduler: Scheduler, job: ExecutionJob, started: StartedAttempt, outcome: ExecuteOutcome, via: Via): Promise<void> {
  const { action, target, attempt } = started;
  const [current] = await tx.select().from(actionRequests).where(eq(actionRequests.id, action.id)).for('update');
  if (!current || current.status !== 'running' || current.execution !== action.execution) return;
  recordExecution(action.plugin, outcome.status);
  const secrets = runtime.secretValues(action.plugin);
  const policy = runtime.retryPolicy(action.plugin);
  const stored = [await storeExchange(tx, outcome.external?.request, secrets), await storeExchange(tx, outcome.external?.response, secrets)];

  const failed = outcome.status === 'failed';
  const retryable = failed && outcome.retryable === true;
  const effect = outcome.status === 'succeeded' ? 'applied' : failed ? (outcome.effect ?? (retryable ? 'unknown' : 'none')) : 'unknown';
  const follow = outcome.status === 'pending' && attempt < FOLLOW_LIMIT;
  const retry = retryable && attempt < policy.attempts;
  const nextAt = follow || retry ? new Date(Date.now() + backoffMs(attempt, policy.firstDelayMs)) : undefined;
  const status = outcome.status === 'succeeded' ? 'succeeded' : nextAt ? 'queued' : 'failed';
  const summary = scrub(outcome.summary, secrets) + hostNote(outcome, { retry, retryable, follow, attempt, attempts: policy.attempts });
  const kind = outcome.status === 'succeeded' ? (via === 'reconcile' ? 'action.reconciled' : 'action.succeeded') : outcome.status === 'pending' ? 'action.pending' : 'action.failed';

  await appendEvents(
    tx,
    action.caseId,
    [
      {
        kind,
        actor: { type: 'plugin', id: action.plugin },
        outcome: status === 'failed' ? 'failed' : 'ok',
        data: {
          actionId: action.id,
          execution: action.execution,
          attempt,
          summary: personal(summary),
          // Plugin output is untrusted: kept as text (no float can break canonical JSON), and as personal data.
          ...(outcome.output !== undefined ? { output: personal(scrub(JSON.stringify(outcome.output), secrets)) } : {}),
          ...(via !== 'execute' ? { [via === 'follow' ? 'followed' : 'reconciled']: true } : {}),
          ...(failed ? { retryable, effect, willRetry: retry } : {}),
          ...(nextAt || failed ? { nextAttemptAt: nextAt?.toISOString() ?? null } : {}),
          request: stored[0] ?? null,
          response: stored[1] ?? null,
        },
        blobs: stored.filter((s): s is string => s !== undefined),
      },
    ],
    { subject: subjectOf(target) },
  );
  const result: StoredResult = { status: outcome.status, summary, output: outcome.output ?? null, execution: action.execution, effect };
  await tx.update(actionRequests).set({ status, result, updatedAt: new Date(), version: current.version + 1 }).where(eq(actionRequests.id, action.id));
  if (nextAt) await scheduler.schedule(tx, ACTION_EXECUTE_QUEUE, { ...job, attempt: attempt + 1 } satisfies ExecutionJob, nextAt);
  // A time-bounded grant's end is scheduled with its success, in this transaction.
  if (status === 'succeeded') await scheduleRevokeIfGrant(tx, scheduler, action, target);
}

/** The host's word on what happens next: a plugin's summary can't know whether this was the last attempt. */
function hostNote(outcome: ExecuteOutcome, o: { retry: boolean; retryable: boolean; follow: boolean; attempt: number; attempts: number }): string {
  if (outcome.status === 'pending') return o.follow ? ' (checking again later)' : ` (still pending after ${o.attempt} checks; not checking any more: see the external system, then retry)`;
  if (outcome.status !== 'failed') return '';
  if (o.retry) return ` (attempt ${o.attempt} of ${o.attempts}; will retry)`;
  return o.retryable ? ` (attempt ${o.attempt} of ${o.attempts}; will not retry: a person may retry it)` : ' (will not retry)';
}
