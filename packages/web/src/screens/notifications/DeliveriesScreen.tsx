import { useState } from 'react';
import { useDeliveries } from '../../api/notifications';
import { useUsers } from '../../api/admin';
import { Badge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { When } from '../../components/Inert';
import './notifications.css';

const TONE: Record<string, string> = { sent: 'ok', pending: 'plain', retrying: 'warn', failed: 'danger', cancelled: 'plain' };

/** The delivery log: each email and Slack message, to whom, its status, attempts and last error code. No message content is kept. */
export function DeliveriesScreen() {
  const [status, setStatus] = useState('');
  const deliveries = useDeliveries(status || undefined);
  const users = useUsers();
  const nameOf = (id: string | undefined) => users.data?.items?.find((u) => u.id === id)?.name ?? id;
  const items = deliveries.data?.items ?? [];
  return (
    <>
      <h1>Notification deliveries</h1>
      <p className="hint">Emails and Slack messages sent for notifications, newest first. A failed delivery is retried, then logged here; case work never waits for it.</p>
      <label>
        Status{' '}
        <select value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">Any</option>
          <option value="failed">Failed</option>
          <option value="retrying">Retrying</option>
          <option value="pending">Pending</option>
          <option value="sent">Sent</option>
          <option value="cancelled">Cancelled</option>
        </select>
      </label>
      <ErrorNotice error={deliveries.error} />
      {deliveries.data && items.length === 0 && <p className="muted">No deliveries.</p>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table className="cases deliveries">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">To</th>
                <th scope="col">About</th>
                <th scope="col">Channel</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id}>
                  <td>
                    <When at={d.updatedAt} />
                  </td>
                  <td>{nameOf(d.recipientId)}</td>
                  <td>{d.kind?.replace(/_/g, ' ')}</td>
                  <td>{d.channel}</td>
                  <td>
                    <Badge tone={TONE[d.status ?? ''] ?? 'plain'}>{d.status ?? ''}</Badge>
                  </td>
                  <td>{d.attempts}</td>
                  <td>{d.lastError ? <code>{d.lastError}</code> : <span className="muted">none</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
