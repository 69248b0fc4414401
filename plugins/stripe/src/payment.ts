import type Stripe from 'stripe';
import { requestRecord, responseRecord } from './exchange.js';
import type { ExternalExchange } from './types.js';

/** What a refund is made against: a PaymentIntent or a Charge (exactly one). */
export type PaymentRef = { payment_intent: string; charge?: undefined } | { charge: string; payment_intent?: undefined };

/** The payment as Stripe has it: its currency and how much was actually received. */
export interface Payment {
  id: string;
  currency: string;
  /** amount_received of a PaymentIntent, amount_captured of a Charge. */
  received: number;
  exchange: ExternalExchange;
}

/** Refund statuses that move (or will move) money; failed and canceled refunds moved none. */
const EFFECTIVE = new Set(['succeeded', 'pending', 'requires_action']);

export function isEffective(refund: Stripe.Refund): boolean {
  return EFFECTIVE.has(refund.status ?? '');
}

export function paymentIdOf(ref: PaymentRef): string {
  return ref.payment_intent ?? ref.charge;
}

/** Reads the payment; throws Stripe's error. */
export async function readPayment(stripe: Stripe, ref: PaymentRef): Promise<Payment> {
  if (ref.payment_intent !== undefined) {
    const intent = await stripe.paymentIntents.retrieve(ref.payment_intent);
    return { id: intent.id, currency: intent.currency, received: intent.amount_received ?? 0, exchange: { request: requestRecord(stripe, 'GET', `/v1/payment_intents/${intent.id}`), response: responseRecord(intent) } };
  }
  const charge = await stripe.charges.retrieve(ref.charge);
  return { id: charge.id, currency: charge.currency, received: charge.amount_captured ?? 0, exchange: { request: requestRecord(stripe, 'GET', `/v1/charges/${charge.id}`), response: responseRecord(charge) } };
}

/** The request that lists a payment's refunds, for the record. */
export function refundListRequest(stripe: Stripe, ref: PaymentRef): ExternalExchange['request'] {
  const query = ref.payment_intent !== undefined ? `payment_intent=${ref.payment_intent}` : `charge=${ref.charge}`;
  return requestRecord(stripe, 'GET', `/v1/refunds?${query}&limit=100`);
}

/** Every refund of the payment, whoever made it (Latch, the Dashboard, another system); throws Stripe's error. */
export async function listRefunds(stripe: Stripe, ref: PaymentRef): Promise<Stripe.Refund[]> {
  const params: Stripe.RefundListParams = ref.payment_intent !== undefined ? { payment_intent: ref.payment_intent, limit: 100 } : { charge: ref.charge, limit: 100 };
  return stripe.refunds.list(params).autoPagingToArray({ limit: 10_000 });
}
