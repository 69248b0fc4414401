import { LatchError } from '@latch/core';
import type { FastifyPluginAsync } from 'fastify';
import { verifyPassword } from '../../auth/passwords.js';
import { csrfTokenFor } from '../../auth/secrets.js';
import { createSession, endSession } from '../../auth/sessions.js';
import { findUser, findUserByEmail, presentUser } from '../../auth/users.js';
import type { LatchContext } from '../../context.js';
import { principalOf, SESSION_COOKIE } from '../authenticate.js';
import { errors, ref } from '../schemas.js';

const FAILURE_WINDOW_MS = 15 * 60_000;
const MAX_FAILURES = 10;

/** Failed logins per (address, email) in a sliding window: slows password guessing without locking users out for good. */
class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  check(key: string): void {
    const recent = this.recent(key);
    if (recent.length >= MAX_FAILURES) throw new LatchError('RATE_LIMITED', 'Too many failed logins; try again in a few minutes');
  }

  fail(key: string): void {
    this.failures.set(key, [...this.recent(key), Date.now()]);
  }

  clear(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const since = Date.now() - FAILURE_WINDOW_MS;
    return (this.failures.get(key) ?? []).filter((t) => t > since);
  }
}

export const authRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  const throttle = new LoginThrottle();

  app.post<{ Body: { email: string; password: string } }>(
    '/api/v1/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in with email and password; sets an HttpOnly session cookie and returns the CSRF token for writes',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'password'],
          properties: { email: { type: 'string', minLength: 3, maxLength: 320 }, password: { type: 'string', minLength: 1, maxLength: 256 } },
        },
        response: {
          200: { type: 'object', properties: { user: ref('User'), csrfToken: { type: 'string' }, expiresAt: { type: 'string' } } },
          ...errors(400, 401, 429),
        },
      },
    },
    async (request, reply) => {
      const key = `${request.ip}|${request.body.email.toLowerCase()}`;
      throttle.check(key);
      const user = await findUserByEmail(ctx.database.db, request.body.email);
      const ok = await verifyPassword(user?.passwordHash, request.body.password);
      if (!user || !ok || user.disabledAt) {
        throttle.fail(key);
        request.log.info({ email: request.body.email.toLowerCase() }, 'login refused');
        throw new LatchError('INVALID_CREDENTIALS', 'Email or password is wrong, or the account is disabled');
      }
      throttle.clear(key);
      const session = await createSession(ctx.database.db, user.id, ctx.config.sessionTtlHours);
      void reply.setCookie(SESSION_COOKIE, session.secret, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.config.cookieSecure,
        expires: session.expiresAt,
      });
      return { user: presentUser(user), csrfToken: csrfTokenFor(session.secret), expiresAt: session.expiresAt.toISOString() };
    },
  );

  app.post('/api/v1/auth/logout', { schema: { tags: ['auth'], response: { 204: { type: 'null' }, ...errors(401, 403) } } }, async (request, reply) => {
    if (request.sessionSecret) await endSession(ctx.database.db, request.sessionSecret);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.get(
    '/api/v1/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The authenticated user, with the permissions this session or token carries',
        response: {
          200: { type: 'object', properties: { user: ref('User'), permissions: { type: 'array', items: { type: 'string' } }, tokenId: { type: 'string' } } },
          ...errors(401),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const user = await findUser(ctx.database.db, principal.userId);
      return {
        user: presentUser(user!),
        permissions: [...principal.permissions].sort(),
        ...(principal.tokenId ? { tokenId: principal.tokenId } : {}),
      };
    },
  );
};
