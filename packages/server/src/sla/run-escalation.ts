import { escalationLapsed, escalationTime, raisedPriority, triggerName, type Actor, type CaseVisibility, type EscalationRule, type Json, type NotifyTarget } from '@latch/core';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Scheduler } from '../approvals/scheduler.js';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import { subjectOf } from '../cases/create-case.js';
import { updateCase, type CaseChanges } from '../cases/update-case.js';
import type { Queryable, Tx } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { cases, events, users } from '../db/schema.js';
import { escalationKey, SLA_ESCALATION_QUEUE, type EscalationJob } from './schedule-escalations.js';

export const ESCALATION_ACTOR: Actor = { type: 'system', id: 'escalation' };
const EVERYTHING: CaseVisibility = { all: true, queues: [], userId: ESCALATION_ACTOR.id };

/**
 * The escalation timer's handler: exactly once per (case, rule, due time). Under the case's row
 * lock it does nothing for a missing or finished case, a due time changed since (that one has its
 * own job), an at-risk rule whose case is already overdue, or a rule that already fired (its `case.escalated` event is on the timeline); a job run
 * early by a clock ahead of ours waits again. Otherwise it applies the rule's changes through the
 * PATCH path (field.changed, a new version) and records `case.escalated`, in one transaction.
 */
export async function runEscalation(tx: Tx, registry: CaseTypeRegistry, scheduler: Scheduler, job: EscalationJob, now = new Date()): Promise<boolean> {
  const [current] = await tx.select().from(cases).where(eq(cases.id, job.caseId)).for('update');
  if (!current) return false;
  const definition = registry.get(current.typeKey, current.typeVersion).definition;
  const rule = definition.escalations?.[job.rule];
  if (!rule || definition.statuses.find((s) => s.key === current.status)?.final) return false;
  if ((current.dueAt?.toISOString() ?? null) !== job.dueAt) return false;
  const at = escalationTime(rule, current);
  if (at === undefined) return false;
  if (at.getTime() > now.getTime()) {
    await scheduler.schedule(tx, SLA_ESCALATION_QUEUE, job, at, { singletonKey: escalationKey(job) });
    return false;
  }
  if (escalationLapsed(rule, current, now)) return false;
  if ((await firedRules(tx, job.caseId, job.dueAt)).has(job.rule)) return false;

  const { changes, recorded } = await planActions(tx, rule, current);
  const reason = `Escalation rule ${job.rule} (${triggerName(rule.when)})`;
  const updated = await updateCase(tx, registry, EVERYTHING, ESCALATION_ACTOR, current.id, current.version, { ...changes, reason });
  const notify = rule.do.flatMap((action): NotifyTarget[] => ('notify' in action ? [action.notify] : []));
  await appendEvents(
    tx,
    current.id,
    [
      {
        kind: 'case.escalated',
        actor: ESCALATION_ACTOR,
        reason,
        data: { rule: job.rule, trigger: rule.when as unknown as Json, actions: recorded, ...(notify.length > 0 ? { notify } : {}), dueAt: job.dueAt },
      },
    ],
    { subject: subjectOf(updated) },
  );
  return true;
}

/** The rules that already fired on a case for this due time, read from its `case.escalated` events. */
export async function firedRules(db: Queryable, caseId: string, dueAt: string | null): Promise<Set<number>> {
  const rows = await db
    .select({ bytes: events.bytes })
    .from(events)
    .where(and(eq(events.stream, caseId), eq(events.kind, 'case.escalated')));
  const fired = new Set<number>();
  for (const { bytes } of rows) {
    const data = (JSON.parse(bytes) as { data: { rule: number; dueAt: string | null } }).data;
    if (data.dueAt === dueAt) fired.add(data.rule);
  }
  return fired;
}

/**
 * The case changes a rule asks for, and the actions as recorded on the event: priorities only
 * rise, a person is recorded by user id (never their email), and one who is no longer an active
 * user is skipped, said so, rather than failing the rule.
 */
async function planActions(tx: Tx, rule: EscalationRule, current: typeof cases.$inferSelect): Promise<{ changes: CaseChanges; recorded: Json[] }> {
  let priority = current.priority as Parameters<typeof raisedPriority>[0];
  let queue: string | undefined;
  let assigneeId: string | undefined;
  const recorded: Json[] = [];
  for (const action of rule.do) {
    if ('raisePriority' in action) {
      priority = raisedPriority(priority, action.raisePriority);
      recorded.push({ raisePriority: action.raisePriority });
    } else if ('notify' in action) {
      recorded.push({ notify: action.notify });
    } else if ('queue' in action.reassign) {
      queue = action.reassign.queue;
      recorded.push({ reassign: { queue } });
    } else {
      const email = action.reassign.user.trim().toLowerCase();
      const [person] = await tx.select({ id: users.id }).from(users).where(and(sql`lower(${users.email}) = ${email}`, isNull(users.disabledAt)));
      if (person) assigneeId = person.id;
      recorded.push(person ? { reassign: { assigneeId: person.id } } : { reassign: { assigneeId: null }, skipped: 'the person named is no longer an active user' });
    }
  }
  const changes: CaseChanges = {
    ...(priority !== current.priority ? { priority } : {}),
    ...(queue !== undefined ? { queue } : {}),
    ...(assigneeId !== undefined ? { assigneeId } : {}),
  };
  return { changes, recorded };
}
