import { and, asc, eq, gt, inArray, notInArray } from 'drizzle-orm';
import type { Scheduler } from '../approvals/scheduler.js';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { Database } from '../db/database.js';
import { cases, events } from '../db/schema.js';
import { escalationJobs, escalationKey, SLA_ESCALATION_QUEUE, type EscalationJob } from './schedule-escalations.js';

const PAGE = 500;

/**
 * Offers the queue a timer for every rule not yet fired on every open case whose type version has
 * escalation rules: cases opened before the rules, by a path that scheduled nothing, or whose job
 * was lost. Timers already waiting are deduplicated by their key, and a rule that fired is
 * skipped here and again by the handler, so sweeping twice, or from two processes, changes nothing.
 * Returns the jobs offered.
 */
export async function sweepEscalations(database: Database, registry: CaseTypeRegistry, scheduler: Scheduler): Promise<EscalationJob[]> {
  const offered: EscalationJob[] = [];
  for (const { definition } of registry.list()) {
    if (!definition.escalations?.length) continue;
    const finals = definition.statuses.filter((s) => s.final).map((s) => s.key);
    let afterId: string | undefined;
    for (;;) {
      const page = await database.db
        .select({ id: cases.id, createdAt: cases.createdAt, dueAt: cases.dueAt })
        .from(cases)
        .where(
          and(
            eq(cases.typeKey, definition.key),
            eq(cases.typeVersion, definition.version),
            finals.length > 0 ? notInArray(cases.status, finals) : undefined,
            afterId === undefined ? undefined : gt(cases.id, afterId),
          ),
        )
        .orderBy(asc(cases.id))
        .limit(PAGE);
      if (page.length === 0) break;
      afterId = page[page.length - 1]!.id;
      const fired = await firedByCase(database, page.map((c) => c.id));
      const due = page.flatMap((row) => escalationJobs(definition, row).filter(({ job }) => !fired.has(escalationKey(job))));
      if (due.length === 0) continue;
      await database.write(async (tx) => {
        for (const { job, at } of due) await scheduler.schedule(tx, SLA_ESCALATION_QUEUE, job, at, { singletonKey: escalationKey(job) });
      });
      offered.push(...due.map(({ job }) => job));
    }
  }
  return offered;
}

/** `case:rule:dueAt` of every escalation already recorded on these cases. */
async function firedByCase(database: Database, caseIds: readonly string[]): Promise<Set<string>> {
  const rows = await database.db
    .select({ stream: events.stream, bytes: events.bytes })
    .from(events)
    .where(and(inArray(events.stream, [...caseIds]), eq(events.kind, 'case.escalated')));
  return new Set(
    rows.map(({ stream, bytes }) => {
      const { rule, dueAt } = (JSON.parse(bytes) as { data: { rule: number; dueAt: string | null } }).data;
      return escalationKey({ caseId: stream, rule, dueAt });
    }),
  );
}
