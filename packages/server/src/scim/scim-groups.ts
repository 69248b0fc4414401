import { isUuid, uuidv7, type Actor } from '@latch/core';
import { and, asc, count, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { scimPatch, type ScimPatchOperation } from 'scim-patch';
import { sqlState, type Queryable, type Tx } from '../db/database.js';
import { scimGroupMembers, scimGroups, scimUsers, users } from '../db/schema.js';
import { syncGroupAccess, type ScimDeps } from './group-access.js';
import { readGroupResource, type GroupInput } from './read-resource.js';
import { invalidValue, ScimError, scimNotFound } from './scim-error.js';
import { presentScimGroup, type PresentedGroup, type ScimGroupRow } from './scim-resources.js';

/** One page of groups matching a filter, by name; `withMembers: false` for excludedAttributes=members. */
export async function listScimGroups(db: Queryable, where: SQL | undefined, startIndex: number, count_: number, base: string, withMembers: boolean) {
  const [total] = await db.select({ n: count() }).from(scimGroups).where(where);
  const rows = count_ === 0 ? [] : await db.select().from(scimGroups).where(where).orderBy(asc(scimGroups.displayName), asc(scimGroups.id)).limit(count_).offset(startIndex - 1);
  const members = withMembers ? await membersOf(db, rows.map((g) => g.id)) : new Map<string, { id: string; name: string }[]>();
  return { total: Number(total?.n ?? 0), resources: rows.map((g) => presentScimGroup(g, members.get(g.id) ?? [], base)) };
}

export async function getScimGroup(db: Queryable, id: string, base: string): Promise<PresentedGroup> {
  const group = await findGroup(db, id);
  return presentScimGroup(group, (await membersOf(db, [group.id])).get(group.id) ?? [], base);
}

/** POST /Groups: a group scim.yaml maps (or any, with unknownGroups: ignore) and its members, who get what it maps to. */
export async function createScimGroup(tx: Tx, deps: ScimDeps, body: unknown, actor: Actor): Promise<string> {
  const input = readGroupResource(body);
  checkMapped(deps, input.displayName);
  await checkMembers(tx, input.memberIds);
  const id = uuidv7();
  try {
    await tx.insert(scimGroups).values({ id, displayName: input.displayName, externalId: input.externalId });
  } catch (error) {
    if (sqlState(error) === '23505') throw new ScimError(409, 'ALREADY_EXISTS', `A group named ${input.displayName} already exists`, 'uniqueness');
    throw error;
  }
  if (input.memberIds.length > 0) await tx.insert(scimGroupMembers).values(input.memberIds.map((userId) => ({ groupId: id, userId })));
  await syncGroupAccess(tx, deps, input.memberIds, actor);
  return id;
}

/** PUT /Groups/{id}: name, externalId and exactly these members. */
export async function replaceScimGroup(tx: Tx, deps: ScimDeps, id: string, body: unknown, actor: Actor): Promise<void> {
  const group = await findGroup(tx, id, true);
  await writeGroup(tx, deps, group, readGroupResource(body), actor);
}

/**
 * PATCH /Groups/{id}: the operations identity providers send (`add` members, `remove`
 * `members[value eq "…"]`, `replace` displayName or members, Entra ID's `remove` with a value list),
 * applied by scim-patch to the current group and written as a PUT would.
 */
export async function patchScimGroup(tx: Tx, deps: ScimDeps, id: string, operations: ScimPatchOperation[], actor: Actor): Promise<void> {
  const group = await findGroup(tx, id, true);
  const memberIds = (await tx.select({ userId: scimGroupMembers.userId }).from(scimGroupMembers).where(eq(scimGroupMembers.groupId, group.id))).map((m) => m.userId);
  const current = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
    id: group.id,
    displayName: group.displayName,
    ...(group.externalId ? { externalId: group.externalId } : {}),
    members: memberIds.map((value) => ({ value })),
    meta: { created: group.createdAt, lastModified: group.updatedAt },
  };
  const patched = scimPatch(current, operations, { mutateDocument: false });
  if (patched.id !== group.id) throw new ScimError(400, 'SCIM_IMMUTABLE', 'id cannot change', 'mutability');
  await writeGroup(tx, deps, group, readGroupResource(patched), actor);
}

