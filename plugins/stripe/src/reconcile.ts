import type Stripe from 'stripe';
import { responseRecord } from './exchange.js';
import { isEffective, listRefunds, refundListRequest, type PaymentRef } from './payment.js';
import { refundInputProblem, resultOf, type RefundInput } from './refund.js';
import type { ExecuteResult } from './types.js';

/** An `action.reconcile` answer. */
export type ReconcileAnswer = { found: false } | { found: true; result: ExecuteResult };

/**
 * Finds whether an earlier execution of this approved refund reached Stripe, whatever key it used:
 * every refund Latch makes carries `metadata[latch_action]` = the request id, and the payment's
 * refunds are listed (made by Latch or not). A refund that moved or is moving money is found (its
 * current status: succeeded, or pending and followed); one that failed or was canceled is reported
 * as a failure that moved nothing, so a new execution may refund. Throws when Stripe can't be
 * asked: the host then does not refund on a guess.
 */
export async function reconcileRefund(stripe: Stripe, input: RefundInput, requestId: string): Promise<ReconcileAnswer> {
  if (refundInputProblem(input)) return { found: false }; // such an input never reached Stripe
  const ref: PaymentRef = input.payment_intent !== undefined ? { payment_intent: input.payment_intent } : { charge: input.charge };
  const ours = (await listRefunds(stripe, ref)).filter((r) => r.metadata?.latch_action === requestId || r.metadata?.latch_request === requestId);
  if (ours.length === 0) return { found: false };
  // Stripe lists newest first; one that moved money wins over earlier failed ones.
  const refund = ours.find(isEffective) ?? ours[0]!;
  const extra = ours.filter(isEffective).length > 1 ? `${ours.filter(isEffective).length} refunds carry this request id; ` : '';
  return { found: true, result: resultOf(refund, { request: refundListRequest(stripe, ref), response: responseRecord(refund) }, extra) };
}
