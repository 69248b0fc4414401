import { describe, expectTypeOf, it } from 'vitest';
import { action } from './define-plugin.js';
import type { FromSchema } from './from-schema.js';

describe('FromSchema', () => {
  it('maps primitive, enum and const schemas', () => {
    expectTypeOf<FromSchema<{ type: 'string' }>>().toEqualTypeOf<string>();
    expectTypeOf<FromSchema<{ type: 'integer' }>>().toEqualTypeOf<number>();
    expectTypeOf<FromSchema<{ type: 'boolean' }>>().toEqualTypeOf<boolean>();
    expectTypeOf<FromSchema<{ type: readonly ['string', 'null'] }>>().toEqualTypeOf<string | null>();
    expectTypeOf<FromSchema<{ readonly enum: readonly ['usd', 'eur'] }>>().toEqualTypeOf<'usd' | 'eur'>();
    expectTypeOf<FromSchema<{ const: 'x' }>>().toEqualTypeOf<'x'>();
    expectTypeOf<FromSchema<{ type: 'array'; items: { type: 'number' } }>>().toEqualTypeOf<number[]>();
    expectTypeOf<FromSchema<{ oneOf: [] }>>().toEqualTypeOf<unknown>();
  });

  it('maps objects: required keys, optional keys, closed or open', () => {
    type Closed = {
      readonly type: 'object';
      readonly additionalProperties: false;
      readonly required: readonly ['id', 'amount'];
      readonly properties: { readonly id: { readonly type: 'string' }; readonly amount: { readonly type: 'integer' }; readonly note: { readonly type: 'string' } };
    };
    expectTypeOf<FromSchema<Closed>>().toEqualTypeOf<{ id: string; amount: number; note?: string }>();
    expectTypeOf<FromSchema<{ type: 'object'; properties: { id: { type: 'string' } } }>>().toEqualTypeOf<{ [key: string]: unknown; id?: string }>();
    expectTypeOf<FromSchema<{ type: 'object'; additionalProperties: false }>>().toEqualTypeOf<Record<string, never>>();
  });

  it('types an action input from its schema, or from a type argument', () => {
    action({
      inputSchema: { type: 'object', required: ['message'], additionalProperties: false, properties: { message: { type: 'string' } } },
      execute({ input }) {
        expectTypeOf(input).toEqualTypeOf<{ message: string }>();
        return { summary: input.message };
      },
    });
    action<{ count: number }>({
      execute({ input }) {
        expectTypeOf(input).toEqualTypeOf<{ count: number }>();
        return { summary: String(input.count) };
      },
    });
  });
});