/** DELETE /Groups/{id}: the group goes (it is not a person's record), and its members lose what it gave. */
export async function deleteScimGroup(tx: Tx, deps: ScimDeps, id: string, actor: Actor): Promise<void> {
  const group = await findGroup(tx, id, true);
  const members = await tx.delete(scimGroupMembers).where(eq(scimGroupMembers.groupId, group.id)).returning({ userId: scimGroupMembers.userId });
  await tx.delete(scimGroups).where(eq(scimGroups.id, group.id));
  await syncGroupAccess(tx, deps, members.map((m) => m.userId), actor);
}

async function writeGroup(tx: Tx, deps: ScimDeps, group: ScimGroupRow, input: GroupInput, actor: Actor): Promise<void> {
  const renamed = input.displayName !== group.displayName;
  if (renamed) checkMapped(deps, input.displayName);
  await checkMembers(tx, input.memberIds);
  try {
    await tx.update(scimGroups).set({ displayName: input.displayName, externalId: input.externalId, updatedAt: new Date() }).where(eq(scimGroups.id, group.id));
  } catch (error) {
    if (sqlState(error) === '23505') throw new ScimError(409, 'ALREADY_EXISTS', `A group named ${input.displayName} already exists`, 'uniqueness');
    throw error;
  }
  const before = (await tx.select({ userId: scimGroupMembers.userId }).from(scimGroupMembers).where(eq(scimGroupMembers.groupId, group.id))).map((m) => m.userId);
  const removed = before.filter((u) => !input.memberIds.includes(u));
  const added = input.memberIds.filter((u) => !before.includes(u));
  if (removed.length > 0) await tx.delete(scimGroupMembers).where(and(eq(scimGroupMembers.groupId, group.id), inArray(scimGroupMembers.userId, removed)));
  if (added.length > 0) await tx.insert(scimGroupMembers).values(added.map((userId) => ({ groupId: group.id, userId })));
  // A new name may map to other roles: then every member is looked at again.
  await syncGroupAccess(tx, deps, renamed ? [...before, ...added] : [...removed, ...added], actor);
}

/** unknownGroups: refuse turns away a group scim.yaml does not name; SCIM never creates roles. */
function checkMapped(deps: ScimDeps, displayName: string): void {
  if (deps.config.unknownGroups === 'refuse' && !deps.config.groups.has(displayName.toLowerCase())) {
    throw invalidValue('SCIM_GROUP_NOT_MAPPED', `Latch maps no roles or teams to the group "${displayName}" (scim.yaml groups), and refuses unknown groups (unknownGroups: refuse)`);
  }
}

/** Members must be Latch users SCIM can see (not deactivated by a SCIM DELETE). */
async function checkMembers(tx: Tx, memberIds: readonly string[]): Promise<void> {
  if (memberIds.length === 0) return;
  const found = await tx
    .select({ id: users.id })
    .from(users)
    .leftJoin(scimUsers, eq(scimUsers.userId, users.id))
    .where(and(inArray(users.id, [...memberIds]), isNull(scimUsers.deletedAt)));
  const unknown = memberIds.filter((id) => !found.some((f) => f.id === id));
  if (unknown.length > 0) throw invalidValue('SCIM_MEMBER_UNKNOWN', `No such user: ${unknown.join(', ')}`);
}

async function findGroup(db: Queryable, id: string, lock = false): Promise<ScimGroupRow> {
  const groupId = id.toLowerCase();
  if (!isUuid(groupId)) throw scimNotFound('Group', id);
  const query = db.select().from(scimGroups).where(eq(scimGroups.id, groupId));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw scimNotFound('Group', id);
  return row;
}

async function membersOf(db: Queryable, groupIds: readonly string[]): Promise<Map<string, { id: string; name: string }[]>> {
  const byGroup = new Map<string, { id: string; name: string }[]>();
  if (groupIds.length === 0) return byGroup;
  const rows = await db
    .select({ groupId: scimGroupMembers.groupId, id: users.id, name: users.name })
    .from(scimGroupMembers)
    .innerJoin(users, eq(users.id, scimGroupMembers.userId))
    .where(inArray(scimGroupMembers.groupId, [...groupIds]))
    .orderBy(sql`${users.id}`);
  for (const row of rows) byGroup.set(row.groupId, [...(byGroup.get(row.groupId) ?? []), { id: row.id, name: row.name }]);
  return byGroup;
}
