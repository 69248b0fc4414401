import { and, isNotNull, sql } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { cases } from '../db/schema.js';
import { maySee, type NotificationDraft, type RecipientRules } from './recipients.js';

/**
 * Open, assigned cases past their due time (breached) or with under a fifth of their time left
 * (at risk: the queue's ?sla=at_risk rule in cases/list-cases.ts). The source carries the due time,
 * so a new due time may be announced again, and each state once. An unassigned case tells no one:
 * its queue shows it.
 */
export async function slaNotifications(db: Queryable, finalStatuses: readonly string[], rules: RecipientRules, limit = 500): Promise<NotificationDraft[]> {
  const rows = await db
    .select({ id: cases.id, assigneeId: cases.assigneeId, dueAt: cases.dueAt })
    .from(cases)
    .where(
      and(
        isNotNull(cases.dueAt),
        isNotNull(cases.assigneeId),
        sql`(${cases.typeKey} || ':' || ${cases.status}) <> all(${sql.param([...finalStatuses])}::text[])`,
        sql`now() >= ${cases.createdAt} + (${cases.dueAt} - ${cases.createdAt}) * 0.8`,
        sql`not exists (select 1 from notifications n where n.case_id = ${cases.id} and n.recipient_id = ${cases.assigneeId} and n.deadline = ${cases.dueAt} and n.kind = case when ${cases.dueAt} < now() then 'sla_breached' else 'sla_at_risk' end)`,
      ),
    )
    .limit(limit);
  const drafts: NotificationDraft[] = [];
  const now = Date.now();
  for (const row of rows) {
    if (!row.assigneeId || !row.dueAt || !(await maySee(db, row.assigneeId, row.id, rules))) continue;
    const kind = row.dueAt.getTime() < now ? 'sla_breached' : 'sla_at_risk';
    drafts.push({ recipientId: row.assigneeId, kind, source: `sla:${row.id}:${row.dueAt.toISOString()}`, caseId: row.id, actionId: null, deadline: row.dueAt });
  }
  return drafts;
}
