import { NotFoundError, type CaseVisibility } from '@latch/core';
import { and, asc, eq } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { actionRequests, approvalDecisions } from '../db/schema.js';
import { loadVisibleCase, type CaseRow } from '../cases/case-access.js';

export type ActionRow = typeof actionRequests.$inferSelect;
export type DecisionRow = typeof approvalDecisions.$inferSelect;

/** An action on a case the principal may see (404 otherwise, like the case), optionally locked. */
export async function loadVisibleAction(db: Queryable, id: string, visibility: CaseVisibility, lock = false): Promise<{ action: ActionRow; case: CaseRow }> {
  const query = db.select().from(actionRequests).where(eq(actionRequests.id, id));
  const [action] = lock ? await query.for('update') : await query;
  if (!action) throw new NotFoundError('Action');
  const target = await loadVisibleCase(db, action.caseId, visibility).catch(() => {
    throw new NotFoundError('Action');
  });
  return { action, case: target };
}

/** The decisions that count now: those of the action's current round. */
export async function currentDecisions(db: Queryable, action: ActionRow): Promise<DecisionRow[]> {
  return db
    .select()
    .from(approvalDecisions)
    .where(and(eq(approvalDecisions.actionId, action.id), eq(approvalDecisions.round, action.round)))
    .orderBy(asc(approvalDecisions.createdAt));
}
