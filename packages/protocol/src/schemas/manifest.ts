import type { JsonSchema } from '../json-schema.js';

// Written in the keyword subset whose meaning is the same in drafts 07 and 2020-12 (no $ref,
// no $schema in the objects), so any validator, including ours, reads them the same way.

const nonEmpty: JsonSchema = { type: 'string', minLength: 1 };

/** A declared configuration value. */
export const configEntrySchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description', 'required', 'secret'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$' },
    description: { type: 'string', maxLength: 500 },
    required: { type: 'boolean' },
    secret: { type: 'boolean' },
  },
};

/** A declared action. */
export const actionManifestSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'title', 'inputSchema'],
  properties: {
    // Actions are addressed as `<plugin id>.<name>`: no dots.
    name: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]{0,62}$' },
    title: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 2000 },
    inputSchema: { type: 'object' },
    outputSchema: { type: 'object' },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 3_600_000 },
  },
};

/** `latch-plugin.json`, and the manifest in the `initialize` result. */
export const manifestSchema: JsonSchema = {
  title: 'Latch plugin manifest',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'version', 'protocolVersion', 'command', 'caseTypes', 'caseFields', 'config', 'actions'],
  properties: {
    id: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 2000 },
    version: { type: 'string', pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.+-]+)?$' },
    protocolVersion: { const: '1' },
    command: { type: 'array', minItems: 1, items: nonEmpty },
    caseTypes: { type: 'array', items: nonEmpty },
    caseFields: { type: 'array', items: nonEmpty },
    config: { type: 'array', items: configEntrySchema },
    actions: { type: 'array', items: actionManifestSchema },
  },
};

/** What a plugin sees of a case. */
export const caseContextSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'type', 'typeVersion', 'status', 'priority', 'queue', 'fields'],
  properties: {
    id: nonEmpty,
    type: nonEmpty,
    typeVersion: { type: 'integer', minimum: 1 },
    status: nonEmpty,
    priority: nonEmpty,
    queue: { type: ['string', 'null'] },
    fields: { type: 'object' },
  },
};
