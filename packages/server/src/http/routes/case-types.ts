import type { FastifyPluginAsync } from 'fastify';
import type { CaseType } from '../../case-types/registry.js';
import type { LatchContext } from '../../context.js';
import { errors } from '../schemas.js';

const present = (type: CaseType) => ({ ...type.definition, digest: type.digest });
const caseType = { type: 'object', additionalProperties: true, properties: { key: { type: 'string' }, version: { type: 'integer' }, digest: { type: 'string' } } } as const;

export const caseTypeRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get(
    '/api/v1/case-types',
    {
      config: { permission: 'case_type:read' },
      schema: { tags: ['case types'], summary: 'The newest version of every case type', response: { 200: { type: 'object', properties: { items: { type: 'array', items: caseType } } }, ...errors(401, 403) } },
    },
    async () => {
      const keys = [...new Set(ctx.caseTypes.list().map((t) => t.definition.key))];
      return { items: keys.map((key) => present(ctx.caseTypes.latest(key))) };
    },
  );

  app.get<{ Params: { key: string } }>(
    '/api/v1/case-types/:key',
    {
      config: { permission: 'case_type:read' },
      schema: {
        tags: ['case types'],
        params: { type: 'object', required: ['key'], properties: { key: { type: 'string', maxLength: 63 } } },
        response: { 200: { type: 'object', properties: { latest: caseType, versions: { type: 'array', items: { type: 'integer' } } } }, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const versions = ctx.caseTypes.list().filter((t) => t.definition.key === request.params.key);
      if (versions.length === 0) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'Case type not found' } });
      return { latest: present(ctx.caseTypes.latest(request.params.key)), versions: versions.map((t) => t.definition.version) };
    },
  );

  app.get<{ Params: { key: string; version: string } }>(
    '/api/v1/case-types/:key/versions/:version',
    {
      config: { permission: 'case_type:read' },
      schema: {
        tags: ['case types'],
        params: { type: 'object', required: ['key', 'version'], properties: { key: { type: 'string', maxLength: 63 }, version: { type: 'string', pattern: '^[1-9][0-9]{0,8}$' } } },
        response: { 200: caseType, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const found = ctx.caseTypes.list().find((t) => t.definition.key === request.params.key && t.definition.version === Number(request.params.version));
      if (!found) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'Case type version not found' } });
      return present(found);
    },
  );
};
