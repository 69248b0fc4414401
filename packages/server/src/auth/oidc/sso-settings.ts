import { join } from 'node:path';
import type { ConfigProblem } from '../../config-check/problem.js';
import { YamlSource, type DocPath } from '../../config-check/yaml-source.js';

/** What a group claim's value gives: roles (roles.yaml) and teams (teams.yaml). */
export interface GroupGrant {
  readonly roles: readonly string[];
  readonly teams: readonly string[];
}

/** `sso.yaml`: how people signed in by the OpenID Connect provider become Latch users. */
export interface SsoSettings {
  readonly enabled: boolean;
  /** Shown on the login page: "Sign in with <providerName>". */
  readonly providerName: string;
  /** Asked for at the provider; always includes `openid`. */
  readonly scopes: readonly string[];
  /** Create the user at their first sign-in (just in time); otherwise only linked accounts get in. */
  readonly createUsers: boolean;
  /** Link a first sign-in to the existing account holding the same email, only when the provider says the email is verified. */
  readonly linkVerifiedEmail: boolean;
  /** False: accounts linked to the provider can't log in with a password. */
  readonly passwordLogin: boolean;
  /** Replace the user's roles and teams with those the claims give, at every sign-in. */
  readonly updateOnLogin: boolean;
  /** Which claims hold the email, the display name and the groups. */
  readonly claims: { readonly email: string; readonly name: string; readonly groups: string };
  /** Given to everyone the provider signs in, besides their groups' grants. */
  readonly defaults: GroupGrant;
  /** A group claim value → what it grants. */
  readonly groups: ReadonlyMap<string, GroupGrant>;
}

export const SSO_FILE = 'sso.yaml';

const DISABLED: SsoSettings = {
  enabled: false,
  providerName: 'single sign-on',
  scopes: ['openid', 'email', 'profile'],
  createUsers: false,
  linkVerifiedEmail: false,
  passwordLogin: true,
  updateOnLogin: true,
  claims: { email: 'email', name: 'name', groups: 'groups' },
  defaults: { roles: [], teams: [] },
  groups: new Map(),
};

const KEYS = ['enabled', 'providerName', 'scopes', 'createUsers', 'linkVerifiedEmail', 'passwordLogin', 'updateOnLogin', 'claims', 'defaults', 'groups'];
const HINT = 'see docs/operations.md "SSO" for the settings of sso.yaml';

/** What roles and teams exist, to check the grants against (teams undefined: no teams.yaml, any team works). */
export interface KnownNames {
  readonly roles: ReadonlySet<string> | undefined;
  readonly teams: ReadonlySet<string> | undefined;
}

/**
 * Checks sso.yaml: its shape, and that every role and team it grants is defined. Without the file
 * SSO is off. Returns the settings only when there is no error.
 */
