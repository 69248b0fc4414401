import type { ConfigProblem } from './problem.js';
import type { YamlSource } from './yaml-source.js';

/** Checks teams.yaml: `teams: {name: {queues: [..]}}`. Returns the teams and the queues each works. */
export function checkTeamsFile(source: YamlSource | undefined): { problems: ConfigProblem[]; teams?: ReadonlyMap<string, readonly string[]> } {
  if (!source) return { problems: [] };
  const problems: ConfigProblem[] = [...source.problems];
  if (problems.length > 0) return { problems };
  const hint = 'each team is `name: {queues: [queue, ...]}`';
  const top = (source.value ?? {}) as Record<string, unknown>;
  const teams = new Map<string, string[]>();
  if (typeof top !== 'object' || Array.isArray(top)) return { problems: [source.at([], 'error', 'TEAMS_INVALID', 'teams.yaml must be a mapping with teams:', hint)] };
  for (const key of Object.keys(top)) if (key !== 'teams') problems.push(source.at([key], 'error', 'TEAMS_INVALID', `/${key} is not a known setting (only /teams)`, 'remove it', { key: true }));
  const entries = top.teams ?? {};
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) return { problems: [...problems, source.at(['teams'], 'error', 'TEAMS_INVALID', '/teams must map team names to their queues', hint)] };
  for (const [team, value] of Object.entries(entries as Record<string, unknown>)) {
    const queues = (value as { queues?: unknown } | null)?.queues;
    if (!Array.isArray(queues) || !queues.every((q) => typeof q === 'string')) {
      problems.push(source.at(['teams', team], 'error', 'TEAMS_INVALID', `team '${team}' needs a list of queue names`, hint));
      continue;
    }
    teams.set(team, queues as string[]);
  }
  return problems.some((p) => p.severity === 'error') ? { problems } : { problems, teams };
}
