import MailComposer from 'nodemailer/lib/mail-composer/index.js';

/** What a reply to the requester says and whom it answers. */
export interface ReplyMessage {
  readonly from: string;
  readonly to: string;
  readonly caseId: string;
  readonly caseTitle: string;
  readonly body: string;
  /** Our Message-ID, without angle brackets. */
  readonly messageId: string;
  /** The requester's last message: its Message-ID and the References it carried. */
  readonly answering: { readonly messageId: string; readonly references: readonly string[] } | undefined;
}

/** The subject a reply carries: the case's title and its token, so the requester's answer threads even without In-Reply-To. */
export function replySubject(caseId: string, title: string): string {
  const base = title.replace(/[\r\n]+/g, ' ').trim().slice(0, 200);
  return `Re: ${base} [Latch case ${caseId}]`;
}

/**
 * Builds the exact MIME bytes of a reply with nodemailer's composer: these bytes are stored by
 * hash and are what the relay receives, so the record shows what was sent.
 */
export async function composeReply(reply: ReplyMessage): Promise<Buffer> {
  const references = reply.answering ? [...reply.answering.references, reply.answering.messageId].slice(-20).map((id) => `<${id}>`) : [];
  const composer = new MailComposer({
    from: reply.from,
    to: reply.to,
    subject: replySubject(reply.caseId, reply.caseTitle),
    text: reply.body,
    messageId: `<${reply.messageId}>`,
    ...(reply.answering ? { inReplyTo: `<${reply.answering.messageId}>`, references } : {}),
    date: new Date(),
  });
  return composer.compile().build();
}
