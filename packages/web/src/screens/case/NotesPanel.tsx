import { useState } from 'react';
import { useAddNote, useNotes } from '../../api/cases';
import { useCan } from '../../api/session';
import { ErrorNotice } from '../../components/ErrorNotice';
import { NoteItem } from '../../components/NoteItem';

/** The newest notes shown at first: every note is also on the timeline, and a case may hold thousands. */
const SHOWN_AT_FIRST = 10;

/** Notes on the case, oldest first, and a box to add one. Note bodies are text, whatever they contain. */
export function NotesPanel({ caseId, nameOf }: { caseId: string; nameOf: (id: string | null | undefined) => string }) {
  const notes = useNotes(caseId);
  const add = useAddNote(caseId);
  const canComment = useCan('case:comment');
  const [body, setBody] = useState('');
  const [showAll, setShowAll] = useState(false);
  const all = notes.data?.items ?? [];
  const hidden = showAll ? 0 : Math.max(0, all.length - SHOWN_AT_FIRST);

  return (
    <section className="panel" aria-labelledby="notes-title">
      <h2 id="notes-title">Notes</h2>
      <ErrorNotice error={notes.error} />
      {hidden > 0 && (
        <button type="button" className="link" onClick={() => setShowAll(true)}>
          Show {hidden} earlier notes
        </button>
      )}
      <ul className="notes">
        {all.slice(hidden).map((note) => (
            <NoteItem key={note.id} note={note} nameOf={nameOf} />
          ))}
        {notes.data?.items?.length === 0 && <li className="muted">No notes yet.</li>}
      </ul>
      {canComment && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (body.trim()) add.mutate(body, { onSuccess: () => setBody('') });
          }}
        >
          <label htmlFor="new-note">Add a note</label>
          <textarea id="new-note" rows={3} maxLength={20_000} value={body} onChange={(e) => setBody(e.target.value)} />
          <ErrorNotice error={add.error} />
          <button type="submit" disabled={add.isPending || !body.trim()}>
            Add note
          </button>
        </form>
      )}
    </section>
  );
}
