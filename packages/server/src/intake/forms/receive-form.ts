import { LatchError, uuidv7 } from '@latch/core';
import type { LatchContext } from '../../context.js';
import type { IntakeConfig, IntakeTarget } from '../intake-config.js';
import { quarantineIntake, registerReleaser, type QuarantineRow } from '../quarantine.js';
import { receiveIntakeIn, type IntakeInput } from '../receive-intake.js';
import { formFields, readSubmission, type FormReading } from './form-fields.js';
import type { FormSettings } from './form-settings.js';

export const FORM_CHANNEL = 'form';
export const FORM_RAW_TYPE = 'application/x-www-form-urlencoded';

export type FormOutcome =
  | { readonly outcome: 'invalid'; readonly reading: FormReading }
  /** Accepted: a case opened, or (honeypot) held in quarantine. The reference reads the same either way. */
  | { readonly outcome: 'accepted'; readonly reference: string };

type Ctx = Pick<LatchContext, 'database' | 'caseTypes' | 'intake'>;

/**
 * Receives one form post, durably: the exact bytes posted become the raw source. Wrong inputs are
 * answered with their messages and store nothing; a filled honeypot is quarantined and answered
 * with a reference like any other, so a bot learns nothing; otherwise a case is opened.
 */
export async function receiveForm(ctx: Ctx, form: FormSettings, raw: Buffer): Promise<FormOutcome> {
  const type = ctx.caseTypes.latest(form.target.type);
  const reading = readSubmission(type, formFields(type), new URLSearchParams(raw.toString('utf8')));
  if (reading.honeypot) {
    await ctx.database.write((tx) =>
      quarantineIntake(tx, { channel: FORM_CHANNEL, source: form.slug, reason: 'honeypot', detail: 'The hidden field people never see was filled in', raw, rawType: FORM_RAW_TYPE, subject: reading.requester?.email?.toLowerCase() }),
    );
    return { outcome: 'accepted', reference: uuidv7() };
  }
  if (reading.errors.size > 0) return { outcome: 'invalid', reading };
  const result = await ctx.database.write((tx) => receiveIntakeIn(tx, ctx, intakeOf(form, raw, reading)));
  return { outcome: 'accepted', reference: result.caseId };
}

function intakeOf(form: FormSettings, raw: Buffer, reading: FormReading): IntakeInput {
  return {
    channel: FORM_CHANNEL,
    source: form.slug,
    raw,
    rawType: FORM_RAW_TYPE,
    target: form.target,
    parsed: { title: reading.subject, body: reading.message, requester: reading.requester, fields: reading.fields },
  };
}

/** A released post (a honeypot a person filled by mistake) is read again: its subject, message and sender; its typed fields are left for a person. */
registerReleaser(FORM_CHANNEL, async (config: IntakeConfig, item: QuarantineRow, raw: Buffer): Promise<IntakeInput> => {
  const entry = config.forms[item.source] as IntakeTarget | undefined;
  if (!entry) throw new LatchError('VALIDATION_FAILED', `The form '${item.source}' is no longer in intake.yaml, so its posts cannot be released`);
  const post = new URLSearchParams(raw.toString('utf8'));
  const email = post.get('email')?.trim();
  return {
    channel: FORM_CHANNEL,
    source: item.source,
    raw,
    rawType: FORM_RAW_TYPE,
    target: { type: entry.type, ...(entry.queue ? { queue: entry.queue } : {}), ...(entry.priority ? { priority: entry.priority } : {}) },
    parsed: { title: post.get('subject')?.trim() || '(no subject)', body: post.get('message') ?? '', requester: email ? { email, name: post.get('name')?.trim() || undefined } : undefined },
  };
});
