import { inArray, isNotNull, and } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { caseTriage } from '../db/schema.js';
import type { StoredSuggestion, TriageDecision } from './triage-state.js';

export interface TargetAccuracy {
  /** Decisions where the provider suggested this part. */
  readonly suggested: number;
  /** Of those, how many the operator kept. */
  readonly correct: number;
  readonly accuracy: number | null;
}

export interface ProviderAccuracy {
  readonly provider: string;
  readonly decisions: number;
  readonly accepted: number;
  readonly overridden: number;
  readonly caseType: TargetAccuracy;
  readonly queue: TargetAccuracy;
  readonly priority: TargetAccuracy;
}

/** Each provider's running accuracy against operators' decisions on the suggestions it made. */
export async function providerAccuracy(db: Queryable): Promise<ProviderAccuracy[]> {
  const rows = await db
    .select({ state: caseTriage.state, suggestion: caseTriage.suggestion, decision: caseTriage.decision })
    .from(caseTriage)
    .where(and(inArray(caseTriage.state, ['accepted', 'overridden']), isNotNull(caseTriage.suggestion)));
  const byProvider = new Map<string, { decisions: number; accepted: number; counts: Record<'caseType' | 'queue' | 'priority', [number, number]> }>();
  for (const row of rows) {
    const suggestion = row.suggestion as StoredSuggestion;
    const decision = row.decision as TriageDecision | null;
    if (!decision) continue;
    const entry = byProvider.get(suggestion.provider) ?? { decisions: 0, accepted: 0, counts: { caseType: [0, 0], queue: [0, 0], priority: [0, 0] } };
    entry.decisions += 1;
    if (row.state === 'accepted') entry.accepted += 1;
    for (const target of ['caseType', 'queue', 'priority'] as const) {
      if (suggestion[target] === undefined) continue;
      entry.counts[target][0] += 1;
      if (suggestion[target] === decision[target]) entry.counts[target][1] += 1;
    }
    byProvider.set(suggestion.provider, entry);
  }
  const target = ([suggested, correct]: [number, number]): TargetAccuracy => ({ suggested, correct, accuracy: suggested === 0 ? null : correct / suggested });
  return [...byProvider].sort(([a], [b]) => a.localeCompare(b)).map(([provider, e]) => ({
    provider,
    decisions: e.decisions,
    accepted: e.accepted,
    overridden: e.decisions - e.accepted,
    caseType: target(e.counts.caseType),
    queue: target(e.counts.queue),
    priority: target(e.counts.priority),
  }));
}
