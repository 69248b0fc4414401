import type { FastifyPluginAsync } from 'fastify';
import { presentAction } from '../../approvals/present-action.js';
import { createDelegation, listDelegations, presentDelegation, revokeDelegation } from '../../approvals/delegations.js';
import { waitingFor } from '../../approvals/waiting-for.js';
import { actorOf } from '../../auth/principal.js';
import type { LatchContext } from '../../context.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, isoDate, uuid } from '../schemas.js';

const delegation = {
  type: 'object',
  properties: { id: uuid, fromUserId: uuid, toUserId: uuid, startsAt: isoDate, endsAt: isoDate, reason: { type: ['string', 'null'] }, revoked: { type: 'boolean' } },
} as const;

export const approvalRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get<{ Querystring: { waiting_for: 'me' } }>(
    '/api/v1/approvals',
    {
      config: { permission: 'action:decide' },
      schema: {
        tags: ['approvals'],
        summary: 'Actions waiting for your decision (or for someone who delegated to you), soonest deadline first',
        querystring: { type: 'object', additionalProperties: false, required: ['waiting_for'], properties: { waiting_for: { type: 'string', enum: ['me'] } } },
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: { type: 'object', properties: { action: { type: 'object', additionalProperties: true }, onBehalfOf: { type: ['string', 'null'] } } } } },
          },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const items = await waitingFor(ctx.database.db, principal, ctx.teams.visibilityOf(principal), { adminWindowDays: ctx.config.sodAdminWindowDays });
      return { items: items.map((item) => ({ action: presentAction(item.action, ctx.plugins), onBehalfOf: item.onBehalfOf })) };
    },
  );

  app.get(
    '/api/v1/delegations',
    { config: { permission: 'delegation:manage' }, schema: { tags: ['approvals'], response: { 200: { type: 'object', properties: { items: { type: 'array', items: delegation } } }, ...errors(401, 403) } } },
    async (request) => ({ items: (await listDelegations(ctx.database.db, principalOf(request).userId)).map(presentDelegation) }),
  );

  app.post<{ Body: { toUserId: string; startsAt?: string; endsAt: string; reason?: string } }>(
    '/api/v1/delegations',
    {
      config: { permission: 'delegation:manage' },
      schema: {
        tags: ['approvals'],
        summary: 'Delegate your approvals to someone for a period (out of office); never usable for your own proposals',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['toUserId', 'endsAt'],
          properties: { toUserId: uuid, startsAt: isoDate, endsAt: isoDate, reason: { type: 'string', minLength: 1, maxLength: 500 } },
        },
        response: { 201: delegation, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      return runCommand(ctx, request, reply, async (tx) => ({
        status: 201,
        body: presentDelegation(
          await createDelegation(tx, principal, actorOf(principal), {
            toUserId: body.toUserId,
            startsAt: body.startsAt ? new Date(body.startsAt) : undefined,
            endsAt: new Date(body.endsAt),
            reason: body.reason,
          }),
        ),
      }));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/delegations/:id',
    { config: { permission: 'delegation:manage' }, schema: { tags: ['approvals'], params: idParams, response: { 204: { type: 'null' }, ...errors(401, 403, 404, 409) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      await ctx.database.write((tx) => revokeDelegation(tx, principal, actorOf(principal), request.params.id));
      return reply.code(204).send();
    },
  );
};
