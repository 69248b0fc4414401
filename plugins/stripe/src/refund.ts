import Stripe from 'stripe';
import { formBody, urlFor } from './client.js';
import { formatMinor } from './money.js';
import type { ExecuteResult, ExternalExchange } from './types.js';

/** Input of the `refund` action (config/case-types/refund.v2.yaml, stripe.refund). */
export interface RefundInput {
  payment_intent: string;
  amount_minor: number;
  currency: string;
  reason: 'duplicate' | 'fraudulent' | 'requested_by_customer';
}

/** Per-attempt identifiers from `action.execute`. */
export interface RefundOptions {
  idempotencyKey: string;
  requestId: string;
}

const REASONS = new Set(['duplicate', 'fraudulent', 'requested_by_customer']);

/** Why `input` is not a RefundInput, or undefined when it is one. */
export function refundInputProblem(input: unknown): string | undefined {
  const i = (input ?? {}) as Record<string, unknown>;
  if (typeof i.payment_intent !== 'string' || !/^pi_[A-Za-z0-9]{1,64}$/.test(i.payment_intent)) return 'payment_intent must look like pi_...';
  if (!Number.isSafeInteger(i.amount_minor) || (i.amount_minor as number) < 1) return 'amount_minor must be a positive integer';
  if (typeof i.currency !== 'string' || !/^[a-z]{3}$/.test(i.currency)) return 'currency must be a lowercase ISO 4217 code';
  if (typeof i.reason !== 'string' || !REASONS.has(i.reason)) return 'reason must be duplicate, fraudulent or requested_by_customer';
  return undefined;
}

/** True for failures worth retrying with the same idempotency key: no answer, 409 (key in use), 429 and 5xx. */
export function isRetryable(err: InstanceType<typeof Stripe.errors.StripeError>): boolean {
  const status = err.statusCode;
  return status === undefined || status === 409 || status === 429 || status >= 500;
}

/** Turns a Stripe client error into a failed result, keeping Stripe's answer (without our headers) for the record. */
function failure(err: unknown, request: ExternalExchange['request'], what: string): ExecuteResult {
  if (!(err instanceof Stripe.errors.StripeError)) throw err;
  const retryable = isRetryable(err);
  const external: ExternalExchange = { request };
  if (err.statusCode !== undefined) {
    const { headers: _h, statusCode: _s, requestId: _r, ...error } = err.raw as Record<string, unknown>;
    external.response = { status: err.statusCode, body: JSON.stringify({ error }) };
  }
  const cause = err.statusCode === undefined ? err.message : `${err.statusCode} ${err.code ?? err.rawType ?? err.type}: ${err.message}`;
  return { status: 'failed', retryable, summary: `${what} failed${retryable ? ' (will retry)' : ''}: ${cause}`, external };
}

/**
 * Refunds `amount_minor` of a PaymentIntent once per idempotency key. It first checks that the intent is in the
 * approved currency (Stripe refunds in the intent's currency, whatever the input says), then creates the refund.
 */
export async function executeRefund(stripe: Stripe, input: RefundInput, opts: RefundOptions): Promise<ExecuteResult> {
  const problem = refundInputProblem(input);
  if (problem) return { status: 'failed', retryable: false, summary: `Invalid refund input: ${problem}` };
  const lookup = { method: 'GET', url: urlFor(stripe, `/v1/payment_intents/${input.payment_intent}`), body: '' };
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe.paymentIntents.retrieve(input.payment_intent);
  } catch (err) {
    return failure(err, lookup, `Looking up ${input.payment_intent}`);
  }
  if (intent.currency !== input.currency) {
    const response = { status: 200, body: JSON.stringify(intent) };
    return { status: 'failed', retryable: false, summary: `Not refunded: ${intent.id} is in ${intent.currency.toUpperCase()}, the approved refund is in ${input.currency.toUpperCase()}`, external: { request: lookup, response } };
  }
  const params = { payment_intent: input.payment_intent, amount: input.amount_minor, reason: input.reason, metadata: { latch_request: opts.requestId } };
  const request = { method: 'POST', url: urlFor(stripe, '/v1/refunds'), headers: { 'Idempotency-Key': opts.idempotencyKey }, body: formBody(params) };
  let refund: Stripe.Refund;
  try {
    refund = await stripe.refunds.create(params, { idempotencyKey: opts.idempotencyKey });
  } catch (err) {
    return failure(err, request, 'Refund');
  }
  const external = { request, response: { status: 200, body: JSON.stringify(refund) } };
  const output = { refund_id: refund.id, status: refund.status ?? 'unknown', amount: refund.amount, currency: refund.currency };
  const money = formatMinor(refund.amount, refund.currency);
  if (refund.status === 'failed' || refund.status === 'canceled') {
    return { status: 'failed', retryable: false, summary: `Stripe created refund ${refund.id} of ${money} but it ${refund.status}: ${refund.failure_reason ?? 'no reason given'}`, external };
  }
  const summary = refund.status === 'succeeded' ? `Refunded ${money} (${refund.id})` : `Refund of ${money} is ${refund.status ?? 'pending'} (${refund.id})`;
  return { status: 'succeeded', summary, output, external };
}
