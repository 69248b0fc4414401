import type { Tx } from '../db/database.js';

export const APPROVAL_EXPIRY_QUEUE = 'approval-expiry';

/** Durable timers, enqueued inside the transaction that makes them due (pg-boss behind it). */
export interface Scheduler {
  /** With a `singletonKey` (on a queue with the `short` policy), a timer already waiting under that key is not added again. */
  schedule(tx: Tx, queue: string, data: object, startAfter: Date, options?: { readonly singletonKey?: string }): Promise<void>;
}

export interface ExpiryJob {
  readonly actionId: string;
  readonly round: number;
  readonly step: number;
}
