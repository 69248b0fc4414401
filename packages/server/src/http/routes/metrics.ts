import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Registry } from 'prom-client';
import type { LatchContext } from '../../context.js';
import { databaseGauges } from '../../metrics/database-gauges.js';
import { metricsRegistry, recordRequest } from '../../metrics/metrics.js';

/**
 * Request latency by route pattern, for every request this app answers (404s and refusals
 * included, under their route or `unmatched`). Installed on the root instance, before the routes.
 */
export function installRequestMetrics(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    recordRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
  });
}

/**
 * `GET /metrics`, Prometheus text format: not public on a governed system. It answers a principal
 * holding `metrics:read` (an admin, or an API token scoped to it), or the scrape token configured as
 * LATCH_METRICS_TOKEN (checked by the authentication hook, in constant time).
 */
export const metricsRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  const gauges = databaseGauges(ctx.database);
  app.get(
    '/metrics',
    {
      config: { permission: 'metrics:read', scrapeToken: true },
      schema: {
        tags: ['monitoring'],
        summary: 'Prometheus metrics (text exposition format)',
        description:
          'Request latency by route, jobs by queue and outcome, executions by plugin and outcome, intake by channel, approvals waiting, ' +
          'log size and checkpoint age, and process metrics. Needs the metrics:read permission or the LATCH_METRICS_TOKEN bearer token.',
        security: [{ bearer: [] }, { session: [] }],
      },
    },
    async (_request, reply) => {
      const registry = Registry.merge([metricsRegistry, ...(await gauges.registries())]);
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );
};
