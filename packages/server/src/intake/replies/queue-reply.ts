import { LatchError, personal, sha256Hex, uuidv7, type Actor, type CaseVisibility } from '@latch/core';
import { and, desc, eq } from 'drizzle-orm';
import { loadVisibleCase } from '../../cases/case-access.js';
import { subjectOf } from '../../cases/create-case.js';
import type { LatchContext } from '../../context.js';
import { isErasedBlob, putBlob } from '../../db/blobs.js';
import type { Queryable, Tx } from '../../db/database.js';
import { appendEvents } from '../../db/event-store.js';
import { blobs, intakeMessages } from '../../db/schema.js';
import { parseEmail } from '../email/parse-email.js';
import { EMAIL_CHANNEL, RFC822 } from '../email/receive-email.js';
import { threadKeyHash } from '../receive-intake.js';
import { composeReply } from './compose-reply.js';

/** The job queue that sends replies (reply-worker.ts). */
export const INTAKE_REPLY_QUEUE = 'intake-reply-send';

/** A reply waiting to be sent: the intake_messages row holding its exact bytes (no address or text in the job). */
export interface ReplyJob {
  readonly replyId: string;
}

type ReplyContext = Pick<LatchContext, 'config' | 'intake' | 'scheduler'>;

/**
 * Records a reply to the case's requester and queues it for sending, in one transaction: the MIME
 * message (our Message-ID, In-Reply-To and References to the requester's last message, the case
 * token in the subject) stored by hash, `case.reply_sent` with the body as personal data, the
 * message's row so an answer threads back, and the send job.
 */
export async function queueReply(tx: Tx, ctx: ReplyContext, visibility: CaseVisibility, actor: Actor, caseId: string, body: string) {
  const target = await loadVisibleCase(tx, caseId, visibility, true);
  if (!ctx.config.notify.smtpUrl) throw new LatchError('MAIL_NOT_CONFIGURED', 'Outgoing mail is not configured (LATCH_NOTIFY_SMTP_URL)');
  if (!target.requesterEmail) throw new LatchError('NO_REQUESTER_ADDRESS', 'This case has no requester email address to reply to');
  const replyId = uuidv7();
  const messageId = `${replyId}@${ctx.intake.config.email.messageIdDomain}`;
  const raw = await composeReply({
    from: ctx.intake.config.email.replyFrom ?? ctx.config.notify.from,
    to: target.requesterEmail,
    caseId,
    caseTitle: target.title,
    body,
    messageId,
    answering: await lastReceived(tx, caseId),
  });
  const rawSha256 = sha256Hex(raw);
  await putBlob(tx, rawSha256, raw);
  const [event] = await appendEvents(
    tx,
    caseId,
    [{ kind: 'case.reply_sent', actor, data: { replyId, channel: EMAIL_CHANNEL, body: personal(body), rawSha256, rawType: RFC822, size: raw.length }, blobs: [rawSha256] }],
    { subject: subjectOf(target) },
  );
  const [row] = await tx
    .insert(intakeMessages)
    .values({ id: replyId, caseId, direction: 'out', channel: EMAIL_CHANNEL, messageKey: threadKeyHash(messageId), rawSha256, eventId: event!.id })
    .returning();
  await ctx.scheduler.schedule(tx, INTAKE_REPLY_QUEUE, { replyId } satisfies ReplyJob, new Date());
  return { id: row!.id, caseId, eventId: row!.eventId, status: 'queued' as const, createdAt: row!.createdAt.toISOString() };
}

/** The requester's newest message on the case that can still be read: the one a reply answers. */
async function lastReceived(db: Queryable, caseId: string): Promise<{ messageId: string; references: string[] } | undefined> {
  const rows = await db
    .select({ data: blobs.data, size: blobs.size })
    .from(intakeMessages)
    .innerJoin(blobs, eq(blobs.sha256, intakeMessages.rawSha256))
    .where(and(eq(intakeMessages.caseId, caseId), eq(intakeMessages.direction, 'in'), eq(intakeMessages.channel, EMAIL_CHANNEL)))
    .orderBy(desc(intakeMessages.id))
    .limit(5);
  for (const row of rows) {
    if (isErasedBlob(row)) continue;
    const mail = await parseEmail(row.data).catch(() => undefined);
    if (mail?.messageId) return { messageId: mail.messageId, references: [...mail.references] };
  }
  return undefined;
}
