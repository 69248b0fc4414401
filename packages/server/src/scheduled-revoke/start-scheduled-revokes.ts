import type { Scheduler } from '../approvals/scheduler.js';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { Database } from '../db/database.js';
import type { JobQueue, QueueOptions } from '../jobs/job-queue.js';
import { runScheduledRevoke } from './run-scheduled-revoke.js';
import { SCHEDULED_REVOKE_QUEUE, type RevokeJob } from './schedule-revoke.js';

/** Retried with backoff when the database is away at expiry; the job itself only creates the revoke action. */
export const SCHEDULED_REVOKE_QUEUE_OPTIONS: QueueOptions = { retryLimit: 10, retryBackoff: true };

/** Runs revoke timers in this process: durable pg-boss jobs, so a restart before expiry loses none. */
export async function startScheduledRevokes(parts: { database: Database; caseTypes: CaseTypeRegistry; scheduler: Scheduler; jobs: JobQueue }): Promise<void> {
  // parts.caseTypes read at each job, not once: a configuration reload may replace the registry.
  await parts.jobs.work(SCHEDULED_REVOKE_QUEUE, async (job) => void (await parts.database.write((tx) => runScheduledRevoke(tx, parts.caseTypes, parts.scheduler, job.data as RevokeJob))), {
    pollingIntervalSeconds: 0.5,
  });
}
