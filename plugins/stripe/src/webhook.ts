import { WebhookRefused, type WebhookReturn } from '@latch/plugin-sdk';
import Stripe from 'stripe';
import { resultOf } from './refund.js';

/** Events that report a refund's new state: the one Latch follows for a pending refund. */
const REFUND_EVENTS = new Set(['refund.updated', 'charge.refund.updated', 'refund.failed']);
/** Stripe's own default: a delivery signed more than 5 minutes ago is refused (a replay). */
const TOLERANCE_SECONDS = 300;

/**
 * Verifies a delivery to Latch's Stripe webhook endpoint with the official library (the
 * Stripe-Signature header over the raw body, with the endpoint secret, timestamp within 5 min)
 * and, for a refund Latch made (`metadata[latch_action]`), reports the refund's state as an
 * action result. Any other verified event is only acknowledged. Throws WebhookRefused when the
 * delivery cannot be verified.
 */
export function receiveWebhook(stripe: Stripe, headers: Readonly<Record<string, string>>, body: string, secret: string | undefined): WebhookReturn {
  if (!secret) throw new WebhookRefused('no webhookSecret is configured, so no delivery can be verified');
  const signature = headers['stripe-signature'];
  if (!signature) throw new WebhookRefused('the Stripe-Signature header is missing');
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(body, signature, secret, TOLERANCE_SECONDS);
  } catch (error) {
    throw new WebhookRefused(`the signature does not verify: ${(error as Error).message}`);
  }
  const refund = event.data?.object as Partial<Stripe.Refund> | undefined;
  if (!REFUND_EVENTS.has(event.type) || refund?.object !== 'refund' || typeof refund.id !== 'string') return { eventId: event.id };
  const requestId = refund.metadata?.latch_action;
  if (typeof requestId !== 'string' || requestId === '') return { eventId: event.id };
  const delivery = { request: { method: 'POST', url: 'webhook', headers: { 'Stripe-Event': event.id, 'Stripe-Event-Type': event.type }, body } };
  return { eventId: event.id, requestId, result: resultOf(refund as Stripe.Refund, delivery, `Stripe event ${event.id}: `) };
}
