import type { EmailSettings } from '../intake-config.js';
import type { QuarantineReason } from '../quarantine.js';
import type { EmailMessage } from './parse-email.js';

/** Why a message must not open or follow a case, or undefined when it may. */
export interface Held {
  readonly reason: QuarantineReason;
  readonly detail: string;
}

// Zero-width, bidirectional and other invisible characters: an address carrying one is made to look like another.
const INVISIBLE_CODE_POINTS: readonly [number, number][] = [
  [0xad, 0xad], [0x34f, 0x34f], [0x61c, 0x61c], [0x115f, 0x1160], [0x17b4, 0x17b5], [0x180b, 0x180f], [0x200b, 0x200f],
  [0x202a, 0x202e], [0x2060, 0x206f], [0x3164, 0x3164], [0xfe00, 0xfe0f], [0xfeff, 0xfeff], [0xffa0, 0xffa0],
];
const isInvisible = (text: string) => [...text].some((c) => INVISIBLE_CODE_POINTS.some(([lo, hi]) => c.codePointAt(0)! >= lo && c.codePointAt(0)! <= hi));

/**
 * The checks a message passes before it may reach a case, as a table read top to bottom: bounces,
 * auto-replies, bulk mail, loops of our own mail, unreadable senders, disguised addresses, then the
 * attachment limits. Pure: the flood check needs state and is separate (flood-guard.ts).
 */
export function classifyEmail(mail: EmailMessage, envelopeFrom: string | undefined, settings: EmailSettings, ourAddresses: ReadonlySet<string>): Held | undefined {
  const header = (name: string) => mail.header(name)?.trim().toLowerCase();
  const contentType = header('content-type') ?? '';
  const fromAddress = mail.from?.address.toLowerCase();
  if (envelopeFrom === '' || /^(mailer-daemon|postmaster)@/.test(fromAddress ?? '') || (contentType.startsWith('multipart/report') && /delivery-status/.test(mail.header('content-type') ?? ''))) {
    return { reason: 'bounce', detail: envelopeFrom === '' ? 'Return-Path <> (a delivery status notification)' : 'A delivery status report' };
  }
  const autoSubmitted = header('auto-submitted');
  if ((autoSubmitted && autoSubmitted !== 'no') || header('x-autoreply') !== undefined || header('x-autorespond') !== undefined) {
    return { reason: 'auto_reply', detail: autoSubmitted ? `Auto-Submitted: ${autoSubmitted.slice(0, 40)}` : 'An auto-reply header' };
  }
  const precedence = header('precedence');
  if (precedence && ['bulk', 'junk', 'list', 'auto_reply'].includes(precedence)) {
    return { reason: precedence === 'auto_reply' ? 'auto_reply' : 'bulk', detail: `Precedence: ${precedence}` };
  }
  const ownDomain = `@${settings.messageIdDomain.toLowerCase()}`;
  if (mail.messageId?.toLowerCase().endsWith(ownDomain) || header('x-latch-loop') !== undefined) {
    return { reason: 'loop', detail: 'It carries a Message-ID or loop header Latch made' };
  }
  if (fromAddress !== undefined && ourAddresses.has(fromAddress)) {
    return { reason: 'loop', detail: 'It is from one of our own intake addresses' };
  }
  if (!mail.from) return { reason: 'malformed', detail: 'No sender address in From' };
  if (isInvisible(mail.from.address) || /[\s<>"]/.test(mail.from.address) || !/^[^@]+@[^@]+$/.test(mail.from.address)) {
    return { reason: 'suspicious_address', detail: 'The sender address holds invisible, bidirectional or other characters that disguise it' };
  }
  const limits = settings.limits;
  if (mail.attachments.length > limits.maxAttachments) {
    return { reason: 'too_many_attachments', detail: `${mail.attachments.length} attachments; the limit is ${limits.maxAttachments}` };
  }
  const largest = Math.max(0, ...mail.attachments.map((a) => a.data.length));
  if (largest > limits.maxAttachmentBytes) {
    return { reason: 'attachment_too_large', detail: `An attachment of ${largest} bytes; the limit is ${limits.maxAttachmentBytes}` };
  }
  return undefined;
}
