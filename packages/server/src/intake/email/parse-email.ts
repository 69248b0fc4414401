import { convert as htmlToText } from 'html-to-text';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { safeText } from '../safe-text.js';

/** What Latch reads of a message. Every string is untrusted text: stored and shown, never interpreted. */
export interface EmailMessage {
  readonly from: { readonly address: string; readonly name: string } | undefined;
  readonly to: readonly string[];
  readonly subject: string;
  /** The text body; for HTML-only mail, its text (the HTML itself stays only in the raw source). */
  readonly text: string;
  readonly htmlOnly: boolean;
  readonly date: string | undefined;
  readonly messageId: string | undefined;
  readonly inReplyTo: readonly string[];
  readonly references: readonly string[];
  readonly attachments: readonly { readonly filename: string; readonly contentType: string; readonly data: Buffer }[];
  /** Lower-cased header names → their text, for the checks (Auto-Submitted, Precedence, …). */
  readonly header: (name: string) => string | undefined;
}

// A hostile HTML body can be made expensive to convert; past this much, its text is not produced.
const MAX_HTML_TO_TEXT = 2 * 1024 * 1024;

/** Parses a raw RFC 5322 message with mailparser. Broken MIME parses as far as it goes; throws only on unreadable input. */
export async function parseEmail(raw: Buffer): Promise<EmailMessage> {
  const mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true, maxHtmlLengthToParse: MAX_HTML_TO_TEXT });
  const from = firstAddress(mail.from);
  const hasText = typeof mail.text === 'string' && mail.text.trim() !== '';
  // mailparser converts HTML to text only for a message without attachments; the same converter otherwise.
  const text = hasText ? mail.text! : typeof mail.html === 'string' ? htmlToText(mail.html.slice(0, MAX_HTML_TO_TEXT), { selectors: [{ selector: 'img', format: 'skip' }] }) : '';
  return {
    from,
    to: addresses(mail.to),
    subject: safeText(mail.subject ?? ''),
    text: safeText(text),
    htmlOnly: !hasText && mail.html !== false,
    date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : undefined,
    messageId: messageIds(mail.messageId)[0],
    inReplyTo: messageIds(mail.inReplyTo),
    references: messageIds(mail.references),
    attachments: mail.attachments.map((a) => ({ filename: safeFilename(a.filename), contentType: a.contentType || 'application/octet-stream', data: a.content })),
    header: (name) => headerText(mail, name),
  };
}

function firstAddress(value: AddressObject | undefined): EmailMessage['from'] {
  const first = value?.value.find((a) => a.address);
  return first?.address ? { address: safeText(first.address), name: safeText(first.name ?? '') } : undefined;
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  return (Array.isArray(value) ? value : value ? [value] : []).flatMap((o) => o.value.flatMap((a) => (a.address ? [safeText(a.address)] : [])));
}

/** `<a@b> <c@d>` (or an array of such) → `['a@b', 'c@d']`, at most 100. */
export function messageIds(value: string | string[] | undefined): string[] {
  const text = Array.isArray(value) ? value.join(' ') : (value ?? '');
  return [...text.matchAll(/<([^<>\s]{1,250})>/g)].map((m) => safeText(m[1]!)).slice(0, 100);
}

function headerText(mail: ParsedMail, name: string): string | undefined {
  const value = mail.headers.get(name.toLowerCase());
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : v.value)).join(', ');
  if ('value' in value && typeof value.value === 'string') return value.value;
  if ('text' in value && typeof value.text === 'string') return value.text;
  return undefined;
}

/** A file name an attachment can carry: no path, no control characters, 1–255 characters. */
export function safeFilename(name: string | undefined): string {
  const base = safeText(name ?? '')
    .split(/[/\\]/)
    .pop()!
    .replace(/\p{Cc}/gu, '_')
    .trim()
    .slice(0, 255);
  return base === '' || base === '.' || base === '..' ? 'attachment' : base;
}
