/** The case as sent to `actions.list` (only the manifest's caseFields are present). */
export interface CaseLike {
  fields: Record<string, unknown>;
}

/** An action offered for a case, with an input to prefill the proposal form. */
export interface ActionSuggestion {
  name: string;
  title: string;
  suggestedInput?: Record<string, unknown>;
}

/** Offers `refund` for cases that name a payment intent (or else a charge), prefilled with the case's amount and currency. */
export function suggestActions(c: CaseLike): ActionSuggestion[] {
  const { payment_intent, charge, amount_minor, currency } = c.fields;
  const intent = typeof payment_intent === 'string' && /^pi_[A-Za-z0-9]{1,64}$/.test(payment_intent);
  const byCharge = !intent && typeof charge === 'string' && /^(ch|py)_[A-Za-z0-9]{1,64}$/.test(charge);
  if (!intent && !byCharge) return [];
  const input: Record<string, unknown> = { ...(intent ? { payment_intent } : { charge }), reason: 'requested_by_customer' };
  if (Number.isSafeInteger(amount_minor) && (amount_minor as number) > 0) input.amount_minor = amount_minor;
  if (typeof currency === 'string') input.currency = currency;
  return [{ name: 'refund', title: 'Refund a payment', suggestedInput: input }];
}
