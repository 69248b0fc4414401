import { PRIORITIES } from '@latch/core';

/** JSON Schema of a case type file; the file's `fields` is itself a JSON Schema, compiled separately. */
export const caseTypeFileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'version', 'name', 'fields', 'statuses', 'initialStatus', 'transitions', 'defaultQueue'],
  properties: {
    key: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
    version: { type: 'integer', minimum: 1 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 4000 },
    fields: { type: 'object', required: ['type'], properties: { type: { const: 'object' } } },
    statuses: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'name'],
        properties: {
          key: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
          name: { type: 'string', minLength: 1 },
          final: { type: 'boolean' },
        },
      },
    },
    initialStatus: { type: 'string' },
    transitions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to'],
        properties: { from: { type: 'string' }, to: { type: 'array', items: { type: 'string' } } },
      },
    },
    defaultQueue: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' },
    defaultPriority: { enum: [...PRIORITIES], default: 'normal' },
    resolveWithin: { type: 'string', pattern: '^P' },
    actions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['plugin', 'action', 'name', 'input'],
        properties: {
          plugin: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' },
          action: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
          name: { type: 'string', minLength: 1, maxLength: 200 },
          input: { type: 'object', required: ['type'], properties: { type: { const: 'object' } } },
          policy: { type: 'string' },
          // A time-bounded action and how the system undoes it at expiry (core case-types/scheduled-revoke.ts).
          revokeAfter: {
            type: 'object',
            additionalProperties: false,
            required: ['durationFrom', 'maxDuration', 'name', 'action', 'input'],
            properties: {
              durationFrom: { type: 'string', minLength: 1 },
              maxDuration: { type: 'string', pattern: '^P' },
              name: { type: 'string', minLength: 1, maxLength: 200 },
              action: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
              input: { type: 'object' },
            },
          },
        },
      },
    },
    // Steps a person confirms by hand (core case-types/checklist.ts); references checked by checklistProblems.
    checklist: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'label'],
        properties: {
          key: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
          label: { type: 'string', minLength: 1, maxLength: 200 },
          requiredBefore: { type: 'array', items: { type: 'string' }, maxItems: 20 },
          resetWhenChanged: { type: 'array', items: { type: 'string' }, maxItems: 20 },
        },
      },
    },
    // Checked rule by rule by escalationProblems (core), whose messages name the rule and action.
    escalations: { type: 'array' },
    policies: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'version', 'steps'],
        properties: {
          key: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
          version: { type: 'integer', minimum: 1 },
          // What the `history` variable sums and how far back it looks (core policy/history.ts).
          history: {
            type: 'object',
            additionalProperties: false,
            properties: {
              window: { type: 'string', pattern: '^P' },
              amount: { type: 'string' },
              currency: { type: 'string' },
              match: { type: 'array', items: { type: 'string' }, maxItems: 10 },
            },
          },
          steps: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: {
                name: { type: 'string', minLength: 1, maxLength: 200 },
                when: { type: 'string', maxLength: 2000 },
                role: { type: 'string' },
                team: { type: 'string' },
                count: { type: 'integer', minimum: 1, maximum: 20 },
                expiresIn: { type: 'string', pattern: '^P' },
                allowTokens: { type: 'array', items: { type: 'string', format: 'uuid' } },
                // Checked rule by rule by separationProblems (core), whose messages name the rule.
                separation: { type: 'array' },
              },
            },
          },
        },
      },
    },
  },
} as const;