export function checkSsoFile(source: YamlSource | undefined, known: KnownNames): { problems: ConfigProblem[]; settings?: SsoSettings } {
  if (!source) return { problems: [], settings: DISABLED };
  const problems: ConfigProblem[] = [...source.problems];
  if (problems.length > 0) return { problems };
  const top = source.value ?? {};
  if (typeof top !== 'object' || top === null || Array.isArray(top)) return { problems: [source.at([], 'error', 'SSO_INVALID', 'sso.yaml must be a mapping of settings', HINT)] };
  const raw = top as Record<string, unknown>;
  const bad = (path: DocPath, message: string, hint = HINT) => problems.push(source.at(path, 'error', 'SSO_INVALID', message, hint));
  for (const key of Object.keys(raw)) if (!KEYS.includes(key)) problems.push(source.at([key], 'error', 'SSO_INVALID', `/${key} is not a setting of sso.yaml (known: ${KEYS.join(', ')})`, 'remove it', { key: true }));

  const flag = (key: string, fallback: boolean): boolean => {
    if (raw[key] === undefined) return fallback;
    if (typeof raw[key] !== 'boolean') bad([key], `/${key} must be true or false`);
    return raw[key] === true;
  };
  const text = (value: unknown, path: DocPath, fallback: string): string => {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value.trim() === '' || value.length > 100) {
      bad(path, `/${path.join('/')} must be a non-empty text of at most 100 characters`);
      return fallback;
    }
    return value.trim();
  };
  const names = (value: unknown, path: DocPath): string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
      bad(path, `/${path.join('/')} must be a list of names`);
      return [];
    }
    return value as string[];
  };
  const grant = (value: unknown, path: DocPath): GroupGrant => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      bad(path, `/${path.join('/')} must be {roles: [...], teams: [...]}`);
      return { roles: [], teams: [] };
    }
    const entry = value as Record<string, unknown>;
    for (const key of Object.keys(entry)) if (key !== 'roles' && key !== 'teams') bad([...path, key], `/${[...path, key].join('/')} is not known (only roles and teams)`);
    const roles = names(entry.roles, [...path, 'roles']);
    const teams = names(entry.teams, [...path, 'teams']);
    roles.forEach((role, i) => {
      if (known.roles && !known.roles.has(role)) problems.push(source.at([...path, 'roles', i], 'error', 'SSO_ROLE_UNDEFINED', `role '${role}' is not defined in roles.yaml`, `define it in roles.yaml, or use one of: ${[...known.roles].join(', ')}`));
    });
    teams.forEach((team, i) => {
      if (known.teams && !known.teams.has(team)) problems.push(source.at([...path, 'teams', i], 'error', 'SSO_TEAM_UNDEFINED', `team '${team}' is not declared in teams.yaml`, `declare it in teams.yaml, or use one of: ${[...known.teams].join(', ')}`));
    });
    return { roles, teams };
  };

  const scopes = raw.scopes === undefined ? DISABLED.scopes : names(raw.scopes, ['scopes']);
  const claimsRaw = raw.claims ?? {};
  if (typeof claimsRaw !== 'object' || claimsRaw === null || Array.isArray(claimsRaw)) bad(['claims'], '/claims must map email, name and groups to claim names');
  const claimNames = (typeof claimsRaw === 'object' && claimsRaw !== null ? claimsRaw : {}) as Record<string, unknown>;
  for (const key of Object.keys(claimNames)) if (!['email', 'name', 'groups'].includes(key)) bad(['claims', key], `/claims/${key} is not known (only email, name, groups)`);
  const groupsRaw = raw.groups ?? {};
  const groups = new Map<string, GroupGrant>();
  if (typeof groupsRaw !== 'object' || groupsRaw === null || Array.isArray(groupsRaw)) bad(['groups'], '/groups must map group names to {roles, teams}');
  else for (const [group, value] of Object.entries(groupsRaw)) groups.set(group, grant(value, ['groups', group]));

  const settings: SsoSettings = {
    enabled: flag('enabled', false),
    providerName: text(raw.providerName, ['providerName'], DISABLED.providerName),
    scopes: scopes.includes('openid') ? scopes : ['openid', ...scopes],
    createUsers: flag('createUsers', false),
    linkVerifiedEmail: flag('linkVerifiedEmail', false),
    passwordLogin: flag('passwordLogin', true),
    updateOnLogin: flag('updateOnLogin', true),
    claims: {
      email: text(claimNames.email, ['claims', 'email'], 'email'),
      name: text(claimNames.name, ['claims', 'name'], 'name'),
      groups: text(claimNames.groups, ['claims', 'groups'], 'groups'),
    },
    defaults: raw.defaults === undefined ? DISABLED.defaults : grant(raw.defaults, ['defaults']),
    groups,
  };
  return problems.some((p) => p.severity === 'error') ? { problems } : { problems, settings };
}

/** sso.yaml of a configuration directory, already checked at start (an error there refuses the start). */
export function loadSsoSettings(configDir: string, known: KnownNames): SsoSettings {
  const checked = checkSsoFile(YamlSource.read(join(configDir, SSO_FILE)), known);
  if (!checked.settings) throw new Error(`${SSO_FILE}: ${checked.problems.map((p) => p.message).join('; ')}`);
  return checked.settings;
}
