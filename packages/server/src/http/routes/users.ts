import { NotFoundError } from '@latch/core';
import type { FastifyPluginAsync } from 'fastify';
import { newPasswordSchema } from '../../auth/passwords.js';
import { actorOf } from '../../auth/principal.js';
import { createUser, findUser, listUsers, presentUser, updateUser } from '../../auth/users.js';
import type { LatchContext } from '../../context.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, ref } from '../schemas.js';

const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
const roleList = { type: 'array', maxItems: 20, items: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' } } as const;
const password = newPasswordSchema;

interface NewUserBody {
  email: string;
  name: string;
  password?: string;
  roles: string[];
  teams?: string[];
}

interface UserPatch {
  name?: string;
  roles?: string[];
  teams?: string[];
  disabled?: boolean;
  password?: string;
}

export const userRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get(
    '/api/v1/users',
    { config: { permission: 'user:read' }, schema: { tags: ['users'], response: { 200: { type: 'object', properties: { items: { type: 'array', items: ref('User') } } }, ...errors(401, 403) } } },
    async () => ({ items: (await listUsers(ctx.database.db)).map(presentUser) }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/users/:id',
    { config: { permission: 'user:read' }, schema: { tags: ['users'], params: idParams, response: { 200: ref('User'), ...errors(401, 403, 404) } } },
    async (request) => {
      const user = await findUser(ctx.database.db, request.params.id);
      if (!user) throw new NotFoundError('User');
      return presentUser(user);
    },
  );

  app.post<{ Body: NewUserBody }>(
    '/api/v1/users',
    {
      config: { permission: 'user:manage' },
      schema: {
        tags: ['users'],
        summary: 'Create a user (admins)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'name', 'roles'],
          properties: { email: { type: 'string', format: 'email', maxLength: 320 }, name, password, roles: roleList, teams: roleList },
        },
        response: { 201: ref('User'), ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(principalOf(request));
      return runCommand(ctx, request, reply, async (tx) => ({ status: 201, body: presentUser(await createUser(tx, request.body, actor, ctx.teams, ctx.roles)) }));
    },
  );

  app.patch<{ Params: { id: string }; Body: UserPatch }>(
    '/api/v1/users/:id',
    {
      config: { permission: 'user:manage' },
      schema: {
        tags: ['users'],
        summary: 'Change a user’s name, roles, teams, password or disabled flag (admins); a new password or disabling ends their sessions and tokens',
        params: idParams,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name, roles: roleList, teams: roleList, disabled: { type: 'boolean' }, password } },
        response: { 200: ref('User'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = actorOf(principalOf(request));
      return presentUser(await ctx.database.write((tx) => updateUser(tx, request.params.id, request.body, actor, ctx.teams, ctx.roles)));
    },
  );
};
