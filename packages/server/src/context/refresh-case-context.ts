import { LatchError, type Actor, type CaseVisibility } from '@latch/core';
import { loadVisibleCase } from '../cases/case-access.js';
import { subjectOf } from '../cases/create-case.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { requestCaseContext, type ContextSources } from './request-context.js';

/**
 * Asks every plugin that gives context on the case's type again, after commit, through the job
 * queue; records who asked (`case.context_requested`). Refused with CONTEXT_NOT_OFFERED when no
 * configured plugin gives context on this type.
 */
export async function refreshCaseContext(tx: Tx, sources: ContextSources, visibility: CaseVisibility, actor: Actor, caseId: string): Promise<string[]> {
  const row = await loadVisibleCase(tx, caseId, visibility);
  const plugins = await requestCaseContext(tx, sources, row);
  if (plugins.length === 0) throw new LatchError('CONTEXT_NOT_OFFERED', `No plugin of this deployment gives context on ${row.typeKey} cases`, { caseType: row.typeKey });
  await appendEvents(tx, row.id, [{ kind: 'case.context_requested', actor, data: { plugins } }], { subject: subjectOf(row) });
  return plugins;
}
