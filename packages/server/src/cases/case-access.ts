import { NotFoundError, type CaseVisibility } from '@latch/core';
import { and, eq, or, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { cases } from '../db/schema.js';

export type CaseRow = typeof cases.$inferSelect;

/** The SQL condition for "cases this principal may see"; undefined when they may see all. */
export function visibleCases(visibility: CaseVisibility): SQL | undefined {
  if (visibility.all) return undefined;
  const queues = visibility.queues.length > 0 ? sql`${cases.queue} = any(${sql.param(visibility.queues)}::text[])` : sql`false`;
  return or(queues, eq(cases.requesterId, visibility.userId), eq(cases.assigneeId, visibility.userId));
}

/**
 * Loads a case the principal may see. A case they may not see is reported exactly as a missing
 * one (404), so ids can't be probed. With `lock`, the row is locked for the transaction.
 */
export async function loadVisibleCase(db: Queryable, id: string, visibility: CaseVisibility, lock = false): Promise<CaseRow> {
  const query = db.select().from(cases).where(and(eq(cases.id, id), visibleCases(visibility)));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new NotFoundError('Case');
  return row;
}
