import type { Scheduler, Timer } from '../approvals/scheduler.js';
import type { Tx } from '../db/database.js';

/**
 * The scheduler of one batch of intakes: timers (a triage ask, context asks) are kept until flush(),
 * which adds each queue's in one statement (scheduleMany) in the batch's transaction, before it
 * commits, so they exist iff the batch does; one statement for the batch instead of one per case.
 */
export class CollectedTimers implements Scheduler {
  readonly #byQueue = new Map<string, Timer[]>();

  constructor(private readonly scheduler: Scheduler) {}

  schedule(_tx: Tx, queue: string, data: object, startAfter: Date, options?: { readonly singletonKey?: string }): Promise<void> {
    return this.scheduleMany(_tx, queue, [{ data, startAfter, singletonKey: options?.singletonKey }]);
  }

  scheduleMany(_tx: Tx, queue: string, timers: readonly Timer[]): Promise<void> {
    const kept = this.#byQueue.get(queue) ?? [];
    kept.push(...timers);
    this.#byQueue.set(queue, kept);
    return Promise.resolve();
  }

  /** Adds the timers kept so far, in `tx`: call it before the batch's transaction ends. */
  async flush(tx: Tx): Promise<void> {
    const queues = [...this.#byQueue];
    this.#byQueue.clear();
    for (const [queue, timers] of queues) await this.scheduler.scheduleMany(tx, queue, timers);
  }
}
