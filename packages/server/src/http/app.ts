import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import { LatchError } from '@latch/core';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { LatchContext } from '../context.js';
import { newAjv } from './ajv.js';
import { installAuthentication, SESSION_COOKIE } from './authenticate.js';
import { installCanonicalIds } from './canonical-ids.js';
import { consoleRoutes } from './console.js';
import { installJsonBody } from './json-body.js';
import { installRequestIdHeader, requestId } from './request-id.js';
import { installSecurityHeaders } from './security-headers.js';
import { loggableError } from '../loggable-error.js';
import { toErrorResponse } from './error-map.js';
import { actionRoutes } from './routes/actions.js';
import { checklistRoutes } from './routes/checklist.js';
import { approvalRoutes } from './routes/approvals.js';
import { attachmentRoutes } from './routes/attachments.js';
import { authRoutes } from './routes/auth.js';
import { ssoRoutes } from './routes/sso.js';
import { caseRoutes } from './routes/cases.js';
import { caseTypeRoutes } from './routes/case-types.js';
import { configRoutes } from './routes/config.js';
import { erasureRoutes } from './routes/erasures.js';
import { contextRoutes } from './routes/context.js';
import { exchangeRoutes } from './routes/exchanges.js';
import { healthRoutes } from './routes/health.js';
import { installRequestMetrics, metricsRoutes } from './routes/metrics.js';
import { intakeRoutes } from './routes/intake.js';
import { intelligenceRoutes } from './routes/intelligence.js';
import { intakeAlertRoutes } from './routes/intake-alerts.js';
import { intakeFormRoutes } from './routes/intake-forms.js';
import { intakeReplyRoutes } from './routes/intake-replies.js';
import { linkRoutes } from './routes/links.js';
import { liveRoutes } from './routes/live.js';
import { logRoutes } from './routes/log.js';
import { noteRoutes } from './routes/notes.js';
import { notificationRoutes } from './routes/notifications.js';
import { pluginWebhookRoutes } from './routes/plugin-webhooks.js';
import { pluginRoutes } from './routes/plugins.js';
import { roleRoutes } from './routes/roles.js';
import { scimRoutes } from './routes/scim.js';
import { policyRoutes } from './routes/policies.js';
import { tokenRoutes } from './routes/tokens.js';
import { userRoutes } from './routes/users.js';
import { verificationRoutes } from './routes/verification.js';
import { viewRoutes } from './routes/views.js';
import { webhookRoutes } from './routes/webhooks.js';
import { sharedSchemas } from './schemas.js';
import './fastify-types.js';

export interface AppOptions {
  readonly logger?: boolean;
  /** Where the request log goes (default stdout); tests capture it. */
  readonly logStream?: { write(line: string): void };
}

/** A route as registered, for the authorization matrix test and the docs. */
export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly public: boolean;
  readonly permission: string | undefined;
}

export type LatchApp = FastifyInstance & { routeTable: RouteEntry[] };

/** Builds the HTTP API: validation → authentication → authorization → command → presentation. */
export async function buildApp(ctx: LatchContext, options: AppOptions = {}): Promise<LatchApp> {
  const app = Fastify({
    logger: options.logger
      ? {
          level: process.env.LATCH_LOG_LEVEL ?? 'info',
          redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]'],
          // A query string can carry personal data (?q=, ?filename=): the log keeps the path only.
          serializers: { req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: req.url.split('?')[0], remoteAddress: req.ip }) },
          ...(options.logStream ? { stream: options.logStream } : {}),
        }
      : false,
    // Every log line of a request carries its id (reqId), echoed as X-Request-Id (request-id.ts).
    genReqId: requestId,
    bodyLimit: ctx.config.maxBodyBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // A URL the router cannot decode (%ED%A0%80: a surrogate's bytes) answers in the standard shape too.
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = toErrorResponse(error);
      void (reply as FastifyReply).code(status).send(body);
    },
    // Fastify's own 503 while closing has another body: ours is answered below.
    return503OnClosing: false,
    // The client's address (login throttle) comes from X-Forwarded-For only through a trusted proxy.
    trustProxy: ctx.config.trustedProxies.length > 0 ? [...ctx.config.trustedProxies] : false,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  });
  const ajv = newAjv();
  app.setValidatorCompiler(({ schema }) => ajv.compile(schema));
  for (const schema of sharedSchemas) {
    app.addSchema(schema);
    ajv.addSchema(schema);
  }

  const routeTable: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routeTable.push({ method, url: route.url, public: route.config?.public === true, permission: route.config?.permission });
    }
  });

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Latch API', version: '1', description: 'Cases, timelines and governed actions. Errors are {error: {code, message, details}}.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token from POST /api/v1/tokens' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'From POST /api/v1/auth/login; writes also need X-CSRF-Token' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });

  app.setErrorHandler((error, request, reply) => {
    const { status, body, headers } = toErrorResponse(error);
    // Never `err: error`: a failed query's message and stack quote its parameters (see loggable-error.ts).
    if (status >= 500) request.log.error({ error: loggableError(error) }, 'request failed');
    void reply.code(status).headers(headers ?? {}).send(body);
  });
  installRequestIdHeader(app);
  installRequestMetrics(app);
  // While closing, requests still arriving on open connections are refused in our error shape.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    const { status, body, headers } = toErrorResponse(new LatchError('SHUTTING_DOWN', 'The server is shutting down; try again shortly'));
    return reply.code(status).headers({ ...headers, connection: 'close' }).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}` } });
  });

  installSecurityHeaders(app, ctx.config);
  installCanonicalIds(app);
  installAuthentication(app, ctx);
  installJsonBody(app);
  await app.register(healthRoutes(ctx));
  await app.register(metricsRoutes(ctx));
  await app.register(authRoutes(ctx));
  await app.register(ssoRoutes(ctx));
  await app.register(userRoutes(ctx));
  await app.register(roleRoutes(ctx));
  await app.register(tokenRoutes(ctx));
  await app.register(caseTypeRoutes(ctx));
  await app.register(caseRoutes(ctx));
  await app.register(noteRoutes(ctx));
  await app.register(attachmentRoutes(ctx));
  await app.register(linkRoutes(ctx));
  await app.register(actionRoutes(ctx));
  await app.register(checklistRoutes(ctx));
  await app.register(approvalRoutes(ctx));
  await app.register(erasureRoutes(ctx));
  await app.register(exchangeRoutes(ctx));
  await app.register(contextRoutes(ctx));
  await app.register(intelligenceRoutes(ctx));
  await app.register(pluginWebhookRoutes(ctx));
  await app.register(logRoutes(ctx));
  await app.register(liveRoutes(ctx));
  await app.register(verificationRoutes(ctx));
  await app.register(pluginRoutes(ctx));
  await app.register(viewRoutes(ctx));
  await app.register(notificationRoutes(ctx));
  await app.register(webhookRoutes(ctx));
  await app.register(intakeRoutes(ctx));
  await app.register(intakeFormRoutes(ctx));
  await app.register(intakeAlertRoutes(ctx));
  await app.register(intakeReplyRoutes(ctx));
  await app.register(policyRoutes(ctx));
  await app.register(configRoutes(ctx));
  await app.register(scimRoutes(ctx), { prefix: '/scim/v2' });
  await app.register(consoleRoutes());
  app.get('/api/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  app.decorate('routeTable', routeTable);
  return app as unknown as LatchApp;
}
