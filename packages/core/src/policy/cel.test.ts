import { tests as conformance } from '@bufbuild/cel-spec/testdata/conformance.js';
import type { SerializedIncrementalTestSuite } from '@bufbuild/cel-spec/testdata/tests.js';
import { describe, expect, it } from 'vitest';
import { compileCondition, evaluateCondition, MAX_CONDITION_LENGTH } from './cel.js';
import { PolicyError, type PolicyContext } from './policy.js';

const context = (input: unknown, fields: Record<string, unknown> = {}): PolicyContext => ({
  input,
  case: { type: 'refund', status: 'open', priority: 'high', queue: 'billing', fields },
  action: { plugin: 'stripe', action: 'refund' },
});
const holds = (source: string, ctx: PolicyContext = context({})) => evaluateCondition(compileCondition(source), ctx);

describe('CEL conditions', () => {
  it('compare JSON integers as CEL ints at the threshold', () => {
    const rule = 'input.amount_minor > 50000';
    expect(holds(rule, context({ amount_minor: 49_999 }))).toBe(false);
    expect(holds(rule, context({ amount_minor: 50_000 }))).toBe(false);
    expect(holds(rule, context({ amount_minor: 50_001 }))).toBe(true);
    expect(holds('type(input.amount_minor) == int && input.amount_minor + 1 == 50001', context({ amount_minor: 50_000 }))).toBe(true);
    expect(holds('type(input.rate) == double && input.rate < 1', context({ rate: 0.5 }))).toBe(true);
  });

  it('combine amounts with currency and read case, action and nested fields', () => {
    const rule = 'input.amount_minor > 50000 && input.currency == "usd"';
    expect(holds(rule, context({ amount_minor: 60_000, currency: 'usd' }))).toBe(true);
    expect(holds(rule, context({ amount_minor: 60_000, currency: 'eur' }))).toBe(false);
    expect(holds('case.fields.amount_minor >= 100', context({}, { amount_minor: 100 }))).toBe(true);
    expect(holds('case.fields.amount_minor >= 100', context({}, { amount_minor: 99 }))).toBe(false);
    expect(holds('case.priority == "high" && case.queue == "billing" && action.plugin == "stripe"')).toBe(true);
    expect(holds('input.lines.exists(l, l.sku.startsWith("gift-") && l.qty > 1)', context({ lines: [{ sku: 'gift-1', qty: 2 }] }))).toBe(true);
    expect(holds('input.note == null', context({ note: null }))).toBe(true);
  });

  it('use has() for optional fields', () => {
    expect(holds('has(input.reason)', context({ reason: 'damaged' }))).toBe(true);
    expect(holds('has(input.reason)', context({ reason: undefined }))).toBe(false);
    expect(holds('!has(input.reason) || input.reason != "fraud"', context({}))).toBe(true);
  });

  it('turn a missing field into a PolicyError', () => {
    expect(() => holds('input.nope > 1', context({ amount_minor: 1 }))).toThrow(PolicyError);
    expect(() => holds('input.nope > 1', context({ amount_minor: 1 }))).toThrow(/"input.nope > 1" could not be evaluated: field not found: nope/);
  });

  it('turn type errors and non-bool results into PolicyErrors', () => {
    expect(() => holds('input.amount_minor > "x"', context({ amount_minor: 1 }))).toThrow(/no matching overload/);
    expect(() => holds('input.amount_minor', context({ amount_minor: 1 }))).toThrow(/must evaluate to a bool, not int/);
    expect(() => holds('input.tags', context({ tags: ['a'] }))).toThrow(/not list/);
    expect(() => holds('1 / input.zero == 1', context({ zero: 0 }))).toThrow(/divide by zero/);
  });

  it('refuse at compile time what is certainly wrong', () => {
    expect(() => compileCondition('input.amount_minor >')).toThrow(/Invalid condition "input.amount_minor >": syntax error at 1:/);
    expect(() => compileCondition('input.amount_minor + 1')).toThrow(/does not evaluate to a bool/);
    expect(() => compileCondition('true ? "yes" : false')).toThrow(/does not evaluate to a bool/);
    expect(() => compileCondition('input.lines.map(l, l.qty)')).toThrow(/does not evaluate to a bool/);
    expect(() => compileCondition('inptu.amount_minor > 1')).toThrow(/unknown variable 'inptu'/);
    expect(() => compileCondition('process.env.HOME == ""')).toThrow(/unknown variable 'process'/);
    expect(() => compileCondition('eval("1") == 1')).toThrow(/unknown function 'eval'/);
    expect(() => compileCondition('')).toThrow(PolicyError);
  });

  it('is sandboxed and bounded', () => {
    expect(() => holds('input.constructor != null', context({}))).toThrow(/field not found: constructor/);
    expect(() => holds('input["__proto__"] != null', context({}))).toThrow(/field not found/);
    expect(() => compileCondition(`true || ${'a'.repeat(MAX_CONDITION_LENGTH)}`)).toThrow(/the limit is 2000/);
    expect(() => compileCondition(`${'('.repeat(600)}true${')'.repeat(600)}`)).toThrow(/nested/);
    const nested = 'input.a.all(x, input.a.all(y, input.a.all(z, x + y + z > 0)))';
    expect(() => compileCondition(nested)).toThrow(/nest more than 2 deep/);
    expect(() => holds('input.at > 0', context({ at: new Date() }))).toThrow(/cannot read input.at: it is not JSON/);
  });

  it('caches compiled conditions by source', () => {
    expect(compileCondition('input.x == 1')).toBe(compileCondition('input.x == 1'));
  });
});

// A few suites from the CEL spec's conformance data (shipped in @bufbuild/cel-spec): bool results and eval errors.
const SUITES: Record<string, readonly string[]> = {
  comparisons: ['lt_literal', 'gt_literal', 'gte_literal', 'in_list_literal', 'in_map_literal'],
  logic: ['AND', 'OR', 'NOT', 'conditional'],
  fields: ['map_has', 'in'],
  macros: ['exists', 'all', 'exists_one'],
  string: ['starts_with', 'ends_with', 'contains', 'matches'],
};
const USABLE_KEYS = new Set(['name', 'expr', 'value', 'evalError', 'description', 'disableCheck']);

describe('CEL conformance (subset)', () => {
  const cases = Object.entries(SUITES).flatMap(([suite, names]) => {
    const parent = conformance.suites?.find((s) => s.name === suite);
    return names.flatMap((name) => {
      const child: SerializedIncrementalTestSuite | undefined = parent?.suites?.find((s) => s.name === name);
      return (child?.tests ?? [])
        .map((test) => test.original)
        .filter((test) => Object.keys(test).every((key) => USABLE_KEYS.has(key)))
        .map((test) => ({ label: `${suite}/${name}/${test.name ?? test.expr}`, expr: test.expr, value: test.value, evalError: test.evalError }));
    });
  });

  it('loads a usable number of cases', () => {
    expect(cases.length).toBeGreaterThan(150);
  });

  it.each(cases)('$label', ({ expr, value, evalError }) => {
    if (evalError !== undefined) {
      expect(() => holds(expr)).toThrow(PolicyError);
    } else if (typeof value === 'object' && value !== null && 'boolValue' in value) {
      expect(holds(expr)).toBe(value.boolValue);
    } else {
      expect(() => holds(expr)).toThrow(PolicyError);
    }
  });
});
