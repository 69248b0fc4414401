import { uuidv7 } from '@latch/core';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/database.js';
import { cases, events, logLeaves, webhookCursor, webhookDeliveries, webhookEndpoints } from '../db/schema.js';
import { FOLLOW_BATCH, LogFollower, type FollowerLog } from '../log/log-follower.js';
import { matchesFilter } from './event-filter.js';

export const WEBHOOK_DELIVER_QUEUE = 'webhook-deliver';

export interface WebhookJob {
  readonly deliveryId: string;
}

/** Enqueues inside the caller's transaction (JobQueue.sendInTransaction). */
export type Enqueue = (tx: Tx, queue: string, data: object) => Promise<unknown>;

export interface WebhookWorkerDeps {
  readonly database: Database;
  readonly enqueue: Enqueue;
  readonly intervalMs: number;
  readonly log: FollowerLog;
}

/**
 * Follows the log (LogFollower) from webhook_cursor. Each batch, in one transaction, writes one
 * delivery per matching (endpoint, case event) with its job, and moves the cursor: a repeated batch
 * writes nothing (a delivery is unique per endpoint and event). No network call happens here:
 * deliveries are jobs of their own.
 */
export class WebhookWorker extends LogFollower {
  constructor(private readonly deps: WebhookWorkerDeps) {
    super('webhooks', deps.database, deps.intervalMs, deps.log);
  }

  /** Endpoints hear of events from now on, never of the past. */
  init(): Promise<void> {
    return this.createCursor('webhook_cursor');
  }

  /** Reads the next batch of logged events past the cursor; returns how many it read. */
  step(): Promise<number> {
    return this.deps.database.write(async (tx) => {
      const [cursor] = await tx.select().from(webhookCursor).where(eq(webhookCursor.id, 1)).for('update', { skipLocked: true });
      if (!cursor) return 0;
      const endpoints = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.enabled, true));
      // No endpoint listens: nothing to deliver, so the cursor moves to the log's end without reading events.
      if (endpoints.length === 0) {
        await tx.execute(sql`update webhook_cursor set position = greatest(position, (select coalesce(max(position), -1) from log_leaves)) where id = 1`);
        return 0;
      }
      const rows = await tx
        .select({ position: logLeaves.position, id: events.id, kind: events.kind, at: events.at, caseType: cases.typeKey, queue: cases.queue })
        .from(logLeaves)
        .innerJoin(events, eq(events.id, logLeaves.eventId))
        .leftJoin(cases, eq(cases.id, events.stream))
        .where(gt(logLeaves.position, cursor.position))
        .orderBy(asc(logLeaves.position))
        .limit(FOLLOW_BATCH);
      const last = rows[rows.length - 1];
      if (!last) return 0;
      for (const row of rows) {
        if (row.caseType === null || row.queue === null) continue; // not a case's event (the system stream, intake)
        for (const endpoint of endpoints) {
          // An endpoint hears of events that happened after it was created, never of the past.
          if (row.at < endpoint.createdAt || !matchesFilter(endpoint, row.kind, row.caseType, row.queue)) continue;
          await addDelivery(tx, endpoint.id, row.id, this.deps.enqueue);
        }
      }
      await tx.update(webhookCursor).set({ position: last.position }).where(and(eq(webhookCursor.id, 1)));
      return rows.length;
    });
  }
}

/** One delivery and its job; an (endpoint, event) pair already written adds nothing. */
async function addDelivery(tx: Tx, endpointId: string, eventId: string, enqueue: Enqueue): Promise<void> {
  const [row] = await tx
    .insert(webhookDeliveries)
    .values({ id: uuidv7(), endpointId, eventId, status: 'pending' })
    .onConflictDoNothing()
    .returning({ id: webhookDeliveries.id });
  if (row) await enqueue(tx, WEBHOOK_DELIVER_QUEUE, { deliveryId: row.id } satisfies WebhookJob);
}
