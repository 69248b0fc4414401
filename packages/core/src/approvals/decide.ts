import { LatchError } from '../errors.js';
import type { RequiredStep } from '../policy/policy.js';
import { separationFailures, type CaseFacts, type SeparationFailure } from './separation.js';

export type ActionStatus =
  | 'proposed'
  | 'awaiting_approval'
  | 'approved'
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'denied'
  | 'voided'
  | 'expired'
  | 'cancelled';

/** What the engine needs to know about an action request to rule on a decision. */
export interface ActionState {
  readonly status: ActionStatus;
  readonly proposedBy: string;
  readonly payloadHash: string;
  readonly steps: readonly RequiredStep[];
  readonly currentStep: number;
  readonly expiresAt: Date | null;
}

/** A decision already counted in the current round (approvals voided by a payload edit are not). */
export interface PriorDecision {
  readonly stepIndex: number;
  readonly decidedBy: string;
  readonly onBehalfOf: string | null;
}

/** Who is deciding: a person (perhaps through a token), perhaps for someone who delegated to them. */
export interface Decider {
  readonly userId: string;
  readonly tokenId?: string | undefined;
  readonly roles: readonly string[];
  readonly teams: readonly string[];
  /** When acting under a delegation: the delegator, whose roles and teams are used. */
  readonly onBehalfOf?: { readonly userId: string; readonly roles: readonly string[]; readonly teams: readonly string[] } | undefined;
}

/** A change someone made to an account: creating it, or changing its roles, teams, password or enabled state. */
export interface AccountChange {
  readonly userId: string;
  readonly changedBy: string;
  /** `created`, `roles`, `teams`, `password`, `disabled`, `enabled`. */
  readonly changes: readonly string[];
  readonly at: Date;
  /** The system-stream event that recorded it. */
  readonly eventId: string;
}

/** What the engine knows beyond the action: recent account administration, and how long it counts. */
export interface DecisionContext {
  /** Changes to the decider's account (and the delegator's), at least those by the proposer within the window. */
  readonly accountChanges?: readonly AccountChange[];
  /** How long after the proposer administered an account that account may not approve their actions. */
  readonly adminWindowMs?: number;
  /** The hashes of the action's earlier payloads (before edits): a decision on one is stale, not wrong. */
  readonly earlierPayloadHashes?: readonly string[];
  /** The case's requester, assignee, field editors and the proposer's teams: needed when the step declares separation rules. */
  readonly caseFacts?: CaseFacts;
}

export const DEFAULT_ADMIN_WINDOW_MS = 30 * 86_400_000;

export interface DecisionRequest {
  readonly decision: 'approve' | 'deny';
  readonly payloadHash: string;
}

export type Ruling =
  | { readonly outcome: 'granted'; readonly stepIndex: number; readonly stepComplete: boolean; readonly actionApproved: boolean }
  | { readonly outcome: 'denied'; readonly stepIndex: number };

/**
 * The separation-of-duties engine. Rules on one decision, or throws the refusal with its stable
 * code. It applies to everyone, admins included: no role or permission bypasses these checks.
 */
export function ruleOnDecision(
  action: ActionState,
  prior: readonly PriorDecision[],
  decider: Decider,
  request: DecisionRequest,
  now: Date,
  context: DecisionContext = {},
): Ruling {
  if (action.status !== 'awaiting_approval') {
    const code = action.status === 'expired' ? 'ACTION_EXPIRED' : 'ACTION_NOT_PENDING';
    throw new LatchError(code, `The action is ${action.status.replace('_', ' ')}; it takes no more decisions`, { status: action.status });
  }
  if (action.expiresAt && action.expiresAt.getTime() <= now.getTime()) {
    throw new LatchError('ACTION_EXPIRED', `The approval window closed at ${action.expiresAt.toISOString()}`);
  }
  if (request.payloadHash !== action.payloadHash) {
    if (!(context.earlierPayloadHashes ?? []).includes(request.payloadHash)) {
      throw new LatchError('PAYLOAD_HASH_MISMATCH', 'The payload hash you sent is not the hash of this action’s payload, nor of any earlier version of it', {
        currentPayloadHash: action.payloadHash,
      });
    }
    throw new LatchError('PAYLOAD_CHANGED', 'The action’s payload changed since you saw it; review the current payload', {
      currentPayloadHash: action.payloadHash,
    });
  }
  const step = action.steps[action.currentStep];
  if (!step) throw new LatchError('ACTION_NOT_PENDING', 'The action has no pending approval step');

  const people = [decider.userId, ...(decider.onBehalfOf ? [decider.onBehalfOf.userId] : [])];
  if (people.includes(action.proposedBy)) {
    throw new LatchError(
      'SELF_APPROVAL_FORBIDDEN',
      decider.userId === action.proposedBy ? 'You proposed this action; someone else must decide it' : 'A delegation cannot be used to decide your delegator’s own proposal',
    );
  }
  // Maker-checker can't be walked around by minting or re-keying a checker. Denials stay allowed:
  // the proposer can cancel their own action anyway, so a denial gives them nothing.
  if (request.decision === 'approve') {
    refuseAdministeredApprover(action, decider, now, context);
    refuseSeparatedApprover(step, decider, context);
  }
  if (decider.tokenId !== undefined && !step.allowTokens.includes(decider.tokenId)) {
    throw new LatchError('TOKEN_CANNOT_DECIDE', 'API tokens cannot decide approvals unless the policy names the token', { step: step.name });
  }
  const counted = prior.flatMap((d) => [d.decidedBy, ...(d.onBehalfOf ? [d.onBehalfOf] : [])]);
  if (people.some((person) => counted.includes(person))) {
    throw new LatchError('ALREADY_DECIDED', 'One person counts once: you (or the person you act for) already approved this action');
  }
  const authority = decider.onBehalfOf ?? decider;
  if (step.role !== undefined && !authority.roles.includes(step.role)) {
    throw new LatchError('ROLE_REQUIRED', `This step needs the role '${step.role}'`, { step: step.name, role: step.role });
  }
  if (step.team !== undefined && !authority.teams.includes(step.team)) {
    throw new LatchError('ROLE_REQUIRED', `This step needs a member of team '${step.team}'`, { step: step.name, team: step.team });
  }

  if (request.decision === 'deny') return { outcome: 'denied', stepIndex: action.currentStep };
  const grantsForStep = prior.filter((d) => d.stepIndex === action.currentStep).length + 1;
  const stepComplete = grantsForStep >= step.count;
  return {
    outcome: 'granted',
    stepIndex: action.currentStep,
    stepComplete,
    actionApproved: stepComplete && action.currentStep === action.steps.length - 1,
  };
}

