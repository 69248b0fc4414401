import type { FastifyPluginAsync } from 'fastify';
import type { LatchContext } from '../../context.js';
import { checkRoles, roleUsageWarnings } from '../../roles/sync-roles.js';
import { errors } from '../schemas.js';

const roleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description', 'permissions'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    permissions: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const roleRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get(
    '/api/v1/roles',
    {
      config: { permission: 'user:read' },
      schema: {
        tags: ['users'],
        summary: 'The roles users may hold (roles.yaml), with the version recorded on the system stream, and what is wrong with them',
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['version', 'items', 'warnings'],
            properties: {
              version: { type: 'integer', description: 'The role-set version recorded as roles.defined on the system stream' },
              items: { type: 'array', items: roleSchema },
              warnings: { type: 'array', items: { type: 'string' }, description: 'Roles held but not defined (they grant nothing), roles no one holds, roles with no permission' },
            },
          },
          ...errors(401, 403),
        },
      },
    },
    async () => {
      const roles = ctx.roles;
      const definitions = roles.definitions();
      const warnings = [...checkRoles(roles, ctx.caseTypes).warnings, ...(await roleUsageWarnings(roles, ctx.database.db))];
      return {
        version: roles.version ?? 0,
        items: Object.entries(definitions).map(([name, role]) => ({ name, ...role })),
        warnings,
      };
    },
  );
};
