import { describe, expect, it } from 'vitest';
import type { RequiredStep } from '../policy/policy.js';
import { isWaitingFor, ruleOnDecision, type ActionState, type Decider, type PriorDecision } from './decide.js';

const step = (index: number, extra: Partial<RequiredStep> = {}): RequiredStep => ({
  index,
  name: `step ${index}`,
  role: 'refund_approver',
  count: 1,
  expiresInMs: 3_600_000,
  allowTokens: [],
  ...extra,
});
const now = new Date('2026-11-24T12:00:00Z');
const action = (extra: Partial<ActionState> = {}): ActionState => ({
  status: 'awaiting_approval',
  proposedBy: 'olivia',
  payloadHash: 'h1',
  steps: [step(0)],
  currentStep: 0,
  expiresAt: new Date(now.getTime() + 60_000),
  ...extra,
});
const person = (userId: string, roles = ['refund_approver'], teams: string[] = []): Decider => ({ userId, roles, teams });
const approve = { decision: 'approve', payloadHash: 'h1' } as const;
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'no error';
};

describe('ruleOnDecision', () => {
  it('grants a reviewer with the role and approves when the last step completes', () => {
    expect(ruleOnDecision(action(), [], person('rita'), approve, now)).toEqual({ outcome: 'granted', stepIndex: 0, stepComplete: true, actionApproved: true });
  });

  it('refuses the proposer, whatever their roles (admins are not exempt)', () => {
    expect(code(() => ruleOnDecision(action(), [], person('olivia', ['admin', 'refund_approver']), approve, now))).toBe('SELF_APPROVAL_FORBIDDEN');
  });

  it('counts N of M distinct people, and one person once across steps', () => {
    const twoSteps = action({ steps: [step(0, { count: 2 }), step(1, { role: undefined, team: 'finance' })] });
    const first = ruleOnDecision(twoSteps, [], person('rita'), approve, now);
    expect(first).toMatchObject({ outcome: 'granted', stepComplete: false, actionApproved: false });
    const prior: PriorDecision[] = [{ stepIndex: 0, decidedBy: 'rita', onBehalfOf: null }];
    expect(code(() => ruleOnDecision(twoSteps, prior, person('rita'), approve, now))).toBe('ALREADY_DECIDED');
    expect(ruleOnDecision(twoSteps, prior, person('ravi'), approve, now)).toMatchObject({ stepComplete: true, actionApproved: false });
    const atStep2 = { ...twoSteps, currentStep: 1 };
    const both: PriorDecision[] = [...prior, { stepIndex: 0, decidedBy: 'ravi', onBehalfOf: null }];
    expect(code(() => ruleOnDecision(atStep2, both, person('rita', ['refund_approver'], ['finance']), approve, now))).toBe('ALREADY_DECIDED');
    expect(code(() => ruleOnDecision(atStep2, both, person('fred', [], []), approve, now))).toBe('ROLE_REQUIRED');
    expect(ruleOnDecision(atStep2, both, person('fred', [], ['finance']), approve, now)).toMatchObject({ actionApproved: true });
  });

  it('refuses tokens unless the step names them', () => {
    const token = { ...person('rita'), tokenId: 't1' };
    expect(code(() => ruleOnDecision(action(), [], token, approve, now))).toBe('TOKEN_CANNOT_DECIDE');
    expect(ruleOnDecision(action({ steps: [step(0, { allowTokens: ['t1'] })] }), [], token, approve, now).outcome).toBe('granted');
  });

  it('uses the delegator’s authority, and never lets a delegation approve the delegator’s proposal', () => {
    const forRita = { ...person('dave', []), onBehalfOf: { userId: 'rita', roles: ['refund_approver'], teams: [] } };
    expect(ruleOnDecision(action(), [], forRita, approve, now).outcome).toBe('granted');
    const forOlivia = { ...person('dave'), onBehalfOf: { userId: 'olivia', roles: ['refund_approver'], teams: [] } };
    expect(code(() => ruleOnDecision(action(), [], forOlivia, approve, now))).toBe('SELF_APPROVAL_FORBIDDEN');
    const ritaAlreadyCounted: PriorDecision[] = [{ stepIndex: 0, decidedBy: 'rita', onBehalfOf: null }];
    expect(code(() => ruleOnDecision(action({ steps: [step(0, { count: 2 })] }), ritaAlreadyCounted, forRita, approve, now))).toBe('ALREADY_DECIDED');
  });

  it('refuses stale payloads, decided, expired and cancelled actions', () => {
    const stale = { decision: 'approve', payloadHash: 'old' } as const;
    expect(code(() => ruleOnDecision(action(), [], person('rita'), stale, now, { earlierPayloadHashes: ['old'] }))).toBe('PAYLOAD_CHANGED');
    // A hash that was never this action's payload is not "changed since you saw it": it is wrong.
    expect(code(() => ruleOnDecision(action(), [], person('rita'), stale, now))).toBe('PAYLOAD_HASH_MISMATCH');
    expect(code(() => ruleOnDecision(action(), [], person('rita'), stale, now, { earlierPayloadHashes: ['older'] }))).toBe('PAYLOAD_HASH_MISMATCH');
    expect(code(() => ruleOnDecision(action({ status: 'approved' }), [], person('rita'), approve, now))).toBe('ACTION_NOT_PENDING');
    expect(code(() => ruleOnDecision(action({ status: 'cancelled' }), [], person('rita'), approve, now))).toBe('ACTION_NOT_PENDING');
    expect(code(() => ruleOnDecision(action({ status: 'expired' }), [], person('rita'), approve, now))).toBe('ACTION_EXPIRED');
    expect(code(() => ruleOnDecision(action({ expiresAt: new Date(now.getTime() - 1) }), [], person('rita'), approve, now))).toBe('ACTION_EXPIRED');
  });

  it('ends the action on one denial from an eligible reviewer', () => {
    expect(ruleOnDecision(action(), [], person('rita'), { decision: 'deny', payloadHash: 'h1' }, now)).toEqual({ outcome: 'denied', stepIndex: 0 });
    expect(code(() => ruleOnDecision(action(), [], person('sam', []), { decision: 'deny', payloadHash: 'h1' }, now))).toBe('ROLE_REQUIRED');
  });
});