/**
 * Refuses an approval by someone whose account the proposer created, or whose roles, teams,
 * password or enabled state the proposer changed, within the window: that approver may be the
 * proposer's own creation. The refusal names the most recent such change.
 */
function refuseAdministeredApprover(action: ActionState, decider: Decider, now: Date, context: DecisionContext): void {
  const windowMs = context.adminWindowMs ?? DEFAULT_ADMIN_WINDOW_MS;
  const since = now.getTime() - windowMs;
  const people = [decider.userId, ...(decider.onBehalfOf ? [decider.onBehalfOf.userId] : [])];
  const change = (context.accountChanges ?? [])
    .filter((c) => c.changedBy === action.proposedBy && people.includes(c.userId) && c.at.getTime() > since && c.changes.length > 0)
    .reduce<AccountChange | undefined>((latest, c) => (!latest || c.at.getTime() > latest.at.getTime() ? c : latest), undefined);
  if (!change) return;
  const whose = change.userId === decider.userId ? 'Your account' : 'The account of the person you act for';
  const what = change.changes.includes('created') ? 'was created' : `had its ${describeChanges(change.changes)} changed`;
  const days = Math.round((windowMs / 86_400_000) * 10) / 10;
  throw new LatchError(
    'APPROVER_ADMINISTERED_BY_PROPOSER',
    `${whose} ${what} by the proposer at ${change.at.toISOString()} (event ${change.eventId}); for ${days} days after, someone else must approve`,
    { userId: change.userId, changedBy: change.changedBy, changes: change.changes, at: change.at.toISOString(), eventId: change.eventId, windowDays: days },
  );
}

/**
 * Refuses an approval that the step's own separation rules exclude. A delegate is checked as
 * themselves and as the delegator; a token as its user. Denials stay allowed, as above.
 */
function refuseSeparatedApprover(step: RequiredStep, decider: Decider, context: DecisionContext): void {
  if (!step.separation) return;
  if (!context.caseFacts) throw new Error(`Step '${step.name}' declares separation rules, but no case facts were given to the engine`);
  const parties = [decider, ...(decider.onBehalfOf ? [decider.onBehalfOf] : [])];
  for (const party of parties) {
    const [failure] = separationFailures(step.separation, party, context.caseFacts);
    if (failure) throw separationRefusal(step, failure, party !== decider);
  }
}

function separationRefusal(step: RequiredStep, failure: SeparationFailure, delegator: boolean): LatchError {
  const who = delegator ? 'The person you act for' : 'You';
  const what = {
    SOD_REQUESTER: `requested this case`,
    SOD_ASSIGNEE: `${delegator ? 'is' : 'are'} assigned this case`,
    SOD_FIELD_EDITOR: `changed ${(failure.fields ?? []).join(', ')}, which this action uses`,
    SOD_SAME_TEAM: `${delegator ? 'shares' : 'share'} team ${(failure.teams ?? []).join(', ')} with the proposer`,
  }[failure.code];
  return new LatchError(failure.code, `${who} ${what}; step '${step.name}' needs someone else to approve`, {
    step: step.name,
    rule: failure.rule,
    userId: failure.userId,
    ...(failure.fields ? { fields: [...failure.fields] } : {}),
    ...(failure.teams ? { teams: [...failure.teams] } : {}),
  });
}

function describeChanges(changes: readonly string[]): string {
  const names = changes.map((c) => (c === 'disabled' || c === 'enabled' ? 'enabled state' : c));
  return [...new Set(names)].join(', ');
}

/**
 * Whether a user could approve the current step (for "waiting for me"): eligible, not the proposer,
 * not yet counted, and failing none of the step's separation rules (given the case's facts).
 */
export function isWaitingFor(
  action: ActionState,
  prior: readonly PriorDecision[],
  person: { userId: string; roles: readonly string[]; teams: readonly string[] },
  facts?: CaseFacts,
): boolean {
  if (action.status !== 'awaiting_approval' || action.proposedBy === person.userId) return false;
  const step = action.steps[action.currentStep];
  if (!step) return false;
  if (prior.some((d) => d.decidedBy === person.userId || d.onBehalfOf === person.userId)) return false;
  if (step.role !== undefined && !person.roles.includes(step.role)) return false;
  if (step.team !== undefined && !person.teams.includes(step.team)) return false;
  if (step.separation && (!facts || separationFailures(step.separation, person, facts).length > 0)) return false;
  return true;
}
