import { personal, uuidv7, type Actor, type CaseVisibility } from '@latch/core';
import { asc, eq } from 'drizzle-orm';
import type { Queryable, Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { notes } from '../db/schema.js';
import { loadVisibleCase } from './case-access.js';
import { subjectOf } from './create-case.js';

export type NoteRow = typeof notes.$inferSelect;

/** Adds a note to a visible case and records `note.added`; the body is personal data. */
export async function addNote(tx: Tx, visibility: CaseVisibility, actor: Actor, authorId: string, caseId: string, body: string): Promise<NoteRow> {
  // The case row before its stream head (the lock order, db/event-store.ts): the note's foreign key
  // would otherwise lock the row after the head, against an update holding the row.
  const target = await loadVisibleCase(tx, caseId, visibility, true);
  const id = uuidv7();
  const [event] = await appendEvents(tx, caseId, [{ kind: 'note.added', actor, data: { noteId: id, body: personal(body) } }], {
    subject: subjectOf(target),
  });
  const [row] = await tx.insert(notes).values({ id, caseId, authorId, body, eventId: event!.id }).returning();
  return row!;
}

export async function listNotes(db: Queryable, visibility: CaseVisibility, caseId: string): Promise<NoteRow[]> {
  await loadVisibleCase(db, caseId, visibility);
  return db.select().from(notes).where(eq(notes.caseId, caseId)).orderBy(asc(notes.id));
}

export function presentNote(row: NoteRow) {
  return { id: row.id, caseId: row.caseId, authorId: row.authorId, body: row.body, eventId: row.eventId, createdAt: row.createdAt.toISOString() };
}
