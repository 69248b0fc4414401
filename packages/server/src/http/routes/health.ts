import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { LatchContext } from '../../context.js';
import { schemaState } from '../../db/migrations.js';

/** How long readiness waits for the database before calling it unreachable. */
const DATABASE_TIMEOUT_MS = 2_000;

type CheckStatus = 'ok' | 'failed' | 'not_configured';
interface Check {
  readonly status: CheckStatus;
  /** A fixed word for why (never an error text, a path or a version). */
  readonly reason?: string;
  readonly [detail: string]: unknown;
}

const checkSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok', 'failed', 'not_configured'] }, reason: { type: 'string' } },
  additionalProperties: true,
} as const;
const readinessSchema = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] },
    checks: { type: 'object', properties: { database: checkSchema, migrations: checkSchema, logSigning: checkSchema, plugins: checkSchema } },
  },
} as const;

/**
 * Liveness (the process answers: no database, nothing that can wait) and readiness: the database
 * answers, on the schema this build knows, the log's signing key is loaded when one is configured,
 * and every configured plugin is up. Public, so each check says only ok/failed and a fixed reason.
 */
export const healthRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get(
    '/healthz',
    { config: { public: true }, schema: { tags: ['health'], summary: 'Liveness: the process answers', response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    { config: { public: true }, schema: { tags: ['health'], summary: 'Readiness: database, migrations, log signing, plugins', response: { 200: readinessSchema, 503: readinessSchema } } },
    async (_request, reply) => {
      const checks = { ...(await databaseChecks(ctx)), logSigning: logSigningCheck(ctx), plugins: pluginsCheck(ctx) };
      const ready = Object.values(checks).every((c) => c.status !== 'failed');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
    },
  );
};

async function databaseChecks(ctx: LatchContext): Promise<{ database: Check; migrations: Check }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), DATABASE_TIMEOUT_MS)));
  try {
    const probe = (async () => {
      await ctx.database.db.execute(sql`select 1`);
      return schemaState(ctx.database);
    })();
    probe.catch(() => undefined); // a probe that loses the race must not become an unhandled rejection
    const schema = await Promise.race([probe, timeout]);
    if (schema === 'timeout') return { database: { status: 'failed', reason: 'timeout' }, migrations: { status: 'failed', reason: 'database_unavailable' } };
    const migrations: Check = schema.state === 'current' ? { status: 'ok' } : { status: 'failed', reason: schema.state === 'unknown' ? 'newer_schema' : schema.state };
    return { database: { status: 'ok', kind: ctx.database.kind }, migrations };
  } catch {
    return { database: { status: 'failed', reason: 'unreachable' }, migrations: { status: 'failed', reason: 'database_unavailable' } };
  } finally {
    clearTimeout(timer);
  }
}

function logSigningCheck(ctx: LatchContext): Check {
  if (ctx.log.keys) return { status: 'ok' };
  const configured = ctx.config.logKey !== undefined || ctx.config.logKeyFile !== undefined;
  return configured ? { status: 'failed', reason: 'key_not_loaded' } : { status: 'not_configured' };
}

function pluginsCheck(ctx: LatchContext): Check {
  if (!ctx.plugins) return { status: 'not_configured' };
  const plugins = ctx.plugins.list();
  const up = plugins.filter((p) => p.state === 'ready').length;
  return up === plugins.length ? { status: 'ok', up, total: plugins.length } : { status: 'failed', reason: 'plugin_down', up, total: plugins.length };
}
