import { Link } from 'react-router';
import { useMarkRead, useNotifications, type NotificationItem } from '../../api/notifications';
import { ErrorNotice } from '../../components/ErrorNotice';
import { When } from '../../components/Inert';
import { PreferencesForm } from './PreferencesForm';
import './notifications.css';

/** My notifications, newest first: each says what happened and links to the case or the inbox; deciding happens there. */
export function NotificationsScreen() {
  const list = useNotifications();
  const markRead = useMarkRead();
  const items = list.data?.pages.flatMap((p) => p.items ?? []) ?? [];
  const unread = items.filter((n) => n.readAt === null).length;

  return (
    <div className="notifications">
      <section aria-labelledby="notifications-title">
        <div className="notifications-head">
          <h1 id="notifications-title">Notifications</h1>
          <button type="button" disabled={unread === 0 || markRead.isPending} onClick={() => markRead.mutate({ all: true })}>
            Mark all read
          </button>
        </div>
        <ErrorNotice error={list.error ?? markRead.error} />
        {list.isPending && <p className="loading">Loading…</p>}
        {list.data && items.length === 0 && <p className="muted">Nothing yet. You will be told here when an approval waits for you, a case is assigned to you or escalated to you, a case's SLA is at risk, or your proposal is decided.</p>}
        <ul className="notification-list">
          {items.map((n) => (
            <Item key={n.id} item={n} onRead={() => markRead.mutate({ ids: [n.id] })} />
          ))}
        </ul>
        {list.hasNextPage && (
          <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
            Older notifications
          </button>
        )}
      </section>
      <PreferencesForm />
    </div>
  );
}

function Item({ item, onRead }: { item: NotificationItem; onRead: () => void }) {
  const unread = item.readAt === null;
  return (
    <li className={`panel notification${unread ? ' unread' : ''}`}>
      <div className="notification-text">
        <Link to={item.link ?? '/notifications'} onClick={unread ? onRead : undefined}>
          {item.headline}
          {item.caseTitle != null && <span className="case-title">: {item.caseTitle}</span>}
        </Link>
        <p className="small">
          <When at={item.createdAt} />
          {item.deadline && (
            <>
              {item.kind === 'sla_at_risk' || item.kind === 'sla_breached' ? ' · due ' : ' · decide '}
              <When at={item.deadline} />
            </>
          )}
          {unread && <span className="sr-only"> · unread</span>}
        </p>
      </div>
      {unread && (
        <button type="button" className="link" onClick={onRead}>
          Mark read
        </button>
      )}
    </li>
  );
}
