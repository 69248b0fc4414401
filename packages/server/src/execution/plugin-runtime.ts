import type { PluginDirectory } from '../plugin-host/plugin-availability.js';

/** What execution needs from the plugin host: a port, so the worker is testable with any host. */
export interface PluginRuntime extends PluginDirectory {
  /** Runs one approved action in its plugin. Rejects when the plugin is missing, down or times out. */
  execute(pluginId: string, params: ExecuteCall): Promise<ExecuteOutcome>;
  /** Asks the plugin whether an earlier execution took effect (`action.reconcile`). Rejects when it can't tell. */
  reconcile(pluginId: string, params: ReconcileCall): Promise<ReconcileOutcome>;
  /** Whether the plugin offers `reconcile` (version 1) for this action. */
  canReconcile(pluginId: string, action: string): boolean;
  /** How often, and how far apart, a retryable failure is tried again (the deployment's plugins.yaml). */
  retryPolicy(pluginId: string): RetryPolicy;
  /** Every value that must never be stored or logged (the plugins' secrets). */
  secretValues(pluginId: string): readonly string[];
  /** The case fields the plugin's manifest asks to see. */
  caseFields(pluginId: string): readonly string[] | undefined;
  /** Whether the plugin's manifest lets it see cases of this type. */
  seesCaseType(pluginId: string, type: string): boolean;
}

export interface ExecuteCall {
  readonly requestId: string;
  readonly idempotencyKey: string;
  readonly action: string;
  readonly input: unknown;
  readonly case: { id: string; type: string; typeVersion: number; status: string; priority: string; queue: string; fields: Record<string, unknown> };
  readonly attempt: number;
}

export type ReconcileCall = Omit<ExecuteCall, 'idempotencyKey' | 'attempt'> & { readonly idempotencyKeys: readonly string[] };

/** An `action.reconcile` result. */
export type ReconcileOutcome = { readonly found: false } | { readonly found: true; readonly result: ExecuteOutcome };

export interface RetryPolicy {
  /** Attempts per execution before a retryable failure is final. */
  readonly attempts: number;
  /** The wait before attempt 2; it doubles each time (capped at 5 min). */
  readonly firstDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, firstDelayMs: 2_000 };

/** An `action.execute` result (docs/plugin-protocol.md). */
export interface ExecuteOutcome {
  readonly status: 'succeeded' | 'failed' | 'pending';
  readonly retryable?: boolean;
  /** For a failure: whether the external system may have acted. */
  readonly effect?: 'none' | 'unknown';
  readonly summary: string;
  readonly output?: unknown;
  readonly external?: { readonly request?: unknown; readonly response?: unknown };
}

export const ACTION_EXECUTE_QUEUE = 'action-execute';

export interface ExecutionJob {
  readonly actionId: string;
  readonly round: number;
  readonly execution: number;
  readonly attempt: number;
}

/** Derived from the action request: the same on every retry of one execution of one approved payload. */
export function idempotencyKeyOf(actionId: string, round: number, execution: number): string {
  return `latch-${actionId}-r${round}-e${execution}`;
}

/** The keys executions 1..n of this round used, oldest first: what `action.reconcile` looks for. */
export function idempotencyKeysUpTo(actionId: string, round: number, execution: number): string[] {
  return Array.from({ length: execution }, (_, i) => idempotencyKeyOf(actionId, round, i + 1));
}
