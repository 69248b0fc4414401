import type { TimelineEvent } from '../../api/types';
import { Badge } from '../Badge';
import { When } from '../Inert';
import { rendererFor } from './renderers';

interface Props {
  readonly events: readonly TimelineEvent[];
  readonly nameOf: (userId: string | null | undefined) => string;
}

/** Who acted: a person (directly or through their token), the policy, the expiry timer, a plugin. */
export function actorName(actor: TimelineEvent['actor'], nameOf: Props['nameOf']): string {
  if (!actor) return 'unknown';
  if (actor.type === 'user') return nameOf(actor.id);
  if (actor.type === 'token') return `${nameOf(actor.user)} (API token)`;
  if (actor.type === 'plugin') return `plugin ${actor.id ?? ''}`;
  return `Latch (${actor.id ?? actor.type})`;
}

/** The case's record, oldest first, each event through its renderer; refusals and failures stand out. */
export function Timeline({ events, nameOf }: Props) {
  return (
    <ol className="timeline" aria-label="Timeline">
      {events.map((event) => {
        const Render = rendererFor(event.kind ?? '');
        const data = typeof event.data === 'object' && event.data !== null && !Array.isArray(event.data) ? (event.data as Record<string, unknown>) : {};
        const outcome = event.outcome ?? 'ok';
        return (
          <li key={event.id} className={`event outcome-${outcome}`} data-kind={event.kind}>
            <div className="event-head">
              <span className="who">{actorName(event.actor, nameOf)}</span>
              {outcome !== 'ok' && <Badge>{outcome}</Badge>}
              <span className="kind">{event.kind}</span>
              <When at={event.at} />
              <span className="seq" title={`hash ${event.hash ?? ''}`}>
                #{event.seq}
              </span>
            </div>
            <Render event={event} data={data} nameOf={nameOf} />
            {event.reason && event.kind !== 'subject.erased' && <p className="reason">Reason: {event.reason}</p>}
          </li>
        );
      })}
    </ol>
  );
}
