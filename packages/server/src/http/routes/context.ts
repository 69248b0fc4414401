import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import type { LatchContext } from '../../context.js';
import { readCaseContext } from '../../context/read-case-context.js';
import { refreshCaseContext } from '../../context/refresh-case-context.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams } from '../schemas.js';

const time = { type: 'string', format: 'date-time' } as const;
const fact = {
  type: 'object',
  required: ['label', 'value'],
  properties: { label: { type: 'string' }, value: { type: 'string' }, kind: { type: 'string', enum: ['text', 'amount', 'id', 'status', 'time'] } },
} as const;
const pluginContext = {
  type: 'object',
  required: ['plugin', 'status', 'updatedAt', 'answer'],
  properties: {
    plugin: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'attached', 'unavailable'] },
    updatedAt: time,
    answer: {
      anyOf: [
        {
          type: 'object',
          required: ['sha256', 'attachedAt', 'fetchedAt', 'summary', 'facts', 'erased'],
          properties: {
            sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
            attachedAt: time,
            fetchedAt: { type: 'string' },
            summary: { type: ['string', 'null'] },
            facts: { type: 'array', items: fact },
            erased: { type: 'boolean' },
          },
        },
        { type: 'null' },
      ],
    },
  },
} as const;

/** Facts plugins attached to a case (the payment, its refunds), and asking for them again. */
export const contextRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get<{ Params: { id: string } }>(
    '/api/v1/cases/:id/context',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['cases'],
        summary: "The latest context each plugin attached to the case (untrusted text: show it inert), and whether a newer one is pending or the plugin was unavailable",
        params: idParams,
        response: { 200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: pluginContext } } }, ...errors(401, 403, 404) },
      },
    },
    async (request) => ({ items: await readCaseContext(ctx.database.db, ctx.plugins, ctx.teams.visibilityOf(principalOf(request)), request.params.id) }),
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/cases/:id/context::refresh',
    {
      config: { permission: 'case:update' },
      schema: {
        tags: ['cases'],
        summary: 'Ask the plugins that give context on this case type again; the answers arrive asynchronously (GET …/context)',
        params: idParams,
        response: { 202: { type: 'object', required: ['requested'], properties: { requested: { type: 'array', items: { type: 'string' } } } }, ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      return runCommand(ctx, request, reply, async (tx) => ({
        status: 202,
        body: { requested: await refreshCaseContext(tx, ctx, ctx.teams.visibilityOf(principal), actorOf(principal), request.params.id) },
      }));
    },
  );
};
