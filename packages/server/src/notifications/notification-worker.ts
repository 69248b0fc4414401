import type { EventBody } from '@latch/core';
import { and, asc, eq, gt } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import { events, logLeaves, notificationCursor } from '../db/schema.js';
import { FOLLOW_BATCH, LogFollower, type FollowerLog } from '../log/log-follower.js';
import { queueDigests } from './digests.js';
import type { NotifyConfig } from './notify-config.js';
import { recordNotifications, type Enqueue } from './record-notifications.js';
import { notificationsFor, type RecipientRules } from './recipients.js';
import { slaNotifications } from './sla-check.js';

export interface WorkerDeps {
  readonly database: Database;
  readonly enqueue: Enqueue;
  readonly rules: RecipientRules;
  readonly config: NotifyConfig;
  /** `type:status` of every final status (no SLA for a closed case). */
  readonly finalStatuses: () => readonly string[];
  readonly log: FollowerLog;
}

/**
 * Follows the log (LogFollower) from notification_cursor. Each batch, in one transaction, derives
 * the notifications of its events, writes them with their delivery jobs, and moves the cursor: a
 * repeated batch writes nothing (notifications are unique per source, recipient and kind). After
 * reading, every SLA check interval, it looks for SLAs at risk and queues digests. No network call
 * happens here: deliveries are jobs of their own.
 */
export class NotificationWorker extends LogFollower {
  private lastSlaCheck = 0;

  constructor(private readonly deps: WorkerDeps) {
    super('notifications', deps.database, deps.config.intervalMs, deps.log);
  }

  init(): Promise<void> {
    return this.createCursor('notification_cursor');
  }

  protected override async afterReading(): Promise<void> {
    if (Date.now() - this.lastSlaCheck < this.deps.config.slaCheckMs) return;
    this.lastSlaCheck = Date.now();
    await this.checkSla();
    await this.deps.database.write((tx) => queueDigests(tx, new Date(), this.deps.config, this.deps.enqueue));
  }

  /** Reads the next batch of logged events past the cursor; returns how many it read. */
  step(): Promise<number> {
    const { database, rules, config, enqueue } = this.deps;
    return database.write(async (tx) => {
      const [cursor] = await tx.select().from(notificationCursor).where(eq(notificationCursor.id, 1)).for('update', { skipLocked: true });
      if (!cursor) return 0;
      const rows = await tx
        .select({ position: logLeaves.position, id: events.id, stream: events.stream, kind: events.kind, bytes: events.bytes })
        .from(logLeaves)
        .innerJoin(events, eq(events.id, logLeaves.eventId))
        .where(gt(logLeaves.position, cursor.position))
        .orderBy(asc(logLeaves.position))
        .limit(FOLLOW_BATCH);
      const last = rows[rows.length - 1];
      if (!last) return 0;
      for (const row of rows) {
        const drafts = await notificationsFor(tx, { id: row.id, stream: row.stream, kind: row.kind, body: JSON.parse(row.bytes) as EventBody }, rules);
        await recordNotifications(tx, drafts, config, enqueue);
      }
      await tx.update(notificationCursor).set({ position: last.position }).where(and(eq(notificationCursor.id, 1)));
      return rows.length;
    });
  }

  /** SLA at risk or breached, for open cases' assignees: one notification per case, due time and state. */
  async checkSla(): Promise<number> {
    const { database, rules, config, enqueue } = this.deps;
    return database.write(async (tx) => recordNotifications(tx, await slaNotifications(tx, this.deps.finalStatuses(), rules), config, enqueue));
  }
}
