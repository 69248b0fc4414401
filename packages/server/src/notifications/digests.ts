import { and, eq, isNull } from 'drizzle-orm';
import type { Tx } from '../db/database.js';
import { notificationPreferences, users } from '../db/schema.js';
import { digestRows } from './compose-message.js';
import type { Channel } from './kinds.js';
import type { NotifyConfig } from './notify-config.js';
import { addDelivery, type Enqueue } from './record-notifications.js';

/**
 * Once the day's digest hour (UTC) has come, one digest delivery per channel for each person who
 * chose the daily digest and has, for that channel, unread notifications from the last day of the
 * kinds they keep on there. Keyed by user, day and channel, so checking again the same day adds
 * nothing: a notification arriving after today's digest waits for tomorrow's.
 */
export async function queueDigests(tx: Tx, now: Date, config: NotifyConfig, enqueue: Enqueue): Promise<number> {
  if (now.getUTCHours() < config.digestHourUtc) return 0;
  const day = now.toISOString().slice(0, 10);
  const people = await tx
    .select({ userId: notificationPreferences.userId, slackMemberId: notificationPreferences.slackMemberId })
    .from(notificationPreferences)
    .innerJoin(users, eq(users.id, notificationPreferences.userId))
    .where(and(eq(notificationPreferences.digest, 'daily'), isNull(users.disabledAt)));
  let queued = 0;
  for (const person of people) {
    const channels: Channel[] = [];
    if (config.smtpUrl) channels.push('email');
    if (config.slackToken && person.slackMemberId) channels.push('slack');
    for (const channel of channels) {
      if ((await digestRows(tx, person.userId, channel, now)).length === 0) continue;
      if (await addDelivery(tx, { key: `digest:${person.userId}:${day}:${channel}`, recipientId: person.userId, notificationId: null, channel }, enqueue)) queued++;
    }
  }
  return queued;
}
