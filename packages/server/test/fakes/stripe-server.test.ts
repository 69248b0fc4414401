import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseForm, startStripeServer, type StripeServer } from './stripe-server.js';

const KEY = 'sk_test_fake';
let server: StripeServer;
let stripe: Stripe;
let intent: string;

/** The official client pointed at the fake: no automatic retries, a short timeout. */
function clientFor(s: StripeServer, key = KEY, timeout = 2_000): Stripe {
  const url = new URL(s.url);
  return new Stripe(key, { host: url.hostname, port: url.port, protocol: 'http', maxNetworkRetries: 0, timeout });
}

/** A raw form POST, for bodies the typed client refuses to build. */
async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(server.url + path, { method: 'POST', body, headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/x-www-form-urlencoded', ...headers } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { error?: Record<string, string> } & Record<string, unknown> };
}

beforeEach(async () => {
  server = await startStripeServer();
  stripe = clientFor(server);
  intent = String(server.addPaymentIntent(10_000, 'usd').id);
});
afterEach(async () => server.close());

describe('fake Stripe: refunds and payment intents', () => {
  it('creates a real Refund object and records the form body', async () => {
    const refund = await stripe.refunds.create({ payment_intent: intent, amount: 600, reason: 'duplicate', metadata: { latch_request: 'req-1' } });
    expect(refund).toMatchObject({ object: 'refund', amount: 600, currency: 'usd', payment_intent: intent, status: 'succeeded', reason: 'duplicate', metadata: { latch_request: 'req-1' } });
    expect(refund.id).toMatch(/^re_[A-Za-z0-9]{24}$/);
    expect(typeof refund.created).toBe('number');
    expect(server.refunds.size).toBe(1);
    const [rec] = server.requests;
    expect(rec).toMatchObject({ method: 'POST', path: '/v1/refunds', status: 200, params: { payment_intent: intent, amount: '600', metadata: { latch_request: 'req-1' } } });
    expect(rec!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(rec!.body).toContain('metadata[latch_request]=req-1');
  });

  it('retrieves known payment intents and answers resource_missing for others', async () => {
    await expect(stripe.paymentIntents.retrieve(intent)).resolves.toMatchObject({ id: intent, object: 'payment_intent', amount: 10_000, currency: 'usd', status: 'succeeded' });
    const err = await stripe.paymentIntents.retrieve('pi_unknown').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'intent' });
  });

  it('refuses a bad API key with 401', async () => {
    const err = await clientFor(server, 'pk_test_nope').refunds.create({ payment_intent: intent }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(server.refunds.size).toBe(0);
  });

  it('validates parameters against the OpenAPI requestBody schema', async () => {
    const cases: [string, Record<string, string>][] = [
      [`payment_intent=${intent}&amount=abc`, { code: 'parameter_invalid_integer', param: 'amount' }],
      [`payment_intent=${intent}&reason=because`, { type: 'invalid_request_error', param: 'reason' }],
      [`payment_intent=${intent}&colour=red`, { code: 'parameter_unknown', param: 'colour' }],
      [`payment_intent=${intent}&metadata[a][b]=c`, { type: 'invalid_request_error', param: 'metadata' }],
      ['amount=100', { code: 'parameter_missing' }],
      ['payment_intent=pi_missing', { code: 'resource_missing', param: 'payment_intent' }],
      [`payment_intent=${intent}&amount=0`, { code: 'parameter_invalid_integer', param: 'amount' }],
      [`payment_intent=${intent}&amount=10001`, { code: 'amount_too_large', param: 'amount' }],
    ];
    for (const [body, error] of cases) {
      const res = await post('/v1/refunds', body);
      expect(res.status, body).toBe(400);
      expect(res.body.error, body).toMatchObject({ type: 'invalid_request_error', ...error });
      expect(typeof res.body.error?.message).toBe('string');
    }
    expect((await post('/v1/refunds', `payment_intent=${intent}&metadata=&expand[]=charge&refund_application_fee=true`)).status).toBe(200);
    expect(server.refunds.size).toBe(1);
  });

  it('refuses to refund more than the unrefunded amount, through the client', async () => {
    await stripe.refunds.create({ payment_intent: intent, amount: 9_000 });
    const err = await stripe.refunds.create({ payment_intent: intent, amount: 1_001 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400, code: 'amount_too_large' });
    await stripe.refunds.create({ payment_intent: intent });
    expect([...server.refunds.values()].map((r) => r.amount)).toEqual([9_000, 1_000]);
    await expect(stripe.refunds.create({ payment_intent: intent })).rejects.toMatchObject({ code: 'charge_already_refunded' });
  });

  it('decodes nested form keys', () => {
    expect(parseForm('a=1&m[x]=2&e[]=p&e[]=q')).toEqual({ a: '1', m: { x: '2' }, e: { 0: 'p', 1: 'q' } });
  });
});

describe('fake Stripe: idempotency', () => {
  it('replays the first response for the same key and counts one refund', async () => {
    const params = { payment_intent: intent, amount: 600, reason: 'requested_by_customer' as const };
    const first = await stripe.refunds.create(params, { idempotencyKey: 'k-1' });
    const second = await stripe.refunds.create(params, { idempotencyKey: 'k-1' });
    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(server.refunds.size).toBe(1);
    expect(server.requests.map((r) => r.replayed)).toEqual([false, true]);
  });

  it('answers idempotency_error for the same key with other parameters', async () => {
    await stripe.refunds.create({ payment_intent: intent, amount: 600 }, { idempotencyKey: 'k-2' });
    const err = await stripe.refunds.create({ payment_intent: intent, amount: 700 }, { idempotencyKey: 'k-2' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(err).toMatchObject({ statusCode: 400, rawType: 'idempotency_error' });
    expect(server.refunds.size).toBe(1);
  });

  it('saves nothing for a request that failed validation', async () => {
    expect((await post('/v1/refunds', `payment_intent=${intent}&amount=x`, { 'Idempotency-Key': 'k-3' })).status).toBe(400);
    const ok = await post('/v1/refunds', `payment_intent=${intent}&amount=5`, { 'Idempotency-Key': 'k-3' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('fake Stripe: injected faults', () => {
  it('answers card, rate-limit and API errors for the next requests, then recovers', async () => {
    server.inject({ kind: 'card_error' });
    server.inject({ kind: 'rate_limit', retryAfterSeconds: 3 });
    server.inject({ kind: 'api_error', times: 2 });
    const attempt = () => stripe.refunds.create({ payment_intent: intent, amount: 100 }, { idempotencyKey: 'k-f' }).catch((e: unknown) => e);
    expect(await attempt()).toMatchObject({ type: 'StripeCardError', statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });
    const limited = await attempt();
    expect(limited).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(limited).toMatchObject({ statusCode: 429, code: 'rate_limit', headers: { 'retry-after': '3' } });
    expect(await attempt()).toMatchObject({ type: 'StripeAPIError', statusCode: 500 });
    expect(await attempt()).toMatchObject({ type: 'StripeAPIError', statusCode: 500 });
    expect(await attempt()).toMatchObject({ object: 'refund', amount: 100 });
    expect(server.refunds.size).toBe(1);
  });

  it('limits a fault to one path', async () => {
    server.inject({ kind: 'api_error', path: '/v1/refunds' });
    await expect(stripe.paymentIntents.retrieve(intent)).resolves.toMatchObject({ id: intent });
    await expect(stripe.refunds.create({ payment_intent: intent })).rejects.toMatchObject({ statusCode: 500 });
  });

  it('never answers a request that times out', async () => {
    server.inject({ kind: 'timeout' });
    const err = await clientFor(server, KEY, 200).refunds.create({ payment_intent: intent, amount: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(String((err as Error).message)).toMatch(/timeout/);
    expect(server.refunds.size).toBe(0);
  });

  it('acts but answers late: a retry with the same key replays the refund', async () => {
    server.inject({ kind: 'timeout', delayMs: 1_000 });
    const slow = clientFor(server, KEY, 200);
    const params = { payment_intent: intent, amount: 100 };
    await expect(slow.refunds.create(params, { idempotencyKey: 'k-t' })).rejects.toBeInstanceOf(Stripe.errors.StripeConnectionError);
    const retried = await slow.refunds.create(params, { idempotencyKey: 'k-t' });
    expect(retried.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect([...server.refunds.keys()]).toEqual([retried.id]);
  });
});
