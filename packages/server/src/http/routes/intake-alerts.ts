import { LatchError } from '@latch/core';
import type { FastifyPluginAsync } from 'fastify';
import type { LatchContext } from '../../context.js';
import { ALERT_DEFAULT_MAX_BYTES, readAlertSources } from '../../intake/alerts/alert-sources.js';
import { receiveAlerts } from '../../intake/alerts/receive-alerts.js';
import { errors, uuid } from '../schemas.js';

const header = (name: string) => {
  return (headers: Record<string, string | string[] | undefined>) => {
    const value = headers[name];
    return typeof value === 'string' ? value : undefined;
  };
};
const webhookId = header('webhook-id');
const webhookTimestamp = header('webhook-timestamp');
const webhookSignature = header('webhook-signature');

/**
 * `POST /api/v1/intake/alerts/{source}`: Prometheus Alertmanager's webhook (version 4), signed per
 * Standard Webhooks. Public, because the sender has no Latch account: the source's secret signs
 * each delivery. The body is kept as bytes (it is verified, and stored as the raw source, exactly).
 */
export const intakeAlertRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  const sources = readAlertSources(ctx.intake.config, ctx.caseTypes);
  const bodyLimit = Math.max(ALERT_DEFAULT_MAX_BYTES, ...[...sources.values()].map((s) => s.maxBytes));
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post<{ Params: { source: string } }>(
    '/api/v1/intake/alerts/:source',
    {
      config: { public: true },
      bodyLimit,
      schema: {
        tags: ['intake'],
        summary: 'Alerts from a monitoring source (Alertmanager webhook version 4, signed per Standard Webhooks)',
        description:
          'No Latch credentials: webhook-id, webhook-timestamp and webhook-signature (HMAC-SHA256 with the source’s secret from intake.yaml). ' +
          'Each fingerprint opens a case, or follows the case it has open, with alert.fired / alert.resolved on the timeline; a resolution never closes a case. ' +
          'Committed before the 200. Not signed with the secret: 400 WEBHOOK_SIGNATURE_INVALID, nothing kept. Signed but with a timestamp over five minutes from now: ' +
          '400 WEBHOOK_TIMESTAMP_STALE; a webhook-id received before: 400 WEBHOOK_REPLAYED; not Alertmanager’s format: 400 VALIDATION_FAILED; each of these three held in the intake quarantine with its reason.',
        security: [],
        params: { type: 'object', required: ['source'], properties: { source: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' } } },
        response: {
          200: {
            type: 'object',
            required: ['received', 'cases'],
            properties: {
              received: { type: 'boolean', const: true },
              cases: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['fingerprint', 'caseId', 'outcome', 'alerts'],
                  properties: { fingerprint: { type: 'string' }, caseId: uuid, outcome: { type: 'string', enum: ['created', 'threaded', 'duplicate'] }, alerts: { type: 'integer' } },
                },
              },
            },
          },
          ...errors(400, 404, 413, 503),
        },
      },
    },
    async (request) => {
      const source = sources.get(request.params.source);
      if (!source) throw new LatchError('NOT_FOUND', `No alert source '${request.params.source}' in this deployment`);
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (raw.length > source.maxBytes) throw new LatchError('PAYLOAD_TOO_LARGE', `The delivery is larger than ${source.maxBytes} bytes`);
      const headers = { id: webhookId(request.headers), timestamp: webhookTimestamp(request.headers), signature: webhookSignature(request.headers) };
      return { received: true as const, cases: await receiveAlerts(ctx, source, headers, raw) };
    },
  );
};
