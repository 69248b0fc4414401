import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { LatchContext } from '../../context.js';
import { schemaState } from '../../db/migrations.js';

/** Liveness (the process answers) and readiness (the database answers, on the schema this build knows). */
export const healthRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get('/healthz', { config: { public: true }, schema: { tags: ['health'] } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { public: true }, schema: { tags: ['health'] } }, async (_request, reply) => {
    try {
      await ctx.database.db.execute(sql`select 1`);
      const schema = await schemaState(ctx.database);
      if (schema.state !== 'current') return reply.code(503).send({ status: 'not ready', database: 'ok', schema: schema.state });
      return { status: 'ready', database: ctx.database.kind, schema: 'current' };
    } catch {
      return reply.code(503).send({ status: 'not ready', database: 'unreachable' });
    }
  });
};
