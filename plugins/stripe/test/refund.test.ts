import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStripeServer, type StripeServer } from '../../../packages/server/test/fakes/stripe-server.js';
import { createStripeClient, parseSettings, PINNED_API_VERSION } from '../src/client.js';
import { executeRefund, type RefundInput } from '../src/refund.js';

const API_KEY = 'sk_test_plugin_secret';
let server: StripeServer;
let intent: string;

const clientFor = (s: StripeServer, timeoutMs?: number) => createStripeClient(parseSettings({ apiBase: s.url }, { apiKey: API_KEY }), timeoutMs);
const inputFor = (amount = 60_000, currency = 'usd', paymentIntent = intent): RefundInput => ({ payment_intent: paymentIntent, amount_minor: amount, currency, reason: 'duplicate' });
const opts = { idempotencyKey: 'latch-0190-1', requestId: '0190abc', caseId: 'case-1' };
const refundPosts = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds');

beforeEach(async () => {
  server = await startStripeServer();
  intent = String(server.addPaymentIntent(100_000, 'usd').id);
});
afterEach(async () => server.close());

describe('executeRefund against the fake Stripe', () => {
  it('refunds, records what was sent and came back without the API key, and tags the refund with the action and case', async () => {
    const result = await executeRefund(clientFor(server), inputFor(), opts);
    const [refund] = [...server.refunds.values()];
    expect(result).toMatchObject({ status: 'succeeded', summary: `Refunded 600.00 USD (${String(refund!.id)})`, output: { refund_id: refund!.id, status: 'succeeded', amount: 60_000, currency: 'usd' } });
    expect(refund!.metadata).toEqual({ latch_action: '0190abc', latch_case: 'case-1' });
    const [post] = refundPosts();
    expect(post!.headers['idempotency-key']).toBe('latch-0190-1');
    expect(post!.headers['stripe-version']).toBe(PINNED_API_VERSION);
    expect(result.external?.request).toEqual({ method: 'POST', url: `${server.url}/v1/refunds`, headers: { 'Idempotency-Key': 'latch-0190-1', 'Stripe-Version': PINNED_API_VERSION }, body: post!.body });
    expect(result.external!.response).toMatchObject({ status: 200, headers: { 'request-id': expect.stringMatching(/^req_/) as string, 'idempotency-key': 'latch-0190-1', 'stripe-version': PINNED_API_VERSION } });
    expect(JSON.parse(result.external!.response!.body)).toEqual(refund);
    expect(JSON.stringify(result)).not.toContain(API_KEY);
  });

  it('runs the same request twice as one refund, under any key: the second finds the first', async () => {
    const stripe = clientFor(server);
    const first = await executeRefund(stripe, inputFor(), opts);
    const second = await executeRefund(stripe, inputFor(), { ...opts, idempotencyKey: 'latch-0190-2' });
    expect(server.refunds.size).toBe(1);
    expect(second).toMatchObject({ status: 'succeeded', summary: `Already refunded by an earlier attempt: ${first.summary}`, output: first.output });
    expect(refundPosts()).toHaveLength(1);
  });

  it('fails permanently on a card error', async () => {
    server.inject({ kind: 'card_error', path: '/v1/refunds', method: 'POST' });
    const result = await executeRefund(clientFor(server), inputFor(), opts);
    expect(result).toMatchObject({ status: 'failed', retryable: false, effect: 'none', external: { response: { status: 402 } } });
    expect(result.summary).not.toMatch(/retry/);
    expect(JSON.parse(result.external!.response!.body)).toMatchObject({ error: { type: 'card_error', code: 'card_declined' } });
    expect(result.summary).toContain('Your card was declined');
  });

  it('fails permanently on invalid requests: too large an amount, an unknown intent, another currency', async () => {
    const stripe = clientFor(server);
    const tooLarge = await executeRefund(stripe, inputFor(100_001), opts);
    expect(tooLarge).toMatchObject({ status: 'failed', retryable: false, effect: 'none' });
    expect(tooLarge.summary).toContain('only 1000.00 USD of');
    expect(refundPosts()).toHaveLength(0);
    const unknown = await executeRefund(stripe, inputFor(60_000, 'usd', 'pi_nope'), { ...opts, idempotencyKey: 'k2' });
    expect(unknown).toMatchObject({ status: 'failed', retryable: false, external: { request: { method: 'GET' }, response: { status: 404 } } });
    const otherCurrency = await executeRefund(stripe, inputFor(600, 'eur'), { ...opts, idempotencyKey: 'k3' });
    expect(otherCurrency).toMatchObject({ status: 'failed', retryable: false });
    expect(otherCurrency.summary).toMatch(/in USD, the approved refund is in EUR/);
    expect(server.refunds.size).toBe(0);
  });

  it('refuses malformed input without calling Stripe', async () => {
    const result = await executeRefund(clientFor(server), { ...inputFor(), amount_minor: 1.5 }, opts);
    expect(result).toMatchObject({ status: 'failed', retryable: false });
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ['rate_limit', 429],
    ['api_error', 500],
  ] as const)('fails retryably on %s (%i), and the retry refunds once', async (kind, status) => {
    server.inject({ kind, path: '/v1/refunds', method: 'POST' });
    const stripe = clientFor(server);
    const result = await executeRefund(stripe, inputFor(), opts);
    expect(result).toMatchObject({ status: 'failed', retryable: true, effect: status === 429 ? 'none' : 'unknown', external: { response: { status } } });
    await expect(executeRefund(stripe, inputFor(), opts)).resolves.toMatchObject({ status: 'succeeded' });
    expect(server.refunds.size).toBe(1);
  });

  it('fails retryably when Stripe never answers', async () => {
    server.inject({ kind: 'timeout', path: '/v1/refunds', method: 'POST' });
    const result = await executeRefund(clientFor(server, 200), inputFor(), opts);
    expect(result).toMatchObject({ status: 'failed', retryable: true, effect: 'unknown' });
    expect(result.summary).toMatch(/timeout/);
    expect(result.external?.response).toBeUndefined();
  });

  it('after a late answer, the retry with the same key replays the refund Stripe already made', async () => {
    server.inject({ kind: 'timeout', path: '/v1/refunds', method: 'POST', delayMs: 1_000 });
    const stripe = clientFor(server, 200);
    await expect(executeRefund(stripe, inputFor(), opts)).resolves.toMatchObject({ status: 'failed', retryable: true });
    const retried = await executeRefund(stripe, inputFor(), opts);
    expect(retried).toMatchObject({ status: 'succeeded', output: { refund_id: [...server.refunds.keys()][0] } });
    expect(server.refunds.size).toBe(1);
  });

  it('fails retryably when Stripe cannot be reached', async () => {
    const stripe = clientFor(server);
    await server.close();
    await expect(executeRefund(stripe, inputFor(), opts)).resolves.toMatchObject({ status: 'failed', retryable: true });
    server = await startStripeServer();
  });
});
