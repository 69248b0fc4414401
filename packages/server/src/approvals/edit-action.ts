import { ConflictError, ForbiddenError, LatchError, type Actor, type CaseVisibility, type EventDraft, type Principal } from '@latch/core';
import { eq } from 'drizzle-orm';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import { subjectOf } from '../cases/create-case.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { actionRequests } from '../db/schema.js';
import { currentDecisions, loadVisibleAction, type ActionRow } from './action-access.js';
import { gatherHistory } from '../policies/gather-history.js';
import { evaluateProposal } from './evaluate-proposal.js';
import { requirementEvents } from './propose-action.js';
import { APPROVAL_EXPIRY_QUEUE, type Scheduler } from './scheduler.js';
import { queueExecution } from '../execution/queue-execution.js';

const EDITABLE = new Set(['awaiting_approval', 'approved']);

/**
 * The proposer changes a pending action's input. A new payload voids every approval given so far
 * (`action.voided`) and the policy is evaluated again for the new payload.
 */
export async function editAction(
  tx: Tx,
  registry: CaseTypeRegistry,
  scheduler: Scheduler,
  principal: Principal,
  visibility: CaseVisibility,
  actor: Actor,
  actionId: string,
  input: Record<string, unknown>,
  expectedVersion: number | undefined,
): Promise<ActionRow> {
  const { action, case: target } = await loadVisibleAction(tx, actionId, visibility, true);
  if (action.proposedBy !== principal.userId) throw new ForbiddenError('Only the proposer can change an action’s input');
  if (!EDITABLE.has(action.status)) throw new LatchError('ACTION_NOT_PENDING', `The action is ${action.status}; its input can no longer change`, { status: action.status });
  if (expectedVersion !== undefined && expectedVersion !== action.version) {
    throw new ConflictError('VERSION_CONFLICT', `The action changed since version ${expectedVersion}`, { currentVersion: action.version });
  }
  const proposal = { plugin: action.plugin, action: action.action, input };
  const history = await gatherHistory(tx, registry, target, proposal, { proposedBy: action.proposedBy, excludeActionId: action.id, lock: true });
  const evaluation = evaluateProposal(registry, target, proposal, history);
  if (evaluation.payload.hash === action.payloadHash) return action;

  const now = new Date();
  const voided = await currentDecisions(tx, action);
  const drafts: EventDraft[] = [];
  if (voided.length > 0 || action.status === 'approved') {
    drafts.push({
      kind: 'action.voided',
      actor,
      data: { actionId, previousPayloadHash: action.payloadHash, voidedDecisions: voided.map((d) => d.id), previousStatus: action.status },
      reason: 'payload changed',
    });
  }
  const first = evaluation.steps[0];
  const status = first ? 'awaiting_approval' : 'approved';
  drafts.push(...requirementEvents('action.updated', actionId, evaluation, status, actor));
  const round = action.round + 1;
  const expiresAt = first ? new Date(now.getTime() + first.expiresInMs) : null;
  await appendEvents(tx, action.caseId, drafts, { subject: subjectOf(target) });
  const [updated] = await tx
    .update(actionRequests)
    .set({
      input: evaluation.input,
      inputCanonical: evaluation.payload.canonical,
      payloadHash: evaluation.payload.hash,
      status,
      steps: evaluation.steps,
      currentStep: 0,
      round,
      expiresAt,
      version: action.version + 1,
      updatedAt: now,
    })
    .where(eq(actionRequests.id, actionId))
    .returning();
  if (expiresAt) await scheduler.schedule(tx, APPROVAL_EXPIRY_QUEUE, { actionId, round, step: 0 }, expiresAt);
  else await queueExecution(tx, scheduler, updated!);
  return updated!;
}

/** The proposer (or someone who may manage cases in any queue) withdraws an action not yet executed. */
export async function cancelAction(tx: Tx, principal: Principal, visibility: CaseVisibility, actor: Actor, actionId: string, reason: string | undefined): Promise<ActionRow> {
  const { action, case: target } = await loadVisibleAction(tx, actionId, visibility, true);
  if (action.proposedBy !== principal.userId && !principal.permissions.has('case:read_all')) throw new ForbiddenError('Only the proposer can cancel this action');
  if (!EDITABLE.has(action.status)) throw new LatchError('ACTION_NOT_PENDING', `The action is ${action.status}; it can no longer be cancelled`, { status: action.status });
  await appendEvents(tx, action.caseId, [{ kind: 'action.cancelled', actor, data: { actionId, previousStatus: action.status }, ...(reason ? { reason } : {}) }], {
    subject: subjectOf(target),
  });
  const [updated] = await tx
    .update(actionRequests)
    .set({ status: 'cancelled', expiresAt: null, version: action.version + 1, updatedAt: new Date() })
    .where(eq(actionRequests.id, actionId))
    .returning();
  return updated!;
}
