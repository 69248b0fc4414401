import { loadTeams, type TeamDirectory } from '../access/teams.js';
import type { SsoSettings } from '../auth/oidc/sso-settings.js';
import { loadCaseTypeFiles, syncCaseTypes, type CaseTypeRegistry } from '../case-types/registry.js';
import type { CheckedConfig } from '../config-check/check-config.js';
import { caseTypesSnapshot, snapshotOf, type ConfigSnapshot } from '../config-check/snapshot.js';
import type { Database } from '../db/database.js';
import { checkIntakeTargets, loadIntakeConfig, type IntakeConfig } from '../intake/intake-config.js';
import type { RoleSet } from '../roles/role-set.js';
import { openRoles } from '../roles/sync-roles.js';
import type { ScimConfig } from '../scim/scim-config.js';

/** The parts of the running deployment that come from the configuration directory and can be reloaded. */
export interface LoadedConfig {
  readonly caseTypes: CaseTypeRegistry;
  readonly roles: RoleSet;
  readonly teams: TeamDirectory;
  readonly intake: IntakeConfig;
  /** sso.yaml (whether it is on at all is decided at start: see activate). */
  readonly sso: SsoSettings;
  /** scim.yaml: SCIM groups → roles and teams. */
  readonly scim: ScimConfig;
  /** What it amounts to, for GET /api/v1/config and `latch config diff`. */
  readonly snapshot: ConfigSnapshot;
}

type Say = (level: 'info' | 'warn', message: string) => void;

/**
 * Loads a configuration that passed the check: records new case type versions (refusing an edited
 * one) and a changed role set on the database, reads teams and intake, and takes sso.yaml and scim.yaml
 * as the check read them. Nothing running changes here.
 */
export async function loadConfig(database: Database, configDir: string, checked: CheckedConfig, say: Say): Promise<LoadedConfig> {
  // The case types the check compiled: what was checked is exactly what loads.
  const compiled = checked.caseTypes.map((t) => t.compiled);
  const onDisk = compiled.every((t) => t !== undefined) ? compiled : loadCaseTypeFiles(configDir);
  const caseTypes = await syncCaseTypes(database.db, onDisk);
  const roles = await openRoles(database, configDir, caseTypes, say);
  const intake = loadIntakeConfig(configDir);
  checkIntakeTargets(intake, new Set(caseTypes.list().map((t) => t.definition.key)));
  const teams = loadTeams(configDir);
  // Checked against the roles and teams of the same directory; absent only when the check found an error.
  if (!checked.sso || !checked.scim) throw new Error(`${checked.sso ? 'scim.yaml' : 'sso.yaml'} did not pass the check`);
  const snapshot: ConfigSnapshot = {
    ...snapshotOf(checked),
    caseTypes: caseTypesSnapshot(caseTypes.list()),
    roles: { version: roles.version, sha256: roles.digest, roles: roles.definitions() },
  };
  return { caseTypes, roles, teams, intake, sso: checked.sso, scim: checked.scim, snapshot };
}
