import { ConflictError, NotFoundError, uuidv7, ValidationError, type Actor, type CaseVisibility } from '@latch/core';
import { and, eq, or } from 'drizzle-orm';
import { sqlState, type Queryable, type Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { caseLinks } from '../db/schema.js';
import { loadVisibleCase, type CaseRow } from './case-access.js';
import { subjectOf } from './create-case.js';

export const LINK_KINDS = ['relates', 'duplicates', 'blocks', 'parent_of'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];
export type LinkRow = typeof caseLinks.$inferSelect;

/** Links two visible cases and records `link.added` on both, locking their streams in id order. */
export async function linkCases(tx: Tx, visibility: CaseVisibility, actor: Actor, fromId: string, toId: string, kind: LinkKind): Promise<LinkRow> {
  if (fromId === toId) throw new ValidationError('A case cannot be linked to itself');
  const from = await loadVisibleCase(tx, fromId, visibility);
  const to = await loadVisibleCase(tx, toId, visibility).catch(() => {
    throw new ValidationError('The case to link to does not exist or is not visible to you', { field: 'caseId' });
  });
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
  const from = await loadVisibleCase(tx, link.fromCaseId, visibility);
  const to = await loadVisibleCase(tx, link.toCaseId, visibility);
  await tx.delete(caseLinks).where(eq(caseLinks.id, linkId));
  await recordOnBoth(tx, actor, from, to, 'link.removed', { linkId, kind: link.kind, fromCaseId: link.fromCaseId, toCaseId: link.toCaseId });
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
