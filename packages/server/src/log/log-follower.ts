import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import { unavailableReason } from '../db/transient-errors.js';
import { describeError } from '../loggable-error.js';

/** Events a follower reads per step: a full batch means there may be more, read at once. */
export const FOLLOW_BATCH = 200;

export type FollowerLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/**
 * The loop of a worker that follows committed events in the global log's order (log_leaves
 * positions: assigned only to committed events, in batches that commit one after another, so a
 * position seen means every earlier one is there) from a cursor row of its own in the database.
 * A subclass's step, in one transaction, locks its cursor (another process holding it is already
 * at work), does what the batch calls for and moves the cursor: a crash repeats a batch at worst.
 * This loop reads batches until one is short, then waits the interval; a lost database is said
 * once per outage, and the loop keeps polling.
 */
export abstract class LogFollower {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private outage: string | undefined;

  protected constructor(
    /** How log lines start: "notifications", "webhooks". */
    private readonly name: string,
    protected readonly database: Database,
    private readonly intervalMs: number,
    private readonly log: FollowerLog,
  ) {}

  /** Reads the next batch of logged events past the cursor; returns how many it read. */
  abstract step(): Promise<number>;

  /** Work done after the log is read to its end, each interval (none by default). */
  protected async afterReading(): Promise<void> {}

  /**
   * Creates the cursor at the log's current end: a new deployment (or one upgraded to this
   * version) is not told about its past. Events not yet logged are still ahead of it.
   */
  protected async createCursor(table: 'notification_cursor' | 'webhook_cursor'): Promise<void> {
    await this.database.write((tx) =>
      tx.execute(sql.raw(`insert into ${table} (id, position) select 1, coalesce(max(position), -1) from log_leaves on conflict (id) do nothing`)),
    );
  }

  start(): void {
    this.stopped = false;
    const tick = async () => {
      try {
        while (!this.stopped && (await this.step()) === FOLLOW_BATCH);
        if (!this.stopped) await this.afterReading();
        this.outage = undefined;
      } catch (error) {
        this.report(error);
      }
      if (!this.stopped) this.timer = setTimeout(() => (this.ticking = tick()), this.intervalMs);
    };
    this.timer = setTimeout(() => (this.ticking = tick()), 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
  }

  private report(error: unknown): void {
    const reason = unavailableReason(error);
    if (reason === undefined) this.log('error', `${this.name}: ${describeError(error)}`);
    else if (this.outage === undefined) this.log('warn', `${this.name}: database unavailable (${reason}); retrying every interval`);
    this.outage = reason;
  }
}
