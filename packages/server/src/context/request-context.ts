import type { Scheduler } from '../approvals/scheduler.js';
import type { Tx } from '../db/database.js';
import type { PluginHost } from '../plugin-host/plugin-host.js';

export const CASE_CONTEXT_QUEUE = 'case-context';
/** Each waiting ask is kept once per key (a `short` queue): repeated refreshes while one waits add nothing. */
export const CASE_CONTEXT_QUEUE_OPTIONS = { policy: 'short', retryLimit: 3, retryBackoff: true, expireInSeconds: 120 } as const;

/** One ask of one plugin about one case; `attempt` counts the plugin's failures so far plus one. */
export interface ContextJob {
  readonly caseId: string;
  readonly plugin: string;
  readonly attempt: number;
}

/** What asking for context needs from the deployment. */
export interface ContextSources {
  readonly scheduler: Scheduler;
  readonly plugins: PluginHost | undefined;
}

/**
 * Enqueues, inside the caller's transaction, one `case.context` ask per plugin the deployment asks
 * for context on cases of this type: the asks exist iff the transaction commits, and the case never
 * waits for a plugin. Returns the plugins asked.
 */
export async function requestCaseContext(tx: Tx, sources: ContextSources, row: { readonly id: string; readonly typeKey: string }): Promise<string[]> {
  const plugins = sources.plugins?.contextSources(row.typeKey) ?? [];
  for (const plugin of plugins) await scheduleContextAsk(tx, sources.scheduler, { caseId: row.id, plugin, attempt: 1 }, new Date());
  return plugins;
}

/** Schedules one ask (a first one, or a retry after the plugin failed). */
export async function scheduleContextAsk(tx: Tx, scheduler: Scheduler, job: ContextJob, at: Date): Promise<void> {
  await scheduler.schedule(tx, CASE_CONTEXT_QUEUE, job, at, { singletonKey: `${job.caseId}:${job.plugin}:${job.attempt}` });
}
