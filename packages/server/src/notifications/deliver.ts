import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import { notificationDeliveries, notifications, users } from '../db/schema.js';
import { digestMessage, emailText, messageItem, slackText, type Message } from './compose-message.js';
import type { Channel } from './kinds.js';
import type { NotifyConfig } from './notify-config.js';
import { readPreferences } from './preferences.js';
import type { DeliveryJob } from './record-notifications.js';
import type { RecipientRules } from './recipients.js';
import { failureCode, type Transports } from './transports.js';

/** A failed attempt that will be retried by the job queue. Its message is the logged code only. */
export class DeliveryFailed extends Error {
  override readonly name = 'DeliveryFailed';
}

export interface DeliveryDeps {
  readonly database: Database;
  readonly transports: Transports;
  readonly rules: RecipientRules;
  readonly config: NotifyConfig;
  readonly publicUrl: string | undefined;
}

/**
 * Sends one delivery (the job queue's handler). Sent is final; a failure is logged with its code
 * and retried by the queue until the last attempt, then logged as failed. The send happens outside
 * any transaction: a response lost after the relay accepted means the retry sends it again (at
 * most a duplicate message, never a lost one).
 */
export async function runDelivery(deps: DeliveryDeps, job: DeliveryJob): Promise<void> {
  const { database } = deps;
  const db = database.db;
  const [delivery] = await db.select().from(notificationDeliveries).where(eq(notificationDeliveries.id, job.deliveryId));
  if (!delivery || delivery.status === 'sent' || delivery.status === 'failed' || delivery.status === 'cancelled') return;
  const [recipient] = await db.select({ email: users.email }).from(users).where(and(eq(users.id, delivery.recipientId), isNull(users.disabledAt)));
  const preferences = await readPreferences(db, delivery.recipientId);
  const message = recipient ? await compose(deps, delivery) : undefined;
  const address = delivery.channel === 'email' ? recipient?.email : preferences.slackMemberId;
  const send = delivery.channel === 'email' ? deps.transports.email : deps.transports.slack;
  if (!message || !address || !send) {
    // The person left, the notification went, or the channel was switched off since: nothing to send.
    await settle(database, delivery.id, { status: 'cancelled' });
    return;
  }
  const attempts = delivery.attempts + 1;
  try {
    if (delivery.channel === 'email') await deps.transports.email!(address, message.subject, emailText(message));
    else await deps.transports.slack!(address, slackText(message));
  } catch (error) {
    const code = failureCode(delivery.channel, error);
    const last = attempts >= deps.config.maxAttempts;
    await settle(database, delivery.id, { status: last ? 'failed' : 'retrying', attempts, lastError: code });
    if (!last) throw new DeliveryFailed(code);
    return;
  }
  await settle(database, delivery.id, { status: 'sent', attempts });
}

async function compose(deps: DeliveryDeps, delivery: typeof notificationDeliveries.$inferSelect): Promise<Message | undefined> {
  const db = deps.database.db;
  if (delivery.notificationId === null) return digestMessage(db, delivery.recipientId, delivery.channel as Channel, deps.rules, deps.publicUrl);
  const [row] = await db.select().from(notifications).where(eq(notifications.id, delivery.notificationId));
  if (!row) return undefined;
  const item = await messageItem(db, row, deps.rules, deps.publicUrl);
  return { subject: `Latch: ${item.headline}`, items: [item] };
}

async function settle(database: Database, id: string, set: { status: string; attempts?: number; lastError?: string }): Promise<void> {
  await database.write((tx) => tx.update(notificationDeliveries).set({ ...set, updatedAt: new Date() }).where(eq(notificationDeliveries.id, id)));
}
