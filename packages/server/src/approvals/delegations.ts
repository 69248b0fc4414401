import { LatchError, NotFoundError, uuidv7, ValidationError, type Actor, type Principal } from '@latch/core';
import { and, desc, eq, isNull, or } from 'drizzle-orm';
import type { Queryable, Tx } from '../db/database.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { delegations, users } from '../db/schema.js';

export type DelegationRow = typeof delegations.$inferSelect;

/** Delegates the principal's approvals to another user for a period, recorded as `delegation.created`. */
export async function createDelegation(
  tx: Tx,
  principal: Principal,
  actor: Actor,
  input: { toUserId: string; startsAt?: Date | undefined; endsAt: Date; reason?: string | undefined },
): Promise<DelegationRow> {
  if (input.toUserId === principal.userId) throw new ValidationError('You cannot delegate to yourself', { field: 'toUserId' });
  const startsAt = input.startsAt ?? new Date();
  if (input.endsAt.getTime() <= startsAt.getTime()) throw new ValidationError('endsAt must be after startsAt', { field: 'endsAt' });
  if (input.endsAt.getTime() - startsAt.getTime() > 90 * 86_400_000) throw new ValidationError('A delegation lasts at most 90 days', { field: 'endsAt' });
  const [delegate] = await tx.select().from(users).where(and(eq(users.id, input.toUserId), isNull(users.disabledAt)));
  if (!delegate) throw new ValidationError('toUserId is not an active user', { field: 'toUserId' });
  const id = uuidv7();
  const [row] = await tx
    .insert(delegations)
    .values({ id, fromUserId: principal.userId, toUserId: input.toUserId, startsAt, endsAt: input.endsAt, reason: input.reason ?? null })
    .returning();
  await appendEvents(
    tx,
    SYSTEM_STREAM,
    [{ kind: 'delegation.created', actor, data: { delegationId: id, fromUserId: principal.userId, toUserId: input.toUserId, startsAt: startsAt.toISOString(), endsAt: input.endsAt.toISOString() } }],
    { subject: `user:${principal.userId}` },
  );
  return row!;
}

/** Ends a delegation early; its delegator, delegate or a user manager may. */
export async function revokeDelegation(tx: Tx, principal: Principal, actor: Actor, id: string): Promise<void> {
  const [row] = await tx.select().from(delegations).where(eq(delegations.id, id)).for('update');
  const mine = row && (row.fromUserId === principal.userId || row.toUserId === principal.userId);
  if (!row || (!mine && !principal.permissions.has('user:manage'))) throw new NotFoundError('Delegation');
  if (row.revokedAt) throw new LatchError('ALREADY_EXISTS', 'The delegation is already revoked');
  await tx.update(delegations).set({ revokedAt: new Date() }).where(eq(delegations.id, id));
  await appendEvents(tx, SYSTEM_STREAM, [{ kind: 'delegation.revoked', actor, data: { delegationId: id } }], { subject: `user:${row.fromUserId}` });
}

/** Delegations from or to a user, newest first. */
export async function listDelegations(db: Queryable, userId: string): Promise<DelegationRow[]> {
  return db
    .select()
    .from(delegations)
    .where(or(eq(delegations.fromUserId, userId), eq(delegations.toUserId, userId)))
    .orderBy(desc(delegations.id));
}

export function presentDelegation(row: DelegationRow) {
  return {
    id: row.id,
    fromUserId: row.fromUserId,
    toUserId: row.toUserId,
    startsAt: row.startsAt.toISOString(),
    endsAt: row.endsAt.toISOString(),
    reason: row.reason,
    revoked: row.revokedAt !== null,
  };
}
