import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseVisibility, Principal } from '@latch/core';
import { parse as parseYaml } from 'yaml';

/**
 * Teams own queues. `<configDir>/teams.yaml` maps a team to the queues it works
 * (`teams: {billing: {queues: [refunds, invoices]}}`); a team always works the queue of its own name.
 */
export class TeamDirectory {
  constructor(
    private readonly queuesByTeam: ReadonlyMap<string, readonly string[]> = new Map(),
    private readonly declared = false,
  ) {}

  /** Whether users may be put in this team: one teams.yaml declares; without the file, any name works its own queue. */
  isKnown(team: string): boolean {
    return !this.declared || this.queuesByTeam.has(team);
  }

  /** Whether some team works this queue; without teams.yaml, every queue is some team's own. */
  isKnownQueue(queue: string): boolean {
    return !this.declared || [...this.queuesByTeam].some(([team, queues]) => team === queue || queues.includes(queue));
  }

  queuesOf(teams: readonly string[]): string[] {
    return [...new Set(teams.flatMap((team) => [team, ...(this.queuesByTeam.get(team) ?? [])]))];
  }

  /** What a principal may see of cases. */
  visibilityOf(principal: Principal): CaseVisibility {
    return { all: principal.permissions.has('case:read_all'), queues: this.queuesOf(principal.teams), userId: principal.userId };
  }
}

/** Reads teams.yaml when present; a missing file means each team works the queue of its name. */
export function loadTeams(configDir: string): TeamDirectory {
  let text: string;
  try {
    text = readFileSync(join(configDir, 'teams.yaml'), 'utf8');
  } catch {
    return new TeamDirectory();
  }
  const parsed = parseYaml(text) as { teams?: Record<string, { queues?: unknown }> } | null;
  const map = new Map<string, string[]>();
  for (const [team, value] of Object.entries(parsed?.teams ?? {})) {
    const queues = value?.queues;
    if (!Array.isArray(queues) || !queues.every((q) => typeof q === 'string')) {
      throw new Error(`${join(configDir, 'teams.yaml')}: team '${team}' needs a list of queue names`);
    }
    map.set(team, queues);
  }
  return new TeamDirectory(map, true);
}
