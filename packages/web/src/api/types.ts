import type { paths } from './schema';

/** The JSON body of a path's successful answer, straight from the generated OpenAPI types. */
type Json<P extends keyof paths, M extends keyof paths[P], S extends number = 200> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

export type Me = Json<'/api/v1/me', 'get'>;
export type User = NonNullable<Me['user']>;
export type CaseSummary = NonNullable<Json<'/api/v1/cases', 'get'>['items']>[number];
export type CaseDetail = Json<'/api/v1/cases/{id}', 'get'>;
export type TimelineEvent = NonNullable<Json<'/api/v1/cases/{id}/timeline', 'get'>['items']>[number];
export type Note = NonNullable<Json<'/api/v1/cases/{id}/notes', 'get'>['items']>[number];
export type Attachment = NonNullable<Json<'/api/v1/cases/{id}/attachments', 'get'>['items']>[number];
export type CaseListQuery = NonNullable<paths['/api/v1/cases']['get']['parameters']['query']>;
export type Simulation = Json<'/api/v1/cases/{id}/actions:simulate', 'post'>;

/**
 * The action routes' response schemas are open (`additionalProperties: true`), so the generated
 * type names only id, status and payloadHash. What the console reads beyond them is declared here,
 * checked against the generated base; it follows the server's presentAction (approvals/present-action.ts).
 */
export type Action = Json<'/api/v1/actions/{id}', 'get'> & {
  id: string;
  caseId: string;
  plugin: string;
  action: string;
  input: Record<string, unknown>;
  payloadHash: string;
  status: string;
  proposedBy: string;
  policy: { key: string; version: number } | null;
  requirements: { summary: string; steps: RequiredStep[] };
  currentStep: number | null;
  expiresAt: string | null;
  result: unknown;
  decisions?: Decision[];
  version: number;
  createdAt: string;
};
/** Why an approved action is not running (`blockedBy`, typed by the action routes' schema). */
export type PluginBlock = NonNullable<Action['blockedBy']>;
export interface RequiredStep {
  index: number;
  name: string;
  role?: string;
  team?: string;
  count: number;
  expiresInMs: number;
}
export interface Decision {
  id: string;
  step: number;
  decision: 'approve' | 'deny';
  decidedBy: string;
  onBehalfOf: string | null;
  payloadHash: string;
  reason: string | null;
  at: string;
}
/** What a case type allows (GET /cases/{id}/actions `available`), with the input's JSON Schema. */
export interface AvailableAction {
  plugin: string;
  action: string;
  name: string;
  inputSchema: JsonSchema;
  policy: string | null;
  /** Why it can't be proposed yet: the case type's checklist items it needs (checklist/refuse-unticked.ts), or null. */
  blockedBy?: { code: 'CHECKLIST_INCOMPLETE'; items: { key: string; label: string }[]; message: string } | null;
}
export interface Suggestion {
  plugin: string;
  action: string;
  title: string;
  suggestedInput: Record<string, unknown> | null;
}
export interface WaitingItem {
  action: Action;
  onBehalfOf: string | null;
}
/** A case type as the case-types routes present it (also open): the parts the console shows. */
export interface CaseType {
  key: string;
  version: number;
  name: string;
  fields: JsonSchema;
  statuses: { key: string; name: string; final?: boolean }[];
}

/** The subset of JSON Schema the case types use for fields and action inputs: flat objects. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
  'x-label'?: string;
  'x-personal'?: boolean;
}
