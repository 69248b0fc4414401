import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SPEC_API_VERSION, startStripeServer, type StripeServer } from './stripe-server.js';

const KEY = 'sk_test_fake';
let server: StripeServer;
let stripe: Stripe;
let intent: Record<string, unknown>;

beforeEach(async () => {
  server = await startStripeServer();
  const url = new URL(server.url);
  stripe = new Stripe(KEY, { host: url.hostname, port: url.port, protocol: 'http', maxNetworkRetries: 0, timeout: 2_000, apiVersion: SPEC_API_VERSION as Stripe.LatestApiVersion });
  intent = server.addPaymentIntent(10_000, 'usd');
});
afterEach(async () => server.close());

describe('fake Stripe: charges, refund lists, pending refunds, lost responses', () => {
  it('reads the charge behind an intent and refunds by charge id, keeping amount_refunded', async () => {
    const chargeId = String(intent.latest_charge);
    await expect(stripe.charges.retrieve(chargeId)).resolves.toMatchObject({ id: chargeId, amount_captured: 10_000, amount_refunded: 0, currency: 'usd', payment_intent: intent.id });
    const refund = await stripe.refunds.create({ charge: chargeId, amount: 2_500, metadata: { latch_action: 'a-1' } });
    expect(refund).toMatchObject({ charge: chargeId, payment_intent: intent.id, amount: 2_500 });
    await expect(stripe.charges.retrieve(chargeId)).resolves.toMatchObject({ amount_refunded: 2_500, refunded: false });
  });

  it('lists an intent’s refunds newest first, through auto-pagination', async () => {
    const first = await stripe.refunds.create({ payment_intent: String(intent.id), amount: 100 });
    const second = await stripe.refunds.create({ payment_intent: String(intent.id), amount: 200 });
    const other = server.addPaymentIntent(500, 'usd');
    await stripe.refunds.create({ payment_intent: String(other.id), amount: 50 });
    const listed = await stripe.refunds.list({ payment_intent: String(intent.id), limit: 100 }).autoPagingToArray({ limit: 1000 });
    expect(listed.map((r) => r.id)).toEqual([second.id, first.id]);
  });

  it('creates pending refunds on request and settles them; a failed one frees the amount again', async () => {
    server.ledger.refundStatus = 'pending';
    const pending = await stripe.refunds.create({ payment_intent: String(intent.id), amount: 10_000 });
    expect(pending.status).toBe('pending');
    await expect(stripe.refunds.create({ payment_intent: String(intent.id), amount: 1 })).rejects.toMatchObject({ code: 'charge_already_refunded' });
    server.ledger.settleRefund(pending.id, 'failed', 'expired_or_canceled_card');
    await expect(stripe.refunds.retrieve(pending.id)).resolves.toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' });
    server.ledger.refundStatus = 'succeeded';
    await expect(stripe.refunds.create({ payment_intent: String(intent.id), amount: 10_000 })).resolves.toMatchObject({ status: 'succeeded' });
  });

  it('answers in the API version asked for', async () => {
    const refund = await stripe.refunds.create({ payment_intent: String(intent.id), amount: 100 });
    expect(refund.lastResponse.headers['stripe-version']).toBe(SPEC_API_VERSION);
    expect(server.requests[0]!.headers['stripe-version']).toBe(SPEC_API_VERSION);
  });

  it('carries out a request whose response is then lost; the same key replays it', async () => {
    server.inject({ kind: 'lost_response', path: '/v1/refunds', method: 'POST', times: 2 });
    const params = { payment_intent: String(intent.id), amount: 100 };
    // stripe-node retries a reset connection once on its own, with the same key: both answers are lost.
    await expect(stripe.refunds.create(params, { idempotencyKey: 'k-lost' })).rejects.toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(server.requests.map((r) => [r.dropped, r.replayed])).toEqual([[true, false], [true, true]]);
    const replayed = await stripe.refunds.create(params, { idempotencyKey: 'k-lost' });
    expect(replayed.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(server.refunds.size).toBe(1);
  });
});
