import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import PgBoss from 'pg-boss';
import type { Database, Queryable, Tx } from '../db/database.js';
import { batchedByTurn } from '../batch-by-turn.js';
import { unavailableReason } from '../db/transient-errors.js';
import { describeError, loggableError } from '../loggable-error.js';
import { recordJob } from '../metrics/metrics.js';

// Durable jobs on the application's own database, through pg-boss 10, on PostgreSQL and on
// embedded PGlite alike. pg-boss never opens connections of its own: every statement goes
// through the `Database` (its pool, or its single PGlite connection) by pg-boss's `db` adapter.
//
// pg-boss provides the storage, the SQL (fetch with FOR UPDATE SKIP LOCKED, retries, backoff,
// singleton policies, expiry, archiving) and the schema migrations. Fetching and running jobs
// is done here rather than by `boss.work()`, whose worker (10.x) waits a full polling interval
// after every batch, fires complete/fail without awaiting them (a failed write is an unhandled
// rejection), fails a whole batch when one job throws, and leaves a timer behind after stop().

/** Per-job options; omitted ones fall back to the queue's, then to pg-boss's (2 retries, no delay). */
export interface SendOptions {
  /** Not before this time. */
  readonly startAfter?: Date;
  /**
   * Deduplication key. pg-boss 10 enforces it only by queue policy: on a `short` queue at most
   * one job per key waits to run (`singleton`: one runs at a time; `stately`: one per state).
   * A `standard` queue ignores keys, so sending one there is rejected rather than silently ignored.
   */
  readonly singletonKey?: string;
  /** Retries after the first attempt. */
  readonly retryLimit?: number;
  /** Seconds between attempts. */
  readonly retryDelay?: number;
  /** Exponential backoff from retryDelay (with jitter). */
  readonly retryBackoff?: boolean;
}

export type QueuePolicy = 'standard' | 'short' | 'singleton' | 'stately';

export interface QueueOptions {
  /** See SendOptions.singletonKey. Default `standard`. */
  readonly policy?: QueuePolicy;
  readonly retryLimit?: number;
  readonly retryDelay?: number;
  readonly retryBackoff?: boolean;
  /** How long one attempt may run before it is failed (and retried). pg-boss default 15 min. */
  readonly expireInSeconds?: number;
}

export interface Job {
  readonly id: string;
  readonly data: unknown;
}

export type JobHandler = (job: Job) => Promise<void>;

export interface WorkOptions {
  /** Pause after finding the queue empty. Default: the queue's `pollingIntervalSeconds`. */
  readonly pollingIntervalSeconds?: number;
  /** Jobs fetched (and run concurrently) at once. Default 1. */
  readonly batchSize?: number;
}

export interface JobQueue {
  /**
   * Enqueue inside the caller's Drizzle transaction: the job exists iff the transaction commits.
   * The queue must already be known (declared in `openJobQueue`'s `queues`, `ensureQueue`d,
   * used by send/work, or created earlier): queue creation is DDL and must not run inside
   * the caller's transaction, and on PGlite could not run beside it at all.
   * Returns the job id, or null when a singleton policy deduplicated it.
   */
  sendInTransaction(tx: Tx, queue: string, data: object, options?: SendOptions): Promise<string | null>;
  /**
   * Several jobs of one queue enqueued in the caller's transaction in one statement, each as
   * sendInTransaction would add it (a singleton key already waiting adds nothing).
   */
  sendManyInTransaction(tx: Tx, queue: string, jobs: readonly { readonly data: object; readonly options?: SendOptions }[]): Promise<void>;
  /**
   * Enqueue in its own statement (committed on return). On PGlite do not call this inside a
   * `database.write()` callback: the single connection is held by that transaction, so this
   * would wait for it forever. Use sendInTransaction there.
   */
  send(queue: string, data: object, options?: SendOptions): Promise<string | null>;
  /** Register a handler; jobs are fetched and run by this process until stop(). A handler that
   * throws (or outlives its queue's expireInSeconds) fails the attempt; retries follow the job's retry options. */
  work(queue: string, handler: JobHandler, options?: WorkOptions): Promise<void>;
  /** Creates the queue, or brings an existing one to these options. */
  ensureQueue(queue: string, options?: QueueOptions): Promise<void>;
  /** Stops fetching, waits for running handlers (up to `stopTimeoutSeconds`, after which their
   * jobs are failed so they are retried), and leaves no timers or queries behind. The database stays open. */
  stop(): Promise<void>;
}

