import type { Database, Tx } from '../db/database.js';

/** One intake's work, run inside a shared transaction; it must act only through `tx` (it may run twice). */
export type IntakeWork<T> = (tx: Tx) => Promise<T>;

/**
 * Work that may also run together with the intakes next to it in a batch that share its `run`: one
 * call for all of them, with multi-row statements (a statement's fixed cost shared), answering one
 * result per item, in order. `work` stays the way to run it alone (a batch of one, or a batch run
 * again one by one after it failed as a whole).
 */
export interface Together<I, T> {
  readonly run: (tx: Tx, items: readonly I[]) => Promise<T[]>;
  readonly item: I;
}

interface Pending {
  readonly work: IntakeWork<unknown>;
  readonly together?: Together<unknown, unknown> | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface Lane {
  waiting: Pending[];
  running: boolean;
}

// A batch is whatever arrived while the one before it committed, up to this many: no timer, no added wait.
const MAX_BATCH = 64;

/**
 * Group commit for intake: intakes that arrive while a transaction is committing wait for the next
 * one, and that one runs them all, in order, and commits once. Each caller's promise settles only
 * after the commit of the transaction its work ran in is durable (Database.write), so an SMTP `250`
 * or an HTTP `2xx` still acknowledges only what is committed. A batch that fails as a whole (one
 * intake's error aborts the transaction) is run again one intake per transaction, so each caller gets
 * its own outcome and no intake is lost for another's fault.
 *
 * Lanes: on PostgreSQL several batches run at once, an intake's lane chosen by its key (an alert's
 * fingerprint, a message's Message-ID), so intakes of one key stay in one lane, in order. Locks taken
 * across lanes in different orders can deadlock; Database.write runs such a transaction again.
 */
export class GroupCommit {
  private readonly lanes: Lane[];

  constructor(
    private readonly database: Pick<Database, 'write'>,
    lanes: number,
  ) {
    this.lanes = Array.from({ length: Math.max(1, lanes) }, () => ({ waiting: [], running: false }));
  }

  /** How many intakes wait for the next commit. */
  get waiting(): number {
    return this.lanes.reduce((sum, lane) => sum + lane.waiting.length, 0);
  }

  /** Runs `work` in the next transaction of the lane `key` falls in; settles after that transaction is committed. */
  run<T, I = never>(key: string, work: IntakeWork<T>, together?: Together<I, T>): Promise<T> {
    const lane = this.lanes[laneOf(key, this.lanes.length)]!;
    return new Promise<T>((resolve, reject) => {
      lane.waiting.push({ work, together: together as Together<unknown, unknown> | undefined, resolve: resolve as (value: unknown) => void, reject });
      if (!lane.running) void this.drain(lane);
    });
  }

  private async drain(lane: Lane): Promise<void> {
    lane.running = true;
    try {
      while (lane.waiting.length > 0) {
        const batch = lane.waiting.splice(0, MAX_BATCH);
        await this.commit(batch);
      }
    } finally {
      lane.running = false;
    }
  }

  private async commit(batch: readonly Pending[]): Promise<void> {
    if (batch.length > 1) {
      let results: unknown[] | undefined;
      try {
        results = await this.database.write(async (tx) => {
          const out: unknown[] = [];
          for (let i = 0; i < batch.length; ) {
            // A run of neighbours that can go together does; anything else runs alone, in order.
            const run = batch[i]!.together?.run;
            let end = i + 1;
            while (run && end < batch.length && batch[end]!.together?.run === run) end++;
            if (run && end - i > 1) {
              const answers = await run(tx, batch.slice(i, end).map((item) => item.together!.item));
              if (answers.length !== end - i) throw new Error('a batched intake answered for a different number of items');
              out.push(...answers);
            } else out.push(await batch[i]!.work(tx));
            i = end;
          }
          return out;
        });
      } catch {
        results = undefined;
      }
      if (results) {
        batch.forEach((item, i) => item.resolve(results[i]));
        return;
      }
    }
    // One at a time: a batch of one, or a batch that failed as a whole (each gets its own outcome).
    for (const item of batch) {
      await this.database.write(item.work).then(item.resolve, item.reject);
    }
  }
}

function laneOf(key: string, lanes: number): number {
  if (lanes === 1) return 0;
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (Math.imul(hash, 31) + key.charCodeAt(i)) | 0;
  return Math.abs(hash) % lanes;
}

const perDatabase = new WeakMap<object, GroupCommit>();

/**
 * The deployment's group commit for intake (one per open database), one lane on PGlite (one
 * connection) and on PostgreSQL alike: with batches written in shared statements, one lane's larger
 * batches cost less CPU per intake, in Latch and in PostgreSQL, than four lanes' smaller ones
 * (bench/intake-alerts: 1.4 ms per alert against 2.1 ms), and the machine's cores are what runs out.
 */
export function intakeCommits(database: Database): GroupCommit {
  let commits = perDatabase.get(database);
  if (!commits) {
    commits = new GroupCommit(database, 1);
    perDatabase.set(database, commits);
  }
  return commits;
}
