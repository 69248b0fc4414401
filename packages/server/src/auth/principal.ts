import { isPermission, type Actor, type Permission, type Principal } from '@latch/core';
import type { RoleSet } from '../roles/role-set.js';

export interface PrincipalUser {
  readonly id: string;
  readonly roles: readonly string[];
  readonly teams: readonly string[];
}

/**
 * A user's principal, with the permissions the deployment's role set (roles.yaml) gives their roles;
 * a role no longer defined grants nothing. Through a token, only the permissions both the user and
 * the token's scopes hold.
 */
export function principalFor(user: PrincipalUser, roles: RoleSet, token?: { id: string; scopes: readonly string[] }): Principal {
  const granted = roles.permissionsOf(user.roles);
  const permissions = token
    ? new Set([...granted].filter((p) => token.scopes.includes(p) || token.scopes.includes('*')))
    : granted;
  return {
    userId: user.id,
    ...(token ? { tokenId: token.id } : {}),
    roles: user.roles,
    teams: user.teams,
    permissions: permissions as ReadonlySet<Permission>,
    ...(roles.version !== undefined ? { roleSetVersion: roles.version } : {}),
  };
}

/** The actor recorded on events this principal causes. */
export function actorOf(principal: Principal): Actor {
  return principal.tokenId ? { type: 'token', id: principal.tokenId, user: principal.userId } : { type: 'user', id: principal.userId };
}

/** Scopes a token may be given: permission names, or `*` for everything its user can do. */
export function invalidScopes(scopes: readonly string[]): string[] {
  return scopes.filter((s) => s !== '*' && !isPermission(s));
}
