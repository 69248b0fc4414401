import { uuidv7 } from '@latch/core';
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/database.js';
import { LIVE_CHANNEL } from '../db/event-store.js';
import { notificationDeliveries, notifications } from '../db/schema.js';
import type { Channel } from './kinds.js';
import type { NotifyConfig } from './notify-config.js';
import { readPreferences, type Preferences } from './preferences.js';
import type { NotificationDraft } from './recipients.js';

export const NOTIFY_DELIVER_QUEUE = 'notification-deliver';

export interface DeliveryJob {
  readonly deliveryId: string;
}

/** Enqueues inside the caller's transaction (JobQueue.sendInTransaction). */
export type Enqueue = (tx: Tx, queue: string, data: object) => Promise<unknown>;

/** The live hint a user's console waits for: their unread count may have changed. */
export function notificationStream(userId: string): string {
  return `notifications:${userId}`;
}

/** Tells the user's open consoles, at commit, to fetch their unread count again. */
export async function hintUnreadChanged(tx: Tx, userIds: Iterable<string>): Promise<void> {
  for (const userId of new Set(userIds)) {
    await tx.execute(sql`select pg_notify(${LIVE_CHANNEL}, ${JSON.stringify({ stream: notificationStream(userId), seq: 0, kind: 'notifications' })})`);
  }
}

/** The external channels a notification goes to now: configured, chosen, and not held for the digest. */
export function channelsFor(preferences: Preferences, kind: NotificationDraft['kind'], config: NotifyConfig): Channel[] {
  if (preferences.digest === 'daily') return [];
  const channels: Channel[] = [];
  if (config.smtpUrl && preferences.email[kind]) channels.push('email');
  if (config.slackToken && preferences.slackMemberId && preferences.slack[kind]) channels.push('slack');
  return channels;
}

/**
 * Writes notifications, and for each new one a delivery per channel with its job, in the caller's
 * transaction: all of it exists iff the transaction commits. A draft already written (the same
 * source, recipient and kind) writes nothing, so deriving twice never notifies twice.
 */
export async function recordNotifications(tx: Tx, drafts: readonly NotificationDraft[], config: NotifyConfig, enqueue: Enqueue): Promise<number> {
  if (drafts.length === 0) return 0;
  const inserted = await tx
    .insert(notifications)
    .values(drafts.map((d) => ({ id: uuidv7(), ...d })))
    .onConflictDoNothing()
    .returning();
  const preferences = new Map<string, Preferences>();
  for (const row of inserted) {
    let mine = preferences.get(row.recipientId);
    if (!mine) preferences.set(row.recipientId, (mine = await readPreferences(tx, row.recipientId)));
    for (const channel of channelsFor(mine, row.kind as NotificationDraft['kind'], config)) {
      await addDelivery(tx, { key: `${row.id}:${channel}`, recipientId: row.recipientId, notificationId: row.id, channel }, enqueue);
    }
  }
  await hintUnreadChanged(tx, inserted.map((r) => r.recipientId));
  return inserted.length;
}

/** One delivery and its job; a key already used adds nothing. */
export async function addDelivery(tx: Tx, delivery: { key: string; recipientId: string; notificationId: string | null; channel: Channel }, enqueue: Enqueue): Promise<boolean> {
  const [row] = await tx
    .insert(notificationDeliveries)
    .values({ id: uuidv7(), ...delivery, status: 'pending' })
    .onConflictDoNothing()
    .returning({ id: notificationDeliveries.id });
  if (!row) return false;
  await enqueue(tx, NOTIFY_DELIVER_QUEUE, { deliveryId: row.id } satisfies DeliveryJob);
  return true;
}
