import type { CaseVisibility } from '@latch/core';
import { and, desc, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import { visibleCases, type CaseRow } from '../cases/case-access.js';
import type { Queryable } from '../db/database.js';
import { actionRequests, cases } from '../db/schema.js';

const LIMIT = 5;
const MAX_WORDS = 12;
/** Fields that name one order, payment or account: the same value on two cases links them. */
const IDENTIFIER = /(^order_id$|^payment_intent$|^charge$|_id$)/;

export interface SimilarCase {
  readonly id: string;
  readonly title: string;
  readonly type: string;
  readonly status: string;
  readonly final: boolean;
  readonly createdAt: string;
  /** Why it is listed: `same requester`, `same order_id`, `similar text`. */
  readonly reasons: string[];
  /** How it ended, or where it stands: "resolved; stripe.refund succeeded". */
  readonly resolution: string;
}

/**
 * The few earlier cases most like this one that the reader may see: the same requester, the same
 * order or payment (identifier fields with the same value), and similar words (PostgreSQL full-text
 * search over title and description), best first, with how each was resolved.
 */
export async function similarCases(db: Queryable, registry: CaseTypeRegistry, visibility: CaseVisibility, row: CaseRow): Promise<SimilarCase[]> {
  const fields = row.fields as Record<string, unknown>;
  const identifiers = Object.entries(fields).filter(([key, value]) => IDENTIFIER.test(key) && typeof value === 'string' && value !== '') as [string, string][];
  const words = [...new Set(`${row.title} ${row.description}`.toLowerCase().match(/[\p{L}\p{N}]{4,}/gu) ?? [])].slice(0, MAX_WORDS);
  const sameRequester = row.requesterEmail ? sql`${cases.requesterEmail} = ${row.requesterEmail}` : sql`false`;
  const sameIdentifier = identifiers.map(([key, value]) => ({ key, test: sql`${cases.fields} ->> ${key} = ${value}` }));
  const query = words.length > 0 ? sql`to_tsquery('simple', ${words.join(' | ')})` : undefined;
  const textMatch = query ? sql`${cases.search} @@ ${query}` : sql`false`;
  const matches: SQL[] = [sameRequester, ...sameIdentifier.map((i) => i.test), textMatch];
  const rank = query ? sql`ts_rank(${cases.search}, ${query})` : sql`0`;
  const identifierHits = sameIdentifier.map((i) => sql`case when ${i.test} then ${i.key} end`);
  const score = sql<number>`(case when ${sameRequester} then 3 else 0 end) + ${sameIdentifier.length > 0 ? sql`(${sql.join(sameIdentifier.map((i) => sql`case when ${i.test} then 3 else 0 end`), sql` + `)})` : sql`0`} + ${rank}`;
  const rows = await db
    .select({
      id: cases.id,
      title: cases.title,
      type: cases.typeKey,
      version: cases.typeVersion,
      status: cases.status,
      createdAt: cases.createdAt,
      sameRequester: sql<boolean>`coalesce(${sameRequester}, false)`,
      identifiers: identifierHits.length > 0 ? sql<(string | null)[]>`array[${sql.join(identifierHits, sql`, `)}]::text[]` : sql<(string | null)[]>`array[]::text[]`,
      similarText: sql<boolean>`coalesce(${textMatch}, false)`,
      score,
    })
    .from(cases)
    .where(and(lt(cases.id, row.id), visibleCases(visibility), or(...matches)))
    .orderBy(desc(score), desc(cases.id))
    .limit(LIMIT);
  if (rows.length === 0) return [];
  const actions = await db
    .select({ caseId: actionRequests.caseId, plugin: actionRequests.plugin, action: actionRequests.action, status: actionRequests.status })
    .from(actionRequests)
    .where(inArray(actionRequests.caseId, rows.map((r) => r.id)))
    .orderBy(desc(actionRequests.id));
  return rows.map((r) => {
    const status = registry.get(r.type, r.version).definition.statuses.find((s) => s.key === r.status);
    const last = actions.find((a) => a.caseId === r.id);
    const reasons = [...(r.sameRequester ? ['same requester'] : []), ...r.identifiers.filter((k): k is string => !!k).map((k) => `same ${k}`), ...(r.similarText ? ['similar text'] : [])];
    return {
      id: r.id,
      title: r.title,
      type: r.type,
      status: r.status,
      final: status?.final === true,
      createdAt: r.createdAt.toISOString(),
      reasons,
      resolution: `${status?.name ?? r.status}${last ? `; ${last.plugin}.${last.action} ${last.status}` : ''}`,
    };
  });
}
