import type { UserRow } from '../auth/users.js';
import type { scimGroups, scimUsers } from '../db/schema.js';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type ScimUserRow = typeof scimUsers.$inferSelect;
export type ScimGroupRow = typeof scimGroups.$inferSelect;

/** A member or group reference: the id, a name to show, and where it lives. */
export interface ScimRef {
  value: string;
  display: string;
  $ref: string;
}

/** The SCIM User of a Latch account: userName is the email it signs in with; the password never leaves. */
export function presentScimUser(user: UserRow, scim: ScimUserRow | undefined, groups: readonly { id: string; displayName: string }[], base: string) {
  return {
    schemas: [USER_SCHEMA],
    id: user.id,
    ...(scim?.externalId ? { externalId: scim.externalId } : {}),
    userName: user.email,
    name: { formatted: user.name },
    displayName: user.name,
    emails: [{ value: user.email, type: 'work', primary: true }],
    active: user.disabledAt === null,
    groups: groups.map((g) => ({ value: g.id, display: g.displayName, $ref: `${base}/Groups/${g.id}`, type: 'direct' })),
    meta: {
      resourceType: 'User',
      created: user.createdAt.toISOString(),
      lastModified: (scim?.updatedAt ?? user.createdAt).toISOString(),
      location: `${base}/Users/${user.id}`,
    },
  };
}

export type PresentedUser = ReturnType<typeof presentScimUser>;

export function presentScimGroup(group: ScimGroupRow, members: readonly { id: string; name: string }[], base: string) {
  return {
    schemas: [GROUP_SCHEMA],
    id: group.id,
    ...(group.externalId ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    members: members.map((m): ScimRef & { type: string } => ({ value: m.id, display: m.name, $ref: `${base}/Users/${m.id}`, type: 'User' })),
    meta: {
      resourceType: 'Group',
      created: group.createdAt.toISOString(),
      lastModified: group.updatedAt.toISOString(),
      location: `${base}/Groups/${group.id}`,
    },
  };
}

export type PresentedGroup = ReturnType<typeof presentScimGroup>;

/** RFC 7644 §3.4.2: a page of resources, 1-based. */
export function listResponse<T>(resources: readonly T[], totalResults: number, startIndex: number) {
  return { schemas: [LIST_SCHEMA], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/**
 * RFC 7644 §3.4.2.5 `attributes` / `excludedAttributes`, at the level of top-level attributes
 * (`name.givenName` keeps `name`); `id`, `schemas` and `meta` are always returned.
 */
export function project<T extends Record<string, unknown>>(resource: T, attributes: readonly string[] | undefined, excluded: readonly string[] | undefined): Partial<T> {
  const top = (list: readonly string[]) => new Set(list.map((a) => a.replace(/^urn:[^ ]*:/i, '').split('.')[0]!.toLowerCase()));
  const always = new Set(['id', 'schemas', 'meta']);
  const keep = attributes && attributes.length > 0 ? top(attributes) : undefined;
  const drop = excluded && excluded.length > 0 ? top(excluded) : new Set<string>();
  return Object.fromEntries(
    Object.entries(resource).filter(([key]) => always.has(key) || ((keep === undefined || keep.has(key.toLowerCase())) && !drop.has(key.toLowerCase()))),
  ) as Partial<T>;
}
