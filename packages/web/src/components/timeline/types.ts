import type { ReactNode } from 'react';
import type { TimelineEvent } from '../../api/types';

export interface RendererProps {
  readonly event: TimelineEvent;
  /** The event's data, as an object (events always carry one; anything else reads as empty). */
  readonly data: Record<string, unknown>;
  /** A person's display name from their id. */
  readonly nameOf: (userId: string | null | undefined) => string;
  /** The case whose timeline this is, for what an event refers to (its recorded exchanges); absent outside a case page. */
  readonly caseId?: string;
}

/** Renders one kind of event: a headline and, when there is more to read, the details below it. */
export type Renderer = (props: RendererProps) => ReactNode;
