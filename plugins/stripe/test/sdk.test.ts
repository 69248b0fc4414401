import { fileURLToPath } from 'node:url';
import { runConformance } from '@latch/protocol';
import { RpcErrorCode, testPlugin, type ExecuteResult } from '@latch/plugin-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStripeServer, type StripeServer } from '../../../packages/server/test/fakes/stripe-server.js';
import { createStripePlugin } from '../src/plugin.js';

const API_KEY = 'sk_test_sdk_secret';
const PLUGIN_DIR = fileURLToPath(new URL('..', import.meta.url));
let server: StripeServer;
let intent: string;

beforeEach(async () => {
  server = await startStripeServer();
  intent = String(server.addPaymentIntent(1_000_000, 'usd').id);
});
afterEach(async () => server.close());

const refundCase = (fields: Record<string, unknown>) => ({ type: 'refund', typeVersion: 3, fields });

describe('stripe plugin through the SDK', () => {
  it('offers a prefilled refund for cases with a payment intent', async () => {
    const host = testPlugin(createStripePlugin(), { config: { apiBase: server.url }, secrets: { apiKey: API_KEY } });
    expect(await host.listActions(refundCase({ order_id: 'A1', payment_intent: intent, amount_minor: 600, currency: 'usd' }))).toEqual([
      { name: 'refund', title: 'Refund a payment', suggestedInput: { payment_intent: intent, amount_minor: 600, currency: 'usd', reason: 'requested_by_customer' } },
    ]);
    expect(await host.listActions(refundCase({ order_id: 'A1' }))).toEqual([]);
    await host.close();
  });

  it('refunds once per idempotency key, with an output that fits the outputSchema', async () => {
    const host = testPlugin(createStripePlugin(), { config: { apiBase: server.url }, secrets: { apiKey: API_KEY } });
    const call = { action: 'refund', input: { payment_intent: intent, amount_minor: 60_000, currency: 'usd', reason: 'duplicate' }, requestId: 'r-1', idempotencyKey: 'latch-r-1-1' };
    const first = await host.execute(call);
    const retry = await host.execute({ ...call, attempt: 2 });
    expect(first).toMatchObject({ status: 'succeeded', summary: expect.stringMatching(/^Refunded 600\.00 USD \(re_\w+\)$/) as string });
    expect(retry.output).toEqual(first.output);
    expect(server.refunds.size).toBe(1);
    expect(host.logs.join('\n')).not.toContain(API_KEY);
    await host.close();
  });

  it('reports 5xx as retryable and refuses input outside the schema', async () => {
    const host = testPlugin(createStripePlugin(), { config: { apiBase: server.url }, secrets: { apiKey: API_KEY } });
    server.inject({ kind: 'api_error', path: '/v1/refunds', method: 'POST' });
    const failed: ExecuteResult = await host.execute({ action: 'refund', input: { payment_intent: intent, amount_minor: 100, currency: 'usd', reason: 'duplicate' } });
    expect(failed).toMatchObject({ status: 'failed', retryable: true });
    await expect(host.execute({ action: 'refund', input: { payment_intent: intent, amount_minor: 100, currency: 'jpy', reason: 'duplicate' } })).rejects.toMatchObject({ code: RpcErrorCode.INVALID_INPUT });
    await host.close();
  });

  it('refuses a configuration without a usable key', async () => {
    const host = testPlugin(createStripePlugin(), { config: { apiBase: server.url }, secrets: { apiKey: 'pk_test_publishable' } });
    await expect(host.initialize()).rejects.toThrow(/apiKey/);
    await host.close();
  });

  it('passes the protocol conformance suite as a process (node dist/main.js) against the fake', async () => {
    const report = await runConformance(['node', 'dist/main.js'], PLUGIN_DIR, {
      action: 'refund',
      input: { payment_intent: intent, amount_minor: 100, currency: 'usd', reason: 'requested_by_customer' },
      config: { apiBase: server.url },
      secrets: { apiKey: API_KEY },
    });
    expect(report.failed).toEqual([]);
    expect(report.passed.length).toBeGreaterThan(5);
    expect(server.refunds.size).toBeGreaterThan(0);
  });
});
