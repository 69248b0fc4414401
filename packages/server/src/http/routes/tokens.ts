import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import { createToken, listTokens, presentToken, revokeToken } from '../../auth/tokens.js';
import { findUser } from '../../auth/users.js';
import type { LatchContext } from '../../context.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, ref } from '../schemas.js';

interface NewTokenBody {
  name: string;
  scopes: string[];
  expiresAt?: string;
}

export const tokenRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get(
    '/api/v1/tokens',
    {
      config: { permission: 'token:manage' },
      schema: { tags: ['tokens'], summary: 'Your API tokens (never their secrets)', response: { 200: { type: 'object', properties: { items: { type: 'array', items: ref('ApiToken') } } }, ...errors(401, 403) } },
    },
    async (request) => ({ items: (await listTokens(ctx.database.db, principalOf(request).userId)).map(presentToken) }),
  );

  app.post<{ Body: NewTokenBody }>(
    '/api/v1/tokens',
    {
      config: { permission: 'token:manage' },
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token for yourself, with scopes your roles grant (through a token: scopes it holds, expiring no later); the secret is in this response only',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'scopes'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            scopes: { type: 'array', minItems: 1, maxItems: 50, items: { type: 'string', maxLength: 64 } },
            expiresAt: { type: 'string', format: 'date-time' },
          },
        },
        response: { 201: ref('ApiToken'), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const user = (await findUser(ctx.database.db, principal.userId))!;
      const expiresAt = request.body.expiresAt ? new Date(request.body.expiresAt) : undefined;
      return runCommand(ctx, request, reply, async (tx) => {
        const input = { name: request.body.name, scopes: request.body.scopes, expiresAt };
        const { token, row } = await createToken(tx, user, input, actorOf(principal), principal.tokenId, ctx.roles);
        const shown = presentToken(row);
        return { status: 201, body: { ...shown, token }, replayBody: shown };
      });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/tokens/:id',
    { config: { permission: 'token:manage' }, schema: { tags: ['tokens'], summary: 'Revoke a token and every token created with it', params: idParams, response: { 204: { type: 'null' }, ...errors(401, 403, 404) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      await ctx.database.write((tx) => revokeToken(tx, request.params.id, principal, actorOf(principal)));
      return reply.code(204).send();
    },
  );
};
