import {
  assertTransition,
  ConflictError,
  personal,
  personalFields,
  priorityRank,
  type Actor,
  type CaseVisibility,
  type EventDraft,
  type Json,
  type Priority,
} from '@latch/core';
import { eq } from 'drizzle-orm';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { cases } from '../db/schema.js';
import { loadVisibleCase, type CaseRow } from './case-access.js';
import { assertActiveUser, subjectOf } from './create-case.js';
import { validFields } from './fields.js';

export interface CaseChanges {
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly priority?: Priority | undefined;
  readonly queue?: string | undefined;
  readonly assigneeId?: string | null | undefined;
  readonly status?: string | undefined;
  /** A JSON merge patch (RFC 7386) of the typed fields: null removes a field. */
  readonly fields?: Record<string, unknown> | undefined;
  readonly reason?: string | undefined;
}

/**
 * Applies changes to a case at the version the client saw. A stale version is a VERSION_CONFLICT,
 * never an overwrite. Records `field.changed` (old and new values) and `status.changed`.
 */
export async function updateCase(
  tx: Tx,
  registry: CaseTypeRegistry,
  visibility: CaseVisibility,
  actor: Actor,
  id: string,
  expectedVersion: number,
  changes: CaseChanges,
): Promise<CaseRow> {
  const current = await loadVisibleCase(tx, id, visibility, true);
  if (current.version !== expectedVersion) {
    throw new ConflictError('VERSION_CONFLICT', `The case changed since version ${expectedVersion}; it is now at version ${current.version}`, {
      currentVersion: current.version,
    });
  }
  const type = registry.get(current.typeKey, current.typeVersion);
  const personalFieldNames = personalFields(type.definition);
  const set: Partial<typeof cases.$inferInsert> = {};
  const fieldChanges: { field: string; old: unknown; new: unknown }[] = [];
  const note = (field: string, old: unknown, value: unknown, isPersonal = false) =>
    fieldChanges.push({ field, old: isPersonal && old != null ? personal(old as Json) : old, new: isPersonal && value != null ? personal(value as Json) : value });

  if (changes.title !== undefined && changes.title.trim() !== current.title) {
    set.title = changes.title.trim();
    note('title', current.title, set.title, true);
  }
  if (changes.description !== undefined && changes.description !== current.description) {
    set.description = changes.description;
    note('description', current.description, set.description, true);
  }
  if (changes.priority !== undefined && changes.priority !== current.priority) {
    set.priority = changes.priority;
    set.priorityRank = priorityRank(changes.priority);
    note('priority', current.priority, changes.priority);
  }
  if (changes.queue !== undefined && changes.queue !== current.queue) {
    set.queue = changes.queue;
    note('queue', current.queue, changes.queue);
  }
  if (changes.assigneeId !== undefined && changes.assigneeId !== current.assigneeId) {
    if (changes.assigneeId !== null) await assertActiveUser(tx, changes.assigneeId);
    set.assigneeId = changes.assigneeId;
    note('assigneeId', current.assigneeId, changes.assigneeId);
  }
  if (changes.fields !== undefined) {
    const old = current.fields as Record<string, Json>;
    const merged: Record<string, unknown> = { ...old };
    for (const [key, value] of Object.entries(changes.fields)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    const valid = validFields(type, merged);
    for (const key of new Set([...Object.keys(old), ...Object.keys(valid)])) {
      if (JSON.stringify(old[key]) !== JSON.stringify(valid[key])) note(`fields.${key}`, old[key] ?? null, valid[key] ?? null, personalFieldNames.has(key));
    }
    if (fieldChanges.some((c) => c.field.startsWith('fields.'))) set.fields = valid;
  }
  const drafts: EventDraft[] = [];
  const reason = changes.reason === undefined ? {} : { reason: changes.reason };
  if (fieldChanges.length > 0) drafts.push({ kind: 'field.changed', actor, data: { changes: fieldChanges }, ...reason });
  if (changes.status !== undefined && changes.status !== current.status) {
    assertTransition(type.definition, current.status, changes.status);
    set.status = changes.status;
    drafts.push({ kind: 'status.changed', actor, data: { from: current.status, to: changes.status }, ...reason });
  }
  if (drafts.length === 0) return current;

  const [updated] = await tx
    .update(cases)
    .set({ ...set, version: current.version + 1, updatedAt: new Date() })
    .where(eq(cases.id, id))
    .returning();
  await appendEvents(tx, id, drafts, { subject: subjectOf(current) });
  return updated!;
}
