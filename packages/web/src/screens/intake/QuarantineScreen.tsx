import { useState } from 'react';
import { Link } from 'react-router';
import { useDecideQuarantined, useQuarantine } from '../../api/intake';
import { Badge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { When } from '../../components/Inert';
import { QuarantineDecision } from './QuarantineDecision';
import './quarantine.css';

/** Why an item was held, as a sentence per stable reason code (the server's own text for a code the console does not know). */
export const REASON_SENTENCES: Readonly<Record<string, string>> = {
  bounce: 'A bounce: a mail server reported that a message could not be delivered. Bounces never open cases.',
  auto_reply: 'An automatic reply, such as an out-of-office message.',
  bulk: 'Bulk or mailing-list mail, such as a newsletter.',
  loop: 'One of our own messages came back to us: answering it could start a mail loop.',
  flood: 'Too many messages from this sender within an hour.',
  too_many_attachments: 'It carries more attachments than the configured limit.',
  attachment_too_large: 'One of its attachments is over the configured size limit.',
  malformed: 'It could not be read: broken formatting or no sender address.',
  suspicious_address: 'The sender’s address hides invisible or direction-changing characters, so it may imitate another address.',
};

type Status = 'held' | 'released' | 'discarded';

/** What intake held back, with the reason for each; admins release an item (it becomes a case) or discard it, both on the record. */
export function QuarantineScreen() {
  const [status, setStatus] = useState<Status>('held');
  const items = useQuarantine(status);
  const decide = useDecideQuarantined();
  const list = items.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <h1>Quarantine</h1>
      <p className="hint">Messages and posts that intake accepted but held back instead of opening a case. Nothing here is lost: release an item to receive it as a case, or discard it. Both are recorded.</p>
      <label>
        Show{' '}
        <select value={status} onChange={(e) => setStatus(e.target.value as Status)}>
          <option value="held">Held</option>
          <option value="released">Released</option>
          <option value="discarded">Discarded</option>
        </select>
      </label>
      <ErrorNotice error={items.error} />
      <ErrorNotice error={decide.error} />
      {items.data && list.length === 0 && <p className="muted">Nothing {status}.</p>}
      <ul className="quarantine-list">
        {list.map((item) => (
          <li key={item.id} className="panel quarantine-item">
            <p className="quarantine-meta">
              <Badge tone="quiet">{item.channel}</Badge> from <strong className="quarantine-sender">{item.sender ?? 'unknown sender'}</strong> to <code>{item.source}</code>, received <When at={item.createdAt} />
            </p>
            <p className="quarantine-reason">
              <strong>{REASON_SENTENCES[item.reason] ?? item.reasonText}</strong> <span className="muted">({item.reason})</span>
            </p>
            {item.detail && <p className="small muted">{item.detail}</p>}
            {item.status === 'held' ? (
              <QuarantineDecision item={item} pending={decide.isPending} onDecide={(decision) => decide.mutate({ id: item.id, decision })} />
            ) : (
              <p className="small">
                <Badge>{item.status}</Badge> <When at={item.decidedAt} />
                {item.caseId && (
                  <>
                    {' '}
                    · <Link to={`/cases/${item.caseId}`}>Open its case</Link>
                  </>
                )}
              </p>
            )}
          </li>
        ))}
      </ul>
      {items.hasNextPage && (
        <button type="button" onClick={() => void items.fetchNextPage()} disabled={items.isFetchingNextPage}>
          {items.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </>
  );
}
