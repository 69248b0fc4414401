import { NotFoundError, type CaseVisibility } from '@latch/core';
import { and, count, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { visibleCases } from '../cases/case-access.js';
import type { Queryable, Tx } from '../db/database.js';
import { cases, notifications } from '../db/schema.js';
import { linkPath } from './compose-message.js';
import { HEADLINES, type NotificationKind } from './kinds.js';
import { hintUnreadChanged } from './record-notifications.js';

/** A user's notifications, newest first, `before` an id (the cursor); case titles only where they may see the case now. */
export async function listNotifications(db: Queryable, userId: string, visibility: CaseVisibility, options: { before?: string | undefined; limit: number; unread?: boolean | undefined }) {
  const rows = await db
    .select({ n: notifications, title: cases.title })
    .from(notifications)
    .leftJoin(cases, and(eq(cases.id, notifications.caseId), visibleCases(visibility) ?? sql`true`))
    .where(and(eq(notifications.recipientId, userId), options.before ? lt(notifications.id, options.before) : undefined, options.unread ? isNull(notifications.readAt) : undefined))
    .orderBy(desc(notifications.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  return {
    items: page.map(({ n, title }) => ({
      id: n.id,
      kind: n.kind,
      headline: HEADLINES[n.kind as NotificationKind] ?? n.kind,
      caseId: title === null ? null : n.caseId,
      caseTitle: title,
      actionId: title === null ? null : n.actionId,
      link: title === null ? '/notifications' : linkPath(n),
      deadline: n.deadline?.toISOString() ?? null,
      createdAt: n.createdAt.toISOString(),
      readAt: n.readAt?.toISOString() ?? null,
    })),
    next: rows.length > options.limit ? (page[page.length - 1]?.n.id ?? null) : null,
  };
}

export async function countUnread(db: Queryable, userId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(notifications).where(and(eq(notifications.recipientId, userId), isNull(notifications.readAt)));
  return Number(row?.n ?? 0);
}

/** Marks the user's notifications read: the ids given (all of them theirs, else 404 and nothing changes) or all. */
export async function markRead(tx: Tx, userId: string, target: { ids: readonly string[] } | { all: true }): Promise<number> {
  const mine = eq(notifications.recipientId, userId);
  if ('ids' in target) {
    const ids = [...new Set(target.ids)];
    if (ids.length === 0) return 0;
    const owned = await tx.select({ id: notifications.id }).from(notifications).where(and(mine, inArray(notifications.id, ids)));
    // Someone else's notification reads exactly like a missing one.
    if (owned.length !== ids.length) throw new NotFoundError('Notification');
  }
  const updated = await tx
    .update(notifications)
    .set({ readAt: new Date() })
    .where(and(mine, isNull(notifications.readAt), 'ids' in target ? inArray(notifications.id, [...target.ids]) : undefined))
    .returning({ id: notifications.id });
  if (updated.length > 0) await hintUnreadChanged(tx, [userId]);
  return updated.length;
}
