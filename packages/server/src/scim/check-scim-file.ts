import type { ConfigProblem } from '../config-check/problem.js';
import type { YamlSource } from '../config-check/yaml-source.js';
import { NO_SCIM_CONFIG, readScimConfig, type ScimConfig } from './scim-config.js';

/** scim.yaml's file name in the configuration directory. */
export const SCIM_FILE = 'scim.yaml';

/**
 * `latch config check` for scim.yaml: each problem at its line, a role or team named there checked
 * against the roles and teams being checked (undefined: not known, as when roles.yaml itself is broken).
 * Returns the settings only when there is no problem (without the file: NO_SCIM_CONFIG).
 */
export function checkScimFile(
  source: YamlSource | undefined,
  known: { roles: ReadonlySet<string> | undefined; teams: ReadonlySet<string> | undefined },
): { problems: ConfigProblem[]; config?: ScimConfig } {
  if (!source) return { problems: [], config: NO_SCIM_CONFIG };
  if (source.problems.length > 0) return { problems: [...source.problems] };
  const { config, problems } = readScimConfig(source.value ?? {}, { role: (r) => known.roles?.has(r) ?? true, team: (t) => known.teams?.has(t) ?? true });
  if (problems.length === 0) return { problems: [], config };
  return { problems: problems.map((p) => source.at(p.path, 'error', 'SCIM_CONFIG_INVALID', p.message, 'see README "SCIM provisioning": roles from roles.yaml, teams from teams.yaml')) };
}
