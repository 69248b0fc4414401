import type { EventBody } from '@latch/core';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import { unavailableReason } from '../db/transient-errors.js';
import { events, logLeaves, notificationCursor } from '../db/schema.js';
import { describeError } from '../loggable-error.js';
import { queueDigests } from './digests.js';
import type { NotifyConfig } from './notify-config.js';
import { recordNotifications, type Enqueue } from './record-notifications.js';
import { notificationsFor, type RecipientRules } from './recipients.js';
import { slaNotifications } from './sla-check.js';

const BATCH = 200;

export interface WorkerDeps {
  readonly database: Database;
  readonly enqueue: Enqueue;
  readonly rules: RecipientRules;
  readonly config: NotifyConfig;
  /** `type:status` of every final status (no SLA for a closed case). */
  readonly finalStatuses: () => readonly string[];
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * Follows committed events in the global log's order (log_leaves positions: assigned only to
 * committed events, in batches that commit one after another, so a position seen means every
 * earlier one is there) from a cursor kept in the database. Each batch, in one transaction, locks
 * the cursor (another process holding it is already at work), derives the notifications of its
 * events, writes them with their delivery jobs, and moves the cursor: a crash anywhere repeats a
 * batch at worst, and a repeated batch writes nothing (notifications are unique per source,
 * recipient and kind). No network call happens here: deliveries are jobs of their own.
 */
export class NotificationWorker {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastSlaCheck = 0;
  private outage: string | undefined;

  constructor(private readonly deps: WorkerDeps) {}

  /**
   * Creates the cursor at the log's current end: a new deployment (or one upgraded to this
   * version) is not told about its past. Events not yet logged are still ahead of it.
   */
  async init(): Promise<void> {
    await this.deps.database.write((tx) =>
      tx.execute(sql`insert into notification_cursor (id, position) select 1, coalesce(max(position), -1) from log_leaves on conflict (id) do nothing`),
    );
  }

  start(): void {
    this.stopped = false;
    const tick = async () => {
      try {
        while (!this.stopped && (await this.step()) === BATCH);
        if (!this.stopped && Date.now() - this.lastSlaCheck >= this.deps.config.slaCheckMs) {
          this.lastSlaCheck = Date.now();
          await this.checkSla();
          await this.deps.database.write((tx) => queueDigests(tx, new Date(), this.deps.config, this.deps.enqueue));
        }
        this.outage = undefined;
      } catch (error) {
        this.report(error);
      }
      if (!this.stopped) this.timer = setTimeout(() => (this.ticking = tick()), this.deps.config.intervalMs);
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
        .limit(BATCH);
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

  /** A lost database is said once per outage; the loop keeps polling. */
  private report(error: unknown): void {
    const reason = unavailableReason(error);
    if (reason === undefined) this.deps.log('error', `notifications: ${describeError(error)}`);
    else if (this.outage === undefined) this.deps.log('warn', `notifications: database unavailable (${reason}); retrying every interval`);
    this.outage = reason;
  }
}
