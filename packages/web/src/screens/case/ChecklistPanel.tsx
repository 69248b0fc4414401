import { useState } from 'react';
import { useCaseActions } from '../../api/actions';
import { useChecklist, useTickChecklist, type ChecklistItem } from '../../api/checklist';
import { useCan } from '../../api/session';
import { ErrorNotice } from '../../components/ErrorNotice';
import { When } from '../../components/Inert';
import './checklist.css';

/**
 * The case type's checklist: each item ticked (by whom, when, with the note) or a button to tick
 * it with a note. Shown only for types that declare one. Notes are text, whatever they contain.
 */
export function ChecklistPanel({ caseId, nameOf }: { caseId: string; nameOf: (id: string | null | undefined) => string }) {
  const checklist = useChecklist(caseId);
  const canTick = useCan('case:update');
  const actions = useCaseActions(caseId);
  const items = checklist.data ?? [];
  // An item names actions by their key (plugin.action); people read the action's name where the case offers it.
  const actionName = (key: string) => actions.data?.available.find((a) => `${a.plugin}.${a.action}` === key)?.name ?? key;
  if (items.length === 0 && !checklist.error) return null;
  return (
    <section className="panel" aria-labelledby="checklist-title">
      <h2 id="checklist-title">Checklist</h2>
      <ErrorNotice error={checklist.error} />
      <ul className="checklist">
        {items.map((item) => (
          <ChecklistRow key={item.key} caseId={caseId} item={item} canTick={canTick} nameOf={nameOf} actionName={actionName} />
        ))}
      </ul>
    </section>
  );
}

function ChecklistRow({
  caseId,
  item,
  canTick,
  nameOf,
  actionName,
}: {
  caseId: string;
  item: ChecklistItem;
  canTick: boolean;
  nameOf: (id: string | null | undefined) => string;
  actionName: (key: string) => string;
}) {
  const tick = useTickChecklist(caseId);
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState('');
  const noteId = `tick-${item.key}`;
  return (
    <li className={item.ticked ? 'ticked' : 'open'}>
      <span className="mark" aria-hidden="true">
        {item.ticked ? '✓' : '○'}
      </span>{' '}
      <strong>{item.label}</strong>
      {item.requiredBefore.length > 0 && <span className="muted small"> — required before {item.requiredBefore.map(actionName).join(', ')}</span>}
      {item.ticked && (
        <p className="small">
          Ticked by {nameOf(item.ticked.by)}, <When at={item.ticked.at} />
          {item.ticked.note !== null && <>: “{item.ticked.note}”</>}
        </p>
      )}
      {item.voided.map((v) => (
        <p key={v.eventId} className="small muted">
          An earlier tick by {nameOf(v.by)} (<When at={v.at} />) no longer counts: {v.voidedBy.field} changed after it.
        </p>
      ))}
      {!item.ticked && canTick && !open && (
        <button type="button" onClick={() => setOpen(true)}>
          Tick…
        </button>
      )}
      {!item.ticked && open && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (note.trim()) tick.mutate({ key: item.key, note: note.trim() }, { onSuccess: () => setOpen(false) });
          }}
        >
          <label htmlFor={noteId}>What did you check?</label>
          <textarea id={noteId} rows={2} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />
          <ErrorNotice error={tick.error} title="Not ticked." />
          <button type="submit" className="primary" disabled={tick.isPending || !note.trim()}>
            Tick “{item.label}”
          </button>
        </form>
      )}
    </li>
  );
}
