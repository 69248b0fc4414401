/** What execution needs from the plugin host: a port, so the worker is testable with any host. */
export interface PluginRuntime {
  /** Runs one approved action in its plugin. Rejects when the plugin is missing, down or times out. */
  execute(pluginId: string, params: ExecuteCall): Promise<ExecuteOutcome>;
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

/** An `action.execute` result (docs/plugin-protocol.md). */
export interface ExecuteOutcome {
  readonly status: 'succeeded' | 'failed';
  readonly retryable?: boolean;
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