describe('maker-checker: approvers the proposer administered', () => {
  const day = 86_400_000;
  const change = (userId: string, changes: string[], ageMs: number, changedBy = 'olivia') => ({ userId, changedBy, changes, at: new Date(now.getTime() - ageMs), eventId: `e-${userId}-${ageMs}` });
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return error as { code: string; message: string; details: Record<string, unknown> };
    }
    throw new Error('not refused');
  };

  it('refuses an approver the proposer created, or whose roles, teams, password or enabled state they changed, naming the change', () => {
    for (const kind of ['created', 'roles', 'teams', 'password', 'enabled']) {
      const refused = refusal(() => ruleOnDecision(action(), [], person('rita'), approve, now, { accountChanges: [change('rita', [kind], day)] }));
      expect(refused.code).toBe('APPROVER_ADMINISTERED_BY_PROPOSER');
      expect(refused.details).toMatchObject({ userId: 'rita', changedBy: 'olivia', changes: [kind], eventId: 'e-rita-86400000', windowDays: 30 });
      expect(refused.message).toContain('e-rita-86400000');
    }
    const latest = refusal(() => ruleOnDecision(action(), [], person('rita'), approve, now, { accountChanges: [change('rita', ['created'], 3 * day), change('rita', ['password'], day)] }));
    expect(latest.message).toMatch(/^Your account had its password changed by the proposer/);
  });

  it('counts only the proposer’s changes, within the window', () => {
    const ruling = (changes: ReturnType<typeof change>[], adminWindowMs?: number) =>
      ruleOnDecision(action(), [], person('rita'), approve, now, { accountChanges: changes, ...(adminWindowMs === undefined ? {} : { adminWindowMs }) });
    expect(ruling([change('rita', ['roles'], day, 'ada')]).outcome).toBe('granted');
    expect(ruling([change('rita', ['roles'], 31 * day)]).outcome).toBe('granted');
    expect(ruling([change('rita', ['roles'], 2 * day)], day).outcome).toBe('granted');
    expect(code(() => ruling([change('rita', ['roles'], 2 * day)], 3 * day))).toBe('APPROVER_ADMINISTERED_BY_PROPOSER');
  });

  it('is not bypassed by delegation, either way round', () => {
    const forRita = { ...person('dave', []), onBehalfOf: { userId: 'rita', roles: ['refund_approver'], teams: [] } };
    const ritaMade = refusal(() => ruleOnDecision(action(), [], forRita, approve, now, { accountChanges: [change('rita', ['created'], day)] }));
    expect(ritaMade).toMatchObject({ code: 'APPROVER_ADMINISTERED_BY_PROPOSER', details: { userId: 'rita' } });
    expect(ritaMade.message).toMatch(/^The account of the person you act for was created/);
    expect(code(() => ruleOnDecision(action(), [], forRita, approve, now, { accountChanges: [change('dave', ['password'], day)] }))).toBe('APPROVER_ADMINISTERED_BY_PROPOSER');
  });

  it('lets an administered reviewer deny: a denial can only stop the proposer’s action', () => {
    expect(ruleOnDecision(action(), [], person('rita'), { decision: 'deny', payloadHash: 'h1' }, now, { accountChanges: [change('rita', ['created'], day)] }).outcome).toBe('denied');
  });
});

describe('isWaitingFor', () => {
  it('lists eligible reviewers only, never the proposer or someone already counted', () => {
    expect(isWaitingFor(action(), [], { userId: 'rita', roles: ['refund_approver'], teams: [] })).toBe(true);
    expect(isWaitingFor(action(), [], { userId: 'olivia', roles: ['refund_approver'], teams: [] })).toBe(false);
    expect(isWaitingFor(action(), [], { userId: 'sam', roles: [], teams: [] })).toBe(false);
    expect(isWaitingFor(action({ steps: [step(0, { count: 2 })] }), [{ stepIndex: 0, decidedBy: 'rita', onBehalfOf: null }], { userId: 'rita', roles: ['refund_approver'], teams: [] })).toBe(false);
  });
});
