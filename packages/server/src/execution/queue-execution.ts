import { eq } from 'drizzle-orm';
import type { Tx } from '../db/database.js';
import { actionRequests } from '../db/schema.js';
import type { Scheduler } from '../approvals/scheduler.js';
import { ACTION_EXECUTE_QUEUE, type ExecutionJob } from './plugin-runtime.js';

/**
 * Starts a new execution of an approved action inside the transaction that approved it: the job
 * exists exactly when the approval commits.
 */
export async function queueExecution(tx: Tx, scheduler: Scheduler, action: { id: string; round: number; execution: number }): Promise<void> {
  const execution = action.execution + 1;
  await tx.update(actionRequests).set({ execution, attempts: 0 }).where(eq(actionRequests.id, action.id));
  await scheduleExecution(tx, scheduler, { ...action, execution });
}

/** Enqueues the first attempt of an execution whose number the caller has already recorded on the action. */
export async function scheduleExecution(tx: Tx, scheduler: Scheduler, action: { id: string; round: number; execution: number }): Promise<void> {
  const job: ExecutionJob = { actionId: action.id, round: action.round, execution: action.execution, attempt: 1 };
  await scheduler.schedule(tx, ACTION_EXECUTE_QUEUE, job, new Date());
}
