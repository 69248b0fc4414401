import { personal } from '@latch/core';
import { eq } from 'drizzle-orm';
import { subjectOf } from '../cases/create-case.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { actionRequests, cases } from '../db/schema.js';
import { scrub, storeExchange } from './exchange-blobs.js';
import type { ExecuteOutcome, PluginRuntime } from './plugin-runtime.js';
import type { StoredResult } from './record-outcome.js';

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Advances the one action a verified webhook event is about, the way a check of a pending action
 * does (record-outcome.ts): only an action of this plugin whose current execution is `pending`
 * (queued for its next check, or being checked) moves; anything else is left alone and the event
 * is only acknowledged. `succeeded` and `failed` are final (`action.succeeded`/`.failed`, followed,
 * naming the event); `pending` is one more step on the timeline. The action row is locked, so a
 * webhook racing a poll records one outcome: whichever commits second finds the action moved on
 * (record-outcome.ts drops a stale outcome). Returns whether the action moved.
 */
export async function advanceFromWebhook(tx: Tx, runtime: PluginRuntime, pluginId: string, eventId: string, requestId: string, outcome: ExecuteOutcome): Promise<boolean> {
  if (!CANONICAL_UUID.test(requestId)) return false;
  const [action] = await tx.select().from(actionRequests).where(eq(actionRequests.id, requestId)).for('update');
  const last = action?.result as Partial<StoredResult> | null | undefined;
  const following = action !== undefined && ['queued', 'running'].includes(action.status) && last?.status === 'pending' && last.execution === action.execution;
  if (!action || action.plugin !== pluginId || !following) return false;
  const [target] = await tx.select().from(cases).where(eq(cases.id, action.caseId));
  const secrets = runtime.secretValues(pluginId);
  const stored = [await storeExchange(tx, outcome.external?.request, secrets), await storeExchange(tx, outcome.external?.response, secrets)];

  const status = outcome.status === 'succeeded' ? 'succeeded' : outcome.status === 'failed' ? 'failed' : action.status;
  // A failure reported by the external system is final: a webhook never schedules another attempt.
  const effect = outcome.status === 'succeeded' ? 'applied' : outcome.status === 'failed' ? (outcome.effect ?? 'none') : 'unknown';
  const summary = scrub(outcome.summary, secrets) + (outcome.status === 'failed' ? ' (will not retry)' : outcome.status === 'pending' ? ' (checking again later)' : '');
  const kind = outcome.status === 'succeeded' ? 'action.succeeded' : outcome.status === 'failed' ? 'action.failed' : 'action.pending';
  await appendEvents(
    tx,
    action.caseId,
    [
      {
        kind,
        actor: { type: 'plugin', id: pluginId },
        outcome: status === 'failed' ? 'failed' : 'ok',
        data: {
          actionId: action.id,
          execution: action.execution,
          attempt: action.attempts,
          summary: personal(summary),
          ...(outcome.output !== undefined ? { output: personal(scrub(JSON.stringify(outcome.output), secrets)) } : {}),
          followed: true,
          webhookEvent: eventId,
          ...(outcome.status === 'failed' ? { retryable: false, effect, willRetry: false, nextAttemptAt: null } : {}),
          request: stored[0] ?? null,
          response: stored[1] ?? null,
        },
        blobs: stored.filter((s): s is string => s !== undefined),
      },
    ],
    { subject: subjectOf(target!) },
  );
  const result: StoredResult = { status: outcome.status, summary, output: outcome.output ?? null, execution: action.execution, effect };
  await tx.update(actionRequests).set({ status, result, updatedAt: new Date(), version: action.version + 1 }).where(eq(actionRequests.id, action.id));
  return true;
}
