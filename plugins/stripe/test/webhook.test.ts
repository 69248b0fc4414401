import { RpcErrorCode, testPlugin } from '@latch/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { signedDelivery, stripeEvent } from '../../../packages/server/test/fakes/stripe-webhooks.js';
import { createStripePlugin } from '../src/plugin.js';

const SECRETS = { apiKey: 'sk_test_webhook_unit', webhookSecret: 'whsec_unit_4242' };
const refund = (status: string, metadata: Record<string, string> = { latch_action: '0190a3f2-0000-7000-8000-000000000001' }) => ({
  id: 're_unit1', object: 'refund', amount: 700, currency: 'usd', status, metadata, failure_reason: status === 'failed' ? 'lost_or_stolen_card' : null,
});

describe('stripe plugin: webhook.receive', () => {
  it('offers the webhooks capability and turns a verified refund event into the action result it reports', async () => {
    const host = testPlugin(createStripePlugin(), { secrets: SECRETS });
    expect((await host.initialize()).capabilities).toMatchObject({ webhooks: { version: 1 }, reconcile: { version: 1, actions: ['refund'] } });
    const event = stripeEvent('refund.updated', refund('succeeded'));
    const answer = await host.webhook(signedDelivery(event, { secret: SECRETS.webhookSecret }));
    expect(answer).toMatchObject({ eventId: event.id, requestId: '0190a3f2-0000-7000-8000-000000000001', result: { status: 'succeeded', output: { refund_id: 're_unit1', status: 'succeeded', amount: 700 } } });
    const failed = await host.webhook(signedDelivery(stripeEvent('charge.refund.updated', refund('failed')), { secret: SECRETS.webhookSecret }));
    expect(failed.result).toMatchObject({ status: 'failed', retryable: false, effect: 'none' });
    await host.close();
  });

  it('acknowledges, without an action, refunds Latch did not make and other events', async () => {
    const host = testPlugin(createStripePlugin(), { secrets: SECRETS });
    for (const event of [stripeEvent('refund.updated', refund('succeeded', {})), stripeEvent('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent' })]) {
      expect(await host.webhook(signedDelivery(event, { secret: SECRETS.webhookSecret }))).toEqual({ eventId: event.id });
    }
    await host.close();
  });

  it('refuses with WEBHOOK_REFUSED what does not verify, and everything without a webhookSecret', async () => {
    const event = stripeEvent('refund.updated', refund('succeeded'));
    const host = testPlugin(createStripePlugin(), { secrets: SECRETS });
    const good = signedDelivery(event, { secret: SECRETS.webhookSecret });
    const bad = [
      signedDelivery(event, { secret: 'whsec_other' }),
      { ...good, headers: {} },
      { ...good, body: good.body.replace('700', '70000') },
      signedDelivery(event, { secret: SECRETS.webhookSecret, timestamp: Math.floor(Date.now() / 1000) - 600 }),
    ];
    for (const delivery of bad) await expect(host.webhook(delivery)).rejects.toMatchObject({ code: RpcErrorCode.WEBHOOK_REFUSED });
    await host.close();
    const unconfigured = testPlugin(createStripePlugin(), { secrets: { apiKey: SECRETS.apiKey } });
    await expect(unconfigured.webhook(good)).rejects.toMatchObject({ code: RpcErrorCode.WEBHOOK_REFUSED, message: expect.stringMatching(/webhookSecret/) });
    await unconfigured.close();
  });
});
