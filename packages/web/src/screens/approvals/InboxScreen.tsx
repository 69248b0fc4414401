import { Link } from 'react-router';
import { useWaitingForMe } from '../../api/actions';
import { useCase } from '../../api/cases';
import { useUserNames } from '../../api/directory';
import { useCan } from '../../api/session';
import type { WaitingItem } from '../../api/types';
import { ApprovalState } from '../../components/ApprovalState';
import { DecisionForm } from '../../components/DecisionForm';
import { ErrorNotice } from '../../components/ErrorNotice';
import { When } from '../../components/Inert';

/** What waits for my decision, soonest deadline first, with what is needed to decide without leaving the page. */
export function InboxScreen() {
  const canDecide = useCan('action:decide');
  const waiting = useWaitingForMe(canDecide);
  const nameOf = useUserNames();

  if (!canDecide) return <p>Approving and denying actions needs the action:decide permission, which your roles do not include.</p>;
  return (
    <section className="inbox" aria-labelledby="inbox-title">
      <h1 id="inbox-title">Waiting for your decision</h1>
      <ErrorNotice error={waiting.error} />
      {waiting.isPending && <p className="loading">Loading…</p>}
      {waiting.data?.length === 0 && <p className="muted">Nothing is waiting for you.</p>}
      {waiting.data?.map((item) => (
        <InboxItem key={`${item.action.id}-${item.onBehalfOf ?? 'me'}`} item={item} nameOf={nameOf} />
      ))}
    </section>
  );
}

function InboxItem({ item, nameOf }: { item: WaitingItem; nameOf: (id: string | null | undefined) => string }) {
  const { action } = item;
  const target = useCase(action.caseId);
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
          decide by <When at={action.expiresAt} />
          {item.onBehalfOf && <> · on behalf of {nameOf(item.onBehalfOf)}</>}
        </p>
      </header>
      <ErrorNotice error={target.error} />
      <ApprovalState action={action} nameOf={nameOf} />
      <DecisionForm action={action} onBehalfOf={item.onBehalfOf} />
    </article>
  );
}
