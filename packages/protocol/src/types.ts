import type { JsonSchema } from './json-schema.js';

/** One configuration value a plugin needs; `secret` values are passed only in `configure`, never logged. */
export interface ConfigEntry {
  name: string;
  description: string;
  required: boolean;
  secret: boolean;
}

/** One action as declared in the manifest: addressed as `<plugin id>.<name>`. */
export interface ActionManifest {
  name: string;
  title: string;
  description?: string;
  /** A JSON Schema the action's `input` must satisfy (see json-schema.ts for the subset the SDK checks). */
  inputSchema: JsonSchema;
  /** A JSON Schema the action's `output` must satisfy. */
  outputSchema?: JsonSchema;
  /** Deadline for one `action.execute` call; the host defaults to 30 s. */
  timeoutMs?: number;
}

/** `latch-plugin.json`, and the `manifest` a plugin returns from `initialize`. */
export interface Manifest {
  id: string;
  name: string;
  description?: string;
  version: string;
  protocolVersion: '1';
  command: string[];
  caseTypes: string[];
  caseFields: string[];
  config: ConfigEntry[];
  actions: ActionManifest[];
}

/** What a plugin sees of a case: `fields` holds only the manifest's `caseFields`. */
export interface CaseContext {
  id: string;
  type: string;
  typeVersion: number;
  status: string;
  priority: string;
  queue: string | null;
  fields: Record<string, unknown>;
}

/** `initialize` params (host → plugin). */
export interface InitializeParams {
  protocolVersion: string;
  host: { name: string; version: string };
}

/**
 * Optional capabilities a plugin offers beyond version 1's methods, each with its own version so it
 * can change without a new protocol version. A host ignores capabilities it does not know.
 */
export interface Capabilities {
  /** `action.reconcile` (version 1) for the listed actions: the plugin can tell whether an earlier execution took effect. */
  reconcile?: { version: 1; actions: string[] };
  /** `webhook.receive` (version 1): the plugin verifies deliveries its external system sends to Latch. */
  webhooks?: { version: 1 };
  /** `case.context` (version 1) for cases of the listed types (`["*"]`: every type the plugin sees): facts to attach to a case. */
  context?: { version: 1; caseTypes: string[] };
  /** `case.classify` (version 1): the plugin suggests a case type, queue, priority and intent among those offered. */
  classify?: { version: 1 };
}

/** `initialize` result. */
export interface InitializeResult {
  protocolVersion: string;
  manifest: Manifest;
  capabilities?: Capabilities;
}

/** `configure` params: exactly the config keys and secret names the manifest declares. */
export interface ConfigureParams {
  config: Record<string, unknown>;
  secrets: Record<string, string>;
}

/** `configure` result (and `shutdown`'s): an empty object. */
export type EmptyResult = Record<string, never>;

/** `actions.list` params. */
export interface ListParams {
  case: CaseContext;
}

/** One action that applies to a case, with an input to prefill the proposal form. */
export interface ListedAction {
  name: string;
  title: string;
  suggestedInput?: unknown;
}

/** `actions.list` result. */
export interface ListResult {
  actions: ListedAction[];
}

/** `action.execute` params. */
export interface ExecuteParams {
  requestId: string;
  /** Stable across retries of the same approved payload: pass it to the external system. */
  idempotencyKey: string;
  action: string;
  input: unknown;
  case: CaseContext;
  attempt: number;
}

/** What was sent to and received from the external system, credentials removed. */
export interface ExternalExchange {
  request?: Record<string, unknown>;
  response?: Record<string, unknown>;
}

/**
 * `action.execute` result. `pending`: the external system accepted the action but has not finished
 * it (a refund Stripe reports `pending`); only an action the plugin can reconcile may answer it, and
 * the host follows it through `action.reconcile` until it succeeds or fails.
 */
export interface ExecuteResult {
  status: 'succeeded' | 'failed' | 'pending';
  /** For `failed`: whether the host should retry (timeouts, 429, 5xx) or give up (card error, validation). */
  retryable?: boolean;
  /**
   * For `failed`: whether the external system may have acted. `none`: it certainly did not (a
   * refusal, a 429); `unknown`: it may have (no answer, a lost response, a 500). Default: `unknown`
   * for a retryable failure, `none` otherwise.
   */
  effect?: 'none' | 'unknown';
  /** One line for the case timeline. */
  summary: string;
  output?: unknown;
  external?: ExternalExchange;
}

