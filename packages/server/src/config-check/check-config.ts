import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isNull } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { caseTypes, users } from '../db/schema.js';
import { loadPluginSettings } from '../plugin-host/plugin-config.js';
import { checkCaseTypeFile, lintCaseType, type CheckedCaseType } from './check-case-types.js';
import { checkIntakeFile } from './check-intake.js';
import { checkPluginsFile, type PluginOffers } from './check-plugins.js';
import { checkRolesFile, type CheckedRoles } from './check-roles.js';
import { checkTeamsFile } from './check-teams.js';
import { checkSsoFile, SSO_FILE, type SsoSettings } from '../auth/oidc/sso-settings.js';
import { checkScimFile, SCIM_FILE } from '../scim/check-scim-file.js';
import type { ScimConfig } from '../scim/scim-config.js';
import { distinctProblems, sortProblems, type ConfigProblem, type ConfigReport } from './problem.js';
import { YamlSource } from './yaml-source.js';

export interface CheckOptions {
  /** The deployment's database: checks recorded case type versions and who holds roles. */
  readonly db?: Queryable;
  /** Why the database checks did not run (said in the report), when no db is given. */
  readonly noDatabaseReason?: string;
}

/** A checked configuration: the report, and what was read (for the diff and the reload). */
export interface CheckedConfig extends ConfigReport {
  readonly caseTypes: readonly CheckedCaseType[];
  readonly roles: CheckedRoles | undefined;
  readonly teams: ReadonlyMap<string, readonly string[]> | undefined;
  /** sso.yaml's settings as checked (off without the file); undefined when it has an error. */
  readonly sso: SsoSettings | undefined;
  /** scim.yaml's settings as checked (NO_SCIM_CONFIG without the file); undefined when it has an error. */
  readonly scim: ScimConfig | undefined;
  /** The files read, as YAML sources (absent files are undefined). */
  readonly sources: { readonly intake?: YamlSource; readonly plugins?: YamlSource; readonly sso?: YamlSource; readonly scim?: YamlSource };
}

/** The files of a configuration directory, read and checked one by one (nothing across files yet). */
export interface ConfigFiles {
  readonly dir: string;
  readonly problems: readonly ConfigProblem[];
  readonly caseTypes: readonly CheckedCaseType[];
  readonly roles: ReturnType<typeof checkRolesFile>['roles'];
  readonly rolesSource: YamlSource | undefined;
  readonly teams: ReadonlyMap<string, readonly string[]> | undefined;
  readonly plugins: PluginOffers | undefined;
  readonly intakeSource: YamlSource | undefined;
  readonly pluginsSource: YamlSource | undefined;
  readonly ssoSource?: YamlSource | undefined;
  readonly scimSource?: YamlSource | undefined;
}

/**
 * Checks every file of a configuration directory, and the files against each other and, given a
 * database, against what it recorded and who holds which role. Each problem once, with its place.
 */
export async function checkConfig(dir: string, options: CheckOptions = {}): Promise<CheckedConfig> {
  return checkConfigFiles(readConfigFiles(dir), options);
}

/** Reads and checks each file on its own; the compiling is done here, once. */
export function readConfigFiles(dir: string): ConfigFiles {
  const problems: ConfigProblem[] = [];
  const rolesSource = YamlSource.read(join(dir, 'roles.yaml'));
  const teamsSource = YamlSource.read(join(dir, 'teams.yaml'));
  const intakeSource = YamlSource.read(join(dir, 'intake.yaml'));
  const pluginsSource = YamlSource.read(join(dir, 'plugins.yaml'));
  const ssoSource = YamlSource.read(join(dir, SSO_FILE));
  const scimSource = YamlSource.read(join(dir, SCIM_FILE));
  const roles = checkRolesFile(rolesSource);
  const teams = checkTeamsFile(teamsSource);
  const plugins = checkPluginsFile(pluginsSource, dir);
  problems.push(...roles.problems, ...teams.problems, ...plugins.problems);
  if (pluginsSource && plugins.problems.length === 0) {
    try {
      loadPluginSettings(dir);
    } catch (failure) {
      problems.push(pluginsSource.at([], 'error', 'PLUGINS_INVALID', (failure as Error).message.replace(`${pluginsSource.file}: `, ''), 'see README "Plugins"'));
    }
  }
  const checked: CheckedCaseType[] = [];
  for (const file of caseTypeFiles(dir)) {
    const result = checkCaseTypeFile(YamlSource.read(file)!);
    problems.push(...result.problems);
    if (result.checked) checked.push(result.checked);
  }
  problems.push(...duplicateVersions(checked));
  return { dir, problems, caseTypes: checked, roles: roles.roles, rolesSource, teams: teams.teams, plugins: plugins.plugins, intakeSource, pluginsSource, ssoSource, scimSource };
}

