import type { JsonSchema } from '../json-schema.js';
import { caseContextSchema, manifestSchema } from './manifest.js';

// Composed in TypeScript rather than with $ref so every exported schema (and JSON file) is
// self-contained: a validator needs no resolver and no registry of ids.

const nonEmpty: JsonSchema = { type: 'string', minLength: 1 };
const empty: JsonSchema = { type: 'object', additionalProperties: false };

/** `initialize` params. */
export const initializeParamsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['protocolVersion', 'host'],
  properties: {
    protocolVersion: nonEmpty,
    host: { type: 'object', additionalProperties: false, required: ['name', 'version'], properties: { name: nonEmpty, version: nonEmpty } },
  },
};

/** Optional capabilities, each versioned; unknown ones are allowed (a host ignores them). */
export const capabilitiesSchema: JsonSchema = {
  type: 'object',
  properties: {
    reconcile: {
      type: 'object',
      additionalProperties: false,
      required: ['version', 'actions'],
      properties: { version: { const: 1 }, actions: { type: 'array', items: nonEmpty } },
    },
    webhooks: { type: 'object', additionalProperties: false, required: ['version'], properties: { version: { const: 1 } } },
    context: {
      type: 'object',
      additionalProperties: false,
      required: ['version', 'caseTypes'],
      properties: { version: { const: 1 }, caseTypes: { type: 'array', minItems: 1, maxItems: 100, items: nonEmpty } },
    },
    classify: { type: 'object', additionalProperties: false, required: ['version'], properties: { version: { const: 1 } } },
  },
};

/** `initialize` result. */
export const initializeResultSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['protocolVersion', 'manifest'],
  properties: { protocolVersion: nonEmpty, manifest: manifestSchema, capabilities: capabilitiesSchema },
};

/** `configure` params. */
export const configureParamsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['config', 'secrets'],
  properties: {
    config: { type: 'object' },
    secrets: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

/** `configure` result: `{}`. */
export const configureResultSchema: JsonSchema = empty;

/** `actions.list` params. */
export const listParamsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['case'],
  properties: { case: caseContextSchema },
};

/** `actions.list` result. */
export const listResultSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['actions'],
  properties: {
    actions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'title'],
        properties: { name: nonEmpty, title: nonEmpty, suggestedInput: true },
      },
    },
  },
};

/** `action.execute` params. */
export const executeParamsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['requestId', 'idempotencyKey', 'action', 'input', 'case', 'attempt'],
  properties: {
    requestId: nonEmpty,
    idempotencyKey: nonEmpty,
    action: nonEmpty,
    // Checked by the plugin against the action's own inputSchema.
    input: true,
    case: caseContextSchema,
    attempt: { type: 'integer', minimum: 1 },
  },
};

/** `action.execute` result. */
export const executeResultSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'summary'],
  properties: {
    status: { enum: ['succeeded', 'failed', 'pending'] },
    retryable: { type: 'boolean' },
    effect: { enum: ['none', 'unknown'] },
    summary: nonEmpty,
    // Checked by the host against the action's own outputSchema.
    output: true,
    external: {
      type: 'object',
      additionalProperties: false,
      properties: { request: { type: 'object' }, response: { type: 'object' } },
    },
  },
};

/** `action.reconcile` params. */
export const reconcileParamsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['requestId', 'idempotencyKeys', 'action', 'input', 'case'],
  properties: {
    requestId: nonEmpty,
    idempotencyKeys: { type: 'array', items: nonEmpty },
    action: nonEmpty,
    input: true,
    case: caseContextSchema,
  },
};

/** `action.reconcile` result: `{found: false}` or `{found: true, result}`. */
export const reconcileResultSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['found'],
  properties: { found: { type: 'boolean' }, result: executeResultSchema },
};

/** `webhook.receive` params: the delivery's headers and raw body. */
export const webhookParamsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['headers', 'body'],
  properties: { headers: { type: 'object', additionalProperties: { type: 'string' } }, body: { type: 'string' } },
};

/** `webhook.receive` result: the event's id and, when it is about an approved action, that action's state. */
export const webhookResultSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['eventId'],
  properties: { eventId: nonEmpty, requestId: nonEmpty, result: executeResultSchema },
};

/** `shutdown` params (`{}`, or none) and result (`{}`). */
export const shutdownParamsSchema: JsonSchema = empty;
/** `shutdown` result: `{}`. */
export const shutdownResultSchema: JsonSchema = empty;

/** The most facts one `case.context` answer may hold, and the longest label, value and summary. */
export const CONTEXT_LIMITS = { facts: 50, label: 100, value: 500, summary: 300 } as const;

/** `case.context` params: the case's id, type and the fields the manifest's `caseFields` allow. */
export const contextParamsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['caseId', 'caseType', 'fields'],
  properties: { caseId: nonEmpty, caseType: nonEmpty, fields: { type: 'object' } },
};

/** `case.context` result: bounded facts (untrusted text the host shows inert), an optional summary, when they were read. */
export const contextResultSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['facts', 'fetchedAt'],
  properties: {
    facts: {
      type: 'array',
      maxItems: CONTEXT_LIMITS.facts,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['label', 'value'],
        properties: {
          label: { type: 'string', minLength: 1, maxLength: CONTEXT_LIMITS.label },
          value: { type: 'string', maxLength: CONTEXT_LIMITS.value },
          kind: { enum: ['text', 'amount', 'id', 'status', 'time'] },
        },
      },
    },
    summary: { type: 'string', minLength: 1, maxLength: CONTEXT_LIMITS.summary },
    fetchedAt: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$' },
  },
};

/** Bounds of `case.classify`: the text sent, case types offered, labels, and the explanation answered. */
export const CLASSIFY_LIMITS = { text: 100_000, caseTypes: 100, choices: 200, label: 100, title: 200, explanation: 20, feature: 100, modelId: 100 } as const;

const label: JsonSchema = { type: 'string', minLength: 1, maxLength: CLASSIFY_LIMITS.label };
const labels: JsonSchema = { type: 'array', maxItems: CLASSIFY_LIMITS.choices, items: label };

/** `case.classify` params: the minimised case (text, allowed fields) and the case types to choose from. */
export const classifyParamsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['caseId', 'text', 'fields', 'caseTypes'],
  properties: {
    caseId: nonEmpty,
    text: { type: 'string', maxLength: CLASSIFY_LIMITS.text },
    fields: { type: 'object' },
    caseTypes: {
      type: 'array',
      minItems: 1,
      maxItems: CLASSIFY_LIMITS.caseTypes,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'title', 'queues', 'priorities'],
        properties: { key: label, title: { type: 'string', maxLength: CLASSIFY_LIMITS.title }, queues: labels, priorities: labels, intents: labels },
      },
    },
  },
};

/** `case.classify` result: a suggestion (every part optional: none is "no suggestion"), its confidence, why, and which model. */
export const classifyResultSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['confidence', 'explanation', 'model'],
  properties: {
    caseType: label,
    queue: label,
    priority: label,
    intent: label,
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    explanation: {
      type: 'array',
      maxItems: CLASSIFY_LIMITS.explanation,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['feature', 'weight'],
        properties: { feature: { type: 'string', minLength: 1, maxLength: CLASSIFY_LIMITS.feature }, weight: { type: 'number' } },
      },
    },
    model: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'version'],
      properties: { id: { type: 'string', minLength: 1, maxLength: CLASSIFY_LIMITS.modelId }, version: { type: 'string', minLength: 1, maxLength: CLASSIFY_LIMITS.modelId } },
    },
  },
};
