import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExecution } from '../src/execution/run-execution.js';
import { startStripeServer, type StripeServer } from './fakes/stripe-server.js';
import { postDelivery, signedDelivery, stripeEvent } from './fakes/stripe-webhooks.js';
import { bearer, DB_KINDS, TEST_CONFIG_DIR, startTestLatch, type TestLatch } from './harness.js';

const STRIPE_PLUGIN_DIR = fileURLToPath(new URL('../../../plugins/stripe', import.meta.url));
const SECRET = 'whsec_test_latch_webhooks_4242';

/** The repo's config with the Stripe plugin, its webhook secret, and checks of a pending refund far apart (a minute): here webhooks move refunds. */
function configDir(stripeUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-webhooks-config-'));
  cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
  writeFileSync(
    join(dir, 'plugins.yaml'),
    `plugins:\n  stripe:\n    path: ${STRIPE_PLUGIN_DIR}\n    config: { apiBase: "${stripeUrl}" }\n` +
      '    secrets: { apiKey: { env: LATCH_TEST_STRIPE_KEY }, webhookSecret: { env: STRIPE_WEBHOOK_SECRET } }\n    retry: { attempts: 3, firstDelayMs: 60000 }\n',
  );
  return dir;
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Event = { kind: string; data: Record<string, unknown> };

describe.each(DB_KINDS)('Stripe refund webhooks, on %s', (kind) => {
  let stripe: StripeServer;
  let dir: string;
  let t: TestLatch;
  let url: string;
  beforeAll(async () => {
    process.env.LATCH_TEST_STRIPE_KEY = 'sk_test_webhooks_4242';
    process.env.STRIPE_WEBHOOK_SECRET = SECRET;
    stripe = await startStripeServer({ paymentIntents: [{ id: 'pi_hooks', amount: 1_000_000, currency: 'usd' }] });
    stripe.ledger.refundStatus = 'pending';
    dir = configDir(stripe.url);
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}/api/v1/plugins/stripe/webhooks`;
  });
  afterAll(async () => {
    await t?.close();
    await stripe?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const operator = () => bearer(t.users.operator);
  const action = async (id: string) => (await t.app.inject({ url: `/api/v1/actions/${id}`, headers: operator() })).json();
  const timeline = async (caseId: string) => (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: operator() })).json().items as Event[];
  const refundOf = (id: string) => [...stripe.refunds.values()].find((r) => (r.metadata as Record<string, string>).latch_action === id)!;

  /** An approved refund whose Stripe refund is pending, checked once (queued for the next check, a minute away). */
  async function pendingRefund(amount: number) {
    const caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: operator(), payload: { type: 'refund', title: 'Webhooks', fields: { order_id: '9', payment_intent: 'pi_hooks', amount_minor: amount, currency: 'usd' } } })).json().id as string;
    const proposed = (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: operator(), payload: { plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_hooks', amount_minor: amount, currency: 'usd', reason: 'duplicate' } } })).json();
    expect(proposed.status, JSON.stringify(proposed)).toBe('approved');
    const id = proposed.id as string;
    const events = await until(() => timeline(caseId), (e) => e.some((x) => x.kind === 'action.pending'));
    expect(events.filter((e) => e.kind === 'action.pending')).toHaveLength(1);
    expect((await action(id)).status).toBe('queued');
    return { caseId, id, refundId: String(refundOf(id).id) };
  }

  it('a pending refund is completed by a verified refund.updated, on the timeline with the delivery readable', async () => {
    const { caseId, id, refundId } = await pendingRefund(1_000);
    const stillPending = await stripe.sendRefundWebhook(url, refundId, { secret: SECRET });
    expect(stillPending).toMatchObject({ status: 200, json: { received: true, advanced: true } });
    stripe.ledger.settleRefund(refundId, 'succeeded');
    const done = await stripe.sendRefundWebhook(url, refundId, { secret: SECRET }, 'charge.refund.updated');
    expect(done).toMatchObject({ status: 200, json: { received: true, advanced: true } });

    expect(await action(id)).toMatchObject({ status: 'succeeded', execution: 1, result: { status: 'succeeded', effect: 'applied' } });
    const events = await timeline(caseId);
    const pendings = events.filter((e) => e.kind === 'action.pending');
    expect(pendings).toHaveLength(2);
    expect(pendings[1]!.data).toMatchObject({ followed: true, webhookEvent: stillPending.event.id });
    const last = events.at(-1)!;
    expect(last).toMatchObject({ kind: 'action.succeeded', data: { actionId: id, followed: true, webhookEvent: done.event.id } });
    const exchange = await t.app.inject({ url: `/api/v1/cases/${caseId}/exchanges/${String(last.data.request)}`, headers: operator() });
    expect(exchange.statusCode).toBe(200);
    expect(JSON.parse(exchange.json().content.body)).toMatchObject({ id: done.event.id, type: 'charge.refund.updated' });
    expect(exchange.body).not.toContain(SECRET);

    // A later event about it (out of order, or after the action settled) moves nothing.
    const late = await stripe.sendRefundWebhook(url, refundId, { secret: SECRET });
    expect(late).toMatchObject({ status: 200, json: { advanced: false } });
    expect((await timeline(caseId)).length).toBe(events.length);
  });

  it('a forged, unsigned, tampered or stale delivery is 400 WEBHOOK_SIGNATURE_INVALID and writes nothing', async () => {
    const { caseId, id, refundId } = await pendingRefund(1_100);
    stripe.ledger.settleRefund(refundId, 'succeeded');
    const event = stripeEvent('refund.updated', stripe.refunds.get(refundId)!);
    const before = (await timeline(caseId)).length;
    const genuine = signedDelivery(event, { secret: SECRET });
    const attempts = [
      postDelivery(url, signedDelivery(event, { secret: 'whsec_someone_else' })),
      postDelivery(url, genuine, { 'stripe-signature': undefined }),
      postDelivery(url, { ...genuine, body: genuine.body.replace('"succeeded"', '"failed"') }),
      postDelivery(url, signedDelivery(event, { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 3_600 })),
      postDelivery(url, genuine, { 'stripe-signature': 't=1,v1=00' }),
    ];
    for (const answer of await Promise.all(attempts)) {
      expect(answer.status).toBe(400);
      expect((answer.json.error as { code: string }).code).toBe('WEBHOOK_SIGNATURE_INVALID');
      expect(JSON.stringify(answer.json)).not.toContain(SECRET);
    }
    expect((await timeline(caseId)).length).toBe(before);
    expect((await action(id)).status).toBe('queued');
    // The same event, genuinely signed, still counts: nothing was recorded of the refusals.
    expect(await postDelivery(url, genuine)).toMatchObject({ status: 200, json: { advanced: true } });
    expect((await action(id)).status).toBe('succeeded');
  });

  it('a replayed event id is 400 WEBHOOK_REPLAYED and changes nothing; an unknown refund is acknowledged and recorded on no case', async () => {
    const { caseId, id, refundId } = await pendingRefund(1_200);
    stripe.ledger.settleRefund(refundId, 'failed', 'expired_or_canceled_card');
    const sent = await stripe.sendRefundWebhook(url, refundId, { secret: SECRET });
    expect(sent).toMatchObject({ status: 200, json: { advanced: true } });
    expect(await action(id)).toMatchObject({ status: 'failed', result: { status: 'failed', effect: 'none' } });
    const after = await timeline(caseId);
    expect(after.at(-1)).toMatchObject({ kind: 'action.failed', data: { webhookEvent: sent.event.id, willRetry: false, effect: 'none' } });

    const replay = await postDelivery(url, signedDelivery(sent.event, { secret: SECRET })); // freshly signed, same event id
    expect(replay.status).toBe(400);
    expect(replay.json.error).toMatchObject({ code: 'WEBHOOK_REPLAYED', details: { eventId: sent.event.id } });
    expect((await timeline(caseId)).length).toBe(after.length);

    // A refund made outside Latch (no latch_action) and an event of another kind: 2xx, nowhere on a case.
    const outside = stripe.ledger.createRefund({ payment_intent: 'pi_hooks', amount: '300' }, 'succeeded');
    const cases = (await t.app.inject({ url: '/api/v1/cases?limit=100', headers: bearer(t.users.admin) })).json().items as { id: string }[];
    const heads = await Promise.all(cases.map(async (c) => (await timeline(c.id)).length));
    expect(await stripe.sendRefundWebhook(url, String(outside.id), { secret: SECRET })).toMatchObject({ status: 200, json: { received: true, advanced: false } });
    const other = stripeEvent('payment_intent.succeeded', stripe.paymentIntents.get('pi_hooks')!);
    expect(await postDelivery(url, signedDelivery(other, { secret: SECRET }))).toMatchObject({ status: 200, json: { advanced: false } });
    // Metadata naming an action of this plugin that is not pending moves nothing either.
    const forgedMeta = stripeEvent('refund.updated', { ...outside, metadata: { latch_action: id } });
    expect(await postDelivery(url, signedDelivery(forgedMeta, { secret: SECRET }))).toMatchObject({ status: 200, json: { advanced: false } });
    expect(await Promise.all(cases.map(async (c) => (await timeline(c.id)).length))).toEqual(heads);
  });

  it('a webhook racing a poll records one outcome', async () => {
    for (const order of ['webhook first', 'poll first']) {
      const { caseId, id, refundId } = await pendingRefund(order === 'webhook first' ? 1_300 : 1_400);
      stripe.ledger.settleRefund(refundId, 'succeeded');
      const row = await action(id);
      const poll = () => runExecution(t.ctx.database, t.ctx.plugins!, t.ctx.scheduler, { actionId: id, round: row.round, execution: row.execution, attempt: row.attempts + 1 });
      const hook = () => stripe.sendRefundWebhook(url, refundId, { secret: SECRET });
      const [a, b] = order === 'webhook first' ? [hook(), poll()] : [poll(), hook()];
      await Promise.all([a, b]);
      expect((await action(id)).status, order).toBe('succeeded');
      const events = await timeline(caseId);
      const outcomes = events.filter((e) => ['action.succeeded', 'action.reconciled', 'action.failed'].includes(e.kind));
      expect(outcomes, order).toHaveLength(1);
      expect(outcomes[0]!.data).toMatchObject({ actionId: id, followed: true });
      expect([...stripe.refunds.values()].filter((r) => (r.metadata as Record<string, string>).latch_action === id)).toHaveLength(1);
    }
  });
});
