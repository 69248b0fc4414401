import type { Tx } from '../db/database.js';

export const APPROVAL_EXPIRY_QUEUE = 'approval-expiry';

/** Durable timers, enqueued inside the transaction that makes them due (pg-boss behind it). */
export interface Scheduler {
  /** With a `singletonKey` (on a queue with the `short` policy), a timer already waiting under that key is not added again. */
  schedule(tx: Tx, queue: string, data: object, startAfter: Date, options?: { readonly singletonKey?: string }): Promise<void>;
  /** Timers of one queue in one statement, each as schedule() would add it (intake's batches: intake/collected-timers.ts). */
  scheduleMany(tx: Tx, queue: string, timers: readonly Timer[]): Promise<void>;
}

/** One timer of scheduleMany: what schedule() takes after the queue. */
export interface Timer {
  readonly data: object;
  readonly startAfter: Date;
  readonly singletonKey?: string | undefined;
}

export interface ExpiryJob {
  readonly actionId: string;
  readonly round: number;
  readonly step: number;
}