export interface JobQueueOptions {
  /** Schema of pg-boss's tables. Default `pgboss`. */
  readonly schema?: string;
  /** Default pause of workers after finding their queue empty, in seconds. Default 1. */
  readonly pollingIntervalSeconds?: number;
  /**
   * pg-boss maintenance: fails attempts that outlived their expiry (a process died mid-job) so
   * they are retried, archives finished jobs, deletes old archives. Default every 120 s.
   */
  readonly maintenanceIntervalSeconds?: number;
  /** Queues to create or update on open. */
  readonly queues?: Readonly<Record<string, QueueOptions>>;
  /** How long stop() waits for running handlers. Default 30 s. */
  readonly stopTimeoutSeconds?: number;
  /** Background errors (fetch, complete/fail, maintenance). Default: console.error. */
  readonly onError?: (error: unknown) => void;
}

const POLICIES: ReadonlySet<string> = new Set<QueuePolicy>(['standard', 'short', 'singleton', 'stately']);

/**
 * Starts pg-boss on `database` (creating or migrating its schema) and returns the queue.
 * On PGlite, open one JobQueue per database: opening fails (for a retry) any job still active,
 * taking it to be left over from a process that died.
 */
export async function openJobQueue(database: Database, options: JobQueueOptions = {}): Promise<JobQueue> {
  const onError = options.onError ?? ((error: unknown) => console.error(`[jobs] ${describeError(error)}`));
  const schema = options.schema ?? 'pgboss';
  const sql = new SqlAdapter(database);
  const boss = new PgBoss({
    db: sql.boss,
    schema,
    // Cron schedules are not used (timers are jobs with startAfter). Left on, pg-boss would run
    // a worker on an internal queue every 5 s, a cron check every 30 s and a clock-skew query
    // every 10 min, all for nothing.
    schedule: false,
    // Maintenance stays on: it is what retries jobs whose process died mid-attempt.
    supervise: true,
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 120,
  });
  boss.on('error', onError);
  await boss.start();
  const queue = new PgBossJobQueue(database, boss, sql, {
    schema,
    pollingMs: secondsToMs(options.pollingIntervalSeconds ?? 1, 'pollingIntervalSeconds'),
    stopTimeoutMs: secondsToMs(options.stopTimeoutSeconds ?? 30, 'stopTimeoutSeconds'),
    onError,
  });
  try {
    await queue.loadQueues();
    for (const [name, queueOptions] of Object.entries(options.queues ?? {})) await queue.ensureQueue(name, queueOptions);
    // One process owns an embedded database (the data directory is locked), so a job still
    // active now was abandoned by a process that died: retry it now, not after its expiry.
    if (database.kind === 'pglite') await queue.recoverAbandoned();
  } catch (error) {
    await queue.stop();
    throw error;
  }
  return queue;
}

/** Session-level lock around pg-boss's create_queue (see oneAtATime). */
const QUEUE_DDL_LOCK = 0x4c41_5443_4a01n;

/**
 * Runs a pg-boss queue creation while holding QUEUE_DDL_LOCK on a connection of its own: processes
 * starting at once on one PostgreSQL create the same queues together, and create_queue's partition
 * DDL deadlocks against another's insert. One at a time, the later ones find the queue there.
 */
async function oneAtATime<T>(database: Database, statement: () => Promise<T>): Promise<T> {
  if (database.kind !== 'postgres') return statement();
  const pool = (database.db as unknown as { $client: pg.Pool }).$client;
  const client = await pool.connect();
  let failure: unknown;
  try {
    await client.query('select pg_advisory_lock($1)', [QUEUE_DDL_LOCK.toString()]);
    return await statement();
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    // A failed connection is discarded, and the lock goes with it.
    if (failure === undefined) await client.query('select pg_advisory_unlock($1)', [QUEUE_DDL_LOCK.toString()]).catch(() => undefined);
    client.release(failure !== undefined);
  }
}

interface Settings {
  readonly schema: string;
  readonly pollingMs: number;
  readonly stopTimeoutMs: number;
  readonly onError: (error: unknown) => void;
}

