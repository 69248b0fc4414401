import { LatchError, NotFoundError, sha256Hex, uuidv7, type Actor } from '@latch/core';
import { and, desc, eq, lt, ne, sql } from 'drizzle-orm';
import { putBlob } from '../db/blobs.js';
import { resultRows, type Queryable, type Tx } from '../db/database.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { attachments, blobs, intakeMessages, intakeQuarantine } from '../db/schema.js';
import type { LatchContext } from '../context.js';
import type { IntakeConfig } from './intake-config.js';
import { receiveIntakeIn, type IntakeInput, type IntakeResult } from './receive-intake.js';

export type QuarantineRow = typeof intakeQuarantine.$inferSelect;

/** Why an intake was held back. Stable codes: the console and scripts read them. */
export const QUARANTINE_REASONS = {
  bounce: 'A delivery status notification (bounce): never opens a case',
  auto_reply: 'An automatic reply (Auto-Submitted, Precedence or an out-of-office header)',
  bulk: 'Bulk or list mail (Precedence: bulk, junk or list; List-Id)',
  loop: 'Our own message came back (a Latch Message-ID or loop header): a mail loop',
  flood: 'Too many messages from one sender in an hour',
  too_many_attachments: 'More attachments than the configured limit',
  attachment_too_large: 'An attachment over the configured size limit',
  malformed: 'The message could not be read (broken MIME or no sender)',
  suspicious_address: 'The sender address is disguised (invisible or bidirectional characters)',
  honeypot: 'A form post with the hidden field filled in (a bot); the sender was answered as if it had passed',
  stale: 'A signed alert delivery whose timestamp is more than five minutes from the time received',
  replayed: 'A signed alert delivery whose webhook-id was received before',
} as const;
export type QuarantineReason = keyof typeof QUARANTINE_REASONS | (string & {});

export interface NewQuarantined {
  readonly channel: string;
  readonly source: string;
  readonly reason: QuarantineReason;
  /** A short explanation for admins, never the content (e.g. `31 messages in the last hour`). */
  readonly detail: string;
  readonly raw: Buffer;
  readonly rawType: string;
  /** The sender, as erasure names subjects (lower-case email), if known. */
  readonly subject: string | undefined;
}

/** Holds an intake back with its reason and raw source, in the caller's transaction (so it is never lost). */
export async function quarantineIntake(tx: Tx, item: NewQuarantined): Promise<QuarantineRow> {
  const rawSha256 = sha256Hex(item.raw);
  await putBlob(tx, rawSha256, item.raw);
  const [row] = await tx
    .insert(intakeQuarantine)
    .values({
      id: uuidv7(),
      channel: item.channel,
      source: item.source,
      reason: item.reason,
      detail: item.detail.slice(0, 500),
      rawSha256,
      rawType: item.rawType,
      subject: item.subject ?? null,
      status: 'held',
    })
    .returning();
  return row!;
}

/** How a channel turns a held item's raw source back into an intake when an admin releases it. */
export type Releaser = (config: IntakeConfig, item: QuarantineRow, raw: Buffer) => Promise<IntakeInput>;
const releasers = new Map<string, Releaser>();

/** Each channel registers how its quarantined items are released (email: parse the message again). */
export function registerReleaser(channel: string, releaser: Releaser): void {
  releasers.set(channel, releaser);
}

/**
 * A page of the quarantine, newest first: `limit` items and the cursor of the next page (null on the
 * last). The cursor is opaque to clients; `before` (an item's id) is the older way to say the same.
 */
export async function listQuarantine(
  db: Queryable,
  options: { status?: string | undefined; before?: string | undefined; cursor?: string | undefined; limit: number },
): Promise<{ items: QuarantineRow[]; nextCursor: string | null }> {
  const before = options.cursor !== undefined ? decodeQuarantineCursor(options.cursor) : options.before;
  const rows = await db
    .select()
    .from(intakeQuarantine)
    .where(and(options.status ? eq(intakeQuarantine.status, options.status) : undefined, before ? lt(intakeQuarantine.id, before) : undefined))
    .orderBy(desc(intakeQuarantine.id))
    .limit(options.limit + 1);
  const items = rows.slice(0, options.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > options.limit && last ? Buffer.from(JSON.stringify([last.id])).toString('base64url') : null };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function decodeQuarantineCursor(cursor: string): string {
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    position = undefined;
  }
  if (!Array.isArray(position) || position.length !== 1 || typeof position[0] !== 'string' || !UUID.test(position[0])) {
    throw new LatchError('INVALID_CURSOR', 'The cursor is not one this listing returned');
  }
  return position[0];
}

