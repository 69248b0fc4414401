import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import { addNote, listNotes, presentNote } from '../../cases/notes.js';
import type { LatchContext } from '../../context.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, ref } from '../schemas.js';

export const noteRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get<{ Params: { id: string } }>(
    '/api/v1/cases/:id/notes',
    {
      config: { permission: 'case:read' },
      schema: { tags: ['cases'], params: idParams, response: { 200: { type: 'object', properties: { items: { type: 'array', items: ref('Note') } } }, ...errors(401, 403, 404) } },
    },
    async (request) => ({
      items: (await listNotes(ctx.database.db, ctx.teams.visibilityOf(principalOf(request)), request.params.id)).map(presentNote),
    }),
  );

  app.post<{ Params: { id: string }; Body: { body: string } }>(
    '/api/v1/cases/:id/notes',
    {
      config: { permission: 'case:comment' },
      schema: {
        tags: ['cases'],
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['body'], properties: { body: { type: 'string', minLength: 1, maxLength: 20_000 } } },
        response: { 201: ref('Note'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      return runCommand(ctx, request, reply, async (tx) => ({
        status: 201,
        body: presentNote(
          await addNote(tx, ctx.teams.visibilityOf(principal), actorOf(principal), principal.userId, request.params.id, request.body.body),
        ),
      }));
    },
  );
};
