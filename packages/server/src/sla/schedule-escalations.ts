import { escalationLapsed, escalationTime, type CaseTypeDefinition } from '@latch/core';
import type { Scheduler } from '../approvals/scheduler.js';
import type { Tx } from '../db/database.js';

export const SLA_ESCALATION_QUEUE = 'sla-escalation';

/** One rule of one case, for the due time it was scheduled under (a new due time is a new job). */
export interface EscalationJob {
  readonly caseId: string;
  readonly rule: number;
  readonly dueAt: string | null;
}

/** What scheduling reads of a case. */
export interface EscalatingCase {
  readonly id: string;
  readonly createdAt: Date;
  readonly dueAt: Date | null;
}

/**
 * The queue deduplicates waiting jobs by this key, so the sweep and the creating transaction can
 * both schedule the same timer and only one waits.
 */
export function escalationKey(job: EscalationJob): string {
  return `${job.caseId}:${job.rule}:${job.dueAt ?? '-'}`;
}

/**
 * The jobs a case's escalation rules make, each with the time it is due: none for a rule needing a
 * due time the case lacks, nor for an at-risk rule whose case is already overdue.
 */
export function escalationJobs(definition: CaseTypeDefinition, row: EscalatingCase, now = new Date()): { job: EscalationJob; at: Date }[] {
  const dueAt = row.dueAt?.toISOString() ?? null;
  return (definition.escalations ?? []).flatMap((rule, index) => {
    const at = escalationTime(rule, row);
    return at === undefined || escalationLapsed(rule, row, now) ? [] : [{ job: { caseId: row.id, rule: index, dueAt }, at }];
  });
}

/**
 * Schedules a case's escalation timers in the caller's transaction (the one that creates the case
 * or changes its due time): they exist iff it commits.
 */
export async function scheduleEscalations(tx: Tx, scheduler: Scheduler, definition: CaseTypeDefinition, row: EscalatingCase, skip?: ReadonlySet<number>): Promise<number> {
  let scheduled = 0;
  for (const { job, at } of escalationJobs(definition, row)) {
    if (skip?.has(job.rule)) continue;
    await scheduler.schedule(tx, SLA_ESCALATION_QUEUE, job, at, { singletonKey: escalationKey(job) });
    scheduled++;
  }
  return scheduled;
}
