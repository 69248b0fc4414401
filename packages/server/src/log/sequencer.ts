import { CompactRange, formatCheckpoint, signNoteWithKeys } from '@latch/core';
import { asc, sql } from 'drizzle-orm';
import pg from 'pg';
import { resultRows, type Database, type Tx } from '../db/database.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { describeError } from '../loggable-error.js';
import { unavailableReason } from '../db/transient-errors.js';
import { logCheckpoints, logLeaves, logNodes, logPending } from '../db/schema.js';
import { frontierAt, latestCheckpoint, logSize } from './log-store.js';
import type { LogKeys } from './signing-keys.js';

/** Session-level lock held by the leader for as long as its connection lives. */
const LEADER_LOCK = 0x4c41_5443_4801n;
/** Transaction-level fence each batch takes, so a stale leader can never append beside a new one. */
const BATCH_LOCK = 0x4c41_5443_4802n;

export interface CheckpointMade {
  readonly size: number;
  readonly note: string;
  /** True when the set of signing keys changed with this checkpoint. */
  readonly keysChanged: boolean;
}

export interface SequencerOptions {
  /** How often the leader integrates committed events. */
  readonly intervalMs: number;
  /** Most events integrated per transaction. */
  readonly batchSize?: number;
  /** PostgreSQL URL, for the leader's own connection; absent for the embedded database. */
  readonly databaseUrl?: string | undefined;
  /** Called after each checkpoint is committed (publishing). */
  readonly onCheckpoint?: (made: CheckpointMade) => Promise<void> | void;
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** What the sequencer keeps between batches: the right edge of the tree and who signed last. */
interface TreeState {
  readonly tree: CompactRange;
  readonly signers: readonly string[];
}

/**
 * The single writer of the global Merkle log. One process at a time is leader (a PostgreSQL
 * advisory lock on its own connection; the embedded database has one process by construction).
 * The leader integrates committed events in batches: each gets the next position, the perfect
 * subtrees it completes are stored, its `log_pending` row is deleted, and the new tree head is
 * signed as a C2SP checkpoint, all in one transaction. Positions never come from a sequence.
 */
export class Sequencer {
  private state: TreeState | undefined;
  private leaderConnection: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private nextLeadershipTry = 0;
  /** Why the last tick failed for want of a database; said once per outage, not every interval. */
  private outage: string | undefined;

  constructor(
    private readonly database: Database,
    readonly keys: LogKeys | undefined,
    private readonly options: SequencerOptions,
  ) {}

  /** Starts the periodic loop (the server). One-shot commands call `drain()` instead. */
  start(): void {
    this.stopped = false;
    const tick = async () => {
      try {
        if (!this.stopped && (await this.isLeader())) {
          await this.drain();
          if (this.outage) this.options.log('info', 'log sequencer: the database answers again');
          this.outage = undefined;
        }
      } catch (error) {
        this.reportFailure(error);
      }
      if (!this.stopped) this.timer = setTimeout(() => (this.ticking = tick()), this.options.intervalMs);
    };
    this.timer = setTimeout(() => (this.ticking = tick()), 0);
  }

  /** True while this process leads (always on the embedded database). */
  get leading(): boolean {
    return !this.options.databaseUrl || this.leaderConnection !== undefined;
  }

  /** A lost database is said once and retried every interval (the lead is re-taken once it answers). */
  private reportFailure(error: unknown): void {
    const reason = unavailableReason(error);
    if (reason === undefined) this.options.log('error', `log sequencer: ${describeError(error)}`);
    else if (this.outage === undefined) this.options.log('warn', `log sequencer: database unavailable (${reason}); retrying every interval`);
    this.outage = reason;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // A tick in flight may be winning the lead: let it finish, then close what it opened.
    await this.ticking;
    await this.running.catch(() => undefined);
    await this.leaderConnection?.end().catch(() => undefined);
    this.leaderConnection = undefined;
  }

  /** Integrates batches until nothing committed is pending. Safe beside another process's leader. */
  drain(): Promise<number> {
    const run = this.running.then(async () => {
      let total = 0;
      for (;;) {
        const integrated = await this.step();
        total += integrated;
        if (integrated < (this.options.batchSize ?? 5000)) return total;
      }
    });
    this.running = run.catch(() => undefined);
    return run;
  }

  /** Leadership: the embedded database's process always leads; on PostgreSQL the lock holder does. */
  private async isLeader(): Promise<boolean> {
    if (!this.options.databaseUrl) return true;
    if (this.leaderConnection) return true;
    // A follower asks again every few intervals, not on every tick: each try is a new connection.
    if (Date.now() < this.nextLeadershipTry) return false;
    this.nextLeadershipTry = Date.now() + 5 * this.options.intervalMs;
    const client = new pg.Client({ connectionString: this.options.databaseUrl, keepAlive: true, connectionTimeoutMillis: 10_000 });
    // Its loss is seen by 'end' below; unheard, the 'error' event would be an uncaught exception.
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [LEADER_LOCK.toString()]);
      if (!rows[0]?.ok) {
        await client.end();
        return false;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    // Losing the connection loses the lock: stop leading until it is won again.
    client.on('end', () => {
      if (this.leaderConnection === client) this.leaderConnection = undefined;
    });
    this.leaderConnection = client;
    this.state = undefined;
    this.options.log('info', 'log sequencer: this process now leads');
    return true;
  }

