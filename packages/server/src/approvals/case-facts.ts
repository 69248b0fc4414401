import type { Actor, CaseFacts, EventBody, RequiredStep } from '@latch/core';
import { and, eq, inArray } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { cases, events, users } from '../db/schema.js';

/** Whether any step of an action declares separation rules (only then are the case's facts needed). */
export function needsCaseFacts(steps: readonly RequiredStep[]): boolean {
  return steps.some((step) => step.separation !== undefined);
}

/**
 * What a step's separation rules look at, read from the record: the case's requester and assignee
 * now, who set each case field (the case's creator for the values it was opened with, then the
 * actor of every `field.changed` that touched it; a token counts as its user) and the proposer's teams.
 * System, plugin and intake actors are nobody's hands: they exclude no approver.
 */
export async function caseFactsOf(db: Queryable, caseId: string, proposedBy: string): Promise<CaseFacts> {
  const [target] = await db.select({ requesterId: cases.requesterId, assigneeId: cases.assigneeId }).from(cases).where(eq(cases.id, caseId));
  const [proposer] = await db.select({ teams: users.teams }).from(users).where(eq(users.id, proposedBy));
  const rows = await db
    .select({ bytes: events.bytes })
    .from(events)
    .where(and(eq(events.stream, caseId), inArray(events.kind, ['case.created', 'field.changed'])));
  const fieldEditors: Record<string, string[]> = {};
  const note = (field: string, person: string | undefined) => {
    if (person === undefined) return;
    const editors = (fieldEditors[field] ??= []);
    if (!editors.includes(person)) editors.push(person);
  };
  for (const row of rows) {
    const body = JSON.parse(row.bytes) as EventBody;
    const person = personOf(body.actor);
    const data = body.data as { fields?: Record<string, unknown>; changes?: { field?: unknown }[] };
    if (body.kind === 'case.created') {
      for (const [field, value] of Object.entries(data.fields ?? {})) if (value !== null && value !== undefined) note(field, person);
      continue;
    }
    for (const change of data.changes ?? []) {
      if (typeof change.field === 'string' && change.field.startsWith('fields.')) note(change.field.slice('fields.'.length), person);
    }
  }
  return { requesterId: target?.requesterId ?? null, assigneeId: target?.assigneeId ?? null, fieldEditors, proposerTeams: proposer?.teams ?? [] };
}

function personOf(actor: Actor): string | undefined {
  if (actor.type === 'user') return actor.id;
  if (actor.type === 'token') return actor.user;
  return undefined;
}
