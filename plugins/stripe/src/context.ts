import type { ContextFact } from '@latch/plugin-sdk';
import type Stripe from 'stripe';
import { formatMinor } from './money.js';
import { isEffective, listRefunds } from './payment.js';

/** How many of the customer's charges the context lists, newest first. */
export const RECENT_CHARGES = 5;

const INTENT = /^pi_[A-Za-z0-9]{1,64}$/;
const CHARGE = /^(ch|py)_[A-Za-z0-9]{1,64}$/;

/** The order details of a refund case: what a reviewer checks before refunding. */
export interface CaseFacts {
  facts: ContextFact[];
  summary: string;
}

/**
 * Reads, for a case naming a payment intent (or else a charge): the intent, its amount and currency,
 * the refunds so far (amount and count, whoever made them), and the customer's recent charges (up to
 * five; the payment's own charges when it has no customer). Ids, amounts and statuses only: no
 * names, emails or card details. Throws Stripe's error when it can't be read.
 */
export async function readCaseFacts(stripe: Stripe, fields: Readonly<Record<string, unknown>>): Promise<CaseFacts> {
  const { payment_intent: pi, charge: ch } = fields;
  const intentId = typeof pi === 'string' && INTENT.test(pi) ? pi : undefined;
  const chargeId = !intentId && typeof ch === 'string' && CHARGE.test(ch) ? ch : undefined;
  if (!intentId && !chargeId) return { facts: [], summary: 'The case names no Stripe payment intent or charge' };
  const intent = intentId ? await stripe.paymentIntents.retrieve(intentId) : await intentOfCharge(stripe, chargeId!);
  const payment = intent ? { id: intent.id, amount: intent.amount_received || intent.amount, currency: intent.currency, status: intent.status } : await chargeAsPayment(stripe, chargeId!);
  const refunds = (await listRefunds(stripe, intent ? { payment_intent: intent.id } : { charge: chargeId! })).filter(isEffective);
  const refunded = refunds.reduce((sum, r) => sum + r.amount, 0);
  const customer = typeof intent?.customer === 'string' ? intent.customer : (intent?.customer?.id ?? undefined);
  const charges = (await stripe.charges.list(customer ? { customer, limit: RECENT_CHARGES } : { payment_intent: payment.id, limit: RECENT_CHARGES })).data.slice(0, RECENT_CHARGES);
  const money = (amount: number) => formatMinor(amount, payment.currency);
  const facts: ContextFact[] = [
    { label: intent ? 'Payment intent' : 'Charge', value: payment.id, kind: 'id' },
    { label: 'Amount', value: money(payment.amount), kind: 'amount' },
    { label: 'Currency', value: payment.currency.toUpperCase() },
    { label: 'Payment status', value: payment.status, kind: 'status' },
    { label: 'Refunded so far', value: money(refunded), kind: 'amount' },
    { label: 'Refunds', value: String(refunds.length) },
    ...(customer ? [{ label: 'Customer', value: customer, kind: 'id' as const }] : []),
    ...charges.map((c, i) => ({
      label: `${customer ? 'Recent charge' : 'Charge'} ${i + 1}`,
      value: `${c.id} · ${formatMinor(c.amount, c.currency)} · ${c.status}${c.amount_refunded > 0 ? ` · ${formatMinor(c.amount_refunded, c.currency)} refunded` : ''} · ${new Date(c.created * 1000).toISOString().slice(0, 10)}`,
    })),
  ];
  return { facts, summary: `${money(payment.amount)} paid, ${money(refunded)} refunded in ${refunds.length} refund${refunds.length === 1 ? '' : 's'}` };
}

async function intentOfCharge(stripe: Stripe, chargeId: string): Promise<Stripe.PaymentIntent | undefined> {
  const charge = await stripe.charges.retrieve(chargeId);
  const pi = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
  return pi ? stripe.paymentIntents.retrieve(pi) : undefined;
}

async function chargeAsPayment(stripe: Stripe, chargeId: string) {
  const charge = await stripe.charges.retrieve(chargeId);
  return { id: charge.id, amount: charge.amount_captured, currency: charge.currency, status: charge.status };
}
