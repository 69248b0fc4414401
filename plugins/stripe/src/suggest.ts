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

/** Offers `refund` for cases that name a payment intent, prefilled with the case's amount and currency. */
export function suggestActions(c: CaseLike): ActionSuggestion[] {
  const { payment_intent, amount_minor, currency } = c.fields;
  if (typeof payment_intent !== 'string' || !/^pi_[A-Za-z0-9]{1,64}$/.test(payment_intent)) return [];
  const input: Record<string, unknown> = { payment_intent, reason: 'requested_by_customer' };
  if (Number.isSafeInteger(amount_minor) && (amount_minor as number) > 0) input.amount_minor = amount_minor;
  if (typeof currency === 'string') input.currency = currency;
  return [{ name: 'refund', title: 'Refund a payment', suggestedInput: input }];
}
