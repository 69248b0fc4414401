import type { FastifyPluginAsync } from 'fastify';
import type { LatchContext } from '../../context.js';
import { deleteView, listViews, presentView, saveView, type ViewQuery } from '../../views/saved-views.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, isoDate, uuid } from '../schemas.js';
import { caseFilterProperties } from './cases.js';

// The list route's own filter schema: a view saves nothing the queue could not ask for.
const viewQuery = { type: 'object', additionalProperties: false, properties: caseFilterProperties } as const;
const view = {
  type: 'object',
  required: ['id', 'name', 'query', 'createdAt'],
  properties: { id: uuid, name: { type: 'string' }, query: viewQuery, createdAt: isoDate },
} as const;

/** Saved queue views, per user. Not audit events: they change nothing governed, so no timeline records them. */
export const viewRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get(
    '/api/v1/views',
    {
      config: { permission: 'case:read' },
      schema: { tags: ['views'], summary: 'Your saved queue views', response: { 200: { type: 'object', properties: { items: { type: 'array', items: view } } }, ...errors(401, 403) } },
    },
    async (request) => ({ items: (await listViews(ctx.database.db, principalOf(request).userId)).map(presentView) }),
  );

  app.post<{ Body: { name: string; query: ViewQuery } }>(
    '/api/v1/views',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['views'],
        summary: 'Save the queue’s filters and order under a name (at most 50 views each: then 409 TOO_MANY_VIEWS)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'query'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 80, pattern: '\\S' }, query: viewQuery },
        },
        response: { 201: view, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      // Through runCommand like every other create: a retried save with its Idempotency-Key makes one view.
      return runCommand(ctx, request, reply, async (tx) => {
        const row = await saveView(tx, userId, { name: request.body.name.trim(), query: request.body.query });
        void reply.header('location', `/api/v1/views/${row.id}`);
        return { status: 201, body: presentView(row) };
      });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/views/:id',
    { config: { permission: 'case:read' }, schema: { tags: ['views'], summary: 'Delete one of your saved views', params: idParams, response: { 204: { type: 'null' }, ...errors(401, 403, 404) } } },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      await ctx.database.write((tx) => deleteView(tx, userId, request.params.id));
      return reply.code(204).send();
    },
  );
};
