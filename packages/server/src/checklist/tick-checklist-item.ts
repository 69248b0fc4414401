import { LatchError, NotFoundError, personal, type Actor, type CaseVisibility } from '@latch/core';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import { loadVisibleCase } from '../cases/case-access.js';
import { subjectOf } from '../cases/create-case.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { CHECKLIST_TICKED, presentChecklist, readChecklist } from './read-checklist.js';

/**
 * Ticks one checklist item of a visible case: `case.checklist_ticked {item, label, note}` with the
 * note as personal data (the operator's own words, often naming the person called). An item that
 * already holds a tick is refused (`CHECKLIST_ITEM_ALREADY_TICKED`); one voided by a field change
 * since may be ticked again. Answers the checklist as it now stands.
 */
export async function tickChecklistItem(tx: Tx, registry: CaseTypeRegistry, visibility: CaseVisibility, actor: Actor, caseId: string, key: string, note: string) {
  // The case row before its stream head (the lock order): ticks of one case apply one at a time.
  const target = await loadVisibleCase(tx, caseId, visibility, true);
  const definition = registry.get(target.typeKey, target.typeVersion).definition;
  const item = definition.checklist?.find((i) => i.key === key);
  if (!item) throw new NotFoundError(`Checklist item '${key}' of case type ${definition.key} v${definition.version}`);
  const before = await readChecklist(tx, caseId, definition);
  const held = before.ticks.find((t) => t.key === key);
  if (held) throw new LatchError('CHECKLIST_ITEM_ALREADY_TICKED', `'${item.label}' is already ticked`, { eventId: held.eventId, at: held.at });
  await appendEvents(tx, caseId, [{ kind: CHECKLIST_TICKED, actor, data: { item: key, label: item.label, note: personal(note) } }], { subject: subjectOf(target) });
  return presentChecklist(definition, await readChecklist(tx, caseId, definition));
}
