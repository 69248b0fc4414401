import { LatchError, NotFoundError, type Actor } from '@latch/core';
import { and, desc, eq, lt } from 'drizzle-orm';
import type { Queryable, Tx } from '../db/database.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { events, webhookDeliveries, webhookEndpoints } from '../db/schema.js';
import { endpointDisabled } from './manage-endpoints.js';
import { WEBHOOK_DELIVER_QUEUE, type Enqueue, type WebhookJob } from './webhook-worker.js';

type DeliveryRow = typeof webhookDeliveries.$inferSelect;

/** A delivery as the log shows it: outcome and timings, no payload, no secret, no receiver text. */
export function presentDelivery(row: DeliveryRow & { eventKind: string }) {
  return {
    id: row.id,
    endpointId: row.endpointId,
    eventId: row.eventId,
    eventKind: row.eventKind,
    status: row.status,
    attempts: row.attempts,
    replays: row.replays,
    responseStatus: row.responseStatus,
    errorCode: row.errorCode,
    durationMs: row.durationMs,
    createdAt: row.createdAt.toISOString(),
    lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
  };
}

/** One endpoint's deliveries, newest first (cursor: `before` = the last id of the previous page). */
export async function listWebhookDeliveries(db: Queryable, endpointId: string, options: { before?: string | undefined; limit: number; status?: string | undefined }) {
  const rows = await db
    .select({ d: webhookDeliveries, eventKind: events.kind })
    .from(webhookDeliveries)
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        options.before ? lt(webhookDeliveries.id, options.before) : undefined,
        options.status ? eq(webhookDeliveries.status, options.status) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  return {
    items: page.map(({ d, eventKind }) => presentDelivery({ ...d, eventKind })),
    next: rows.length > options.limit ? (page[page.length - 1]?.d.id ?? null) : null,
  };
}

/**
 * Sends a finished delivery (delivered, failed or skipped) again: the same message (same `webhook-id`, same payload), with a
 * fresh round of attempts, on the record. One still being attempted is refused (two jobs would
 * race for it), and so is one whose endpoint is disabled.
 */
export async function replayDelivery(tx: Tx, id: string, actor: Actor, enqueue: Enqueue) {
  const [row] = await tx
    .select({ d: webhookDeliveries, enabled: webhookEndpoints.enabled, eventKind: events.kind })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(eq(webhookDeliveries.id, id))
    .for('update', { of: webhookDeliveries });
  if (!row) throw new NotFoundError('Webhook delivery');
  if (!row.enabled) throw endpointDisabled();
  if (row.d.status === 'pending' || row.d.status === 'retrying') {
    throw new LatchError('INVALID_TRANSITION', 'The delivery is still being attempted; replay it once it has been delivered or has failed', { status: row.d.status });
  }
  const [updated] = await tx
    .update(webhookDeliveries)
    .set({ status: 'pending', attempts: 0, replays: row.d.replays + 1, responseStatus: null, errorCode: null, durationMs: null, deliveredAt: null })
    .where(eq(webhookDeliveries.id, id))
    .returning();
  await enqueue(tx, WEBHOOK_DELIVER_QUEUE, { deliveryId: id } satisfies WebhookJob);
  await appendEvents(
    tx,
    SYSTEM_STREAM,
    [{ kind: 'webhook.delivery_replayed', actor, data: { deliveryId: id, endpointId: row.d.endpointId, eventId: row.d.eventId, previousStatus: row.d.status } }],
    { subject: 'system' },
  );
  return presentDelivery({ ...updated!, eventKind: row.eventKind });
}
