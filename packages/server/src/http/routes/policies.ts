import type { FastifyPluginAsync } from 'fastify';
import type { LatchContext } from '../../context.js';
import { replayPolicy, type ReplayRequest } from '../../policies/replay-policy.js';
import { errors, uuid } from '../schemas.js';

const requirement = {
  type: 'object',
  additionalProperties: false,
  required: ['approvals', 'steps'],
  properties: { policyVersion: { type: ['integer', 'null'] }, approvals: { type: ['integer', 'null'] }, steps: { type: ['array', 'null'], items: { type: 'string' } }, error: { type: 'string' } },
} as const;
const change = { type: 'string', enum: ['more', 'fewer', 'same', 'unknown'] } as const;
const replayed = {
  type: 'object',
  additionalProperties: false,
  required: ['actionId', 'caseId', 'plugin', 'action', 'status', 'proposedAt', 'old', 'new', 'change', 'historyRecorded'],
  properties: {
    actionId: uuid,
    caseId: uuid,
    plugin: { type: 'string' },
    action: { type: 'string' },
    status: { type: 'string' },
    proposedAt: { type: 'string', format: 'date-time' },
    old: requirement,
    new: requirement,
    change,
    historyRecorded: { type: 'boolean' },
  },
} as const;
const count = { type: 'integer' } as const;
const report = {
  type: 'object',
  additionalProperties: false,
  required: ['caseType', 'policy', 'days', 'since', 'totals', 'actions'],
  properties: {
    caseType: { type: 'string' },
    policy: { type: 'object', additionalProperties: false, required: ['key', 'version'], properties: { key: { type: 'string' }, version: { type: 'integer' } } },
    days: { type: 'integer' },
    since: { type: 'string', format: 'date-time' },
    totals: { type: 'object', additionalProperties: false, required: ['actions', 'more', 'fewer', 'same', 'unknown'], properties: { actions: count, more: count, fewer: count, same: count, unknown: count } },
    actions: { type: 'array', items: replayed },
  },
} as const;

/**
 * Replaying a policy change. It writes nothing and shows only ids, statuses and step names of
 * actions, so it asks for what reading every case asks for (admins and auditors).
 */
export const policyRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.post<{ Body: ReplayRequest }>(
    '/api/v1/policies::replay',
    {
      config: { permission: 'case:read_all' },
      schema: {
        tags: ['policies'],
        summary: 'Evaluate a new policy version against the actions of the last N days: which would have needed more or fewer approvals. Writes nothing',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['caseType', 'policy', 'days'],
          properties: {
            caseType: { type: 'string', minLength: 1, maxLength: 63 },
            policy: { oneOf: [{ type: 'string', minLength: 1, maxLength: 200_000 }, { type: 'object' }], description: 'The new policy version: YAML or JSON text, or the object' },
            days: { type: 'integer', minimum: 1, maximum: 366 },
          },
        },
        response: { 200: report, ...errors(400, 401, 403) },
      },
    },
    async (request) => replayPolicy(ctx.database.db, ctx.caseTypes, request.body),
  );
};
