import { ConflictError, describeRequirements, uuidv7, type Actor, type CaseVisibility, type EventDraft, type Principal } from '@latch/core';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import { loadVisibleCase } from '../cases/case-access.js';
import { subjectOf } from '../cases/create-case.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { actionRequests } from '../db/schema.js';
import { and, eq, inArray } from 'drizzle-orm';
import { queueExecution } from '../execution/queue-execution.js';
import { gatherHistory } from '../policies/gather-history.js';
import { refuseUntickedChecklist } from '../checklist/refuse-unticked.js';
import { refuseOverlongGrant } from '../scheduled-revoke/refuse-overlong-grant.js';
import { refuseUnrunnableProposal, type PluginDirectory } from '../plugin-host/plugin-availability.js';
import type { ActionRow } from './action-access.js';
import { evaluateProposal, type Evaluation, type Proposal } from './evaluate-proposal.js';
import { recordedInput } from './payload.js';
import { APPROVAL_EXPIRY_QUEUE, type Scheduler } from './scheduler.js';
import { presentStep } from './present-action.js';

/** The events that state what an evaluation requires, shared by proposing and editing. */
export function requirementEvents(kind: 'action.proposed' | 'action.updated', actionId: string, evaluation: Evaluation, status: string, actor: Actor): EventDraft[] {
  const drafts: EventDraft[] = [
    {
      kind,
      actor,
      data: {
        actionId,
        plugin: evaluation.definition.plugin,
        action: evaluation.definition.action,
        input: recordedInput(evaluation.input, evaluation.definition.input),
        payloadHash: evaluation.payload.hash,
        policy: evaluation.policy ? { key: evaluation.policy.key, version: evaluation.policy.version } : null,
        requirements: evaluation.steps.map(presentStep),
        summary: describeRequirements(evaluation.steps),
        ...(evaluation.policyError ? { policyError: evaluation.policyError } : {}),
        ...(evaluation.history ? { history: evaluation.history } : {}),
        status,
      },
    },
  ];
  if (status === 'approved') {
    drafts.push({ kind: 'action.approved', actor: { type: 'system', id: 'policy' }, data: { actionId, payloadHash: evaluation.payload.hash, automatic: true } });
  }
  return drafts;
}

/** Statuses in which an action may still be decided or executed on its stored input. */
export const IN_FLIGHT: readonly string[] = ['awaiting_approval', 'approved', 'queued', 'running'];

/** The same payload may not be proposed twice while one is pending or running: no double refunds. */
async function refuseDuplicateInFlight(tx: Tx, caseId: string, payloadHash: string): Promise<void> {
  const [existing] = await tx
    .select({ id: actionRequests.id, status: actionRequests.status })
    .from(actionRequests)
    .where(and(eq(actionRequests.caseId, caseId), eq(actionRequests.payloadHash, payloadHash), inArray(actionRequests.status, IN_FLIGHT)));
  if (existing) {
    throw new ConflictError('DUPLICATE_ACTION', `An identical action is already ${existing.status.replace('_', ' ')} on this case`, { actionId: existing.id, status: existing.status });
  }
}

/**
 * Proposes an action on a case: stores the canonical input and its hash, evaluates the policy,
 * and records `action.proposed` (and `action.approved` when no approval is needed). A proposal
 * the deployment's plugins could never run is refused (`PLUGIN_NOT_CONFIGURED`,
 * `PLUGIN_ACTION_UNKNOWN`) rather than approved to wait forever; with no plugins configured at all
 * it is allowed and, once approved, says what it waits for (plugin-host/plugin-availability.ts).
 */
export async function proposeAction(
  tx: Tx,
  registry: CaseTypeRegistry,
  scheduler: Scheduler,
  principal: Principal,
  visibility: CaseVisibility,
  actor: Actor,
  caseId: string,
  proposal: Proposal,
  plugins: PluginDirectory | undefined,
): Promise<ActionRow> {
  // The case row before its stream head (the lock order, db/event-store.ts): the action's foreign key
  // locks the row, and would otherwise do so after the head.
  const target = await loadVisibleCase(tx, caseId, visibility, true);
  const history = await gatherHistory(tx, registry, target, proposal, { proposedBy: principal.userId, lock: true });
  const evaluation = evaluateProposal(registry, target, proposal, history);
  refuseUnrunnableProposal(plugins, proposal.plugin, proposal.action);
  // The case type's own preconditions: its checklist items ticked, a time-bounded grant within its cap.
  const caseType = registry.get(target.typeKey, target.typeVersion).definition;
  refuseOverlongGrant(caseType, proposal.plugin, proposal.action, evaluation.input);
  await refuseUntickedChecklist(tx, caseId, caseType, proposal.plugin, proposal.action);
  await refuseDuplicateInFlight(tx, caseId, evaluation.payload.hash);
  const now = new Date();
  const first = evaluation.steps[0];
  const status = first ? 'awaiting_approval' : 'approved';
  const id = uuidv7(now.getTime());
  const row: typeof actionRequests.$inferInsert = {
    id,
    caseId,
    plugin: proposal.plugin,
    action: proposal.action,
    input: evaluation.input,
    inputCanonical: evaluation.payload.canonical,
    payloadHash: evaluation.payload.hash,
    status,
    proposedBy: principal.userId,
    policyKey: evaluation.policy?.key ?? null,
    policyVersion: evaluation.policy?.version ?? null,
    caseTypeVersion: target.typeVersion,
    steps: evaluation.steps,
    currentStep: 0,
    round: 1,
    expiresAt: first ? new Date(now.getTime() + first.expiresInMs) : null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const [proposed, ...rest] = requirementEvents('action.proposed', id, evaluation, status, actor);
  // The role definitions that governed it: the version of roles.yaml recorded as roles.defined on the system stream.
  const drafts = [{ ...proposed!, data: { ...proposed!.data, roleSet: principal.roleSetVersion ?? null } }, ...rest];
  await appendEvents(tx, caseId, drafts, {
    subject: subjectOf(target),
    alongside: tx.insert(actionRequests).values(row),
  });
  if (row.expiresAt) await scheduler.schedule(tx, APPROVAL_EXPIRY_QUEUE, { actionId: id, round: 1, step: 0 }, row.expiresAt);
  else await queueExecution(tx, scheduler, { id, round: 1, execution: 0 });
  return { ...row, steps: row.steps, policyKey: row.policyKey ?? null, policyVersion: row.policyVersion ?? null, expiresAt: row.expiresAt ?? null } as ActionRow;
}
