import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DB_KINDS, refundBody, sessionFor, startTestLatch, type TestLatch } from './harness.js';

/** `?awaiting=approval` on the queue and its count, and the `awaitingApproval` flag on each listed case. */
describe.each(DB_KINDS)('cases awaiting approval (%s)', (kind) => {
  let t: TestLatch;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestLatch(kind);
    const operator = bearer(t.users.operator);
    const open = async (name: string) => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: operator, payload: refundBody({ title: name }) });
      expect(res.statusCode, res.body).toBe(201);
      return (ids[name] = res.json().id as string);
    };
    const propose = async (caseId: string, amount: number) => {
      // A payment of its own per case: the refund policy also counts earlier refunds of the same payment.
      const input = { payment_intent: `pi_${caseId.replace(/[^A-Za-z0-9]/g, '')}`, amount_minor: amount, currency: 'usd', reason: 'requested_by_customer' };
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: operator, payload: { plugin: 'stripe', action: 'refund', input } });
      expect(res.statusCode, res.body).toBe(201);
      return res.json() as { id: string; status: string; payloadHash: string };
    };
    // Above the threshold: a second reviewer is required, so the action waits.
    expect((await propose(await open('waiting'), 90_000)).status).toBe('awaiting_approval');
    // Within it: approved at once, nothing waits.
    expect((await propose(await open('approved at once'), 1_000)).status).toBe('approved');
    // Waited, then was approved: no longer waiting.
    const decided = await propose(await open('decided'), 90_000);
    const approver = await sessionFor(t.app, t.users.approver);
    const decision = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${decided.id}/decisions`, headers: approver, payload: { decision: 'approve', payloadHash: decided.payloadHash } });
    expect(decision.statusCode, decision.body).toBe(201);
    await open('no action');
  });
  afterAll(() => t?.close());

  const list = async (query: string) => {
    const res = await t.app.inject({ url: `/api/v1/cases?limit=200${query}`, headers: bearer(t.users.operator) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items as { id: string; awaitingApproval: boolean }[];
  };

  it('lists exactly the cases with an action awaiting approval, and counts the same', async () => {
    expect((await list('&awaiting=approval')).map((c) => c.id)).toEqual([ids.waiting]);
    const count = await t.app.inject({ url: '/api/v1/cases/count?awaiting=approval', headers: bearer(t.users.operator) });
    expect(count.json()).toEqual({ count: 1, more: false });
  });

  it('flags each listed case', async () => {
    const flags = Object.fromEntries((await list('')).map((c) => [c.id, c.awaitingApproval]));
    expect(flags).toEqual({ [ids.waiting!]: true, [ids['approved at once']!]: false, [ids.decided!]: false, [ids['no action']!]: false });
  });

  it('combines with the other filters and keeps to what the reader may see', async () => {
    expect(await list('&awaiting=approval&priority=urgent')).toEqual([]);
    const outsider = await t.app.inject({ url: '/api/v1/cases?awaiting=approval', headers: bearer(t.users.outsider) });
    expect(outsider.json().items).toEqual([]);
  });

  it('refuses anything else to wait for with a stable code', async () => {
    const res = await t.app.inject({ url: '/api/v1/cases?awaiting=payment', headers: bearer(t.users.operator) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });
});