/** The checks across files, and with a database those against it: cheap, so they may run again once the database is open. */
export async function checkConfigFiles(files: ConfigFiles, options: CheckOptions = {}): Promise<CheckedConfig> {
  const { dir, roles, teams } = files;
  const problems: ConfigProblem[] = [...files.problems];
  const recorded = options.db ? await options.db.select({ key: caseTypes.key, version: caseTypes.version, digest: caseTypes.digest }).from(caseTypes) : [];
  const checked = files.caseTypes;
  markNewest(checked, recorded);
  const around = {
    roles: roles?.names,
    rolesFile: roles?.file ?? join(dir, 'roles.yaml'),
    teams: teams ? new Set(teams.keys()) : undefined,
    plugins: files.plugins,
  };
  for (const type of checked) problems.push(...lintCaseType(type, around));
  const knownTypes = new Set([...checked.map((t) => t.definition.key), ...recorded.map((r) => r.key)]);
  problems.push(...checkIntakeFile(files.intakeSource, knownTypes));
  // sso.yaml's and scim.yaml's grants name roles and teams: checked against the files being checked, so a reload can't strand them.
  const known = { roles: roles?.names, teams: teams ? new Set(teams.keys()) : undefined };
  const sso = checkSsoFile(files.ssoSource, known);
  const scim = checkScimFile(files.scimSource, known);
  problems.push(...sso.problems, ...scim.problems);
  if (options.db) {
    problems.push(...editedVersions(checked, recorded));
    problems.push(...(await holderProblems(options.db, checked, roles, files.rolesSource)));
  }
  return {
    dir,
    problems: sortProblems(distinctProblems(problems)),
    database: options.db ? 'checked' : { skipped: options.noDatabaseReason ?? 'no database given' },
    caseTypes: checked,
    roles,
    teams,
    sso: sso.settings,
    scim: scim.config,
    sources: {
      ...(files.intakeSource ? { intake: files.intakeSource } : {}),
      ...(files.pluginsSource ? { plugins: files.pluginsSource } : {}),
      ...(files.ssoSource ? { sso: files.ssoSource } : {}),
      ...(files.scimSource ? { scim: files.scimSource } : {}),
    },
  };
}

/** The case type files, as the loader finds them: `<dir>/case-types/*.{yaml,yml,json}`, sorted. */
export function caseTypeFiles(dir: string): string[] {
  try {
    return readdirSync(join(dir, 'case-types'))
      .filter((name) => /\.(ya?ml|json)$/.test(name))
      .sort()
      .map((name) => join(dir, 'case-types', name));
  } catch {
    return [];
  }
}

function duplicateVersions(types: readonly CheckedCaseType[]): ConfigProblem[] {
  const seen = new Map<string, CheckedCaseType>();
  const problems: ConfigProblem[] = [];
  for (const type of types) {
    const id = `${type.definition.key}@${type.definition.version}`;
    const first = seen.get(id);
    if (first) problems.push(type.source.at(['version'], 'error', 'CASE_TYPE_DUPLICATE_VERSION', `${type.definition.key} version ${type.definition.version} is also defined in ${first.source.file}`, `give this file version ${maxVersion(types, type.definition.key) + 1}, or remove one of the two`));
    else seen.set(id, type);
  }
  return problems;
}

const maxVersion = (types: readonly { definition: { key: string; version: number } }[], key: string) => Math.max(...types.filter((t) => t.definition.key === key).map((t) => t.definition.version));

