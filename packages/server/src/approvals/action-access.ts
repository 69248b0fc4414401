import { NotFoundError, type CaseVisibility } from '@latch/core';
import { and, asc, eq } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { actionRequests, approvalDecisions, cases } from '../db/schema.js';
import { visibleCases, type CaseRow } from '../cases/case-access.js';

export type ActionRow = typeof actionRequests.$inferSelect;
export type DecisionRow = typeof approvalDecisions.$inferSelect;

/** An action on a case the principal may see (404 otherwise, like the case), optionally locked. */
export async function loadVisibleAction(db: Queryable, id: string, visibility: CaseVisibility, lock = false): Promise<{ action: ActionRow; case: CaseRow }> {
  // One round trip: the action with its case, visibility applied; only the action row is locked.
  const query = db
    .select({ action: actionRequests, case: cases })
    .from(actionRequests)
    .innerJoin(cases, eq(cases.id, actionRequests.caseId))
    .where(and(eq(actionRequests.id, id), visibleCases(visibility)));
  const [found] = lock ? await query.for('update', { of: actionRequests }) : await query;
  if (!found) throw new NotFoundError('Action');
  return found;
}

/** The decisions that count now: those of the action's current round. */
export async function currentDecisions(db: Queryable, action: ActionRow): Promise<DecisionRow[]> {
  return db
    .select()
    .from(approvalDecisions)
    .where(and(eq(approvalDecisions.actionId, action.id), eq(approvalDecisions.round, action.round)))
    .orderBy(asc(approvalDecisions.createdAt));
}