  /** One batch in one transaction. Returns how many events it integrated. */
  private async step(): Promise<number> {
    let made: CheckpointMade | undefined;
    let next: TreeState | undefined;
    const integrated = await this.database.write(async (tx) => {
      // A deadlocked transaction runs again: nothing from the failed attempt may survive.
      made = undefined;
      next = undefined;
      const fence = await tx.execute<{ ok: boolean }>(sql`select pg_try_advisory_xact_lock(${BATCH_LOCK.toString()}::bigint) as ok`);
      if (!resultRows<{ ok: boolean }>(fence)[0]?.ok) return 0;
      const state = await this.currentState(tx);
      const keysChanged = await this.recordKeyChange(tx, state);
      // UUIDv7 order: the order each process created its events in.
      const batch = await tx.select().from(logPending).orderBy(asc(logPending.eventId)).limit(this.options.batchSize ?? 5000);
      if (batch.length === 0) return 0;
      const tree = new CompactRange(state.tree.size, state.tree.frontier);
      const leaves = [];
      const nodes = [];
      for (const row of batch) {
        leaves.push({ position: tree.size, eventId: row.eventId, hash: row.leaf });
        nodes.push(...tree.append(row.leaf));
      }
      // Rows as one JSON parameter a table (json_to_recordset), as the event store writes events: as
      // multi-row VALUES lists, Drizzle spent ~30 µs a row building the statements of a batch.
      const leafRows = JSON.stringify(leaves.map((l) => ({ position: l.position, event_id: l.eventId, hash: Buffer.from(l.hash).toString('hex') })));
      await tx.execute(
        sql`insert into ${logLeaves} ("position", "event_id", "hash") select position, event_id, decode(hash, 'hex') from json_to_recordset(${leafRows}::json) as r(position bigint, event_id uuid, hash text)`,
      );
      if (nodes.length > 0) {
        const nodeRows = JSON.stringify(nodes.map((n) => ({ level: n.level, index: n.index, hash: Buffer.from(n.hash).toString('hex') })));
        await tx.execute(
          sql`insert into ${logNodes} ("level", "index", "hash") select level, index, decode(hash, 'hex') from json_to_recordset(${nodeRows}::json) as r(level smallint, index bigint, hash text)`,
        );
      }
      await tx.execute(sql`delete from ${logPending} where ${logPending.eventId} = any(${sql.param(batch.map((row) => row.eventId))}::uuid[])`);
      const signers = this.keys?.keys.map((k) => k.verifierKey) ?? [];
      if (this.keys) {
        const note = this.sign(tree.size, tree.root());
        await tx.insert(logCheckpoints).values({ size: tree.size, root: tree.root(), note, signers });
        made = { size: tree.size, note, keysChanged };
      }
      next = { tree, signers: this.keys ? signers : state.signers };
      return batch.length;
    });
    if (next) this.state = next;
    if (made) await this.options.onCheckpoint?.(made);
    return integrated;
  }

  /** The cached right edge, or one read back from storage when another process appended meanwhile. */
  private async currentState(tx: Tx): Promise<TreeState> {
    const size = await logSize(tx);
    if (this.state && this.state.tree.size === size) return this.state;
    const frontier = await frontierAt(tx, size);
    const last = await latestCheckpoint(tx);
    return { tree: new CompactRange(size, frontier), signers: last?.signers ?? [] };
  }

  /**
   * A key added or removed since the last checkpoint is recorded on the system stream as
   * `log.key_rotated`, in the batch that first signs with the new set.
   */
  private async recordKeyChange(tx: Tx, state: TreeState): Promise<boolean> {
    if (!this.keys) return false;
    const now = this.keys.keys.map((k) => k.verifierKey);
    const added = now.filter((k) => !state.signers.includes(k));
    const removed = state.signers.filter((k) => !now.includes(k));
    if (added.length === 0 && removed.length === 0) return false;
    await appendEvents(
      tx,
      SYSTEM_STREAM,
      [{ kind: 'log.key_rotated', actor: { type: 'system', id: 'sequencer' }, data: { origin: this.keys.origin, keys: now, added, removed, treeSize: state.tree.size } }],
      { subject: 'system' },
    );
    return true;
  }

  /** Every configured key signs: two during a rotation's overlap. */
  private sign(size: number, root: Buffer): string {
    return signNoteWithKeys(formatCheckpoint({ origin: this.keys!.origin, size, root }), this.keys!.keys);
  }
}
