import { PRIORITIES } from '@latch/core';

/** JSON Schemas shared by routes; they drive validation, serialisation and the OpenAPI document. */
/** Ids are lower-case hyphenated UUIDs, the only spelling stored and hashed; any other is refused. */
export const uuid = { type: 'string', format: 'uuid', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } as const;
export const isoDate = { type: 'string', format: 'date-time' } as const;
/** The largest value of a PostgreSQL integer column (versions, sequence numbers): larger ones are refused, not sent to SQL. */
export const INT4_MAX = 2_147_483_647;
/** A record's version as the client saw it. */
export const versionNumber = { type: 'integer', minimum: 1, maximum: INT4_MAX } as const;
const nullable = <T extends object>(schema: T) => ({ anyOf: [schema, { type: 'null' }] });

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
} as const;

export const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;

export const priority = { type: 'string', enum: [...PRIORITIES] } as const;

export const caseSchema = {
  $id: 'Case',
  type: 'object',
  properties: {
    id: uuid,
    type: { type: 'string' },
    typeVersion: { type: 'integer' },
    title: { type: 'string' },
    description: { type: 'string' },
    status: { type: 'string' },
    priority,
    queue: { type: 'string' },
    assigneeId: nullable(uuid),
    requester: {
      type: 'object',
      properties: { userId: nullable(uuid), email: nullable({ type: 'string' }), name: nullable({ type: 'string' }) },
    },
    fields: { type: 'object', additionalProperties: true },
    version: { type: 'integer' },
    createdAt: isoDate,
    updatedAt: isoDate,
    dueAt: nullable(isoDate),
    allowedTransitions: { type: 'array', items: { type: 'string' } },
    awaitingApproval: { type: 'boolean', description: 'In lists: an action on the case awaits approval' },
  },
} as const;

export const eventSchema = {
  $id: 'TimelineEvent',
  type: 'object',
  properties: {
    id: uuid,
    seq: { type: 'integer' },
    kind: { type: 'string' },
    at: isoDate,
    actor: {
      type: 'object',
      properties: { type: { type: 'string' }, id: { type: 'string' }, user: { type: 'string' } },
    },
    outcome: { type: 'string', enum: ['ok', 'refused', 'failed'] },
    reason: { type: 'string' },
    data: {},
    blobs: { type: 'array', items: { type: 'string' } },
    hash: { type: 'string' },
    prevHash: nullable({ type: 'string' }),
    bytes: { type: 'string', description: 'The exact RFC 8785 bytes that were hashed (with ?bytes=true)' },
    presentation: {
      type: 'object',
      description: 'How people read the event (core presentEvent): the same line as the evidence bundle’s story.txt. Not hashed.',
      required: ['summary', 'actor'],
      properties: {
        summary: { type: 'string', description: 'One line of plain text' },
        actor: {
          type: 'object',
          required: ['kind', 'name'],
          properties: {
            kind: { type: 'string', description: 'user, token, system, plugin, intelligence' },
            name: { type: 'string' },
            email: { type: 'string', description: 'Only to readers who may list users (user:read)' },
          },
        },
        amounts: {
          type: 'array',
          items: {
            type: 'object',
            required: ['field', 'minor', 'currency', 'text'],
            properties: { field: { type: 'string' }, minor: { type: 'integer' }, currency: { type: 'string' }, text: { type: 'string' } },
          },
        },
        tone: { type: 'string', enum: ['refusal', 'normal'] },
      },
    },
  },
} as const;

export const userSchema = {
  $id: 'User',
  type: 'object',
  properties: {
    id: uuid,
    email: { type: 'string' },
    name: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
    teams: { type: 'array', items: { type: 'string' } },
    disabled: { type: 'boolean' },
    createdAt: isoDate,
  },
} as const;

export const tokenSchema = {
  $id: 'ApiToken',
  type: 'object',
  properties: {
    id: uuid,
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    createdAt: isoDate,
    expiresAt: nullable(isoDate),
    revoked: { type: 'boolean' },
    token: { type: 'string', description: 'The secret; present only in the response that created it' },
  },
} as const;

export const noteSchema = {
  $id: 'Note',
  type: 'object',
  properties: { id: uuid, caseId: uuid, authorId: uuid, body: { type: 'string' }, eventId: uuid, createdAt: isoDate },
} as const;

export const attachmentSchema = {
  $id: 'Attachment',
  type: 'object',
  properties: {
    id: uuid,
    caseId: uuid,
    filename: { type: 'string' },
    contentType: { type: 'string' },
    size: { type: 'integer' },
    sha256: { type: 'string' },
    createdBy: uuid,
    createdAt: isoDate,
  },
} as const;

export const linkSchema = {
  $id: 'CaseLink',
  type: 'object',
  properties: { id: uuid, kind: { type: 'string' }, fromCaseId: uuid, toCaseId: uuid, createdBy: uuid, createdAt: isoDate },
} as const;

export const sharedSchemas = [errorSchema, caseSchema, eventSchema, userSchema, tokenSchema, noteSchema, attachmentSchema, linkSchema];

/** Standard error responses, by status, referencing the shared Error schema. */
export function errors(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, { $ref: 'Error#' }]));
}

export const ref = (id: string) => ({ $ref: `${id}#` });
