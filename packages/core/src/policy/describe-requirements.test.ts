import { describe, expect, it } from 'vitest';
import { describeRequirements } from './describe-requirements.js';

const HOUR = 3_600_000;

describe('describeRequirements', () => {
  it('says when nothing is needed', () => {
    expect(describeRequirements([])).toBe('No approval needed');
  });

  it('describes steps in order', () => {
    expect(
      describeRequirements([
        { index: 0, name: 'approver', role: 'refund_approver', count: 1, expiresInMs: 48 * HOUR, allowTokens: [] },
        { index: 2, name: 'finance', team: 'finance', count: 2, expiresInMs: 7 * 24 * HOUR, allowTokens: ['tok_ops'] },
      ]),
    ).toBe(
      '1 approval by role refund_approver, not the proposer, within 48 h; ' +
        'then 2 distinct approvals by team finance (or API token tok_ops), not the proposer, within 7 days',
    );
  });

  it('names the step’s separation rules', () => {
    const separation = { notRequester: true, notAssignee: true, notEditorsOf: ['new_iban', 'vendor_id'], differentTeamFromProposer: true };
    expect(describeRequirements([{ index: 0, name: 'finance', team: 'finance', count: 2, expiresInMs: 48 * HOUR, allowTokens: [], separation }])).toBe(
      '2 distinct approvals by team finance, not the proposer, not the requester, not the assignee, not anyone who edited new_iban or vendor_id, ' +
        'not from a team of the proposer, within 48 h',
    );
  });
});
