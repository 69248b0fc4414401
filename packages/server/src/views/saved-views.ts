import { ConflictError, NotFoundError, uuidv7 } from '@latch/core';
import { and, asc, count, eq } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { savedViews, users } from '../db/schema.js';

export type SavedViewRow = typeof savedViews.$inferSelect;
/** The queue's query parameters, already checked against the list route's schema. */
export type ViewQuery = Record<string, string>;

/** Enough for every queue a person works; a client saving in a loop stops here. */
export const MAX_VIEWS_PER_USER = 50;

/** The user's own views, oldest first (the order they were saved in). */
export async function listViews(db: Queryable, userId: string): Promise<SavedViewRow[]> {
  return db.select().from(savedViews).where(eq(savedViews.userId, userId)).orderBy(asc(savedViews.createdAt), asc(savedViews.id));
}

/** Saves a view for the user; the 51st is refused with TOO_MANY_VIEWS. */
export async function saveView(tx: Queryable, userId: string, view: { name: string; query: ViewQuery }): Promise<SavedViewRow> {
  // The user's row is the lock: two saves at once can't both see 49 and make 51.
  await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update');
  const [held] = await tx.select({ n: count() }).from(savedViews).where(eq(savedViews.userId, userId));
  if ((held?.n ?? 0) >= MAX_VIEWS_PER_USER) {
    throw new ConflictError('TOO_MANY_VIEWS', `You already have ${MAX_VIEWS_PER_USER} saved views; delete one first`, { limit: MAX_VIEWS_PER_USER });
  }
  const [row] = await tx.insert(savedViews).values({ id: uuidv7(), userId, name: view.name, query: view.query }).returning();
  return row!;
}

/** Deletes one of the user's views; someone else's is reported exactly as a missing one. */
export async function deleteView(tx: Queryable, userId: string, id: string): Promise<void> {
  const deleted = await tx.delete(savedViews).where(and(eq(savedViews.id, id), eq(savedViews.userId, userId))).returning({ id: savedViews.id });
  if (deleted.length === 0) throw new NotFoundError('View');
}

export const presentView = (row: SavedViewRow) => ({ id: row.id, name: row.name, query: row.query, createdAt: row.createdAt.toISOString() });
