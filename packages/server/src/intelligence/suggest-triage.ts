import { canonicalJson, personal, sha256Hex, type Json } from '@latch/core';
import { and, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import { batchedByTurn, sharedByTurn } from '../batch-by-turn.js';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { CaseRow } from '../cases/case-access.js';
import { subjectOf } from '../cases/create-case.js';
import { resultRows, type Database } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { cases, caseTriage } from '../db/schema.js';
import { caseTypeChoices, classifyRequest, InvalidSuggestion, validSuggestion } from './classify-request.js';
import { BUILTIN, providerFor } from './intelligence-config.js';
import type { Intelligence } from './intelligence-runtime.js';
import type { CaseTypeChoice, ClassifyRequest, IntelligenceProvider, Suggestion } from './provider.js';
import { readTriage, type StoredSuggestion, type TriageJob } from './triage-state.js';

export type FallbackReason = 'timeout' | 'error' | 'invalid';

/** Thousandths, rounded: the record holds integers only (canonical JSON refuses floats). */
export const permille = (x: number): number => Math.round(x * 1000);

/**
 * The queues cases are in (at most 200), read by skipping from one queue to the next along
 * cases_queue_status_idx: a few index probes per queue, where `select distinct` read every case.
 */
async function queuesInUse(database: Database): Promise<string[]> {
  const result = await database.db.execute<{ queue: string }>(sql`
    with recursive q(queue) as (
      (select queue from cases order by queue limit 1)
      union all
      select (select c.queue from cases c where c.queue > q.queue order by c.queue limit 1) from q where q.queue is not null
    )
    select queue from q where queue is not null limit 200`);
  return resultRows<{ queue: string }>(result).map((r) => r.queue);
}

/** What a triage job reads before asking, shared by the jobs running at once (batchedByTurn): a query each, not one per job. */
interface TriageReads {
  /** The case, while it awaits triage (else undefined), without its search vector. */
  readonly awaiting: (caseId: string) => Promise<CaseRow | undefined>;
  readonly queues: () => Promise<string[]>;
}

const readsOf = new WeakMap<Database, TriageReads>();

function triageReads(database: Database): TriageReads {
  let reads = readsOf.get(database);
  if (!reads) {
    const { search: _search, ...columns } = getTableColumns(cases);
    reads = {
      awaiting: batchedByTurn(async (ids: readonly string[]) => {
        const rows = await database.db
          .select(columns)
          .from(cases)
          .innerJoin(caseTriage, eq(caseTriage.caseId, cases.id))
          .where(and(inArray(cases.id, [...ids]), eq(caseTriage.state, 'awaiting')));
        return new Map(rows.map((row) => [row.id, { ...row, search: null }]));
      }),
      queues: sharedByTurn(() => queuesInUse(database)),
    };
    readsOf.set(database, reads);
  }
  return reads;
}

/**
 * The job behind a case awaiting triage: asks the provider configured for the case's type, with a
 * deadline; a timeout, an error or an answer outside the offered choices falls back to the built-in
 * model, and the fallback is recorded. Records `intelligence.suggested` by the intelligence actor,
 * which holds no permission: a suggestion changes nothing on the case.
 */
export async function suggestTriage(database: Database, caseTypes: CaseTypeRegistry, intelligence: Intelligence, job: TriageJob): Promise<'suggested' | 'nothing' | 'skipped'> {
  const reads = triageReads(database);
  const row = await reads.awaiting(job.caseId);
  if (!row) return 'skipped';
  const choices = caseTypeChoices(caseTypes, await reads.queues());
  const configured = providerFor(intelligence.config, row.typeKey);
  const provider = intelligence.providers.get(configured) ?? intelligence.builtin;

  const first = classifyRequest(intelligence.config, caseTypes, row, provider.id, choices);
  let answer = await ask(provider, first, choices, intelligence.config.timeoutMs);
  let request = first;
  let answeredBy = provider.id;
  let fallbackFrom: Record<string, Json> | undefined;
  if ('failed' in answer && provider.id !== BUILTIN) {
    fallbackFrom = { provider: provider.id, reason: answer.failed, inputSha256: sha256Hex(canonicalJson(first)), personalDataSent: first.personalData };
    request = classifyRequest(intelligence.config, caseTypes, row, BUILTIN, choices);
    answer = await ask(intelligence.builtin, request, choices, intelligence.config.timeoutMs);
    answeredBy = BUILTIN;
  }
  // The built-in model failing is a fault of this process (its database): the job is retried.
  if ('failed' in answer) throw new Error(`built-in model failed (${answer.failed})`);
  const suggestion = answer;
  // Below the threshold (or before any model): no suggestion, nothing recorded; the case waits for a person.
  // A fallback is recorded even then: the configured provider failed.
  if (suggestion.caseType === undefined && !fallbackFrom) return 'nothing';
  const inputSha256 = sha256Hex(canonicalJson(request));
  const output = {
    ...(suggestion.caseType !== undefined ? { caseType: suggestion.caseType } : {}),
    ...(suggestion.queue !== undefined ? { queue: suggestion.queue } : {}),
    ...(suggestion.priority !== undefined ? { priority: suggestion.priority } : {}),
    ...(suggestion.intent !== undefined ? { intent: suggestion.intent } : {}),
  };
  const explanation = suggestion.explanation.map((e) => ({ feature: e.feature, weightPermille: permille(e.weight) }));

  return database.write(async (tx): Promise<'suggested' | 'skipped'> => {
    const current = await readTriage(tx, row.id, true);
    if (current?.state !== 'awaiting') return 'skipped';
    const [event] = await appendEvents(
      tx,
      row.id,
      [
        {
          kind: 'intelligence.suggested',
          actor: { type: 'intelligence', id: answeredBy },
          data: {
            provider: answeredBy,
            model: { id: suggestion.model.id, version: suggestion.model.version },
            inputSha256,
            // Sent outside Latch: only to a provider other than the built-in model.
            personalDataSent: answeredBy !== BUILTIN && request.personalData,
            output,
            confidencePermille: permille(suggestion.confidence),
            // The words that weighed come from the requester's text: kept as personal data (erasable).
            ...(explanation.length > 0 ? { explanation: personal(explanation) } : {}),
            ...(fallbackFrom ? { fallbackFrom } : {}),
          },
        },
      ],
      { subject: subjectOf(row) },
    );
    const stored: StoredSuggestion = { provider: answeredBy, eventId: event!.id, ...output, confidencePermille: permille(suggestion.confidence) };
    await tx.update(caseTriage).set({ state: 'suggested', suggestion: stored, updatedAt: sql`now()` }).where(eq(caseTriage.caseId, row.id));
    return 'suggested';
  });
}

/** One provider's answer, validated, or why there is none. The deadline aborts the provider's work too. */
async function ask(provider: IntelligenceProvider, request: ClassifyRequest, choices: readonly CaseTypeChoice[], timeoutMs: number): Promise<Suggestion | { failed: FallbackReason }> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<{ failed: FallbackReason }>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ failed: 'timeout' });
    }, timeoutMs);
  });
  const answered = provider.suggest(request, controller.signal).then(
    (answer) => {
      try {
        return validSuggestion(answer, choices);
      } catch (error) {
        if (error instanceof InvalidSuggestion) return { failed: 'invalid' as const };
        throw error;
      }
    },
    () => ({ failed: controller.signal.aborted ? ('timeout' as const) : ('error' as const) }),
  );
  try {
    return await Promise.race([answered, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
