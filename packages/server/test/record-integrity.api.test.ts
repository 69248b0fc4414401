import { parseSignerKeys, parseTrustFile } from '@latch/core';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLog } from '../src/audit/verify-log.js';
import { verifyStore } from '../src/audit/verify-store.js';
import { SYSTEM_STREAM } from '../src/db/event-store.js';
import { actionRequests, cases, events } from '../src/db/schema.js';
import { bearer, DB_KINDS, refundBody, startTestLatch, TEST_LOG_KEY, type TestLatch, type TestUser } from './harness.js';

const trusted = () => parseTrustFile(parseSignerKeys(TEST_LOG_KEY)[0]!.verifierKey);
const refundInput = (amount: number) => ({ payment_intent: 'pi_123', amount_minor: amount, currency: 'usd', reason: 'duplicate' });

/** The record of a case is written only by those who may read it, and no request can make it fail verification. */
describe.each(DB_KINDS)('a case record belongs to the case (%s)', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch(kind);
  });
  afterAll(() => t?.close());

  const newCase = async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  const kindsOn = async (stream: string) =>
    (await t.ctx.database.db.select({ kind: events.kind, bytes: events.bytes }).from(events).where(eq(events.stream, stream))).map((e) => e);
  const chainsVerify = async () => {
    const store = await verifyStore(t.ctx.database.db);
    expect(store.ok, JSON.stringify(store)).toBe(true);
    const log = await verifyLog(t.ctx.database.db, { trusted: trusted() });
    expect(log.problems).toEqual([]);
  };

  it('reads an id in any case as the same case, and records nothing on a case its caller cannot see', async () => {
    const caseId = await newCase();
    const upper = caseId.toUpperCase();
    const before = (await kindsOn(caseId)).length;

    const outsider = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${upper}/actions`,
      headers: bearer(t.users.outsider),
      payload: { plugin: 'jane.doe@victim.example', action: 'IBAN DE89 3704 0044 0532 0130 00', input: {} },
    });
    expect(outsider.statusCode).toBe(404);
    expect(outsider.json().error.code).toBe('NOT_FOUND');
    expect((await kindsOn(caseId)).length).toBe(before);

    // The outsider's refusal is on the system stream, with the canonical id and no clear text of theirs.
    const system = (await kindsOn(SYSTEM_STREAM)).filter((e) => e.kind === 'attempt.blocked').at(-1)!;
    const body = JSON.parse(system.bytes);
    expect(body.data).toMatchObject({ attempt: 'action.propose', code: 'NOT_FOUND', caseId });
    expect(system.bytes).not.toContain('victim.example');
    expect(system.bytes).not.toContain('DE89');
    expect(system.bytes).not.toContain(upper);

    // Someone who may see the case reaches it through the upper-case id too, and the chain holds.
    const shown = await t.app.inject({ method: 'GET', url: `/api/v1/cases/${upper}`, headers: bearer(t.users.operator) });
    expect(shown.statusCode).toBe(200);
    expect(shown.json().id).toBe(caseId);
    const note = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${upper}/notes`, headers: bearer(t.users.operator), payload: { body: 'through the upper-case id' } });
    expect(note.statusCode).toBe(201);
    await chainsVerify();
  });

  it('keeps what a caller typed into a refusal bounded and erasable, on the case they can see', async () => {
    const caseId = await newCase();
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${caseId}/actions`,
      headers: bearer(t.users.operator),
      payload: { plugin: 'jane.doe@victim.example', action: 'refund', input: refundInput(100) },
    });
    expect(res.statusCode).toBe(400);
    const blocked = (await kindsOn(caseId)).filter((e) => e.kind === 'attempt.blocked');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]!.bytes).not.toContain('victim.example');
    const timeline = (await t.app.inject({ method: 'GET', url: `/api/v1/cases/${caseId}/timeline`, headers: bearer(t.users.operator) })).json();
    const shown = timeline.items.find((e: { kind: string }) => e.kind === 'attempt.blocked');
    expect(shown.data).toMatchObject({ attempt: 'action.propose', code: 'ACTION_NOT_ALLOWED', details: { plugin: 'jane.doe@victim.example', action: 'refund' } });
    await chainsVerify();
  });

  it('refuses an id spelled other than in lower case inside a body', async () => {
    const a = await newCase();
    const b = await newCase();
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${a}/links`, headers: bearer(t.users.operator), payload: { caseId: b.toUpperCase(), kind: 'relates_to' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('answers a replayed Idempotency-Key and does nothing else', async () => {
    const caseId = await newCase();
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/cases/${caseId}/actions`,
        headers: { ...bearer(t.users.operator), 'idempotency-key': `propose-${caseId}` },
        payload: { plugin: 'stripe', action: 'refund', input: refundInput(60_000) },
      });
    const first = await send();
    expect(first.statusCode).toBe(201);
    const again = await send();
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    // Give a command that (wrongly) ran after the reply the time to write.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await kindsOn(caseId)).map((e) => e.kind)).toEqual(['case.created', 'action.proposed']);
    expect(await t.ctx.database.db.select().from(actionRequests).where(eq(actionRequests.caseId, caseId))).toHaveLength(1);

    const create = () => t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: { ...bearer(t.users.operator), 'idempotency-key': `create-${caseId}` }, payload: refundBody({ title: `once ${caseId}` }) });
    const made = await create();
    const remade = await create();
    expect(remade.json().id).toBe(made.json().id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await t.ctx.database.db.select({ id: cases.id }).from(cases).where(eq(cases.title, `once ${caseId}`))).toHaveLength(1);
  });

  it('refuses a case created where its creator could not see it', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.outsider), payload: refundBody({ queue: 'refunds' }) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'QUEUE_NOT_OWNED', details: { queue: 'refunds' } });
    const own = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.outsider), payload: refundBody({ queue: 'refunds', assigneeId: t.users.outsider.id }) });
    expect(own.statusCode).toBe(201);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/cases/${own.json().id}`, headers: bearer(t.users.outsider) })).statusCode).toBe(200);
  });

  it('no request of any shape, by anyone, makes a chain or the log fail verification', async () => {
    const caseId = await newCase();
    const proposed = (
      await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input: refundInput(70_000) } })
    ).json();
    const spell = (id: string, how: number) => [id, id.toUpperCase(), id.replace(/[a-f]/, (c) => c.toUpperCase()), `{${id}}`, id.replaceAll('-', ''), `${id} `][how]!;
    const people: TestUser[] = Object.values(t.users);
    const requests = fc.record({
      who: fc.integer({ min: 0, max: people.length - 1 }),
      how: fc.integer({ min: 0, max: 5 }),
      target: fc.constantFrom(caseId, proposed.id as string, '00000000-0000-7000-8000-000000000000', crypto.randomUUID()),
      route: fc.constantFrom(
        { method: 'POST', path: (id: string) => `/api/v1/cases/${id}/actions`, body: { plugin: 'stripe', action: 'refund', input: refundInput(1) } },
        { method: 'POST', path: (id: string) => `/api/v1/cases/${id}/notes`, body: { body: 'a note' } },
        { method: 'POST', path: (id: string) => `/api/v1/cases/${id}/attachments?filename=x.txt`, body: 'bytes' },
        { method: 'POST', path: (id: string) => `/api/v1/cases/${id}/exports`, body: {} },
        { method: 'POST', path: (id: string) => `/api/v1/cases/${id}/links`, body: { caseId, kind: 'relates_to' } },
        { method: 'PATCH', path: (id: string) => `/api/v1/cases/${id}`, body: { version: 1, priority: 'high' } },
        { method: 'POST', path: (id: string) => `/api/v1/actions/${id}/decisions`, body: { decision: 'approve', payloadHash: proposed.payloadHash } },
        { method: 'POST', path: (id: string) => `/api/v1/actions/${id}/cancel`, body: { reason: 'x' } },
        { method: 'POST', path: (id: string) => `/api/v1/actions/${id}/retry`, body: {} },
        { method: 'PATCH', path: (id: string) => `/api/v1/actions/${id}`, body: { input: refundInput(2) } },
      ),
    });
    await fc.assert(
      fc.asyncProperty(requests, async ({ who, how, target, route }) => {
        const body = typeof route.body === 'string' ? route.body : JSON.stringify(route.body);
        const res = await t.app.inject({
          method: route.method as 'POST' | 'PATCH',
          url: route.path(spell(target, how)),
          headers: { ...bearer(people[who]!), 'content-type': typeof route.body === 'string' ? 'text/plain' : 'application/json' },
          payload: body,
        });
        expect(res.statusCode, res.body).toBeLessThan(500);
      }),
      { numRuns: 80 },
    );
    await chainsVerify();
  });
});
