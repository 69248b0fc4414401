import { ForbiddenError, LatchError, type Permission, type Principal } from '@latch/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticateSession } from '../auth/sessions.js';
import { authenticateToken } from '../auth/tokens.js';
import { csrfTokenFor } from '../auth/secrets.js';
import type { LatchContext } from '../context.js';
import { isScrapeToken } from '../metrics/scrape-token.js';

export const SESSION_COOKIE = 'latch_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authentication and the route-level permission check, for every route: a bearer token or a
 * session cookie (plus a CSRF token on cookie-authenticated writes), then the route's permission.
 * It runs at onRequest, before the body is read, parsed or validated: a caller who may not use a
 * route learns nothing of its body's schema (401 or 403 comes before any 400).
 */
export function installAuthentication(app: FastifyInstance, ctx: LatchContext): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('authMethod', null);
  app.decorateRequest('sessionSecret', null);

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config.scrapeToken && isScrapeToken(request.headers.authorization, ctx.config.metricsToken)) return;
    await identify(request, ctx);
    if (config.public) return;
    if (!request.principal) throw new LatchError('UNAUTHENTICATED', 'Log in or send an API token (Authorization: Bearer …)');
    if (request.authMethod === 'session' && !SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || sent !== csrfTokenFor(request.sessionSecret!)) {
        throw new LatchError('CSRF_TOKEN_INVALID', `Cookie-authenticated writes need the ${CSRF_HEADER} header from login`);
      }
    }
    if (config.permission) requirePermission(request.principal, config.permission);
  });
}

async function identify(request: FastifyRequest, ctx: LatchContext): Promise<void> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const [scheme, value] = header.split(' ', 2);
    if (scheme?.toLowerCase() !== 'bearer' || !value) throw new LatchError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"');
    request.principal = await authenticateToken(ctx.database.db, value.trim(), ctx.roles);
    request.authMethod = 'token';
    return;
  }
  const secret = request.cookies[SESSION_COOKIE];
  if (secret) {
    const principal = await authenticateSession(ctx.database.db, secret, ctx.roles);
    if (principal) {
      request.principal = principal;
      request.authMethod = 'session';
      request.sessionSecret = secret;
    }
  }
}

/** Throws PERMISSION_DENIED unless the principal holds the permission. */
export function requirePermission(principal: Principal, permission: Permission): void {
  if (!principal.permissions.has(permission)) throw new ForbiddenError(`This needs the '${permission}' permission`, { permission });
}

/** The authenticated principal of a non-public route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new LatchError('UNAUTHENTICATED', 'Not authenticated');
  return request.principal;
}