function markNewest(types: readonly CheckedCaseType[], recorded: readonly { key: string; version: number }[]): void {
  for (const type of types) {
    const newestRecorded = Math.max(0, ...recorded.filter((r) => r.key === type.definition.key).map((r) => r.version));
    type.newest = type.definition.version === maxVersion(types, type.definition.key) && type.definition.version >= newestRecorded;
  }
}

/** A recorded version whose file changed: cases in flight would change under it, so it is refused. */
function editedVersions(types: readonly CheckedCaseType[], recorded: readonly { key: string; version: number; digest: string }[]): ConfigProblem[] {
  return types.flatMap((type) => {
    const row = recorded.find((r) => r.key === type.definition.key && r.version === type.definition.version);
    if (!row || row.digest === type.digest) return [];
    const next = Math.max(maxVersion(types, type.definition.key), ...recorded.filter((r) => r.key === row.key).map((r) => r.version)) + 1;
    return [type.source.at(['version'], 'error', 'CASE_TYPE_VERSION_EDITED', `${row.key} version ${row.version} differs from the version already in use: cases in flight must not change under it`, `put the file back as it was and publish the change as version ${next}`)];
  });
}

/**
 * Against the users: a policy role (or team) no active user holds means its actions can't be
 * approved; a defined role no one holds is unused; a held role not defined grants nothing.
 * Said only once the deployment has an active user (a first start holds no role at all).
 */
async function holderProblems(db: Queryable, types: readonly CheckedCaseType[], roles: CheckedRoles | undefined, rolesSource: YamlSource | undefined): Promise<ConfigProblem[]> {
  const active = await db.select({ roles: users.roles, teams: users.teams }).from(users).where(isNull(users.disabledAt));
  if (active.length === 0) return [];
  const heldRoles = new Map<string, number>();
  for (const user of active) for (const role of user.roles) heldRoles.set(role, (heldRoles.get(role) ?? 0) + 1);
  const heldTeams = new Set(active.flatMap((u) => u.teams));
  const problems: ConfigProblem[] = [];
  const named = new Set<string>();
  for (const type of types.filter((t) => t.newest)) {
    (type.definition.policies ?? []).forEach((policy, i) =>
      policy.steps.forEach((step, j) => {
        const at = ['policies', i, 'steps', j];
        if (step.role !== undefined) named.add(step.role);
        if (step.role !== undefined && roles?.names.has(step.role) && !heldRoles.has(step.role)) {
          problems.push(type.source.at([...at, 'role'], 'warning', 'POLICY_ROLE_UNHELD', `policy ${policy.key}: step '${step.name}' needs role '${step.role}', which no active user holds: its actions can't be approved`, `give the role to a person: latch user update <email> --roles ${step.role}`));
        }
        if (step.team !== undefined && !heldTeams.has(step.team)) {
          problems.push(type.source.at([...at, 'team'], 'warning', 'POLICY_TEAM_UNHELD', `policy ${policy.key}: step '${step.name}' needs team '${step.team}', which has no active member: its actions can't be approved`, `put people in the team: latch user update <email> --teams ${step.team}`));
        }
      }),
    );
  }
  if (!roles) return problems;
  const file = rolesSource?.file ?? roles.file;
  const at = (path: (string | number)[]) => (rolesSource ? rolesSource.locate(path, { key: true }) : { line: 1, col: 1 });
  for (const name of roles.names) {
    if (!heldRoles.has(name) && !named.has(name)) problems.push({ file, ...at(['roles', name]), severity: 'warning', code: 'ROLE_UNUSED', message: `role '${name}' is held by no active user and named by no policy`, hint: 'give it to someone, or remove it' });
  }
  for (const [role, count] of heldRoles) {
    if (!roles.names.has(role)) problems.push({ file, ...at(['roles']), severity: 'warning', code: 'ROLE_HELD_UNDEFINED', message: `${count} active user(s) hold role '${role}', which is not defined: it grants them nothing`, hint: `define '${role}' here, or take it from them` });
  }
  return problems;
}
