import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DB_KINDS, refundBody, startTestLatch, type TestLatch } from './harness.js';

type Event = { kind: string; data: { actionId?: string; history?: { samePayment: { sum: number; count: number } } } };

/**
 * The shipped refund policy (refund v6, refund_threshold v4) against a split: one payment refunded
 * 500.00 at a time from five different cases, each under the 500.00 threshold on its own and on its
 * case. v5 (the case's refunds only) approved all five; v6 adds the payment's refunds on any case.
 */
describe.each(DB_KINDS)('a refund split across cases of one payment (refund v6) on %s', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch(kind);
  });
  afterAll(async () => t?.close());

  const newCase = async (payment: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ fields: { order_id: '77', amount_minor: 50_000, currency: 'usd', payment_intent: payment } }) });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().typeVersion).toBe(6);
    return res.json().id as string;
  };
  const propose = async (caseId: string, payment: string) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input: { payment_intent: payment, amount_minor: 50_000, currency: 'usd', reason: 'requested_by_customer' } } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; status: string; policy: { key: string; version: number } };
  };

  it('asks for the reviewer from the second 500.00 refund of one payment, whichever case it is proposed on', async () => {
    const results = [];
    const cases: string[] = [];
    for (let i = 0; i < 5; i++) {
      const caseId = await newCase('pi_splitacross');
      cases.push(caseId);
      results.push(await propose(caseId, 'pi_splitacross'));
    }
    expect(results.map((r) => r.status)).toEqual(['approved', 'awaiting_approval', 'awaiting_approval', 'awaiting_approval', 'awaiting_approval']);
    expect(results[0]!.policy).toEqual({ key: 'refund_threshold', version: 4 });
    // What the policy saw is on each case's record: the payment's earlier refunds elsewhere.
    const fifth = ((await t.app.inject({ url: `/api/v1/cases/${cases[4]}/timeline`, headers: bearer(t.users.admin) })).json().items as Event[]).find((e) => e.kind === 'action.proposed')!;
    expect(fifth.data.history!.samePayment).toEqual({ sum: 200_000, count: 4 });

    // Another payment's refund of the same size, on a case of its own, still needs no one.
    const other = await newCase('pi_unrelated');
    expect((await propose(other, 'pi_unrelated')).status).toBe('approved');
  });
});
