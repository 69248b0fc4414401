import type { Note } from '../api/types';
import { InertValue, When } from './Inert';

/** One note as a list item: who and when, then the body as inert text. */
export function NoteItem({ note, nameOf }: { note: Note; nameOf: (id: string | null | undefined) => string }) {
  return (
    <li>
      <p className="meta">
        {nameOf(note.authorId)} · <When at={note.createdAt} />
      </p>
      <div className="note-body">
        <InertValue value={note.body} />
      </div>
    </li>
  );
}
