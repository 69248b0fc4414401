import { parseSignerKeys, parseTrustFile, uuidv7 } from '@latch/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { inArray, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_EXPIRY_QUEUE } from '../src/approvals/scheduler.js';
import { verifyLog } from '../src/audit/verify-log.js';
import { verifyStore } from '../src/audit/verify-store.js';
import { resultRows } from '../src/db/database.js';
import { cases, notes } from '../src/db/schema.js';
import { bearer, POSTGRES_URL, refundBody, startTestLatch, TEST_LOG_KEY, type TestLatch } from './harness.js';
import { LocalPostgres } from './local-postgres.js';

// Issue 16: terminating Latch's backends, or restarting its PostgreSQL, made the process exit on an
// uncaught exception. It must ride through: requests in flight fail with 503 DATABASE_UNAVAILABLE in
// the error shape, the pool reconnects, the sequencer re-takes its lead, jobs keep polling, nothing
// acknowledged is lost, and the log catches up. (An uncaught exception fails the vitest run itself.)

interface Answer {
  readonly status: number;
  readonly body: { id?: string; error?: { code: string; message: string } };
  readonly retryAfter?: string | undefined;
}
type Send = (method: 'GET' | 'POST', path: string, payload?: object) => Promise<Answer>;

/** Clients creating a case then adding a note to it, over and over, until stopped. */
function startLoad(send: Send, clients: number) {
  const answers: Answer[] = [];
  const created: string[] = [];
  const noted: string[] = [];
  let stopping = false;
  const client = async () => {
    while (!stopping) {
      const made = await send('POST', '/api/v1/cases', refundBody());
      answers.push(made);
      if (made.status !== 201) {
        await sleep(20);
        continue;
      }
      created.push(made.body.id!);
      const note = await send('POST', `/api/v1/cases/${made.body.id}/notes`, { body: 'still here' });
      answers.push(note);
      if (note.status === 201) noted.push(note.body.id!);
    }
  };
  const running = Promise.all(Array.from({ length: clients }, client));
  return {
    answers,
    created,
    noted,
    /** Resolves once `n` more writes were acknowledged than now. */
    async acknowledged(n: number, timeoutMs = 30_000) {
      const target = created.length + noted.length + n;
      const deadline = Date.now() + timeoutMs;
      while (created.length + noted.length < target) {
        if (Date.now() > deadline) throw new Error(`fewer than ${n} writes acknowledged within ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    async stop() {
      stopping = true;
      await running;
    },
  };
}

/** The backend holding the log's leader lock (sequencer.ts LEADER_LOCK, 0x4c41_5443_4801) in `database`, if any. */
async function leaderPid(client: pg.Client, database: string): Promise<number | undefined> {
  const { rows } = await client.query<{ pid: number }>(
    `select l.pid from pg_locks l join pg_database d on d.oid = l.database
      where l.locktype = 'advisory' and l.granted and l.classid = x'4c41'::int and l.objid = x'54434801'::bigint and l.objsubid = 1 and d.datname = $1`,
    [database],
  );
  return rows[0]?.pid;
}

/** Polls `check` until it holds; the bound is generous, so this is no timing assertion. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Every answer was a success or the documented 503; every acknowledged write is stored; chains, log and jobs are whole. */
async function expectRodeThrough(t: TestLatch, load: ReturnType<typeof startLoad>) {
  const failures = load.answers.filter((a) => a.status !== 201);
  const undocumented = failures.filter((a) => !(a.status === 503 && a.body.error?.code === 'DATABASE_UNAVAILABLE' && typeof a.body.error.message === 'string'));
  expect(undocumented).toEqual([]);
  for (const failure of failures) {
    expect(Object.keys(failure.body)).toEqual(['error']);
    expect(failure.retryAfter).toMatch(/^\d+$/);
  }
  expect(load.created.length).toBeGreaterThan(0);

  const db = t.ctx.database.db;
  const storedCases = await db.select({ id: cases.id }).from(cases).where(inArray(cases.id, load.created));
  expect(storedCases.map((c) => c.id).sort()).toEqual([...load.created].sort());
  const storedNotes = await db.select({ id: notes.id }).from(notes).where(inArray(notes.id, load.noted));
  expect(storedNotes.map((n) => n.id).sort()).toEqual([...load.noted].sort());

  // Job polling survived: a timer sent now is fetched and completed by the worker.
  const actionId = uuidv7();
  await t.ctx.database.write((tx) => t.ctx.scheduler.schedule(tx, APPROVAL_EXPIRY_QUEUE, { actionId, round: 1, step: 0 }, new Date()));
  await eventually('the expiry worker completes a job sent after the outage', async () => {
    const rows = resultRows<{ state: string }>(await db.execute(sql`select state from pgboss.job where data->>'actionId' = ${actionId}`));
    return rows[0]?.state === 'completed';
  });

  // The sequencer leads again by itself and integrates everything (no drain() from here).
  await eventually('the sequencer leads again and the log catches up', async () => {
    const pending = resultRows<{ n: number }>(await db.execute(sql`select count(*)::int as n from log_pending`))[0]!.n;
    return t.ctx.log.sequencer.leading && Number(pending) === 0;
  });
  const store = await verifyStore(db);
  expect(store.broken).toEqual([]);
  expect(store.ok).toBe(true);
  const log = await verifyLog(db, { trusted: parseTrustFile(parseSignerKeys(TEST_LOG_KEY)[0]!.verifierKey) });
  expect(log.problems).toEqual([]);
  expect(log.ok).toBe(true);
}

describe('backends terminated under concurrent load (postgres)', () => {
  let t: TestLatch;
  let admin: pg.Client;
  beforeAll(async () => {
    t = await startTestLatch('postgres');
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await t?.close();
  });

  it('answers 503 DATABASE_UNAVAILABLE meanwhile, keeps serving, loses nothing acknowledged, and the log catches up', async () => {
    const database = new URL(t.databaseUrl!).pathname.slice(1);
    const terminateAll = async () =>
      (await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database])).rowCount ?? 0;
    const send: Send = async (method, url, payload) => {
      const res = await t.app.inject({ method, url, headers: bearer(t.users.operator), ...(payload ? { payload } : {}) });
      return { status: res.statusCode, body: res.json(), retryAfter: res.headers['retry-after'] as string | undefined };
    };
    let leader: number | undefined;
    await eventually('the sequencer leads', async () => (leader = await leaderPid(admin, database)) !== undefined);
    const load = startLoad(send, 8);
    try {
      for (let round = 0; round < 4; round++) {
        await load.acknowledged(10);
        expect(await terminateAll()).toBeGreaterThan(0);
      }
      await load.acknowledged(20);
    } finally {
      await load.stop();
    }
    await expectRodeThrough(t, load);
    // The lead was lost with its connection and taken again on a new one.
    const now = await leaderPid(admin, database);
    expect(now).toBeDefined();
    expect(now).not.toBe(leader);
  });
});

describe('a local PostgreSQL stopped for a few seconds and started again', () => {
  let cluster: LocalPostgres | undefined;
  let t: TestLatch | undefined;
  let base = '';
  beforeAll(async () => {
    cluster = await LocalPostgres.create();
    t = await startTestLatch('postgres', { LATCH_DATABASE_URL: cluster.url });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close().catch(() => undefined);
    await cluster?.destroy();
  });

  const send: Send = async (method, path, payload) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...bearer(t!.users.operator), ...(payload ? { 'content-type': 'application/json' } : {}) },
      ...(payload ? { body: JSON.stringify(payload) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Answer['body'], retryAfter: res.headers.get('retry-after') ?? undefined };
  };

  it('answers 503 while it is down, serves again by itself once it is up, and loses nothing acknowledged', async () => {
    const load = startLoad(send, 4);
    try {
      await load.acknowledged(20);
      await cluster!.stop('fast');
      // Down: every request that needs the database is refused in the documented shape.
      const down = await send('POST', '/api/v1/cases', refundBody());
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ error: { code: 'DATABASE_UNAVAILABLE', message: expect.any(String) } });
      expect(down.retryAfter).toMatch(/^\d+$/);
      await sleep(3000);
      await cluster!.start();
      // Back within seconds of the database answering: polled, with a generous bound.
      await eventually('a case is created after the restart', async () => (await send('POST', '/api/v1/cases', refundBody())).status === 201);
      await load.acknowledged(20);
    } finally {
      await load.stop();
    }
    expect(load.answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
    await expectRodeThrough(t!, load);
  });
});

describe('requests arriving while the server closes', () => {
  let t: TestLatch;
  let base = '';
  let letCloseFinish!: () => void;
  beforeAll(async () => {
    t = await startTestLatch('pglite');
    // Holds the close between "closing" and the listener going away, where Fastify would answer
    // its own 503 body: a request sent then meets the running server's drain.
    const held = new Promise<void>((resolve) => (letCloseFinish = resolve));
    t.app.addHook('preClose', () => held);
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    letCloseFinish();
    await t?.close();
  });

  it("are refused with 503 SHUTTING_DOWN in the API's error shape, not Fastify's", async () => {
    const before = await fetch(`${base}/api/v1/cases`, { headers: bearer(t.users.operator) });
    expect(before.status).toBe(200);
    const closing = t.app.close();
    const during = await fetch(`${base}/api/v1/cases`, { headers: bearer(t.users.operator) });
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await during.json()).toEqual({ error: { code: 'SHUTTING_DOWN', message: expect.any(String) } });
    letCloseFinish();
    await closing;
  });
});
