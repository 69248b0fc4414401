import { and, asc, gt, isNotNull, sql } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { cases } from '../db/schema.js';
import type { NotificationDraft, RecipientRules } from './recipients.js';
import { responsibleFor } from './responsible-people.js';

const PAGE = 500;

/**
 * Open cases past their due time (breached) or with under a fifth of their time left (at risk:
 * the queue's ?sla=at_risk rule in cases/list-cases.ts), told to whoever answers for the case: its
 * assignee, or, unassigned, its queue's members (responsible-people.ts). The source carries the due
 * time, so a new due time may be announced again, and each state once: a case already announced to
 * its assignee, or (unassigned) to anyone, is not read again. Read in pages by id, so cases nobody
 * can be told about never crowd out the rest.
 */
export async function slaNotifications(db: Queryable, finalStatuses: readonly string[], rules: RecipientRules): Promise<NotificationDraft[]> {
  const drafts: NotificationDraft[] = [];
  const now = Date.now();
  let after: string | undefined;
  for (;;) {
    const rows = await db
      .select({ id: cases.id, queue: cases.queue, assigneeId: cases.assigneeId, dueAt: cases.dueAt })
      .from(cases)
      .where(
        and(
          after ? gt(cases.id, after) : undefined,
          isNotNull(cases.dueAt),
          sql`(${cases.typeKey} || ':' || ${cases.status}) <> all(${sql.param([...finalStatuses])}::text[])`,
          sql`now() >= ${cases.createdAt} + (${cases.dueAt} - ${cases.createdAt}) * 0.8`,
          sql`not exists (select 1 from notifications n where n.case_id = ${cases.id} and (${cases.assigneeId} is null or n.recipient_id = ${cases.assigneeId}) and n.deadline = ${cases.dueAt} and n.kind = case when ${cases.dueAt} < now() then 'sla_breached' else 'sla_at_risk' end)`,
        ),
      )
      .orderBy(asc(cases.id))
      .limit(PAGE);
    for (const row of rows) {
      if (!row.dueAt) continue;
      const kind = row.dueAt.getTime() < now ? 'sla_breached' : 'sla_at_risk';
      for (const recipientId of await responsibleFor(db, row, rules)) {
        drafts.push({ recipientId, kind, source: `sla:${row.id}:${row.dueAt.toISOString()}`, caseId: row.id, actionId: null, deadline: row.dueAt });
      }
    }
    if (rows.length < PAGE) return drafts;
    after = rows[rows.length - 1]!.id;
  }
}
