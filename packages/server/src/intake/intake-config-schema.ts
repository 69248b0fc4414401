import { PRIORITIES } from '@latch/core';

const name = { type: 'string', minLength: 1, maxLength: 100 } as const;
const priority = { type: 'string', enum: [...PRIORITIES] } as const;
const secret = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['env'], properties: { env: name } },
    { type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string', minLength: 1 } } },
  ],
} as const;
const file = { type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string', minLength: 1 } } } as const;
const pattern = { type: 'string', minLength: 1, maxLength: 500 } as const;
const whole = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum }) as const;

/** The JSON Schema of intake.yaml (intake-config.ts adds the checks a schema can't: regular expressions, case types). */
export const intakeFileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    addresses: {
      type: 'object',
      propertyNames: { type: 'string', pattern: '^[^@\\s<>"]+@[^@\\s<>"]+$', maxLength: 254 },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: { type: name, queue: name, priority },
      },
    },
    routes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'when', 'set'],
        properties: {
          name,
          when: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: { channel: name, source: name, title: pattern, body: pattern, requester: pattern },
          },
          set: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: { type: name, queue: name, priority, assignee: { type: 'string', minLength: 3, maxLength: 254 } },
          },
        },
      },
    },
    email: {
      type: 'object',
      additionalProperties: false,
      properties: {
        hostname: name,
        messageIdDomain: name,
        replyFrom: { type: 'string', minLength: 3, maxLength: 320 },
        tls: { type: 'object', additionalProperties: false, required: ['key', 'cert'], properties: { key: file, cert: file } },
        limits: {
          type: 'object',
          additionalProperties: false,
          properties: {
            maxMessageBytes: whole(1024, 1024 * 1024 * 1024),
            maxAttachments: whole(0, 1000),
            maxAttachmentBytes: whole(1, 1024 * 1024 * 1024),
            perSenderPerHour: whole(1, 1_000_000),
          },
        },
        imap: {
          type: 'object',
          additionalProperties: false,
          required: ['host', 'user', 'password', 'address'],
          properties: {
            host: name,
            port: whole(1, 65535),
            secure: { type: 'boolean' },
            user: { type: 'string', minLength: 1, maxLength: 320 },
            password: secret,
            mailbox: name,
            pollSeconds: whole(1, 86400),
            address: { type: 'string', minLength: 3, maxLength: 254 },
          },
        },
      },
    },
    // A public form per slug (intake/forms/): the case type it opens, and its limits.
    forms: {
      type: 'object',
      propertyNames: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: {
          type: name,
          queue: name,
          priority,
          title: { type: 'string', minLength: 1, maxLength: 200 },
          intro: { type: 'string', maxLength: 2000 },
          maxBytes: whole(1024, 1024 * 1024),
          perClientPerHour: whole(1, 1_000_000),
        },
      },
    },
    // A signed webhook per alert source (intake/alerts/): its secret, and where its alerts land.
    alerts: {
      type: 'object',
      propertyNames: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['secret', 'type'],
        properties: { secret, type: name, queue: name, priority, maxBytes: whole(1024, 16 * 1024 * 1024) },
      },
    },
  },
} as const;
