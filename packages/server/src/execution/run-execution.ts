import { canonicalJson, personal, sha256Hex } from '@latch/core';
import { eq } from 'drizzle-orm';
import type { Scheduler } from '../approvals/scheduler.js';
import { subjectOf } from '../cases/create-case.js';
import { putBlob } from '../db/blobs.js';
import type { Database, Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { actionRequests, cases } from '../db/schema.js';
import { ACTION_EXECUTE_QUEUE, idempotencyKeyOf, type ExecuteOutcome, type ExecutionJob, type PluginRuntime } from './plugin-runtime.js';

/** Attempts per execution before a retryable failure becomes final; then a person may retry by hand. */
export const MAX_ATTEMPTS = 5;
const RUNNABLE = new Set(['approved', 'queued', 'running']);

/** Backoff before attempt n+1: 2 s, 4 s, 8 s, 16 s (capped at 5 min). */
export function backoffMs(attempt: number): number {
  return Math.min(300_000, 2 ** attempt * 1000);
}

/**
 * The execution worker. Marks the action running (recording `action.started`) in one transaction,
 * calls the plugin outside any transaction, then records the outcome with the external request and
 * response stored by SHA-256. A crash between the two leaves the action `running`; the job is
 * redelivered and the plugin is called again with the same idempotency key, so the external system
 * acts once. Returns false when the job is stale (edited, cancelled, already done).
 */
export async function runExecution(database: Database, runtime: PluginRuntime, scheduler: Scheduler, job: ExecutionJob): Promise<boolean> {
  const plugin = { type: 'plugin', id: '' } as { type: 'plugin'; id: string };
  const started = await database.write(async (tx) => {
    const [action] = await tx.select().from(actionRequests).where(eq(actionRequests.id, job.actionId)).for('update');
    if (!action || !RUNNABLE.has(action.status) || action.round !== job.round || action.execution !== job.execution) return undefined;
    // A redelivered job (crash mid-call) keeps its attempt number; a scheduled retry moves on.
    const attempt = Math.max(job.attempt, action.status === 'running' ? action.attempts : 0);
    const [target] = await tx.select().from(cases).where(eq(cases.id, action.caseId));
    plugin.id = action.plugin;
    const key = idempotencyKeyOf(action.id, action.round, action.execution);
    await appendEvents(
      tx,
      action.caseId,
      [{ kind: 'action.started', actor: plugin, data: { actionId: action.id, plugin: action.plugin, action: action.action, execution: action.execution, attempt, idempotencyKey: key, payloadHash: action.payloadHash } }],
      { subject: subjectOf(target!) },
    );
    await tx.update(actionRequests).set({ status: 'running', attempts: attempt, updatedAt: new Date() }).where(eq(actionRequests.id, action.id));
    return { action, target: target!, attempt, key };
  });
  if (!started) return false;
  const { action, target, attempt, key } = started;

  const visible = runtime.caseFields(action.plugin) ?? [];
  const fields = Object.fromEntries(Object.entries(target.fields as Record<string, unknown>).filter(([name]) => visible.includes(name)));
  let outcome: ExecuteOutcome;
  try {
    if (!runtime.seesCaseType(action.plugin, target.typeKey)) {
      outcome = { status: 'failed', retryable: false, summary: `Plugin ${action.plugin} may not see cases of type ${target.typeKey} (its manifest's caseTypes)` };
    } else outcome = await runtime.execute(action.plugin, {
      requestId: action.id,
      idempotencyKey: key,
      action: action.action,
      input: action.input,
      case: { id: target.id, type: target.typeKey, typeVersion: target.typeVersion, status: target.status, priority: target.priority, queue: target.queue, fields },
      attempt,
    });
  } catch (error) {
    outcome = { status: 'failed', retryable: true, summary: `Plugin ${action.plugin} did not answer: ${(error as Error).message}` };
  }

  await database.write(async (tx) => {
    const [current] = await tx.select().from(actionRequests).where(eq(actionRequests.id, action.id)).for('update');
    if (!current || current.status !== 'running' || current.execution !== action.execution) return;
    const secrets = runtime.secretValues(action.plugin);
    const stored = [await storeBlob(tx, outcome.external?.request, secrets), await storeBlob(tx, outcome.external?.response, secrets)];
    const retry = outcome.status === 'failed' && outcome.retryable === true && attempt < MAX_ATTEMPTS;
    const status = outcome.status === 'succeeded' ? 'succeeded' : retry ? 'queued' : 'failed';
    const nextAttemptAt = retry ? new Date(Date.now() + backoffMs(attempt)) : undefined;
    await appendEvents(
      tx,
      action.caseId,
      [
        {
          kind: outcome.status === 'succeeded' ? 'action.succeeded' : 'action.failed',
          actor: plugin,
          outcome: outcome.status === 'succeeded' ? 'ok' : 'failed',
          data: {
            actionId: action.id,
            execution: action.execution,
            attempt,
            summary: personal(scrub(outcome.summary, secrets)),
            // Plugin output is untrusted: kept as text (no float can break canonical JSON), and as personal data.
            ...(outcome.output !== undefined ? { output: personal(scrub(JSON.stringify(outcome.output), secrets)) } : {}),
            ...(outcome.status === 'failed' ? { retryable: outcome.retryable === true, willRetry: retry, nextAttemptAt: nextAttemptAt?.toISOString() ?? null } : {}),
            request: stored[0] ?? null,
            response: stored[1] ?? null,
          },
          blobs: stored.filter((s): s is string => s !== undefined),
        },
      ],
      { subject: subjectOf(target) },
    );
    await tx
      .update(actionRequests)
      .set({ status, result: { status: outcome.status, summary: scrub(outcome.summary, secrets), output: outcome.output ?? null }, updatedAt: new Date(), version: current.version + 1 })
      .where(eq(actionRequests.id, action.id));
    if (nextAttemptAt) {
      const next: ExecutionJob = { ...job, attempt: attempt + 1 };
      await scheduler.schedule(tx, ACTION_EXECUTE_QUEUE, next, nextAttemptAt);
    }
  });
  return true;
}

/** Stores an external request or response as a blob; secrets are replaced before hashing. */
async function storeBlob(tx: Tx, value: unknown, secrets: readonly string[]): Promise<string | undefined> {
  if (value === undefined || value === null) return undefined;
  const text = scrub(typeof value === 'string' ? value : safeCanonical(value), secrets);
  const data = Buffer.from(text, 'utf8');
  const sha256 = sha256Hex(data);
  await putBlob(tx, sha256, data);
  return sha256;
}

function safeCanonical(value: unknown): string {
  try {
    return canonicalJson(value);
  } catch {
    return JSON.stringify(value);
  }
}

/** Replaces every secret value in text: plugins should never echo one, and the host makes sure. */
export function scrub(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length >= 4).reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

