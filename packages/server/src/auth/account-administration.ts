import type { AccountChange, Actor } from '@latch/core';
import { and, eq, gt, inArray, isNull } from 'drizzle-orm';
import type { SQLWrapper } from 'drizzle-orm';
import type { SealedEvent } from '@latch/core';
import type { Queryable, Tx } from '../db/database.js';
import { accountChanges, apiTokens, sessions } from '../db/schema.js';

/** What the maker-checker rule cares about: who made the account, or changed its power or its keys. */
export type AccountChangeKind = 'created' | 'roles' | 'teams' | 'password' | 'disabled' | 'enabled';

/** The person behind an actor: a user, or the user a token acts for; none for system actors (the CLI). */
export function personBehind(actor: Actor): string | null {
  if (actor.type === 'user') return actor.id;
  if (actor.type === 'token') return actor.user ?? null;
  return null;
}

/**
 * The `alongside` statement for `appendEvents`: the account change row, naming its system-stream
 * event, goes to the database in the same statement as the event.
 */
export function recordAccountChange(tx: Tx, userId: string, actor: Actor, changes: readonly AccountChangeKind[]) {
  return (sealed: readonly SealedEvent[]): SQLWrapper[] => [
    tx.insert(accountChanges).values({ eventId: sealed[0]!.id, userId, changedBy: personBehind(actor), changes: [...changes], at: new Date(sealed[0]!.at) }),
  ];
}

/** Changes `administrator` made to any of `people` since `since`, oldest first. */
export async function changesBy(db: Queryable, administrator: string, people: readonly string[], since: Date): Promise<AccountChange[]> {
  const rows = await db
    .select()
    .from(accountChanges)
    .where(and(inArray(accountChanges.userId, [...people]), eq(accountChanges.changedBy, administrator), gt(accountChanges.at, since)))
    .orderBy(accountChanges.at);
  return rows.map((row) => ({ userId: row.userId, changedBy: row.changedBy!, changes: row.changes, at: row.at, eventId: row.eventId }));
}

/**
 * Ends every session and revokes every token of a user (password change, disable): credentials
 * issued before never work again, even if the user is enabled later.
 */
export async function endCredentials(tx: Tx, userId: string, now: Date): Promise<{ sessionsEnded: number; tokensRevoked: number }> {
  const ended = await tx.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.idHash });
  const revoked = await tx
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return { sessionsEnded: ended.length, tokensRevoked: revoked.length };
}
