import type { CaseVisibility } from '@latch/core';
import { asc, eq } from 'drizzle-orm';
import { loadVisibleCase } from '../cases/case-access.js';
import { isErasedBlob } from '../db/blobs.js';
import type { Queryable } from '../db/database.js';
import { blobs, events, intakeMessages } from '../db/schema.js';
import { parseEmail } from './email/parse-email.js';

const SHOWN_HEADERS = ['from', 'to', 'cc', 'reply-to', 'date', 'subject', 'message-id', 'in-reply-to'];
const TEXT_SHOWN = 200_000;

/**
 * What intake brought to a case (and what was sent from it), read from the stored raw sources:
 * selected headers and the text body as plain text (never HTML), attachments by name. An erased
 * source reads `erased: true` with nothing else.
 */
export async function listCaseIntake(db: Queryable, visibility: CaseVisibility, caseId: string) {
  await loadVisibleCase(db, caseId, visibility);
  const rows = await db
    .select({ message: intakeMessages, data: blobs.data, size: blobs.size, eventBytes: events.bytes })
    .from(intakeMessages)
    .leftJoin(blobs, eq(blobs.sha256, intakeMessages.rawSha256))
    .leftJoin(events, eq(events.id, intakeMessages.eventId))
    .where(eq(intakeMessages.caseId, caseId))
    .orderBy(asc(intakeMessages.id));
  return Promise.all(
    rows.map(async ({ message, data, size, eventBytes }) => {
      const base = { id: message.id, direction: message.direction, channel: message.channel, eventId: message.eventId, createdAt: message.createdAt.toISOString(), rawSha256: message.rawSha256, ...forgeryOf(eventBytes) };
      const erased = data === null || size === null || isErasedBlob({ data, size });
      if (erased) return { ...base, erased: true, headers: [], text: '', attachments: [] };
      return { ...base, erased: false, ...(await present(data, message.channel)) };
    }),
  );
}

/** `possibleForgery: <case>` from the message's `intake.received` (a reply from someone other than that case's requester). */
function forgeryOf(eventBytes: string | null): { possibleForgery?: string } {
  const data = eventBytes ? (JSON.parse(eventBytes) as { data?: { possibleForgery?: unknown } }).data : undefined;
  return typeof data?.possibleForgery === 'string' ? { possibleForgery: data.possibleForgery } : {};
}

async function present(raw: Buffer, channel: string) {
  if (channel !== 'email') return { headers: [], text: raw.toString('utf8').slice(0, TEXT_SHOWN), attachments: [] };
  const mail = await parseEmail(raw).catch(() => undefined);
  if (!mail) return { headers: [], text: raw.toString('utf8').slice(0, TEXT_SHOWN), attachments: [] };
  const headers = SHOWN_HEADERS.flatMap((name) => {
    const value = mail.header(name);
    return value === undefined ? [] : [{ name, value: value.replace(/[\r\n]+/g, ' ').slice(0, 2000) }];
  });
  return {
    headers,
    text: mail.text.slice(0, TEXT_SHOWN),
    htmlOnly: mail.htmlOnly,
    attachments: mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.data.length })),
  };
}
