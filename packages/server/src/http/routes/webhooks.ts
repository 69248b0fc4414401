import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import type { LatchContext } from '../../context.js';
import { EVENT_TYPE_PATTERN } from '../../webhooks/event-filter.js';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, presentEndpoint, updateEndpoint, type EndpointPatch, type EndpointRules } from '../../webhooks/manage-endpoints.js';
import { listWebhookDeliveries, replayDelivery } from '../../webhooks/replay-delivery.js';
import { principalOf, requirePermission } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, isoDate, uuid } from '../schemas.js';

const nullable = <T extends object>(schema: T) => ({ anyOf: [schema, { type: 'null' }] });
const key = { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' } as const;
const filters = {
  eventTypes: {
    type: 'array',
    minItems: 1,
    maxItems: 100,
    items: { type: 'string', maxLength: 100, pattern: EVENT_TYPE_PATTERN },
    description: 'Event kinds: `*` (all), a kind (`approval.granted`) or a family (`action.*`)',
  },
  caseTypes: { type: 'array', maxItems: 100, items: key, description: 'Case types (keys); empty: all' },
  queues: { type: 'array', maxItems: 100, items: key, description: 'Queues; empty: all' },
} as const;
const editable = {
  url: { type: 'string', minLength: 1, maxLength: 2000, description: 'An http:// or https:// URL, without credentials' },
  description: { type: 'string', maxLength: 500 },
  ...filters,
} as const;
const endpoint = {
  type: 'object',
  required: ['id', 'url', 'description', 'eventTypes', 'caseTypes', 'queues', 'enabled', 'disabledReason', 'createdAt', 'updatedAt'],
  properties: {
    id: uuid,
    url: { type: 'string' },
    description: { type: 'string' },
    ...filters,
    enabled: { type: 'boolean' },
    disabledReason: nullable({ type: 'string', enum: ['gone', 'admin'], description: '`gone`: the receiver answered 410; `admin`: switched off' }),
    createdAt: isoDate,
    updatedAt: isoDate,
    secret: { type: 'string', description: 'The signing secret (`whsec_…`): in the answer that created or rotated it, and never again' },
  },
} as const;
const STATUSES = ['pending', 'retrying', 'delivered', 'failed', 'skipped'] as const;
const delivery = {
  type: 'object',
  required: ['id', 'endpointId', 'eventId', 'eventKind', 'status', 'attempts', 'replays', 'responseStatus', 'errorCode', 'durationMs', 'createdAt', 'lastAttemptAt', 'deliveredAt'],
  properties: {
    id: { ...uuid, description: 'Also the `webhook-id` header of every attempt and replay' },
    endpointId: uuid,
    eventId: uuid,
    eventKind: { type: 'string' },
    status: { type: 'string', enum: [...STATUSES] },
    attempts: { type: 'integer' },
    replays: { type: 'integer' },
    responseStatus: nullable({ type: 'integer' }),
    errorCode: nullable({ type: 'string', description: 'HTTP_<status>, TIMEOUT, TARGET_FORBIDDEN or a network code (ECONNRESET…), never the receiver’s text' }),
    durationMs: nullable({ type: 'integer' }),
    createdAt: isoDate,
    lastAttemptAt: nullable(isoDate),
    deliveredAt: nullable(isoDate),
  },
} as const;
/** Query values are strings (no coercion in this API): 1 to 200, default 50. */
const limit = { type: 'string', pattern: '^([1-9]|[1-9][0-9]|1[0-9][0-9]|200)$' } as const;

interface EndpointBody {
  url: string;
  description?: string;
  eventTypes: string[];
  caseTypes?: string[];
  queues?: string[];
}

/**
 * Outbound webhook endpoints and their delivery logs: admins only. The routes need `user:manage`
 * (running the deployment) and `case:read_all`, since an endpoint receives events of every case.
 */
export const webhookRoutes =
  (ctx: LatchContext): FastifyPluginAsync =>
  async (app) => {
    const admin = (request: FastifyRequest) => {
      const principal = principalOf(request);
      requirePermission(principal, 'case:read_all');
      return principal;
    };
    const rules: EndpointRules = {
      allowPrivateNetworks: ctx.config.webhooks.allowPrivateNetworks,
      checkCaseType: (type) => void ctx.caseTypes.latest(type),
    };
    const enqueue = (tx: Parameters<typeof ctx.scheduler.schedule>[0], queue: string, data: object) => ctx.scheduler.schedule(tx, queue, data, new Date());
    const config = { permission: 'user:manage' } as const;

    app.get(
      '/api/v1/webhooks',
      { config, schema: { tags: ['webhooks'], summary: 'Webhook endpoints (never their secrets)', response: { 200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: endpoint } } }, ...errors(401, 403) } } },
      async (request) => {
        admin(request);
        return { items: (await listEndpoints(ctx.database.db)).map(presentEndpoint) };
      },
    );

    app.post<{ Body: EndpointBody }>(
      '/api/v1/webhooks',
      {
        config,
        schema: {
          tags: ['webhooks'],
          summary: 'Add a webhook endpoint for case events; the signing secret is in this answer only',
          body: { type: 'object', additionalProperties: false, required: ['url', 'eventTypes'], properties: editable },
          response: { 201: endpoint, ...errors(400, 401, 403) },
        },
      },
      async (request, reply) => {
        const principal = admin(request);
        return runCommand(ctx, request, reply, async (tx) => {
          const { endpoint: row, secret } = await createEndpoint(tx, request.body, actorOf(principal), principal.userId, rules);
          const shown = presentEndpoint(row);
          return { status: 201, body: { ...shown, secret }, replayBody: shown };
        });
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/v1/webhooks/:id',
      { config, schema: { tags: ['webhooks'], summary: 'One webhook endpoint (never its secret)', params: idParams, response: { 200: endpoint, ...errors(401, 403, 404) } } },
      async (request) => {
        admin(request);
        return presentEndpoint(await getEndpoint(ctx.database.db, request.params.id));
      },
    );

    app.patch<{ Params: { id: string }; Body: EndpointPatch }>(
      '/api/v1/webhooks/:id',
      {
        config,
        schema: {
          tags: ['webhooks'],
          summary: 'Change a webhook endpoint: URL, filters, enabled; `rotateSecret: true` replaces the secret and shows the new one in this answer only',
          params: idParams,
          body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { ...editable, enabled: { type: 'boolean' }, rotateSecret: { type: 'boolean', const: true } } },
          response: { 200: endpoint, ...errors(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const principal = admin(request);
        return runCommand(ctx, request, reply, async (tx) => {
          const { endpoint: row, secret } = await updateEndpoint(tx, request.params.id, request.body, actorOf(principal), rules);
          const shown = presentEndpoint(row);
          return { status: 200, body: secret ? { ...shown, secret } : shown, replayBody: shown };
        });
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/api/v1/webhooks/:id',
      { config, schema: { tags: ['webhooks'], summary: 'Remove a webhook endpoint and its delivery log (the audit trail keeps its record)', params: idParams, response: { 204: { type: 'null' }, ...errors(401, 403, 404) } } },
      async (request, reply) => {
        const principal = admin(request);
        return runCommand(ctx, request, reply, async (tx) => {
          await deleteEndpoint(tx, request.params.id, actorOf(principal));
          return { status: 204, body: null };
        });
      },
    );

    app.get<{ Params: { id: string }; Querystring: { before?: string; limit?: string; status?: string } }>(
      '/api/v1/webhooks/:id/deliveries',
      {
        config,
        schema: {
          tags: ['webhooks'],
          summary: "An endpoint's delivery log, newest first: status, attempts, response status, error code, timings (no payload; cursor: `before` = the last id of the previous page)",
          params: idParams,
          querystring: { type: 'object', additionalProperties: false, properties: { before: uuid, limit, status: { type: 'string', enum: [...STATUSES] } } },
          response: { 200: { type: 'object', required: ['items', 'next'], properties: { items: { type: 'array', items: delivery }, next: nullable(uuid) } }, ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        admin(request);
        await getEndpoint(ctx.database.db, request.params.id);
        return listWebhookDeliveries(ctx.database.db, request.params.id, { ...request.query, limit: Number(request.query.limit ?? 50) });
      },
    );

    app.post<{ Params: { id: string } }>(
      '/api/v1/webhooks/deliveries/:id/replay',
      {
        config,
        schema: {
          tags: ['webhooks'],
          summary: 'Send a delivered, failed or skipped delivery again: the same message and webhook-id, a fresh round of attempts; recorded on the audit trail',
          params: idParams,
          response: { 202: delivery, ...errors(401, 403, 404, 422) },
        },
      },
      async (request, reply) => {
        const principal = admin(request);
        return runCommand(ctx, request, reply, async (tx) => ({ status: 202, body: await replayDelivery(tx, request.params.id, actorOf(principal), enqueue) }));
      },
    );
  };
