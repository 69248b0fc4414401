import {
  durationMillis,
  ForbiddenError,
  LatchError,
  personal,
  personalFields,
  priorityRank,
  uuidv7,
  ValidationError,
  type Actor,
  type CaseVisibility,
  type EventDraft,
  type Priority,
  type Principal,
  type SealedEvent,
} from '@latch/core';
import { and, eq, isNull, type SQLWrapper } from 'drizzle-orm';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import { requestCaseContext, type ContextSources } from '../context/request-context.js';
import { askForTriage, triageStart } from '../intelligence/triage-state.js';
import type { Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { cases, caseTriage, users } from '../db/schema.js';
import type { CaseRow } from './case-access.js';
import { recordedFields, validFields, validPartialFields } from './fields.js';

export interface NewCase {
  readonly type: string;
  readonly title: string;
  readonly description?: string | undefined;
  readonly priority?: Priority | undefined;
  readonly queue?: string | undefined;
  readonly assigneeId?: string | null | undefined;
  readonly requester?: { readonly email?: string | undefined; readonly name?: string | undefined } | undefined;
  readonly fields?: Record<string, unknown> | undefined;
  /** Intake: the type's required fields may be missing (filled in by a person later; see docs/intake.md). */
  readonly partialFields?: boolean | undefined;
}

/**
 * Events a caller records right after `case.created`, in the same append (one round trip), with the
 * rows that go with them (intake: `intake.received` and the message's row, by the sealed event's id).
 */
export type AlsoOnCreate = (row: { readonly id: string }) => {
  readonly events: readonly EventDraft[];
  readonly alongside?: (sealed: readonly SealedEvent[]) => SQLWrapper[];
};

/** The subject personal data on a case is about: its requester, by email, else the case itself. */
export function subjectOf(row: Pick<CaseRow, 'id' | 'requesterEmail'>): string {
  return row.requesterEmail ?? `case:${row.id}`;
}

/**
 * Opens a case under the newest version of its type, validating typed fields against the type's
 * schema, and records `case.created` in the same transaction. With the creator's `visibility`
 * (requests from people), a case they could not see afterwards is refused (QUEUE_NOT_OWNED)
 * rather than created and lost to them. With `context` (the deployment's scheduler and plugins),
 * the plugins that give context on the type are asked for it after commit, through the job queue:
 * every channel that opens cases (the API, intake) gets it here, and triage begins (intelligence/).
 */
export async function createCase(
  tx: Tx,
  registry: CaseTypeRegistry,
  principal: Principal,
  actor: Actor,
  input: NewCase,
  visibility?: CaseVisibility,
  context?: ContextSources,
  also?: AlsoOnCreate,
): Promise<CaseRow> {
  const type = registry.latest(input.type);
  const definition = type.definition;
  const staff = principal.permissions.has('case:update');
  if (!staff && (input.queue !== undefined || input.assigneeId !== undefined || input.requester !== undefined)) {
    throw new ForbiddenError('Only staff may set the queue, assignee or requester of a new case');
  }
  const fields = (input.partialFields ? validPartialFields : validFields)(type, input.fields ?? {});
  if (input.assigneeId) await assertActiveUser(tx, input.assigneeId);

  const requesterUser = staff ? undefined : (await tx.select().from(users).where(eq(users.id, principal.userId)))[0];
  const requesterEmail = (input.requester?.email ?? requesterUser?.email)?.trim().toLowerCase() ?? null;
  const requesterName = input.requester?.name?.trim() ?? requesterUser?.name ?? null;
  const now = new Date();
  const resolveWithin = definition.resolveWithin ? durationMillis(definition.resolveWithin) : undefined;
  const priority = input.priority ?? definition.defaultPriority;
  const row = {
    id: uuidv7(now.getTime()),
    typeKey: definition.key,
    typeVersion: definition.version,
    title: input.title.trim(),
    description: input.description ?? '',
    status: definition.initialStatus,
    priority,
    priorityRank: priorityRank(priority),
    queue: input.queue ?? definition.defaultQueue,
    assigneeId: input.assigneeId ?? null,
    requesterId: requesterUser?.id ?? null,
    requesterEmail,
    requesterName,
    fields,
    version: 1,
    createdAt: now,
    updatedAt: now,
    dueAt: resolveWithin === undefined ? null : new Date(now.getTime() + resolveWithin),
  };
  if (row.title === '') throw new ValidationError('title must not be blank', { field: 'title' });
  if (visibility && !visibility.all && !visibility.queues.includes(row.queue) && row.assigneeId !== principal.userId && row.requesterId !== principal.userId) {
    throw new LatchError('QUEUE_NOT_OWNED', `None of your teams works the queue '${row.queue}': assign the case to yourself, or choose one of your queues`, {
      queue: row.queue,
      yourQueues: visibility.queues,
    });
  }
  const more = also?.(row);
  // Opened by intake, a requester or a script: the case awaits triage, and a suggestion is asked for after commit.
  const triage = context ? triageStart(principal, actor, row) : undefined;
  await appendEvents(
    tx,
    row.id,
    [
      {
        kind: 'case.created',
        actor,
        data: {
          type: row.typeKey,
          typeVersion: row.typeVersion,
          title: personal(row.title),
          ...(row.description ? { description: personal(row.description) } : {}),
          status: row.status,
          priority: row.priority,
          queue: row.queue,
          assigneeId: row.assigneeId,
          requester: {
            userId: row.requesterId,
            email: requesterEmail === null ? null : personal(requesterEmail),
            name: requesterName === null ? null : personal(requesterName),
          },
          fields: recordedFields(fields, personalFields(definition)),
          dueAt: row.dueAt?.toISOString() ?? null,
        },
      },
      ...(more?.events ?? []),
    ],
    {
      subject: subjectOf(row),
      newStream: true,
      alongside: (sealed) => [tx.insert(cases).values(row), ...(triage ? [tx.insert(caseTriage).values(triage)] : []), ...(more?.alongside?.(sealed) ?? [])],
    },
  );
  if (context) await requestCaseContext(tx, context, row);
  if (context && triage?.state === 'awaiting') await askForTriage(tx, context.scheduler, row.id);
  return { ...row, search: null };
}

/** Refuses an assignee that doesn't exist or is disabled. */
export async function assertActiveUser(tx: Tx, userId: string): Promise<void> {
  const [user] = await tx.select({ id: users.id }).from(users).where(and(eq(users.id, userId), isNull(users.disabledAt)));
  if (!user) throw new ValidationError('assigneeId is not an active user', { field: 'assigneeId' });
}
