import { and, count, eq, sql } from 'drizzle-orm';
import { subjectOf } from '../../cases/create-case.js';
import type { LatchContext } from '../../context.js';
import { isErasedBlob } from '../../db/blobs.js';
import type { Database, Queryable } from '../../db/database.js';
import { appendEvents } from '../../db/event-store.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { blobs, cases, events, intakeMessages } from '../../db/schema.js';
import { failureCode, openTransports, type Transports } from '../../notifications/transports.js';
import { parseEmail } from '../email/parse-email.js';
import { INTAKE_ACTOR } from '../receive-intake.js';
import { INTAKE_REPLY_QUEUE, type ReplyJob } from './queue-reply.js';

type Say = (level: 'info' | 'warn' | 'error', message: string) => void;

/**
 * Sends one queued reply: its stored bytes, unchanged, to the address in its To through the
 * notification SMTP transport. A reply whose source was erased is not sent. A failure throws, so
 * the job is retried; a relay that took the message but whose answer was lost gets it again (the
 * same Message-ID, which mail clients show once).
 */
export async function sendReply(db: Queryable, transports: Pick<Transports, 'rawEmail'>, job: ReplyJob): Promise<'sent' | 'erased' | 'gone'> {
  const [row] = await db
    .select({ data: blobs.data, size: blobs.size })
    .from(intakeMessages)
    .innerJoin(blobs, eq(blobs.sha256, intakeMessages.rawSha256))
    .where(eq(intakeMessages.id, job.replyId));
  if (!row) return 'gone';
  if (isErasedBlob(row)) return 'erased';
  if (!transports.rawEmail) throw new Error('Outgoing mail is not configured (LATCH_NOTIFY_SMTP_URL)');
  const mail = await parseEmail(row.data);
  const to = mail.to[0];
  const from = mail.from?.address;
  if (!to || !from) throw new Error('A queued reply has no From or To');
  await transports.rawEmail({ from, to }, row.data);
  return 'sent';
}

/**
 * Puts a failed attempt to send a reply on its case's timeline: `case.reply_failed {replyId, reason,
 * attempt, retrying}`. The reason is the stable code (failureCode: `smtp:EAUTH 535`, …), never the
 * relay's text, which can quote an address, the message or a credential. `retrying` says whether the
 * job queue sends it again (after its backoff) or has given up. Returns the attempt counted.
 */
export async function recordReplyFailure(database: Pick<Database, 'write'>, job: ReplyJob, reason: string, maxAttempts: number): Promise<number | undefined> {
  return database.write(async (tx) => {
    const [message] = await tx.select({ caseId: intakeMessages.caseId }).from(intakeMessages).where(eq(intakeMessages.id, job.replyId));
    if (!message) return undefined;
    // The case's row first (the lock order), then its head in appendEvents.
    const [target] = await tx.select({ id: cases.id, requesterEmail: cases.requesterEmail }).from(cases).where(eq(cases.id, message.caseId)).for('update');
    if (!target) return undefined;
    const [earlier] = await tx
      .select({ n: count() })
      .from(events)
      .where(and(eq(events.stream, target.id), eq(events.kind, 'case.reply_failed'), sql`(${events.bytes}::jsonb -> 'data' ->> 'replyId') = ${job.replyId}`));
    const attempt = (earlier?.n ?? 0) + 1;
    await appendEvents(
      tx,
      target.id,
      [{ kind: 'case.reply_failed', actor: INTAKE_ACTOR, outcome: 'failed', data: { replyId: job.replyId, reason, attempt, retrying: attempt < maxAttempts } }],
      { subject: subjectOf(target) },
    );
    return attempt;
  });
}

/** Registers the reply sender on the job queue (in `latch serve`). Returns its stop. */
export async function startReplySender(ctx: Pick<LatchContext, 'database' | 'config'> & { readonly jobs: JobQueue; readonly say: Say }): Promise<() => Promise<void>> {
  const notify = ctx.config.notify;
  const transports = openTransports(notify);
  await ctx.jobs.ensureQueue(INTAKE_REPLY_QUEUE, { retryLimit: notify.maxAttempts - 1, retryDelay: notify.retryDelaySeconds, retryBackoff: true, expireInSeconds: 120 });
  await ctx.jobs.work(INTAKE_REPLY_QUEUE, async (job) => {
    try {
      await sendReply(ctx.database.db, transports, job.data as ReplyJob);
    } catch (error) {
      // The code only, here and in the job's stored failure: the server's text can quote the address or the message.
      const code = failureCode('email', error);
      ctx.say('warn', `intake reply ${(job.data as ReplyJob).replyId} not sent (${code}); retried until its attempts run out`);
      // On the case's timeline too; a failure to record it is only said (the job is retried either way).
      await recordReplyFailure(ctx.database, job.data as ReplyJob, code, notify.maxAttempts).catch((recordError: unknown) =>
        ctx.say('warn', `intake reply ${(job.data as ReplyJob).replyId}: its failure could not be recorded on the case (${(recordError as Error)?.name ?? 'error'})`),
      );
      throw new Error(`reply not sent: ${code}`);
    }
  });
  return async () => transports.close();
}
