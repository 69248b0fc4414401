import type { FastifyPluginAsync } from 'fastify';
import type { LatchContext } from '../../context.js';
import { readExchange } from '../../execution/read-exchange.js';
import { principalOf } from '../authenticate.js';
import { errors, uuid } from '../schemas.js';

/** What an action sent to an external system and what came back, for anyone who can read the case. */
export const exchangeRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get<{ Params: { id: string; sha256: string } }>(
    '/api/v1/cases/:id/exchanges/:sha256',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['cases'],
        summary: 'An external request or response of an action (the SHA-256 in its timeline event), credentials removed',
        params: { type: 'object', required: ['id', 'sha256'], properties: { id: uuid, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } } },
        response: {
          200: {
            type: 'object',
            properties: {
              sha256: { type: 'string' },
              size: { type: 'integer' },
              role: { type: 'string', enum: ['request', 'response', 'other'] },
              event: { type: 'object', properties: { id: uuid, seq: { type: 'integer' }, kind: { type: 'string' }, actionId: { anyOf: [uuid, { type: 'null' }] } } },
              content: {},
            },
          },
          ...errors(400, 401, 403, 404, 410),
        },
      },
    },
    async (request) => readExchange(ctx.database.db, ctx.teams.visibilityOf(principalOf(request)), request.params.id, request.params.sha256),
  );
};
