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

/** `initialize` result. */
export interface InitializeResult {
  protocolVersion: string;
  manifest: Manifest;
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

/** `action.execute` result. */
export interface ExecuteResult {
  status: 'succeeded' | 'failed';
  /** For `failed`: whether the host should retry (timeouts, 429, 5xx) or give up (card error, validation). */
  retryable?: boolean;
  /** One line for the case timeline. */
  summary: string;
  output?: unknown;
  external?: ExternalExchange;
}

/** The protocol's methods, their params and results. */
export interface Methods {
  initialize: { params: InitializeParams; result: InitializeResult };
  configure: { params: ConfigureParams; result: EmptyResult };
  'actions.list': { params: ListParams; result: ListResult };
  'action.execute': { params: ExecuteParams; result: ExecuteResult };
  shutdown: { params: EmptyResult | undefined; result: EmptyResult };
}
