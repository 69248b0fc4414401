import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStripeServer, type StripeServer } from '../../../packages/server/test/fakes/stripe-server.js';
import { createStripeClient, parseSettings } from '../src/client.js';
import { reconcileRefund } from '../src/reconcile.js';
import { executeRefund, type RefundInput } from '../src/refund.js';

const API_KEY = 'sk_test_finance_secret';
let server: StripeServer;
let intent: Record<string, unknown>;

const stripeOf = (s: StripeServer) => createStripeClient(parseSettings({ apiBase: s.url }, { apiKey: API_KEY }));
const byIntent = (amount: number): RefundInput => ({ payment_intent: String(intent.id), amount_minor: amount, currency: 'usd', reason: 'requested_by_customer' });
const opts = (n: number) => ({ idempotencyKey: `latch-a${n}-r1-e1`, requestId: `action-${n}`, caseId: 'case-9' });
const posts = () => server.requests.filter((r) => r.method === 'POST');

beforeEach(async () => {
  server = await startStripeServer();
  intent = server.addPaymentIntent(10_000, 'usd');
});
afterEach(async () => server.close());

describe('refunds as a finance team needs them', () => {
  it('refuses, permanently and before any refund, more than is still refundable, counting refunds made outside Latch', async () => {
    server.ledger.createRefund({ payment_intent: String(intent.id), amount: '7000' }); // from the Dashboard
    const result = await executeRefund(stripeOf(server), byIntent(3_500), opts(1));
    expect(result).toMatchObject({ status: 'failed', retryable: false, effect: 'none' });
    expect(result.summary).toBe(`Not refunded: 35.00 USD asked, but only 30.00 USD of ${String(intent.id)} is still refundable (received 100.00 USD, already refunded or in progress 70.00 USD, including refunds made outside Latch)`);
    expect(posts()).toHaveLength(0);
    await expect(executeRefund(stripeOf(server), byIntent(3_000), opts(2))).resolves.toMatchObject({ status: 'succeeded' });
  });

  it('refunds by charge id, with the case and action in the metadata', async () => {
    const result = await executeRefund(stripeOf(server), { charge: String(intent.latest_charge), amount_minor: 1_000, currency: 'usd', reason: 'duplicate' }, opts(3));
    expect(result).toMatchObject({ status: 'succeeded', summary: expect.stringMatching(/^Refunded 10\.00 USD \(re_/) as string });
    expect([...server.refunds.values()][0]).toMatchObject({ charge: intent.latest_charge, metadata: { latch_action: 'action-3', latch_case: 'case-9' } });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/charges/${String(intent.latest_charge)}`, 'GET /v1/refunds', 'POST /v1/refunds']);
    await expect(executeRefund(stripeOf(server), { charge: 'ch_nope', amount_minor: 1, currency: 'usd', reason: 'duplicate' }, opts(4))).resolves.toMatchObject({ status: 'failed', retryable: false, effect: 'none' });
    const both = await executeRefund(stripeOf(server), { ...byIntent(1), charge: 'ch_x' } as unknown as RefundInput, opts(5));
    expect(both).toMatchObject({ status: 'failed', retryable: false, summary: 'Invalid refund input: give exactly one of payment_intent and charge' });
  });

  it('reports a pending refund as pending, and reconcile follows it to succeeded or failed', async () => {
    server.ledger.refundStatus = 'pending';
    const pending = await executeRefund(stripeOf(server), byIntent(2_000), opts(6));
    expect(pending).toMatchObject({ status: 'pending', output: { status: 'pending', amount: 2_000 } });
    expect(pending.summary).toMatch(/^Refund of 20\.00 USD is pending at Stripe \(re_/);
    const id = [...server.refunds.keys()][0]!;
    await expect(reconcileRefund(stripeOf(server), byIntent(2_000), 'action-6')).resolves.toMatchObject({ found: true, result: { status: 'pending' } });
    server.ledger.settleRefund(id, 'succeeded');
    await expect(reconcileRefund(stripeOf(server), byIntent(2_000), 'action-6')).resolves.toMatchObject({ found: true, result: { status: 'succeeded', summary: `Refunded 20.00 USD (${id})` } });
    server.ledger.settleRefund(id, 'failed', 'lost_or_stolen_card');
    const failed = await reconcileRefund(stripeOf(server), byIntent(2_000), 'action-6');
    expect(failed).toMatchObject({ found: true, result: { status: 'failed', retryable: false, effect: 'none' } });
    expect(failed.found && failed.result.summary).toBe(`Stripe's refund ${id} of 20.00 USD failed: lost_or_stolen_card`);
  });

  it('reconcile finds this request’s refund whatever key made it, and nothing for another request', async () => {
    await executeRefund(stripeOf(server), byIntent(500), opts(7));
    const found = await reconcileRefund(stripeOf(server), byIntent(500), 'action-7');
    expect(found).toMatchObject({ found: true, result: { status: 'succeeded', output: { amount: 500 }, external: { request: { method: 'GET', url: `${server.url}/v1/refunds?payment_intent=${String(intent.id)}&limit=100` } } } });
    await expect(reconcileRefund(stripeOf(server), byIntent(500), 'action-8')).resolves.toEqual({ found: false });
  });

  it('reconcile throws when Stripe cannot be asked, rather than say "not found"', async () => {
    server.inject({ kind: 'api_error', path: '/v1/refunds', method: 'GET' });
    await expect(reconcileRefund(stripeOf(server), byIntent(500), 'action-9')).rejects.toMatchObject({ statusCode: 500 });
  });
});
