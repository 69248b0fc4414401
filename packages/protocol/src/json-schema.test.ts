import { describe, expect, it } from 'vitest';
import { deepEqual, formatProblems, unsupportedKeywords, validateSchema, type JsonSchema } from './json-schema.js';

const paths = (schema: JsonSchema | boolean, value: unknown) => validateSchema(schema, value).map((p) => `${p.path} ${p.message}`);

describe('validateSchema', () => {
  it('checks types, with integer meaning a whole number and lists of types', () => {
    expect(paths({ type: 'integer' }, 3)).toEqual([]);
    expect(paths({ type: 'integer' }, 3.5)).toEqual([' must be integer']);
    expect(paths({ type: 'number' }, Number.NaN)).toEqual([' must be number']);
    expect(paths({ type: 'object' }, [])).toEqual([' must be object']);
    expect(paths({ type: 'object' }, null)).toEqual([' must be object']);
    expect(paths({ type: ['string', 'null'] }, null)).toEqual([]);
    expect(paths({ type: ['string', 'null'] }, 1)).toEqual([' must be string or null']);
  });

  it('checks required, properties and additionalProperties, with JSON Pointer paths', () => {
    const schema: JsonSchema = {
      type: 'object',
      required: ['a', 'a/b'],
      additionalProperties: false,
      properties: { a: { type: 'string' }, 'a/b': { type: 'integer', minimum: 1 } },
    };
    expect(paths(schema, { a: 'x', 'a/b': 1 })).toEqual([]);
    expect(paths(schema, { 'a/b': 0, c: true })).toEqual(['/a is required', '/a~1b must be >= 1', '/c is not an allowed property']);
    expect(paths({ type: 'object', additionalProperties: { type: 'number' } }, { x: 1, y: 'no' })).toEqual(['/y must be number']);
  });

  it('checks enum and const by structure', () => {
    expect(paths({ enum: ['usd', 'eur'] }, 'eur')).toEqual([]);
    expect(paths({ enum: ['usd', 'eur'] }, 'gbp')).toEqual([' must be one of "usd", "eur"']);
    expect(paths({ const: { a: [1, 2] } }, { a: [1, 2] })).toEqual([]);
    expect(paths({ const: '1' }, 1)).toEqual([' must be "1"']);
  });

  it('checks strings: lengths in code points, unanchored patterns', () => {
    expect(paths({ type: 'string', maxLength: 2 }, '😀😀')).toEqual([]);
    expect(paths({ type: 'string', minLength: 3 }, '😀😀')).toEqual([' must be at least 3 characters']);
    expect(paths({ type: 'string', pattern: 'pi_' }, 'x_pi_1')).toEqual([]);
    expect(paths({ type: 'string', pattern: '^pi_[0-9]+$' }, 'pi_x')).toEqual([' must match ^pi_[0-9]+$']);
  });

  it('checks numbers and arrays', () => {
    expect(paths({ type: 'number', minimum: 0, maximum: 10 }, 10)).toEqual([]);
    expect(paths({ type: 'number', maximum: 10 }, 11)).toEqual([' must be <= 10']);
    const list: JsonSchema = { type: 'array', minItems: 1, maxItems: 2, items: { type: 'string' } };
    expect(paths(list, [])).toEqual([' must have at least 1 items']);
    expect(paths(list, ['a', 2, 'c'])).toEqual([' must have at most 2 items', '/1 must be string']);
  });

  it('handles boolean schemas and ignores annotations', () => {
    expect(paths(true, { anything: 1 })).toEqual([]);
    expect(paths(false, 1)).toEqual([' is not allowed']);
    expect(paths({ title: 'x', description: 'y', format: 'email', default: 1 }, 'not an email')).toEqual([]);
  });

  it('formats problems for messages', () => {
    expect(formatProblems(validateSchema({ type: 'object', required: ['a'] }, {}))).toBe('/a is required');
    expect(formatProblems(validateSchema({ type: 'string' }, 1))).toBe('/ must be string');
  });
});

describe('unsupportedKeywords', () => {
  it('finds assertions the validator does not implement, at any depth', () => {
    const schema: JsonSchema = {
      type: 'object',
      title: 'ok',
      'x-label': 'ok',
      properties: { a: { oneOf: [{ type: 'string' }] }, b: { type: 'array', items: { $ref: '#/$defs/x' } } },
      additionalProperties: { not: {} },
    };
    expect(unsupportedKeywords(schema)).toEqual(['#/properties/a/oneOf', '#/properties/b/items/$ref', '#/additionalProperties/not']);
    expect(unsupportedKeywords({ type: 'string', pattern: '(' })).toEqual(['#/pattern']);
    expect(unsupportedKeywords({ type: 'object', required: ['a'], properties: { a: { enum: [1] } } })).toEqual([]);
  });
});

describe('deepEqual', () => {
  it('compares JSON values structurally, ignoring key order', () => {
    expect(deepEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
  });
});
