import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import { LINK_KINDS, linkCases, listLinks, presentLink, unlinkCases, type LinkKind } from '../../cases/links.js';
import type { LatchContext } from '../../context.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, ref, uuid } from '../schemas.js';

export const linkRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get<{ Params: { id: string } }>(
    '/api/v1/cases/:id/links',
    {
      config: { permission: 'case:read' },
      schema: { tags: ['cases'], params: idParams, response: { 200: { type: 'object', properties: { items: { type: 'array', items: ref('CaseLink') } } }, ...errors(401, 403, 404) } },
    },
    async (request) => ({
      items: (await listLinks(ctx.database.db, ctx.teams.visibilityOf(principalOf(request)), request.params.id)).map(presentLink),
    }),
  );

  app.post<{ Params: { id: string }; Body: { caseId: string; kind: LinkKind } }>(
    '/api/v1/cases/:id/links',
    {
      config: { permission: 'case:update' },
      schema: {
        tags: ['cases'],
        summary: 'Link this case to another (relates, duplicates, blocks, parent_of)',
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['caseId', 'kind'], properties: { caseId: uuid, kind: { type: 'string', enum: [...LINK_KINDS] } } },
        response: { 201: ref('CaseLink'), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      return runCommand(ctx, request, reply, async (tx) => ({
        status: 201,
        body: presentLink(
          await linkCases(tx, ctx.teams.visibilityOf(principal), actorOf(principal), request.params.id, request.body.caseId, request.body.kind),
        ),
      }));
    },
  );

  app.delete<{ Params: { id: string; linkId: string } }>(
    '/api/v1/cases/:id/links/:linkId',
    {
      config: { permission: 'case:update' },
      schema: {
        tags: ['cases'],
        params: { type: 'object', required: ['id', 'linkId'], properties: { id: uuid, linkId: uuid } },
        response: { 204: { type: 'null' }, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await ctx.database.write((tx) => unlinkCases(tx, ctx.teams.visibilityOf(principal), actorOf(principal), request.params.id, request.params.linkId));
      return reply.code(204).send();
    },
  );
};
