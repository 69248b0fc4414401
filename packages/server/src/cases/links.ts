import { ConflictError, NotFoundError, uuidv7, ValidationError, type Actor, type CaseVisibility } from '@latch/core';
import { and, asc, eq, inArray, or } from 'drizzle-orm';
import { sqlState, type Queryable, type Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { caseLinks, cases } from '../db/schema.js';
import { loadVisibleCase, visibleCases, type CaseRow } from './case-access.js';
import { subjectOf } from './create-case.js';

export const LINK_KINDS = ['relates', 'duplicates', 'blocks', 'parent_of'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];
export type LinkRow = typeof caseLinks.$inferSelect;

/** Links two visible cases and records `link.added` on both, locking the cases, then their streams, in id order. */
export async function linkCases(tx: Tx, visibility: CaseVisibility, actor: Actor, fromId: string, toId: string, kind: LinkKind): Promise<LinkRow> {
  if (fromId === toId) throw new ValidationError('A case cannot be linked to itself');
  const locked = await lockVisibleCases(tx, [fromId, toId], visibility);
  const from = locked.get(fromId.toLowerCase());
  if (!from) throw new NotFoundError('Case');
  const to = locked.get(toId.toLowerCase());
  if (!to) throw new ValidationError('The case to link to does not exist or is not visible to you', { field: 'caseId' });
  const id = uuidv7();
  try {
    await tx.insert(caseLinks).values({ id, fromCaseId: fromId, toCaseId: toId, kind, createdBy: visibility.userId });
  } catch (error) {
    if (sqlState(error) === '23505') throw new ConflictError('ALREADY_EXISTS', 'These cases are already linked that way');
    throw error;
  }
  await recordOnBoth(tx, actor, from, to, 'link.added', { linkId: id, kind, fromCaseId: fromId, toCaseId: toId });
  const [row] = await tx.select().from(caseLinks).where(eq(caseLinks.id, id));
  return row!;
}

/** Removes a link (from either end) and records `link.removed` on both cases. */
export async function unlinkCases(tx: Tx, visibility: CaseVisibility, actor: Actor, caseId: string, linkId: string): Promise<void> {
  await loadVisibleCase(tx, caseId, visibility);
  const [link] = await tx
    .select()
    .from(caseLinks)
    .where(and(eq(caseLinks.id, linkId), or(eq(caseLinks.fromCaseId, caseId), eq(caseLinks.toCaseId, caseId))));
  if (!link) throw new NotFoundError('Link');
  const locked = await lockVisibleCases(tx, [link.fromCaseId, link.toCaseId], visibility);
  const from = locked.get(link.fromCaseId.toLowerCase());
  const to = locked.get(link.toCaseId.toLowerCase());
  if (!from || !to) throw new NotFoundError('Case');
  await tx.delete(caseLinks).where(eq(caseLinks.id, linkId));
  await recordOnBoth(tx, actor, from, to, 'link.removed', { linkId, kind: link.kind, fromCaseId: link.fromCaseId, toCaseId: link.toCaseId });
}

/**
 * Locks the visible ones of these cases, in id order: case rows before any stream head, several in
 * ascending id (the lock order, db/event-store.ts), so two links between the same cases can't deadlock.
 */
async function lockVisibleCases(tx: Tx, ids: readonly string[], visibility: CaseVisibility): Promise<Map<string, CaseRow>> {
  const rows = await tx
    .select()
    .from(cases)
    .where(and(inArray(cases.id, [...ids]), visibleCases(visibility)))
    .orderBy(asc(cases.id))
    .for('update');
  return new Map(rows.map((row) => [row.id.toLowerCase(), row]));
}

async function recordOnBoth(tx: Tx, actor: Actor, a: CaseRow, b: CaseRow, kind: string, data: Record<string, unknown>): Promise<void> {
  for (const target of [a, b].sort((x, y) => x.id.localeCompare(y.id))) {
    await appendEvents(tx, target.id, [{ kind, actor, data }], { subject: subjectOf(target) });
  }
}

export async function listLinks(db: Queryable, visibility: CaseVisibility, caseId: string): Promise<LinkRow[]> {
  await loadVisibleCase(db, caseId, visibility);
  return db.select().from(caseLinks).where(or(eq(caseLinks.fromCaseId, caseId), eq(caseLinks.toCaseId, caseId)));
}

export function presentLink(row: LinkRow) {
  return { id: row.id, kind: row.kind, fromCaseId: row.fromCaseId, toCaseId: row.toCaseId, createdBy: row.createdBy, createdAt: row.createdAt.toISOString() };
}
