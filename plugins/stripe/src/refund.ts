import Stripe from 'stripe';
import { formBody } from './client.js';
import { errorResponseRecord, requestRecord, responseRecord } from './exchange.js';
import { formatMinor } from './money.js';
import { isEffective, listRefunds, paymentIdOf, readPayment, refundListRequest, type PaymentRef } from './payment.js';
import type { ExecuteResult, ExternalExchange } from './types.js';

/** Input of the `refund` action: a PaymentIntent or a Charge, an amount in its currency, a reason. */
export type RefundInput = PaymentRef & {
  amount_minor: number;
  currency: string;
  reason: 'duplicate' | 'fraudulent' | 'requested_by_customer';
};

/** Identifiers from `action.execute`: the same request id on every execution, a key per execution. */
export interface RefundOptions {
  idempotencyKey: string;
  requestId: string;
  caseId: string;
}

const REASONS = new Set(['duplicate', 'fraudulent', 'requested_by_customer']);

/** Why `input` is not a RefundInput, or undefined when it is one. */
export function refundInputProblem(input: unknown): string | undefined {
  const i = (input ?? {}) as Record<string, unknown>;
  if ((i.payment_intent === undefined) === (i.charge === undefined)) return 'give exactly one of payment_intent and charge';
  if (i.payment_intent !== undefined && (typeof i.payment_intent !== 'string' || !/^pi_[A-Za-z0-9]{1,64}$/.test(i.payment_intent))) return 'payment_intent must look like pi_...';
  if (i.charge !== undefined && (typeof i.charge !== 'string' || !/^(ch|py)_[A-Za-z0-9]{1,64}$/.test(i.charge))) return 'charge must look like ch_...';
  if (!Number.isSafeInteger(i.amount_minor) || (i.amount_minor as number) < 1) return 'amount_minor must be a positive integer';
  if (typeof i.currency !== 'string' || !/^[a-z]{3}$/.test(i.currency)) return 'currency must be a lowercase ISO 4217 code';
  if (typeof i.reason !== 'string' || !REASONS.has(i.reason)) return 'reason must be duplicate, fraudulent or requested_by_customer';
  return undefined;
}

/**
 * Turns a Stripe client error into a failed result, keeping Stripe's answer for the record. Retryable:
 * no answer, 409 (the key is in use), 429, 5xx. The effect is unknown when the request may have
 * reached Stripe and acted (no answer, 409, 5xx); a read, a 429 or a 4xx refusal acted on nothing.
 */
export function failure(err: unknown, request: ExternalExchange['request'], what: string, write: boolean): ExecuteResult {
  if (!(err instanceof Stripe.errors.StripeError)) throw err;
  const status = err.statusCode;
  const retryable = status === undefined || status === 409 || status === 429 || status >= 500;
  const effect = write && retryable && status !== 429 ? 'unknown' : 'none';
  const response = errorResponseRecord(err);
  const cause = status === undefined ? err.message : `${status} ${err.code ?? err.rawType ?? err.type}: ${err.message}`;
  return { status: 'failed', retryable, effect, summary: `${what} failed: ${cause}`, external: { request, ...(response ? { response } : {}) } };
}

/** The result a refund object stands for: succeeded, still pending, or failed without moving money. */
export function resultOf(refund: Stripe.Refund, external: ExternalExchange, prefix = ''): ExecuteResult {
  const output = { refund_id: refund.id, status: refund.status ?? 'unknown', amount: refund.amount, currency: refund.currency };
  const money = formatMinor(refund.amount, refund.currency);
  if (refund.status === 'succeeded') return { status: 'succeeded', summary: `${prefix}Refunded ${money} (${refund.id})`, output, external };
  if (refund.status === 'failed' || refund.status === 'canceled') {
    return { status: 'failed', retryable: false, effect: 'none', summary: `${prefix}Stripe's refund ${refund.id} of ${money} ${refund.status}: ${refund.failure_reason ?? 'no reason given'}`, output, external };
  }
  return { status: 'pending', summary: `${prefix}Refund of ${money} is ${refund.status ?? 'pending'} at Stripe (${refund.id})`, output, external };
}

/**
 * Refunds `amount_minor` of a PaymentIntent or Charge once per idempotency key. It first reads the
 * payment and refuses, permanently, a refund in another currency than the payment's (Stripe refunds
 * in the payment's currency whatever the input says) or above what is still refundable: the amount
 * received minus every refund already made or in progress, including refunds made outside Latch.
 * A refund of this request found among them (an earlier attempt's) is the result: no second refund.
 */
export async function executeRefund(stripe: Stripe, input: RefundInput, opts: RefundOptions): Promise<ExecuteResult> {
  const problem = refundInputProblem(input);
  if (problem) return { status: 'failed', retryable: false, effect: 'none', summary: `Invalid refund input: ${problem}` };
  const ref: PaymentRef = input.payment_intent !== undefined ? { payment_intent: input.payment_intent } : { charge: input.charge };
  const target = paymentIdOf(ref);
  let payment;
  try {
    payment = await readPayment(stripe, ref);
  } catch (err) {
    return failure(err, requestRecord(stripe, 'GET', input.payment_intent !== undefined ? `/v1/payment_intents/${target}` : `/v1/charges/${target}`), `Looking up ${target}`, false);
  }
  if (payment.currency !== input.currency) {
    return { status: 'failed', retryable: false, effect: 'none', summary: `Not refunded: ${payment.id} is in ${payment.currency.toUpperCase()}, the approved refund is in ${input.currency.toUpperCase()}`, external: payment.exchange };
  }
  let refunds: Stripe.Refund[];
  try {
    refunds = (await listRefunds(stripe, ref)).filter(isEffective);
  } catch (err) {
    return failure(err, refundListRequest(stripe, ref), `Listing the refunds of ${target}`, false);
  }
  // This approved refund already reached Stripe (under any key): report it, never refund it again.
  const ours = refunds.find((r) => r.metadata?.latch_action === opts.requestId);
  if (ours) return resultOf(ours, { request: refundListRequest(stripe, ref), response: responseRecord(ours) }, 'Already refunded by an earlier attempt: ');
  const refunded = refunds.reduce((sum, r) => sum + r.amount, 0);
  const refundable = payment.received - refunded;
  if (input.amount_minor > refundable) {
    const money = (n: number) => formatMinor(n, payment.currency);
    const summary = `Not refunded: ${money(input.amount_minor)} asked, but only ${money(Math.max(0, refundable))} of ${payment.id} is still refundable (received ${money(payment.received)}, already refunded or in progress ${money(refunded)}, including refunds made outside Latch)`;
    return { status: 'failed', retryable: false, effect: 'none', summary, external: payment.exchange };
  }
  const params = { ...ref, amount: input.amount_minor, reason: input.reason, metadata: { latch_action: opts.requestId, latch_case: opts.caseId } };
  const request = requestRecord(stripe, 'POST', '/v1/refunds', formBody(params), opts.idempotencyKey);
  let refund: Stripe.Refund;
  try {
    refund = await stripe.refunds.create(params, { idempotencyKey: opts.idempotencyKey });
  } catch (err) {
    return failure(err, request, 'Refund', true);
  }
  return resultOf(refund, { request, response: responseRecord(refund) });
}
