import { ForbiddenError, LatchError, personal, type EventBody, ruleOnDecision, uuidv7, type Actor, type ActionState, type CaseVisibility, type Decider, type Principal, type RequiredStep } from '@latch/core';
import { and, eq, gt, inArray, isNull, lte } from 'drizzle-orm';
import { subjectOf } from '../cases/create-case.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { actionRequests, approvalDecisions, cases, delegations, events, users } from '../db/schema.js';
import { currentDecisions, loadVisibleAction, type ActionRow, type DecisionRow } from './action-access.js';
import { APPROVAL_EXPIRY_QUEUE, type Scheduler } from './scheduler.js';
import { scheduleExecution } from '../execution/queue-execution.js';
import { changesBy } from '../auth/account-administration.js';
import { caseFactsOf, needsCaseFacts } from './case-facts.js';

export interface DecisionInput {
  readonly decision: 'approve' | 'deny';
  readonly payloadHash: string;
  readonly reason?: string | undefined;
  /** Decide for a user who delegated their approvals to you. */
  readonly onBehalfOf?: string | undefined;
}

/** Deployment settings of the separation-of-duties rules. */
export interface SeparationSettings {
  /** Days after the proposer administered an account during which it may not approve their actions. */
  readonly adminWindowDays: number;
}

/** The action as the engine sees it. */
export function stateOf(action: ActionRow): ActionState {
  return {
    status: action.status as ActionState['status'],
    proposedBy: action.proposedBy,
    payloadHash: action.payloadHash,
    steps: action.steps as RequiredStep[],
    currentStep: action.currentStep,
    expiresAt: action.expiresAt,
  };
}

/**
 * Records a reviewer's decision after the engine's separation-of-duties rules allow it. The action
 * row is locked first, so concurrent decisions, edits and expiry are applied one at a time.
 */
