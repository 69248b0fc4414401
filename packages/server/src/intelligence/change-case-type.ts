import { personalFields, type Actor } from '@latch/core';
import { eq, sql } from 'drizzle-orm';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { CaseRow } from '../cases/case-access.js';
import { subjectOf } from '../cases/create-case.js';
import { recordedFields, validPartialFields } from '../cases/fields.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { cases } from '../db/schema.js';

/**
 * Moves a locked case to the newest version of another type, recorded as `case.type_changed`
 * {from, to, status}. Its fields must fit the new type (a required field may still be missing, as
 * for intake); a status the new type doesn't have becomes the new type's initial status.
 */
export async function changeCaseType(tx: Tx, registry: CaseTypeRegistry, current: CaseRow, typeKey: string, actor: Actor, reason?: string): Promise<CaseRow> {
  const type = registry.latest(typeKey);
  const definition = type.definition;
  const fields = validPartialFields(type, current.fields as Record<string, unknown>);
  const status = definition.statuses.some((s) => s.key === current.status) ? current.status : definition.initialStatus;
  const [updated] = await tx
    .update(cases)
    .set({ typeKey: definition.key, typeVersion: definition.version, status, fields, version: current.version + 1, updatedAt: sql`now()` })
    .where(eq(cases.id, current.id))
    .returning();
  await appendEvents(
    tx,
    current.id,
    [
      {
        kind: 'case.type_changed',
        actor,
        data: {
          from: { type: current.typeKey, version: current.typeVersion },
          to: { type: definition.key, version: definition.version },
          ...(status !== current.status ? { status: { from: current.status, to: status } } : {}),
          fields: recordedFields(fields, personalFields(definition)),
        },
        ...(reason === undefined ? {} : { reason }),
      },
    ],
    { subject: subjectOf(current) },
  );
  return updated!;
}
