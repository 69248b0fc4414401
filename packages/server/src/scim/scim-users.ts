import { isUuid, type Actor } from '@latch/core';
import { and, asc, count, eq, inArray, isNull, type SQL } from 'drizzle-orm';
import { scimPatch, type ScimPatchOperation } from 'scim-patch';
import { verifyPassword } from '../auth/passwords.js';
import { createUser, findUserByEmail, normaliseEmail, updateUser, type UserChanges, type UserRow } from '../auth/users.js';
import type { Queryable, Tx } from '../db/database.js';
import { scimGroupMembers, scimGroups, scimUsers, users } from '../db/schema.js';
import { syncGroupAccess, type ScimDeps } from './group-access.js';
import { readUserResource, type UserInput } from './read-resource.js';
import { ScimError, scimNotFound } from './scim-error.js';
import { presentScimUser, type PresentedUser, type ScimUserRow } from './scim-resources.js';

/** Users SCIM may see: every Latch account but those a SCIM DELETE deactivated (RFC 7644 §3.6: 404 from then on). */
const visible = isNull(scimUsers.deletedAt);

/** One page of users matching a filter (scim-filter.ts), oldest first, with the total. */
export async function listScimUsers(db: Queryable, where: SQL | undefined, startIndex: number, count_: number, base: string) {
  const condition = where ? and(visible, where) : visible;
  const from = () => db.select().from(users).leftJoin(scimUsers, eq(scimUsers.userId, users.id));
  const [total] = await db.select({ n: count() }).from(users).leftJoin(scimUsers, eq(scimUsers.userId, users.id)).where(condition);
  const rows = count_ === 0 ? [] : await from().where(condition).orderBy(asc(users.createdAt), asc(users.id)).limit(count_).offset(startIndex - 1);
  const groups = await groupsOf(db, rows.map((r) => r.users.id));
  return { total: Number(total?.n ?? 0), resources: rows.map((r) => presentScimUser(r.users, r.scim_users ?? undefined, groups.get(r.users.id) ?? [], base)) };
}

export async function getScimUser(db: Queryable, id: string, base: string): Promise<PresentedUser> {
  const found = await findVisible(db, id);
  return presentScimUser(found.user, found.scim, (await groupsOf(db, [found.user.id])).get(found.user.id) ?? [], base);
}

/**
 * POST /Users. A userName already in use is 409 uniqueness (the identity provider then finds the
 * account with `filter=userName eq "…"`), except an account an earlier SCIM DELETE deactivated,
 * which is provisioned again under its old id. A new account gets scim.yaml's newUsers roles and teams.
 */
export async function createScimUser(tx: Tx, deps: ScimDeps, body: unknown, actor: Actor): Promise<{ id: string; revived: boolean }> {
  const input = readUserResource(body);
  const existing = await findUserByEmail(tx, input.userName);
  if (existing) {
    const [scim] = await tx.select().from(scimUsers).where(eq(scimUsers.userId, existing.id)).for('update');
    if (!scim?.deletedAt) throw new ScimError(409, 'ALREADY_EXISTS', `A user with userName ${normaliseEmail(input.userName)} already exists`, 'uniqueness');
    await applyUserInput(tx, deps, existing, { ...input, active: input.active ?? true }, actor);
    await tx.update(scimUsers).set({ deletedAt: null }).where(eq(scimUsers.userId, existing.id));
    return { id: existing.id, revived: true };
  }
  const { ctx, config } = deps;
  const user = await createUser(tx, { email: input.userName, name: input.name, password: input.password, roles: [...config.newUsers.roles], teams: [...config.newUsers.teams] }, actor, ctx.teams, ctx.roles);
  if (input.active === false) await updateUser(tx, user.id, { disabled: true }, actor, ctx.teams, ctx.roles);
  await tx.insert(scimUsers).values({ userId: user.id, externalId: input.externalId });
  return { id: user.id, revived: false };
}

/** PUT /Users/{id}: the resource as sent (an `active` left out stays as it is). */
export async function replaceScimUser(tx: Tx, deps: ScimDeps, id: string, body: unknown, actor: Actor): Promise<void> {
  const found = await findVisible(tx, id, true);
  await applyUserInput(tx, deps, found.user, readUserResource(body), actor);
}

/**
 * PATCH /Users/{id}: the operations (RFC 7644 §3.5.2, applied by scim-patch, as Okta and Entra ID
 * send them, `{"op": "replace", "value": {"active": false}}` included) applied to the current
 * resource, and the result written as a PUT would.
 */
