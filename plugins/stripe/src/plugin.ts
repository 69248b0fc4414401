import { readFileSync } from 'node:fs';
import { action, definePlugin, type Manifest, type Plugin } from '@latch/plugin-sdk';
import type Stripe from 'stripe';
import { createStripeClient, parseSettings } from './client.js';
import { readCaseFacts } from './context.js';
import { reconcileRefund } from './reconcile.js';
import { executeRefund, type RefundInput } from './refund.js';
import { suggestActions } from './suggest.js';
import { receiveWebhook } from './webhook.js';

/** The manifest, read from latch-plugin.json next to src/ and dist/ so the two never differ. */
export const manifest = JSON.parse(readFileSync(new URL('../latch-plugin.json', import.meta.url), 'utf8')) as Manifest;

/** The Stripe plugin: `refund` (with reconcile), offered for cases that name a payment intent; refund webhooks; the payment's facts as context. */
export function createStripePlugin(): Plugin {
  let cached: { key: string; stripe: Stripe } | undefined;
  const clientFor = (config: Readonly<Record<string, unknown>>, secrets: Readonly<Record<string, string>>): Stripe => {
    const settings = parseSettings(config, secrets);
    const key = `${settings.apiBase.href}\u0000${settings.apiVersion}\u0000${settings.apiKey}`;
    if (cached?.key !== key) cached = { key, stripe: createStripeClient(settings) };
    return cached.stripe;
  };
  return definePlugin({
    manifest,
    configure: (config, secrets) => void clientFor(config, secrets),
    listActions: (c) => suggestActions(c),
    context: { caseTypes: ['refund'], fetch: (ctx) => readCaseFacts(clientFor(ctx.config, ctx.secrets), ctx.fields) },
    webhook: (ctx) => receiveWebhook(clientFor(ctx.config, ctx.secrets), ctx.headers, ctx.body, ctx.secrets.webhookSecret),
    actions: {
      refund: action<RefundInput>({
        async execute(ctx) {
          if (ctx.attempt > 1) ctx.log(`attempt ${ctx.attempt}, replaying idempotency key ${ctx.idempotencyKey}`);
          return executeRefund(clientFor(ctx.config, ctx.secrets), ctx.input, { idempotencyKey: ctx.idempotencyKey, requestId: ctx.requestId, caseId: ctx.case.id });
        },
        async reconcile(ctx) {
          return reconcileRefund(clientFor(ctx.config, ctx.secrets), ctx.input, ctx.requestId);
        },
      }),
    },
  });
}
