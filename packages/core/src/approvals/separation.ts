import type { SeparationRules } from '../policy/separation.js';

/**
 * What the server knows about the case and the proposer, for a step's separation rules. Editors are
 * user ids (a token's edits count as its user's); the creator of a case counts as the editor of
 * every field it was opened with, because typing a value in the form supplies it just as an edit does.
 */
export interface CaseFacts {
  readonly requesterId: string | null;
  readonly assigneeId: string | null;
  /** Case field name → the users who set or changed it. */
  readonly fieldEditors: Readonly<Record<string, readonly string[]>>;
  /** The proposer's teams now. */
  readonly proposerTeams: readonly string[];
}

export type SeparationCode = 'SOD_REQUESTER' | 'SOD_ASSIGNEE' | 'SOD_FIELD_EDITOR' | 'SOD_SAME_TEAM';

/** One rule a person fails, with what makes them fail it. */
export interface SeparationFailure {
  readonly code: SeparationCode;
  readonly rule: 'notRequester' | 'notAssignee' | 'notEditorsOf' | 'differentTeamFromProposer';
  readonly userId: string;
  /** notEditorsOf: the fields they edited. */
  readonly fields?: readonly string[];
  /** differentTeamFromProposer: the teams they share with the proposer. */
  readonly teams?: readonly string[];
}

/** A person whose part in the case the rules look at. */
export interface Party {
  readonly userId: string;
  readonly teams: readonly string[];
}

/** Every rule of `rules` that `person` fails on this case, in declaration order; empty means none. */
export function separationFailures(rules: SeparationRules | undefined, person: Party, facts: CaseFacts): SeparationFailure[] {
  if (!rules) return [];
  const failures: SeparationFailure[] = [];
  const { userId } = person;
  if (rules.notRequester && facts.requesterId === userId) failures.push({ code: 'SOD_REQUESTER', rule: 'notRequester', userId });
  if (rules.notAssignee && facts.assigneeId === userId) failures.push({ code: 'SOD_ASSIGNEE', rule: 'notAssignee', userId });
  const edited = rules.notEditorsOf.filter((field) => (facts.fieldEditors[field] ?? []).includes(userId));
  if (edited.length > 0) failures.push({ code: 'SOD_FIELD_EDITOR', rule: 'notEditorsOf', userId, fields: edited });
  const shared = rules.differentTeamFromProposer ? person.teams.filter((team) => facts.proposerTeams.includes(team)) : [];
  if (shared.length > 0) failures.push({ code: 'SOD_SAME_TEAM', rule: 'differentTeamFromProposer', userId, teams: shared });
  return failures;
}

/** A short clause for a failure, for sentences like "Sam can't: they edited payment_intent". */
export function describeFailure(failure: SeparationFailure): string {
  switch (failure.code) {
    case 'SOD_REQUESTER':
      return 'they requested the case';
    case 'SOD_ASSIGNEE':
      return 'they are assigned the case';
    case 'SOD_FIELD_EDITOR':
      return `they edited ${(failure.fields ?? []).join(' and ')}`;
    case 'SOD_SAME_TEAM':
      return `they share team ${(failure.teams ?? []).join(', ')} with the proposer`;
  }
}
