import type { CaseRow } from '../cases/case-access.js';
import { proposalRefusal } from '../plugin-host/plugin-availability.js';
import type { actionRequests } from '../db/schema.js';
import { idempotencyKeysUpTo, type ExecuteOutcome, type PluginRuntime } from './plugin-runtime.js';

/** An action row as the worker sees it when it starts an attempt. */
export interface StartedAttempt {
  readonly action: typeof actionRequests.$inferSelect;
  readonly target: CaseRow;
  readonly attempt: number;
  readonly key: string;
  /** Ask the plugin first whether an earlier attempt or execution already took effect. */
  readonly reconcileFirst: boolean;
  /** The last outcome of this execution was `pending`: this attempt follows it, it never acts. */
  readonly following: boolean;
}

/** Where an outcome came from: the plugin acted, found an earlier effect, or followed a pending one. */
export type Via = 'execute' | 'reconcile' | 'follow';

/**
 * Calls the plugin for one attempt, outside any transaction. With reconcile first, an effect the
 * plugin finds is the outcome and the action is not run again; when the plugin can't tell, the
 * attempt fails with an unknown effect rather than act on a guess. Never throws.
 */
export async function callPlugin(runtime: PluginRuntime, started: StartedAttempt): Promise<{ outcome: ExecuteOutcome; via: Via }> {
  const { action, target, attempt, key } = started;
  // Approved before plugins.yaml lost the plugin (or the plugin lost the action): say so, not act.
  const missing = proposalRefusal(runtime, action.plugin, action.action);
  if (missing) {
    return { via: 'execute', outcome: { status: 'failed', retryable: false, effect: 'none', summary: `${missing.message}; configure it, restart Latch, and retry the action` } };
  }
  if (!runtime.seesCaseType(action.plugin, target.typeKey)) {
    return { via: 'execute', outcome: { status: 'failed', retryable: false, effect: 'none', summary: `Plugin ${action.plugin} may not see cases of type ${target.typeKey} (its manifest's caseTypes)` } };
  }
  const visible = runtime.caseFields(action.plugin) ?? [];
  const fields = Object.fromEntries(Object.entries(target.fields as Record<string, unknown>).filter(([name]) => visible.includes(name)));
  const common = {
    requestId: action.id,
    action: action.action,
    input: action.input,
    case: { id: target.id, type: target.typeKey, typeVersion: target.typeVersion, status: target.status, priority: target.priority, queue: target.queue, fields },
  };
  if (started.reconcileFirst || started.following) {
    try {
      const found = await runtime.reconcile(action.plugin, { ...common, idempotencyKeys: idempotencyKeysUpTo(action.id, action.round, action.execution) });
      if (started.following) return { via: 'follow', outcome: found.found ? found.result : unknown(`Plugin ${action.plugin} no longer finds the pending action`) };
      // An earlier attempt that failed without effect (a refund Stripe declined) is no reason not to act now.
      const movedNothing = found.found && found.result.status === 'failed' && found.result.effect === 'none';
      if (found.found && !movedNothing) return { via: 'reconcile', outcome: found.result };
    } catch (error) {
      return { via: 'reconcile', outcome: unknown(`Could not find out whether an earlier attempt took effect, so it was not run again: ${(error as Error).message}`) };
    }
  }
  try {
    const outcome = await runtime.execute(action.plugin, { ...common, idempotencyKey: key, attempt });
    // Following `pending` needs reconcile; without it the only way to ask again would be to act again.
    if (outcome.status === 'pending' && !runtime.canReconcile(action.plugin, action.action)) {
      return { via: 'execute', outcome: { status: 'failed', retryable: false, effect: 'unknown', summary: `Pending, and plugin ${action.plugin} cannot be asked how it ends: ${outcome.summary}` } };
    }
    return { via: 'execute', outcome };
  } catch (error) {
    return { via: 'execute', outcome: unknown(`Plugin ${action.plugin} did not answer: ${(error as Error).message}`) };
  }
}

function unknown(summary: string): ExecuteOutcome {
  return { status: 'failed', retryable: true, effect: 'unknown', summary };
}
