import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { cases, notifications } from '../db/schema.js';
import { HEADLINES, type Channel, type NotificationKind } from './kinds.js';
import { readPreferences } from './preferences.js';
import type { RecipientRules } from './recipients.js';
import { maySee } from './responsible-people.js';

type NotificationRow = typeof notifications.$inferSelect;

/** One notification as a person reads it: never the action's payload, only what happened, where, and by when. */
export interface MessageItem {
  readonly headline: string;
  /** The case's title, when the recipient may still see the case. */
  readonly title: string | null;
  readonly link: string;
  readonly deadline: Date | null;
}

export interface Message {
  readonly subject: string;
  readonly items: readonly MessageItem[];
}

/** Where a notification leads: the inbox for a waiting approval (deciding happens there, with the payload in view), else the case. */
export function linkPath(row: { kind: string; caseId: string | null }): string {
  if (row.kind === 'approval_waiting') return '/approvals';
  return row.caseId ? `/cases/${row.caseId}` : '/notifications';
}

export async function messageItem(db: Queryable, row: NotificationRow, rules: RecipientRules, publicUrl: string | undefined): Promise<MessageItem> {
  let title: string | null = null;
  if (row.caseId && (await maySee(db, row.recipientId, row.caseId, rules))) {
    const [found] = await db.select({ title: cases.title }).from(cases).where(eq(cases.id, row.caseId));
    title = found?.title ?? null;
  }
  return { headline: HEADLINES[row.kind as NotificationKind] ?? 'Something needs your attention', title, link: `${publicUrl?.replace(/\/$/, '') ?? ''}${linkPath(row)}`, deadline: row.deadline };
}

/**
 * The notifications a digest lists on one channel: the recipient's unread ones of the day before
 * `now`, of the kinds they keep on for that channel, newest first (at most 50).
 */
export async function digestRows(db: Queryable, userId: string, channel: Channel, now: Date): Promise<NotificationRow[]> {
  const since = new Date(now.getTime() - 86_400_000);
  const rows = await db
    .select()
    .from(notifications)
    .where(and(eq(notifications.recipientId, userId), isNull(notifications.readAt), gt(notifications.createdAt, since)))
    .orderBy(desc(notifications.id))
    .limit(200);
  const switches = (await readPreferences(db, userId))[channel];
  return rows.filter((row) => switches[row.kind as NotificationKind] !== false).slice(0, 50);
}

/** A digest on one channel, or nothing to send. */
export async function digestMessage(db: Queryable, userId: string, channel: Channel, rules: RecipientRules, publicUrl: string | undefined): Promise<Message | undefined> {
  const rows = await digestRows(db, userId, channel, new Date());
  if (rows.length === 0) return undefined;
  const items = [];
  for (const row of rows) items.push(await messageItem(db, row, rules, publicUrl));
  return { subject: `Latch: ${rows.length} unread notification${rows.length === 1 ? '' : 's'} today`, items };
}

/** Plain text (email): the title is the customer's words, so it is never HTML. */
export function emailText(message: Message): string {
  const blocks = message.items.map((item) =>
    [item.headline + (item.title !== null ? `: ${item.title}` : ''), ...(item.deadline ? [`Decide by ${item.deadline.toISOString()}`] : []), item.link].join('\n'),
  );
  return `${blocks.join('\n\n')}\n\nOpen Latch to read and decide; nothing can be approved from this message.\n`;
}

/** Slack mrkdwn: untrusted text escaped so it can form no mention or link of its own (as plugins/slack does). */
export function slackText(message: Message): string {
  return message.items
    .map((item) => {
      const title = item.title !== null ? `: ${escapeSlackText(item.title)}` : '';
      const deadline = item.deadline ? ` (decide by ${item.deadline.toISOString()})` : '';
      return `${escapeSlackText(item.headline)}${title}${deadline} <${escapeSlackText(item.link)}|Open in Latch>`;
    })
    .join('\n');
}

/** The three characters Slack treats as control sequences (the same rule as plugins/slack/src/config.ts). */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
