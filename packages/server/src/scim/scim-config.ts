import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { TeamDirectory } from '../access/teams.js';
import type { RoleSet } from '../roles/role-set.js';
import { StartupError } from '../startup-error.js';

/** What membership of one SCIM group gives: roles and teams that already exist in Latch's configuration. */
export interface GroupGrant {
  readonly roles: readonly string[];
  readonly teams: readonly string[];
}

/** `<configDir>/scim.yaml`: how an identity provider's groups become Latch roles and teams. */
export interface ScimConfig {
  /** By display name, compared case-insensitively (keys are lower-cased). */
  readonly groups: ReadonlyMap<string, GroupGrant>;
  /** A group scim.yaml does not name: refused (400), or kept and granting nothing. */
  readonly unknownGroups: 'refuse' | 'ignore';
  /** What every account SCIM creates starts with, beside what its groups give. */
  readonly newUsers: GroupGrant;
}

const EMPTY: GroupGrant = { roles: [], teams: [] };

/** Without scim.yaml no group grants anything, and groups are kept (ignored) so provisioning users still works. */
export const NO_SCIM_CONFIG: ScimConfig = { groups: new Map(), unknownGroups: 'ignore', newUsers: EMPTY };

/**
 * Reads scim.yaml, refusing (as a startup error naming the file and path) a role roles.yaml does not
 * define or a team teams.yaml does not declare: SCIM never creates roles or teams.
 */
export function loadScimConfig(configDir: string, roles: RoleSet, teams: TeamDirectory): ScimConfig {
  const file = join(configDir, 'scim.yaml');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return NO_SCIM_CONFIG;
    throw new StartupError(`${file}: cannot be read: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new StartupError(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseScimConfig(raw ?? {}, file, roles, teams);
}

/** Checks a parsed scim.yaml; every problem is named with its path in the file. */
export function parseScimConfig(raw: unknown, file: string, roles: RoleSet, teams: TeamDirectory): ScimConfig {
  const problems: string[] = [];
  if (!isRecord(raw)) throw new StartupError(`${file}: must be a mapping with groups, unknownGroups and newUsers`);
  for (const key of Object.keys(raw)) if (!['groups', 'unknownGroups', 'newUsers'].includes(key)) problems.push(`/${key} is not a known setting (groups, unknownGroups, newUsers)`);
  const grant = (value: unknown, at: string): GroupGrant => {
    if (value === null || value === undefined) return EMPTY;
    if (!isRecord(value)) {
      problems.push(`${at}: must be a mapping with roles and/or teams`);
      return EMPTY;
    }
    for (const key of Object.keys(value)) if (key !== 'roles' && key !== 'teams') problems.push(`${at}/${key} is not a known setting (roles, teams)`);
    const list = (name: 'roles' | 'teams', known: (x: string) => boolean, where: string): string[] => {
      const items = value[name] ?? [];
      if (!Array.isArray(items) || !items.every((x) => typeof x === 'string')) {
        problems.push(`${at}/${name}: must be a list of names`);
        return [];
      }
      for (const [i, item] of items.entries()) if (!known(item)) problems.push(`${at}/${name}/${i}: '${item}' is not defined in ${where}`);
      return [...new Set(items)];
    };
    return { roles: list('roles', (r) => roles.has(r), 'roles.yaml'), teams: list('teams', (t) => teams.isKnown(t), 'teams.yaml') };
  };
  const groups = new Map<string, GroupGrant>();
  if (raw.groups !== undefined && raw.groups !== null) {
    if (!isRecord(raw.groups)) problems.push('/groups: must map group display names to {roles, teams}');
    else
      for (const [name, value] of Object.entries(raw.groups)) {
        if (groups.has(name.toLowerCase())) problems.push(`/groups/${name}: named twice (names are compared without case)`);
        groups.set(name.toLowerCase(), grant(value, `/groups/${name}`));
      }
  }
  const unknownGroups = raw.unknownGroups ?? 'refuse';
  if (unknownGroups !== 'refuse' && unknownGroups !== 'ignore') problems.push('/unknownGroups: must be refuse or ignore');
  const newUsers = grant(raw.newUsers, '/newUsers');
  if (problems.length > 0) throw new StartupError(`${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return { groups, unknownGroups: unknownGroups as 'refuse' | 'ignore', newUsers };
}

/** The roles and teams scim.yaml hands out through groups: SCIM adds and removes these, and leaves the others alone. */
export function managedByGroups(config: ScimConfig): GroupGrant {
  const grants = [...config.groups.values()];
  return { roles: [...new Set(grants.flatMap((g) => g.roles))], teams: [...new Set(grants.flatMap((g) => g.teams))] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