class PgBossJobQueue implements JobQueue {
  readonly #database: Database;
  readonly #boss: PgBoss;
  readonly #sql: SqlAdapter;
  readonly #settings: Settings;
  /** Queues known to exist, with their policy. */
  readonly #queues = new Map<string, QueuePolicy>();
  readonly #ensuring = new Map<string, Promise<void>>();
  readonly #workers = new Set<Worker>();
  #stopped: Promise<void> | null = null;

  constructor(database: Database, boss: PgBoss, sql: SqlAdapter, settings: Settings) {
    this.#database = database;
    this.#boss = boss;
    this.#sql = sql;
    this.#settings = settings;
  }

  async loadQueues(): Promise<void> {
    for (const q of await this.#boss.getQueues()) this.#queues.set(q.name, (q.policy ?? 'standard') as QueuePolicy);
  }

  async recoverAbandoned(): Promise<void> {
    const { rows } = await this.#sql.boss.executeSql(`SELECT name, id FROM ${this.#settings.schema}.job WHERE state = 'active'`, []);
    for (const { name, id } of rows as { name: string; id: string }[]) {
      await this.#boss.fail(name, id, { message: 'abandoned: the process running it stopped' });
    }
  }

  async sendInTransaction(tx: Tx, queue: string, data: object, options: SendOptions = {}): Promise<string | null> {
    this.#assertOpen();
    const policy = this.#queues.get(queue);
    if (!policy) {
      throw new Error(`Job queue "${queue}" is not known yet: declare it in openJobQueue({ queues }) or call ensureQueue() before sending in a transaction.`);
    }
    const id = await this.#boss.send(queue, ...sendArgs(queue, policy, data, options, this.#sql.inTransaction(tx)));
    // On PGlite the worker's fetch waits for this transaction to end, so it runs just after the
    // commit. On PostgreSQL it would run before the commit and find nothing: polling picks it up.
    if (this.#database.kind === 'pglite') this.#wake(queue);
    return id;
  }

  async sendManyInTransaction(tx: Tx, queue: string, jobs: readonly { readonly data: object; readonly options?: SendOptions }[]): Promise<void> {
    this.#assertOpen();
    if (jobs.length === 0) return;
    const policy = this.#queues.get(queue);
    if (!policy) throw new Error(`Job queue "${queue}" is not known yet: declare it in openJobQueue({ queues }) or call ensureQueue() before sending in a transaction.`);
    // pg-boss's insert (json_to_recordset, one statement): the queue's options fill in what a job leaves out, as in send.
    const rows = jobs.map(({ data, options = {} }) => {
      const [, sendOptions] = sendArgs(queue, policy, data, options, undefined);
      return {
        name: queue,
        data,
        ...(sendOptions.startAfter !== undefined ? { startAfter: (sendOptions.startAfter as Date).toISOString() } : {}),
        ...(sendOptions.singletonKey !== undefined ? { singletonKey: sendOptions.singletonKey } : {}),
        ...(sendOptions.retryLimit !== undefined ? { retryLimit: sendOptions.retryLimit } : {}),
        ...(sendOptions.retryDelay !== undefined ? { retryDelay: sendOptions.retryDelay } : {}),
        ...(sendOptions.retryBackoff !== undefined ? { retryBackoff: sendOptions.retryBackoff } : {}),
      };
    });
    await this.#boss.insert(rows, { db: this.#sql.inTransaction(tx) });
    if (this.#database.kind === 'pglite') this.#wake(queue);
  }

  async send(queue: string, data: object, options: SendOptions = {}): Promise<string | null> {
    this.#assertOpen();
    const policy = await this.#ensure(queue);
    const id = await this.#boss.send(queue, ...sendArgs(queue, policy, data, options, undefined));
    this.#wake(queue);
    return id;
  }

  async work(queue: string, handler: JobHandler, options: WorkOptions = {}): Promise<void> {
    this.#assertOpen();
    const batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batchSize must be a positive integer');
    const pollingMs =
      options.pollingIntervalSeconds === undefined ? this.#settings.pollingMs : secondsToMs(options.pollingIntervalSeconds, 'pollingIntervalSeconds');
    await this.#ensure(queue);
    this.#assertOpen();
    const worker = new Worker(this.#boss, this.#sql, queue, handler, batchSize, pollingMs, this.#settings.onError);
    this.#workers.add(worker);
    worker.start();
  }

  async ensureQueue(queue: string, options: QueueOptions = {}): Promise<void> {
    this.#assertOpen();
    const policy = options.policy ?? 'standard';
    if (!POLICIES.has(policy)) throw new Error(`Unknown queue policy "${policy}"`);
    await oneAtATime(this.#database, () => this.#boss.createQueue(queue, { ...options, name: queue, policy }));
    // createQueue leaves an existing queue as it was; bring it to these options.
    await this.#boss.updateQueue(queue, { ...options, name: queue, policy });
    this.#queues.set(queue, policy);
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    const workers = [...this.#workers];
    this.#workers.clear();
    const { onError, stopTimeoutMs } = this.#settings;
    const drained = Promise.all(workers.map((w) => w.stop()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), stopTimeoutMs);
    });
    const outcome = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      for (const w of workers) {
        for (const id of w.abandon()) {
          await this.#boss.fail(w.queue, id, { message: 'job queue stopped while the job was running' }).catch(onError);
        }
      }
    }
    // Clears pg-boss's maintenance interval (no workers or timekeeper of its own are running).
    await this.#boss.stop({ graceful: false, close: false }).catch(onError);
    // A maintenance round may still be running: let it finish before the caller closes the database.
    await this.#sql.settled();
  }

  #assertOpen(): void {
    if (this.#stopped) throw new Error('The job queue is stopped');
  }

  /** Lazily creates a queue used by send/work; an existing one keeps its options. */
  async #ensure(queue: string): Promise<QueuePolicy> {
    const known = this.#queues.get(queue);
    if (known) return known;
    let pending = this.#ensuring.get(queue);
    if (!pending) {
      pending = (async () => {
        await oneAtATime(this.#database, () => this.#boss.createQueue(queue));
        const row = await this.#boss.getQueue(queue);
        this.#queues.set(queue, (row?.policy ?? 'standard') as QueuePolicy);
      })().finally(() => this.#ensuring.delete(queue));
      this.#ensuring.set(queue, pending);
    }
    await pending;
    return this.#queues.get(queue) ?? 'standard';
  }

  #wake(queue: string): void {
    for (const w of this.#workers) if (w.queue === queue) w.wake();
  }
}

function sendArgs(
  queue: string,
  policy: QueuePolicy,
  data: object,
  options: SendOptions,
  db: PgBoss.Db | undefined,
): [object, PgBoss.SendOptions] {
  if (options.singletonKey !== undefined && policy === 'standard') {
    throw new Error(
      `Job queue "${queue}" has the standard policy, which ignores singletonKey in pg-boss 10: ` +
        "create it with ensureQueue(name, { policy: 'short' }) (or 'singleton'/'stately') to deduplicate.",
    );
  }
  const sendOptions: PgBoss.SendOptions = {};
  if (options.startAfter !== undefined) sendOptions.startAfter = options.startAfter;
  if (options.singletonKey !== undefined) sendOptions.singletonKey = options.singletonKey;
  if (options.retryLimit !== undefined) sendOptions.retryLimit = options.retryLimit;
  if (options.retryDelay !== undefined) sendOptions.retryDelay = options.retryDelay;
  if (options.retryBackoff !== undefined) sendOptions.retryBackoff = options.retryBackoff;
  if (db) sendOptions.db = db;
  // Serialized here so both drivers store the same JSON: node-postgres would turn a top-level
  // array into a Postgres array literal, PGlite into JSON.
  return [JSON.stringify(data) as unknown as object, sendOptions];
}

/** One polling loop on one queue. */
class Worker {
  readonly queue: string;
  readonly #boss: PgBoss;
  readonly #fetchDb: PgBoss.Db;
  readonly #handler: JobHandler;
  readonly #batchSize: number;
  readonly #pollingMs: number;
  readonly #onError: (error: unknown) => void;
  /** Completes the jobs whose handlers finished in the same turn with one statement. */
  readonly #complete: (id: string) => Promise<unknown>;
  /** Running jobs, each with a function that stops waiting for it. */
  readonly #running = new Map<string, () => void>();
  #stopping = false;
  #woken = false;
  #interrupt: (() => void) | null = null;
  #loop: Promise<void> = Promise.resolve();

  constructor(boss: PgBoss, sql: SqlAdapter, queue: string, handler: JobHandler, batchSize: number, pollingMs: number, onError: (error: unknown) => void) {
    this.queue = queue;
    this.#boss = boss;
    // pg-boss's fetch() swallows every error and returns no jobs; report them on the way.
    this.#fetchDb = {
      executeSql: async (text, values) => {
        try {
          return await sql.boss.executeSql(text, values);
        } catch (error) {
          onError(error);
          throw error;
        }
      },
    };
    this.#handler = handler;
    this.#complete = batchedByTurn(async (ids: readonly string[]) => {
      await boss.complete(queue, [...ids]);
      return new Map();
    });
    this.#batchSize = batchSize;
    this.#pollingMs = pollingMs;
    this.#onError = onError;
  }

  start(): void {
    this.#loop = this.#run();
  }

  /** Fetch now (or right after the current round) instead of after the polling pause. */
  wake(): void {
    this.#woken = true;
    this.#interrupt?.();
  }

  /** Resolves once the fetch in progress and every running handler (with its completion) are over. */
  stop(): Promise<void> {
    this.#stopping = true;
    this.#interrupt?.();
    return this.#loop;
  }

  /** Stops waiting for the handlers still running (stop timed out) and returns their job ids:
   * they will not be completed here, and the loop ends without them. */
  abandon(): string[] {
    const running = [...this.#running];
    for (const [, giveUp] of running) giveUp();
    return running.map(([id]) => id);
  }

  /**
   * Keeps up to batchSize handlers running: as handlers finish, their slots are filled by the next
   * fetch, so one slow job never holds back the others (a whole batch used to wait for its slowest).
   * A fetch asks for at least half the slots while others run, to keep fetches few under load.
   */
  async #run(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    const refill = Math.max(1, Math.ceil(this.#batchSize / 2));
    let freed = false; // a handler finished since the last look: don't sleep through it
    while (!this.#stopping) {
      this.#woken = false;
      freed = false;
      const free = this.#batchSize - inFlight.size;
      if (free >= refill || (free > 0 && inFlight.size === 0)) {
        let jobs: { id: string; data: unknown; expireInSeconds: unknown }[] = [];
        try {
          jobs = await this.#boss.fetch(this.queue, { batchSize: free, db: this.#fetchDb });
        } catch (error) {
          this.#onError(error);
        }
        for (const job of jobs) {
          const run: Promise<void> = this.#runJob(job).finally(() => {
            inFlight.delete(run);
            freed = true;
            this.#interrupt?.();
          });
          inFlight.add(run);
        }
        // Every free slot filled suggests more are waiting: fetch again as soon as enough slots free.
        if (jobs.length === free) continue;
      }
      if (this.#stopping) break;
      if (this.#woken || (freed && this.#batchSize - inFlight.size >= refill)) continue;
      // The queue looked empty, or too few slots are free: wait for the polling interval, a wake,
      // a stop, or a handler finishing.
      await this.#pause();
    }
    await Promise.all(inFlight);
  }

  #pause(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#interrupt = null;
        resolve();
      };
      const timer = setTimeout(done, this.#pollingMs);
      this.#interrupt = done;
    });
  }

  async #runJob(job: { id: string; data: unknown; expireInSeconds: unknown }): Promise<void> {
    let settle!: (outcome: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
    this.#running.set(job.id, () => settle({ abandoned: true }));
    // An attempt may run for the queue's expireInSeconds; after that the job is failed (and
    // retried) while the handler, which cannot be cancelled, is left to finish on its own.
    const seconds = Number(job.expireInSeconds);
    const timer =
      Number.isFinite(seconds) && seconds > 0
        ? setTimeout(() => settle({ error: new Error(`handler did not finish within ${seconds} s (the queue's expireInSeconds)`) }), seconds * 1000)
        : undefined;
    new Promise<void>((resolve) => resolve(this.#handler({ id: job.id, data: job.data }))).then(
      () => settle({}),
      (error: unknown) => settle({ error: error ?? new Error('handler failed') }),
    );
    const result = await outcome;
    clearTimeout(timer);
    this.#running.delete(job.id);
    recordJob(this.queue, 'abandoned' in result ? 'abandoned' : 'error' in result ? 'failed' : 'completed');
    if ('abandoned' in result) return; // stop() gave up on it and fails it itself
    // While the database is away the outcome is offered again, a polling pause apart: left active,
    // the job would run again only after its expiry.
    for (let attempt = 1; ; attempt++) {
      try {
        if ('error' in result) await this.#boss.fail(this.queue, job.id, failureOutput(result.error));
        else await this.#complete(job.id);
        return;
      } catch (error) {
        this.#onError(error);
        // Otherwise the job stays active until maintenance expires it, and is then retried.
        if (this.#stopping || attempt >= SETTLE_TRIES || unavailableReason(error) === undefined) return;
        await sleep(this.#pollingMs);
      }
    }
  }
}

/** How often a finished job's completion is offered to a database that is away. */
const SETTLE_TRIES = 30;

type Outcome = { error: unknown } | { abandoned: true } | Record<string, never>;

/** What pg-boss stores as the failed attempt's output: never a failed query's parameters, which erasure could not reach there. */
function failureOutput(error: unknown): object {
  return loggableError(error);
}

function secondsToMs(seconds: number, name: string): number {
  if (!Number.isFinite(seconds) || seconds < 0.05) throw new Error(`${name} must be at least 0.05 s`);
  return Math.round(seconds * 1000);
}

// --- SQL plumbing ------------------------------------------------------------------------

/** What pg-boss needs from a connection, and what both drivers' clients provide. */
const statementNames = new Map<string, string>();

/** A stable prepared-statement name for a SQL text. */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) statementNames.set(text, (name = `latch_jobs_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`));
  return name;
}

