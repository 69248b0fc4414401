import { useVirtualizer } from '@tanstack/react-virtual';
import { createElement, useEffect, useRef } from 'react';
import type { TimelineEvent } from '../../api/types';
import { Badge } from '../Badge';
import { When } from '../Inert';
import { rendererFor } from './renderers';
import './timeline.css';

interface Props {
  readonly events: readonly TimelineEvent[];
  readonly nameOf: (userId: string | null | undefined) => string;
  /** The case this is the timeline of (renderers fetch what its events refer to, such as recorded exchanges). */
  readonly caseId?: string;
  /** More events exist past the last one given; `onNeedMore` is called as the reader nears the end. */
  readonly hasMore?: boolean;
  readonly onNeedMore?: () => void;
}

/** Up to this many events render as a plain list; past it, only the rows in view (and a margin) exist. */
export const PLAIN_LIMIT = 150;
/** Rows rendered beyond the visible ones, so a quick scroll never shows a blank. */
const OVERSCAN = 12;

/** Who acted, as the server names them; from the console's own list of people only for an event without its presentation. */
export function actorName(event: TimelineEvent, nameOf: Props['nameOf']): string {
  const presented = event.presentation?.actor;
  if (presented) return presented.kind === 'token' ? `${presented.name} (API token)` : presented.name;
  const actor = event.actor;
  if (!actor) return 'unknown';
  if (actor.type === 'user') return nameOf(actor.id);
  if (actor.type === 'token') return `${nameOf(actor.user)} (API token)`;
  if (actor.type === 'plugin') return `plugin ${actor.id ?? ''}`;
  return `Latch (${actor.id ?? actor.type})`;
}

/** A row's classes: its outcome, and the server's refusal tone (refused attempts and denials stand out). */
const rowClass = (event: TimelineEvent) => `event outcome-${event.outcome ?? 'ok'}${event.presentation?.tone === 'refusal' ? ' tone-refusal' : ''}`;

/** The case's record, oldest first: the server's one-line summary of each event, then its renderer's details; refusals and failures stand out. */
export function Timeline(props: Props) {
  return props.events.length <= PLAIN_LIMIT && !props.hasMore ? <PlainTimeline {...props} /> : <VirtualTimeline {...props} />;
}

function PlainTimeline({ events, nameOf, caseId }: Props) {
  return (
    <ol className="timeline" aria-label="Timeline">
      {events.map((event) => (
        <li key={event.id} className={rowClass(event)} data-kind={event.kind} data-seq={event.seq}>
          <EventBody event={event} nameOf={nameOf} caseId={caseId} />
        </li>
      ))}
    </ol>
  );
}

/**
 * A long timeline (10,000 events) stays smooth: rows are measured as they render and only those
 * near the view exist (@tanstack/react-virtual); the next page is asked for before the end shows.
 */
function VirtualTimeline({ events, nameOf, caseId, hasMore, onNeedMore }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- read afresh each render; nothing here is memoised
  const rows = useVirtualizer({ count: events.length, getScrollElement: () => scroller.current, estimateSize: () => 72, overscan: OVERSCAN });
  const items = rows.getVirtualItems();
  const lastShown = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (hasMore && lastShown >= events.length - OVERSCAN * 2) onNeedMore?.();
  }, [hasMore, lastShown, events.length, onNeedMore]);
  return (
    <div className="timeline-scroll" ref={scroller} tabIndex={0} aria-label="Timeline, scrollable">
      <ol className="timeline timeline-virtual" aria-label="Timeline" aria-rowcount={events.length} ref={(el) => el?.style.setProperty('height', `${rows.getTotalSize()}px`)}>
        {items.map((row) => {
          const event = events[row.index]!;
          return (
            <li
              key={event.id}
              ref={(el) => {
                el?.style.setProperty('transform', `translateY(${row.start}px)`);
                rows.measureElement(el);
              }}
              data-index={row.index}
              className={rowClass(event)}
              data-kind={event.kind}
              data-seq={event.seq}
            >
              <EventBody event={event} nameOf={nameOf} caseId={caseId} />
            </li>
          );
        })}
      </ol>
      {hasMore && <p className="loading">Loading more of the timeline…</p>}
    </div>
  );
}

function EventBody({ event, nameOf, caseId }: { readonly event: TimelineEvent; readonly nameOf: Props['nameOf']; readonly caseId?: string | undefined }) {
  const data = typeof event.data === 'object' && event.data !== null && !Array.isArray(event.data) ? (event.data as Record<string, unknown>) : {};
  const outcome = event.outcome ?? 'ok';
  return (
    <>
      <div className="event-head">
        <span className="who" title={event.presentation?.actor.email}>
          {actorName(event, nameOf)}
        </span>
        {outcome !== 'ok' && <Badge>{outcome}</Badge>}
        <span className="kind">{event.kind}</span>
        <When at={event.at} />
        <span className="seq" title={`hash ${event.hash ?? ''}`}>
          #{event.seq}
        </span>
      </div>
      {/* The same line the API, the CLI and the evidence bundle's story.txt give: one story everywhere. */}
      <p className="what">{event.presentation?.summary ?? event.kind}</p>
      {/* The kind → renderer table is fixed at load: nothing is created during render. */}
      {createElement(rendererFor(event.kind ?? ''), { event, data, nameOf, ...(caseId !== undefined ? { caseId } : {}) })}
      {event.reason && event.kind !== 'subject.erased' && <p className="reason">Reason: {event.reason}</p>}
    </>
  );
}