/** `action.reconcile` params (capability `reconcile`, version 1). */
export interface ReconcileParams {
  /** The approved action's request id: the same on every execution of it (`action.execute`'s requestId). */
  requestId: string;
  /** Every idempotency key an earlier execution of this request may have used, oldest first. */
  idempotencyKeys: string[];
  action: string;
  input: unknown;
  case: CaseContext;
}

/** `action.reconcile` result: whether an earlier execution took effect, and if so its result. */
export type ReconcileResult = { found: false } | { found: true; result: ExecuteResult };

/** `webhook.receive` params (capability `webhooks`, version 1): one delivery, exactly as received. */
export interface WebhookParams {
  /** The request's headers, names lower-cased (credentials for Latch itself, such as cookies, removed). */
  headers: Record<string, string>;
  /** The raw body, byte for byte as a UTF-8 string: signatures are computed over it. */
  body: string;
}

/**
 * `webhook.receive` result for a verified delivery. `requestId` names the approved action the event
 * is about (the `requestId` the plugin put on what it created), and `result` is that action's state
 * as the event reports it; without them the event is acknowledged and ignored. A delivery that fails
 * verification is an error answer with code WEBHOOK_REFUSED (-32004), never a result.
 */
export interface WebhookResult {
  /** The external system's event id: the host refuses a second delivery of it. */
  eventId: string;
  requestId?: string;
  result?: ExecuteResult;
}

/** `case.context` params (capability `context`, version 1): the case to describe, `fields` limited to the manifest's `caseFields`. */
export interface ContextParams {
  caseId: string;
  caseType: string;
  fields: Record<string, unknown>;
}

/** How a fact's value reads: plain text, an amount with its currency, an external id, a status, a time. */
export type FactKind = 'text' | 'amount' | 'id' | 'status' | 'time';

/** One fact about a case from an external system, shown as `label: value`; untrusted text, rendered inert. */
export interface ContextFact {
  label: string;
  value: string;
  kind?: FactKind;
}

/** `case.context` result: facts to attach to the case (at most 50), a one-line summary, and when they were read. */
export interface ContextResult {
  facts: ContextFact[];
  summary?: string;
  /** RFC 3339 time the plugin read the external system. */
  fetchedAt: string;
}

/** One case type a `case.classify` call offers: the queues, priorities and intent labels to choose from. */
export interface ClassifyChoice {
  key: string;
  title: string;
  queues: string[];
  priorities: string[];
  intents?: string[];
}

/** `case.classify` params (capability `classify`, version 1): the minimised case and the choices; the text is untrusted data. */
export interface ClassifyParams {
  caseId: string;
  /** Subject and body, or '' when the deployment keeps the text back. */
  text: string;
  /** Only the manifest's `caseFields` the deployment allows. */
  fields: Record<string, unknown>;
  caseTypes: ClassifyChoice[];
}

/** A word or feature and how much it weighed for the answer. */
export interface ClassifyEvidence {
  feature: string;
  weight: number;
}

/** `case.classify` result: every suggested part must be one of the offered choices; none at all is "no suggestion". */
export interface ClassifyResult {
  caseType?: string;
  queue?: string;
  priority?: string;
  intent?: string;
  /** Probability in [0, 1] of the suggestion. */
  confidence: number;
  /** At most 20 features, the heaviest first. */
  explanation: ClassifyEvidence[];
  model: { id: string; version: string };
}

/** The protocol's methods, their params and results. */
export interface Methods {
  initialize: { params: InitializeParams; result: InitializeResult };
  configure: { params: ConfigureParams; result: EmptyResult };
  'actions.list': { params: ListParams; result: ListResult };
  'action.execute': { params: ExecuteParams; result: ExecuteResult };
  'action.reconcile': { params: ReconcileParams; result: ReconcileResult };
  'webhook.receive': { params: WebhookParams; result: WebhookResult };
  'case.context': { params: ContextParams; result: ContextResult };
  'case.classify': { params: ClassifyParams; result: ClassifyResult };
  shutdown: { params: EmptyResult | undefined; result: EmptyResult };
}