interface DriverClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /** PGlite: several statements in one simple-protocol round. */
  exec?(text: string): Promise<unknown>;
}

/**
 * The driver client under a Drizzle database or transaction: the one place that reaches into
 * Drizzle internals. In drizzle-orm 0.45 both PgDatabase and PgTransaction keep their session
 * in `session`, whose `client` is
 * - node-postgres: the Pool (database) or the PoolClient checked out for the transaction;
 * - PGlite: the PGlite instance (database) or the Transaction object of `PGlite.transaction()`.
 * Statements sent to a transaction's client are part of that transaction on both drivers.
 * (`db.$client` is the public equivalent for a database, but transactions have none.)
 */
function driverClient(queryable: Queryable): DriverClient {
  const client = (queryable as unknown as { session?: { client?: unknown } }).session?.client;
  if (!client || typeof (client as DriverClient).query !== 'function') {
    throw new Error('Cannot reach the database driver under this Drizzle object (drizzle-orm internals changed?)');
  }
  return client as DriverClient;
}

// pg-boss runs its schema creation, migrations and maintenance as one multi-statement string
// "BEGIN; ...; COMMIT;". Sent as is, a failure in the middle (which pg-boss expects in a creation
// or migration race, and catches) leaves the connection inside an aborted transaction. pg's
// pool.query() discards such a client; PGlite has only the one connection, which would refuse
// every later statement. So the body runs in a real transaction instead, on both drivers.
const LOCKED_SCRIPT = /^\s*BEGIN;([\s\S]*)COMMIT;\s*$/;

