import { describe, expect, it } from 'vitest';
import { checkPolicy, requiredSteps } from './evaluate-policy.js';
import { historySettings, readsHistory, totalHistory, type EarlierAction } from './history.js';
import { PolicyError, type ApprovalPolicy, type PolicyContext, type PolicyHistory } from './policy.js';

const DAY = 86_400_000;
const now = new Date('2025-03-01T12:00:00Z');
const policy: ApprovalPolicy = {
  key: 'refund_threshold',
  version: 3,
  history: { window: 'P30D', match: ['payment_intent', 'charge'] },
  steps: [{ name: 'reviewer', when: 'history.sameCase.sum + input.amount_minor > 50000', role: 'refund_approver' }],
};
const settings = historySettings(policy);
const refund = (amount: number, extra: Record<string, unknown> = {}) => ({ amount_minor: amount, currency: 'usd', payment_intent: 'pi_1', ...extra });
const earlier = (input: unknown, over: Partial<EarlierAction> = {}): EarlierAction => ({ caseId: 'case-1', proposedBy: 'olivia', createdAt: new Date(now.getTime() - DAY), input, ...over });
const current = { caseId: 'case-1', proposedBy: 'olivia', at: now, input: refund(50_000) };
const context = (input: unknown, history?: PolicyHistory): PolicyContext => ({
  input,
  case: { type: 'refund', status: 'new', priority: 'normal', queue: 'refunds', fields: {} },
  action: { plugin: 'stripe', action: 'refund' },
  ...(history ? { history } : {}),
});

describe('totalHistory', () => {
  it('sums and counts earlier actions on the same case, payment and requester', () => {
    const history = totalHistory(settings, current, [earlier(refund(100)), earlier(refund(200), { caseId: 'case-2' }), earlier(refund(400, { payment_intent: 'pi_2' }), { caseId: 'case-3', proposedBy: 'sam' })]);
    expect(history).toEqual({ sameCase: { sum: 100, count: 1 }, samePayment: { sum: 300, count: 2 }, sameRequester: { sum: 300, count: 2 } });
  });

  it('counts only actions in the same currency', () => {
    const history = totalHistory(settings, current, [earlier(refund(100, { currency: 'eur' })), earlier(refund(300))]);
    expect(history.sameCase).toEqual({ sum: 300, count: 1 });
    expect(history.samePayment).toEqual({ sum: 300, count: 1 });
  });

  it('looks back over the window for payment and requester, over the whole case for the case', () => {
    const old = earlier(refund(700), { createdAt: new Date(now.getTime() - 31 * DAY) });
    const history = totalHistory(settings, current, [old]);
    expect(history).toEqual({ sameCase: { sum: 700, count: 1 }, samePayment: { sum: 0, count: 0 }, sameRequester: { sum: 0, count: 0 } });
  });

  it('matches a payment by any match field the action names, never by a field both lack', () => {
    const byCharge = { caseId: 'case-9', proposedBy: 'x', at: now, input: { amount_minor: 10, currency: 'usd', charge: 'ch_1' } };
    const history = totalHistory(settings, byCharge, [earlier(refund(5)), earlier({ amount_minor: 7, currency: 'usd', charge: 'ch_1' }), earlier({ amount_minor: 9, currency: 'usd' })]);
    expect(history.samePayment).toEqual({ sum: 7, count: 1 });
  });

  it('counts an action whose amount is not an integer without adding to the sum', () => {
    expect(totalHistory(settings, current, [earlier({ currency: 'usd', amount_minor: '500' })]).sameCase).toEqual({ sum: 0, count: 1 });
  });
});

describe('history in conditions', () => {
  it('lets a condition see the sum of earlier actions', () => {
    const none = { sameCase: { sum: 0, count: 0 }, samePayment: { sum: 0, count: 0 }, sameRequester: { sum: 0, count: 0 } };
    expect(requiredSteps(policy, context(refund(50_000), none))).toEqual([]);
    const four = { ...none, sameCase: { sum: 40_000, count: 4 } };
    expect(requiredSteps(policy, context(refund(10_000), four))).toEqual([]);
    expect(requiredSteps(policy, context(refund(10_001), four)).map((s) => s.name)).toEqual(['reviewer']);
  });

  it('fails to evaluate when the server did not gather history', () => {
    expect(() => requiredSteps(policy, context(refund(1)))).toThrow(PolicyError);
  });

  it('knows which policies read history, and checks the settings', () => {
    expect(readsHistory(policy)).toBe(true);
    expect(readsHistory({ ...policy, steps: [{ name: 'x', when: 'input.amount_minor > 1', role: 'r' }] })).toBe(false);
    expect(checkPolicy(policy)).toEqual([]);
    expect(checkPolicy({ ...policy, history: { window: '30 days', amount: 'amount minor' } })).toEqual([
      "history.window '30 days' is not a positive ISO 8601 duration such as P30D",
      "history names 'amount minor', which is not an input field name",
    ]);
    expect(checkPolicy({ ...policy, steps: [{ name: 'x', when: 'histories.sameCase.sum > 1', role: 'r' }] })[0]).toMatch(/unknown variable 'histories'/);
  });
});
