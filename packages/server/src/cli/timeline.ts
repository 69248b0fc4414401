import { alarm, inert } from './output.js';

/** A timeline event as GET /api/v1/cases/{id}/timeline returns it (the fields the CLI prints). */
export interface TimelineItem {
  id: string;
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
    amounts?: { text: string }[];
    tone?: 'refusal' | 'normal';
  };
}

const REFUSED = 'REFUSED';

/** The server's line, with any amount it found that the line does not already state. */
function presentedSummary(presentation: NonNullable<TimelineItem['presentation']>): string {
  const missing = (presentation.amounts ?? []).map((a) => a.text).filter((text) => !presentation.summary.includes(text));
  return missing.length > 0 ? `${presentation.summary} (${missing.join(', ')})` : presentation.summary;
}

/** Before the server presents an event: its kind, and for a refusal the code it was refused with. */
function fallbackSummary(item: TimelineItem): string {
  const code = (item.data as { code?: unknown } | undefined)?.code;
  return [item.kind, typeof code === 'string' ? `(${code})` : '', item.reason ? `: ${item.reason}` : ''].filter(Boolean).join(' ');
}

const NOTE_SHOWN = 200;

/**
 * One line per event, for a person: when (UTC), who by name, what happened, and a note's text (from
 * `noteBodies`, by event id: the event itself holds only a commitment to it). A refusal carries the
 * word REFUSED, so it reads without colour, and is red on a terminal that shows colour.
 */
export function timelineLines(items: readonly TimelineItem[], colour: boolean, noteBodies: ReadonlyMap<string, string> = new Map()): string[] {
  const rows = items.map((item) => {
    let who = inert(item.presentation?.actor.name ?? `${item.actor.type}:${item.actor.id}`);
    const refused = item.presentation ? item.presentation.tone === 'refusal' : item.outcome === 'refused';
    // The server's line names the actor and says "Refused:"; here both have a column of their own.
    let what = inert(item.presentation ? presentedSummary(item.presentation) : fallbackSummary(item));
    if (refused) what = what.replace(/^Refused:\s*/, '');
    // "Cli (API token) opened…": the qualifier stays with the name, in the actor's column.
    if (what.startsWith(`${who} `)) {
      const qualifier = /^ \([^)]*\)/.exec(what.slice(who.length))?.[0] ?? '';
      who += qualifier;
      what = what.slice(who.length + 1);
    }
    const note = noteBodies.get(item.id);
    if (note !== undefined) what += `: "${inert(note.length > NOTE_SHOWN ? `${note.slice(0, NOTE_SHOWN)}…` : note)}"`;
    return { at: `${item.at.slice(0, 19).replace('T', ' ')}Z`, who, what, refused };
  });
  const width = Math.min(32, Math.max(0, ...rows.map((r) => r.who.length)));
  return rows.map((r) => {
    const who = r.who.length > width ? `${r.who.slice(0, width - 1)}…` : r.who.padEnd(width);
    return r.refused ? alarm(`${r.at}  ${who}  ${REFUSED}: ${r.what}`, colour) : `${r.at}  ${who}  ${r.what}`;
  });
}
