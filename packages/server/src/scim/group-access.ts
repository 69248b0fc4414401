import type { Actor } from '@latch/core';
import { asc, eq, inArray } from 'drizzle-orm';
import { updateUser } from '../auth/users.js';
import type { LatchContext } from '../context.js';
import type { Tx } from '../db/database.js';
import { scimGroupMembers, scimGroups, users } from '../db/schema.js';
import { managedByGroups, type ScimConfig } from './scim-config.js';

/** What SCIM commands need: the deployment (its roles and teams) and scim.yaml. */
export interface ScimDeps {
  readonly ctx: LatchContext;
  readonly config: ScimConfig;
}

/**
 * Gives each of these users exactly the roles and teams their groups map to (scim.yaml), leaving
 * alone the roles and teams no group hands out. Each user whose roles or teams change gets one
 * `updateUser`: `user.updated` and the account change, by the SCIM token's actor, and a changed set
 * of roles ends their sessions and tokens. The users are locked in id order before their groups are
 * read, so concurrent group changes wait for each other and the last one sees every membership.
 */
export async function syncGroupAccess(tx: Tx, deps: ScimDeps, userIds: readonly string[], actor: Actor): Promise<void> {
  const ids = [...new Set(userIds)].sort();
  if (ids.length === 0) return;
  const current = await tx.select({ id: users.id, roles: users.roles, teams: users.teams }).from(users).where(inArray(users.id, ids)).orderBy(asc(users.id)).for('update');
  const memberships = await tx
    .select({ userId: scimGroupMembers.userId, displayName: scimGroups.displayName })
    .from(scimGroupMembers)
    .innerJoin(scimGroups, eq(scimGroups.id, scimGroupMembers.groupId))
    .where(inArray(scimGroupMembers.userId, ids));
  const managed = managedByGroups(deps.config);
  for (const user of current) {
    const grants = memberships.filter((m) => m.userId === user.id).map((m) => deps.config.groups.get(m.displayName.toLowerCase()));
    const roles = merged(user.roles, managed.roles, grants.flatMap((g) => g?.roles ?? []));
    const teams = merged(user.teams, managed.teams, grants.flatMap((g) => g?.teams ?? []));
    const changes = { ...(sameSet(roles, user.roles) ? {} : { roles }), ...(sameSet(teams, user.teams) ? {} : { teams }) };
    if (Object.keys(changes).length > 0) await updateUser(tx, user.id, changes, actor, deps.ctx.teams, deps.ctx.roles);
  }
}

/** The names SCIM does not manage, as they are, then what the groups give. */
function merged(held: readonly string[], managed: readonly string[], granted: readonly string[]): string[] {
  return [...new Set([...held.filter((x) => !managed.includes(x)), ...granted])];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