export async function readQuarantined(db: Queryable, id: string): Promise<{ item: QuarantineRow; raw: Buffer }> {
  const [found] = await db.select({ item: intakeQuarantine, data: blobs.data }).from(intakeQuarantine).innerJoin(blobs, eq(blobs.sha256, intakeQuarantine.rawSha256)).where(eq(intakeQuarantine.id, id));
  if (!found) throw new NotFoundError('Quarantined intake');
  return { item: found.item, raw: found.data };
}

async function lockHeld(tx: Tx, id: string): Promise<{ item: QuarantineRow; raw: Buffer }> {
  const [item] = await tx.select().from(intakeQuarantine).where(eq(intakeQuarantine.id, id)).for('update');
  if (!item) throw new NotFoundError('Quarantined intake');
  if (item.status !== 'held') throw new LatchError('INTAKE_ALREADY_DECIDED', `This item was already ${item.status}`, { status: item.status });
  const [blob] = await tx.select({ data: blobs.data }).from(blobs).where(eq(blobs.sha256, item.rawSha256));
  return { item, raw: blob!.data };
}

/**
 * Releases a held item: the channel reads its raw source again and it is received as if it had
 * passed (the check that held it no longer applies), with the admin named on `intake.received`.
 */
export async function releaseQuarantined(tx: Tx, ctx: Pick<LatchContext, 'caseTypes'> & { readonly intake: { readonly config: IntakeConfig } }, actor: Actor, userId: string, id: string): Promise<{ item: QuarantineRow; result: IntakeResult }> {
  const { item, raw } = await lockHeld(tx, id);
  const releaser = releasers.get(item.channel);
  if (!releaser) throw new LatchError('VALIDATION_FAILED', `Items of channel '${item.channel}' cannot be released on this server`);
  const input = await releaser(ctx.intake.config, item, raw);
  const result = await receiveIntakeIn(tx, ctx, { ...input, released: { quarantineId: item.id, reason: item.reason, by: actor } });
  const [updated] = await tx
    .update(intakeQuarantine)
    .set({ status: 'released', caseId: result.caseId, decidedBy: userId, decidedAt: new Date() })
    .where(eq(intakeQuarantine.id, id))
    .returning();
  return { item: updated!, result };
}

/**
 * Discards a held item, on the record (`intake.discarded` on the system stream, with the reason
 * code, never the content), and empties its raw bytes unless a case or another held item uses them.
 */
export async function discardQuarantined(tx: Tx, actor: Actor, userId: string, id: string): Promise<QuarantineRow> {
  const { item } = await lockHeld(tx, id);
  const [updated] = await tx
    .update(intakeQuarantine)
    .set({ status: 'discarded', decidedBy: userId, decidedAt: new Date() })
    .where(eq(intakeQuarantine.id, id))
    .returning();
  const sha = item.rawSha256;
  const usedResult = await tx.execute(sql`select
      exists (select 1 from ${intakeMessages} where ${intakeMessages.rawSha256} = ${sha})
      or exists (select 1 from ${attachments} where ${attachments.sha256} = ${sha})
      or exists (select 1 from ${intakeQuarantine} where ${intakeQuarantine.rawSha256} = ${sha} and ${intakeQuarantine.status} = 'held' and ${ne(intakeQuarantine.id, id)}) as used`);
  if (!resultRows<{ used: boolean }>(usedResult)[0]?.used) await tx.update(blobs).set({ data: Buffer.alloc(0) }).where(eq(blobs.sha256, sha));
  await appendEvents(tx, SYSTEM_STREAM, [{ kind: 'intake.discarded', actor, data: { quarantineId: id, channel: item.channel, reason: item.reason } }], { subject: `user:${userId}` });
  return updated!;
}

export function presentQuarantined(row: QuarantineRow) {
  return {
    id: row.id,
    channel: row.channel,
    source: row.source,
    reason: row.reason,
    reasonText: (QUARANTINE_REASONS as Record<string, string>)[row.reason] ?? row.reason,
    detail: row.detail,
    sender: row.subject,
    rawSha256: row.rawSha256,
    rawType: row.rawType,
    status: row.status,
    caseId: row.caseId,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
