import { LatchError, NotFoundError, personal, sha256Hex, uuidv7, ValidationError, type Actor, type CaseVisibility } from '@latch/core';
import { and, asc, eq, sql } from 'drizzle-orm';
import { isErasedBlob, putBlob } from '../db/blobs.js';
import type { Queryable, Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { attachments, blobs, events, personalData } from '../db/schema.js';
import { loadVisibleCase } from './case-access.js';
import { subjectOf } from './create-case.js';

export type AttachmentRow = typeof attachments.$inferSelect;

const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** Stores an attachment's bytes by SHA-256 (once, however often attached) and records `attachment.added`. */
export async function addAttachment(
  tx: Tx,
  visibility: CaseVisibility,
  actor: Actor,
  authorId: string,
  caseId: string,
  file: { filename: string; contentType: string; data: Buffer },
): Promise<AttachmentRow> {
  const filename = file.filename.trim();
  if (filename === '' || filename.length > 255 || /[/\\]/.test(filename) || hasControlCharacter(filename)) {
    throw new ValidationError('filename must be 1–255 characters with no path separators or control characters', { field: 'filename' });
  }
  const contentType = file.contentType.split(';')[0]!.trim().toLowerCase();
  if (!CONTENT_TYPE.test(contentType)) throw new ValidationError('Content-Type is not a valid media type', { field: 'contentType' });
  if (file.data.length === 0) throw new ValidationError('An attachment must not be empty');
  // The case row first, then the blob, then the stream head (the lock order, db/event-store.ts).
  const target = await loadVisibleCase(tx, caseId, visibility, true);
  const sha256 = sha256Hex(file.data);
  await putBlob(tx, sha256, file.data);
  const id = uuidv7();
  const [event] = await appendEvents(
    tx,
    caseId,
    [
      {
        kind: 'attachment.added',
        actor,
        data: { attachmentId: id, filename: personal(filename), contentType, size: file.data.length, sha256 },
        blobs: [sha256],
      },
    ],
    { subject: subjectOf(target) },
  );
  const [row] = await tx
    .insert(attachments)
    .values({ id, caseId, sha256, filename, contentType, size: file.data.length, createdBy: authorId, eventId: event!.id })
    .returning();
  return row!;
}

export async function listAttachments(db: Queryable, visibility: CaseVisibility, caseId: string): Promise<AttachmentRow[]> {
  await loadVisibleCase(db, caseId, visibility);
  return db.select().from(attachments).where(eq(attachments.caseId, caseId)).orderBy(asc(attachments.id));
}

/** An attachment's record and bytes, if the case is visible; ERASED once its subject was erased. */
export async function readAttachment(db: Queryable, visibility: CaseVisibility, caseId: string, id: string) {
  await loadVisibleCase(db, caseId, visibility);
  const [found] = await db
    .select({
      attachment: attachments,
      data: blobs.data,
      size: blobs.size,
      // Erasure deletes the disclosure of the file name its event committed to. Checked as well as the
      // bytes: the same content uploaded again to another case restores the shared blob, not this attachment.
      disclosed: sql<boolean>`exists (select 1 from ${events} e join ${personalData} p on p.commitment = (e.bytes::jsonb #>> '{data,filename,$pii}') where e.id = ${attachments.eventId})`,
    })
    .from(attachments)
    .innerJoin(blobs, eq(blobs.sha256, attachments.sha256))
    .where(and(eq(attachments.caseId, caseId), eq(attachments.id, id)));
  if (!found) throw new NotFoundError('Attachment');
  if (!found.disclosed || isErasedBlob(found)) throw new LatchError('ERASED', 'This attachment was erased at its subject’s request');
  return { attachment: found.attachment, data: found.data };
}

export function presentAttachment(row: AttachmentRow) {
  return {
    id: row.id,
    caseId: row.caseId,
    filename: row.filename,
    contentType: row.contentType,
    size: row.size,
    sha256: row.sha256,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  };
}

function hasControlCharacter(text: string): boolean {
  return [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}
