import { NotFoundError } from '@latch/core';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { principalFor } from '../auth/principal.js';
import { loadVisibleCase } from '../cases/case-access.js';
import type { Queryable } from '../db/database.js';
import { users } from '../db/schema.js';
import type { RecipientRules } from './recipients.js';

/** The case as far as deciding who answers for it goes. */
export interface CaseOwnership {
  readonly id: string;
  readonly queue: string;
  readonly assigneeId: string | null;
}

/**
 * The active people in a team that works the case's queue (teams.yaml; without it, the team of the
 * queue's name) who may see the case now. Admins who see every case are not members for that.
 */
export async function queueMembers(db: Queryable, ownership: CaseOwnership, rules: RecipientRules): Promise<string[]> {
  const people = await db
    .select({ id: users.id, teams: users.teams })
    .from(users)
    .where(and(isNull(users.disabledAt), sql`cardinality(${users.teams}) > 0`));
  const members: string[] = [];
  for (const person of people) {
    if (!rules.teams.queuesOf(person.teams).includes(ownership.queue)) continue;
    if (await maySee(db, person.id, ownership.id, rules)) members.push(person.id);
  }
  return members;
}

/**
 * Who answers for a case now: its assignee while they may see it, else (unassigned, or an assignee
 * disabled or moved off its queue since) its queue's members, so a case nobody holds still reaches
 * someone who can pick it up.
 */
export async function responsibleFor(db: Queryable, ownership: CaseOwnership, rules: RecipientRules): Promise<string[]> {
  if (ownership.assigneeId && (await maySee(db, ownership.assigneeId, ownership.id, rules))) return [ownership.assigneeId];
  return queueMembers(db, ownership, rules);
}

/** Whether an active user may see the case now: nobody is told about a case they can't open. */
export async function maySee(db: Queryable, userId: string, caseId: string, rules: RecipientRules): Promise<boolean> {
  const [user] = await db.select().from(users).where(and(eq(users.id, userId), isNull(users.disabledAt)));
  if (!user) return false;
  try {
    await loadVisibleCase(db, caseId, rules.teams.visibilityOf(principalFor(user, rules.roles)));
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}
