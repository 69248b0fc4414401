import { ConflictError, LatchError, ValidationError, type Actor, type CaseVisibility, type Priority } from '@latch/core';
import { eq, sql } from 'drizzle-orm';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import { loadVisibleCase, type CaseRow } from '../cases/case-access.js';
import { subjectOf } from '../cases/create-case.js';
import { updateCase } from '../cases/update-case.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { caseTriage } from '../db/schema.js';
import { changeCaseType } from './change-case-type.js';
import { DECIDED_STATES, readTriage, type TriageDecision } from './triage-state.js';

/** An operator's decision: accept the suggestion as it is, or choose otherwise (what is not named stays as the case has it). */
export type TriageChoice =
  | { readonly decision: 'accept'; readonly version: number; readonly reason?: string | undefined }
  | {
      readonly decision: 'override';
      readonly version: number;
      readonly caseType?: string | undefined;
      readonly queue?: string | undefined;
      readonly priority?: Priority | undefined;
      readonly reason?: string | undefined;
    };

/**
 * Applies a triage decision to a case at the version the operator saw, through the ordinary paths
 * (a type change as `case.type_changed`, queue and priority as `field.changed`), and records
 * `intelligence.accepted` or `intelligence.overridden` with what was suggested and what was chosen.
 * A case already triaged is TRIAGE_ALREADY_DECIDED; accepting with no suggestion is NO_SUGGESTION.
 */
export async function decideTriage(tx: Tx, registry: CaseTypeRegistry, visibility: CaseVisibility, actor: Actor, caseId: string, choice: TriageChoice): Promise<CaseRow> {
  let current = await loadVisibleCase(tx, caseId, visibility, true);
  if (current.version !== choice.version) {
    throw new ConflictError('VERSION_CONFLICT', `The case changed since version ${choice.version}; it is now at version ${current.version}`, { currentVersion: current.version });
  }
  const triage = await readTriage(tx, caseId, true);
  if (triage && DECIDED_STATES.includes(triage.state)) {
    throw new LatchError('TRIAGE_ALREADY_DECIDED', `This case was already triaged (${triage.state})`, { state: triage.state });
  }
  const suggestion = triage?.suggestion ?? null;
  let chosen: TriageDecision;
  if (choice.decision === 'accept') {
    if (!suggestion?.caseType) throw new LatchError('NO_SUGGESTION', 'There is no suggestion to accept: choose the type, queue and priority instead (override)');
    chosen = { caseType: suggestion.caseType, queue: suggestion.queue ?? current.queue, priority: suggestion.priority ?? current.priority, ...(suggestion.intent ? { intent: suggestion.intent } : {}) };
  } else {
    if (choice.caseType === undefined && choice.queue === undefined && choice.priority === undefined && suggestion?.caseType) {
      throw new ValidationError('An override names the type, queue or priority chosen instead', { field: 'caseType' });
    }
    chosen = { caseType: choice.caseType ?? current.typeKey, queue: choice.queue ?? current.queue, priority: choice.priority ?? current.priority };
  }
  const reason = choice.reason;
  if (chosen.caseType !== current.typeKey) current = await changeCaseType(tx, registry, current, chosen.caseType, actor, reason);
  current = await updateCase(tx, registry, visibility, actor, caseId, current.version, { queue: chosen.queue, priority: chosen.priority as Priority, reason });
  const suggested = suggestion
    ? { caseType: suggestion.caseType ?? null, queue: suggestion.queue ?? null, priority: suggestion.priority ?? null }
    : null;
  await appendEvents(
    tx,
    caseId,
    [
      {
        kind: choice.decision === 'accept' ? 'intelligence.accepted' : 'intelligence.overridden',
        actor,
        data: {
          ...(suggestion ? { suggestionEventId: suggestion.eventId, provider: suggestion.provider } : {}),
          suggested,
          chosen: { caseType: chosen.caseType, queue: chosen.queue, priority: chosen.priority },
        },
        ...(reason === undefined ? {} : { reason }),
      },
    ],
    { subject: subjectOf(current) },
  );
  const state = choice.decision === 'accept' ? 'accepted' : 'overridden';
  const values = { state, decision: chosen, decidedAt: new Date() };
  if (triage) await tx.update(caseTriage).set({ ...values, updatedAt: sql`now()` }).where(eq(caseTriage.caseId, caseId));
  else await tx.insert(caseTriage).values({ caseId, ...values });
  return current;
}