export async function decideAction(
  tx: Tx,
  scheduler: Scheduler,
  principal: Principal,
  visibility: CaseVisibility,
  actor: Actor,
  actionId: string,
  input: DecisionInput,
  separation: SeparationSettings,
): Promise<{ action: ActionRow; decisions: DecisionRow[] }> {
  const { action, case: target } = await loadVisibleAction(tx, actionId, visibility, true);
  if (action.proposedBy === principal.userId) throw new LatchError('SELF_APPROVAL_FORBIDDEN', 'You proposed this action; someone else must decide it');
  if (!principal.permissions.has('action:decide')) throw new ForbiddenError("This needs the 'action:decide' permission", { permission: 'action:decide' });
  const now = new Date();
  const decider: Decider = {
    userId: principal.userId,
    tokenId: principal.tokenId,
    roles: principal.roles,
    teams: principal.teams,
    onBehalfOf: input.onBehalfOf ? await delegator(tx, input.onBehalfOf, principal.userId, now) : undefined,
  };
  const prior = await currentDecisions(tx, action);
  const adminWindowMs = separation.adminWindowDays * 86_400_000;
  const people = [principal.userId, ...(decider.onBehalfOf ? [decider.onBehalfOf.userId] : [])];
  const accountChanges = await changesBy(tx, action.proposedBy, people, new Date(now.getTime() - adminWindowMs));
  const earlierPayloadHashes = input.payloadHash === action.payloadHash ? [] : await earlierPayloadHashesOf(tx, action);
  // Who requested, holds or edited the case is read with the case row share-locked: an edit of a
  // field committing meanwhile waits for this ruling, or is seen by it (never lost between the two).
  const caseFacts = needsCaseFacts(action.steps as RequiredStep[]) ? await lockedCaseFacts(tx, action.caseId, action.proposedBy) : undefined;
  const ruling = ruleOnDecision(stateOf(action), prior, decider, input, now, { accountChanges, adminWindowMs, earlierPayloadHashes, ...(caseFacts ? { caseFacts } : {}) });
  const steps = action.steps as RequiredStep[];
  const step = steps[ruling.stepIndex]!;
  const policy = action.policyKey ? { key: action.policyKey, version: action.policyVersion } : null;
  const events = [
    {
      kind: ruling.outcome === 'granted' ? 'approval.granted' : 'approval.denied',
      actor,
      data: {
        actionId,
        step: ruling.stepIndex,
        stepName: step.name,
        payloadHash: action.payloadHash,
        policy,
        roleSet: principal.roleSetVersion ?? null,
        onBehalfOf: input.onBehalfOf ?? null,
        ...(input.reason ? { reason: personal(input.reason) } : {}),
      },
    },
  ];
  const set: Partial<ActionRow> = { version: action.version + 1, updatedAt: now };
  if (ruling.outcome === 'denied') {
    Object.assign(set, { status: 'denied', expiresAt: null });
  } else if (ruling.actionApproved) {
    // Approved: the first execution is recorded here and enqueued below, in this transaction.
    Object.assign(set, { status: 'approved', expiresAt: null, execution: action.execution + 1, attempts: 0 });
    events.push({ kind: 'action.approved', actor: { type: 'system', id: 'policy' }, data: { actionId, payloadHash: action.payloadHash, automatic: false } as never });
  } else if (ruling.stepComplete) {
    const next = steps[ruling.stepIndex + 1]!;
    Object.assign(set, { currentStep: ruling.stepIndex + 1, expiresAt: new Date(now.getTime() + next.expiresInMs) });
  }
  const decision: DecisionRow = {
    id: uuidv7(),
    actionId,
    round: action.round,
    stepIndex: ruling.stepIndex,
    decision: input.decision,
    decidedBy: principal.userId,
    onBehalfOf: input.onBehalfOf ?? null,
    tokenId: principal.tokenId ?? null,
    payloadHash: action.payloadHash,
    policyKey: action.policyKey,
    policyVersion: action.policyVersion,
    reason: input.reason ?? null,
    eventId: '',
    createdAt: now,
  };
  // The events, the decision (which names its event) and the action's new state: one statement.
  await appendEvents(tx, action.caseId, events, {
    subject: subjectOf(target),
    alongside: (sealed) => {
      decision.eventId = sealed[0]!.id;
      return [tx.insert(approvalDecisions).values(decision), tx.update(actionRequests).set(set).where(eq(actionRequests.id, actionId))];
    },
  });
  const updated: ActionRow = { ...action, ...set };
  if (ruling.outcome === 'granted' && ruling.actionApproved) await scheduleExecution(tx, scheduler, updated);
  if (set.currentStep !== undefined && set.expiresAt) {
    await scheduler.schedule(tx, APPROVAL_EXPIRY_QUEUE, { actionId, round: action.round, step: set.currentStep }, set.expiresAt);
  }
  return { action: updated, decisions: [...prior, decision] };
}

/** The payload hashes the action had before its edits, from its `action.proposed` and `action.updated` events. */
async function earlierPayloadHashesOf(tx: Tx, action: ActionRow): Promise<string[]> {
  const rows = await tx
    .select({ bytes: events.bytes })
    .from(events)
    .where(and(eq(events.stream, action.caseId), inArray(events.kind, ['action.proposed', 'action.updated'])));
  return rows
    .map((row) => (JSON.parse(row.bytes) as EventBody).data as { actionId?: unknown; payloadHash?: unknown })
    .filter((data) => data.actionId === action.id && typeof data.payloadHash === 'string' && data.payloadHash !== action.payloadHash)
    .map((data) => data.payloadHash as string);
}

/** The delegator's authority, if they delegated to `delegate` for this moment; else NO_DELEGATION. */
async function delegator(tx: Tx, fromUserId: string, delegate: string, now: Date) {
  const [found] = await tx
    .select({ user: users })
    .from(delegations)
    .innerJoin(users, eq(users.id, delegations.fromUserId))
    .where(
      and(
        eq(delegations.fromUserId, fromUserId),
        eq(delegations.toUserId, delegate),
        lte(delegations.startsAt, now),
        gt(delegations.endsAt, now),
        isNull(delegations.revokedAt),
        isNull(users.disabledAt),
      ),
    );
  if (!found) throw new LatchError('NO_DELEGATION', 'No active delegation from that user to you');
  return { userId: found.user.id, roles: found.user.roles, teams: found.user.teams };
}

async function lockedCaseFacts(tx: Tx, caseId: string, proposedBy: string) {
  await tx.select({ id: cases.id }).from(cases).where(eq(cases.id, caseId)).for('share');
  return caseFactsOf(tx, caseId, proposedBy);
}
