import type { Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../src/config.js';
import { buildApp, type LatchApp } from '../src/http/app.js';
import { openLatch } from '../src/runtime.js';
import { bearer, DB_KINDS, TEST_CONFIG_DIR, refundBody, sessionFor, startTestLatch, TEST_LOG_KEY, type TestLatch } from './harness.js';

// Issue 10: the case page updates live. An append NOTIFYs at commit; each process LISTENs and
// forwards {seq, kind} hints to the case's open streams, checking access again before each.

interface LiveEvent {
  readonly id?: string;
  readonly data: { seq?: number; kind: string };
}

/** An open text/event-stream, parsed as it arrives. */
interface OpenStream {
  readonly status: number;
  readonly contentType: string | null;
  readonly events: LiveEvent[];
  /** Resolves when an event matching `test` has arrived; rejects if the stream ends first. */
  next(test: (event: LiveEvent) => boolean): Promise<LiveEvent>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

async function openStream(base: string, path: string, headers: Record<string, string>): Promise<OpenStream> {
  const abort = new AbortController();
  const res = await fetch(`${base}${path}`, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: LiveEvent[] = [];
  const waiters: Array<{ test: (e: LiveEvent) => boolean; resolve: (e: LiveEvent) => void; reject: (e: Error) => void }> = [];
  let buffer = '';
  const ended = (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const id = /^id: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data === undefined) continue;
          const event: LiveEvent = { ...(id !== undefined ? { id } : {}), data: JSON.parse(data) as LiveEvent['data'] };
          events.push(event);
          for (const w of waiters.filter((w) => w.test(event))) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(event);
          }
        }
      }
    } catch {
      // aborted by close()
    }
    for (const w of waiters.splice(0)) w.reject(new Error(`stream ended; events: ${JSON.stringify(events)}`));
  })();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    ended,
    next: (test) => {
      const found = events.find(test);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => waiters.push({ test, resolve, reject }));
    },
    close: () => abort.abort(),
  };
}

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe.each(DB_KINDS)('live case updates on %s', (kind) => {
  let t: TestLatch;
  let base: string;
  const connections = new Set<Socket>();
  beforeAll(async () => {
    t = await startTestLatch(kind);
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    t.app.server.on('connection', (socket: Socket) => {
      connections.add(socket);
      socket.once('close', () => connections.delete(socket));
    });
  });
  afterAll(async () => {
    // fetch's connection pool leaves connections it opened and never sent a request on (after the
    // streams it aborted). Node counts those as waiting for a request's headers, so the server's close
    // waited on them until its headers timeout: 70 s of this file's 90. The test drops them itself.
    for (const socket of connections) if (socket.bytesRead === 0) socket.destroy();
    await t?.close();
  });

  const newCase = async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };
  const note = (caseId: string, user = t.users.approver) =>
    t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/notes`, headers: bearer(user), payload: { body: 'looked at it' } });

  it("a second writer's note reaches an open stream as a {seq, kind} hint, with nothing of the note in it", async () => {
    const caseId = await newCase();
    const stream = await openStream(base, `/api/v1/cases/${caseId}/live`, await sessionFor(t.app, t.users.operator));
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect((await note(caseId)).statusCode).toBe(201);
    const hint = await stream.next((e) => e.data.kind === 'note.added');
    expect(hint.data).toEqual({ seq: 2, kind: 'note.added' });
    expect(hint.id).toBe('2');
    expect(JSON.stringify(stream.events)).not.toContain('looked at it');
    stream.close();
  });

  it('a reconnect with Last-Event-ID behind the case is told to refetch; one that is current is told nothing', async () => {
    const caseId = await newCase();
    await note(caseId);
    const behind = await openStream(base, `/api/v1/cases/${caseId}/live`, { ...bearer(t.users.operator), 'last-event-id': '1' });
    expect((await behind.next(() => true)).data).toEqual({ seq: 2, kind: 'resync' });
    const current = await openStream(base, `/api/v1/cases/${caseId}/live`, { ...bearer(t.users.operator), 'last-event-id': '2' });
    await note(caseId);
    // The first thing the current stream hears is the new note, not a resync.
    expect((await current.next(() => true)).data).toEqual({ seq: 3, kind: 'note.added' });
    behind.close();
    current.close();
  });

  it('an outsider gets 404, like a missing case; anonymous gets 401', async () => {
    const caseId = await newCase();
    const outsider = await fetch(`${base}/api/v1/cases/${caseId}/live`, { headers: bearer(t.users.outsider) });
    expect([outsider.status, (await errorCode(outsider))]).toEqual([404, 'NOT_FOUND']);
    const anonymous = await fetch(`${base}/api/v1/cases/${caseId}/live`);
    expect([anonymous.status, (await errorCode(anonymous))]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('logging out ends the stream before the next hint is sent', async () => {
    const caseId = await newCase();
    const session = await sessionFor(t.app, t.users.operator);
    const stream = await openStream(base, `/api/v1/cases/${caseId}/live`, session);
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: session });
    expect(out.statusCode).toBe(204);
    await note(caseId);
    await stream.ended;
    expect(stream.events).toEqual([]);
  });

  it('a user may hold at most 10 streams: the eleventh is 429 RATE_LIMITED, and closing one frees a place', async () => {
    const caseId = await newCase();
    const streams = [];
    for (let i = 0; i < 10; i++) streams.push(await openStream(base, `/api/v1/cases/${caseId}/live`, bearer(t.users.approver2)));
    expect(streams.map((s) => s.status)).toEqual(Array(10).fill(200));
    const refused = await fetch(`${base}/api/v1/cases/${caseId}/live`, { headers: bearer(t.users.approver2) });
    expect([refused.status, (await errorCode(refused))]).toEqual([429, 'RATE_LIMITED']);
    streams.pop()!.close();
    // The server hears the close asynchronously: a new stream is accepted once it has.
    let again: OpenStream | undefined;
    for (let i = 0; i < 50 && again?.status !== 200; i++) {
      again?.close();
      await new Promise((r) => setTimeout(r, 20));
      again = await openStream(base, `/api/v1/cases/${caseId}/live`, bearer(t.users.approver2));
    }
    expect(again?.status).toBe(200);
    for (const s of [...streams, again!]) s.close();
  });

  it('GET /api/v1/live tells a reviewer when an action moves on a case they can see, and never one they cannot', async () => {
    const refundsCase = await newCase();
    const hidden = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.outsider), payload: refundBody({ queue: 'elsewhere' }) });
    expect(hidden.statusCode).toBe(201);
    const approverStream = await openStream(base, '/api/v1/live', bearer(t.users.approver));
    expect(approverStream.status).toBe(200);
    const propose = (caseId: string, user: typeof t.users.operator) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/cases/${caseId}/actions`,
        headers: bearer(user),
        payload: { plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_1', amount_minor: 75_000, currency: 'usd', reason: 'duplicate' } },
      });
    // A proposal on a case they can see: one hint, naming no case.
    expect((await propose(refundsCase, t.users.operator)).statusCode).toBe(201);
    await approverStream.next((e) => e.data.kind === 'approvals');
    expect(approverStream.events).toEqual([{ data: { kind: 'approvals' } }]);
    approverStream.close();

    // One on a case they can't see (queue 'elsewhere'), then they log out, then one they could see:
    // hints are checked and sent in order, so the stream ends at the last one having sent nothing.
    const session = await sessionFor(t.app, t.users.approver);
    const quiet = await openStream(base, '/api/v1/live', session);
    expect((await propose(hidden.json().id, t.users.outsider)).statusCode).toBe(201);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: session })).statusCode).toBe(204);
    expect((await note(refundsCase)).statusCode).toBe(201);
    const another = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    expect((await propose(another.json().id, t.users.operator)).statusCode).toBe(201);
    await quiet.ended;
    expect(quiet.events).toEqual([]);
    const operator = await fetch(`${base}/api/v1/live`, { headers: bearer(t.users.operator) });
    expect([operator.status, await errorCode(operator)]).toEqual([403, 'PERMISSION_DENIED']);
  });
});

