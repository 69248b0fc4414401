import { RpcErrorCode, testPlugin } from '@latch/plugin-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStripeServer, type StripeServer } from '../../../packages/server/test/fakes/stripe-server.js';
import { createStripePlugin } from '../src/plugin.js';

const API_KEY = 'sk_test_context_secret';
let server: StripeServer;
beforeEach(async () => {
  server = await startStripeServer();
});
afterEach(async () => server.close());

const host = () => testPlugin(createStripePlugin(), { config: { apiBase: server.url }, secrets: { apiKey: API_KEY } });
const byLabel = (facts: { label: string; value: string }[]) => Object.fromEntries(facts.map((f) => [f.label, f.value]));

describe('stripe context: the order details of a refund case', () => {
  it('reads the intent, its amount and currency, the refunds so far and the customer\'s five most recent charges', async () => {
    const older = Array.from({ length: 6 }, (_, i) => String(server.addPaymentIntent(1_000 + i, 'eur', undefined, 'cus_ctx1').latest_charge));
    const intent = String(server.addPaymentIntent(60_000, 'eur', undefined, 'cus_ctx1').id);
    server.addPaymentIntent(999, 'eur', undefined, 'cus_other');
    server.ledger.createRefund({ payment_intent: intent, amount: '1500' });
    server.ledger.createRefund({ payment_intent: intent, amount: '500' });
    const h = host();
    const answer = await h.context({ caseId: 'c-1', caseType: 'refund', fields: { payment_intent: intent, order_id: 'A1' } });
    const facts = byLabel(answer.facts);
    expect(facts).toMatchObject({ 'Payment intent': intent, Amount: '600.00 EUR', Currency: 'EUR', 'Payment status': 'succeeded', 'Refunded so far': '20.00 EUR', Refunds: '2', Customer: 'cus_ctx1' });
    const recent = answer.facts.filter((f) => f.label.startsWith('Recent charge'));
    expect(recent).toHaveLength(5);
    expect(recent[0]!.value).toMatch(/^ch_\w+ · 600\.00 EUR · succeeded · 20\.00 EUR refunded · \d{4}-\d{2}-\d{2}$/);
    // Newest first: the intent's own charge, then the four newest of the older six.
    expect(recent.slice(1).map((f) => f.value.split(' · ')[0])).toEqual(older.slice(2).reverse());
    expect(answer.summary).toBe('600.00 EUR paid, 20.00 EUR refunded in 2 refunds');
    expect(answer.facts.find((f) => f.label === 'Amount')?.kind).toBe('amount');
    const listed = server.requests.find((r) => r.method === 'GET' && r.path === '/v1/charges');
    expect(new URLSearchParams(listed!.query).get('limit')).toBe('5');
    expect(JSON.stringify(answer)).not.toContain('Jenny Rosen'); // the fixture charge's cardholder: never sent to Latch
    await h.close();
  });

  it('reads a payment named by its charge, and says so when the case names none', async () => {
    const intent = server.addPaymentIntent(2_500, 'usd');
    const h = host();
    const byCharge = byLabel((await h.context({ caseType: 'refund', fields: { charge: String(intent.latest_charge) } })).facts);
    expect(byCharge).toMatchObject({ 'Payment intent': intent.id, Amount: '25.00 USD', 'Refunded so far': '0.00 USD', Refunds: '0', 'Charge 1': expect.stringMatching(/^ch_/) as string });
    expect(byCharge).not.toHaveProperty('Customer');
    expect(await h.context({ caseType: 'refund', fields: { order_id: 'A1' } })).toMatchObject({ facts: [], summary: 'The case names no Stripe payment intent or charge' });
    await h.close();
  });

  it('answers an error when Stripe fails or the intent does not exist, so the host retries', async () => {
    const intent = String(server.addPaymentIntent(2_500, 'usd').id);
    const h = host();
    server.inject({ kind: 'api_error', path: `/v1/payment_intents/${intent}` });
    await expect(h.context({ caseType: 'refund', fields: { payment_intent: intent } })).rejects.toMatchObject({ code: RpcErrorCode.INTERNAL_ERROR });
    await expect(h.context({ caseType: 'refund', fields: { payment_intent: 'pi_doesnotexist' } })).rejects.toMatchObject({ code: RpcErrorCode.INTERNAL_ERROR });
    expect(h.logs.join('\n')).not.toContain(API_KEY);
    await h.close();
  });
});
