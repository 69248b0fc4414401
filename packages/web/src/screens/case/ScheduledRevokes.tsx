import type { TimelineEvent } from '../../api/types';
import { When } from '../../components/Inert';
import './checklist.css';

const DONE: ReadonlySet<string | undefined> = new Set(['action.succeeded', 'action.reconciled']);

/**
 * Time-bounded grants on this case and when they end ("revokes at …"), read from the timeline's
 * `access.revoke_scheduled` events; once the revoke has run, when it did. Nothing for other cases.
 */
export function ScheduledRevokes({ events }: { events: readonly TimelineEvent[] }) {
  const scheduled = events.filter((e) => e.kind === 'access.revoke_scheduled');
  if (scheduled.length === 0) return null;
  const data = (e: TimelineEvent) => (e.data ?? {}) as Record<string, unknown>;
  return (
    <section className="panel" aria-labelledby="revokes-title">
      <h2 id="revokes-title">Temporary access</h2>
      <ul className="revokes">
        {scheduled.map((event) => {
          const revokeId = String(data(event).revokeActionId);
          const done = events.find((e) => DONE.has(e.kind) && data(e).actionId === revokeId);
          const failed = !done && events.findLast((e) => data(e).actionId === revokeId && (e.kind ?? '').startsWith('action.'))?.kind === 'action.failed';
          return (
            <li key={event.id} className={done ? 'muted' : undefined}>
              {done ? (
                <>
                  Revoked <When at={done.at ?? null} /> (scheduled for <When at={String(data(event).revokeAt)} />)
                </>
              ) : (
                <>
                  <strong>Revokes at</strong> <When at={String(data(event).revokeAt)} />, by itself: {String(data(event).name)}
                  {failed && <span className="notice warn"> The last attempt failed; see the actions above.</span>}
                </>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
