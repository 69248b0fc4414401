import type { LatchContext } from '../../context.js';
import type { ContextSources } from '../../context/request-context.js';
import type { Tx } from '../../db/database.js';
import { intakeCommits } from '../group-commit.js';
import type { IntakeConfig } from '../intake-config.js';
import { quarantineIntake, registerReleaser, type QuarantineRow } from '../quarantine.js';
import { receiveIntakeIn, type IntakeInput, type IntakeResult } from '../receive-intake.js';
import { classifyEmail } from './classify-email.js';
import { FloodGuard } from './flood-guard.js';
import { parseEmail, type EmailMessage } from './parse-email.js';
import { receiveEmailBatch, type EmailDelivery } from './receive-email-batch.js';

export const EMAIL_CHANNEL = 'email';
export const RFC822 = 'message/rfc822';
const CASE_TOKEN = /\[Latch case ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\]/i;

/** One message as the SMTP receiver or the IMAP poller got it. */
export interface IncomingEmail {
  readonly raw: Buffer;
  /** The intake address it was sent to (lower case). */
  readonly address: string;
  /** SMTP's MAIL FROM (`''` for `<>`); undefined when unknown (IMAP: read from Return-Path). */
  readonly envelopeFrom: string | undefined;
}

export type EmailOutcome = IntakeResult | { readonly caseId: undefined; readonly outcome: 'quarantined'; readonly reason: string; readonly quarantineId: string };

const guards = new WeakMap<IntakeConfig, FloodGuard>();

/**
 * Receives one message, durably, in one transaction (shared with others received meanwhile): a case opened or followed, or a quarantined
 * item with its reason. Either way the raw message is stored by SHA-256 before this returns, so the
 * SMTP `250` (or IMAP's \Seen) that follows never acknowledges something lost.
 */
export async function receiveEmail(ctx: Pick<LatchContext, 'database' | 'caseTypes' | 'intake'>, email: IncomingEmail): Promise<EmailOutcome> {
  const config = ctx.intake.config;
  let mail: EmailMessage | undefined;
  try {
    mail = await parseEmail(email.raw);
  } catch {
    mail = undefined;
  }
  const envelopeFrom = email.envelopeFrom ?? returnPath(mail);
  const sender = mail?.from?.address.toLowerCase();
  const held = mail
    ? classifyEmail(mail, envelopeFrom, config.email, new Set(config.addresses.keys()))
    : { reason: 'malformed', detail: 'The message could not be parsed' };
  let flood: { reason: string; detail: string } | undefined;
  if (!held && sender) {
    const guard = guards.get(config) ?? new FloodGuard(config.email.limits.perSenderPerHour);
    guards.set(config, guard);
    if (guard.over(sender)) flood = { reason: 'flood', detail: `${guard.count(sender)} messages from this sender in the last hour; the limit is ${config.email.limits.perSenderPerHour}` };
  }
  const hold = held ?? flood;
  const input = hold || !mail ? undefined : intakeOf(config, email.address, email.raw, mail);
  const alone = async (tx: Tx): Promise<EmailOutcome> => {
    if (!input) {
      const reason = hold ?? { reason: 'malformed', detail: 'The message could not be parsed' };
      const row = await quarantineIntake(tx, { channel: EMAIL_CHANNEL, source: email.address, ...reason, raw: email.raw, rawType: RFC822, subject: sender });
      return { caseId: undefined, outcome: 'quarantined', reason: row.reason, quarantineId: row.id };
    }
    return receiveIntakeIn(tx, ctx, input);
  };
  const scheduler = (ctx as Partial<ContextSources>).scheduler;
  const delivery: EmailDelivery = {
    input,
    alone,
    // On ctx's prototype chain, not a copy: a server's context carries its services as a prototype (withServices), which a spread drops.
    receive: (tx, intake, options, timers) => receiveIntakeIn(tx, timers ? Object.assign(Object.create(ctx) as typeof ctx, { scheduler: timers }) : ctx, intake, options),
    scheduler,
  };
  // Committed with the messages that arrived meanwhile (group commit), received with them (receiveEmailBatch); the caller answers once that commit is durable.
  return intakeCommits(ctx.database).run(mail?.messageId ?? sender ?? email.address, alone, { run: receiveEmailBatch, item: delivery });
}

/** The core's intake for a message that passed the checks. */
export function intakeOf(config: IntakeConfig, address: string, raw: Buffer, mail: EmailMessage): IntakeInput {
  const target = config.addresses.get(address) ?? [...config.addresses.values()][0];
  if (!target) throw new Error(`No intake address is configured for ${address}`);
  return {
    channel: EMAIL_CHANNEL,
    source: address,
    raw,
    rawType: RFC822,
    target,
    parsed: {
      title: mail.subject.replace(CASE_TOKEN, '').replace(/^\s*((re|fwd?|aw|sv|wg)\s*:\s*)+/i, '') || mail.subject,
      body: mail.text,
      requester: mail.from ? { email: mail.from.address, name: mail.from.name } : undefined,
      attachments: mail.attachments,
      threadKeys: [...mail.inReplyTo, ...mail.references],
      caseToken: CASE_TOKEN.exec(mail.subject)?.[1]?.toLowerCase(),
      ownKey: mail.messageId,
    },
    details: { attachments: mail.attachments.length, ...(mail.htmlOnly ? { htmlOnly: true } : {}) },
  };
}

function returnPath(mail: EmailMessage | undefined): string | undefined {
  const value = mail?.header('return-path');
  if (value === undefined) return undefined;
  return /<\s*>/.test(value) ? '' : value;
}

/** A released email is parsed again and received as it was, its check set aside. */
registerReleaser(EMAIL_CHANNEL, async (config: IntakeConfig, item: QuarantineRow, raw: Buffer) => {
  const mail = await parseEmail(raw).catch(() => undefined);
  if (!mail) {
    // Unreadable even now: released as a case with the raw source and no parsed content.
    const target = config.addresses.get(item.source) ?? [...config.addresses.values()][0]!;
    return { channel: EMAIL_CHANNEL, source: item.source, raw, rawType: RFC822, target, parsed: { title: '(unreadable message)', body: '' } };
  }
  return intakeOf(config, item.source, raw, mail);
});