describe.runIf(DB_KINDS.includes('postgres'))('live updates across two Latch processes on one PostgreSQL', () => {
  let t: TestLatch;
  let appB: LatchApp;
  let closeB: () => Promise<void>;
  beforeAll(async () => {
    t = await startTestLatch('postgres');
    const config = readConfig({ LATCH_CONFIG_DIR: TEST_CONFIG_DIR, LATCH_LOG_KEY: TEST_LOG_KEY, LATCH_DATABASE_URL: t.databaseUrl! });
    const latchB = await openLatch(config, { migrate: false, log: () => undefined });
    appB = await buildApp(latchB.ctx);
    closeB = async () => {
      await appB.close();
      await latchB.close();
    };
  });
  afterAll(async () => {
    await closeB?.();
    await t?.close();
  });

  it('a write through app A reaches a stream opened on app B', async () => {
    const base = await appB.listen({ port: 0, host: '127.0.0.1' });
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    const caseId = created.json().id as string;
    const stream = await openStream(base, `/api/v1/cases/${caseId}/live`, bearer(t.users.operator));
    expect(stream.status).toBe(200);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/notes`, headers: bearer(t.users.approver), payload: { body: 'from A' } });
    expect(res.statusCode).toBe(201);
    expect((await stream.next((e) => e.data.kind === 'note.added')).data).toEqual({ seq: 2, kind: 'note.added' });
    stream.close();
  });

  it("the LISTEN connection is re-made after the database drops it: streams are told to refetch, then hear new writes", async () => {
    const base = appB.server.address() ? `http://127.0.0.1:${(appB.server.address() as { port: number }).port}` : await appB.listen({ port: 0, host: '127.0.0.1' });
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    const caseId = created.json().id as string;
    const stream = await openStream(base, `/api/v1/cases/${caseId}/live`, bearer(t.users.operator));
    const admin = new pg.Client({ connectionString: t.databaseUrl });
    await admin.connect();
    const killed = await admin.query(
      "select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = 'latch-live' and datname = current_database()",
    );
    await admin.end();
    // Only app B listens: a process LISTENs from its first open stream on.
    expect(killed.rows.length).toBe(1);
    await stream.next((e) => e.data.kind === 'resync');
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/notes`, headers: bearer(t.users.approver), payload: { body: 'after' } });
    expect(res.statusCode).toBe(201);
    expect((await stream.next((e) => e.data.kind === 'note.added')).data).toEqual({ seq: 2, kind: 'note.added' });
    stream.close();
  });
});
