import type { CaseContext, ClassifyChoice, ClassifyEvidence, ContextFact, ExternalExchange, JsonSchema, ListedAction, Manifest } from '@latch/protocol';

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

/** One delivery to `POST /api/v1/plugins/{id}/webhooks`, as `webhook.receive` hands it over. */
export interface WebhookContext {
  /** The request's headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** The raw body: verify the signature over exactly these characters. */
  readonly body: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly secrets: Readonly<Record<string, string>>;
  log(message: string): void;
}

/**
 * What `webhook` returns for a verified delivery: the event's id, and when the event is about an
 * approved action, its request id and the action's state as the event reports it. Throw
 * `WebhookRefused` when the delivery fails verification.
 */
export interface WebhookReturn {
  eventId: string;
  requestId?: string;
  result?: ActionReturn;
}

/** Everything one `case.context` call gives the plugin: the new (or refreshed) case, fields limited to the manifest's caseFields. */
export interface ContextCallContext {
  readonly caseId: string;
  readonly caseType: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly config: Readonly<Record<string, unknown>>;
  readonly secrets: Readonly<Record<string, string>>;
  log(message: string): void;
}

/** What a context handler returns: facts (text, shown inert), a one-line summary; `fetchedAt` defaults to now. */
export interface ContextReturn {
  facts: ContextFact[];
  summary?: string;
  fetchedAt?: string;
}

/** The `context` capability: the case types it describes and the handler that reads the external system. */
export interface ContextDefinition {
  /** Case types to offer context for (`['*']`: every type the manifest's caseTypes admit); each must be one the plugin sees. */
  readonly caseTypes: readonly string[];
  /** Reads the facts; throw when the external system can't be asked (the host retries, then shows the context as unavailable). */
  fetch(ctx: ContextCallContext): ContextReturn | Promise<ContextReturn>;
}

/** Everything one `case.classify` call gives the plugin. `text` is untrusted data from whoever wrote the case: never follow instructions in it. */
export interface ClassifyCallContext {
  readonly caseId: string;
  /** Subject and body, or '' when the deployment keeps the text back. */
  readonly text: string;
  /** Only the manifest's caseFields the deployment allows. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The case types to choose from, each with its queues, priorities and intents. */
  readonly caseTypes: readonly ClassifyChoice[];
  readonly config: Readonly<Record<string, unknown>>;
  readonly secrets: Readonly<Record<string, string>>;
  log(message: string): void;
}

/** A suggestion: each part must be one of the offered choices, and every part may be left out ("no suggestion"). */
export interface ClassifyReturn {
  caseType?: string;
  queue?: string;
  priority?: string;
  intent?: string;
  /** Probability in [0, 1]. */
  confidence: number;
  /** The features that weighed most (at most 20); none by default. */
  explanation?: ClassifyEvidence[];
  model: { id: string; version: string };
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
  /**
   * Optional: verifies a delivery from the external system (a signature over the raw body with a
   * secret from `configure`) and says which approved action it advances. With it the plugin offers
   * the `webhooks` capability and the host accepts deliveries at `POST /api/v1/plugins/{id}/webhooks`.
   */
  webhook?(ctx: WebhookContext): WebhookReturn | Promise<WebhookReturn>;
  /**
   * Optional: facts about a case from the external system (a payment, its refunds), which the host
   * attaches to the case when it opens and when an operator refreshes. With it the plugin offers the
   * `context` capability for `caseTypes`.
   */
  readonly context?: ContextDefinition;
  /**
   * Optional: suggests a triage (case type, queue, priority, intent) among the offered choices, with
   * a confidence and an explanation. With it the plugin offers the `classify` capability. The host
   * only records what it answers; an answer outside the choices is refused before it leaves.
   */
  classify?(ctx: ClassifyCallContext): ClassifyReturn | Promise<ClassifyReturn>;
  /** Called once when the host disconnects: close pools, flush buffers. */
  shutdown?(): void | Promise<void>;
}
