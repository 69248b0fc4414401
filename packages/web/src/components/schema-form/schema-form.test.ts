import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../../api/types';
import { fieldsOf, labelsOf, rawFrom, valuesFrom } from './schema-form';

/** The refund action's input, as config/case-types/refund.v2.yaml declares it. */
const refundInput: JsonSchema = {
  type: 'object',
  required: ['payment_intent', 'amount_minor', 'currency', 'reason'],
  properties: {
    payment_intent: { type: 'string', pattern: '^pi_[A-Za-z0-9]{1,64}$' },
    amount_minor: { type: 'integer', minimum: 1, maximum: 100000000000 },
    currency: { type: 'string', enum: ['usd', 'eur', 'gbp', 'chf'] },
    reason: { type: 'string', enum: ['duplicate', 'fraudulent', 'requested_by_customer'] },
    note: { type: 'string', maxLength: 5, 'x-label': 'Note' },
    notify: { type: 'boolean', default: true },
    extra: { type: 'object' },
  },
};

describe('forms from flat JSON Schemas', () => {
  const fields = fieldsOf(refundInput, { amount_minor: 'Amount (minor units)' });

  it('picks a control per property, labels from the schema, then the given labels, then the name', () => {
    expect(fields.map((f) => [f.name, f.control, f.label, f.required])).toEqual([
      ['payment_intent', 'text', 'payment intent', true],
      ['amount_minor', 'integer', 'Amount (minor units)', true],
      ['currency', 'select', 'currency', true],
      ['reason', 'select', 'reason', true],
      ['note', 'text', 'Note', false],
      ['notify', 'checkbox', 'notify', false],
      ['extra', 'json', 'extra', false],
    ]);
    expect(labelsOf({ properties: { order_id: { type: 'string', 'x-label': 'Order' } } })).toEqual({ order_id: 'Order' });
  });

  it('prefills from an object, defaults where it has nothing', () => {
    expect(rawFrom(fields, { amount_minor: 75000, currency: 'usd', extra: { a: 1 }, unrelated: 'x' })).toEqual({
      payment_intent: '',
      amount_minor: '75000',
      currency: 'usd',
      reason: '',
      note: '',
      notify: true,
      extra: '{"a":1}',
    });
  });

  it('types what was typed and names every problem', () => {
    const good = valuesFrom(fields, { payment_intent: ' pi_42 ', amount_minor: '75000', currency: 'usd', reason: 'duplicate', note: '', notify: false, extra: '{"a":[1]}' });
    expect(good).toEqual({ value: { payment_intent: 'pi_42', amount_minor: 75000, currency: 'usd', reason: 'duplicate', notify: false, extra: { a: [1] } }, errors: {} });

    const bad = valuesFrom(fields, { payment_intent: 'ch_42', amount_minor: '12.5', currency: 'yen', reason: '', note: 'too long', notify: true, extra: '{nope' });
    expect(bad.errors).toEqual({
      payment_intent: 'payment intent is not in the expected form',
      amount_minor: 'Amount (minor units) must be a whole number',
      currency: 'currency must be one of usd, eur, gbp, chf',
      reason: 'reason is required',
      note: 'Note allows at most 5 characters',
      extra: 'extra must be valid JSON',
    });
    expect(valuesFrom(fields, { amount_minor: '0' }).errors.amount_minor).toBe('Amount (minor units) must be at least 1');
  });
});
