import { isWaitingFor, separationFailures, type CaseFacts, type CaseVisibility, type Principal, type RequiredStep } from '@latch/core';
import { and, asc, eq, gt, inArray, isNull, lte } from 'drizzle-orm';
import { visibleCases } from '../cases/case-access.js';
import type { Queryable } from '../db/database.js';
import { accountChanges, actionRequests, approvalDecisions, cases, delegations, users } from '../db/schema.js';
import type { ActionRow } from './action-access.js';
import { stateOf } from './decide-action.js';
import { caseFactsOf } from './case-facts.js';

/**
 * The actions waiting for a principal's decision: awaiting approval, on a case they may see, at a
 * step they (or someone who delegated to them) may decide, proposed by someone else, not yet
 * decided by them, and not proposed by someone who administered their account (or the delegator's)
 * within the maker-checker window, and not excluded by the step's separation rules (a delegate is
 * checked as themselves and as the delegator): the engine would refuse those. Each item says on
 * whose behalf it would be decided.
 */
export async function waitingFor(db: Queryable, principal: Principal, visibility: CaseVisibility, options: { adminWindowDays: number }, limit = 100) {
  const now = new Date();
  const delegators = await db
    .select({ id: users.id, roles: users.roles, teams: users.teams })
    .from(delegations)
    .innerJoin(users, eq(users.id, delegations.fromUserId))
    .where(and(eq(delegations.toUserId, principal.userId), lte(delegations.startsAt, now), gt(delegations.endsAt, now), isNull(delegations.revokedAt), isNull(users.disabledAt)));
  const rows = await db
    .select({ action: actionRequests })
    .from(actionRequests)
    .innerJoin(cases, eq(cases.id, actionRequests.caseId))
    .where(and(eq(actionRequests.status, 'awaiting_approval'), gt(actionRequests.expiresAt, now), visibleCases(visibility)))
    .orderBy(asc(actionRequests.expiresAt))
    .limit(1000);
  const actions = rows.map((r) => r.action);
  const decisions = actions.length
    ? await db
        .select()
        .from(approvalDecisions)
        .where(inArray(approvalDecisions.actionId, actions.map((a) => a.id)))
    : [];
  const administered = await administeredPairs(db, actions, [principal.userId, ...delegators.map((d) => d.id)], new Date(now.getTime() - options.adminWindowDays * 86_400_000));
  const byProposer = (action: ActionRow, userId: string) => administered.has(`${action.proposedBy} ${userId}`);
  const items: { action: ActionRow; onBehalfOf: string | null }[] = [];
  for (const action of actions) {
    if (byProposer(action, principal.userId)) continue;
    const prior = decisions.filter((d) => d.actionId === action.id && d.round === action.round);
    const state = stateOf(action);
    const self = { userId: principal.userId, roles: principal.roles, teams: principal.teams };
    const step = (action.steps as RequiredStep[])[action.currentStep];
    const separation = step?.separation;
    // The case's facts cost a read of its timeline: only for a step someone here could otherwise decide.
    const holds = (p: { roles: readonly string[]; teams: readonly string[] }) => (step?.role !== undefined ? p.roles.includes(step.role) : p.teams.includes(step?.team ?? ''));
    const facts = separation && [self, ...delegators].some(holds) ? await caseFactsOf(db, action.caseId, action.proposedBy) : undefined;
    if (principal.tokenId === undefined && isWaitingFor(state, prior, self, facts)) {
      items.push({ action, onBehalfOf: null });
      continue;
    }
    const counted = prior.some((d) => d.decidedBy === principal.userId || d.onBehalfOf === principal.userId);
    if (counted || action.proposedBy === principal.userId || excludedBy(separation, self, facts)) continue;
    const via = delegators.find((d) => !byProposer(action, d.id) && isWaitingFor(state, prior, { userId: d.id, roles: d.roles, teams: d.teams }, facts));
    if (via) items.push({ action, onBehalfOf: via.id });
  }
  return items.slice(0, limit);
}

/** Whether the step's separation rules exclude this person (from deciding even for someone else). */
function excludedBy(separation: RequiredStep['separation'], person: { userId: string; teams: readonly string[] }, facts: CaseFacts | undefined): boolean {
  return separation !== undefined && (!facts || separationFailures(separation, person, facts).length > 0);
}

/** `proposer person` pairs: the proposer created or changed that person's account since `since`. */
async function administeredPairs(db: Queryable, actions: readonly ActionRow[], people: readonly string[], since: Date): Promise<Set<string>> {
  const proposers = [...new Set(actions.map((a) => a.proposedBy))];
  if (proposers.length === 0) return new Set();
  const rows = await db
    .select({ userId: accountChanges.userId, changedBy: accountChanges.changedBy })
    .from(accountChanges)
    .where(and(inArray(accountChanges.userId, [...people]), inArray(accountChanges.changedBy, proposers), gt(accountChanges.at, since)));
  return new Set(rows.map((r) => `${r.changedBy} ${r.userId}`));
}
