import { randomBytes } from 'node:crypto';
import { invalid, type FormParams } from './stripe-form.js';

// The fake Stripe's money: payment intents, their charges and refunds, as Stripe objects built on its fixtures.

type Json = Record<string, unknown>;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const newId = (prefix: string) => prefix + [...randomBytes(24)].map((b) => ALNUM[b % 62]).join('');
const major = (minor: number) => (minor / 100).toFixed(2);
const now = () => Math.floor(Date.now() / 1000);
/** Refund statuses that move money; failed and canceled ones moved none. */
const EFFECTIVE = new Set(['succeeded', 'pending', 'requires_action']);

export type RefundStatus = 'succeeded' | 'pending' | 'requires_action' | 'failed' | 'canceled';

export class StripeLedger {
  readonly paymentIntents = new Map<string, Json>();
  readonly charges = new Map<string, Json>();
  /** Every refund created, in creation order: the effects a test counts. */
  readonly refunds = new Map<string, Json>();
  /** The status new refunds get (Stripe reports some payment methods' refunds as pending). */
  refundStatus: RefundStatus = 'succeeded';

  constructor(private readonly fixtures: Record<string, Json>) {}

  addPaymentIntent(amount: number, currency = 'usd', id = newId('pi_'), customer: string | null = null): Json {
    const charge = { ...this.fixtures.charge, id: newId('ch_'), customer, amount, amount_captured: amount, amount_refunded: 0, captured: true, refunded: false, currency, payment_intent: id, status: 'succeeded', created: now() };
    this.charges.set(String(charge.id), charge);
    const intent = {
      ...this.fixtures.payment_intent, id, customer, amount, amount_received: amount, currency, status: 'succeeded', canceled_at: null,
      latest_charge: charge.id, client_secret: `${id}_secret_${newId('')}`, created: now(),
    };
    this.paymentIntents.set(id, intent);
    return intent;
  }

  /** The intent a refund request names, by payment_intent or charge. */
  intentFor(params: FormParams): Json {
    const str = (k: string) => (typeof params[k] === 'string' ? (params[k] as string) : undefined);
    const [piId, chargeId] = [str('payment_intent'), str('charge')];
    if (!piId && !chargeId) throw invalid('One of the following params should be provided for this request: payment_intent or charge.', undefined, 'parameter_missing');
    if (piId && chargeId) throw invalid('You cannot specify both payment_intent and charge.', 'charge');
    const intent = piId ? this.paymentIntents.get(piId) : [...this.paymentIntents.values()].find((p) => p.latest_charge === chargeId);
    if (!intent) throw invalid(piId ? `No such payment_intent: '${piId}'` : `No such charge: '${chargeId}'`, piId ? 'payment_intent' : 'charge', 'resource_missing');
    return intent;
  }

  createRefund(params: FormParams, status = this.refundStatus): Json {
    const intent = this.intentFor(params);
    const amountParam = typeof params.amount === 'string' ? Number(params.amount) : undefined;
    if (amountParam !== undefined && amountParam < 1) throw invalid('Invalid positive integer', 'amount', 'parameter_invalid_integer');
    const left = Number(intent.amount_received) - this.refunded(String(intent.id));
    if (left <= 0) throw invalid(`Charge ${String(intent.latest_charge)} has already been refunded.`, undefined, 'charge_already_refunded');
    if (amountParam !== undefined && amountParam > left) throw invalid(`Refund amount ($${major(amountParam)}) is greater than unrefunded amount on charge ($${major(left)})`, 'amount', 'amount_too_large');
    const refund = {
      ...this.fixtures.refund, id: newId('re_'), amount: amountParam ?? left, balance_transaction: newId('txn_'), charge: intent.latest_charge, created: now(),
      currency: intent.currency, metadata: typeof params.metadata === 'object' ? params.metadata : {}, payment_intent: intent.id,
      reason: typeof params.reason === 'string' ? params.reason : null, status, failure_reason: null,
    };
    this.refunds.set(refund.id, refund);
    this.#syncCharge(intent);
    return refund;
  }

  /** Moves a refund on, as Stripe does for a pending one (succeeded, failed, canceled). */
  settleRefund(id: string, status: RefundStatus, failureReason?: string): Json {
    const refund = this.refunds.get(id);
    if (!refund) throw new Error(`no refund ${id}`);
    Object.assign(refund, { status, failure_reason: status === 'failed' ? (failureReason ?? 'declined') : null });
    this.#syncCharge(this.paymentIntents.get(String(refund.payment_intent))!);
    return refund;
  }

  /** Refunds of an intent or charge, newest first, as `GET /v1/refunds` lists them. */
  listRefunds(query: URLSearchParams): Json {
    const [pi, charge] = [query.get('payment_intent'), query.get('charge')];
    const data = [...this.refunds.values()].filter((r) => (!pi || r.payment_intent === pi) && (!charge || r.charge === charge)).reverse();
    return { object: 'list', url: '/v1/refunds', has_more: false, data };
  }

  /** Charges, newest first, as `GET /v1/charges` lists them (by customer or payment intent; `limit` 1–100, default 10). */
  listCharges(query: URLSearchParams): Json {
    const unknown = [...query.keys()].find((k) => !['customer', 'payment_intent', 'limit'].includes(k));
    if (unknown) throw invalid(`Received unknown parameter: ${unknown}`, unknown, 'parameter_unknown');
    const limit = query.get('limit') ?? '10';
    if (!/^[0-9]+$/.test(limit) || Number(limit) < 1 || Number(limit) > 100) throw invalid('Invalid integer: must be between 1 and 100', 'limit', 'parameter_invalid_integer');
    const [customer, pi] = [query.get('customer'), query.get('payment_intent')];
    const all = [...this.charges.values()].filter((c) => (!customer || c.customer === customer) && (!pi || c.payment_intent === pi)).reverse();
    return { object: 'list', url: '/v1/charges', has_more: all.length > Number(limit), data: all.slice(0, Number(limit)) };
  }

  refunded(intentId: string): number {
    return [...this.refunds.values()].filter((r) => r.payment_intent === intentId && EFFECTIVE.has(String(r.status))).reduce((sum, r) => sum + Number(r.amount), 0);
  }

  #syncCharge(intent: Json): void {
    const charge = this.charges.get(String(intent.latest_charge));
    if (!charge) return;
    const refunded = this.refunded(String(intent.id));
    Object.assign(charge, { amount_refunded: refunded, refunded: refunded >= Number(charge.amount_captured) });
  }
}
