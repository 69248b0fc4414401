import { collectCommitments, revealPersonalData, type CaseVisibility, type EventBody, type Json } from '@latch/core';
import { eq, inArray } from 'drizzle-orm';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import { loadVisibleCase } from '../cases/case-access.js';
import type { Queryable } from '../db/database.js';
import { events, personalData } from '../db/schema.js';
import { rulesThatApply, type ApplicableRule } from './rule-that-applies.js';
import { similarCases, type SimilarCase } from './similar-cases.js';
import { readTriage, type TriageDecision, type TriageState } from './triage-state.js';

export interface PresentedSuggestion {
  readonly eventId: string;
  readonly at: string;
  readonly provider: string;
  readonly model: { id: string; version: string };
  readonly caseType: string | null;
  readonly queue: string | null;
  readonly priority: string | null;
  readonly confidence: number;
  /** The words that weighed most; empty once erased with the requester's data. */
  readonly explanation: { feature: string; weight: number }[];
  readonly fallbackFrom: { provider: string; reason: string } | null;
  readonly personalDataSent: boolean;
}

export interface CaseIntelligence {
  readonly state: TriageState | 'none';
  readonly suggestion: PresentedSuggestion | null;
  readonly decision: TriageDecision | null;
  /** For the suggested type (else the case's own): each action and what it would require. */
  readonly rules: { readonly caseType: string; readonly actions: ApplicableRule[] };
  readonly similar: SimilarCase[];
}

interface SuggestedData {
  provider: string;
  model: { id: string; version: string };
  output: { caseType?: string; queue?: string; priority?: string };
  confidencePermille: number;
  explanation?: Json;
  fallbackFrom?: { provider: string; reason: string };
  personalDataSent: boolean;
}

/** The triage panel of a case the reader may see (404 otherwise): suggestion, decision, the rule that applies, similar cases. */
export async function readCaseIntelligence(db: Queryable, registry: CaseTypeRegistry, visibility: CaseVisibility, caseId: string, readerId: string): Promise<CaseIntelligence> {
  const row = await loadVisibleCase(db, caseId, visibility);
  const triage = await readTriage(db, caseId);
  const suggestion = triage?.suggestion ? await readSuggestion(db, triage.suggestion.eventId) : null;
  const ruleType = suggestion?.caseType ?? row.typeKey;
  return {
    state: triage?.state ?? 'none',
    suggestion,
    decision: triage?.decision ?? null,
    rules: { caseType: ruleType, actions: await rulesThatApply(db, registry, row, ruleType, readerId) },
    similar: await similarCases(db, registry, visibility, row),
  };
}

async function readSuggestion(db: Queryable, eventId: string): Promise<PresentedSuggestion | null> {
  const [event] = await db.select({ bytes: events.bytes }).from(events).where(eq(events.id, eventId));
  if (!event) return null;
  const body = JSON.parse(event.bytes) as EventBody;
  const commitments = collectCommitments(body.data);
  const disclosed = new Map<string, Json>();
  if (commitments.length > 0) for (const p of await db.select().from(personalData).where(inArray(personalData.commitment, commitments))) disclosed.set(p.commitment, JSON.parse(p.value) as Json);
  const data = revealPersonalData(body.data, disclosed) as unknown as SuggestedData;
  const explanation = Array.isArray(data.explanation) ? (data.explanation as { feature: string; weightPermille: number }[]).map((e) => ({ feature: e.feature, weight: e.weightPermille / 1000 })) : [];
  return {
    eventId,
    at: body.at,
    provider: data.provider,
    model: data.model,
    caseType: data.output.caseType ?? null,
    queue: data.output.queue ?? null,
    priority: data.output.priority ?? null,
    confidence: data.confidencePermille / 1000,
    explanation,
    fallbackFrom: data.fallbackFrom ? { provider: data.fallbackFrom.provider, reason: data.fallbackFrom.reason } : null,
    personalDataSent: data.personalDataSent,
  };
}
