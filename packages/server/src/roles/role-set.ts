import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_ROLES, canonicalJson, isPermission, PERMISSIONS, sha256Hex, type Permission } from '@latch/core';
import { parse as parseYaml } from 'yaml';
import { StartupError } from '../startup-error.js';

/** One role as an admin defines it in roles.yaml. */
export interface RoleDefinition {
  readonly description: string;
  readonly permissions: readonly Permission[];
}

/**
 * The deployment's roles: named sets of the fixed permissions, read from `<configDir>/roles.yaml`.
 * `version` is the number the role set was recorded under on the system stream (roles/sync-roles.ts);
 * undefined until it is recorded.
 */
export class RoleSet {
  readonly digest: string;

  constructor(
    readonly roles: ReadonlyMap<string, RoleDefinition>,
    readonly source: string,
    readonly version?: number,
  ) {
    this.digest = sha256Hex(canonicalJson(this.definitions()));
  }

  has(role: string): boolean {
    return this.roles.has(role);
  }

  names(): string[] {
    return [...this.roles.keys()];
  }

  /** The union of the permissions of the given roles; a role not defined (any more) grants nothing. */
  permissionsOf(roles: readonly string[]): Set<Permission> {
    return new Set(roles.flatMap((role) => this.roles.get(role)?.permissions ?? []));
  }

  /** The roles as recorded and compared: sorted by name, permissions sorted, so reordering the file changes nothing. */
  definitions(): Record<string, { description: string; permissions: Permission[] }> {
    return Object.fromEntries(
      [...this.roles]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, role]) => [name, { description: role.description, permissions: [...role.permissions].sort() }]),
    );
  }

  withVersion(version: number): RoleSet {
    return new RoleSet(this.roles, this.source, version);
  }
}

const SHIPPED_DESCRIPTIONS: Readonly<Record<string, string>> = {
  admin: 'Runs the deployment; holds every permission',
  operator: "Works cases in their teams' queues and proposes actions",
  refund_approver: 'Approves refunds above the threshold',
  auditor: 'Reads every case, verifies the audit trail and exports evidence',
  requester: 'Opens cases and follows the ones they requested',
};

/** The roles Latch ships (config/roles.yaml holds the same): used when a deployment has no roles.yaml. */
export const SHIPPED_ROLES = new RoleSet(
  new Map(Object.entries(BUILTIN_ROLES).map(([name, permissions]) => [name, { description: SHIPPED_DESCRIPTIONS[name] ?? name, permissions }])),
  'the shipped default roles',
);

const ROLE_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Reads `<configDir>/roles.yaml`; without the file, the shipped roles (said once as an info line). */
export function loadRoles(configDir: string, say?: (level: 'info', message: string) => void): RoleSet {
  const file = join(configDir, 'roles.yaml');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new StartupError(`${file}: cannot be read: ${(error as Error).message}`);
    say?.('info', `roles: no ${file}; using the shipped default roles (${SHIPPED_ROLES.names().join(', ')})`);
    return SHIPPED_ROLES;
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new StartupError(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseRoles(raw, file);
}

/** Checks a parsed roles file; every problem is named with the file and its path in the file. */
export function parseRoles(raw: unknown, file: string): RoleSet {
  const problems: string[] = [];
  const roles = new Map<string, RoleDefinition>();
  const top = raw as { roles?: unknown } | null;
  if (!isRecord(top) || !isRecord(top.roles)) {
    throw new StartupError(`${file}: /roles is missing: the file needs \`roles:\` mapping each role name to {description, permissions}`);
  }
  for (const key of Object.keys(top)) if (key !== 'roles') problems.push(`/${key} is not a known setting (only /roles)`);
  for (const [name, value] of Object.entries(top.roles)) {
    const at = `/roles/${name}`;
    if (!ROLE_NAME.test(name)) problems.push(`${at}: a role name is lower-case letters, digits and _ (starting with a letter)`);
    if (!isRecord(value)) {
      problems.push(`${at}: must be a mapping with description and permissions`);
      continue;
    }
    for (const key of Object.keys(value)) if (key !== 'description' && key !== 'permissions') problems.push(`${at}/${key} is not a known setting (description, permissions)`);
    if (typeof value.description !== 'string' || value.description.trim() === '') problems.push(`${at}/description: must be a non-empty text`);
    if (!Array.isArray(value.permissions)) {
      problems.push(`${at}/permissions: must be a list of permissions`);
      continue;
    }
    const permissions: Permission[] = [];
    value.permissions.forEach((permission: unknown, i: number) => {
      if (typeof permission === 'string' && isPermission(permission)) permissions.push(permission);
      else problems.push(`${at}/permissions/${i}: unknown permission '${String(permission)}' (valid: ${PERMISSIONS.join(', ')})`);
    });
    roles.set(name, { description: String(value.description ?? ''), permissions: [...new Set(permissions)] });
  }
  if (roles.size === 0) problems.push('/roles: defines no role');
  if (problems.length > 0) throw new StartupError(`${file}: ${problems.join('; ')}`);
  return new RoleSet(roles, file);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
