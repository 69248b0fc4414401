/**
 * Names the people events refer to (actors, assignees, delegators) from the users table, in one
 * query for a whole page of events, and presents each event with core's presentEvent: the same
 * lines the console shows and a bundle's story.txt holds.
 */
import { presentActor, presentEvent, type EventBody, type NameLookup, type PersonName, type PresentedActor, type PresentedAmount, type Tone } from '@latch/core';
import { inArray } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { users } from '../db/schema.js';

/** An erased account keeps its row with this kind of address (privacy/scrub-read-models.ts). */
const ERASED_EMAIL = /^erased-[0-9a-f-]+@erased\.invalid$/;

/** The `presentation` beside each timeline item. */
export interface Presentation {
  readonly summary: string;
  readonly actor: PresentedActor;
  readonly amounts?: readonly PresentedAmount[];
  readonly tone?: Tone;
}

/** Every user id presenting these events asks a name for: found by presenting them once with a lookup that only records. */
function userIdsNamedBy(bodies: readonly EventBody[]): string[] {
  const ids = new Set<string>();
  const record: NameLookup = (id) => {
    ids.add(id);
    return undefined;
  };
  for (const body of bodies) {
    presentEvent(body, record);
    presentActor(body.actor, record);
  }
  return [...ids];
}

/** The people these events name, by user id: one query. Emails only when `withEmail`; an erased account has no name. */
export async function peopleNamedIn(db: Queryable, bodies: readonly EventBody[], withEmail: boolean): Promise<Map<string, PersonName>> {
  // Ids in hashed bytes are whatever was recorded; only canonical UUIDs can name a user row.
  const ids = userIdsNamedBy(bodies).filter((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id));
  const people = new Map<string, PersonName>();
  if (ids.length === 0) return people;
  for (const row of await db.select({ id: users.id, name: users.name, email: users.email }).from(users).where(inArray(users.id, ids))) {
    const erased = ERASED_EMAIL.test(row.email);
    people.set(row.id, erased ? { name: '', erased: true } : { name: row.name, ...(withEmail ? { email: row.email } : {}) });
  }
  return people;
}

/** Each event's presentation, in order; `withEmail` when the reader may see users' emails (user:read). */
export async function presentEvents(db: Queryable, bodies: readonly EventBody[], withEmail: boolean): Promise<Presentation[]> {
  const people = await peopleNamedIn(db, bodies, withEmail);
  const names: NameLookup = (id) => people.get(id);
  return bodies.map((body) => {
    const { summary, amounts, tone } = presentEvent(body, names);
    return { summary, actor: presentActor(body.actor, names), ...(amounts.length > 0 ? { amounts } : {}), tone };
  });
}