export async function patchScimUser(tx: Tx, deps: ScimDeps, id: string, operations: ScimPatchOperation[], actor: Actor, base: string): Promise<void> {
  const found = await findVisible(tx, id, true);
  const current = presentScimUser(found.user, found.scim, [], base);
  const patched = scimPatch({ ...current, meta: { ...current.meta, created: found.user.createdAt, lastModified: found.user.createdAt } }, operations, { mutateDocument: false });
  if ((patched as { id?: unknown }).id !== current.id) throw new ScimError(400, 'SCIM_IMMUTABLE', 'id cannot change', 'mutability');
  await applyUserInput(tx, deps, found.user, readUserResource(patched), actor);
}

/**
 * DELETE /Users/{id}: deactivates, never erases. The account is disabled (its sessions and tokens end
 * at once), leaves every SCIM group (losing what they gave), and SCIM answers 404 for it from then on;
 * its history stays. The same userName POSTed again provisions it anew.
 */
export async function deleteScimUser(tx: Tx, deps: ScimDeps, id: string, actor: Actor): Promise<void> {
  const found = await findVisible(tx, id, true);
  await tx.delete(scimGroupMembers).where(eq(scimGroupMembers.userId, found.user.id));
  await syncGroupAccess(tx, deps, [found.user.id], actor);
  await updateUser(tx, found.user.id, { disabled: true }, actor, deps.ctx.teams, deps.ctx.roles);
  await upsertScim(tx, found.user.id, { deletedAt: new Date() });
}

async function applyUserInput(tx: Tx, deps: ScimDeps, user: UserRow, input: UserInput, actor: Actor): Promise<void> {
  if (normaliseEmail(input.userName) !== user.email) {
    throw new ScimError(400, 'SCIM_USERNAME_IMMUTABLE', `userName is the email the account signs in with and cannot change (${user.email}); deactivate this user and create another`, 'mutability');
  }
  const changes: UserChanges = {
    ...(input.name !== user.name ? { name: input.name } : {}),
    ...(input.active !== undefined && input.active === (user.disabledAt !== null) ? { disabled: !input.active } : {}),
    // Identity providers may send the password on every update: only a different one is a change (and ends sessions).
    ...(input.password !== undefined && !(await verifyPassword(user.passwordHash, input.password)) ? { password: input.password } : {}),
  };
  if (Object.keys(changes).length > 0) await updateUser(tx, user.id, changes, actor, deps.ctx.teams, deps.ctx.roles);
  await upsertScim(tx, user.id, { externalId: input.externalId });
}

async function upsertScim(tx: Tx, userId: string, set: { externalId?: string | null; deletedAt?: Date | null }): Promise<void> {
  const now = new Date();
  await tx
    .insert(scimUsers)
    .values({ userId, ...set, updatedAt: now })
    .onConflictDoUpdate({ target: scimUsers.userId, set: { ...set, updatedAt: now } });
}

async function findVisible(db: Queryable, id: string, lock = false): Promise<{ user: UserRow; scim: ScimUserRow | undefined }> {
  const userId = id.toLowerCase();
  if (!isUuid(userId)) throw scimNotFound('User', id);
  const query = db.select().from(users).leftJoin(scimUsers, eq(scimUsers.userId, users.id)).where(eq(users.id, userId));
  const [row] = lock ? await query.for('update', { of: users }) : await query;
  if (!row || row.scim_users?.deletedAt) throw scimNotFound('User', id);
  return { user: row.users, scim: row.scim_users ?? undefined };
}

async function groupsOf(db: Queryable, userIds: readonly string[]): Promise<Map<string, { id: string; displayName: string }[]>> {
  const byUser = new Map<string, { id: string; displayName: string }[]>();
  if (userIds.length === 0) return byUser;
  const rows = await db
    .select({ userId: scimGroupMembers.userId, id: scimGroups.id, displayName: scimGroups.displayName })
    .from(scimGroupMembers)
    .innerJoin(scimGroups, eq(scimGroups.id, scimGroupMembers.groupId))
    .where(inArray(scimGroupMembers.userId, [...userIds]))
    .orderBy(asc(scimGroups.displayName));
  for (const row of rows) byUser.set(row.userId, [...(byUser.get(row.userId) ?? []), { id: row.id, displayName: row.displayName }]);
  return byUser;
}
