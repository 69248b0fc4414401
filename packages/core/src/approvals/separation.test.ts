import { describe, expect, it } from 'vitest';
import type { RequiredStep } from '../policy/policy.js';
import { separationProblems, separationRulesOf, unknownSeparationFields } from '../policy/separation.js';
import { isWaitingFor, ruleOnDecision, type ActionState, type Decider } from './decide.js';
import { describeFailure, separationFailures, type CaseFacts } from './separation.js';

const now = new Date('2026-11-24T12:00:00Z');
const rules = separationRulesOf(['notRequester', 'notAssignee', { notEditorsOf: ['new_iban', 'payment_intent'] }, 'differentTeamFromProposer'])!;
const step: RequiredStep = { index: 0, name: 'Finance', team: 'finance', count: 1, expiresInMs: 3_600_000, allowTokens: [], separation: rules };
const action: ActionState = { status: 'awaiting_approval', proposedBy: 'olivia', payloadHash: 'h1', steps: [step], currentStep: 0, expiresAt: new Date(now.getTime() + 60_000) };
const facts: CaseFacts = {
  requesterId: 'rex',
  assigneeId: 'ana',
  fieldEditors: { new_iban: ['sam', 'olivia'], payment_intent: ['sam'], vendor_id: ['rita'] },
  proposerTeams: ['support'],
};
const finance = (userId: string, teams = ['finance']): Decider => ({ userId, roles: [], teams });
const approve = { decision: 'approve', payloadHash: 'h1' } as const;
const refusal = (decider: Decider, context: { caseFacts?: CaseFacts } = { caseFacts: facts }) => {
  try {
    ruleOnDecision(action, [], decider, approve, now, context);
  } catch (error) {
    return error as { code: string; message: string; details: Record<string, unknown> };
  }
  return undefined;
};

