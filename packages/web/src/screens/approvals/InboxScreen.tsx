import { useState } from 'react';
import { Link } from 'react-router';
import { useWaitingForMe } from '../../api/actions';
import { useCase, useNotes } from '../../api/cases';
import { useUserNames } from '../../api/directory';
import { useCan } from '../../api/session';
import type { WaitingItem } from '../../api/types';
import { ApprovalState } from '../../components/ApprovalState';
import { DecisionForm } from '../../components/DecisionForm';
import { ErrorNotice } from '../../components/ErrorNotice';
import { NoteItem } from '../../components/NoteItem';
import { When } from '../../components/Inert';

/** What waits for my decision, soonest deadline first, with what is needed to decide without leaving the page. */
export function InboxScreen() {
  const canDecide = useCan('action:decide');
  const waiting = useWaitingForMe(canDecide);
  const nameOf = useUserNames();
  const [recorded, setRecorded] = useState<string[]>([]);

  if (!canDecide) return <p>Approving and denying actions needs the action:decide permission, which your roles do not include.</p>;
  return (
    <section className="inbox" aria-labelledby="inbox-title">
      <h1 id="inbox-title">Waiting for your decision</h1>
      <div role="status">
        {recorded.map((line, i) => (
          <p key={i} className="notice ok">
            {line}
          </p>
        ))}
      </div>
      <ErrorNotice error={waiting.error} />
      {waiting.isPending && <p className="loading">Loading…</p>}
      {waiting.data?.length === 0 && <p className="muted">Nothing is waiting for you.</p>}
      {waiting.data?.map((item) => (
        <InboxItem
          key={`${item.action.id}-${item.onBehalfOf ?? 'me'}`}
          item={item}
          nameOf={nameOf}
          onDecided={(line) => setRecorded((lines) => [...lines, line])}
        />
      ))}
    </section>
  );
}

interface ItemProps {
  readonly item: WaitingItem;
  readonly nameOf: (id: string | null | undefined) => string;
  readonly onDecided: (line: string) => void;
}

function InboxItem({ item, nameOf, onDecided }: ItemProps) {
  const { action } = item;
  const target = useCase(action.caseId);
  const notes = useNotes(action.caseId);
  const recent = (notes.data?.items ?? []).slice(-3);
  return (
    <article className="card inbox-item" aria-label={`Decision on ${target.data?.title ?? 'a case'}`}>
      <header>
        <h2>
          <Link to={`/cases/${action.caseId}`}>{target.data?.title ?? 'Case'}</Link>
        </h2>
        <p className="muted">
          {target.data && (
            <>
              {target.data.type} · {target.data.status?.replace(/_/g, ' ')} · requested by {target.data.requester?.name ?? 'unknown'} ·{' '}
            </>
          )}
          decision due <When at={action.expiresAt} />
          {item.onBehalfOf && <> · on behalf of {nameOf(item.onBehalfOf)}</>}
        </p>
      </header>
      <ErrorNotice error={target.error} />
      <ApprovalState action={action} nameOf={nameOf} />
      {recent.length > 0 && (
        <>
          <h4>Latest notes on the case</h4>
          <ul className="notes">
            {recent.map((note) => (
              <NoteItem key={note.id} note={note} nameOf={nameOf} />
            ))}
          </ul>
        </>
      )}
      <DecisionForm
        action={action}
        onBehalfOf={item.onBehalfOf}
        onDecided={(decision) => onDecided(`${decision === 'approve' ? 'Approved' : 'Denied'}: ${target.data?.title ?? 'the action'}. Recorded on the case.`)}
      />
    </article>
  );
}
