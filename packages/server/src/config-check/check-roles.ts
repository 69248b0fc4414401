import { isPermission, PERMISSIONS } from '@latch/core';
import { parseRoles, SHIPPED_ROLES } from '../roles/role-set.js';
import type { ConfigProblem } from './problem.js';
import type { YamlSource } from './yaml-source.js';

const ROLE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const HINT_FORMAT = 'each role is `name: {description: ..., permissions: [...]}` (README "Roles")';

/** The roles a configuration defines (names), or the shipped ones without roles.yaml. */
export interface CheckedRoles {
  readonly names: ReadonlySet<string>;
  readonly file: string;
  /** Each role's permissions, for the diff. */
  readonly definitions: Readonly<Record<string, { description: string; permissions: string[] }>>;
}

/** Checks roles.yaml as the loader would, with each problem where it is; undefined source: the shipped roles. */
export function checkRolesFile(source: YamlSource | undefined): { problems: ConfigProblem[]; roles?: CheckedRoles } {
  if (!source) return { problems: [], roles: { names: new Set(SHIPPED_ROLES.names()), file: 'the shipped default roles', definitions: SHIPPED_ROLES.definitions() } };
  const problems: ConfigProblem[] = [...source.problems];
  if (problems.length > 0) return { problems };
  const error = (path: (string | number)[], code: string, message: string, hint?: string, key = false) => problems.push(source.at(path, 'error', code, message, hint, { key }));
  const top = source.value;
  if (!isRecord(top) || !isRecord(top.roles)) {
    error(isRecord(top) && 'roles' in top ? ['roles'] : [], 'ROLE_INVALID', '/roles is missing: the file needs `roles:` mapping each role name to {description, permissions}', HINT_FORMAT);
    return { problems };
  }
  for (const key of Object.keys(top)) if (key !== 'roles') error([key], 'ROLE_INVALID', `/${key} is not a known setting (only /roles)`, 'remove it', true);
  const names = Object.keys(top.roles);
  if (names.length === 0) error(['roles'], 'ROLE_INVALID', '/roles: defines no role', 'define at least one role (an admin)');
  for (const name of names) {
    const value = top.roles[name];
    const at = ['roles', name];
    if (!ROLE_NAME.test(name)) error(at, 'ROLE_INVALID', `/roles/${name}: a role name is lower-case letters, digits and _ (starting with a letter)`, 'rename the role', true);
    if (!isRecord(value)) {
      error(at, 'ROLE_INVALID', `/roles/${name}: must be a mapping with description and permissions`, HINT_FORMAT);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (key !== 'description' && key !== 'permissions') error([...at, key], 'ROLE_INVALID', `/roles/${name}/${key} is not a known setting (description, permissions)`, 'remove it', true);
    }
    if (typeof value.description !== 'string' || value.description.trim() === '') error([...at, 'description'], 'ROLE_INVALID', `/roles/${name}/description: must be a non-empty text`, 'say in a sentence what the role is for');
    if (!Array.isArray(value.permissions)) {
      error([...at, 'permissions'], 'ROLE_INVALID', `/roles/${name}/permissions: must be a list of permissions`, 'write them as a list: [case:read, action:decide]');
      continue;
    }
    value.permissions.forEach((permission: unknown, i: number) => {
      if (typeof permission === 'string' && isPermission(permission)) return;
      error([...at, 'permissions', i], 'ROLE_UNKNOWN_PERMISSION', `/roles/${name}/permissions/${i}: unknown permission '${String(permission)}' (valid: ${PERMISSIONS.join(', ')})`, 'use one of the permissions listed; roles group permissions, they cannot invent new ones');
    });
    if (value.permissions.length === 0) problems.push(source.at([...at, 'permissions'], 'warning', 'ROLE_EMPTY', `role '${name}' grants no permission`, 'give it permissions, or remove the role'));
  }
  // With errors, the names still serve the checks across files (a policy naming a role not defined here).
  if (problems.some((p) => p.severity === 'error')) return { problems, roles: { names: new Set(names), file: source.file, definitions: {} } };
  try {
    const set = parseRoles(source.value, source.file);
    return { problems, roles: { names: new Set(set.names()), file: source.file, definitions: set.definitions() } };
  } catch (failure) {
    error([], 'ROLE_INVALID', (failure as Error).message.replace(`${source.file}: `, ''), HINT_FORMAT);
    return { problems };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
