import fc from 'fast-check';

/**
 * Arbitrary JSON-like values for the canonical scanners' property tests: nulls, booleans, integers
 * (and the given other numbers), strings made of the given tricky units and of single arbitrary
 * code units, arrays, and objects keyed by such strings (and the given keys).
 */
export function jsonValues(options: { tricky: readonly string[]; numbers: readonly number[]; keys?: readonly string[]; stringLength: number }): fc.Arbitrary<unknown> {
  const unit = fc.oneof(fc.constantFrom(...options.tricky), fc.string({ unit: 'binary', maxLength: 1 }));
  const str = fc.string({ unit, maxLength: options.stringLength });
  const key = options.keys === undefined ? str : fc.oneof(str, fc.constantFrom(...options.keys));
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
      fc.constantFrom(...options.numbers),
      str,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    ),
  }));
  return value;
}
