import type { TeamDirectory } from '../access/teams.js';
import type { Scheduler } from '../approvals/scheduler.js';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { Database } from '../db/database.js';
import type { JobQueue, QueueOptions } from '../jobs/job-queue.js';
import { describeError } from '../loggable-error.js';
import { checkEscalationTargets } from './check-escalation-targets.js';
import { runEscalation } from './run-escalation.js';
import { SLA_ESCALATION_QUEUE, type EscalationJob } from './schedule-escalations.js';
import { sweepEscalations } from './sweep-escalations.js';

/** `short`: at most one waiting job per key, so a timer offered twice (creation, sweep) waits once. */
export const SLA_ESCALATION_QUEUE_OPTIONS: QueueOptions = { policy: 'short', retryLimit: 5, retryBackoff: true };

/** How often the sweep looks again for open cases without a waiting timer. */
export const SWEEP_INTERVAL_MS = 10 * 60_000;

interface EngineParts {
  readonly database: Database;
  readonly caseTypes: CaseTypeRegistry;
  readonly teams: TeamDirectory;
  readonly scheduler: Scheduler;
  readonly jobs: JobQueue;
  readonly say: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * Checks the rules' queues and people (refusing to start on a bad one), runs the escalation worker,
 * and sweeps now and every SWEEP_INTERVAL_MS. Returns a stop function that waits for a sweep in progress.
 */
export async function startEscalations(parts: EngineParts): Promise<() => Promise<void>> {
  const { database, caseTypes, scheduler, jobs, say } = parts;
  await checkEscalationTargets(database.db, caseTypes, parts.teams);
  if (!caseTypes.list().some((t) => t.definition.escalations?.length)) return async () => undefined;
  await jobs.work(SLA_ESCALATION_QUEUE, async (job) => {
    await database.write((tx) => runEscalation(tx, caseTypes, scheduler, job.data as EscalationJob));
  });
  let running: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    running = sweepEscalations(database, caseTypes, scheduler).catch((error: unknown) => say('warn', `escalation sweep: ${describeError(error)}`));
  };
  sweep();
  const timer = setInterval(sweep, SWEEP_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
