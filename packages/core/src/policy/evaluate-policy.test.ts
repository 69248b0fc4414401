import { describe, expect, it } from 'vitest';
import { checkPolicy, requiredSteps } from './evaluate-policy.js';
import { PolicyError, type ApprovalPolicy, type PolicyContext } from './policy.js';

const HOUR = 3_600_000;
const policy: ApprovalPolicy = {
  key: 'refund_threshold',
  version: 3,
  steps: [
    { name: 'triage', team: 'support' },
    { name: 'approver', when: 'input.amount_minor > 50000 && input.currency == "usd"', role: 'refund_approver', expiresIn: 'PT48H' },
    { name: 'finance', when: 'has(case.fields.amount_minor) && case.fields.amount_minor >= 1000000', team: 'finance', count: 2, expiresIn: 'P2D', allowTokens: ['tok_ops'] },
  ],
};
const context = (input: unknown, fields: Record<string, unknown> = {}): PolicyContext => ({
  input,
  case: { type: 'refund', status: 'open', priority: 'normal', queue: 'refunds', fields },
  action: { plugin: 'stripe', action: 'refund' },
});
const names = (ctx: PolicyContext, p: ApprovalPolicy = policy) => requiredSteps(p, ctx).map((s) => s.name);

describe('requiredSteps', () => {
  it('applies an amount threshold exactly at the boundary', () => {
    expect(names(context({ amount_minor: 49_999, currency: 'usd' }))).toEqual(['triage']);
    expect(names(context({ amount_minor: 50_000, currency: 'usd' }))).toEqual(['triage']);
    expect(names(context({ amount_minor: 50_001, currency: 'usd' }))).toEqual(['triage', 'approver']);
    expect(names(context({ amount_minor: 50_001, currency: 'eur' }))).toEqual(['triage']);
  });

  it('keeps policy order, reads case fields and fills in defaults', () => {
    const steps = requiredSteps(policy, context({ amount_minor: 2_000_000, currency: 'usd' }, { amount_minor: 2_000_000 }));
    expect(steps).toEqual([
      { index: 0, name: 'triage', team: 'support', count: 1, expiresInMs: 7 * 24 * HOUR, allowTokens: [] },
      { index: 1, name: 'approver', role: 'refund_approver', count: 1, expiresInMs: 48 * HOUR, allowTokens: [] },
      { index: 2, name: 'finance', team: 'finance', count: 2, expiresInMs: 48 * HOUR, allowTokens: ['tok_ops'] },
    ]);
  });

  it('needs no approval when no step applies', () => {
    const conditional: ApprovalPolicy = { ...policy, steps: policy.steps.slice(1) };
    expect(requiredSteps(conditional, context({ amount_minor: 10, currency: 'usd' }))).toEqual([]);
  });

  it('fails closed with a PolicyError when a condition cannot be evaluated', () => {
    expect(() => requiredSteps(policy, context({ currency: 'usd' }))).toThrow(PolicyError);
    expect(() => requiredSteps(policy, context({ amount_minor: '60000', currency: 'usd' }))).toThrow(/no matching overload/);
  });

  it('refuses an applicable step that is malformed', () => {
    const bad: ApprovalPolicy = { key: 'bad', version: 1, steps: [{ name: 'x', role: 'a', count: 0 }] };
    expect(() => requiredSteps(bad, context({}))).toThrow(/count must be an integer >= 1/);
  });
});

describe('checkPolicy', () => {
  it('accepts a sound policy', () => {
    expect(checkPolicy(policy)).toEqual([]);
  });

  it('explains each problem, naming the step and the expression', () => {
    const bad: ApprovalPolicy = {
      key: 'refund_threshold',
      version: 0,
      steps: [
        { name: 'a', role: 'r', team: 't' },
        { name: 'b', count: 1.5, role: 'r', expiresIn: '48h' },
        { name: 'b', team: 't', when: 'input.amount_minor >' },
        { name: 'c', role: 'r', when: 'input.amount_minor + 1' },
      ],
    };
    expect(checkPolicy(bad)).toEqual([
      "version must be an integer >= 1",
      "step 1 'a': name exactly one of role or team",
      "step 2 'b': count must be an integer >= 1, not 1.5",
      "step 2 'b': expiresIn '48h' is not a positive ISO 8601 duration such as PT48H or P2D",
      "step 3 'b': step names must be unique",
      expect.stringMatching(/^step 3 'b': Invalid condition "input.amount_minor >": syntax error at 1:\d+/),
      `step 4 'c': Invalid condition "input.amount_minor + 1": it does not evaluate to a bool`,
    ]);
  });
});
