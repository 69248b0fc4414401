import type { CaseContext, ExternalExchange, JsonSchema, ListedAction, Manifest } from '@latch/protocol';

/** Everything one `action.execute` call gives the action. */
export interface ActionContext<TInput = unknown> {
  /** The input, already checked against the action's inputSchema. */
  readonly input: TInput;
  readonly case: CaseContext;
  /** Pass it to the external system (e.g. Stripe's Idempotency-Key): it is the same on every retry. */
  readonly idempotencyKey: string;
  readonly requestId: string;
  /** 1 on the first try, then 2, 3 … on retries. */
  readonly attempt: number;
  readonly config: Readonly<Record<string, unknown>>;
  readonly secrets: Readonly<Record<string, string>>;
  /** Writes a line to the plugin's log (stderr), which the host scrubs of secrets. */
  log(message: string): void;
}

/**
 * What `execute` returns: a success by default, or an explicit failure that says whether to retry
 * and whether the external system may have acted (`effect`, see docs/plugin-protocol.md), or
 * `pending` (accepted, not finished: only for an action with `reconcile`, which the host then calls
 * to follow it).
 */
export type ActionReturn =
  | { status?: 'succeeded' | 'pending'; summary: string; output?: unknown; external?: ExternalExchange }
  | { status: 'failed'; retryable: boolean; effect?: 'none' | 'unknown'; summary: string; output?: unknown; external?: ExternalExchange };

/** Everything one `action.reconcile` call gives the action. */
export interface ReconcileContext<TInput = unknown> {
  /** The approved input, already checked against the action's inputSchema. */
  readonly input: TInput;
  readonly case: CaseContext;
  /** The request id every execution of this approved action carried (`ActionContext.requestId`). */
  readonly requestId: string;
  /** Every idempotency key an earlier execution may have used, oldest first. */
  readonly idempotencyKeys: readonly string[];
  readonly config: Readonly<Record<string, unknown>>;
  readonly secrets: Readonly<Record<string, string>>;
  log(message: string): void;
}

/** What `reconcile` returns: say `found: false` only when the external system shows no effect of the request. */
export type ReconcileReturn = { found: false } | { found: true; result: ActionReturn };

/** One action's implementation; `TInput` is the type its inputSchema admits. */
export interface ActionDefinition<TInput = unknown> {
  /** Optional: the action's inputSchema `as const`, to infer TInput. Must equal the manifest's. */
  readonly inputSchema?: JsonSchema;
  execute(ctx: ActionContext<TInput>): ActionReturn | Promise<ActionReturn>;
  /**
   * Optional: finds out whether an earlier execution of this request took effect (look it up by
   * request id or idempotency key in the external system). With it the plugin offers the
   * `reconcile` capability for this action: the host calls it before running the action again, and
   * a retry by hand never acts twice. Throw when the external system can't be asked: the host then
   * treats the outcome as unknown and does not run the action.
   */
  reconcile?(ctx: ReconcileContext<TInput>): ReconcileReturn | Promise<ReconcileReturn>;
}

/** A plugin: its manifest and the code behind it. */
export interface PluginDefinition {
  readonly manifest: Manifest;
  /** Checks the configuration; throw to refuse it (the host then marks the plugin failed). */
  configure?(config: Readonly<Record<string, unknown>>, secrets: Readonly<Record<string, string>>): void | Promise<void>;
  /** The actions that apply to a case now, with suggested input; default: every action. Must be quick and side-effect free. */
  listActions?(caseContext: CaseContext): ListedAction[] | Promise<ListedAction[]>;
  /** One implementation per action in the manifest, by name. */
  readonly actions: Readonly<Record<string, ActionDefinition<never>>>;
  /** Called once when the host disconnects: close pools, flush buffers. */
  shutdown?(): void | Promise<void>;
}
