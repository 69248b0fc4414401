import type { EventBody } from '@latch/core';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import type { Database } from '../db/database.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { cases, events, logLeaves, webhookDeliveries, webhookEndpoints } from '../db/schema.js';
import { recordWebhookDelivery } from '../metrics/metrics.js';
import { webhookPayload } from './payload.js';
import { postWebhook, type PostResult } from './post-webhook.js';
import type { WebhookConfig } from './webhook-config.js';
import type { WebhookJob } from './webhook-worker.js';

/** A failed attempt the job queue will retry. Its message is the logged code only. */
export class WebhookAttemptFailed extends Error {
  override readonly name = 'WebhookAttemptFailed';
}

export interface WebhookDeliveryDeps {
  readonly database: Database;
  readonly config: WebhookConfig;
}

type DeliveryUpdate = Partial<typeof webhookDeliveries.$inferInsert>;

/**
 * Sends one delivery (the job queue's handler). The POST happens outside any transaction: a
 * response lost after the receiver took the message means the retry sends it again, with the same
 * `webhook-id`, for the receiver to drop. 2xx is delivered; 410 fails it and disables the endpoint;
 * anything else is retried by the queue with backoff until the last attempt, then logged as failed.
 */
export async function runWebhookDelivery(deps: WebhookDeliveryDeps, job: WebhookJob): Promise<void> {
  const { database, config } = deps;
  const [row] = await database.db
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints, bytes: events.bytes, hash: events.hash, caseType: cases.typeKey, queue: cases.queue, position: logLeaves.position })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .innerJoin(cases, eq(cases.id, events.stream))
    .innerJoin(logLeaves, eq(logLeaves.eventId, events.id))
    .where(eq(webhookDeliveries.id, job.deliveryId));
  if (!row || !['pending', 'retrying'].includes(row.delivery.status)) return;
  const { delivery, endpoint } = row;
  if (!endpoint.enabled) {
    recordWebhookDelivery('skipped');
    await settle(database, delivery.id, { status: 'skipped' });
    return;
  }
  const body = webhookPayload({ body: JSON.parse(row.bytes) as EventBody, hash: row.hash, caseType: row.caseType, queue: row.queue, logPosition: row.position });
  const now = new Date();
  const headers = {
    'user-agent': 'Latch-Webhooks/1',
    'webhook-id': delivery.id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(endpoint.secret).sign(delivery.id, now, body),
  };
  const result = await postWebhook(endpoint.url, headers, body, config);
  const attempts = delivery.attempts + 1;
  const seen: DeliveryUpdate = { attempts, lastAttemptAt: now, durationMs: result.ms, ...responseOf(result) };
  if ('status' in result && result.status >= 200 && result.status < 300) {
    recordWebhookDelivery('delivered');
    await settle(database, delivery.id, { ...seen, status: 'delivered', deliveredAt: new Date() });
    return;
  }
  if ('status' in result && result.status === 410) {
    recordWebhookDelivery('gone');
    await disableGone(database, endpoint.id, delivery.id, seen);
    return;
  }
  const code = 'status' in result ? `HTTP_${result.status}` : result.errorCode;
  if (code === 'TARGET_FORBIDDEN' || attempts >= config.maxAttempts) {
    recordWebhookDelivery(code === 'TARGET_FORBIDDEN' ? 'refused' : 'failed');
    await settle(database, delivery.id, { ...seen, status: 'failed', errorCode: code });
    return;
  }
  recordWebhookDelivery('retrying');
  await settle(database, delivery.id, { ...seen, status: 'retrying', errorCode: code });
  throw new WebhookAttemptFailed(code);
}

function responseOf(result: PostResult): DeliveryUpdate {
  return 'status' in result ? { responseStatus: result.status, errorCode: null } : { responseStatus: null, errorCode: result.errorCode };
}

async function settle(database: Database, id: string, set: DeliveryUpdate): Promise<void> {
  await database.write((tx) => tx.update(webhookDeliveries).set(set).where(eq(webhookDeliveries.id, id)));
}

/** The receiver said the endpoint is gone for good: it is disabled, on the record, and sent nothing more. */
async function disableGone(database: Database, endpointId: string, deliveryId: string, seen: DeliveryUpdate): Promise<void> {
  await database.write(async (tx) => {
    await tx.update(webhookDeliveries).set({ ...seen, status: 'failed', errorCode: 'HTTP_410' }).where(eq(webhookDeliveries.id, deliveryId));
    const [changed] = await tx
      .update(webhookEndpoints)
      .set({ enabled: false, disabledReason: 'gone', updatedAt: new Date() })
      .where(eq(webhookEndpoints.id, endpointId))
      .returning({ id: webhookEndpoints.id, enabled: webhookEndpoints.enabled });
    if (changed) {
      await appendEvents(tx, SYSTEM_STREAM, [{ kind: 'webhook.disabled', actor: { type: 'system', id: 'webhooks' }, data: { endpointId, reason: 'gone', deliveryId } }], { subject: 'system' });
    }
  });
}
