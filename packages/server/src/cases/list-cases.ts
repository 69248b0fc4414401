import { LatchError, type CaseVisibility, type Priority } from '@latch/core';
import { and, asc, desc, eq, getTableColumns, gt, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { Queryable } from '../db/database.js';
import { actionRequests, cases, caseTriage } from '../db/schema.js';
import { visibleCases, type CaseRow } from './case-access.js';

export type CaseSort = '-created' | 'created' | 'priority';

/** `overdue`: open and past its due time; `at_risk`: open, not yet due, with less than a fifth of its time left. */
export type SlaState = 'overdue' | 'at_risk';

/** What narrows a listing (and its count): the same filters for both, so they can't disagree. */
export interface CaseFilters {
  readonly status?: readonly string[] | undefined;
  readonly type?: readonly string[] | undefined;
  readonly queue?: readonly string[] | undefined;
  readonly priority?: readonly Priority[] | undefined;
  /** A user id, or null for unassigned cases. */
  readonly assigneeId?: string | null | undefined;
  readonly text?: string | undefined;
  readonly sla?: SlaState | undefined;
  /** `approval`: cases with an action awaiting approval; `triage`: cases no person has triaged yet. */
  readonly awaiting?: 'approval' | 'triage' | undefined;
  /** `type:status` of every final status: a case in one is no longer held to its due time. */
  readonly finalStatuses?: readonly string[] | undefined;
}

export interface CaseQuery extends CaseFilters {
  readonly sort: CaseSort;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

type Position = [number, string] | [string];

/** A listed case, with whether an action on it awaits approval (the queue shows and filters on it). */
export type ListedCase = CaseRow & { readonly awaitingApproval: boolean };

// An action of the case waits for a decision: the list's flag and its `awaiting=approval` filter.
// Spelled out qualified: Drizzle leaves column names unqualified in a single-table select list, where
// `id` would be the action's.
const awaitingApproval = sql<boolean>`exists (select 1 from ${actionRequests} where ${sql.raw('"action_requests"."case_id" = "cases"."id"')} and ${sql.raw('"action_requests"."status"')} = 'awaiting_approval')`;

// No person has triaged the case yet (intelligence/triage-state.ts): waiting for a suggestion, or for a decision on one.
const awaitingTriage = sql<boolean>`exists (select 1 from ${caseTriage} where ${sql.raw('"case_triage"."case_id" = "cases"."id"')} and ${sql.raw('"case_triage"."state"')} in ('awaiting', 'suggested'))`;

/** Lists visible cases, filtered, in a stable order, one page at a time. */
export async function listCases(db: Queryable, visibility: CaseVisibility, query: CaseQuery): Promise<{ items: ListedCase[]; nextCursor: string | null }> {
  const conditions = caseConditions(visibility, query);
  if (query.cursor !== undefined) conditions.push(after(query.sort, decodeCursor(query.cursor, query.sort)));

  const order =
    query.sort === 'priority' ? [asc(cases.priorityRank), asc(cases.id)] : query.sort === 'created' ? [asc(cases.id)] : [desc(cases.id)];
  const rows = await db
    .select({ ...getTableColumns(cases), awaitingApproval })
    .from(cases)
    .where(and(...conditions))
    .orderBy(...order)
    .limit(query.limit + 1);
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1];
  const nextCursor = rows.length > query.limit && last ? encodeCursor(query.sort === 'priority' ? [last.priorityRank, last.id] : [last.id]) : null;
  return { items, nextCursor };
}

/** Counting stops here: past it the console says "10,000+", and 100,000 visible cases cost no more than 10,001. */
export const COUNT_CAP = 10_000;

/** How many visible cases match the filters, exactly up to `cap`; `more` when there are more than that. */
export async function countCases(db: Queryable, visibility: CaseVisibility, filters: CaseFilters, cap = COUNT_CAP): Promise<{ count: number; more: boolean }> {
  // A limited subquery: the database stops at cap + 1 rows instead of counting every match.
  const matching = db
    .select({ one: sql`1` })
    .from(cases)
    .where(and(...caseConditions(visibility, filters)))
    .limit(cap + 1)
    .as('matching');
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(matching);
  const n = Number(row?.n ?? 0);
  return n > cap ? { count: cap, more: true } : { count: n, more: false };
}

/** `type:status` of every final status of every known case type version. */
export function finalStatusesOf(registry: CaseTypeRegistry): string[] {
  const finals = new Set<string>();
  for (const type of registry.list()) for (const status of type.definition.statuses) if (status.final) finals.add(`${type.definition.key}:${status.key}`);
  return [...finals];
}

function caseConditions(visibility: CaseVisibility, filters: CaseFilters): (SQL | undefined)[] {
  const conditions: (SQL | undefined)[] = [visibleCases(visibility)];
  if (filters.status?.length) conditions.push(inArray(cases.status, [...filters.status]));
  if (filters.type?.length) conditions.push(inArray(cases.typeKey, [...filters.type]));
  if (filters.queue?.length) conditions.push(inArray(cases.queue, [...filters.queue]));
  if (filters.priority?.length) conditions.push(inArray(cases.priority, [...filters.priority]));
  if (filters.assigneeId === null) conditions.push(isNull(cases.assigneeId));
  else if (filters.assigneeId !== undefined) conditions.push(eq(cases.assigneeId, filters.assigneeId));
  if (filters.awaiting === 'approval') conditions.push(awaitingApproval);
  if (filters.awaiting === 'triage') conditions.push(awaitingTriage);
  if (filters.text) conditions.push(sql`${cases.search} @@ websearch_to_tsquery('simple', ${filters.text})`);
  if (filters.sla) {
    const open = sql`(${cases.typeKey} || ':' || ${cases.status}) <> all(${sql.param([...(filters.finalStatuses ?? [])])}::text[])`;
    conditions.push(open);
    conditions.push(
      filters.sla === 'overdue'
        ? sql`${cases.dueAt} < now()`
        : sql`${cases.dueAt} >= now() and now() >= ${cases.createdAt} + (${cases.dueAt} - ${cases.createdAt}) * 0.8`,
    );
  }
  return conditions;
}

function after(sort: CaseSort, position: Position): SQL {
  if (sort === 'priority') {
    const [rank, id] = position as [number, string];
    return sql`(${cases.priorityRank}, ${cases.id}) > (${rank}, ${id}::uuid)`;
  }
  const [id] = position as [string];
  return sort === 'created' ? gt(cases.id, id) : lt(cases.id, id);
}

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// A cursor is client text: a rank outside the smallint column's range must be refused here, not by SQL.
const isSmallint = (n: unknown) => Number.isInteger(n) && Math.abs(n as number) <= 32_767;

function decodeCursor(cursor: string, sort: CaseSort): Position {
  const invalid = new LatchError('INVALID_CURSOR', 'The cursor is not one this listing returned (was the sort changed?)');
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(position)) throw invalid;
  if (sort === 'priority') {
    const [rank, id] = position as unknown[];
    if (position.length !== 2 || !isSmallint(rank) || typeof id !== 'string' || !UUID.test(id)) throw invalid;
    return [rank as number, id];
  }
  const [id] = position as unknown[];
  if (position.length !== 1 || typeof id !== 'string' || !UUID.test(id)) throw invalid;
  return [id];
}
