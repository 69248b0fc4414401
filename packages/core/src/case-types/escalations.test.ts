import { describe, expect, it } from 'vitest';
import { escalationLapsed, escalationProblems, escalationTime, raisedPriority } from './escalations.js';

describe('escalation rules', () => {
  it('accept the documented shapes', () => {
    expect(
      escalationProblems([
        { when: { after: 'PT4H' }, do: [{ raisePriority: 'high' }] },
        { when: { atRisk: true }, do: [{ notify: 'assignee' }] },
        { when: { breached: true }, do: [{ reassign: { queue: 'escalations' } }, { reassign: { user: 'lead@example.com' } }, { notify: 'queue' }] },
      ]),
    ).toEqual([]);
    expect(escalationProblems(undefined)).toEqual([]);
  });

  it('name the rule and action of each problem', () => {
    expect(
      escalationProblems([
        { when: { after: '4 hours' }, do: [] },
        { when: { atRisk: true, breached: true }, do: [{ notify: 'everyone' }, { reassign: { team: 'x' } }], then: 1 },
      ]),
    ).toEqual([
      "escalations[0].when.after '4 hours' is not a duration like PT4H, P1D or PT30S",
      'escalations[0].do must list at least one action',
      "escalations[1]: unknown key 'then' (a rule has 'when' and 'do')",
      'escalations[1].when must be exactly one of { after: <ISO 8601 duration> }, { atRisk: true }, { breached: true }',
      "escalations[1].do[0].notify 'everyone' is not a target (assignee, queue)",
      'escalations[1].do[1].reassign must be { queue: <queue> } or { user: <email> }',
    ]);
  });

  it('fire after opening, at four fifths of the time, and at the due time', () => {
    const clock = { createdAt: new Date('2026-01-01T00:00:00Z'), dueAt: new Date('2026-01-06T00:00:00Z') };
    expect(escalationTime({ when: { after: 'PT30S' }, do: [] }, clock)?.toISOString()).toBe('2026-01-01T00:00:30.000Z');
    expect(escalationTime({ when: { atRisk: true }, do: [] }, clock)?.toISOString()).toBe('2026-01-05T00:00:00.000Z');
    expect(escalationTime({ when: { breached: true }, do: [] }, clock)?.toISOString()).toBe('2026-01-06T00:00:00.000Z');
    expect(escalationTime({ when: { breached: true }, do: [] }, { ...clock, dueAt: null })).toBeUndefined();
  });

  it('let an at-risk rule lapse once the case is overdue', () => {
    const clock = { createdAt: new Date('2026-01-01T00:00:00Z'), dueAt: new Date('2026-01-06T00:00:00Z') };
    const atRisk = { when: { atRisk: true }, do: [] } as const;
    expect(escalationLapsed(atRisk, clock, new Date('2026-01-05T12:00:00Z'))).toBe(false);
    expect(escalationLapsed(atRisk, clock, new Date('2026-01-06T00:00:00Z'))).toBe(true);
    expect(escalationLapsed({ when: { breached: true }, do: [] }, clock, new Date('2026-01-07T00:00:00Z'))).toBe(false);
  });

  it('never lower a priority', () => {
    expect(raisedPriority('normal', 'high')).toBe('high');
    expect(raisedPriority('urgent', 'high')).toBe('urgent');
  });
});
