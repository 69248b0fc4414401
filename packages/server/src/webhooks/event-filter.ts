/** An event-type filter entry: `*`, a kind (`approval.granted`) or a family (`action.*`). */
export const EVENT_TYPE_PATTERN = '^(\\*|[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*\\.\\*|[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+)$';

/** What an endpoint asks for; an empty list of case types or queues means all of them. */
export interface EndpointFilter {
  readonly eventTypes: readonly string[];
  readonly caseTypes: readonly string[];
  readonly queues: readonly string[];
}

/** Whether an event of `kind` on a case of `caseType` in `queue` goes to an endpoint with this filter. */
export function matchesFilter(filter: EndpointFilter, kind: string, caseType: string, queue: string): boolean {
  const kindWanted = filter.eventTypes.some((t) => t === '*' || t === kind || (t.endsWith('.*') && kind.startsWith(t.slice(0, -1))));
  return kindWanted && (filter.caseTypes.length === 0 || filter.caseTypes.includes(caseType)) && (filter.queues.length === 0 || filter.queues.includes(queue));
}
