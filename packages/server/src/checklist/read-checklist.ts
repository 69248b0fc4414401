import { collectCommitments, revealPersonalData, type CaseTypeDefinition, type ChecklistItem, type ChecklistTick, type EventBody, type Json } from '@latch/core';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { events, personalData } from '../db/schema.js';

export const CHECKLIST_TICKED = 'case.checklist_ticked';

/** A tick with the note its author wrote (personal data: null once erased). */
export interface RecordedTick extends ChecklistTick {
  readonly note: string | null;
}

/** A tick that a later change of a field it vouches for has voided. */
export interface VoidedTick extends RecordedTick {
  readonly voidedBy: { readonly eventId: string; readonly field: string };
}

export interface ChecklistState {
  /** Ticks that still hold, one per item at most. */
  readonly ticks: readonly RecordedTick[];
  /** Earlier ticks that no longer hold (a field they vouch for changed since). */
  readonly voided: readonly VoidedTick[];
}

/**
 * The case's checklist as its record says: every `case.checklist_ticked`, minus those a later
 * `field.changed` of one of the item's `resetWhenChanged` fields voided. Nothing but the events
 * holds the state, so the answer is the audit trail's own.
 */
export async function readChecklist(db: Queryable, caseId: string, definition: CaseTypeDefinition): Promise<ChecklistState> {
  const items = new Map((definition.checklist ?? []).map((item) => [item.key, item]));
  if (items.size === 0) return { ticks: [], voided: [] };
  const rows = await db
    .select({ id: events.id, seq: events.seq, bytes: events.bytes })
    .from(events)
    .where(and(eq(events.stream, caseId), inArray(events.kind, [CHECKLIST_TICKED, 'field.changed'])))
    .orderBy(asc(events.seq));
  const bodies = rows.map((row) => JSON.parse(row.bytes) as EventBody);
  const commitments = bodies.flatMap((body) => (body.kind === CHECKLIST_TICKED ? collectCommitments(body.data) : []));
  const disclosed = new Map<string, Json>();
  if (commitments.length > 0) {
    for (const found of await db.select().from(personalData).where(inArray(personalData.commitment, commitments))) disclosed.set(found.commitment, JSON.parse(found.value) as Json);
  }
  const current = new Map<string, RecordedTick>();
  const voided: VoidedTick[] = [];
  for (const [i, row] of rows.entries()) {
    const body = bodies[i]!;
    const data = body.data as { item?: string; note?: Json; changes?: { field?: unknown }[] };
    if (body.kind === CHECKLIST_TICKED && typeof data.item === 'string' && items.has(data.item)) {
      const note = data.note === undefined ? null : revealPersonalData(data.note, disclosed);
      current.set(data.item, { key: data.item, by: personOf(body.actor), at: body.at, eventId: row.id, seq: row.seq, note: typeof note === 'string' ? note : null });
      continue;
    }
    const changed = (data.changes ?? []).flatMap((c) => (typeof c.field === 'string' && c.field.startsWith('fields.') ? [c.field.slice('fields.'.length)] : []));
    for (const [key, tick] of current) {
      const field = changed.find((f) => items.get(key)!.resetWhenChanged?.includes(f));
      if (field === undefined) continue;
      voided.push({ ...tick, voidedBy: { eventId: row.id, field } });
      current.delete(key);
    }
  }
  return { ticks: [...current.values()], voided };
}

/** The checklist as the API presents it: each item, its tick (or null), the ticks voided since. */
export function presentChecklist(definition: CaseTypeDefinition, state: ChecklistState) {
  const present = (tick: RecordedTick) => ({ by: tick.by, at: tick.at, eventId: tick.eventId, note: tick.note });
  return {
    items: (definition.checklist ?? []).map((item: ChecklistItem) => {
      const tick = state.ticks.find((t) => t.key === item.key);
      return {
        key: item.key,
        label: item.label,
        requiredBefore: item.requiredBefore ?? [],
        resetWhenChanged: item.resetWhenChanged ?? [],
        ticked: tick ? present(tick) : null,
        voided: state.voided.filter((v) => v.key === item.key).map((v) => ({ ...present(v), voidedBy: v.voidedBy })),
      };
    }),
  };
}

function personOf(actor: EventBody['actor']): string | null {
  if (actor.type === 'user') return actor.id;
  if (actor.type === 'token') return actor.user ?? null;
  return null;
}
