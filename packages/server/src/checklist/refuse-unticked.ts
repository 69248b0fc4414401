import { LatchError, missingChecklistItems, type CaseTypeDefinition } from '@latch/core';
import type { Queryable } from '../db/database.js';
import { readChecklist } from './read-checklist.js';

/** Why `plugin.action` can't be proposed on the case yet: the checklist items it needs and lacks; null when none. */
export async function checklistBlock(db: Queryable, caseId: string, definition: CaseTypeDefinition, plugin: string, action: string) {
  if (!definition.checklist?.some((item) => item.requiredBefore?.includes(`${plugin}.${action}`))) return null;
  const missing = missingChecklistItems(definition, plugin, action, (await readChecklist(db, caseId, definition)).ticks);
  if (missing.length === 0) return null;
  return {
    code: 'CHECKLIST_INCOMPLETE' as const,
    items: missing.map((m) => ({ key: m.key, label: m.label })),
    message: `Tick ${missing.map((m) => `'${m.label}'`).join(' and ')} first`,
  };
}

/** Refuses a proposal whose required checklist items are not ticked (409 `CHECKLIST_INCOMPLETE`, recorded as a refusal). */
export async function refuseUntickedChecklist(db: Queryable, caseId: string, definition: CaseTypeDefinition, plugin: string, action: string): Promise<void> {
  const block = await checklistBlock(db, caseId, definition, plugin, action);
  if (block) throw new LatchError('CHECKLIST_INCOMPLETE', `${plugin}.${action} needs its checklist: ${block.message}`, { items: block.items });
}