describe('step separation rules', () => {
  it('refuses each excluded approver with the rule’s stable code and what made them fail', () => {
    expect(refusal(finance('rex'))).toMatchObject({ code: 'SOD_REQUESTER', details: { step: 'Finance', rule: 'notRequester', userId: 'rex' } });
    expect(refusal(finance('ana'))).toMatchObject({ code: 'SOD_ASSIGNEE', details: { rule: 'notAssignee' } });
    const editor = refusal(finance('sam'));
    expect(editor).toMatchObject({ code: 'SOD_FIELD_EDITOR', details: { rule: 'notEditorsOf', fields: ['new_iban', 'payment_intent'] } });
    expect(editor?.message).toBe("You changed new_iban, payment_intent, which this action uses; step 'Finance' needs someone else to approve");
    expect(refusal(finance('sue', ['finance', 'support']))).toMatchObject({ code: 'SOD_SAME_TEAM', details: { teams: ['support'] } });
    // Editing a field the rule does not name excludes no one.
    expect(refusal(finance('rita'))).toBeUndefined();
  });

  it('leaves steps without rules as they were, and refuses to rule without the case’s facts', () => {
    const plain = { ...action, steps: [{ ...step, separation: undefined }] };
    expect(ruleOnDecision(plain, [], finance('rex'), approve, now).outcome).toBe('granted');
    expect(() => ruleOnDecision(action, [], finance('rita'), approve, now)).toThrow(/no case facts/);
  });

  it('checks a delegate as themselves and as the delegator', () => {
    const forRex = { ...finance('dave', []), onBehalfOf: { userId: 'rex', roles: [], teams: ['finance'] } };
    expect(refusal(forRex)).toMatchObject({ code: 'SOD_REQUESTER', details: { userId: 'rex' } });
    expect(refusal(forRex)?.message).toMatch(/^The person you act for requested this case/);
    const samForRita = { ...finance('sam', []), onBehalfOf: { userId: 'rita', roles: [], teams: ['finance'] } };
    expect(refusal(samForRita)).toMatchObject({ code: 'SOD_FIELD_EDITOR', details: { userId: 'sam' } });
    const supportForRita = { ...finance('sue', ['support']), onBehalfOf: { userId: 'rita', roles: [], teams: ['finance'] } };
    expect(refusal(supportForRita)).toMatchObject({ code: 'SOD_SAME_TEAM', details: { userId: 'sue' } });
    const cleanForRita = { ...finance('dave', []), onBehalfOf: { userId: 'rita', roles: [], teams: ['finance'] } };
    expect(refusal(cleanForRita)).toBeUndefined();
  });

  it('counts a token as its user, when the step lets the token decide at all', () => {
    const tokenStep = { ...step, allowTokens: ['t1'] };
    const tokenAction = { ...action, steps: [tokenStep] };
    const rule = (decider: Decider) => () => ruleOnDecision(tokenAction, [], decider, approve, now, { caseFacts: facts });
    expect(rule({ ...finance('sam'), tokenId: 't1' })).toThrow(expect.objectContaining({ code: 'SOD_FIELD_EDITOR' }));
    expect(rule({ ...finance('rita'), tokenId: 't1' })().outcome).toBe('granted');
  });

  it('lets an excluded reviewer deny: a denial can only stop the action', () => {
    expect(ruleOnDecision(action, [], finance('sam'), { decision: 'deny', payloadHash: 'h1' }, now, { caseFacts: facts }).outcome).toBe('denied');
  });

  it('keeps excluded people out of "waiting for me"', () => {
    expect(isWaitingFor(action, [], { userId: 'rita', roles: [], teams: ['finance'] }, facts)).toBe(true);
    for (const userId of ['rex', 'ana', 'sam']) expect(isWaitingFor(action, [], { userId, roles: [], teams: ['finance'] }, facts)).toBe(false);
    expect(isWaitingFor(action, [], { userId: 'sue', roles: [], teams: ['finance', 'support'] }, facts)).toBe(false);
    expect(isWaitingFor(action, [], { userId: 'rita', roles: [], teams: ['finance'] })).toBe(false);
  });

  it('lists every rule a person fails, with a clause for people', () => {
    const all = separationFailures(rules, { userId: 'sam', teams: ['support'] }, { ...facts, requesterId: 'sam', assigneeId: 'sam' });
    expect(all.map((f) => f.code)).toEqual(['SOD_REQUESTER', 'SOD_ASSIGNEE', 'SOD_FIELD_EDITOR', 'SOD_SAME_TEAM']);
    expect(all.map(describeFailure)).toEqual(['they requested the case', 'they are assigned the case', 'they edited new_iban and payment_intent', 'they share team support with the proposer']);
    // A team-less proposer shares no team with anyone.
    expect(separationFailures(rules, { userId: 'sue', teams: ['support'] }, { ...facts, proposerTeams: [] })).toEqual([]);
  });
});

describe('separation declarations', () => {
  it('accepts the documented shape and reports each mistake once, clearly', () => {
    expect(separationProblems(['notRequester', { notEditorsOf: ['new_iban'] }])).toEqual([]);
    expect(separationProblems(undefined)).toEqual([]);
    expect(separationProblems('notRequester')).toEqual([expect.stringMatching(/^separation must be a list/)]);
    expect(separationProblems(['notRequestor'])).toEqual([expect.stringMatching(/^separation\[0\]: unknown rule "notRequestor"; use notRequester/)]);
    expect(separationProblems(['notEditorsOf'])).toEqual([expect.stringMatching(/unknown rule/)]);
    expect(separationProblems([{ notRequester: true }])).toEqual([expect.stringMatching(/unknown rule/)]);
    expect(separationProblems([{ notEditorsOf: [] }])).toEqual(['separation[0]: notEditorsOf needs a non-empty list of case field names']);
    expect(separationProblems([{ notEditorsOf: ['a b'] }])).toEqual(['separation[0]: notEditorsOf names "a b", which is not a field name']);
    expect(separationProblems(['notAssignee', 'notAssignee'])).toEqual(['separation[1]: notAssignee is listed twice']);
  });

  it('names fields the case type does not have', () => {
    expect(unknownSeparationFields([{ notEditorsOf: ['iban', 'new_iban'] }], ['vendor_id', 'new_iban'])).toEqual(['iban']);
    expect(separationRulesOf([])).toBeUndefined();
  });
});
