import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/database.js';
import { openJobQueue, type Job, type JobQueue, type JobQueueOptions } from './job-queue.js';

const POSTGRES_URL = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const POLL = 0.5;

/** A fresh PostgreSQL database, dropped by the returned function. */
async function freshPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  // Named like harness.ts's databases, so the run's teardown (test/global-setup.ts) drops it if left behind.
  const name = `latch_test_${process.env.LATCH_TEST_RUN ?? 'adhoc'}_jobs_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

let queueCounter = 0;
const queueName = (label: string) => `${label}-${++queueCounter}`;

/** A deferred promise, to hold a handler open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe.each(['pglite', 'postgres'] as const)('job queue on %s', (kind) => {
  let database: Database;
  let dropDatabase: (() => Promise<void>) | undefined;
  const errors: unknown[] = [];

  beforeAll(async () => {
    if (kind === 'postgres') {
      const fresh = await freshPostgres();
      dropDatabase = fresh.drop;
      database = await openDatabase({ url: fresh.url });
    } else {
      database = await openDatabase({});
    }
  });

  afterAll(async () => {
    await database?.close();
    await dropDatabase?.();
  });

  /** Runs `body` with a fresh JobQueue, always stopped afterwards. */
  async function withQueue<T>(body: (jobs: JobQueue) => Promise<T>, options: JobQueueOptions = {}): Promise<T> {
    const jobs = await openJobQueue(database, { pollingIntervalSeconds: POLL, onError: (e) => errors.push(e), ...options });
    try {
      return await body(jobs);
    } finally {
      await jobs.stop();
    }
  }

  async function jobRow(id: string): Promise<{ state: string; retry_count: number; output: unknown } | undefined> {
    const result = await database.db.execute(sql`select state, retry_count, output from pgboss.job where id = ${id}::uuid`);
    return (result as unknown as { rows: { state: string; retry_count: number; output: unknown }[] }).rows[0];
  }

  async function countJobs(queue: string): Promise<number> {
    const result = await database.db.execute(sql`select count(*)::int as n from pgboss.job where name = ${queue}`);
    return (result as unknown as { rows: { n: number }[] }).rows[0]!.n;
  }

  it('installs its schema, and a second open finds it installed', async () => {
    await withQueue(async () => undefined);
    await withQueue(async () => undefined);
    const result = await database.db.execute(sql`select version from pgboss.version`);
    expect((result as unknown as { rows: unknown[] }).rows).toHaveLength(1);
  });

  it('installs its schema once when two processes start together (own schema name)', async () => {
    const options = { schema: `pgboss_${kind}_race`, pollingIntervalSeconds: POLL, onError: (e: unknown) => errors.push(e) };
    const [a, b] = await Promise.all([openJobQueue(database, options), openJobQueue(database, options)]);
    try {
      const ran: unknown[] = [];
      await b.work('race', async (job) => {
        ran.push(job.data);
      });
      await a.send('race', { from: 'a' });
      await waitFor(() => ran.length === 1);
      // The connection (PGlite's only one, or the pool's) was not left in an aborted transaction.
      await database.write(async (tx) => {
        await tx.execute(sql`select 1`);
      });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('runs a job sent with send(), with its data, promptly', async () => {
    await withQueue(async (jobs) => {
      const queue = queueName('send');
      const seen: Job[] = [];
      await jobs.work(queue, async (job) => {
        seen.push(job);
      });
      const id = await jobs.send(queue, { hello: 'world', n: 1, list: [1, 2] });
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      await waitFor(() => seen.length === 1);
      expect(seen[0]).toEqual({ id, data: { hello: 'world', n: 1, list: [1, 2] } });
      await waitFor(async () => (await jobRow(id!))?.state === 'completed');
    });
  });

  it('a job sent in a transaction that rolls back never runs; one that commits runs, only after the commit', async () => {
    const queue = queueName('tx');
    await withQueue(
      async (jobs) => {
        const ran: unknown[] = [];
        await jobs.work(queue, async (job) => {
          ran.push(job.data);
        });

        await expect(
          database.write(async (tx) => {
            await jobs.sendInTransaction(tx, queue, { which: 'rolled back' });
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');

        let committedAt = 0;
        await database.write(async (tx) => {
          const id = await jobs.sendInTransaction(tx, queue, { which: 'committed' });
          expect(id).toBeTruthy();
          // Workers keep polling meanwhile (on PGlite they wait for the connection).
          await sleep(3 * POLL * 1000);
          expect(ran).toEqual([]);
          committedAt = Date.now();
        });
        await waitFor(() => ran.length > 0);
        expect(Date.now()).toBeGreaterThanOrEqual(committedAt);
        await sleep(3 * POLL * 1000);
        expect(ran).toEqual([{ which: 'committed' }]);
        expect(await countJobs(queue)).toBe(1);
      },
      { queues: { [queue]: {} } },
    );
  });

  it('refuses to send in a transaction to a queue it does not know', async () => {
    await withQueue(async (jobs) => {
      await expect(database.write((tx) => jobs.sendInTransaction(tx, queueName('unknown'), {}))).rejects.toThrow(/not known/);
    });
  });

  it('sends in a transaction to a queue created by send/work/ensureQueue or by an earlier process', async () => {
    const queue = queueName('known');
    await withQueue((jobs) => jobs.ensureQueue(queue));
    await withQueue(async (jobs) => {
      const id = await database.write((tx) => jobs.sendInTransaction(tx, queue, { ok: true }));
      expect((await jobRow(id!))?.state).toBe('created');
    });
  });

  it('delays a job with startAfter', async () => {
    await withQueue(async (jobs) => {
      const queue = queueName('delay');
      let startedAt = 0;
      await jobs.work(queue, async () => {
        startedAt = Date.now();
      });
      const sentAt = Date.now();
      await jobs.send(queue, {}, { startAfter: new Date(sentAt + 1500) });
      await sleep(1200);
      expect(startedAt).toBe(0);
      await waitFor(() => startedAt > 0, 5000);
      const delay = startedAt - sentAt;
      expect(delay).toBeGreaterThanOrEqual(1450);
      expect(delay).toBeLessThan(1500 + POLL * 1000 + 500);
    });
  });

  it('delays a job sent in a transaction with startAfter', async () => {
    await withQueue(
      async (jobs) => {
        let startedAt = 0;
        await jobs.work('delayed-tx', async () => {
          startedAt = Date.now();
        });
        const sentAt = Date.now();
        await database.write((tx) => jobs.sendInTransaction(tx, 'delayed-tx', {}, { startAfter: new Date(sentAt + 1000) }));
        await waitFor(() => startedAt > 0, 5000);
        expect(startedAt - sentAt).toBeGreaterThanOrEqual(950);
      },
      { queues: { 'delayed-tx': {} } },
    );
  });

  it('deduplicates by singletonKey on a short queue, in and out of transactions', async () => {
    await withQueue(async (jobs) => {
      const queue = queueName('dedupe');
      await jobs.ensureQueue(queue, { policy: 'short' });
      const later = { startAfter: new Date(Date.now() + 60_000) };
      const first = await jobs.send(queue, { n: 1 }, { ...later, singletonKey: 'case-1' });
      expect(first).toBeTruthy();
      expect(await jobs.send(queue, { n: 2 }, { ...later, singletonKey: 'case-1' })).toBeNull();
      expect(await database.write((tx) => jobs.sendInTransaction(tx, queue, { n: 3 }, { ...later, singletonKey: 'case-1' }))).toBeNull();
      expect(await jobs.send(queue, { n: 4 }, { ...later, singletonKey: 'case-2' })).toBeTruthy();
      expect(await countJobs(queue)).toBe(2);
    });
  });

  it('sends several jobs in a transaction in one statement: each runs once, a rollback sends none, a singletonKey waiting (or repeated) adds nothing more', async () => {
    const queue = queueName('many');
    await withQueue(
      async (jobs) => {
        await expect(
          database.write(async (tx) => {
            await jobs.sendManyInTransaction(tx, queue, [{ data: { n: 0 } }]);
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        expect(await countJobs(queue)).toBe(0);
        const later = { startAfter: new Date(Date.now() + 60_000) };
        await jobs.send(queue, { n: 'waiting' }, { ...later, singletonKey: 'k1' });
        const ran: unknown[] = [];
        await jobs.work(queue, async (job) => void ran.push(job.data));
        await database.write((tx) =>
          jobs.sendManyInTransaction(tx, queue, [
            { data: { n: 1 }, options: { ...later, singletonKey: 'k1' } },
            { data: { n: 2 }, options: { singletonKey: 'k2' } },
            { data: { n: 3 }, options: { singletonKey: 'k2' } },
            { data: { n: 4 } },
          ]),
        );
        await waitFor(() => ran.length >= 2);
        await sleep(3 * POLL * 1000);
        // One job of the repeated key (which of the two is not defined within one statement), and the one without a key.
        expect(ran).toHaveLength(2);
        expect(ran).toContainEqual({ n: 4 });
        expect([{ n: 2 }, { n: 3 }]).toContainEqual(ran.find((data) => (data as { n: number }).n !== 4));
        expect(await countJobs(queue)).toBe(3);
        await expect(database.write((tx) => jobs.sendManyInTransaction(tx, queueName('unknown'), [{ data: {} }]))).rejects.toThrow(/not known/);
      },
      { queues: { [queue]: { policy: 'short' } } },
    );
  });

  it('rejects singletonKey on a standard queue, which pg-boss 10 would silently ignore', async () => {
    await withQueue(async (jobs) => {
      const queue = queueName('standard');
      await expect(jobs.send(queue, {}, { singletonKey: 'k' })).rejects.toThrow(/standard policy/);
    });
  });

  it('retries a failing handler retryLimit times, then the job ends failed', async () => {
    await withQueue(async (jobs) => {
      const queue = queueName('retry');
      const attempts: number[] = [];
      await jobs.work(queue, async () => {
        attempts.push(Date.now());
        throw new Error('boom');
      });
      const id = await jobs.send(queue, {}, { retryLimit: 2, retryDelay: 1 });
      await waitFor(async () => (await jobRow(id!))?.state === 'failed', 10_000);
      expect(attempts).toHaveLength(3);
      expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(900);
      const row = await jobRow(id!);
      expect(row?.retry_count).toBe(2);
      expect(row?.output).toMatchObject({ message: 'boom' });
      await sleep(3 * POLL * 1000);
      expect(attempts).toHaveLength(3);
    });
  });

  it('completes a job whose retry succeeds', async () => {
    await withQueue(async (jobs) => {
      const queue = queueName('flaky');
      let calls = 0;
      await jobs.work(queue, async () => {
        if (++calls === 1) throw new Error('first time');
      });
      const id = await jobs.send(queue, {}, { retryLimit: 1 });
      await waitFor(async () => (await jobRow(id!))?.state === 'completed');
      expect(calls).toBe(2);
      expect((await jobRow(id!))?.retry_count).toBe(1);
    });
  });

  it('fails only the failing job of a batch', async () => {
    await withQueue(async (jobs) => {
      const queue = queueName('batch');
      const ids: string[] = [];
      for (let n = 0; n < 5; n++) ids.push((await jobs.send(queue, { n }, { retryLimit: 0 }))!);
      await jobs.work(
        queue,
        async (job) => {
          if ((job.data as { n: number }).n === 2) throw new Error('bad one');
        },
        { batchSize: 5 },
      );
      const states = async () => Promise.all(ids.map(async (id) => (await jobRow(id))?.state));
      await waitFor(async () => (await states()).every((s) => s === 'completed' || s === 'failed'));
      expect(await states()).toEqual(['completed', 'completed', 'failed', 'completed', 'completed']);
    });
  });

  it('keeps running jobs while one of the batch hangs: its slot is the only one held', async () => {
    const slow = gate();
    try {
      await withQueue(async (jobs) => {
        const queue = queueName('window');
        const done: number[] = [];
        let slowStarted = false;
        await jobs.send(queue, { n: 0 });
        await jobs.work(
          queue,
          async (job) => {
            const n = (job.data as { n: number }).n;
            if (n === 0) {
              slowStarted = true;
              await slow.promise;
            }
            done.push(n);
          },
          { batchSize: 2, pollingIntervalSeconds: 0.05 },
        );
        await waitFor(() => slowStarted);
        for (let n = 1; n <= 6; n++) await jobs.send(queue, { n });
        // A worker that waited for its whole batch would run none of these while job 0 hangs.
        await waitFor(() => done.length === 6);
        expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6]);
        slow.open();
        await waitFor(() => done.length === 7);
      });
    } finally {
      slow.open();
    }
  });

  it('runs each job once with several workers on one queue', async () => {
    await withQueue(async (jobs) => {
      const queue = queueName('many');
      const seen = new Map<number, number>();
      const handler = async (job: Job) => {
        const n = (job.data as { n: number }).n;
        seen.set(n, (seen.get(n) ?? 0) + 1);
        await sleep(1);
      };
      await jobs.work(queue, handler, { batchSize: 5 });
      await jobs.work(queue, handler, { batchSize: 3 });
      await jobs.work(queue, handler);
      await database.write(async (tx) => {
        for (let n = 0; n < 60; n++) await jobs.sendInTransaction(tx, queue, { n });
      });
      await waitFor(() => seen.size === 60);
      await sleep(200);
      expect([...seen.values()].every((count) => count === 1)).toBe(true);
    });
  });

  it('fails an attempt that outlives the queue expiry', async () => {
    const hung = gate();
    try {
      await withQueue(async (jobs) => {
        const queue = queueName('expiry');
        await jobs.ensureQueue(queue, { expireInSeconds: 1, retryLimit: 0 });
        await jobs.work(queue, () => hung.promise);
        const id = await jobs.send(queue, {});
        await waitFor(async () => (await jobRow(id!))?.state === 'failed', 5000);
        expect((await jobRow(id!))?.output).toMatchObject({ message: expect.stringContaining('expireInSeconds') });
      });
    } finally {
      hung.open();
    }
  });

  it('stop() waits for a running handler and its completion, then leaves no timers', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const jobs = await openJobQueue(database, { pollingIntervalSeconds: POLL, maintenanceIntervalSeconds: 1, onError: (e) => errors.push(e) });
    const queue = queueName('stop');
    let finished = false;
    let started = false;
    await jobs.work(queue, async () => {
      started = true;
      await sleep(300);
      finished = true;
    });
    const id = await jobs.send(queue, {});
    await waitFor(() => started);
    await sleep(1100); // a maintenance round has run meanwhile
    await jobs.stop();
    expect(finished).toBe(true);
    expect((await jobRow(id!))?.state).toBe('completed');
    await expect(jobs.send(queue, {})).rejects.toThrow(/stopped/);
    await jobs.stop(); // idempotent
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
  });

  it('stop() gives up on a hung handler after stopTimeoutSeconds and fails its job for a retry', async () => {
    const hung = gate();
    try {
      const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const jobs = await openJobQueue(database, { pollingIntervalSeconds: POLL, stopTimeoutSeconds: 0.3, onError: (e) => errors.push(e) });
      const queue = queueName('hung');
      let started = false;
      await jobs.work(queue, async () => {
        started = true;
        await hung.promise;
      });
      const id = await jobs.send(queue, {}, { retryLimit: 1 });
      await waitFor(() => started);
      const t0 = Date.now();
      await jobs.stop();
      expect(Date.now() - t0).toBeLessThan(2000);
      const row = await jobRow(id!);
      expect(row?.state).toBe('retry');
      expect(row?.output).toMatchObject({ message: expect.stringContaining('stopped') });
      // The handler still hangs, but nothing of the queue's waits for it (no expiry timer either).
      expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
    } finally {
      hung.open();
    }
  });

  // Only PGlite has one process per database, so only there is an active job at open abandoned.
  if (kind === 'pglite') it('on PGlite, retries at open a job a dead process left active', async () => {
    const queue = queueName('abandoned');
    const id = await withQueue((jobs) => jobs.send(queue, { n: 1 }));
    await database.db.execute(sql`update pgboss.job set state = 'active', started_on = now() where id = ${id}::uuid`);
    await withQueue(async (jobs) => {
      expect((await jobRow(id!))?.state).toBe('retry');
      const ran: string[] = [];
      await jobs.work(queue, async (job) => {
        ran.push(job.id);
      });
      await waitFor(() => ran.length === 1);
      expect(ran).toEqual([id]);
    });
  });

  it('reported no background errors', () => {
    expect(errors).toEqual([]);
  });
});
