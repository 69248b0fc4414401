import type { FastifyPluginAsync } from 'fastify';
import type { LatchContext } from '../../context.js';
import { receiveWebhook } from '../../execution/receive-webhook.js';
import { errors } from '../schemas.js';

/** Headers that authenticate callers of Latch itself: never handed to a plugin. */
const LATCH_CREDENTIALS = new Set(['authorization', 'cookie', 'x-csrf-token', 'proxy-authorization']);

/**
 * `POST /api/v1/plugins/{plugin}/webhooks`: deliveries from an external system (Stripe's
 * `refund.updated`). Public, because the sender has no Latch account: the plugin verifies each
 * delivery's signature over the raw body, so this scope keeps the body as bytes instead of
 * parsing JSON (the app's JSON parser stays as it is for every other route).
 */
export const pluginWebhookRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post<{ Params: { plugin: string } }>(
    '/api/v1/plugins/:plugin/webhooks',
    {
      config: { public: true },
      schema: {
        tags: ['plugins'],
        summary: "A plugin's webhook: a signed event from the external system (e.g. Stripe's refund.updated)",
        description:
          'No Latch credentials: the plugin verifies the delivery (Stripe: the Stripe-Signature header over the raw body, with the endpoint secret, within 5 minutes). ' +
          'A verified event about an action Latch is following moves that action as a check would; any other verified event is acknowledged and ignored. ' +
          'A delivery that fails verification is 400 WEBHOOK_SIGNATURE_INVALID, an event id received before is 400 WEBHOOK_REPLAYED; neither writes anything.',
        security: [],
        params: { type: 'object', required: ['plugin'], properties: { plugin: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' } } },
        response: {
          200: { type: 'object', required: ['received', 'advanced'], properties: { received: { type: 'boolean', const: true }, advanced: { type: 'boolean' } } },
          ...errors(400, 404, 413, 503),
        },
      },
    },
    async (request) => {
      const raw = request.body;
      const body = Buffer.isBuffer(raw) ? raw.toString('utf8') : '';
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string' && !LATCH_CREDENTIALS.has(name)) headers[name] = value;
      }
      const { advanced } = await receiveWebhook(ctx.database, ctx.plugins, request.params.plugin, { headers, body });
      return { received: true, advanced };
    },
  );
};
