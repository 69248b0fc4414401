import { alarm, inert } from './output.js';

/** A timeline event as GET /api/v1/cases/{id}/timeline returns it (the fields the CLI prints). */
export interface TimelineItem {
  seq: number;
  at: string;
  kind: string;
  actor: { type: string; id: string };
  outcome?: 'ok' | 'refused' | 'failed';
  reason?: string;
  data?: unknown;
  presentation?: {
    summary: string;
    actor: { kind: string; name: string; email?: string };
    tone?: 'refusal' | 'normal';
  };
}

const REFUSED = 'REFUSED';

/** Before the server presents an event: its kind, and for a refusal the code it was refused with. */
function fallbackSummary(item: TimelineItem): string {
  const code = (item.data as { code?: unknown } | undefined)?.code;
  return [item.kind, typeof code === 'string' ? `(${code})` : '', item.reason ? `: ${item.reason}` : ''].filter(Boolean).join(' ');
}

/**
 * One line per event, for a person: when (UTC), who by name, what happened. A refusal carries the
 * word REFUSED, so it reads without colour, and is red on a terminal that shows colour.
 */
export function timelineLines(items: readonly TimelineItem[], colour: boolean): string[] {
  const rows = items.map((item) => ({
    at: `${item.at.slice(0, 19).replace('T', ' ')}Z`,
    who: inert(item.presentation?.actor.name ?? `${item.actor.type}:${item.actor.id}`),
    what: inert(item.presentation?.summary ?? fallbackSummary(item)),
    refused: item.presentation ? item.presentation.tone === 'refusal' : item.outcome === 'refused',
  }));
  const width = Math.min(24, Math.max(0, ...rows.map((r) => r.who.length)));
  return rows.map((r) => {
    const who = r.who.length > width ? `${r.who.slice(0, width - 1)}…` : r.who.padEnd(width);
    return r.refused ? alarm(`${r.at}  ${who}  ${REFUSED}: ${r.what}`, colour) : `${r.at}  ${who}  ${r.what}`;
  });
}
