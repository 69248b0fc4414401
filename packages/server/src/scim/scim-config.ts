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

/** What the rest of the configuration defines: a name is known when these say so. */
export interface KnownNames {
  readonly role: (name: string) => boolean;
  readonly team: (name: string) => boolean;
}

/** One problem in scim.yaml, at its path in the file. */
export interface ScimConfigProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Checks a parsed scim.yaml; a problem for each thing wrong, at its path in the file. */
export function readScimConfig(raw: unknown, known: KnownNames): { config: ScimConfig; problems: ScimConfigProblem[] } {
  const problems: ScimConfigProblem[] = [];
  const problem = (path: readonly (string | number)[], message: string) => problems.push({ path, message });
  if (!isRecord(raw)) {
    problem([], 'must be a mapping with groups, unknownGroups and newUsers');
    return { config: NO_SCIM_CONFIG, problems };
  }
  for (const key of Object.keys(raw)) if (!['groups', 'unknownGroups', 'newUsers'].includes(key)) problem([key], `/${key} is not a known setting (groups, unknownGroups, newUsers)`);
  const grant = (value: unknown, at: string[]): GroupGrant => {
    const where = `/${at.join('/')}`;
    if (value === null || value === undefined) return EMPTY;
    if (!isRecord(value)) {
      problem(at, `${where}: must be a mapping with roles and/or teams`);
      return EMPTY;
    }
    for (const key of Object.keys(value)) if (key !== 'roles' && key !== 'teams') problem([...at, key], `${where}/${key} is not a known setting (roles, teams)`);
    const list = (name: 'roles' | 'teams', isKnown: (x: string) => boolean, file: string): string[] => {
      const items = value[name] ?? [];
      if (!Array.isArray(items) || !items.every((x) => typeof x === 'string')) {
        problem([...at, name], `${where}/${name}: must be a list of names`);
        return [];
      }
      for (const [i, item] of items.entries()) if (!isKnown(item)) problem([...at, name, i], `${where}/${name}/${i}: '${item}' is not defined in ${file}`);
      return [...new Set(items)];
    };
    return { roles: list('roles', known.role, 'roles.yaml'), teams: list('teams', known.team, 'teams.yaml') };
  };
  const groups = new Map<string, GroupGrant>();
  if (raw.groups !== undefined && raw.groups !== null) {
    if (!isRecord(raw.groups)) problem(['groups'], '/groups: must map group display names to {roles, teams}');
    else
      for (const [name, value] of Object.entries(raw.groups)) {
        if (groups.has(name.toLowerCase())) problem(['groups', name], `/groups/${name}: named twice (names are compared without case)`);
        groups.set(name.toLowerCase(), grant(value, ['groups', name]));
      }
  }
  const unknownGroups = raw.unknownGroups ?? 'refuse';
  if (unknownGroups !== 'refuse' && unknownGroups !== 'ignore') problem(['unknownGroups'], '/unknownGroups: must be refuse or ignore');
  const newUsers = grant(raw.newUsers, ['newUsers']);
  return { config: { groups, unknownGroups: unknownGroups === 'ignore' ? 'ignore' : 'refuse', newUsers }, problems };
}

/** The same check, throwing a startup error naming the file and every problem's path. */
export function parseScimConfig(raw: unknown, file: string, roles: RoleSet, teams: TeamDirectory): ScimConfig {
  const { config, problems } = readScimConfig(raw, { role: (r) => roles.has(r), team: (t) => teams.isKnown(t) });
  if (problems.length > 0) throw new StartupError(`${file}:\n${problems.map((p) => `  ${p.message}`).join('\n')}`);
  return config;
}

/** The roles and teams scim.yaml hands out through groups: SCIM adds and removes these, and leaves the others alone. */
export function managedByGroups(config: ScimConfig): GroupGrant {
  const grants = [...config.groups.values()];
  return { roles: [...new Set(grants.flatMap((g) => g.roles))], teams: [...new Set(grants.flatMap((g) => g.teams))] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
