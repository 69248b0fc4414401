import { eq } from 'drizzle-orm';
import type { Queryable, Tx } from '../db/database.js';
import { notificationPreferences } from '../db/schema.js';
import { NOTIFICATION_KINDS, type NotificationKind } from './kinds.js';

export type KindSwitches = Record<NotificationKind, boolean>;

/** A user's choices; without a saved row every kind goes to every channel configured, one message each. */
export interface Preferences {
  readonly email: KindSwitches;
  readonly slack: KindSwitches;
  /** `daily`: one digest a day on each channel instead of a message per notification. */
  readonly digest: 'off' | 'daily';
  /** The Slack member id (U…/W…) direct messages go to; none: no Slack messages. */
  readonly slackMemberId: string | null;
}

const allOn = (): KindSwitches => Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, true])) as KindSwitches;

/** Switches for every known kind: stored ones, and on for kinds added since they were saved. */
function complete(stored: Record<string, boolean> | undefined): KindSwitches {
  const switches = allOn();
  for (const kind of NOTIFICATION_KINDS) if (typeof stored?.[kind] === 'boolean') switches[kind] = stored[kind];
  return switches;
}

export async function readPreferences(db: Queryable, userId: string): Promise<Preferences> {
  const [row] = await db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, userId));
  return {
    email: complete(row?.email),
    slack: complete(row?.slack),
    digest: row?.digest === 'daily' ? 'daily' : 'off',
    slackMemberId: row?.slackMemberId ?? null,
  };
}

/** Replaces a user's preferences (kinds left out stay as they were). */
export async function savePreferences(tx: Tx, userId: string, input: { email?: Partial<KindSwitches>; slack?: Partial<KindSwitches>; digest: 'off' | 'daily'; slackMemberId: string | null }): Promise<Preferences> {
  const current = await readPreferences(tx, userId);
  const values = {
    email: { ...current.email, ...input.email },
    slack: { ...current.slack, ...input.slack },
    digest: input.digest,
    slackMemberId: input.slackMemberId,
    updatedAt: new Date(),
  };
  await tx.insert(notificationPreferences).values({ userId, ...values }).onConflictDoUpdate({ target: notificationPreferences.userId, set: values });
  return readPreferences(tx, userId);
}
