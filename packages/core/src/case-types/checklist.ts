import type { CaseTypeDefinition } from './definition.js';

/**
 * One item of a case type's checklist: a step a person must confirm by hand (a call-back on the
 * number on file, an ID check) before the actions it names may be proposed.
 */
export interface ChecklistItem {
  readonly key: string;
  readonly label: string;
  /** Actions (`plugin.action`) that can't be proposed until the item is ticked. */
  readonly requiredBefore?: readonly string[];
  /** Case fields whose change after the tick voids it: a call-back confirms one IBAN, not the next. */
  readonly resetWhenChanged?: readonly string[];
}

/** A tick as the record holds it: who, when, which event. */
export interface ChecklistTick {
  readonly key: string;
  readonly by: string | null;
  readonly at: string;
  readonly eventId: string;
  readonly seq: number;
}

/** References a checklist makes that the case type can't honour: unknown actions or fields, duplicate keys. */
export function checklistProblems(definition: CaseTypeDefinition): string[] {
  const items = definition.checklist ?? [];
  const problems: string[] = [];
  const keys = new Set(items.map((i) => i.key));
  if (keys.size !== items.length) problems.push('checklist item keys must be unique');
  const actions = new Set((definition.actions ?? []).map((a) => `${a.plugin}.${a.action}`));
  const fields = new Set(Object.keys((definition.fields as { properties?: Record<string, unknown> }).properties ?? {}));
  for (const item of items) {
    for (const ref of item.requiredBefore ?? []) {
      if (!actions.has(ref)) problems.push(`checklist item '${item.key}': requiredBefore names '${ref}', which is not an action of this case type (${[...actions].join(', ') || 'none'})`);
    }
    for (const field of item.resetWhenChanged ?? []) {
      if (!fields.has(field)) problems.push(`checklist item '${item.key}': resetWhenChanged names '${field}', which is not a field of this case type`);
    }
  }
  return problems;
}

/** The items that must be ticked before `plugin.action` may be proposed and are not (ticks: the valid ones). */
export function missingChecklistItems(definition: CaseTypeDefinition, plugin: string, action: string, ticks: readonly ChecklistTick[]): ChecklistItem[] {
  const ticked = new Set(ticks.map((t) => t.key));
  return (definition.checklist ?? []).filter((item) => (item.requiredBefore ?? []).includes(`${plugin}.${action}`) && !ticked.has(item.key));
}
