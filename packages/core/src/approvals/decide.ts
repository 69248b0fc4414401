import { LatchError } from '../errors.js';
import type { RequiredStep } from '../policy/policy.js';

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
export function ruleOnDecision(action: ActionState, prior: readonly PriorDecision[], decider: Decider, request: DecisionRequest, now: Date): Ruling {
  if (action.status !== 'awaiting_approval') {
    const code = action.status === 'expired' ? 'ACTION_EXPIRED' : 'ACTION_NOT_PENDING';
    throw new LatchError(code, `The action is ${action.status.replace('_', ' ')}; it takes no more decisions`, { status: action.status });
  }
  if (action.expiresAt && action.expiresAt.getTime() <= now.getTime()) {
    throw new LatchError('ACTION_EXPIRED', `The approval window closed at ${action.expiresAt.toISOString()}`);
  }
  if (request.payloadHash !== action.payloadHash) {
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

/** Whether a user could decide the current step (for "waiting for me"): eligible, not the proposer, not yet counted. */
export function isWaitingFor(action: ActionState, prior: readonly PriorDecision[], person: { userId: string; roles: readonly string[]; teams: readonly string[] }): boolean {
  if (action.status !== 'awaiting_approval' || action.proposedBy === person.userId) return false;
  const step = action.steps[action.currentStep];
  if (!step) return false;
  if (prior.some((d) => d.decidedBy === person.userId || d.onBehalfOf === person.userId)) return false;
  if (step.role !== undefined && !person.roles.includes(step.role)) return false;
  if (step.team !== undefined && !person.teams.includes(step.team)) return false;
  return true;
}
