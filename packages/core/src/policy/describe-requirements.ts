import type { RequiredStep } from './policy.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** One sentence for people: "1 approval by role refund_approver, not the proposer, within 48 h; then …". */
export function describeRequirements(steps: readonly RequiredStep[]): string {
  if (steps.length === 0) return 'No approval needed';
  return steps.map(describeStep).join('; then ');
}

function describeStep(step: RequiredStep): string {
  const approvals = `${step.count} ${step.count === 1 ? 'approval' : 'distinct approvals'}`;
  const who = step.role !== undefined ? `role ${step.role}` : `team ${step.team ?? '?'}`;
  const tokens = step.allowTokens.length > 0 ? ` (or API token ${step.allowTokens.join(', ')})` : '';
  return `${approvals} by ${who}${tokens}, ${exclusions(step).join(', ')}, within ${describeDuration(step.expiresInMs)}`;
}

/** Who may not approve: "not the proposer, not the requester, not an editor of new_iban, …". */
function exclusions(step: RequiredStep): string[] {
  const rules = step.separation;
  if (!rules) return ['not the proposer'];
  return [
    'not the proposer',
    ...(rules.notRequester ? ['not the requester'] : []),
    ...(rules.notAssignee ? ['not the assignee'] : []),
    ...(rules.notEditorsOf.length > 0 ? [`not anyone who edited ${rules.notEditorsOf.join(' or ')}`] : []),
    ...(rules.differentTeamFromProposer ? ['not from a team of the proposer'] : []),
  ];
}

function describeDuration(ms: number): string {
  if (ms % HOUR !== 0) return `${Math.round(ms / MINUTE)} min`;
  if (ms % DAY !== 0 || ms < 3 * DAY) return `${ms / HOUR} h`;
  return `${ms / DAY} days`;
}
