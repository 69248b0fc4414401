import { parseSignerKeys, parseTrustFile } from '@latch/core';
import { eq } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLog } from '../src/audit/verify-log.js';
import { verifyStore } from '../src/audit/verify-store.js';
import { sqlState } from '../src/db/database.js';
import { attachments, cases, events, notes } from '../src/db/schema.js';
import { bearer, DB_KINDS, refundBody, startTestLatch, TEST_LOG_KEY, type TestLatch } from './harness.js';

// Issue 16: PATCH beside notes deadlocked (the update held the case row and waited for the stream
// head; the note held the head and its foreign key waited for the row), and so did exports beside
// attachments and notes. Every writer now takes the case row before the head, and Database.write
// retries whatever deadlock is left: no writer may see a 5xx, and nothing acknowledged may be lost.

interface Outcome {
  readonly what: 'patch' | 'note' | 'attachment' | 'export';
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const WRITERS = { patch: 4, note: 4, attachment: 3, export: 2 } as const;
const ROUNDS = 6;

describe.each(DB_KINDS)('concurrent writers on one case on %s', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch(kind);
  });
  afterAll(async () => t?.close());

  it('PATCH beside notes, attachments and exports: no 5xx, every acknowledged write kept, chains and log verify', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const outcomes: Outcome[] = [];
    const record = (what: Outcome['what'], res: { statusCode: number; json(): unknown }) => {
      outcomes.push({ what, status: res.statusCode, body: res.json() as Record<string, unknown> });
      return res.statusCode;
    };

    // A patcher reads the version and patches at it; a 409 (someone else got there first) is re-read.
    const patcher = async (w: number) => {
      for (let i = 0; i < ROUNDS; i++) {
        const current = await t.app.inject({ url: `/api/v1/cases/${id}`, headers: bearer(t.users.operator) });
        expect(current.statusCode).toBe(200);
        const res = await t.app.inject({
          method: 'PATCH',
          url: `/api/v1/cases/${id}`,
          headers: { ...bearer(t.users.operator), 'if-match': `"${current.json().version}"` },
          payload: { description: `patch ${w}-${i}` },
        });
        record('patch', res);
      }
    };
    const noter = async (w: number) => {
      for (let i = 0; i < ROUNDS; i++) {
        record('note', await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/notes`, headers: bearer(t.users.operator), payload: { body: `note ${w}-${i}` } }));
      }
    };
    const attacher = async (w: number) => {
      for (let i = 0; i < ROUNDS; i++) {
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/cases/${id}/attachments?filename=${encodeURIComponent(`receipt-${w}-${i}.txt`)}`,
          headers: { ...bearer(t.users.operator), 'content-type': 'text/plain' },
          // Some contents repeat across writers: the shared blob row is locked by both uploads.
          payload: Buffer.from(`receipt ${i % 2}`),
        });
        record('attachment', res);
      }
    };
    const exporter = async () => {
      for (let i = 0; i < ROUNDS; i++) record('export', await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/exports`, headers: bearer(t.users.admin), payload: {} }));
    };
    await Promise.all([
      ...Array.from({ length: WRITERS.patch }, (_, w) => patcher(w)),
      ...Array.from({ length: WRITERS.note }, (_, w) => noter(w)),
      ...Array.from({ length: WRITERS.attachment }, (_, w) => attacher(w)),
      ...Array.from({ length: WRITERS.export }, () => exporter()),
    ]);

    // No 5xx at all; the only refusal allowed is a patch at a version someone else moved past.
    const unexpected = outcomes.filter((o) => !(o.status === 201 || (o.what === 'patch' && (o.status === 200 || o.status === 409))));
    expect(unexpected).toEqual([]);
    for (const o of outcomes.filter((o) => o.status === 409)) expect(o.body).toMatchObject({ error: { code: 'VERSION_CONFLICT' } });
    const ok = (what: Outcome['what']) => outcomes.filter((o) => o.what === what && o.status < 300);
    expect(ok('note')).toHaveLength(WRITERS.note * ROUNDS);
    expect(ok('attachment')).toHaveLength(WRITERS.attachment * ROUNDS);
    expect(ok('export')).toHaveLength(WRITERS.export * ROUNDS);
    expect(ok('patch').length).toBeGreaterThan(0);

    // Every acknowledged write is there, once.
    const db = t.ctx.database.db;
    const noteIds = (await db.select({ id: notes.id }).from(notes).where(eq(notes.caseId, id))).map((n) => n.id);
    expect(noteIds.sort()).toEqual(ok('note').map((o) => o.body.id as string).sort());
    const attachmentIds = (await db.select({ id: attachments.id }).from(attachments).where(eq(attachments.caseId, id))).map((a) => a.id);
    expect(attachmentIds.sort()).toEqual(ok('attachment').map((o) => o.body.id as string).sort());
    const timeline = await db.select({ id: events.id, kind: events.kind }).from(events).where(eq(events.stream, id));
    const exported = timeline.filter((e) => e.kind === 'case.exported').map((e) => e.id);
    expect(exported.sort()).toEqual(ok('export').map((o) => o.body.eventId as string).sort());
    expect(timeline.filter((e) => e.kind === 'field.changed')).toHaveLength(ok('patch').length);
    const [row] = await db.select({ version: cases.version, description: cases.description }).from(cases).where(eq(cases.id, id));
    expect(row!.version).toBe(1 + ok('patch').length);
    // The last acknowledged patch (highest version) is what the case says now.
    const last = ok('patch').reduce((a, b) => ((a.body.version as number) > (b.body.version as number) ? a : b));
    expect(row!.description).toBe(last.body.description);

    // Chains and the log verify, and the log catches up with every event.
    const store = await verifyStore(db);
    expect(store.broken).toEqual([]);
    expect(store.ok).toBe(true);
    await t.ctx.log.sequencer.drain();
    const log = await verifyLog(db, { trusted: parseTrustFile(parseSignerKeys(TEST_LOG_KEY)[0]!.verifierKey) });
    expect(log.problems).toEqual([]);
    expect(log.pending).toBe(0);
    expect(log.ok).toBe(true);
  });
  it('links both ways, proposals and notes beside patches on two cases: no 5xx, every acknowledged write kept', async () => {
    const make = async () => (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id as string;
    const [a, b] = [await make(), await make()];
    const statuses: { what: string; status: number; code?: string }[] = [];
    const send = async (what: string, options: InjectOptions) => {
      const res = await t.app.inject(options);
      statuses.push({ what, status: res.statusCode, ...(res.statusCode >= 400 ? { code: res.json().error?.code } : {}) });
      return res;
    };
    const operator = bearer(t.users.operator);
    const linker = async (from: string, to: string) => {
      for (const kind of ['relates', 'duplicates', 'blocks', 'parent_of']) {
        const link = await send('link', { method: 'POST', url: `/api/v1/cases/${from}/links`, headers: operator, payload: { caseId: to, kind } });
        if (link.statusCode === 201) await send('unlink', { method: 'DELETE', url: `/api/v1/cases/${to}/links/${link.json().id}`, headers: operator });
      }
    };
    const proposer = async (w: number) => {
      for (let i = 0; i < ROUNDS; i++) {
        const input = { payment_intent: 'pi_123', amount_minor: 100 + w * 100 + i, currency: 'usd', reason: 'duplicate' };
        await send('propose', { method: 'POST', url: `/api/v1/cases/${a}/actions`, headers: operator, payload: { plugin: 'stripe', action: 'refund', input } });
      }
    };
    const patcher = async (id: string) => {
      for (let i = 0; i < ROUNDS; i++) {
        const version = (await t.app.inject({ url: `/api/v1/cases/${id}`, headers: operator })).json().version as number;
        await send('patch', { method: 'PATCH', url: `/api/v1/cases/${id}`, headers: { ...operator, 'if-match': `"${version}"` }, payload: { description: `patch ${i}` } });
      }
    };
    const noter = async (id: string) => {
      for (let i = 0; i < ROUNDS; i++) await send('note', { method: 'POST', url: `/api/v1/cases/${id}/notes`, headers: operator, payload: { body: `note ${i}` } });
    };
    await Promise.all([linker(a, b), linker(b, a), proposer(0), proposer(1), patcher(a), patcher(b), noter(a), noter(b)]);

    // Links the other way round may already exist (409 ALREADY_EXISTS); a patch may be stale (409).
    const refused = statuses.filter((s) => s.status >= 300 && !(s.status === 409 && ['VERSION_CONFLICT', 'ALREADY_EXISTS'].includes(s.code!)));
    expect(refused).toEqual([]);
    const db = t.ctx.database.db;
    const kinds = async (id: string) => (await db.select({ kind: events.kind }).from(events).where(eq(events.stream, id))).map((e) => e.kind);
    const count = (list: string[], kind: string) => list.filter((k) => k === kind).length;
    const [onA, onB] = [await kinds(a), await kinds(b)];
    const ok = (what: string) => statuses.filter((s) => s.what === what && s.status < 300).length;
    expect(count(onA, 'action.proposed')).toBe(ok('propose'));
    expect(ok('propose')).toBe(2 * ROUNDS);
    expect(count(onA, 'note.added') + count(onB, 'note.added')).toBe(2 * ROUNDS);
    expect(count(onA, 'field.changed') + count(onB, 'field.changed')).toBe(ok('patch'));
    // Every link and unlink is recorded on both cases.
    for (const on of [onA, onB]) {
      expect(count(on, 'link.added')).toBe(ok('link'));
      expect(count(on, 'link.removed')).toBe(ok('unlink'));
    }
    expect((await verifyStore(db)).broken).toEqual([]);
  });
});

// Deadlocks need two connections: PGlite has one, so this is PostgreSQL's alone.
describe('Database.write on postgres', () => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch('postgres');
  });
  afterAll(async () => t?.close());

  it('runs a deadlocked transaction again, whole, instead of failing it', async () => {
    const make = async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
      expect(res.statusCode).toBe(201);
      return res.json().id as string;
    };
    const [a, b] = [await make(), await make()];
    // Two transactions lock the same two rows in opposite orders, each holding its first before taking
    // its second: PostgreSQL kills one (40P01), and Database.write runs that one again from the start.
    let runs = 0;
    const failures: (string | undefined)[] = [];
    const held: Record<string, () => void> = {};
    const holding = Object.fromEntries([a, b].map((id) => [id, new Promise<void>((resolve) => (held[id] = resolve))]));
    const crossing = (first: string, second: string) =>
      t.ctx.database.write(async (tx) => {
        runs++;
        await tx.select().from(cases).where(eq(cases.id, first)).for('update');
        held[first]!();
        await holding[second];
        await tx
          .update(cases)
          .set({ description: `${first} then ${second}` })
          .where(eq(cases.id, second))
          .catch((error: unknown) => {
            failures.push(sqlState(error));
            throw error;
          });
        return second;
      });
    expect(await Promise.all([crossing(a, b), crossing(b, a)])).toEqual([b, a]);
    expect(failures).toEqual(['40P01']);
    expect(runs).toBe(3);
  });
});
