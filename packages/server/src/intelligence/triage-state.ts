import type { Actor, Principal } from '@latch/core';
import { eq } from 'drizzle-orm';
import type { Scheduler } from '../approvals/scheduler.js';
import type { Queryable, Tx } from '../db/database.js';
import { caseTriage } from '../db/schema.js';

/** Where a case stands in triage (case_triage.state). */
export type TriageState = 'awaiting' | 'suggested' | 'accepted' | 'overridden' | 'confirmed';
/** States in which a person settled the type, queue and priority: the built-in model's labels. */
export const DECIDED_STATES: readonly TriageState[] = ['accepted', 'overridden', 'confirmed'];

/** What was settled for a case. */
export interface TriageDecision {
  readonly caseType: string;
  readonly queue: string;
  readonly priority: string;
  readonly intent?: string;
}

/** The newest suggestion's labels, kept beside the case for the queue filter, decisions and accuracy. */
export interface StoredSuggestion {
  readonly provider: string;
  readonly eventId: string;
  readonly caseType?: string;
  readonly queue?: string;
  readonly priority?: string;
  readonly intent?: string;
  readonly confidencePermille: number;
}

export const TRIAGE_QUEUE = 'intelligence-triage';
/** One waiting ask per case (a `short` queue); a provider failing is handled inside the job, so few retries. */
export const TRIAGE_QUEUE_OPTIONS = { policy: 'short', retryLimit: 2, retryBackoff: true, expireInSeconds: 300 } as const;

export interface TriageJob {
  readonly caseId: string;
}

/**
 * Where a new case starts in triage, written by createCase with the case itself (one statement). A
 * person with case:update who chose the type has triaged it (`confirmed`, a training example); a case
 * opened by intake, a requester or a script is `awaiting`, and askForTriage asks for a suggestion.
 */
export function triageStart(
  principal: Principal,
  actor: Actor,
  row: { readonly id: string; readonly typeKey: string; readonly queue: string; readonly priority: string },
): typeof caseTriage.$inferInsert {
  const confirmed = actor.type === 'user' && principal.permissions.has('case:update');
  return confirmed
    ? { caseId: row.id, state: 'confirmed', decision: { caseType: row.typeKey, queue: row.queue, priority: row.priority }, decidedAt: new Date() }
    : { caseId: row.id, state: 'awaiting' };
}

/** Asks for a suggestion for a case awaiting triage: a job, run after the transaction commits. */
export async function askForTriage(tx: Tx, scheduler: Scheduler, caseId: string): Promise<void> {
  await scheduler.schedule(tx, TRIAGE_QUEUE, { caseId } satisfies TriageJob, new Date(), { singletonKey: caseId });
}

export interface TriageRow {
  readonly state: TriageState;
  readonly suggestion: StoredSuggestion | null;
  readonly decision: TriageDecision | null;
  readonly decidedAt: Date | null;
}

/** A case's triage row (undefined for cases opened before triage existed). */
export async function readTriage(db: Queryable, caseId: string, forUpdate = false): Promise<TriageRow | undefined> {
  const query = db.select().from(caseTriage).where(eq(caseTriage.caseId, caseId));
  const [row] = forUpdate ? await query.for('update') : await query;
  if (!row) return undefined;
  return { state: row.state as TriageState, suggestion: row.suggestion as StoredSuggestion | null, decision: row.decision as TriageDecision | null, decidedAt: row.decidedAt };
}
