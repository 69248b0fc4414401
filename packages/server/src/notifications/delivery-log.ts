import { and, desc, eq, lt } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { notificationDeliveries, notifications } from '../db/schema.js';

/** The delivery log (admins): what was sent to whom on which channel and what failed, newest first; no message bodies. */
export async function listDeliveries(db: Queryable, options: { before?: string | undefined; limit: number; status?: string | undefined }) {
  const rows = await db
    .select({ d: notificationDeliveries, kind: notifications.kind })
    .from(notificationDeliveries)
    .leftJoin(notifications, eq(notifications.id, notificationDeliveries.notificationId))
    .where(and(options.before ? lt(notificationDeliveries.id, options.before) : undefined, options.status ? eq(notificationDeliveries.status, options.status) : undefined))
    .orderBy(desc(notificationDeliveries.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  return {
    items: page.map(({ d, kind }) => ({
      id: d.id,
      recipientId: d.recipientId,
      notificationId: d.notificationId,
      kind: kind ?? 'digest',
      channel: d.channel,
      status: d.status,
      attempts: d.attempts,
      lastError: d.lastError,
      createdAt: d.createdAt.toISOString(),
      updatedAt: d.updatedAt.toISOString(),
    })),
    next: rows.length > options.limit ? (page[page.length - 1]?.d.id ?? null) : null,
  };
}
