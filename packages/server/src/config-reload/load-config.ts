import { loadTeams, type TeamDirectory } from '../access/teams.js';
import { loadCaseTypeFiles, syncCaseTypes, type CaseTypeRegistry } from '../case-types/registry.js';
import type { CheckedConfig } from '../config-check/check-config.js';
import { caseTypesSnapshot, snapshotOf, type ConfigSnapshot } from '../config-check/snapshot.js';
import type { Database } from '../db/database.js';
import { checkIntakeTargets, loadIntakeConfig, type IntakeConfig } from '../intake/intake-config.js';
import type { RoleSet } from '../roles/role-set.js';
import { openRoles } from '../roles/sync-roles.js';

/** The parts of the running deployment that come from the configuration directory and can be reloaded. */
export interface LoadedConfig {
  readonly caseTypes: CaseTypeRegistry;
  readonly roles: RoleSet;
  readonly teams: TeamDirectory;
  readonly intake: IntakeConfig;
  /** What it amounts to, for GET /api/v1/config and `latch config diff`. */
  readonly snapshot: ConfigSnapshot;
}

type Say = (level: 'info' | 'warn', message: string) => void;

/**
 * Loads a configuration that passed the check: records new case type versions (refusing an edited
 * one) and a changed role set on the database, reads teams and intake. Nothing running changes here.
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
  const snapshot: ConfigSnapshot = {
    ...snapshotOf(checked),
    caseTypes: caseTypesSnapshot(caseTypes.list()),
    roles: { version: roles.version, sha256: roles.digest, roles: roles.definitions() },
  };
  return { caseTypes, roles, teams, intake, snapshot };
}
