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

/** What `execute` returns: a success by default, or an explicit failure that says whether to retry. */
export type ActionReturn =
  | { status?: 'succeeded'; summary: string; output?: unknown; external?: ExternalExchange }
  | { status: 'failed'; retryable: boolean; summary: string; output?: unknown; external?: ExternalExchange };

/** One action's implementation; `TInput` is the type its inputSchema admits. */
export interface ActionDefinition<TInput = unknown> {
  /** Optional: the action's inputSchema `as const`, to infer TInput. Must equal the manifest's. */
  readonly inputSchema?: JsonSchema;
  execute(ctx: ActionContext<TInput>): ActionReturn | Promise<ActionReturn>;
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
