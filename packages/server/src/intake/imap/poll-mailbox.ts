import { and, eq } from 'drizzle-orm';
import { ImapFlow } from 'imapflow';
import type { LatchContext } from '../../context.js';
import { sha256Hex } from '@latch/core';
import { intakeQuarantine } from '../../db/schema.js';
import type { ImapSettings } from '../intake-config.js';
import { receiveEmail } from '../email/receive-email.js';

/** What one poll of the mailbox did. */
export interface PollReport {
  /** Unseen messages found. */
  readonly unseen: number;
  readonly created: number;
  readonly threaded: number;
  readonly quarantined: number;
  /** Fetched again after a crash between the commit and the `\Seen` flag: already received, only flagged now. */
  readonly duplicates: number;
}

export type IntakeCtx = Pick<LatchContext, 'database' | 'caseTypes' | 'intake'>;

/**
 * One poll: log in, fetch every unseen message (BODY.PEEK[], so reading does not mark it), receive
 * each exactly as the SMTP receiver does, and flag it `\Seen` only once it is committed. A crash
 * between the commit and the flag leaves it unseen: the next poll fetches it again, and the core's
 * Message-ID dedupe (or, for a held message, the same bytes already in quarantine) receives it once.
 */
export async function pollMailbox(ctx: IntakeCtx, settings: ImapSettings, password: string, onClient: (client: ImapFlow | undefined) => void): Promise<PollReport> {
  const client = new ImapFlow({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    auth: { user: settings.user, pass: password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: 30_000,
    greetingTimeout: 15_000,
    socketTimeout: 120_000,
  });
  // imapflow emits socket errors as events; the awaited command rejects as well, which is what we report.
  client.on('error', () => undefined);
  onClient(client);
  const counts = { unseen: 0, created: 0, threaded: 0, quarantined: 0, duplicates: 0 };
  try {
    await client.connect();
    const lock = await client.getMailboxLock(settings.mailbox);
    try {
      const uids = (await client.search({ seen: false }, { uid: true })) || [];
      counts.unseen = uids.length;
      for (const uid of uids) {
        const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
        if (!message || !message.source) continue; // expunged meanwhile
        const outcome = await receiveOnce(ctx, settings.address, message.source);
        counts[outcome === 'duplicate' ? 'duplicates' : outcome]++;
        await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
      }
    } finally {
      lock.release();
    }
    await client.logout();
    return counts;
  } finally {
    onClient(undefined);
    client.close();
  }
}

async function receiveOnce(ctx: IntakeCtx, address: string, raw: Buffer): Promise<'created' | 'threaded' | 'quarantined' | 'duplicate'> {
  // A held message has no case for the core's dedupe to find: the same bytes held for the same address are this message.
  const [held] = await ctx.database.db
    .select({ id: intakeQuarantine.id })
    .from(intakeQuarantine)
    .where(and(eq(intakeQuarantine.rawSha256, sha256Hex(raw)), eq(intakeQuarantine.source, address), eq(intakeQuarantine.channel, 'email')))
    .limit(1);
  if (held) return 'duplicate';
  // envelopeFrom undefined: IMAP has no envelope, so the bounce check reads Return-Path.
  return (await receiveEmail(ctx, { raw, address, envelopeFrom: undefined })).outcome;
}
