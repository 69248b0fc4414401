/**
 * Permissions are the unit of authorization; roles are named sets of them. The table is
 * declarative so it can be read, tested and shown to an auditor.
 */
export const PERMISSIONS = [
  'case:create',
  'case:read',
  'case:read_all',
  'case:update',
  'case:comment',
  'case:attach',
  'case_type:read',
  'user:read',
  'user:manage',
  'token:manage',
  'audit:verify',
  'case:export',
  'action:propose',
  'action:decide',
  'delegation:manage',
  'privacy:erase',
  'intake:manage',
  'metrics:read',
  'scim:provision',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const BUILTIN_ROLES: Readonly<Record<string, readonly Permission[]>> = {
  admin: PERMISSIONS,
  operator: ['case:create', 'case:read', 'case:update', 'case:comment', 'case:attach', 'case_type:read', 'user:read', 'token:manage', 'action:propose', 'delegation:manage'],
  refund_approver: ['case:read', 'case:comment', 'case_type:read', 'user:read', 'token:manage', 'action:decide', 'delegation:manage'],
  auditor: ['case:read', 'case:read_all', 'case_type:read', 'audit:verify', 'case:export', 'token:manage'],
  requester: ['case:create', 'case:read', 'case:comment', 'case:attach', 'case_type:read', 'token:manage'],
};

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** The union of the permissions of the given roles; unknown roles grant nothing. */
export function permissionsOf(roles: readonly string[]): Set<Permission> {
  return new Set(roles.flatMap((role) => BUILTIN_ROLES[role] ?? []));
}

/** Who is asking: a user directly, or an API token acting for a user with a subset of their permissions. */
export interface Principal {
  readonly userId: string;
  readonly tokenId?: string;
  readonly roles: readonly string[];
  readonly teams: readonly string[];
  readonly permissions: ReadonlySet<Permission>;
  /** The version of the role set (roles.yaml, recorded on the system stream) these permissions came from. */
  readonly roleSetVersion?: number;
}

/** What a principal may see of a case: staff see their teams' queues; everyone sees what they requested or hold. */
export interface CaseVisibility {
  readonly all: boolean;
  readonly queues: readonly string[];
  readonly userId: string;
}