/** pg-boss's `db` adapters over the app's Database, with a count of statements in flight. */
class SqlAdapter {
  readonly #database: Database;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(database: Database) {
    this.#database = database;
  }

  /** Statements outside any caller transaction: pool queries / PGlite's own connection. */
  readonly boss: PgBoss.Db = {
    executeSql: (text: string, values?: unknown[]) => {
      const run = this.#execute(text, values);
      this.#inFlight.add(run);
      void run.catch(() => undefined).finally(() => this.#inFlight.delete(run));
      return run;
    },
  };

  /** Statements inside the caller's transaction. */
  inTransaction(tx: Tx): PgBoss.Db {
    const client = driverClient(tx);
    if (this.#database.kind === 'pglite') return { executeSql: (text: string, values?: unknown[]) => client.query(text, values ?? []) };
    // On PostgreSQL, pg-boss's insert is one long statement sent with every approval: as a named
    // (prepared) statement it is parsed and planned once per connection instead of every time.
    const named = client as unknown as { query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }> };
    return { executeSql: (text: string, values?: unknown[]) => named.query({ name: statementName(text), text, values: values ?? [] }) };
  }

  /** Resolves when no statement sent through `boss` is running. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async #execute(text: string, values: unknown[] | undefined): Promise<{ rows: unknown[] }> {
    const locked = LOCKED_SCRIPT.exec(text);
    if (locked && (values === undefined || values.length === 0)) {
      const body = locked[1] ?? '';
      const kind = this.#database.kind;
      await this.#database.write(async (tx) => {
        const client = driverClient(tx);
        if (kind === 'pglite' && client.exec) await client.exec(body);
        else await client.query(body);
      });
      return { rows: [] };
    }
    return driverClient(this.#database.db).query(text, values ?? []);
  }
}
