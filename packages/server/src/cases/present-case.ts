import { allowedTransitions } from '@latch/core';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { CaseRow } from './case-access.js';

/** The public shape of a case. */
export function presentCase(row: CaseRow) {
  return {
    id: row.id,
    type: row.typeKey,
    typeVersion: row.typeVersion,
    title: row.title,
    description: row.description,
    status: row.status,
    priority: row.priority,
    queue: row.queue,
    assigneeId: row.assigneeId,
    requester: { userId: row.requesterId, email: row.requesterEmail, name: row.requesterName },
    fields: row.fields as Record<string, unknown>,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    dueAt: row.dueAt?.toISOString() ?? null,
  };
}

/** A case with what a reader needs next: where its status may go. */
export function presentCaseDetail(row: CaseRow, registry: CaseTypeRegistry) {
  return { ...presentCase(row), allowedTransitions: allowedTransitions(registry.get(row.typeKey, row.typeVersion).definition, row.status) };
}
