import { uuidv7 } from '@latch/core';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/database.js';
import { unavailableReason } from '../db/transient-errors.js';
import { cases, events, logLeaves, webhookCursor, webhookDeliveries, webhookEndpoints } from '../db/schema.js';
import { describeError } from '../loggable-error.js';
import { matchesFilter } from './event-filter.js';

const BATCH = 200;
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
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * Follows committed case events in the global log's order from a cursor in the database, as the
 * notification worker does (notifications/notification-worker.ts): each batch, in one transaction,
 * locks the cursor (another process holding it is already at work), writes one delivery per
 * matching (endpoint, event) with its job, and moves the cursor. A crash repeats a batch at worst,
 * and a repeated batch writes nothing (a delivery is unique per endpoint and event). No network
 * call happens here: deliveries are jobs of their own.
 */
export class WebhookWorker {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private outage: string | undefined;

  constructor(private readonly deps: WebhookWorkerDeps) {}

  /** Creates the cursor at the log's current end: endpoints hear of events from now on, never of the past. */
  async init(): Promise<void> {
    await this.deps.database.write((tx) =>
      tx.execute(sql`insert into webhook_cursor (id, position) select 1, coalesce(max(position), -1) from log_leaves on conflict (id) do nothing`),
    );
  }

  start(): void {
    this.stopped = false;
    const tick = async () => {
      try {
        while (!this.stopped && (await this.step()) === BATCH);
        this.outage = undefined;
      } catch (error) {
        this.report(error);
      }
      if (!this.stopped) this.timer = setTimeout(() => (this.ticking = tick()), this.deps.intervalMs);
    };
    this.timer = setTimeout(() => (this.ticking = tick()), 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
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
        .limit(BATCH);
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

  /** A lost database is said once per outage; the loop keeps polling. */
  private report(error: unknown): void {
    const reason = unavailableReason(error);
    if (reason === undefined) this.deps.log('error', `webhooks: ${describeError(error)}`);
    else if (this.outage === undefined) this.deps.log('warn', `webhooks: database unavailable (${reason}); retrying every interval`);
    this.outage = reason;
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
